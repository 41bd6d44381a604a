"""The arb engine: rigorous enclosures of every w_t with python-flint's Arb balls.

Why Arb and not mpmath.iv (mpmath's interval context is
guaranteed for little beyond basic arithmetic; iv.exp has been seen not to enclose).
Arb's ball operations are rigorous: every result contains the exact result for
every point of the input balls.

The map.  Full batch and cyclic slabs iterate the derived GD map

    Phi(w) = w - eta s L'_k(w)       for w in [w_lo(k), w_hi(k)),

with L' from the derivation's pieces (:func:`symbolic.iterate.piece_forms`):
rational pieces as N/D with integer coefficients (exact balls; evaluated as
``arb_poly``), other pieces by walking the sympy tree into arb operations
(Rational -> fmpq -> arb, pi -> arb.pi(), sqrt(2) -> arb(2).sqrt(), ...).

Piece selection with balls.  A ball W lying inside one piece's interval (Arb
comparisons decide: all of W >= w_lo and all of W < w_hi) uses that piece.  If W
overlaps a breakpoint the comparison is UNDECIDED and is treated as such: every
piece W meets is evaluated on W clipped to the piece's closed interval (clip
bounds rounded outward, so the clip contains W ∩ [w_lo, w_hi]) and the union of
the results is taken.  This encloses Phi(W): each point w of W lies in some
piece k, where Phi(w) = Phi_k(w) is in the enclosure of piece k's clip; and
because Phi is continuous across breakpoints (L is C^1 for r >= 1: its
derivative -integral r (1/2 - w u)^(r-1) u rho(u) du over the band is continuous
in w) the union is not wider than the jump-free image needs.

Tightness.  The plain ball evaluation W - eta s L'(W) never shrinks a radius; when
it grows a radius noticeably the mean-value form

    Phi(W) ⊂ Phi(m) + Phi'(W) (W - m),   m = mid(W),  Phi' = 1 - eta s L''

(valid because Phi_k is smooth on the piece) is computed as well and the two
enclosures intersected (both are rigorous, so is their intersection).

Speed (same enclosures, fewer Python-level operations).  A run iterates inside
:meth:`ArbPieces.run`: the current piece is kept while the two ball comparisons
W >= w_lo(k) and W < w_hi(k) are both decided true (anything else re-decides as above);
on a rational piece the integer coefficients of N, D (of L') and of scale * N_L, D_L (of
the loss) are balls formed once, the polynomials are evaluated by Horner's scheme on
balls (a constant polynomial is a single ball), es = eta scale is multiplied in after
N/D (skipped when es = 1 exactly); the relative accuracy of the previous ball is kept
from the previous step.  Every operation is still a ball operation, so every ball
still contains the true w_t.

Mini-batches (sampled / dataset): the batch map, ball by ball, is in :mod:`.arb_batches`.

Exact bounds: :func:`ball_bounds` turns a ball into rationals lo <= x <= hi
(from the exact midpoint and radius, man * 2^exp each: no rounding; :mod:`.arb_balls`).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sympy
from flint import arb, arb_poly, ctx, fmpq, fmpz
from gmpy2 import mpq

from relu_pointwise.symbolic.errors import EnclosureError, InputError
from relu_pointwise.symbolic.iterate import PieceForms, piece_forms, to_mpq
from relu_pointwise.symbolic.limits import PREC_MAX, check_int
from relu_pointwise.symbolic.loss import Derivation
from relu_pointwise.symbolic.spec import Spec, Training

from .arb_balls import arb_from_rational, ball_bounds
from .arb_balls import contains_rational as contains_rational  # re-exported: a public name of the engine
from .arb_batches import batch_loss_arb, batch_step_arb
from .evaluator import Backend, compile_expr
from .trajectory import CellStep, StepSource, Trajectory
from .values import ArbFormat

DEFAULT_PREC = 128

_FUNCS: dict[str, Callable[[Any], Any]] = {
          "log": arb.log, "exp": arb.exp, "asin": arb.asin, "acos": arb.acos, "atan": arb.atan,
          "sin": arb.sin, "cos": arb.cos, "tan": arb.tan, "sinh": arb.sinh, "cosh": arb.cosh,
          "atanh": arb.atanh, "asinh": arb.asinh}


# ====================================================================== conversions

def _ball_between(lo: mpq, hi: mpq) -> arb:
    """A ball containing the rational interval [lo, hi]."""
    return arb_from_rational(lo).union(arb_from_rational(hi))


# ====================================================================== expression compiler

class _ArbBackend(Backend):
    """Balls at the ctx precision of the CALL (constants formed when COMPILED).

    A fractional power of a ball meeting the negatives is nan: undecided, never forced.
    """

    name = "arb"
    funcs = _FUNCS

    def rational(self, p, q):
        return arb_from_rational(mpq(p, q))

    def pi(self):
        return arb.pi()

    def e(self):
        return arb.const_e()

    def zero(self):
        return arb(0)

    def half_power(self, v, p):
        return v.sqrt() if p == 1 else v.rsqrt() if p == -1 else v.sqrt() ** p

    def power(self, v, p, q):
        return v ** arb(fmpq(p, q))


_ARB = _ArbBackend()


def compile_arb(expr: sympy.Expr) -> Callable[[arb], arb]:
    """A closure enclosing ``expr(w)`` on a ball (:func:`numeric.evaluator.compile_expr`)."""
    return compile_expr(expr, _ARB)


def _rational_arb(rf) -> Callable[[arb], arb]:
    """N(x)/D(x) with exact integer coefficients."""
    n = arb_poly([arb(fmpz(c)) for c in reversed(rf.num)])
    if len(rf.den) == 1:
        d0 = arb(fmpz(rf.den[0]))
        if len(rf.num) == 1:
            n0 = arb(fmpz(rf.num[0])) / d0
            return lambda x: n0
        return lambda x: n(x) / d0
    d = arb_poly([arb(fmpz(c)) for c in reversed(rf.den)])
    if len(rf.num) == 1:
        n0 = arb(fmpz(rf.num[0]))
        return lambda x: n0 / d(x)
    return lambda x: n(x) / d(x)


def _coeffs_arb(cs: Sequence, factor=None) -> list:
    """Integer coefficients (highest degree first) as arb balls, each times the exact rational
    ``factor`` (one ball per product, formed from the exact rational: rigorous); zeros as None."""
    f = mpq(1) if factor is None else mpq(factor)
    return [None if c == 0 else arb_from_rational(mpq(int(c)) * f) for c in cs]


def horner(cs: Sequence, x: arb) -> arb:
    """p(x) by Horner's scheme on balls, p = cs[0] x^n + ... + cs[n] (None = a zero coefficient).

    Every operation is a ball operation, so the result contains p(v) for every v in x.
    """
    s = cs[0]
    for c in cs[1:]:
        s = s * x
        if c is not None:
            s = s + c
    return s


def _shape(cs: list) -> tuple:
    """(c, k, cs): p = c (k = 0), p = c x (k = 1), p = c x^2 (k = 2), else k = -1 (Horner on cs).
    For the monomials, c x and (c x) x are exactly the operations Horner's scheme performs."""
    if len(cs) <= 3 and all(c is None for c in cs[1:]):
        return cs[0], len(cs) - 1, cs
    return None, -1, cs


def _ev(sh: tuple, x: arb) -> arb:
    c, k, cs = sh
    if k == 0:
        return c
    if k == 1:
        return c * x
    if k == 2:
        return c * x * x
    return horner(cs, x)


class _RationalStep:
    """One rational piece's  x -> x - es (N(x) / D(x))  (es = eta scale; the product is
    skipped when es = 1 exactly) and  (scale N_L)(x) / D_L(x), with the integer
    coefficients as exact balls and scale * N_{L,j} formed once as balls from the exact
    rationals.  Constants and the monomials c x, c x^2 are evaluated without a Horner
    call (:func:`_shape`).  (es is not folded into N: N/D is enclosed first, as in
    :meth:`ArbPieces.step`.)"""

    __slots__ = ("es", "gn", "gd", "ln", "ld")

    def __init__(self, f: PieceForms, es: arb, scale_q: mpq) -> None:
        gq, lq = f.grad_q, f.loss_q
        if gq is None or lq is None:
            raise TypeError("_RationalStep: the piece has no rational form (PieceForms.rational is False)")
        self.es = None if (es.is_exact() and es == 1) else es
        polys = [_coeffs_arb(gq.num), _coeffs_arb(gq.den), _coeffs_arb(lq.num, scale_q), _coeffs_arb(lq.den)]
        polys = [[arb(0)] + cs[1:] if cs[0] is None else cs for cs in polys]
        self.gn, self.gd, self.ln, self.ld = (_shape(cs) for cs in polys)

    def delta(self, x: arb) -> arb:
        """eta scale L'(x)."""
        q = _ev(self.gn, x) / _ev(self.gd, x)
        return q if self.es is None else self.es * q

    def loss(self, x: arb) -> arb:
        """scale L(x)."""
        return _ev(self.ln, x) / _ev(self.ld, x)


# ====================================================================== pieces

class ArbPieces:
    """One derivation's pieces as ball evaluators (build and use at the same ctx.prec)."""

    def __init__(self, forms: Sequence[PieceForms], scale=1) -> None:
        self.forms = list(forms)
        self.lo_q = [to_mpq(f.w_lo) for f in self.forms]
        self.hi_q: list[mpq | None] = [None if f.w_hi is None else to_mpq(f.w_hi) for f in self.forms]
        self.lo = [arb_from_rational(q) for q in self.lo_q]
        self.hi: list[arb | None] = [None if q is None else arb_from_rational(q) for q in self.hi_q]
        self.scale = arb_from_rational(to_mpq(scale))
        self.loss_f, self.grad_f, self.hess_f = [], [], []
        self.at_lo: dict[int, tuple] = {}
        for k, f in enumerate(self.forms):
            if f.at_lo is not None:
                # removable singularities at w_lo: at w = w_lo exactly use the exact one-sided limits
                self.at_lo[k] = tuple(None if v is None else compile_arb(v)(arb(0)) for v in f.at_lo)
            if f.rational:
                self.loss_f.append(_rational_arb(f.loss_q))
                self.grad_f.append(_rational_arb(f.grad_q))
                self.hess_f.append(_rational_arb(f.hess_q))
            else:
                self.loss_f.append(compile_arb(f.loss))
                self.grad_f.append(compile_arb(f.grad))
                self.hess_f.append(compile_arb(f.hess))
        self._k = 0
        self.straddles = 0
        self.scale_q = to_mpq(scale)
        self._eta: arb | None = None        # the eta ball the fast steps were prepared for
        self._fast: list[_RationalStep | None] = []
        self._prev: arb | None = None       # the last result of loss_step()/run() and its relative accuracy
        self._prev_bits = 0

    def _prepare(self, eta: arb) -> None:
        """Per rational piece, the balls of L' = N/D and scale L = (scale N_L)/D_L (once per eta)."""
        self._eta = eta
        es = eta * self.scale
        self._fast = [_RationalStep(f, es, self.scale_q) if f.rational else None for f in self.forms]

    def inside(self, k: int, x: arb) -> bool:
        """Decided: every point of x is in [w_lo(k), w_hi(k))."""
        hi = self.hi[k]
        return bool(x >= self.lo[k]) and (hi is None or bool(x < hi))

    def met(self, x: arb) -> list[int]:
        """Pieces x may meet (those not decided to lie wholly outside)."""
        out = []
        for k in range(len(self.forms)):
            below = bool(x < self.lo[k])
            hi = self.hi[k]
            above = hi is not None and bool(x >= hi)
            if not below and not above:
                out.append(k)
        if not bool(x >= self.lo[0]):
            raise EnclosureError(f"ball {x} reaches below w = {self.forms[0].w_lo}, where the derived loss starts")
        return out

    def clip(self, k: int, x: arb) -> arb:
        lo, hi = ball_bounds(x)
        a = max(lo, self.lo_q[k])
        hi_k = self.hi_q[k]
        b = hi if hi_k is None else min(hi, hi_k)
        return _ball_between(a, b)

    def locate(self, x: arb) -> int | list[int]:
        """The piece index when decided, else the list of pieces met."""
        k = self._k
        hi = self.hi[k]
        if x >= self.lo[k] and (hi is None or x < hi):
            return k
        for k in range(len(self.forms)):
            if self.inside(k, x):
                self._k = k
                return k
        met = self.met(x)
        if len(met) == 1 and self.inside_closed(met[0], x):
            return met[0]
        return met

    def inside_closed(self, k: int, x: arb) -> bool:
        lo, hi = ball_bounds(x)
        hi_k = self.hi_q[k]
        return lo >= self.lo_q[k] and (hi_k is None or hi <= hi_k)

    def _at_lo_point(self, k: int, x: arb) -> bool:
        """x is the exact point w_lo(k)."""
        return x.is_exact() and ball_bounds(x)[0] == self.lo_q[k]

    def step(self, x: arb, eta: arb) -> arb:
        """An enclosure of Phi(x) = x - eta scale L'(x) (see the module docstring)."""
        es = eta * self.scale
        k = self.locate(x)
        if isinstance(k, int):
            if self.at_lo and k in self.at_lo and self._at_lo_point(k, x):
                g0 = self.at_lo[k][1]
                if g0 is None:
                    raise EnclosureError(f"arb engine: L' is not finite at w = {self.forms[k].w_lo}")
                return x - es * g0
            y = x - es * self.grad_f[k](x)
            # the plain form lost more than one bit of relative accuracy: add the mean-value form
            if y.rel_accuracy_bits() < x.rel_accuracy_bits() - 1 and not x.is_exact():
                y = self._mean_value(k, x, y, es)
            return y
        self.straddles += 1
        out: arb | None = None
        for j in k:
            c = self.clip(j, x)
            v = c - es * self.grad_f[j](c)
            out = v if out is None else out.union(v)
        return _union_found(out, x)

    def loss_step(self, x: arb, eta: arb) -> tuple[arb, arb]:
        """(enclosure of scale L(x), enclosure of Phi(x)) with one piece decision.

        Decided inside a rational piece (the common case): Phi(x) = x - es (N(x)/D(x)),
        es = eta scale, by Horner on balls with the coefficients prepared once
        (:class:`_RationalStep`), and scale L(x) = (scale N_L)(x)/D_L(x) likewise; the mean-value
        form is added exactly as in :meth:`step` when the plain form lost more than one bit.
        Otherwise :meth:`loss` and :meth:`step`.
        """
        if eta is not self._eta:
            self._prepare(eta)
        k: int | list[int] = self._k
        hi = self.hi[self._k]
        if not (x >= self.lo[self._k] and (hi is None or x < hi)):
            k = self.locate(x)
        fs = self._fast[k] if isinstance(k, int) else None
        if fs is None or not isinstance(k, int) or (k in self.at_lo and self._at_lo_point(k, x)):
            return self.loss(x), self.step(x, eta)
        y = x - fs.delta(x)
        xb = self._prev_bits if x is self._prev else x.rel_accuracy_bits()
        yb = y.rel_accuracy_bits()
        if yb < xb - 1 and not x.is_exact():
            y = self._mean_value(k, x, y, eta * self.scale)
            yb = y.rel_accuracy_bits()
        self._prev, self._prev_bits = y, yb
        return fs.loss(x), y

    def run(self, x: arb, eta: arb, n: int, ws: list | _Last, losses: list | None, t0: int = 0) -> arb:
        """n steps of :meth:`loss_step` from x = w_t0: appends scale L(w_t) to ``losses`` (unless
        None: then no loss is computed) and w_(t+1) to ``ws`` for t = t0 .. t0+n-1; returns
        the last ball.

        The same operations as :meth:`loss_step`, in one loop with the current piece's
        bounds and prepared coefficients held in locals (the piece is re-decided by the
        two ball comparisons every step, and fully whenever they are not both true).
        """
        if eta is not self._eta:
            self._prepare(eta)
        lo, hi, fast, at_lo = self.lo, self.hi, self._fast, self.at_lo
        wapp = ws.append
        lapp = None if losses is None else losses.append
        # the current piece's bounds and prepared coefficients (None: no piece decided yet)
        k: Any = None
        lok: Any = None
        hik: Any = None
        gn: Any = None
        gd: Any = None
        ln: Any = None
        ld: Any = None
        gnc: Any = None
        gdc: Any = None
        lnc: Any = None
        ldc: Any = None
        es: Any = None
        lv: Any = None
        gnk = gdk = lnk = ldk = -1
        atk = False
        xb = x.rel_accuracy_bits()
        for t in range(t0, t0 + n):
            if k is None or not (x >= lok and (hik is None or x < hik)) or (atk and self._at_lo_point(k, x)):
                k = self.locate(x)
                fs = fast[k] if isinstance(k, int) else None
                if fs is None or (k in at_lo and self._at_lo_point(k, x)):
                    lv = None if lapp is None else self.loss(x)
                    y = self.step(x, eta)
                    k = None
                else:
                    lok, hik, atk = lo[k], hi[k], k in at_lo
                    # (c, k, coefficients) of N, D, N_L, D_L: constants and c x, c x^2 inline
                    (gnc, gnk, gn), (gdc, gdk, gd), (lnc, lnk, ln), (ldc, ldk, ld) = fs.gn, fs.gd, fs.ln, fs.ld
                    es = fs.es
            if k is not None:
                num = gnc if gnk == 0 else (gnc * x if gnk == 1 else horner(gn, x))
                den = gdc if gdk == 0 else (gdc * x if gdk == 1 else (gdc * x * x if gdk == 2 else horner(gd, x)))
                q = num / den
                y = x - (q if es is None else es * q)
                yb = y.rel_accuracy_bits()
                if yb < xb - 1 and not x.is_exact():
                    y = self._mean_value(k, x, y, eta * self.scale)
                    yb = y.rel_accuracy_bits()
                if lapp is not None:
                    num = lnc if lnk == 0 else (lnc * x if lnk == 1 else horner(ln, x))
                    den = ldc if ldk == 0 else (ldc * x if ldk == 1 else (ldc * x * x if ldk == 2 else horner(ld, x)))
                    lv = num / den
            else:
                yb = y.rel_accuracy_bits()
            if lapp is not None:
                if not lv.is_finite():
                    _check(t, lv, "L")
                lapp(lv)
            if not y.is_finite():
                _check(t + 1, y)
            wapp(y)
            x, xb = y, yb
        self._prev, self._prev_bits = x, xb
        return x

    def _mean_value(self, k: int, x: arb, y: arb, es: arb) -> arb:
        """y intersected with Phi(m) + Phi'(x) (x - m), m = mid(x) (both enclose Phi(x))."""
        m = x.mid()
        mvf = (m - es * self.grad_f[k](m)) + (1 - es * self.hess_f[k](x)) * (x - m)
        if mvf.is_finite():
            y = y.intersection(mvf) if y.is_finite() else mvf
        return y

    def loss(self, x: arb) -> arb:
        """An enclosure of scale * L(x)."""
        k = self.locate(x)
        if isinstance(k, int) and k in self.at_lo and self._at_lo_point(k, x):
            return self.scale * self.at_lo[k][0]
        if isinstance(k, int):
            return self.scale * self.loss_f[k](x)
        out: arb | None = None
        for j in k:
            v = self.loss_f[j](self.clip(j, x))
            out = v if out is None else out.union(v)
        return self.scale * _union_found(out, x)


def _union_found(out: arb | None, x: arb) -> arb:
    """The union over the pieces a ball meets; :meth:`ArbPieces.met` returns at least one
    piece or raises, so an empty union is a bug, reported as an enclosure failure."""
    if out is None:
        raise EnclosureError(f"arb engine: the ball {x} meets no piece of the derived loss")
    return out


def _check(t: int, b: arb, what: str = "w") -> arb:
    if not b.is_finite():
        raise EnclosureError(f"arb engine: the enclosure of {what}_{t} is not finite ({b}); the derived "
                             f"formula cannot be evaluated on the ball (raise prec)")
    return b


def arb_trajectory(derivation: Derivation, eta, w0, steps: int, prec: int = DEFAULT_PREC,
                   stop: Callable[[int, arb], bool] | None = None) -> list[arb]:
    """Balls enclosing w_0..w_steps of w_{t+1} = w_t - eta L'(w_t) (full batch), at ``prec`` bits.

    ``stop(t, ball)`` returning True ends the run after recording ball t.
    Raises :class:`EnclosureError` if an enclosure stops being finite.
    """
    forms = piece_forms(derivation)
    with ctx.workprec(prec):
        P = ArbPieces(forms)
        e = arb_from_rational(to_mpq(eta))
        x = arb_from_rational(to_mpq(w0))
        out = [x]
        if stop is None:
            # the engine's own loop (ArbPieces.run: the same route as run_arb); the loss balls are dropped
            P.run(x, e, steps, out, None, 0)
            return out
        if stop(0, x):
            return out
        step = P.step
        for t in range(1, steps + 1):
            x = step(x, e)
            if not x.is_finite():
                _check(t, x)
            out.append(x)
            if stop is not None and stop(t, x):
                break
    return out


# ====================================================================== runs

class _Last:
    """A stand-in for the list :meth:`ArbPieces.run` appends to: keeps only the last ball."""

    __slots__ = ("last",)

    def __init__(self, x: arb) -> None:
        self.last = x

    def append(self, y: arb) -> None:
        self.last = y


def run_arb(spec: Spec, training: Training, steps: int, *, prec: int = DEFAULT_PREC, data: Any = None,
            derivation: Derivation | None = None, source: StepSource | None = None,
            progress: Callable[[int], None] | None = None, record_every: int = 1) -> Trajectory:
    """Rigorous enclosures of w_t and L(w_t) for every batch variant; rows (t, ball, ball) at
    t = 0, record_every, ..., and ``steps`` (the loss is enclosed at those rows only)."""
    if steps < 0:
        raise InputError(f"steps: must be >= 0, got {steps}")
    check_int(prec, "prec", 16, PREC_MAX)
    every = max(1, int(record_every))
    src = source if source is not None else StepSource(spec, training, steps, data=data, derivation=derivation)
    compiled: dict[Any, ArbPieces] = {}
    ts: list[int] = []
    ws: list[arb] = []
    losses: list[arb] = []
    with ctx.workprec(prec):
        e = arb_from_rational(to_mpq(training.eta))
        x = arb_from_rational(to_mpq(training.w0))
        r = spec.r
        if src.kind.population:
            # one derivation for every step: the loop runs inside ArbPieces.run, in chunks (progress)
            step0 = src.step(0)
            if not isinstance(step0, CellStep):   # a full batch is one cell step: a bug otherwise
                raise TypeError("arb engine: a full-batch source gave a point step")
            P = compiled[step0.key] = ArbPieces(step0.forms, step0.scale)
            chunk = steps if progress is None else 1000
            if every == 1:     # every row kept: the losses come out of the same loop
                ws.append(x)
                t = 0
                while t < steps:
                    n = min(chunk, steps - t)
                    x = P.run(x, e, n, ws, losses, t)
                    t += n
                    if progress is not None:
                        progress(t)
                losses.append(_check(steps, P.loss(x), "L"))
                ts = list(range(steps + 1))
            else:              # kept rows only: the steps between them compute no loss
                t = 0
                while True:
                    ts.append(t)
                    ws.append(x)
                    losses.append(_check(t, P.loss(x), "L"))
                    if t == steps:
                        break
                    stop = min(steps, t + every - t % every)
                    while t < stop:
                        n = min(max(1, chunk), stop - t)
                        x = P.run(x, e, n, _Last(x), None, t)
                        t += n
                        if progress is not None:
                            progress(t)
        else:
            for t in range(steps + 1):
                keep = t % every == 0 or t == steps
                step = src.step(t)
                if isinstance(step, CellStep):
                    found = compiled.get(step.key)
                    if found is None:
                        found = compiled[step.key] = ArbPieces(step.forms, step.scale)
                    P = found
                    if keep:
                        ts.append(t)
                        ws.append(x)
                    if t == steps:
                        losses.append(_check(t, P.loss(x), "L"))
                        break
                    if keep:
                        lv, x = P.loss_step(x, e)
                        losses.append(_check(t, lv, "L"))
                    else:      # the step alone, as in the full-batch loop (no loss)
                        x = P.run(x, e, 1, _Last(x), None, t)
                    _check(t + 1, x)
                else:
                    a = [arb_from_rational(v) for v in step.a]
                    if keep:
                        ts.append(t)
                        ws.append(x)
                        losses.append(_check(t, batch_loss_arb(a, x, r), "L"))
                    if t == steps:
                        break
                    x = _check(t + 1, batch_step_arb(a, x, e, r))
                if progress is not None:
                    progress(t + 1)
        meta: dict[str, Any] = {"prec": prec, "digits": max(5, int(prec * 0.30103)),
                "straddles": sum(P.straddles for P in compiled.values()),
                "max_rad": str(max(b.rad() for b in ws).str(3))}     # radii are exact: comparisons decided
    return Trajectory("arb", spec, training, ts, ws, losses, meta, ArbFormat(int(meta["digits"])))
