"""The cross-check's pairs: each compares two engines' trajectories and derives its bound.

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

Non-vacuity: the report gives, next to the bound, how far an off-by-one step
(|w_T - w_(T-1)|) and an eta off by one part in 10^6 (first-order sensitivity
dw_T/d eta from s_(t+1) = (1 - eta L''(w_t)) s_t - L'(w_t)) would move w_T.

``np-gradient`` (a few w along the path): the np gradient (full batch, slab, or the
step's points) against the derived L'(w) (mp, ``dps`` digits) at the same float w,
held to eps_grad(w) + 10^-(dps-3) |L'(w)|.

The float error model (eps_grad) is :mod:`relu_pointwise.numeric.float_error`.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
from gmpy2 import mpq
from mpmath import mpf

from relu_pointwise.symbolic.iterate import to_mpq
from relu_pointwise.symbolic.numbers import rational_text
from relu_pointwise.symbolic.spec import Spec, Training

from .float_error import BandMass, FloatErrorModel, U, mpq_float_up, up
from .trajectory import StepSource, Trajectory, mpf_to_mpq

__all__ = ["DerivedStep", "pair_exact_mp", "pair_arb_mp", "pair_mp_np", "pair_gradient", "float_trajectory",
           "json_number"]

AUX_DPS = 30                    # precision of the auxiliary L', L'' evaluations in the bound


def json_number(x: Any) -> Any:
    """A JSON-safe number: floats stay floats, non-finite become strings."""
    if x is None:
        return None
    if isinstance(x, (mpf, mpq, Fraction)):
        x = float(x)
    if isinstance(x, float) and not math.isfinite(x):
        return "inf" if x > 0 else ("-inf" if x < 0 else "nan")
    return x



# ====================================================================== the per-step derived quantities

class DerivedStep:
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
            tot = self._total_full if self.source.kind.population else 1.0
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

def pair_exact_mp(exact: Trajectory | None, mp: Trajectory, dps: int, note: str) -> dict[str, Any]:
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
        "max_difference": json_number(float(worst)), "at_step": worst_t,
        "bound": json_number(float(base * mpq(Fraction(factor)))),
        "bound_formula": "10^-(dps-3) * max(1, |w_t|) * max(1, n/100)",
        "bound_at_last_step": json_number(float(bound_last)) if bound_last is not None else None,
        "max_difference_over_bound": worst_ratio,
        "derivation": (f"mp carries dps = {dps} digits: each step w - eta s L'(w) commits a few relative "
                       f"roundings (<= 10 units of 10^-{dps} relative to max(1, |w|): Horner for L', one "
                       f"product, one subtraction), and errors do not grow where eta L'' <= 2 (checked in "
                       f"mp-np), so n steps stay below 10 n 10^-{dps} <= 10^-{dps - 3} for n <= 100; "
                       f"the exact engine is exact."),
        "numbers": {"dps": dps, "n": n - 1},
        "pass": ok,
    }


def pair_arb_mp(arb: Trajectory, mp: Trajectory) -> tuple[dict[str, Any], list[float]]:
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
            diam.append(mpq_float_up(hi - lo))
        if (hi - lo) / 2 > max_rad:
            max_rad = (hi - lo) / 2
    ok = not fails and len(arb.ws) == len(mp.ws)
    return {
        "pair": "arb-contains-mp", "kind": "containment", "status": "checked",
        "steps_checked": n,
        "failures": len(fails), "first_failures": fails[:5],
        "max_radius": json_number(float(max_rad)),
        "bound": "containment: lo_t <= w_t^mp <= hi_t exactly (no tolerance)",
        "derivation": ("Arb balls are rigorous enclosures of the true w_t; the mp value (a dyadic rational) "
                       "must lie in the ball, decided by exact rational comparison with the ball's exact "
                       "endpoints mid -+ rad. Both in the ball gives |w_t^mp - w_t| <= diam(ball_t), used "
                       "by mp-np."),
        "numbers": {"prec_bits": arb.meta.get("prec"), "straddled_breakpoints": arb.meta.get("straddles")},
        "pass": ok,
    }, diam


def float_trajectory(np_ws: Sequence[float] | np.ndarray) -> np.ndarray:
    return np.asarray(np_ws, dtype=np.float64)


def pair_mp_np(spec: Spec, training: Training, steps: int, mp: Trajectory, np_w: np.ndarray,
                diam: list[float], derived: DerivedStep, model: FloatErrorModel, np_info: dict,
                progress: Callable[[int], None] | None) -> dict[str, Any]:
    kind = training.batch.kind
    points = kind.uses_points
    r = model.r
    r_ge2 = r >= 2.0
    if not points and not model.r_integer:
        return {"pair": "mp-np", "kind": "difference", "status": "undecided", "pass": False,
                "reason": (f"r = {rational_text(spec.r)} is not an integer: the np engine's full-batch rule "
                           f"(composite graded Gauss-Legendre) carries no error bound, so no bound for "
                           f"mp-np can be derived"),
                "max_difference": json_number(float(max(abs(mpf(x) - y) for x, y in zip(np_w.tolist(), mp.ws))))}
    if np_w.shape[0] != len(mp.ws):
        return {"pair": "mp-np", "kind": "difference", "status": "checked", "pass": False,
                "reason": f"np returned {np_w.shape[0]} values of w_t, mp {len(mp.ws)}"}
    eta_q = to_mpq(training.eta)
    eta = float(eta_q)
    eta_up = up(eta) if mpq(eta) < eta_q else eta
    w0q = to_mpq(training.w0)
    E = mpq_float_up(abs(mpq(float(w0q)) - w0q))           # E_0 = |fl(w_0) - w_0|
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
        tol = up(E + m_t)
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
            lo_hi = ((None, None, 1.0) if kind.population
                     else (*derived.source.schedule.cell(t), float(derived.source.schedule.K)))
            n_terms = np_info["n_terms"](lo_hi)
            extra = 0.0
            if iterated:
                extra = abs(np_gradient_error(spec, wf)[1])
            eps = model.eps_full(w_l, band, lp, scale, n_terms, extra)
            gp_r = derived.full_grad_hess(t, mpf(w_r), False)[0] if not r_ge2 else None
        # ---- propagation
        if r_ge2:
            S = max(0.0, _asked(hs, "L''(w_l)"))
            lam = 1.0 if eta_up * S <= 2.0 else eta_up * S - 1.0
            if eta_up * S > 2.0:
                n_over += 1
            max_lambda = max(max_lambda, lam)
            prop = lam * E
            sens = (1.0 - eta * S) * sens - gp_l      # d w_t / d eta, first order (informative)
        else:
            g_r = _asked(gp_r, "L'(w_r)")
            prop = max(E, eta_up * (abs(g_r - gp_l) + 4 * U * (abs(g_r) + abs(gp_l))) * (1 + 1e-9))
        kk = 3.0 + 3.0 * U + U * U
        dw = U * abs(wf)
        dl = kk * U * eta_up * lp
        de_ = (1 + U) ** 3 * eta_up * eps
        sum_w += dw
        sum_l += dl
        sum_e += de_
        E = up((prop + dw + dl + de_) * (1 + 4 * U))
        if progress is not None:
            progress(t + 1)
    ok = not fail_steps
    off_by_one = float(abs(mp.ws[-1] - mp.ws[-2])) if len(mp.ws) >= 2 else None
    eta_shift = abs(sens) * eta * 1e-6 if sens_ok else None
    final_bound = last_bound
    nonvac = {
        "off_by_one_step_shift": json_number(off_by_one),
        "eta_times_(1+1e-6)_shift": json_number(eta_shift),
        "bound_below_off_by_one": (off_by_one is not None and final_bound < off_by_one),
        "bound_below_eta_shift": (eta_shift is not None and final_bound < eta_shift) if sens_ok else None,
    }
    return {
        "pair": "mp-np", "kind": "difference", "status": "checked",
        "steps_compared": steps,
        "max_difference": json_number(max_d),
        "max_difference_over_bound": json_number(worst_ratio), "at_step": worst_t,
        "difference_at_that_step": json_number(worst_diff),
        "difference_at_last_step": json_number(float(abs(mpf(float(np_w[-1])) - mp.ws[-1]))),
        "bound": json_number(final_bound),
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


def _asked(v: float | None, what: str) -> float:
    """A quantity the caller asked :class:`DerivedStep` for (so never None): None is a bug."""
    if v is None:
        raise TypeError(f"crosscheck: {what} was asked for but not computed")
    return v


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


def pair_gradient(spec: Spec, training: Training, steps: int, np_w: np.ndarray, source: StepSource,
                   derived: DerivedStep, model: FloatErrorModel, np_info: dict, dps: int) -> dict[str, Any]:
    from .mp_engine import MpPieces, _mpq_to_mpf, batch_gradient_mp
    from .np_engine import batch_gradient, engine_for, np_gradient, np_gradient_error

    kind = training.batch.kind
    points = kind.uses_points
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
            lo_hi: tuple[Any, Any, float]
            if points:
                a = [_mpq_to_mpf(v) for v in source.batch(t).a]
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
                if kind.population:
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
        tol = up(eps + lp * 10.0 ** -(dps - 3))
        good = diff <= tol
        ok &= good
        rows.append({"step": t, "w": wf, "batch": where, "np": g_np, "derived": mpmath.nstr(sym, 20),
                     "difference": json_number(diff), "tolerance": json_number(tol), "pass": good})
    return {
        "pair": "np-gradient", "kind": "difference", "status": "checked",
        "points": rows,
        "max_difference_over_tolerance": json_number(max((r["difference"] / r["tolerance"] if r["tolerance"] else 0.0)
                                                  for r in rows) if rows else 0.0),
        "bound": "eps_grad(w) + 10^-(dps-3) |L'(w)| at each w",
        "derivation": ("the np gradient by forward/backward passes (per-region quadrature, or the batch mean) "
                       "against the derived L'(w) evaluated by mp at the same float w; the tolerance is the np "
                       "engine's a priori rounding bound eps_grad (the quadrature is exact for integer r) plus "
                       "mp's own error."),
        "pass": ok,
    }


def pairs_jax(spec: Spec, training: Training, steps: int, mp: Trajectory, np_w: np.ndarray,
              diam: list[float], derived: DerivedStep, model: FloatErrorModel, np_info: dict,
              source: StepSource, p_np: dict[str, Any], engines: dict[str, Any],
              timings: dict[str, float]) -> list[dict[str, Any]]:
    """The jax engine as a further float pair, where jax is installed.

    ``mp-jax``: the mp-np bound applied to the jax trajectory.  It holds for jax as for np:
    the FloatErrorModel bounds any float64 forward pass of this network (level values off by
    k_g u G_abs whatever the order of the dot products, head error e within k_e u), and
    jax's autodiff gradient of mean |e|^r is, per point, the same product 2 e [units
    disagree] g / M with at most k_term roundings, summed (pairwise) within (M + k_term) u.
    ``np-jax``: |w_t^np - w_t^jax| <= |w_t^np - w_t| + |w_t^jax - w_t| <= B_np + B_jax, with
    B the final bound E_T + diam_T of the two mp pairs (E_t is nondecreasing: lambda_t >= 1).
    Mini-batches only (the jax engine has no full-batch route): no jax pairs otherwise.
    """
    import time

    if not training.batch.kind.uses_points:
        return []                                   # the jax engine runs mini-batches only
    from .engines import engine_names, get_engine

    if "jax" not in engine_names():                 # the optional extra is not installed
        return [{"pair": "np-jax", "kind": "difference", "status": "skipped", "pass": None,
                 "reason": "jax is not installed (pip install 'relu-pointwise[jax]')"}]
    t0 = time.perf_counter()
    # through the engine interface, reading the shared source's batch plan like every engine
    jax_traj = get_engine("jax").run(spec, training, steps, source=source, population=False, record_every=1)
    jax_w = np.asarray(jax_traj.ws, dtype=np.float64)
    timings["jax"] = time.perf_counter() - t0
    engines["jax"] = {"steps": int(jax_w.shape[0]) - 1, "dtype": "float64", "runner": "engine interface"}
    p_mj = pair_mp_np(spec, training, steps, mp, jax_w, diam, derived, model, np_info, None)
    p_mj["pair"] = "mp-jax"
    out = [p_mj]
    if not (isinstance(p_np.get("bound"), float) and isinstance(p_mj.get("bound"), float)):
        out.append({"pair": "np-jax", "kind": "difference", "status": "undecided", "pass": False,
                    "reason": "no bound from mp-np or mp-jax"})
        return out
    bound = up(p_np["bound"] + p_mj["bound"])
    n = min(np_w.shape[0], jax_w.shape[0])
    diff = np.abs(np_w[:n] - jax_w[:n])
    fails = np.flatnonzero(~(diff <= bound))
    ok = n == np_w.shape[0] == jax_w.shape[0] and fails.size == 0
    out.append({
        "pair": "np-jax", "kind": "difference", "status": "checked", "steps_compared": n - 1,
        "max_difference": json_number(float(diff.max(initial=0.0))), "at_step": int(diff.argmax()) if n else 0,
        "bound": json_number(bound),
        "bound_formula": "B_np + B_jax: the final bounds E_T + diam(arb_T) of mp-np and mp-jax",
        "derivation": ("both float64 trajectories lie within their E_t (+ the arb diameter) of the true "
                       "trajectory (mp-np, mp-jax: u = 2^-53, three roundings per step, eps_grad of the "
                       "batch mean, propagation by |1 - eta L''|), E_t nondecreasing; the triangle "
                       "inequality gives the sum."),
        "first_failures": fails[:5].tolist(), "failures": int(fails.size),
        "pass": bool(ok),
    })
    return out


def quadrature_pair(spec: Spec, training: Any, ws: Sequence[Any], dps: int) -> dict[str, Any]:
    """The cross-check pair ``mp-quadrature``: the derived L'(w) (the mp engine's route 1) against
    :func:`forward_quadrature` (the network's head output against the target's definition, on
    breakpoints found from the weights) at up to six w_t of the mp path.

    Bound: 10^-(dps - 5) (1 + |L'|): both sides are evaluated with >= dps + 10 digits, the
    Gauss-Legendre rule is exact for integer r (tanh-sinh reaches the working precision on
    these piecewise-smooth integrands otherwise); a genuine difference (a network whose zero
    set is not the target's boundary) is far larger."""
    from .mp_forward import _faces, forward_quadrature

    base = {"pair": "mp-quadrature", "kind": "difference"}
    if not training.batch.kind.population or spec.dim != 1 or _faces(spec.target.level) is None:
        return {**base, "status": "skipped", "pass": None,
                "reason": "the forward-quadrature route covers full-batch 1-D targets made of half-lines"}
    from relu_pointwise.symbolic.loss import derive

    from .mp_engine import mp_gradient

    derivation = derive(spec)
    n = len(ws) - 1
    picks = sorted({0, min(1, n), n // 8, n // 2, n})
    worst, worst_t, ok = mpf(0), 0, True
    with mpmath.workdps(dps + 10):
        bound = mpf(10) ** (-(dps - 5))
        for t in picks:
            derived = mp_gradient(derivation, ws[t], dps)
            direct = forward_quadrature(spec, ws[t], dps)
            diff = abs(derived - direct)
            if diff > worst:
                worst, worst_t = diff, t
            ok = ok and diff <= bound * (1 + abs(direct))
    return {**base, "status": "checked", "pass": ok, "steps_compared": picks,
            "max_difference": float(worst), "at_step": worst_t, "bound": f"1e-{dps - 5} (1 + |L'|)",
            "derivation": ("derived L'(w_t) (mp route 1) vs the quadrature of the network's head output "
                           "against the target's own definition, on breakpoints found from the weights "
                           "(numeric.mp_forward)")}
