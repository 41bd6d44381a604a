"""What a fixed dataset does to gradient descent (docs/mathematics.md, section 4).

With a_i = |g(x_i)| over the data and m = min_i a_i > 0, the per-point errors
(1/2 - w a_i)_+ all vanish once w >= theta = 1/(2m), and then every gradient is 0:
w_t never passes theta by more than one step, and for r = 2 it increases to theta
without reaching it.  The network then equals the target on the data, but at any x
with 0 < |g(x)| < m the limit error is 1/2 - w_lim |g(x)| > 0: pointwise
convergence on Omega fails.  This module computes that picture exactly (g from the
network's forward pass at the exact rational value of each float64 data point).
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy

Q = sympy.Rational
HALF = Q(1, 2)


def _exact(v: float) -> sympy.Rational:
    f = Fraction(float(v))
    return Q(f.numerator, f.denominator)


def _bisect_to_level(net, x_in, x_out, target: sympy.Rational, iters: int = 200):
    """A point on the segment [x_in, x_out] with 0 < |g| <= target, by exact bisection.

    g(x_in) and g(x_out) have opposite signs; g is continuous, so the segment meets
    g = 0 and, nearby, the open band 0 < |g| <= target.
    """
    a, b = list(x_in), list(x_out)
    ga = net.level(a)
    for _ in range(iters):
        mid = [(u + v) / 2 for u, v in zip(a, b)]
        gm = net.level(mid)
        if 0 < abs(gm) <= target:
            return mid, gm
        if gm == 0 or (gm > 0) == (ga > 0):
            a, ga = mid, gm
        else:
            b = mid
    return None, None


EXACT_ALL = 2000
"""Datasets up to this size are read exactly point by point; larger ones are screened in float64."""


def _candidates(spec, pts: np.ndarray) -> np.ndarray:
    """Indices of the data points whose exact |g| the stall needs: all of a small dataset; of a
    large one (up to 10^6 points, exact levels at ~0.1 ms each would take minutes), the points
    whose float64 |g| is within a generous margin of the smallest (the exact minimum is among
    them: the float forward pass errs by far less than the margin) and the 16 of each sign
    farthest from the boundary (partners for the bisection towards a witness)."""
    n = pts.shape[0]
    if n <= EXACT_ALL:
        return np.arange(n)
    from .np_net import FloatNet

    g = FloatNet(spec.network).forward_g(pts)
    a = np.abs(g)
    margin = 1e-6 * max(1.0, float(a.max()))
    pos = a[a > 2 * margin]
    cut = (float(pos.min()) if pos.size else 0.0) + 2 * margin
    near = np.flatnonzero(a <= cut)[:EXACT_ALL]
    far = np.concatenate([np.argsort(g)[:16], np.argsort(-g)[:16]])
    return np.unique(np.concatenate([near, far]))


def dataset_stall(spec, points: np.ndarray, w_last: float) -> dict:
    """The stall of a fixed dataset: theta, the data errors at w_last, and a witness.

    Returns exact values (sympy) for theta = 1/(2 min_i |g(x_i)|) and for the
    witness x with |g(x)| <= m/2, whose error at w_last (< theta) is at least
    1/2 - theta |g(x)| >= 1/4.
    """
    net = spec.network
    pts = np.asarray(points, dtype=float)
    keep = _candidates(spec, pts)
    xs = [[_exact(v) for v in row] for row in pts[keep]]
    gs = [net.level(x) for x in xs]
    pos = [abs(g) for g in gs if g != 0]
    if not pos:
        return {"theta": None, "summary": "every data point lies on the boundary g = 0"}
    m = min(pos)
    theta = 1 / (2 * m)
    i_min = next(i for i, g in enumerate(gs) if abs(g) == m)
    # a partner of the opposite sign: another data point, else a corner of the domain
    sign = gs[i_min] > 0
    partners = [xs[i] for i, g in enumerate(gs) if g != 0 and (g > 0) != sign]
    if not partners:
        corners = [[spec.domain.lo[k] if (c >> k) & 1 else spec.domain.hi[k] for k in range(spec.dim)]
                   for c in range(2 ** spec.dim)]
        corners.append([(lo + hi) / 2 for lo, hi in zip(spec.domain.lo, spec.domain.hi)])
        partners = [c for c in corners if net.level(c) != 0 and (net.level(c) > 0) != sign]
    witness, gw = (None, None)
    for p in partners:
        witness, gw = _bisect_to_level(net, xs[i_min], p, m / 2)
        if witness is not None:
            break
    wl = _exact(w_last)
    data_err = max(max(HALF - wl * abs(g), 0) if g != 0 else 0 for g in gs)
    out = {"N": int(pts.shape[0]), "min_abs_g": m, "theta": theta, "w_last": wl,
           "below_theta": wl < theta, "max_data_error": data_err}
    if witness is not None and gw is not None:
        out.update({"witness": witness, "witness_g": gw,
                    "witness_error": HALF - wl * abs(gw),
                    "witness_error_limit_lower": HALF - theta * abs(gw)})
    return out


def stall_text(report: dict, r: sympy.Rational) -> str:
    """The stall, said plainly, in a few lines."""
    if report.get("theta") is None:
        return f"dataset: {report['summary']}"
    def f(v: object) -> str:
        return f"{float(v):.6g}"  # type: ignore[arg-type]

    lines = [
        f"dataset: {report['N']} fixed points; min |g(x_i)| = {f(report['min_abs_g'])}, so w_t stalls at "
        f"theta = 1/(2 min|g(x_i)|) = {f(report['theta'])}"
        + " (once w_t >= theta every data error is 0 and w_t stops there)",
        f"  at the last step w_T = {f(report['w_last'])} "
        f"({'below' if report['below_theta'] else 'at or past'} theta); "
        f"largest error on the data points = {f(report['max_data_error'])}",
    ]
    if "witness" in report:
        x = ", ".join(f(v) for v in report["witness"])
        lines.append(
            f"  off the data: at x = ({x}), |g(x)| = {f(abs(report['witness_g']))} < min|g(x_i)|, the error is "
            f"{f(report['witness_error'])} now and stays >= {f(report['witness_error_limit_lower'])} for ever: "
            "pointwise convergence on the domain FAILS (it holds on the data points only)")
    return "\n".join(lines)
