"""Float64 gradient descent for the exact ball by its radial loss (evidence for plots, any d).

For the exact-ball network g(x) = c - alpha s, s = |x|^2 (no hidden layer; c, alpha read
from the weights), every per-point quantity depends on x only through s, so

    L(w)  = integral phi(|f(w, s) - f°(s)|) dF(s),
    L'(w) = integral r |e|^(r-1) sign(e) * 1[0 < w g + 1/2 < 1] g dF(s),   e = f - f°,

with f(w, s) = clamp(w g + 1/2, 0, 1), f°(s) = 1, 1/2, 0 as s <, =, > R^2 (the target's
radius, not the network's zero set), and F the distribution of s = x_1^2 + ... + x_d^2 under
mu (uniform on the box prod [lo_i, hi_i]).  The x_i are independent, so F is the d-fold
convolution of the laws of t_i = x_i^2, whose CDF is exact:

    G_i(t) = |[lo_i, hi_i] ∩ [-sqrt t, sqrt t]| / (hi_i - lo_i).

The route: cut [0, T_i] into M cells of width D, take the exact cell masses of t_i, convolve
(FFT); the mass of index m then lies on s in [m D, (m + d) D) and is placed at its middle.
This moves mass by at most d D / 2 in s: an O(d D) quadrature error, no bound proved.  Hence
the results are evidence only (the plots say so), never part of a certificate.  Cost: one
FFT of length d M once, then O(d M) per step, for any d: the d-dimensional cubature of
:mod:`numeric.np_engine` grows exponentially in d, which made ``certify`` spend minutes in
its plots for d >= 4 (profiled: 58 of 60 s in ``np_iterated``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CELLS = 1 << 15


@dataclass(frozen=True)
class RadialLaw:
    """The law of s = |x|^2 on a grid: mass[m] at s[m] (total = mu(Omega))."""

    s: np.ndarray
    mass: np.ndarray


def _coordinate_masses(lo: float, hi: float, D: float, M: int) -> np.ndarray:
    edges = np.arange(M + 1) * D
    r = np.sqrt(edges)
    G = np.clip(np.minimum(r, hi) - np.maximum(-r, lo), 0.0, None) / (hi - lo)
    return np.diff(G)


def radial_law(lo: list[float], hi: list[float], total: float = 1.0, cells: int = CELLS) -> RadialLaw:
    """The law of |x|^2 for x uniform on prod [lo_i, hi_i], scaled to mass ``total``."""
    d = len(lo)
    T = max(max(a * a, b * b) for a, b in zip(lo, hi))
    D = T / cells
    n = d * cells
    size = 1 << int(np.ceil(np.log2(n)))
    spec = np.ones(size // 2 + 1, dtype=complex)
    for a, b in zip(lo, hi):
        spec *= np.fft.rfft(_coordinate_masses(a, b, D, cells), size)
    mass = np.clip(np.fft.irfft(spec, size)[:n], 0.0, None)
    mass *= total / mass.sum()
    s = (np.arange(n) + d / 2) * D
    return RadialLaw(s, mass)


def _exact_ball_of(spec) -> tuple[float, float, float]:
    """(c, alpha, R^2) for the exact-ball network g = c - alpha |x|^2; ValueError otherwise."""
    net = spec.network
    if "sqnorm" not in net.features or net.hidden:
        raise ValueError("the radial route needs the exact-ball network (|x|^2 feature, no hidden layer)")
    k = net.features.index("sqnorm")
    if any(v != 0 for i, v in enumerate(net.readout) if i != k):
        raise ValueError("the radial route needs g = c - alpha |x|^2 alone")
    (R,) = spec.target.requirements[0].data
    return float(net.readout_bias), -float(net.readout[k]), float(R) ** 2


def run_radial(spec, training, steps: int, cells: int = CELLS, stop_at: float | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """(w_0..w_n, L(w_0)..L(w_n)) of full-batch GD, float64 (module docstring); n = ``steps``, or
    the first step with w_n >= ``stop_at`` when that comes earlier."""
    c, alpha, R2 = _exact_ball_of(spec)
    lo = [float(v) for v in spec.domain.lo]
    hi = [float(v) for v in spec.domain.hi]
    vol = float(np.prod([b - a for a, b in zip(lo, hi)]))
    total = 1.0 if spec.measure == "probability" else vol
    law = radial_law(lo, hi, total, cells)
    keep = law.mass > 0
    mass, svals = law.mass[keep], law.s[keep]
    g = c - alpha * svals
    fo = np.where(svals < R2, 1.0, np.where(svals > R2, 0.0, 0.5))
    r = float(spec.r)
    eta = float(training.eta)
    w = float(training.w0)
    ws, losses = [w], []
    while True:
        pre = w * g + 0.5
        f = np.clip(pre, 0.0, 1.0)
        e = f - fo
        ae = np.abs(e)
        losses.append(float(np.dot(mass, ae ** r)))
        if len(ws) > steps or (stop_at is not None and w >= stop_at):
            break
        active = (pre > 0) & (pre < 1)
        grad = float(np.dot(mass[active], r * ae[active] ** (r - 1) * np.sign(e[active]) * g[active]))
        w = w - eta * grad
        ws.append(w)
    return np.array(ws), np.array(losses)
