"""The mp engine: gradient descent at a chosen precision with mpmath.

Route 1 (the derived map).  Each piece of the derivation's L, L', L'' (see
:func:`symbolic.iterate.piece_forms`) becomes an mpmath evaluator:

* rational pieces: L' = N/D with integer coefficients, evaluated by Horner in mpf
  (coefficients exact as mpf when they fit the precision);
* other pieces (non-integer r: square roots; pi): a closure tree built by walking
  the sympy expression here (Add, Mul, Pow, numbers, pi, E, a few elementary
  functions) -- never lambdify, never text.

and gradient descent is

    w_{t+1} = w_t - eta * s * L'_k(w_t),     k: w_lo(k) <= w_t < w_hi(k),

with s the step's scale (1, or vol(Omega) for a Lebesgue cyclic slab).  The piece
is chosen by an EXACT comparison of the mpf w_t (a dyadic rational) with the
rational breakpoints: mpf bounds rounded down/up decide almost always, a tie
is settled by converting w_t to an exact rational.  Mini-batches use

    L_B'(w) = -(r/M) sum_i (1/2 - w a_i)_+^(r-1) a_i,     a_i = |g(x_i)| exact, rounded to mpf.

Route 2 (independent).  In 1-D, for targets made of half-lines (intervals, unions),
:func:`mp_gradient_quadrature` is :func:`numeric.mp_forward.forward_quadrature`:
breakpoints found from the weights, and the integrand is the network's head output
against the target's own definition (no regions, no derived error; the cross-check
pair ``mp-quadrature``).  Otherwise (d >= 2, balls) it computes

    L'(w) = - integral r (1/2 - w |g(x)|)_+^(r-1) |g(x)| dmu(x)

by mpmath quadrature over the network's linear regions, with g evaluated by the
network's own forward pass (weights rounded to mpf) at the quadrature nodes; it
never touches the derived L'.  Used to spot-check the derived map.

Precision: ``dps`` significant digits (default 50); pieces that are not rational
are evaluated with ``GUARD`` extra digits (their sums of square roots cancel near
w = 0 and near their breakpoints).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import mpmath
import sympy
from gmpy2 import mpq
from mpmath import mpf

from relu_pointwise.symbolic.errors import InputError, NotExactError
from relu_pointwise.symbolic.iterate import PieceForms, piece_forms, to_mpq
from relu_pointwise.symbolic.limits import DPS_MAX, check_int
from relu_pointwise.symbolic.loss import Derivation
from relu_pointwise.symbolic.spec import Spec, Training

from .evaluator import Backend, compile_expr
from .trajectory import CellStep, StepSource, Trajectory, mpf_to_mpq
from .values import MpFormat

GUARD = 10
DEFAULT_DPS = 50

_FUNCS = {"log": mpmath.log, "exp": mpmath.exp, "asin": mpmath.asin, "acos": mpmath.acos,
          "atan": mpmath.atan, "sin": mpmath.sin, "cos": mpmath.cos, "tan": mpmath.tan,
          "sinh": mpmath.sinh, "cosh": mpmath.cosh, "atanh": mpmath.atanh, "asinh": mpmath.asinh}


# ====================================================================== expression compiler

def _mpq_to_mpf(q) -> mpf:
    q = mpq(q)
    return mpf(int(q.numerator)) / int(q.denominator)


class _MpBackend(Backend):
    """mpf at the precision current when a closure is CALLED (constants: when COMPILED).

    Fractional powers are of quantities that are >= 0 on the piece (the band terms
    1/2 - w u); a value rounded below 0 is clamped to 0.
    """

    name = "mp"
    funcs = _FUNCS

    def rational(self, p, q):
        return mpf(p) / q

    def pi(self):
        return +mpmath.pi

    def e(self):
        return +mpmath.e

    def zero(self):
        return mpf(0)

    def half_power(self, v, p):
        root = mpmath.sqrt(v if v >= 0 else mpf(0))
        return root if p == 1 else 1 / root if p == -1 else root ** p

    def power(self, v, p, q):
        return mpmath.power(v if v >= 0 else mpf(0), mpf(p) / q)


_MP = _MpBackend()


def compile_mp(expr: sympy.Expr) -> Callable[[mpf], mpf]:
    """A closure evaluating ``expr(w)`` in mpf (:func:`numeric.evaluator.compile_expr`);
    compile and evaluate under the same ``mpmath.workdps``."""
    return compile_expr(expr, _MP)


def _horner(coeffs: Sequence[mpf]) -> Callable[[mpf], mpf]:
    c0, rest = coeffs[0], tuple(coeffs[1:])

    def h(x):
        acc = c0
        for c in rest:
            acc = acc * x + c
        return acc
    return h


def _ratio(rf) -> Callable[[mpf], mpf]:
    n = _horner([mpf(c) for c in rf.num])
    if len(rf.den) == 1:
        d0 = mpf(rf.den[0])
        return lambda x: n(x) / d0
    d = _horner([mpf(c) for c in rf.den])
    return lambda x: n(x) / d(x)


# ====================================================================== pieces

class _Bound:
    """A rational breakpoint b with mpf neighbours down <= b <= up, for exact comparisons."""

    __slots__ = ("q", "down", "up")

    def __init__(self, b: sympy.Rational) -> None:
        self.q = to_mpq(b)
        p, qq = int(self.q.numerator), int(self.q.denominator)
        prec = mpmath.mp.prec
        self.down = mpf(mpmath.libmp.from_rational(p, qq, prec, mpmath.libmp.round_floor))
        self.up = mpf(mpmath.libmp.from_rational(p, qq, prec, mpmath.libmp.round_ceiling))

    def le(self, x: mpf) -> bool:
        """b <= x, exactly."""
        if x >= self.up:
            return True
        if x < self.down:
            return False
        return self.q <= mpf_to_mpq(x)


class MpPieces:
    """The pieces of one derivation compiled for mpmath at the current precision.

    Build and use under the same ``mpmath.workdps``.  ``loss(w)``, ``grad(w)``,
    ``hess(w)`` select the piece exactly, then evaluate.
    """

    scale: Any = 1      # the step's weight (cyclic slabs), set by the engine that compiles the pieces

    def __init__(self, forms: Sequence[PieceForms]) -> None:
        self.forms = list(forms)
        self.lo = [_Bound(f.w_lo) for f in self.forms]
        self.hi = [None if f.w_hi is None else _Bound(f.w_hi) for f in self.forms]
        self.rational = all(f.rational for f in self.forms)
        self._loss, self._grad, self._hess = [], [], []
        self._at_lo: list[dict[str, Any] | None] = []
        for f in self.forms:
            if f.rational:
                self._loss.append(_ratio(f.loss_q))
                self._grad.append(_ratio(f.grad_q))
                self._hess.append(_ratio(f.hess_q))
            else:
                self._loss.append(compile_mp(f.loss))
                self._grad.append(compile_mp(f.grad))
                self._hess.append(compile_mp(f.hess))
            if f.at_lo is None:
                self._at_lo.append(None)
            else:  # removable singularities at w_lo: the exact one-sided limits
                self._at_lo.append({name: (None if v is None else compile_mp(v)(mpf(0)))
                                    for name, v in zip(("loss", "grad", "hess"), f.at_lo)})
        self._k = 0

    def index(self, x: mpf) -> int:
        """k with w_lo(k) <= x < w_hi(k), exactly."""
        for k in (self._k, *range(len(self.forms))):
            hi = self.hi[k]
            if self.lo[k].le(x) and (hi is None or not hi.le(x)):
                self._k = k
                return k
        raise NotExactError(f"mp engine: w = {mpmath.nstr(x, 15)} is below {self.forms[0].w_lo}, "
                        f"where the derived loss starts")

    def _eval(self, name: str, table, x: mpf) -> mpf:
        k = self.index(x)
        special = self._at_lo[k]
        if special is not None and self.lo[k].down <= x <= self.lo[k].up and mpf_to_mpq(x) == self.lo[k].q:
            v = special[name]
            if v is None:
                raise InputError(f"mp engine: the derived {name} is not finite at w = {self.forms[k].w_lo}")
            return v
        return table[k](x)

    def loss(self, x: mpf) -> mpf:
        return self._eval("loss", self._loss, x)

    def grad(self, x: mpf) -> mpf:
        return self._eval("grad", self._grad, x)

    def hess(self, x: mpf) -> mpf:
        return self._eval("hess", self._hess, x)


def working_dps(forms: Sequence[PieceForms], dps: int) -> int:
    return dps if all(f.rational for f in forms) else dps + GUARD


def _to_mpf(v) -> mpf:
    if isinstance(v, mpf):
        return v
    if isinstance(v, sympy.Rational) or isinstance(v, int) or isinstance(v, mpq):
        return _mpq_to_mpf(to_mpq(v))
    if isinstance(v, sympy.Basic):
        return compile_mp(v)(mpf(0))
    return mpf(v)


def mp_gradient(derivation: Derivation, wv, dps: int = DEFAULT_DPS) -> mpf:
    """The derived L'(w) evaluated in mpmath at ``dps`` digits."""
    forms = piece_forms(derivation)
    with mpmath.workdps(working_dps(forms, dps)):
        return MpPieces(forms).grad(_to_mpf(wv))


def mp_loss(derivation: Derivation, wv, dps: int = DEFAULT_DPS) -> mpf:
    """The derived L(w) evaluated in mpmath at ``dps`` digits."""
    forms = piece_forms(derivation)
    with mpmath.workdps(working_dps(forms, dps)):
        return MpPieces(forms).loss(_to_mpf(wv))


def mp_trajectory(derivation: Derivation, eta, w0, steps: int, dps: int = DEFAULT_DPS,
                  stop: Callable[[int, mpf], bool] | None = None) -> list[mpf]:
    """w_0..w_steps of w_{t+1} = w_t - eta L'(w_t) at ``dps`` digits (full batch).

    ``stop(t, w_t)`` returning True ends the run after recording w_t.
    """
    forms = piece_forms(derivation)
    with mpmath.workdps(working_dps(forms, dps)):
        P = MpPieces(forms)
        e = _to_mpf(eta)
        x = _to_mpf(w0)
        out = [x]
        if stop is not None and stop(0, x):
            return out
        grad = P.grad
        for t in range(1, steps + 1):
            x = x - e * grad(x)
            out.append(x)
            if stop is not None and stop(t, x):
                break
        return out


# ====================================================================== batches

def batch_gradient_mp(a: Sequence[mpf], x: mpf, r: sympy.Rational) -> mpf:
    """-(r/M) sum_i (1/2 - x a_i)_+^(r-1) a_i in mpf ((0)_+^0 = 0)."""
    half = mpf(1) / 2
    s = mpf(0)
    if r == 2:
        for ai in a:
            e = half - x * ai
            if e > 0:
                s += e * ai
        return -2 * s / len(a)
    rm1 = int(r - 1) if r.is_integer else mpf(int((r - 1).p)) / int((r - 1).q)
    for ai in a:
        e = half - x * ai
        if e > 0:
            s += e ** rm1 * ai
    return -_to_mpf(r) * s / len(a)


def batch_loss_mp(a: Sequence[mpf], x: mpf, r: sympy.Rational) -> mpf:
    """(1/M) sum_i (1/2 - x a_i)_+^r over a_i = |g(x_i)| > 0 in mpf (g = 0: error 0)."""
    half = mpf(1) / 2
    rr = int(r) if r.is_integer else mpf(int(r.p)) / int(r.q)
    s = mpf(0)
    for ai in a:
        if ai == 0:
            continue
        e = half - x * ai
        if e > 0:
            s += e ** rr
    return s / len(a)


def run_mp(spec: Spec, training: Training, steps: int, *, dps: int = DEFAULT_DPS, data: Any = None,
           derivation: Derivation | None = None, source: StepSource | None = None,
           progress: Callable[[int], None] | None = None, record_every: int = 1) -> Trajectory:
    """Gradient descent at ``dps`` digits for every batch variant; rows (t, w_t, L(w_t)) at
    t = 0, record_every, ..., and ``steps`` (the loss is computed at those rows only)."""
    if steps < 0:
        raise InputError(f"steps: must be >= 0, got {steps}")
    check_int(dps, "dps", 5, DPS_MAX)
    every = max(1, int(record_every))
    src = source if source is not None else StepSource(spec, training, steps, data=data, derivation=derivation)
    kind = training.batch.kind
    if kind.population:
        wdps = working_dps(src.cell(0).forms, dps)
    elif kind.slabs:
        wdps = dps if spec.r.is_integer else dps + GUARD
    else:
        wdps = dps
    meta = {"dps": dps, "working_dps": wdps, "backend": mpmath.libmp.BACKEND}
    ts: list[int] = []
    ws: list[mpf] = []
    losses: list[mpf] = []
    with mpmath.workdps(wdps):
        e = _to_mpf(training.eta)
        x = _to_mpf(training.w0)
        compiled: dict[Any, MpPieces] = {}
        r = spec.r
        for t in range(steps + 1):
            keep = t % every == 0 or t == steps
            step = src.step(t)
            if isinstance(step, CellStep):
                P = compiled.get(step.key)
                if P is None:
                    P = compiled[step.key] = MpPieces(step.forms)
                    P.scale = _to_mpf(step.scale)
                if keep:
                    ts.append(t)
                    ws.append(x)
                    losses.append(P.scale * P.loss(x))
                if t == steps:
                    break
                x = x - e * P.scale * P.grad(x)
            else:
                a = [_mpq_to_mpf(v) for v in step.a]
                if keep:
                    ts.append(t)
                    ws.append(x)
                    losses.append(batch_loss_mp(a, x, r))
                if t == steps:
                    break
                x = x - e * batch_gradient_mp(a, x, r)
            if progress is not None:
                progress(t + 1)
    return Trajectory("mp", spec, training, ts, ws, losses, meta, MpFormat(dps))


# ====================================================================== quadrature route

class _MpNet:
    """The network's forward pass in mpf (weights rounded to the current precision)."""

    def __init__(self, network) -> None:
        if "sqnorm" in network.features:
            raise InputError("mp quadrature: the level function is not piecewise linear (|x|^2 feature); "
                            "the region quadrature needs linear regions")
        def cv(q):
            return mpf(int(sympy.Rational(q).p)) / int(sympy.Rational(q).q)

        self.layers = [([[(j, cv(v)) for j, v in enumerate(row) if v != 0] for row in l.weight],
                        [cv(b) for b in l.bias]) for l in network.hidden]
        self.readout = [(j, cv(v)) for j, v in enumerate(network.readout) if v != 0]
        self.c = cv(network.readout_bias)

    def level(self, x: Sequence[mpf]) -> mpf:
        """g(x): hidden ReLU layers, then the linear readout."""
        h = list(x)
        for rows, bias in self.layers:
            nh = []
            for row, b in zip(rows, bias):
                s = b
                for j, v in row:
                    s += v * h[j]
                nh.append(s if s > 0 else mpf(0))
            h = nh
        s = self.c
        for j, v in self.readout:
            s += v * h[j]
        return s


def _gl_rule(n: int):
    X, Wt = mpmath.mp.gauss_quadrature(n, "legendre")
    return [(X[i], Wt[i]) for i in range(n)]


class _Quad:
    """Composite quadrature on [a, b] with given interior breakpoints.

    Integer r: Gauss-Legendre with n nodes on every sub-interval (the integrand is
    a polynomial there, degree < 2n: exact up to rounding).  Otherwise tanh-sinh
    (mpmath.quad), which copes with the (1/2 - w|g|)^(r-1) endpoint behaviour.
    """

    def __init__(self, r: sympy.Rational, n: int) -> None:
        self.integer = r.is_integer
        self.rule = _gl_rule(n) if self.integer else None

    def __call__(self, f: Callable[[mpf], mpf], pts: Sequence[mpf]) -> mpf:
        rule = self.rule           # Gauss-Legendre for integer r, None otherwise
        if rule is None:
            return mpmath.quad(f, list(pts))
        total = mpf(0)
        for a, b in zip(pts, pts[1:]):
            if not b > a:
                continue
            h = (b - a) / 2
            m = (a + b) / 2
            s = mpf(0)
            for xi, wi in rule:
                s += wi * f(m + h * xi)
            total += h * s
        return total


def _kinks(coeff: mpf, const: mpf, levels: Sequence[mpf]) -> list[mpf]:
    """Solutions x of coeff x + const = s for the kink levels s."""
    if not coeff:
        return []
    return [(s - const) / coeff for s in levels]


def _sorted_points(lo: mpf, hi: mpf, extra: Sequence[mpf]) -> list[mpf]:
    inner = sorted(v for v in extra if lo < v < hi)
    out = [lo]
    for v in inner:
        if v > out[-1]:
            out.append(v)
    if hi > out[-1]:
        out.append(hi)
    return out


def mp_gradient_quadrature(spec: Spec, wv, dps: int = DEFAULT_DPS, cells=None,
                           what: str = "gradient") -> mpf:
    """L'(w) = -integral r (1/2 - w|g(x)|)_+^(r-1) |g(x)| dmu by mpmath quadrature (w >= 0).

    Independent of the derived L': the integral is taken over the network's linear
    regions (``cells``, default :func:`symbolic.regions.linear_regions`, the same as
    ``derivation.cells``), with the head kinks g = 0, g = +-1/(2w) as extra
    breakpoints (located from the cell's affine g), and g itself computed by the
    network's forward pass at every node.  ``what="loss"`` integrates
    (1/2 - w|g|)_+^r instead (L(w)).

    d = 1: every cell; d = 2: every convex polygon cell, iterated (x_2 inside x_1;
    the outer breakpoints are the vertices and the crossings of the kink lines with
    the edges); d >= 3: only when every cell is an axis-parallel box (iterated, the
    breakpoints of coordinate k are where a kink plane meets a vertex of the
    remaining box), otherwise a InputError.
    """
    from relu_pointwise.symbolic.regions import linear_regions

    from .mp_forward import _faces, forward_quadrature

    if what not in ("gradient", "loss"):
        raise ValueError("what must be 'gradient' or 'loss'")
    if spec.dim == 1 and cells is None and _faces(spec.target.level) is not None:
        return forward_quadrature(spec, wv, dps, what)
    cells = linear_regions(spec.network, spec.domain) if cells is None else cells
    d = spec.dim
    r = spec.r
    work = dps + GUARD
    with mpmath.workdps(work):
        x_w = _to_mpf(wv)
        if x_w < 0:
            raise InputError("mp quadrature: w must be >= 0")
        net = _MpNet(spec.network)
        half = mpf(1) / 2
        r_m = _to_mpf(r)
        rm1 = int(r - 1) if r.is_integer else _to_mpf(r - 1)
        rr = int(r) if r.is_integer else r_m
        levels = [mpf(0)] + ([half / x_w, -half / x_w] if x_w > 0 else [])
        n_nodes = (int(r) + d) // 2 + 2 if r.is_integer else 0
        quad = _Quad(r, n_nodes)

        def integrand(x: Sequence[mpf]) -> mpf:
            g = abs(net.level(x))
            e = half - x_w * g
            if e <= 0:
                return mpf(0)
            if what == "loss":
                return e ** rr
            if rm1 == 0:
                return r_m * g
            return r_m * e ** rm1 * g

        total = mpf(0)
        if d == 1:
            for cell in cells:
                a, b = cell.interval()
                a, b = _to_mpf(a), _to_mpf(b)
                ks = _kinks(_to_mpf(cell.g_coeffs[0]), _to_mpf(cell.g_const), levels)
                total += quad(lambda t: integrand((t,)), _sorted_points(a, b, ks))
        elif d == 2:
            for cell in cells:
                total += _polygon_integral(cell, integrand, levels, quad)
        else:
            if not all(c.poly.is_box() for c in cells):
                raise InputError(f"mp quadrature: in d = {d} the route is implemented for box-shaped "
                                f"linear regions only (this target has non-box regions); it is 1-D/2-D only here")
            for cell in cells:
                total += _box_integral(cell, integrand, levels, quad)
        total *= _to_mpf(spec.density)
        out = -total if what == "gradient" else total
    return out


def _polygon_integral(cell, integrand, levels, quad) -> mpf:
    """Iterated integral over a convex polygon: x_2 inner, x_1 outer."""
    cons = [([_mpq_to_mpf(a[0]), _mpq_to_mpf(a[1])], _mpq_to_mpf(c)) for a, c in cell.poly.constraints]
    verts = [(_mpq_to_mpf(v[0]), _mpq_to_mpf(v[1])) for v in cell.poly.ordered_vertices_2d()]
    g1, g2, gc = (_to_mpf(cell.g_coeffs[0]), _to_mpf(cell.g_coeffs[1]), _to_mpf(cell.g_const))
    x1s = [v[0] for v in verts]
    lo1, hi1 = min(x1s), max(x1s)
    outer = list(x1s)
    n = len(verts)
    for s in levels:
        if not g2:
            if g1:
                outer.append((s - gc) / g1)
            continue
        # crossings of the kink line g1 x1 + g2 x2 + gc = s with the polygon's edges
        for i in range(n):
            (ax, ay), (bx, by) = verts[i], verts[(i + 1) % n]
            fa = g1 * ax + g2 * ay + gc - s
            fb = g1 * bx + g2 * by + gc - s
            if (fa < 0 < fb) or (fb < 0 < fa):
                lam = fa / (fa - fb)
                outer.append(ax + lam * (bx - ax))

    def inner(x1: mpf) -> mpf:
        lo2, hi2 = None, None
        for (a1, a2), c in cons:
            if not a2:
                continue
            bound = (c - a1 * x1) / a2
            if a2 > 0:
                hi2 = bound if hi2 is None or bound < hi2 else hi2
            else:
                lo2 = bound if lo2 is None or bound > lo2 else lo2
        if lo2 is None or hi2 is None or not hi2 > lo2:
            return mpf(0)
        ks = _kinks(g2, gc + g1 * x1, levels)
        return quad(lambda x2: integrand((x1, x2)), _sorted_points(lo2, hi2, ks))

    return quad(inner, _sorted_points(lo1, hi1, outer))


def _box_integral(cell, integrand, levels, quad) -> mpf:
    """Iterated integral over a box cell in any d (coordinate k inside coordinates < k)."""
    import itertools

    verts = cell.poly.vertices
    lo = [_mpq_to_mpf(min(v[j] for v in verts)) for j in range(len(verts[0]))]
    hi = [_mpq_to_mpf(max(v[j] for v in verts)) for j in range(len(verts[0]))]
    a = [_to_mpf(v) for v in cell.g_coeffs]
    c = _to_mpf(cell.g_const)
    d = len(lo)

    def level(k: int, prefix: list[mpf]) -> mpf:
        # breakpoints in x_k: a kink plane a.x + c = s through a vertex of the remaining box
        fixed = c + sum((a[j] * prefix[j] for j in range(k)), mpf(0))
        extra = []
        if a[k]:
            for corner in itertools.product(*[(lo[j], hi[j]) for j in range(k + 1, d)]):
                rest = sum((a[j] * v for j, v in zip(range(k + 1, d), corner)), mpf(0))
                extra += [(s - fixed - rest) / a[k] for s in levels]
        pts = _sorted_points(lo[k], hi[k], extra)
        if k == d - 1:
            return quad(lambda t: integrand(prefix + [t]), pts)
        return quad(lambda t: level(k + 1, prefix + [t]), pts)

    return level(0, [])
