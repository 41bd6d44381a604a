"""The Fourier contrast in pictures (PNG, matplotlib with the Agg backend).

* ``fourier_contrast.png``: left, S_P(0) against the integer radii P (the Arb balls'
  midpoints; every radius is below 1e-15, invisible) with f°(0) = 1, the band
  f°(0) +- delta of the claim and the Fourier INTEGRAL I(P) in closed form; right, the
  network at the centre, f(w_t, 0) against t, as the certificate proves it: w_t is
  nondecreasing, so f(w_t, 0) lies between f(w_0, 0) and 1 before T(0), and equals
  f°(0) = 1 exactly for every t >= T(0) (the proved upper bound T_hi is drawn; the
  enclosed path itself when the certificate has one).
* ``fourier_ray.png``: left, S_P(s e_1) for s in [-1, 1] at a few P (Arb balls on the
  x_1 axis, :func:`numeric.fourier_sums.axis_sums`) against f°; the overshoot next to
  the sphere |x| = R; right, the network on the same ray,
  f(w, s e_1) = clamp(w (R^2 - s^2) + 1/2, 0, 1), at the proved lower bounds
  W(t) = (w_t0^3 + 3 eta c (t - t0))^(1/3) <= w_t of the ``rate`` claim at a few t: since
  f is nondecreasing in w inside the ball and nonincreasing outside, f(w_t, .) is at
  least as close to f° as the drawn curve at every point.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from flint import ctx, fmpq

from relu_pointwise.numeric.arb_balls import ball_bounds
from relu_pointwise.numeric.fourier_coeffs import INTEGRAL_DIMS, fourier_integral_centre
from relu_pointwise.numeric.fourier_sums import axis_sums

_DPI = 110
RAY_P_MAX = 48
RAY_POINTS = 200          # s = j / RAY_POINTS, j = -RAY_POINTS..RAY_POINTS


def _mid(b) -> float:
    lo, hi = ball_bounds(b)
    return float((lo + hi) / 2)


def _fq(v) -> fmpq:
    return fmpq(int(v.p), int(v.q))


def _network_centre(report) -> dict:
    for c in report.doc["claims"]:
        if c["id"] == "network_centre":
            return c
    raise KeyError("network_centre")


def _T_bounds(claim: dict) -> tuple[int, int | None]:
    lo = int(claim["data"].get("T_lo", "0"))
    hi = claim["data"].get("T_hi", "unknown")
    return lo, None if hi == "unknown" else int(hi)


def contrast_plot(report, path: Path) -> Path:
    """``fourier_contrast.png`` (module docstring)."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 4.6), dpi=_DPI)
    pairs = [(int(p.p), v) for p, v in report.curve.pairs() if p.q == 1]
    P = np.array([p for p, _ in pairs])
    S = np.array([_mid(v) for _, v in pairs])
    d, R, dl = report.d, report.R, float(report.delta)
    ax.plot(P, S, ".-", ms=3, lw=0.8, color="C0", label="S_P(0), periodic series (Arb balls)")
    if d in INTEGRAL_DIMS:
        grid = np.linspace(0, P[-1], min(2000, 20 * int(P[-1]) + 1))
        with ctx.workprec(64):
            I = [_mid(fourier_integral_centre(d, _fq(R), fmpq(round(g * 1000), 1000))) for g in grid]
        ax.plot(grid, I, "--", lw=0.9, color="C2", label="Fourier integral I(P) (closed form)")
    ax.axhline(1, color="k", lw=1, label="f°(0) = 1")
    ax.axhspan(1 - dl, 1 + dl, color="0.85", zorder=0, label=f"f°(0) ± delta = 1 ± {report.delta}")
    ax.set_xlabel("P (partial sum over |k| <= P)")
    ax.set_ylabel("value at the centre")
    ax.set_title(f"Fourier: ball d={d}, R={R}, centre")
    ax.legend(fontsize=8, loc="best")

    net = _network_centre(report)
    T_lo, T_hi = _T_bounds(net)
    b = report.network
    w0 = float(b.training.w0)
    g0 = float(R) ** 2
    f0 = min(1.0, max(0.0, w0 * g0 + 0.5))
    horizon = max(10, 2 * (T_hi if T_hi is not None else T_lo))
    if b.path is not None and b.path.horizon >= 1:
        n = min(horizon, b.path.horizon)
        t = np.arange(n + 1)
        lo = np.array([min(1.0, float(b.path.lo[i]) * g0 + 0.5) for i in t])
        bx.plot(t, lo, color="C3", lw=1.2, label="f(w_t, 0) at the enclosed lower end of w_t")
    if b.path is None:
        tc, fc, label = network_at(report, [0] * d, horizon)
        bx.plot(tc, fc, color="C3", lw=1.2, label=f"f(w_t, 0) ({label})")
    end = T_hi if T_hi is not None else T_lo
    bx.fill_between([0, end], [f0, f0], [1, 1], color="C3", alpha=0.18,
                    label=f"proved: f(w_t,0) in [{f0:g}, 1] before T(0)")
    if T_hi is not None:
        bx.plot([T_hi, horizon], [1, 1], color="C3", lw=2.5, label=f"proved: f(w_t, 0) = 1 exactly for t >= {T_hi}")
        if T_lo != T_hi:
            bx.axvline(T_lo, color="C3", ls=":", lw=0.8)
    bx.axhline(1, color="k", lw=1)
    bx.set_ylim(min(0.0, f0 - 0.05), 1.1)
    bx.set_xlim(0, horizon)
    bx.set_xlabel("gradient-descent step t")
    bx.set_title(f"network: f(w_t, 0), T(0) in [{T_lo}, {T_hi if T_hi is not None else '?'}]")
    bx.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def ray_radii(P_max: int) -> list[int]:
    """A few radii for the ray plot: P_top - 3, P_top - 1, P_top with P_top = min(P_max, RAY_P_MAX)
    (consecutive radii of different residues mod 4: for R = 1/2 the centre value of the
    series cycles with P mod 4, so one radius alone could hide the oscillation there)."""
    top = max(1, min(P_max, RAY_P_MAX))
    return sorted({max(1, top - 3), max(1, top - 1), top})


def ray_plot(report, path: Path) -> Path:
    """``fourier_ray.png`` (module docstring)."""
    d, R = report.d, report.R
    P_max = int(report.curve.radii[-1].p) // int(report.curve.radii[-1].q)
    radii = ray_radii(P_max)
    ss = [fmpq(j, RAY_POINTS) for j in range(-RAY_POINTS, RAY_POINTS + 1)]
    ax_sums = axis_sums(d, _fq(R), radii, ss, prec=64, method=report.method)
    s = np.array([float(v) for v in ss])
    target = np.where(np.abs(s) < float(R), 1.0, np.where(np.abs(s) > float(R), 0.0, 0.5))
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 4.6), dpi=_DPI, sharey=True)
    for i, P in enumerate(ax_sums.radii):
        ax.plot(s, [_mid(v) for v in ax_sums.values[i]], lw=1, label=f"S_P(s e_1), P = {P}")
    ax.plot(s, target, "k", lw=1.2, label="f° (ball indicator)")
    ax.set_xlabel("s (point s e_1 on the x_1 axis)")
    ax.set_title(f"Fourier: partial sums on a ray, ball d={d}, R={R}")
    ax.legend(fontsize=8, loc="upper right")

    b = report.network
    if b.growth is not None and b.entry is not None and b.growth.ok and b.entry.ok:
        t0 = b.entry.t0
        W0 = float(b.entry.w_lower)
        gain = float(b.growth.gain_for(b.training.eta))
        for t in (t0, 8 * max(t0, 1), 64 * max(t0, 1)):
            W = (W0 ** 3 + gain * (t - t0)) ** (1 / 3)
            f = np.clip(W * (float(R) ** 2 - s * s) + 0.5, 0, 1)
            bx.plot(s, f, lw=1, label=f"f(w, s e_1), w = W({t}) = {W:.3g} <= w_{t}")
        bx.set_title("network on the same ray (at proved lower bounds of w_t)")
    else:
        bx.set_title("network: no proved growth bound for this spec")
    bx.plot(s, target, "k", lw=1.2, label="f°")
    bx.set_xlabel("s")
    bx.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


# ---------------------------------------------------------------------- the w_t curve

MAX_CURVE_STEPS = 2_000_000


RADIAL_STEPS_MAX = 20_000
PLOT_CELLS = 1 << 12


def w_curve(report, t_max: int) -> tuple[np.ndarray, np.ndarray, str]:
    """(t, w_t) for t = 0..t_end, t_end >= t_max when the run gets there (float64, evidence).

    The first steps: the certificate's Arb path when it has one, else the radial float64 route
    (numeric.np_radial), run until w_t >= w_lo of the last derived piece (the asymptotic regime,
    at most RADIAL_STEPS_MAX steps).  From there Phi(w) = w - eta L'(w) is iterated in float64
    with L' from the derived closed form of that piece (exact for w >= w*): nothing per step."""
    import sympy

    from relu_pointwise.numeric.np_radial import run_radial
    from relu_pointwise.symbolic.derivation import w as W

    b = report.network
    der = b.derivation
    piece = der.pieces[-1] if der is not None else None
    lo = float(piece.w_lo) if piece is not None else float("inf")
    if b.path is not None and b.path.horizon >= 1:
        ws = [float(v) for v in b.path.lo]
        label = "Arb enclosure (lower ends)"
    else:
        more, _ = run_radial(b.spec, b.training, min(t_max, RADIAL_STEPS_MAX), cells=PLOT_CELLS, stop_at=lo)
        ws = [float(v) for v in more]
        label = "float64 radial quadrature, evidence"
    if piece is not None and len(ws) <= t_max and ws[-1] >= lo:
        dL = sympy.lambdify(W, sympy.diff(piece.expr, W), "math")
        eta = float(b.training.eta)
        wv = ws[-1]
        for _ in range(max(0, min(t_max, MAX_CURVE_STEPS) - len(ws) + 1)):
            wv = wv - eta * float(dL(wv))
            ws.append(wv)
        label += f"; from w >= {piece.w_lo}: Phi in float64 from the closed form"
    return np.arange(len(ws)), np.array(ws), label


def network_at(report, x, t_max: int) -> tuple[np.ndarray, np.ndarray, str]:
    """(t, f(w_t, x)) with f = clamp(w_t g(x) + 1/2, 0, 1), g = R^2 - |x|^2 (float64, evidence).
    One w_t curve per report, to the largest horizon asked so far (cached on the report)."""
    cache = report.__dict__.setdefault("_w_curve", {})
    if not cache:       # one run for every figure: to the largest horizon any network claim needs
        for c in report.doc["claims"]:
            if c["id"].startswith("network_"):
                lo, hi = _T_bounds(c)
                t_max = max(t_max, 2 * (hi if hi is not None else lo))
    t_max = min(t_max, MAX_CURVE_STEPS)
    if cache.get("t_max", -1) < t_max:
        cache.update(zip(("t", "w", "label"), w_curve(report, t_max)), t_max=t_max)
    t, ws, label = cache["t"][: t_max + 1], cache["w"][: t_max + 1], cache["label"]
    g = float(report.R) ** 2 - sum(float(v) ** 2 for v in x)
    return t, np.clip(ws * g + 0.5, 0.0, 1.0), label


def _claim(report, cid: str) -> dict:
    for c in report.doc["claims"]:
        if c["id"] == cid:
            return c
    raise KeyError(cid)


def point_plot(report, index: int, path: Path) -> Path:
    """``fourier_point<i>.png``: left S_P(x) against P (midpoints of the Arb balls) with f°(x)
    and the band f°(x) +- delta; right f(w_t, x) against t for the same x (float64 w_t curve)
    with the certificate's proved T(x) bound."""
    from relu_pointwise.numeric.fourier_points import target_at
    from relu_pointwise.proofs.lemmas import point_text

    x, pc = report.point_values[index]
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 4.6), dpi=_DPI)
    pairs = [(int(p.p), v) for p, v in pc.pairs() if p.q == 1]
    fo = float(target_at(x, report.R))
    dl = float(report.delta)
    ax.plot([p for p, _ in pairs], [_mid(v) for _, v in pairs], ".-", ms=3, lw=0.8, color="C0",
            label="S_P(x), periodic series (Arb balls)")
    ax.axhline(fo, color="k", lw=1, label=f"f°(x) = {fo:g}")
    ax.axhspan(fo - dl, fo + dl, color="0.85", zorder=0, label=f"f°(x) ± delta = ± {report.delta}")
    ax.set_xlabel("P (partial sum over |k| <= P)")
    ax.set_title(f"Fourier: ball d={report.d}, R={report.R}, x = {point_text(x)}")
    ax.legend(fontsize=8, loc="best")
    c = _claim(report, f"network_point:x={point_text(x)}")
    T_lo, T_hi = _T_bounds(c)
    horizon = max(10, 2 * (T_hi if T_hi is not None else T_lo))
    t, f, label = network_at(report, x, horizon)
    bx.semilogx(t[1:], f[1:], color="C3", lw=1.3, label=f"f(w_t, x) ({label})")
    if T_hi is not None:
        bx.axvline(T_hi, color="C3", ls=":", lw=1, label=f"proved: f(w_t, x) = f°(x) for t >= {T_hi}")
    bx.axhline(fo, color="k", lw=1)
    bx.set_ylim(-0.05, 1.1)
    bx.set_xlabel("gradient-descent step t (log scale)")
    bx.set_title("network at the same x")
    bx.legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def write_fourier_plots(report, out: Path) -> list[Path]:
    return [contrast_plot(report, out / "fourier_contrast.png"), ray_plot(report, out / "fourier_ray.png")]
