"""Mini-batch lemmas: monotonicity on every sample path, the realized path and its batch
losses, and the stall of a fixed dataset."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sympy

from relu_pointwise.symbolic.loss import w
from relu_pointwise.symbolic.spec import Spec, Training

from .path import PathBounds
from .text import ENCLOSED, FAILED, HALF, PROVED, Claim, Q, ex, short, to_q, to_rat

# ---------------------------------------------------------------- mini-batches

def minibatch_monotonicity_claim(spec: Spec, training: Training) -> Claim:
    """Every batch loss is a mean of per-point errors nonincreasing in w: w_t nondecreasing on every path."""
    r = spec.r
    u = sympy.Symbol("u", positive=True)
    ok = sympy.simplify(sympy.diff((HALF - w * u) ** r, w) + r * u * (HALF - w * u) ** (r - 1)) == 0
    statement = ("on every sample path: a batch loss L_B(w) = (1/M) sum_i e(w, x_i)^r is a mean of per-point "
                 "errors e(w, x) = (1/2 - w|g(x)|)_+ (0 on g = 0), each nonincreasing in w (d/dw (1/2 - w u)^r "
                 "= -r u (1/2 - w u)^(r-1) <= 0 for u >= 0, checked by SymPy), so L_B'(w) <= 0 and "
                 "w_{t+1} = w_t - eta L_B'(w_t) >= w_t for every batch, every step, every seed")
    if not ok:     # SymPy not reducing the identity to 0 proves nothing either way
        statement = ("monotonicity on every sample path: not established (SymPy did not reduce "
                     "d/dw (1/2 - w u)^r + r u (1/2 - w u)^(r-1) to 0)")
    return Claim("minibatch_monotonicity", statement, PROVED if ok else FAILED,
                 {"r": ex(r), "batch": training.batch.text()})


def path_claim(raw: PathBounds, training: Training) -> Claim:
    """The realized path enclosed step by step (raw enclosures, before tightening)."""
    n = raw.horizon
    consistent = raw.consistent() and all(raw.hi[t + 1] >= raw.lo[t] for t in range(n))
    lo_t = raw.tightened()
    data = {"steps": ex(n), "w0": ex(training.w0), "w_n_lo": ex(raw.lo[n]), "w_n_hi": ex(raw.hi[n]),
            "max_width": ex(max(h - l for l, h in zip(raw.lo, raw.hi))), "source": raw.source}
    statement = (f"the realized path w_0..w_{n} is enclosed step by step ({raw.source}); "
                 f"w_{n} in [{short(lo_t.lo[n], 'down')}, {short(lo_t.hi[n], 'up')}]; the enclosures are "
                 f"consistent with "
                 f"the proved monotonicity (w_{{t+1}} >= w_t)")
    return Claim("path", statement, ENCLOSED if consistent else FAILED, data)


def batch_losses_claim(losses: Sequence[tuple], training: Training) -> Claim:
    """Enclosures of the batch losses L_{B_t}(w_t) along the realized path."""
    n = len(losses) - 1
    lo0, hi0 = losses[0]
    lon, hin = losses[n]
    # an enclosure of a loss (>= 0) may reach below 0; it contradicts L >= 0 only when its upper end does
    consistent = all(a <= b and b >= 0 for a, b in losses)
    tail = losses[max(0, n - n // 10):]
    data = {"steps": ex(n), "loss_0_lo": ex(lo0), "loss_0_hi": ex(hi0), "loss_n_lo": ex(lon),
            "loss_n_hi": ex(hin), "tail_max_hi": ex(max(h for _, h in tail))}
    statement = (f"the batch losses L_B_t(w_t) = (1/M) sum_i e(w_t, x_i)^r of the realized path are enclosed for "
                 f"t = 0..{n}: L_B_0(w_0) in [{short(lo0, 'down')}, {short(hi0, 'up')}], L_B_{n}(w_{n}) in "
                 f"[{short(lon, 'down')}, {short(hin, 'up')}]")
    return Claim("batch_losses", statement, ENCLOSED if consistent else FAILED, data)


def _witness(spec: Spec, bound: sympy.Expr, pts: Sequence[Sequence[sympy.Rational]]) -> tuple | None:
    """An exact x with 0 < |g(x)| < bound: exact bisection between points with g > 0 and g < 0."""
    net = spec.network
    pos = next((p for p in pts if net.level(p) > 0), None)
    neg = next((p for p in pts if net.level(p) < 0), None)
    if pos is None or neg is None:
        return None
    a, b = [Q(v) for v in pos], [Q(v) for v in neg]
    for _ in range(400):
        ga = net.level(a)
        if 0 < ga < bound:
            return tuple(a)
        gb = net.level(b)
        if 0 < -gb < bound:
            return tuple(b)
        m = [(p + q) / 2 for p, q in zip(a, b)]
        gm = net.level(m)
        if gm == 0:           # step off the boundary towards a
            m = [(p + 3 * q) / 4 for p, q in zip(m, a)]
            gm = net.level(m)
            if gm == 0:
                return None
        if gm > 0:
            a = m
        else:
            b = m
    return None


def dataset_stall_claim(spec: Spec, training: Training, source, path: PathBounds | None,
                        points: Sequence[Sequence[sympy.Rational]] = ()) -> Claim:
    """A fixed dataset stalls w_t: a proved negative (docs/mathematics.md, section 4.4).

    With a_i = |g(x_i)| over the N data points, m = min over a_i > 0, theta = 1/(2m):
    once w_t >= theta every data error is 0 and w_t stops.  One step from w < theta adds at
    most eta min(beta_r / w, H a_max) (h(w, a) <= beta_r / w and <= H a, H = r 2^(1-r)).
    So, with the realized w_n in [lo_n, hi_n]: w_inf = lim w_t exists (monotone, bounded),
    w_inf = w_n if lo_n >= theta, and always lo_n <= w_inf <= W = max(hi_n, theta + eta
    min(beta_r/lo_n, H a_max)).  Pointwise convergence fails at every x with
    0 < |g(x)| < 1/(2W) (error >= 1/2 - W|g(x)| > 0 for every t) and holds at every x with
    |g(x)| >= 1/(2 lo_n) (T(x) <= n) or g(x) = 0.
    """
    from fractions import Fraction

    from .tails import H_upper, beta_upper

    net = spec.network
    rows = source.schedule.data
    a = []
    exact_pts = []
    for row in rows:
        pt = [Q(Fraction(float(v)).numerator, Fraction(float(v)).denominator) for v in row]
        exact_pts.append(pt)
        a.append(abs(net.level(pt)))
    r, eta = spec.r, training.eta
    pos = [v for v in a if v > 0]
    data: dict[str, Any] = {"N": ex(len(a)), "M": ex(training.batch.M)}
    if not pos:
        return Claim("dataset_stall", "dataset: every data point lies on g = 0", FAILED, data)
    if path is None:        # no enclosed steps: only w_0 = w0 is known
        path = PathBounds([to_q(training.w0)], [to_q(training.w0)], "w_0 = w0")
    m, amax = min(pos), max(a)
    theta = 1 / (2 * m)
    n = path.horizon
    lo_n, hi_n = to_rat(path.lo[n]), to_rat(path.hi[n])
    stopped = lo_n >= theta
    if stopped:
        W = hi_n
    else:
        beta, H = to_rat(beta_upper(r)), to_rat(H_upper(r))
        inc = H * amax if lo_n == 0 else min(beta / lo_n, H * amax)
        W = max(hi_n, theta + eta * inc)
    data.update({"min_abs_g_data": ex(m), "max_abs_g_data": ex(amax), "theta_min": ex(theta), "W": ex(W),
                 "w_inf_lo": ex(lo_n), "w_inf_hi": ex(W), "stopped": "yes" if stopped else "no",
                 "steps": ex(n), "fails_below": ex(1 / (2 * W)),
                 "holds_from": ex(1 / (2 * lo_n)) if lo_n > 0 else "none"})
    wit = _witness(spec, 1 / (2 * W), exact_pts)
    if wit is None:
        data["summary"] = "no witness point found"
        return Claim("dataset_stall", "dataset stall: no witness point found", FAILED, data)
    x = wit
    gx = net.level(list(x))
    err = HALF - W * abs(gx)
    data.update({"witness_x": [ex(v) for v in x], "witness_g": ex(gx), "witness_error_lower": ex(err)})
    verdicts = []
    for y in points:
        g = abs(net.level(list(y)))
        v = ("fails" if g > 0 and W * g < HALF else
             "converges" if g == 0 or 2 * g * lo_n >= 1 else "undetermined")
        verdicts.append({"x": [ex(c) for c in y], "abs_g": ex(g), "verdict": v})
    data["points"] = verdicts
    Wt = short(W, "up")
    et = short(err, "down")
    xt = "(" + ", ".join(short(v) for v in x) + ")" if len(x) > 1 else short(x[0])
    data["summary"] = (f"w_t <= {Wt} for all t, so at x = {xt} (|g(x)| = {short(abs(gx), 'up')}) the error "
                       f"stays >= {et} > 0 for ever")
    n_f = sum(1 for v in verdicts if v["verdict"] == "fails")
    n_c = sum(1 for v in verdicts if v["verdict"] == "converges")
    lim = (f"w_inf = w_{n} in [{short(lo_n, 'down')}, {short(hi_n, 'up')}] (stopped: w_{n} >= 1/(2m))" if stopped
           else f"w_inf = lim w_t in [{short(lo_n, 'down')}, {Wt}]")
    statement = (f"PROVED NEGATIVE (dataset:{training.batch.N},{training.batch.M}, seed {training.seed}, for all t): "
                 f"with m = min_i |g(x_i)| = {short(m)} over the data, w_t stops once w_t >= 1/(2m) = {short(theta)}, "
                 f"and one step below it adds at most eta min(beta_r/w, r 2^(1-r) max_i |g(x_i)|); with the realized "
                 f"w_{n}: {lim}.  Pointwise convergence FAILS at every x with 0 < |g(x)| < 1/(2W) = "
                 f"{short(1 / (2 * W), 'down')} (|f(w_t, x) - f°(x)| >= 1/2 - W|g(x)| > 0 for every t; e.g. x = {xt}, "
                 f"error >= {et}) and HOLDS at every x with g(x) = 0 or |g(x)| >= 1/(2 w_{n}) (T(x) <= {n}); of the "
                 f"{len(verdicts)} requested points it fails at {n_f}, holds at {n_c}")
    return Claim("dataset_stall", statement, PROVED if err > 0 else FAILED, data)
