"""The cross-check of the four engines (DESIGN section 5, issue 3).

``crosscheck(spec, training, steps)`` runs the exact, mp, arb and np engines on the
same spec, training and batches (:mod:`numeric.batches`; the exact/mp/arb engines
share one :class:`numeric.trajectory.StepSource` as INPUT) and compares them pair by
pair.  Every pair states the largest discrepancy, the bound it was held to, how that
bound was derived, and pass/fail.  ``pointwise crosscheck`` prints the report (JSON)
and exits 0 only if every pair passes.

Pairs
-----
``exact-mp`` (steps the exact engine manages):  |w_t^exact - w_t^mp| <= 10^-(dps-3)
max(1, |w_t|) max(1, n/100).  mp works with a relative unit roundoff below 10^-dps;
one step w - eta s L'(w) costs a handful of roundings (Horner for L', one product,
one subtraction: <= 10 units of 10^-dps relative to max(1, |w|)), and the errors do
not grow (|Phi'| <= 1 where eta L'' <= 2, checked by the mp-np pair below), so n
steps stay below 10 n 10^-dps <= 10^-(dps-3) for n <= 100.

``arb-contains-mp`` (every step): the exact rational value of the mp float w_t^mp
lies in the Arb ball of w_t (decided exactly by :func:`numeric.arb_engine.contains_rational`).
Not a difference: a containment.  Since the true w_t lies in the ball too,
|w_t^mp - w_t| <= diam(ball_t) =: m_t; the mp-np pair uses m_t.

``mp-np`` (every step): |w_t^np - w_t^mp| <= E_t + m_t, with E_t a bound on the
distance of the float64 trajectory from the TRUE trajectory, derived as follows.

* One float step.  np computes ŵ_{t+1} = fl(ŵ_t - fl(fl(eta) Ĝ)), Ĝ its gradient at
  ŵ_t with |Ĝ - L'(ŵ_t)| <= eps_grad.  With |ε_i| <= u = 2^-53 for the three
  roundings (eta to double, the product, the subtraction):

      |ŵ_{t+1} - Phi(ŵ_t)| <= delta_t = u |ŵ_t| + k u eta |L'|max + (1+u)^3 eta eps_grad,
      k = 3 + 3u + u^2,

  (the eta- and product roundings give (2u + u^2) eta |L'|, the subtraction's
  rounding of |p| = eta(1+u)^2(|L'| + eps_grad) gives the rest).  |L'|max is |L'| at
  the left end w_l of the segment I_t = [w_t^mp - m_t - E_t, w_t^mp + m_t + E_t] that
  holds both ŵ_t and the true w_t: L' <= 0 is nondecreasing (L is convex), so |L'|
  is largest there.
* Propagation.  |Phi(ŵ_t) - Phi(w_t)| <= lambda_t |ŵ_t - w_t| with lambda_t the
  sup of |1 - eta s| over the secant slopes s of L' on I_t; s lies in [0, S_t],
  S_t = sup of L'' on I_t (L convex: L'' >= 0), so lambda_t = 1 when eta S_t <= 2
  and eta S_t - 1 otherwise.  For integer r >= 2 (and every r >= 2 for point
  batches) L''(w) = integral r(r-1)(1/2 - w|g|)_+^(r-2) g^2 dmu is nonincreasing in w,
  so S_t = L''(w_l) (right-sided).  For r < 2 L'' is not monotone (and a batch's L'
  jumps for r = 1), so instead |Phi(a) - Phi(b)| <= max(|a - b|, eta |L'(a) - L'(b)|)
  (the two terms of Phi(a) - Phi(b) have the same sign because L' is nondecreasing)
  gives E_t -> max(E_t, eta (L'(w_r) - L'(w_l))).
* Hence E_{t+1} = (lambda_t E_t + delta_t)(1 + 4u) (the last factor covers the
  rounding of this recursion itself), E_0 = |fl(w_0) - w_0|, i.e.
  e_T <= sum_t delta_t prod_{s>t} lambda_s.

eps_grad (the np gradient's error, :class:`FloatErrorModel`).  The np engine's
full-batch rule is exact for integer r (Gauss-Legendre on pieces where the integrand
is a polynomial), so its error is rounding: (a) the level value at a node is off by
at most dg = k_g u G_abs, G_abs = the forward pass with |weights|, |biases| at the
domain's farthest corner (an exact rational; it bounds |h| of every layer), k_g from
the operation count (forward pass K_net = sum over layers of (fan-in + 1) roundings,
the affine interpolation of g along a piece and the node positions); (b) the head's
error e = f - f° is off by at most de = 8u (pre = w g + b, f = pre_0 - pre_1, e = f - f°:
each rounding relative to a sum of magnitudes <= 2); (c) the terms of the quadrature
sum all have the same sign (the integrand of L' is -r(1/2 - w|g|)_+^(r-1)|g| <= 0), so
summing n of them with ~10 roundings each errs by at most (n + 10) u |sum|.  With
v = 1/2 - w|g| (|ê - v| <= dv = w dg + de) a point's integrand r |e|^(r-1) |g| changes by
at most r (v+dv)^(r-1) dg + r (|g| + dg) psi_r(v, dv), psi_r the modulus of
x -> x_+^(r-1) ((r-1)(v+dv)^(r-2) dv for r >= 2; for r = 1 a jump of 1 within dv of the
band edge v = 0), and only points with v >= -dv (the band {|g| < 1/(2w) + dg})
contribute at all (outside it both head units agree, dpre = 0 exactly).  Integrated:
the band's mass from the derivation's density of |g| (:attr:`Derivation.abs_density`),
or, for a batch, exactly per point.  For the curved (|x|^2) method the np engine's own
n-versus-2n estimate (:func:`numeric.np_engine.np_gradient_error`) is added -- an
estimate, not a bound (said in the report).  Non-integer r with full/cyclic batches:
the np engine's graded rule carries no error bound, so the pair is ``undecided``.

Non-vacuity: the report gives, next to the bound, how far an off-by-one step
(|w_T - w_(T-1)|) and an eta off by one part in 10^6 (first-order sensitivity
dw_T/d eta from s_(t+1) = (1 - eta L''(w_t)) s_t - L'(w_t)) would move w_T.

``np-gradient`` (a few w along the path): the np gradient (full batch, slab, or the
step's points) against the derived L'(w) (mp, ``dps`` digits) at the same float w,
held to eps_grad(w) + 10^-(dps-3) |L'(w)|.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Sequence

import mpmath
import numpy as np
import sympy
from gmpy2 import mpq
from mpmath import mpf

from relu_pointwise.symbolic.errors import SpecError
from relu_pointwise.symbolic.iterate import to_mpq
from relu_pointwise.symbolic.numbers import rational_text
from relu_pointwise.symbolic.pushforward import PiecewisePoly
from relu_pointwise.symbolic.spec import Spec, Training

from .trajectory import PointStep, StepSource, Trajectory, mpf_to_mpq

__all__ = ["crosscheck", "FloatErrorModel", "CachingSource", "U"]

U = 2.0 ** -53                  # float64 unit roundoff
AUX_DPS = 30                    # precision of the auxiliary L', L'' evaluations in the bound
DEFAULT_BATCH_EXACT_STEPS = 25  # exact engine on point batches: digits grow linearly, cap the steps
_CACHE_VALUES = 2_000_000       # cache at most this many exact |g(x_i)| in CachingSource


# ====================================================================== helpers

def _up(x: float) -> float:
    """x rounded one ulp towards +inf (for upper bounds computed in floats)."""
    return math.nextafter(x, math.inf)


def _num(x: Any) -> Any:
    """A JSON-safe number: floats stay floats, non-finite become strings."""
    if x is None:
        return None
    if isinstance(x, (mpf, mpq, Fraction)):
        x = float(x)
    if isinstance(x, float) and not math.isfinite(x):
        return "inf" if x > 0 else ("-inf" if x < 0 else "nan")
    return x


def _mpq_float_up(q: mpq) -> float:
    """A float >= q (q >= 0)."""
    f = float(q)
    return f if mpq(f) >= q else _up(f)


class CachingSource(StepSource):
    """A :class:`StepSource` that keeps the exact |g(x_i)| of point batches (bounded),
    so the exact, mp and arb engines and the cross-check's bound read each step's
    levels once.  Shared INPUT, not results (trajectory module docstring)."""

    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        self._batches: dict[int, PointStep] = {}
        self._cached_values = 0

    def batch(self, t: int) -> PointStep:
        b = self._batches.get(t)
        if b is None:
            b = super().batch(t)
            if self._cached_values + len(b.a) <= _CACHE_VALUES:
                self._batches[t] = b
                self._cached_values += len(b.a)
        return b


# ====================================================================== the float error model

def _abs_forward_bound(spec: Spec) -> tuple[sympy.Rational, int]:
    """(G_abs, K_net): the forward pass with |weights| at the domain's farthest corner, and
    the number of roundings on the longest path of the float forward pass.

    With a_0 = |x| (and |x|^2), a_l = |W_l| a_(l-1) + |b_l|, G_abs = |v| . a_L + |c|:
    |h_l(x)| <= a_l for every x in the domain (ReLU is 1-Lipschitz with sigma(0) = 0), and
    a dot product of length n plus a bias rounds with relative error <= gamma_(n+1) of the
    magnitudes, so |fl(g(x)) - g(x)| <= gamma_(K_net) G_abs to first order.
    """
    net = spec.network
    corner = [max(abs(sympy.Rational(a)), abs(sympy.Rational(b))) for a, b in zip(spec.domain.lo, spec.domain.hi)]
    a = list(corner)
    k = 0
    if "sqnorm" in net.features:
        a.append(sum((c * c for c in corner), sympy.Integer(0)))
        k += len(corner) + 1
    for layer in net.hidden:
        a = [sum((abs(wij) * aj for wij, aj in zip(row, a)), sympy.Integer(0)) + abs(b)
             for row, b in zip(layer.weight, layer.bias)]
        k += len(layer.weight[0]) + 1 if layer.weight else 1
    g_abs = sum((abs(v) * aj for v, aj in zip(net.readout, a)), sympy.Integer(0)) + abs(net.readout_bias)
    k += len(net.readout) + 1
    return sympy.Rational(g_abs), k


class BandMass:
    """Upper bounds for the measure of {|g| < s} and for the density of |g| near s, from the
    derivation's exact density of |g| (a PiecewisePoly); without one, the total mass."""

    def __init__(self, derivation, total_mass: float) -> None:
        rho = getattr(derivation, "abs_density", None)
        self.total = total_mass
        self.ok = isinstance(rho, PiecewisePoly)
        if not self.ok:
            return
        self.breaks = [float(b) for b in rho.breaks]
        self.coef = [[float(c) for c in cs] for cs in rho.coeffs]
        self.abscoef = [[abs(c) for c in cs] for cs in self.coef]
        cum = [sympy.Integer(0)]
        for j, cs in enumerate(rho.coeffs):
            a, b = rho.breaks[j], rho.breaks[j + 1]
            cum.append(cum[-1] + sum((c * (b ** (k + 1) - a ** (k + 1)) / (k + 1) for k, c in enumerate(cs)),
                                     sympy.Integer(0)))
        self.cum = [float(c) for c in cum]
        self.total = min(self.total, _up(self.cum[-1]) * (1 + 1e-12))

    def mass_below(self, s: float) -> float:
        """An upper bound on mu{|g| < s}."""
        if not self.ok or not math.isfinite(s):
            return self.total
        if s <= self.breaks[0]:
            return 0.0
        out = self.cum[-1]
        for j in range(len(self.coef)):
            a, b = self.breaks[j], self.breaks[j + 1]
            if s < b:
                # cum[j] + integral_a^s poly_j, with an absolute slack for the float evaluation
                part = slack = 0.0
                for k, (c, ac) in enumerate(zip(self.coef[j], self.abscoef[j]), start=1):
                    sk, ak = s ** k, a ** k
                    part += c * (sk - ak) / k
                    slack += ac * (abs(sk) + abs(ak)) / k
                out = self.cum[j] + part + 16 * U * slack
                break
        return min(self.total, max(0.0, out) * (1 + 1e-12))

    def density_sup(self, lo: float, hi: float) -> float:
        """An upper bound on the density of |g| on [lo, hi]."""
        if not self.ok:
            return math.inf
        best = 0.0
        m = max(abs(lo), abs(hi))
        for j in range(len(self.coef)):
            a, b = self.breaks[j], self.breaks[j + 1]
            if b < lo or a > hi:
                continue
            best = max(best, sum(ac * m ** k for k, ac in enumerate(self.abscoef[j])))
        return best * (1 + 1e-12)


@dataclass
class FloatErrorModel:
    """A priori bounds on the np engine's gradient error (module docstring, eps_grad)."""

    r: float
    r_integer: bool
    G_abs: float
    K_net: int
    k_g_full: int
    k_g_batch: int
    k_e: int = 8
    k_term: int = 10
    method: str = "lines"

    @staticmethod
    def for_spec(spec: Spec, method: str, n_neurons: int) -> "FloatErrorModel":
        g_abs, k_net = _abs_forward_bound(spec)
        # full batch: c0 = g(ta) (K), c1 = g(tb) - g(ta) (2K + 1), g = c0 + c1 s (2), the node
        # s = Bl + Ls x (2 roundings of s in [0, 1], times |c1| <= 2 G_abs: 4), the piece ends
        # from float roots (a kink misplaced by <= K u breaks the affine model by <= K u G_abs):
        # 4K + 10; simplices also interpolate g onto new vertices (<= 3 roundings per split,
        # one split per neuron and head level).
        k_full = 4 * k_net + 10 + (3 * (n_neurons + 2) if method != "lines" else 0)
        return FloatErrorModel(float(spec.r), bool(spec.r.is_integer), _up(float(g_abs)), k_net,
                               k_full, k_net + 1, method=method)

    def numbers(self) -> dict[str, Any]:
        return {"u": U, "G_abs": self.G_abs, "K_net": self.K_net, "k_g_full": self.k_g_full,
                "k_g_batch": self.k_g_batch, "k_e": self.k_e, "k_term": self.k_term}

    def _point_terms(self, w: float, a: np.ndarray, dg: float) -> np.ndarray:
        """Per-point bound on |F_np - F| for levels a = |g| (vectorized; a may be an array of sups)."""
        r = self.r
        de = self.k_e * U
        dv = w * dg + de
        v = 0.5 - w * a
        live = v >= -dv
        vp = np.maximum(v, 0.0) + dv
        t1 = r * vp ** (r - 1.0) * dg if r != 1.0 else np.full_like(a, dg)
        if r >= 2.0:
            psi = (r - 1.0) * vp ** (r - 2.0) * dv
        elif r == 1.0:
            psi = (np.abs(v) <= dv).astype(np.float64)
        else:
            hold = dv ** (r - 1.0)
            with np.errstate(divide="ignore"):
                mv = np.where(v > dv, (r - 1.0) * np.maximum(v - dv, 1e-300) ** (r - 2.0) * dv, np.inf)
            psi = np.minimum(hold, mv)
        t2 = r * (a + dg) * psi
        return np.where(live, t1 + t2, 0.0)

    def eps_batch(self, w: float, a: np.ndarray, lp: float) -> float:
        """Bound on |np batch gradient - L_B'(w)| for levels a (float, |a - a_exact| tiny)."""
        M = a.shape[0]
        dg = self.k_g_batch * U * self.G_abs + 2 * U * float(a.max(initial=0.0))
        pert = float(self._point_terms(w, a, dg).sum()) / M
        return _up((pert + (M + self.k_term) * U * (lp + pert)) * (1 + 1e-9))

    def eps_full(self, w: float, band: BandMass, lp: float, scale: float, n_terms: int,
                 extra: float = 0.0) -> float:
        """Bound on |np full-batch (or slab) gradient - scale L'(w)|, integer r."""
        r = self.r
        dg = self.k_g_full * U * self.G_abs
        de = self.k_e * U
        dv = w * dg + de
        c = math.inf if w == 0.0 else 0.5 / w
        reach = c + dv / w + dg if w > 0 else math.inf      # live points: v >= -dv, |g| <= (1/2 + dv)/w
        mass = band.mass_below(reach)
        amax = min(reach, self.G_abs)
        vp = 0.5 + dv
        t1 = r * vp ** (r - 1.0) * dg
        if r >= 2.0:
            t2 = r * amax * (r - 1.0) * vp ** (r - 2.0) * dv
            edge = 0.0
        else:   # r = 1: the jump at the band edge, on {| |g| - c | <= dv / w}
            t2 = 0.0
            if w > 0:
                win = dv / w
                edge = r * (c + dg) * 2 * win * band.density_sup(c - win, c + win)
            else:
                edge = 0.0
        pert = scale * (mass * (t1 + t2) + edge)
        return _up((pert + (n_terms + self.k_term) * U * (lp + pert) + extra) * (1 + 1e-9))


# ====================================================================== the per-step derived quantities

class _DerivedStep:
    """L'(w), L''(w) of step t's loss (derived pieces in mp at AUX_DPS, or the batch formulas
    with the exact levels in float with a rounding slack); all as floats (upper bounds)."""

    def __init__(self, spec: Spec, source: StepSource, model: FloatErrorModel) -> None:
        from .mp_engine import MpPieces

        self.spec = spec
        self.source = source
        self.model = model
        self.r = float(spec.r)
        self._MpPieces = MpPieces
        self._pieces: dict[Any, Any] = {}
        self._band: dict[Any, BandMass] = {}
        self._a: tuple[int, np.ndarray] | None = None
        total = 1.0 if spec.measure == "probability" else float(spec.domain.volume)
        self._total_full = total

    def cell(self, t: int):
        step = self.source.cell(t)
        P = self._pieces.get(step.key)
        if P is None:
            with mpmath.workdps(AUX_DPS):
                P = self._MpPieces(step.forms)
            self._pieces[step.key] = P
            tot = self._total_full if self.source.kind == "full" else 1.0
            self._band[step.key] = BandMass(step.derivation, tot)
        return step, P, self._band[step.key]

    def levels(self, t: int) -> np.ndarray:
        if self._a is not None and self._a[0] == t:
            return self._a[1]
        step = self.source.batch(t)
        a = np.array([float(v) for v in step.a], dtype=np.float64)
        self._a = (t, a)
        return a

    def full_grad_hess(self, t: int, w: mpf, want_hess: bool) -> tuple[float, float | None]:
        """(scale L'(w), scale L''(w)) of a full/cyclic step, as floats."""
        step, P, _ = self.cell(t)
        lo = mpf(float(step.forms[0].w_lo))
        if w < lo:     # the derivation starts at w_lo (0 unless exact_from > 0): clip the segment there
            w = lo
        with mpmath.workdps(AUX_DPS):
            s = float(step.scale)
            gp = float(P.grad(w)) * s * (1 + 1e-12)
            hs = float(P.hess(w)) * s * (1 + 1e-12) if want_hess else None
        return gp, hs

    def batch_grad_hess(self, t: int, w: float, want_hess: bool) -> tuple[float, float | None, float]:
        """(L_B'(w), L_B''(w) right-sided, slack) of a point batch, floats with rounding slack."""
        a = self.levels(t)
        r = self.r
        M = a.shape[0]
        v = 0.5 - w * a
        pos = v > 0
        vp = np.where(pos, v, 0.0)
        slack = (M + 8) * U
        if r == 1.0:
            gsum = float(np.sum(np.where(pos, a, 0.0)))
        else:
            gsum = float(np.sum(vp ** (r - 1.0) * a))
        amax = float(a.max(initial=0.0))
        gp = -(r * gsum / M * (1 + slack) + 8 * U * r * amax)
        hs = None
        if want_hess:
            hsum = float(np.sum(np.where(pos, vp ** (r - 2.0) if r != 2.0 else 1.0, 0.0) * a * a))
            hs = r * (r - 1.0) * hsum / M * (1 + slack) + 8 * U * r * amax * amax
        return gp, hs, slack


# ====================================================================== pairs

def _pair_exact_mp(exact: Trajectory | None, mp: Trajectory, dps: int, note: str) -> dict[str, Any]:
    if exact is None:
        return {"pair": "exact-mp", "kind": "difference", "status": "skipped", "pass": None,
                "reason": note}
    n = len(exact.ws)
    worst, worst_t, worst_ratio, ok = mpq(0), 0, 0.0, True
    factor = max(1.0, (n - 1) / 100.0)
    base = mpq(1, 10 ** (dps - 3))
    bound_last = None
    for t in range(n):
        xe = exact.ws[t]
        d = abs(xe - mpf_to_mpq(mp.ws[t]))
        b = base * max(mpq(1), abs(xe)) * mpq(Fraction(factor))
        if d > b:
            ok = False
        ratio = float(d / b)
        if ratio >= worst_ratio:
            worst_ratio, worst, worst_t = ratio, d, t
        bound_last = b
    return {
        "pair": "exact-mp", "kind": "difference", "status": "checked",
        "steps_compared": n - 1,
        "exact_steps_note": note,
        "max_difference": _num(float(worst)), "at_step": worst_t,
        "bound": _num(float(base * mpq(Fraction(factor)))),
        "bound_formula": "10^-(dps-3) * max(1, |w_t|) * max(1, n/100)",
        "bound_at_last_step": _num(float(bound_last)) if bound_last is not None else None,
        "max_difference_over_bound": worst_ratio,
        "derivation": (f"mp carries dps = {dps} digits: each step w - eta s L'(w) commits a few relative "
                       f"roundings (<= 10 units of 10^-{dps} relative to max(1, |w|): Horner for L', one "
                       f"product, one subtraction), and errors do not grow where eta L'' <= 2 (checked in "
                       f"mp-np), so n steps stay below 10 n 10^-{dps} <= 10^-{dps - 3} for n <= 100; "
                       f"the exact engine is exact."),
        "numbers": {"dps": dps, "n": n - 1},
        "pass": ok,
    }


def _pair_arb_mp(arb: Trajectory, mp: Trajectory) -> tuple[dict[str, Any], list[float]]:
    from .arb_engine import ball_bounds

    n = min(len(arb.ws), len(mp.ws))
    fails = []
    diam: list[float] = []
    max_rad = mpq(0)
    for t in range(n):
        lo, hi = ball_bounds(arb.ws[t])
        q = mpf_to_mpq(mp.ws[t])
        inside = lo <= q <= hi
        if not inside:
            fails.append(t)
            diam.append(math.inf)
        else:
            diam.append(_mpq_float_up(hi - lo))
        if (hi - lo) / 2 > max_rad:
            max_rad = (hi - lo) / 2
    ok = not fails and len(arb.ws) == len(mp.ws)
    return {
        "pair": "arb-contains-mp", "kind": "containment", "status": "checked",
        "steps_checked": n,
        "failures": len(fails), "first_failures": fails[:5],
        "max_radius": _num(float(max_rad)),
        "bound": "containment: lo_t <= w_t^mp <= hi_t exactly (no tolerance)",
        "derivation": ("Arb balls are rigorous enclosures of the true w_t; the mp value (a dyadic rational) "
                       "must lie in the ball, decided by exact rational comparison with the ball's exact "
                       "endpoints mid -+ rad. Both in the ball gives |w_t^mp - w_t| <= diam(ball_t), used "
                       "by mp-np."),
        "numbers": {"prec_bits": arb.meta.get("prec"), "straddled_breakpoints": arb.meta.get("straddles")},
        "pass": ok,
    }, diam


def _float_trajectory(np_ws: Sequence[float]) -> np.ndarray:
    return np.asarray(np_ws, dtype=np.float64)


def _pair_mp_np(spec: Spec, training: Training, steps: int, mp: Trajectory, np_w: np.ndarray,
                diam: list[float], derived: _DerivedStep, model: FloatErrorModel, np_info: dict,
                progress: Callable[[int], None] | None) -> dict[str, Any]:
    kind = training.batch.kind
    points = kind in ("sampled", "dataset")
    r = model.r
    r_ge2 = r >= 2.0
    if not points and not model.r_integer:
        return {"pair": "mp-np", "kind": "difference", "status": "undecided", "pass": False,
                "reason": (f"r = {rational_text(spec.r)} is not an integer: the np engine's full-batch rule "
                           f"(composite graded Gauss-Legendre) carries no error bound, so no bound for "
                           f"mp-np can be derived"),
                "max_difference": _num(float(max(abs(mpf(x) - y) for x, y in zip(np_w.tolist(), mp.ws))))}
    if np_w.shape[0] != len(mp.ws):
        return {"pair": "mp-np", "kind": "difference", "status": "checked", "pass": False,
                "reason": f"np returned {np_w.shape[0]} values of w_t, mp {len(mp.ws)}"}
    eta_q = to_mpq(training.eta)
    eta = float(eta_q)
    eta_up = _up(eta) if mpq(eta) < eta_q else eta
    w0q = to_mpq(training.w0)
    E = _mpq_float_up(abs(mpq(float(w0q)) - w0q))           # E_0 = |fl(w_0) - w_0|
    iterated = np_info.get("method") == "iterated"
    from .np_engine import np_gradient_error

    worst_ratio, worst_t, worst_diff = -1.0, 0, 0.0
    max_d = 0.0
    fail_steps: list[int] = []
    max_lambda, n_over = 1.0, 0
    sum_w = sum_l = sum_e = 0.0
    sens = 0.0
    sens_ok = r_ge2
    lower = float(0)
    last_bound = 0.0
    for t in range(steps + 1):
        wm = mp.ws[t]
        wf = float(np_w[t])
        m_t = diam[t] if t < len(diam) else math.inf
        with mpmath.workdps(int(mp.meta.get("working_dps", 50)) + 5):
            d = float(abs(mpf(wf) - wm))
        tol = _up(E + m_t)
        if not d <= tol:
            fail_steps.append(t)
        max_d = max(max_d, d)
        ratio = d / tol if tol > 0 else (0.0 if d == 0 else math.inf)
        if ratio > worst_ratio:
            worst_ratio, worst_t, worst_diff = ratio, t, d
        last_bound = tol
        if t == steps:
            break
        half = E + m_t
        w_mid = float(wm)
        w_l = max(lower, w_mid - half * (1 + 4 * U) - 2 * U * abs(w_mid))
        w_r = w_mid + half * (1 + 4 * U) + 2 * U * abs(w_mid)
        # ---- derived |L'| at w_l, L'' (r >= 2) or L'(w_r) (r < 2)
        if points:
            gp_l, hs, _ = derived.batch_grad_hess(t, w_l, r_ge2)
            lp = abs(gp_l)
            a = derived.levels(t)
            eps = model.eps_batch(w_l, a, lp)
            gp_r = derived.batch_grad_hess(t, w_r, False)[0] if not r_ge2 else None
        else:
            gp_l, hs = derived.full_grad_hess(t, mpf(w_l), r_ge2)
            lp = abs(gp_l)
            step, _, band = derived.cell(t)
            scale = float(step.scale)
            lo_hi = (None, None, 1.0) if kind == "full" else (*derived.source.schedule.cell(t), float(derived.source.schedule.K))
            n_terms = np_info["n_terms"](lo_hi)
            extra = 0.0
            if iterated:
                extra = abs(np_gradient_error(spec, wf)[1])
            eps = model.eps_full(w_l, band, lp, scale, n_terms, extra)
            gp_r = derived.full_grad_hess(t, mpf(w_r), False)[0] if not r_ge2 else None
        # ---- propagation
        if r_ge2:
            S = max(0.0, hs)
            lam = 1.0 if eta_up * S <= 2.0 else eta_up * S - 1.0
            if eta_up * S > 2.0:
                n_over += 1
            max_lambda = max(max_lambda, lam)
            prop = lam * E
            sens = (1.0 - eta * S) * sens - gp_l      # d w_t / d eta, first order (informative)
        else:
            prop = max(E, eta_up * (abs(gp_r - gp_l) + 4 * U * (abs(gp_r) + abs(gp_l))) * (1 + 1e-9))
        kk = 3.0 + 3.0 * U + U * U
        dw = U * abs(wf)
        dl = kk * U * eta_up * lp
        de_ = (1 + U) ** 3 * eta_up * eps
        sum_w += dw
        sum_l += dl
        sum_e += de_
        E = _up((prop + dw + dl + de_) * (1 + 4 * U))
        if progress is not None:
            progress(t + 1)
    ok = not fail_steps
    off_by_one = float(abs(mp.ws[-1] - mp.ws[-2])) if len(mp.ws) >= 2 else None
    eta_shift = abs(sens) * eta * 1e-6 if sens_ok else None
    final_bound = last_bound
    nonvac = {
        "off_by_one_step_shift": _num(off_by_one),
        "eta_times_(1+1e-6)_shift": _num(eta_shift),
        "bound_below_off_by_one": (off_by_one is not None and final_bound < off_by_one),
        "bound_below_eta_shift": (eta_shift is not None and final_bound < eta_shift) if sens_ok else None,
    }
    return {
        "pair": "mp-np", "kind": "difference", "status": "checked",
        "steps_compared": steps,
        "max_difference": _num(max_d),
        "max_difference_over_bound": _num(worst_ratio), "at_step": worst_t,
        "difference_at_that_step": _num(worst_diff),
        "difference_at_last_step": _num(float(abs(mpf(float(np_w[-1])) - mp.ws[-1]))),
        "bound": _num(final_bound),
        "bound_formula": ("|w_t^np - w_t^mp| <= E_t + diam(arb_t); E_(t+1) = (lambda_t E_t + delta_t)(1+4u), "
                          "delta_t = u|w_t^np| + k u eta |L'(w_l)| + (1+u)^3 eta eps_grad(w_l), k = 3+3u+u^2, "
                          "lambda_t = 1 if eta L''(w_l) <= 2 else eta L''(w_l) - 1 (r >= 2); "
                          "r < 2: lambda_t E_t -> max(E_t, eta (L'(w_r) - L'(w_l)))"),
        "derivation": ("float64 rounds each GD step three times (eta to double, eta*G, w - eta*G: k = 3 on "
                       "eta|L'|, 1 on |w|) and its gradient G errs by eps_grad (the np quadrature is exact "
                       "for integer r, so eps_grad is rounding: level values off by k_g u G_abs, head error "
                       "off by k_e u, n same-signed terms summed with (n + k_term) u relative error); errors "
                       "propagate with |Phi'| = |1 - eta L''| <= 1 where eta L'' <= 2 (L convex), else with the "
                       "actual factor; L'' and |L'| are taken at the left end w_l of the segment holding "
                       "both the float and the true w_t (L'' nonincreasing for r >= 2, |L'| nonincreasing). "
                       "See numeric/crosscheck.py."),
        "numbers": dict(model.numbers(), **{
            "steps_eta_L2_over_2": n_over, "max_lambda": max_lambda,
            "sum_u_abs_w": sum_w, "sum_k_u_eta_abs_L1": sum_l, "sum_eta_eps_grad": sum_e,
            "eps_grad_note": ("includes the np engine's n-vs-2n estimate (an estimate, not a bound)"
                              if iterated else "a priori rounding bound (exact per-region rule)"
                              if not points else "a priori rounding bound for the batch mean"),
            "np_method": np_info.get("method")}),
        "non_vacuity": nonvac,
        "first_failures": fail_steps[:5], "failures": len(fail_steps),
        "pass": ok,
    }


def _gradient_steps(steps: int, k: int = 6) -> list[int]:
    if steps <= 0:
        return [0]
    cand = {0, min(1, steps - 1), steps - 1, steps // 2}
    x = 10
    while x < steps:
        cand.add(x)
        x *= 10
    out = sorted(c for c in cand if 0 <= c < steps)
    if len(out) > k:
        idx = np.linspace(0, len(out) - 1, k).round().astype(int)
        out = sorted({out[i] for i in idx})
    return out


def _pair_gradient(spec: Spec, training: Training, steps: int, np_w: np.ndarray, source: StepSource,
                   derived: _DerivedStep, model: FloatErrorModel, np_info: dict, dps: int) -> dict[str, Any]:
    from .mp_engine import MpPieces, batch_gradient_mp, _mpq_to_mpf
    from .np_engine import batch_gradient, engine_for, np_gradient, np_gradient_error

    kind = training.batch.kind
    points = kind in ("sampled", "dataset")
    if not points and not model.r_integer:
        return {"pair": "np-gradient", "kind": "difference", "status": "undecided", "pass": False,
                "reason": "non-integer r: the np full-batch rule carries no error bound"}
    eng = engine_for(spec)
    rows = []
    ok = True
    compiled: dict[Any, Any] = {}
    for t in _gradient_steps(steps):
        wf = float(np_w[min(t, np_w.shape[0] - 1)])
        if not math.isfinite(wf) or wf < 0:
            continue
        with mpmath.workdps(dps + 10):
            x = mpf(wf)
            if points:
                step = source.batch(t)
                a = [_mpq_to_mpf(v) for v in step.a]
                sym = batch_gradient_mp(a, x, spec.r)
                g_np = float(batch_gradient(spec, np.array([wf]), source.schedule.points(t))[0])
                lp = abs(float(sym))
                eps = model.eps_batch(wf, derived.levels(t), lp)
                where = f"step {t}'s {len(a)} points"
            else:
                step = source.cell(t)
                P = compiled.get(step.key)
                if P is None:
                    P = compiled[step.key] = MpPieces(step.forms)
                sym = P.grad(x) * _mpq_to_mpf(step.scale)
                if kind == "full":
                    g_np = np_gradient(spec, wf)
                    lo_hi = (None, None, 1.0)
                    where = "full batch"
                else:
                    lo, hi = source.schedule.cell(t)
                    g_np = float(eng.full([wf], lo, hi, float(source.schedule.K), loss=False)[0][0])
                    lo_hi = (lo, hi, float(source.schedule.K))
                    where = f"slab {source.schedule.slab_index(t)}"
                lp = abs(float(sym))
                _, _, band = derived.cell(t)
                extra = abs(np_gradient_error(spec, wf)[1]) if np_info.get("method") == "iterated" else 0.0
                eps = model.eps_full(wf, band, lp, float(step.scale), np_info["n_terms"](lo_hi), extra)
            diff = float(abs(mpf(g_np) - sym))
        tol = _up(eps + lp * 10.0 ** -(dps - 3))
        good = diff <= tol
        ok &= good
        rows.append({"step": t, "w": wf, "batch": where, "np": g_np, "derived": mpmath.nstr(sym, 20),
                     "difference": _num(diff), "tolerance": _num(tol), "pass": good})
    return {
        "pair": "np-gradient", "kind": "difference", "status": "checked",
        "points": rows,
        "max_difference_over_tolerance": _num(max((r["difference"] / r["tolerance"] if r["tolerance"] else 0.0)
                                                  for r in rows) if rows else 0.0),
        "bound": "eps_grad(w) + 10^-(dps-3) |L'(w)| at each w",
        "derivation": ("the np gradient by forward/backward passes (per-region quadrature, or the batch mean) "
                       "against the derived L'(w) evaluated by mp at the same float w; the tolerance is the np "
                       "engine's a priori rounding bound eps_grad (the quadrature is exact for integer r) plus "
                       "mp's own error."),
        "pass": ok,
    }


# ====================================================================== the cross-check

def _n_terms_fn(spec: Spec) -> tuple[Callable[[tuple], int], str, int]:
    """(lo, hi, weight) -> an upper bound on the number of quadrature terms the np engine sums."""
    from .np_engine import Pieces1D, Simplices, engine_for

    eng = engine_for(spec)
    method = eng.method
    n_neurons = sum(eng.net.widths)

    def count(lo_hi: tuple) -> int:
        lo, hi, weight = lo_hi
        it = eng.cell_integrator(lo, hi, weight)
        if isinstance(it, Pieces1D):
            return int(it.gc.shape[0]) * (it.n_levels + 1) * int(it.x.shape[0])
        if isinstance(it, Simplices):
            d = it.d
            return int(it.S.shape[0]) * (d + 1) ** 2 * int(it.rule[0].shape[0])
        return 10 ** 7    # iterated: adaptive, the count is not fixed in advance; a cap (see report)
    return count, method, n_neurons


def default_np_runner(spec: Spec, training: Training, steps: int, schedule) -> np.ndarray:
    """The np engine's trajectory w_0..w_T on the shared batch schedule."""
    from .np_engine import run_np

    return run_np(spec, training, steps, schedule=schedule).w[:, 0]


def crosscheck(spec: Spec, training: Training, steps: int, dps: int = 50, *, prec: int = 128,
               data: Any = None, max_digits: int = 20_000, exact_steps: int | None = None,
               np_runner: Callable[..., Sequence[float]] | None = None,
               progress: Callable[[str], Callable[[int], None] | None] | None = None) -> dict[str, Any]:
    """Run the four engines and compare them (module docstring).  Returns a JSON-ready report
    with ``report["pass"]`` True iff every checked pair passes.

    ``np_runner(spec, training, steps, schedule) -> w_0..w_T`` replaces the np engine's run
    (the tests pass deliberately wrong ones); ``exact_steps`` caps the exact engine (default:
    all steps for full/cyclic, where ``max_digits`` stops it, and 25 for point batches).
    ``progress(label)`` may return a per-step callback.
    """
    from .arb_engine import run_arb
    from .exact_engine import run_exact
    from .mp_engine import run_mp

    if steps < 1:
        raise SpecError(f"--steps: the cross-check needs at least 1 step, got {steps}")
    if dps < 10 or dps > 100_000:
        raise SpecError(f"--dps: must be between 10 and 100000, got {dps}")
    prog = progress if progress is not None else (lambda label: None)
    t_all = time.perf_counter()
    source = CachingSource(spec, training, steps, data=data)
    kind = training.batch.kind
    points = kind in ("sampled", "dataset")
    timings: dict[str, float] = {}
    engines: dict[str, Any] = {}

    # ---- exact (first steps)
    n_exact = exact_steps if exact_steps is not None else (DEFAULT_BATCH_EXACT_STEPS if points else steps)
    n_exact = max(0, min(steps, n_exact))
    t0 = time.perf_counter()
    exact, note = None, ""
    try:
        exact = run_exact(spec, training, n_exact, source=source, max_digits=max_digits, progress=prog("exact"))
        note = (f"exact engine did {exact.steps_done} of {n_exact} requested steps"
                + (f" ({exact.meta.get('reason')})" if exact.meta.get("reason") else ""))
        engines["exact"] = {"steps": exact.steps_done, "requested": n_exact, "max_digits": max_digits,
                            "reason": exact.meta.get("reason") or None,
                            "last_digits": (exact.meta.get("num_digits") or [None])[-1]}
    except SpecError as exc:
        note = f"exact engine cannot run: {exc}"
        engines["exact"] = {"steps": 0, "reason": str(exc)}
    timings["exact"] = time.perf_counter() - t0

    # ---- mp, arb
    t0 = time.perf_counter()
    mp = run_mp(spec, training, steps, dps=dps, source=source, progress=prog("mp"))
    timings["mp"] = time.perf_counter() - t0
    engines["mp"] = {"steps": mp.steps_done, "dps": dps, "backend": mp.meta.get("backend")}
    t0 = time.perf_counter()
    arb = run_arb(spec, training, steps, prec=prec, source=source, progress=prog("arb"))
    timings["arb"] = time.perf_counter() - t0
    engines["arb"] = {"steps": arb.steps_done, "prec": prec, "max_rad": arb.meta.get("max_rad")}

    # ---- np
    t0 = time.perf_counter()
    runner = np_runner if np_runner is not None else default_np_runner
    np_w = _float_trajectory(runner(spec, training, steps, source.schedule))
    timings["np"] = time.perf_counter() - t0
    engines["np"] = {"steps": int(np_w.shape[0]) - 1, "dtype": "float64",
                     "runner": "run_np" if np_runner is None else getattr(np_runner, "__name__", "custom")}

    # ---- pairs
    t0 = time.perf_counter()
    n_terms, method, n_neurons = _n_terms_fn(spec)
    model = FloatErrorModel.for_spec(spec, method, n_neurons)
    np_info = {"n_terms": n_terms, "method": method}
    derived = _DerivedStep(spec, source, model)
    pairs = [_pair_exact_mp(exact, mp, dps, note)]
    p_arb, diam = _pair_arb_mp(arb, mp)
    pairs.append(p_arb)
    pairs.append(_pair_mp_np(spec, training, steps, mp, np_w, diam, derived, model, np_info, prog("bound")))
    pairs.append(_pair_gradient(spec, training, steps, np_w, source, derived, model, np_info, dps))
    from .mp_forward import quadrature_pair  # the mp engine's independent route (numeric.mp_forward)

    pairs.append(quadrature_pair(spec, training, mp.ws, dps))
    timings["compare"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - t_all
    passed = all(p["pass"] is True for p in pairs if p.get("status") != "skipped")
    return {
        "command": "crosscheck",
        "spec": spec.describe(), "training": training.describe(), "steps": steps,
        "dps": dps, "prec": prec,
        "engines": engines,
        "pairs": pairs,
        "seconds": {k: round(v, 3) for k, v in timings.items()},
        "pass": passed,
    }
