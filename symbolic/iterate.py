"""Exact rational iteration of the derived gradient-descent map.

The GD map of the derivation (:mod:`symbolic.loss`) is, piece by piece,

    Phi(w) = w - eta L'(w)          for w in [w_lo, w_hi)  (the last piece: [w*, oo)),

with L' the derivative of the piece's closed-form loss.  When r is an integer
and eta is rational, every piece of L(w) is a rational function of w with
rational coefficients (the band terms (1/2 - w u)^(r+j+1) are polynomials), so
Phi maps rationals to rationals and

    w_{t+1} = Phi(w_t) = w_t - eta N(w_t) / D(w_t)        (L' = N / D, integer N, D)

can be iterated with no rounding at all.  The piece is chosen by EXACT
comparison of w_t with the rational breakpoints (w_lo <= w_t < w_hi, the
convention of :meth:`symbolic.loss.Derivation.piece_at`).

This is possible only for the first steps: in the asymptotic regime
Phi(w) = w + eta C/w^2 + ..., so a denominator q_t becomes about q_t^3 and the
number of digits triples each step.  :func:`iterate_exact` stops as soon as a
numerator or denominator would exceed ``max_digits`` decimal digits and
reports how many steps it managed and the digit counts of every w_t.

When Phi is not rational (r = 3/2 gives sqrt(2) and sqrt(1/2 - w/2); the exact
ball's loss has pi) exact iteration is impossible and a :class:`InputError`
says why.

:func:`piece_forms` also hands the numeric engines the derived L, L', L'' of
every piece (as sympy expressions, and as integer-coefficient ratios N/D when
they are rational); each engine evaluates them in its own arithmetic.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import gmpy2
import sympy
from gmpy2 import mpq, mpz

from .errors import InputError, NotExactError
from .loss import Derivation, w
from .numbers import as_mpq, rational_text
from .qfield import RationalQW, derivative_qw, integer_pair, rational_function, to_sympy

Q = sympy.Rational

DEFAULT_MAX_DIGITS = 100_000


# ---------------------------------------------------------------- conversions

to_mpq = as_mpq    # the one converter: symbolic.numbers.as_mpq


def digits(n) -> int:
    """Exact number of decimal digits of |n| (1 for 0)."""
    n = abs(mpz(n))
    if n == 0:
        return 1
    k = int(gmpy2.num_digits(n, 10))  # exact or one too large
    return k if n >= mpz(10) ** (k - 1) else k - 1


# ---------------------------------------------------------------- rational functions

def _horner_q(coeffs: Sequence[int], p: mpz, q: mpz) -> mpz:
    """q^deg * poly(p/q) for integer coefficients (highest power first): an exact integer."""
    qpow = mpz(1)
    acc = mpz(coeffs[0])
    for c in coeffs[1:]:
        qpow *= q
        acc = acc * p + c * qpow
    return acc


@dataclass(frozen=True)
class RationalFunction:
    """N(w) / D(w) with integer coefficients, highest power first (Horner order)."""

    num: tuple[int, ...]
    den: tuple[int, ...]

    def __call__(self, x) -> mpq:
        """Exact value at a rational x = p/q: (q^dD N(p/q) q^dN) / (...) homogenised."""
        x = mpq(x)
        p, q = mpz(x.numerator), mpz(x.denominator)
        dn, dd = len(self.num) - 1, len(self.den) - 1
        a = _horner_q(self.num, p, q)          # N(x) = a / q^dn
        b = _horner_q(self.den, p, q)          # D(x) = b / q^dd
        if b == 0:
            raise ZeroDivisionError(f"denominator vanishes at w = {x}")
        if dd >= dn:
            return mpq(a * q ** (dd - dn), b)
        return mpq(a, b * q ** (dn - dd))

    @staticmethod
    def from_qw(f: RationalQW) -> RationalFunction:
        """From N / D in Q(w) (python-flint): the coprime integer pair P / Q, LC(Q) > 0
        (:func:`symbolic.qfield.integer_pair`), which is what :meth:`from_expr` reads off
        ``to_sympy(f)`` (``sympy.fraction`` of cancel's form, scaled by the lcm of the
        coefficients' denominators), without SymPy."""
        p, q = integer_pair(f)
        return RationalFunction(tuple(int(c) for c in reversed(p.coeffs())) or (0,),
                                tuple(int(c) for c in reversed(q.coeffs())))

    @staticmethod
    def from_expr(expr: sympy.Expr, canonical: bool = False) -> RationalFunction:
        """From a rational function of w with rational coefficients (caller checked);
        ``canonical``: ``expr`` is already in ``sympy.cancel``'s lowest-terms form."""
        num, den = sympy.fraction(expr if canonical else sympy.cancel(sympy.together(expr)))
        nc = sympy.Poly(num, w).all_coeffs()
        dc = sympy.Poly(den, w).all_coeffs()
        for c in nc + dc:
            if not c.is_Rational:
                raise InputError(f"non-rational coefficient {c} in {expr}")
        lcm = sympy.ilcm(*[c.q for c in nc + dc])
        return RationalFunction(tuple(int(c * lcm) for c in nc), tuple(int(c * lcm) for c in dc))


def non_rational_parts(expr: sympy.Expr) -> list[str]:
    """Sub-expressions that keep ``expr`` from being a rational function of w over Q."""
    bad: list[str] = []
    for a in sympy.preorder_traversal(expr):
        other_symbol = isinstance(a, sympy.Symbol) and a != w
        constant = isinstance(a, sympy.NumberSymbol) or a is sympy.E
        radical = isinstance(a, sympy.Pow) and not a.exp.is_Integer
        if other_symbol or constant or radical or isinstance(a, (sympy.Function, sympy.Float)):
            bad.append(str(a))
    out: list[str] = []
    for b in bad:
        if b not in out:
            out.append(b)
    return out


# ---------------------------------------------------------------- the pieces

@dataclass(frozen=True)
class PieceForms:
    """One piece of the derived loss on [w_lo, w_hi) (w_hi = None: oo).

    ``loss``, ``grad`` (= L'), ``hess`` (= L'') are sympy expressions in w;
    when the piece is a rational function with rational coefficients,
    ``loss_q``, ``grad_q``, ``hess_q`` are the same as integer ratios N/D, else
    None and ``obstruction`` lists what is not rational.

    ``at_lo``: for a non-rational piece whose formulas cannot be evaluated AT w_lo
    as written (removable singularities: 1/w terms at w_lo = 0 for non-integer r,
    1/sqrt(v) with v(w_lo) = 0 for the exact ball in odd d), the exact one-sided
    limits (L, L', L'') at w_lo+ (None where infinite); else None.
    """

    w_lo: sympy.Rational
    w_hi: sympy.Rational | None
    loss: sympy.Expr
    grad: sympy.Expr
    hess: sympy.Expr
    loss_q: RationalFunction | None
    grad_q: RationalFunction | None
    hess_q: RationalFunction | None
    obstruction: tuple[str, ...] = ()
    at_lo: tuple[sympy.Expr | None, sympy.Expr | None, sympy.Expr | None] | None = None

    @property
    def rational(self) -> bool:
        return self.grad_q is not None

    def interval_text(self) -> str:
        hi = "oo" if self.w_hi is None else rational_text(self.w_hi)
        return f"[{rational_text(self.w_lo)}, {hi})"


def _tidy(expr: sympy.Expr, rational: bool) -> sympy.Expr:
    return sympy.cancel(sympy.together(expr)) if rational else sympy.expand(expr)


def piece_forms(derivation: Derivation) -> list[PieceForms]:
    """L, L', L'' of every piece of the derivation (exact symbolic; see :class:`PieceForms`).

    Computed once per derivation and kept on it (the derivation's pieces do not change
    after :func:`symbolic.loss.derive`): the engines, the exact iteration and
    :func:`require_rational` all ask for them, and SymPy's diff/cancel of a deep network's
    hundred pieces costs seconds each time.  Returns a new list over the shared, frozen
    :class:`PieceForms`.
    """
    cached = derivation.__dict__.get(_CACHE_KEY)
    if cached is None or cached[0] is not derivation.pieces:
        cached = (derivation.pieces, tuple(_compute_piece_forms(derivation)))
        derivation.__dict__[_CACHE_KEY] = cached
    return list(cached[1])


_CACHE_KEY = "_piece_forms_cache"


def _compute_piece_forms(derivation: Derivation) -> list[PieceForms]:
    out = []
    for p in derivation.pieces:
        bad = non_rational_parts(p.expr)
        rational = not bad
        lq = rational_function(p.expr, w) if rational else None
        if lq is not None:
            # L', L'' in Q(w) by (N/D)' = (N'D - ND')/D^2 in flint, then SymPy's canonical form:
            # the same expressions as cancel(together(diff(L))), without SymPy's diff
            gq = derivative_qw(lq)
            loss, grad, hess = to_sympy(lq, w), to_sympy(gq, w), to_sympy(derivative_qw(gq), w)
        else:
            loss = _tidy(p.expr, rational)
            grad = _tidy(sympy.diff(p.expr, w), rational)
            hess = _tidy(sympy.diff(p.expr, w, 2), rational)
        rfs: tuple[RationalFunction | None, RationalFunction | None, RationalFunction | None]
        if lq is not None:
            rfs = (RationalFunction.from_qw(lq), RationalFunction.from_qw(gq),
                   RationalFunction.from_qw(derivative_qw(gq)))
        elif rational:
            rfs = (RationalFunction.from_expr(loss), RationalFunction.from_expr(grad), RationalFunction.from_expr(hess))
        else:
            rfs = (None, None, None)
        w_hi = None if p.w_hi == sympy.oo else Q(p.w_hi)
        at_lo = None if rational else _limits_at(Q(p.w_lo), (loss, grad, hess))
        out.append(PieceForms(Q(p.w_lo), w_hi, loss, grad, hess, rfs[0], rfs[1], rfs[2], tuple(bad),
                              at_lo))
    return out


def _limits_at(a: sympy.Rational, exprs) -> tuple | None:
    """One-sided limits at w = a+ of the expressions, if some cannot be evaluated at a as written."""
    def broken(e):
        v = e.subs(w, a)
        return v.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo) or v.is_finite is False

    if not any(broken(e) for e in exprs):
        return None
    out = []
    for e in exprs:
        lim = sympy.limit(e, w, a, "+") if broken(e) else sympy.simplify(e.subs(w, a))
        out.append(lim if lim.is_finite else None)
    return tuple(out)


def require_rational(derivation: Derivation, forms: Sequence[PieceForms] | None = None) -> list[PieceForms]:
    """The piece forms, or a :class:`InputError` saying why Phi is not rational."""
    forms = list(piece_forms(derivation) if forms is None else forms)
    for f in forms:
        if not f.rational:
            r = derivation.spec.r
            if not r.is_integer:
                why = f" (the loss exponent r = {rational_text(r)} is not an integer)"
            elif any("pi" in b for b in f.obstruction):
                why = " (the loss involves pi, as for the exact ball)"
            else:
                why = ""
            raise InputError(
                f"exact engine: L(w) on {f.interval_text()} is not a rational function of w with rational "
                f"coefficients{why}: it contains {', '.join(f.obstruction[:3])}; Phi(w) = w - eta L'(w) "
                f"does not map rationals to rationals, use --engine mp or arb")
    return forms


def select_piece(forms: Sequence[PieceForms], x) -> int:
    """Index of the piece with w_lo <= x < w_hi, by exact comparison (x rational)."""
    x = mpq(x)
    for k, f in enumerate(forms):
        if to_mpq(f.w_lo) <= x and (f.w_hi is None or x < to_mpq(f.w_hi)):
            return k
    raise NotExactError(f"w = {x} is below {rational_text(forms[0].w_lo)}, where the derived loss starts")


# ---------------------------------------------------------------- iteration

@dataclass
class ExactIteration:
    """Result of :func:`iterate_exact`.

    ``ws[t]`` = w_t exactly (t = 0..steps_done), as gmpy2.mpq; ``num_digits[t]``
    and ``den_digits[t]`` are the decimal digit counts of w_t's numerator and
    denominator; ``pieces[t]`` is the index of the piece of Phi applied to w_t;
    ``complete`` is False when the iteration stopped at ``max_digits``.
    """

    ws: list[mpq]
    num_digits: list[int]
    den_digits: list[int]
    pieces: list[int]
    steps_requested: int
    max_digits: int
    complete: bool = True
    reason: str = ""

    @property
    def steps_done(self) -> int:
        return len(self.ws) - 1

    def digit_growth(self) -> list[float]:
        """den_digits[t+1] / den_digits[t]: tends to 3 in the asymptotic regime."""
        return [b / a for a, b in zip(self.den_digits, self.den_digits[1:])]

    def summary(self) -> str:
        tail = "" if self.complete else f" (stopped: {self.reason})"
        return (f"exact: {self.steps_done} of {self.steps_requested} steps; w_t has up to "
                f"{max(self.num_digits)} / {max(self.den_digits)} digits (numerator / denominator){tail}")


def exact_eta(eta) -> mpq:
    """eta as an exact positive rational (sympy Rational, Fraction, int, mpq or exact text)."""
    if isinstance(eta, str):
        from .numbers import parse_number

        eta = parse_number(eta, "eta")
    if isinstance(eta, sympy.Basic) and not isinstance(eta, sympy.Rational):
        raise InputError(f"exact iteration needs a rational eta, got {eta}")
    e = to_mpq(eta)
    if e <= 0:
        raise InputError(f"eta: must be > 0, got {e}")
    return e


def iterate_exact(derivation: Derivation, eta, w0, steps: int,
                  max_digits: int = DEFAULT_MAX_DIGITS,
                  progress: Callable[[int], None] | None = None) -> ExactIteration:
    """Iterate w_{t+1} = Phi(w_t) = w_t - eta L'(w_t) in exact rationals, up to ``steps`` steps.

    Stops early (``complete = False``) as soon as w_{t+1} would have a numerator
    or denominator of more than ``max_digits`` decimal digits; that value is not
    kept.  Raises :class:`InputError` if Phi is not rational (see
    :func:`require_rational`) or w0 lies below the start of the exact loss.
    """
    if steps < 0:
        raise InputError(f"steps: must be >= 0, got {steps}")
    forms = require_rational(derivation)
    e = exact_eta(eta)
    x = to_mpq(w0)
    out = ExactIteration([x], [digits(x.numerator)], [digits(x.denominator)], [], steps, max_digits)
    for t in range(steps):
        k = select_piece(forms, x)
        grad_q = forms[k].grad_q
        if grad_q is None:      # require_rational returned only rational pieces
            raise InputError(f"exact engine: piece {forms[k].interval_text()} is not rational")
        y = x - e * grad_q(x)
        nd, dd = digits(y.numerator), digits(y.denominator)
        if nd > max_digits or dd > max_digits:
            out.complete = False
            out.reason = f"w_{t + 1} would have {nd} / {dd} digits, over max_digits = {max_digits}"
            break
        out.pieces.append(k)
        out.ws.append(y)
        out.num_digits.append(nd)
        out.den_digits.append(dd)
        x = y
        if progress is not None:
            progress(t + 1)
    return out

