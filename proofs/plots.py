"""The certificate's pictures (PNG, matplotlib with the Agg backend).

* ``loss.png``: L(w_t) against t on log-log axes (the loss enclosed along the
  path, drawn at the balls' midpoints), the least-squares slope of log L against
  log t over the last decade of steps, a reference line c t^(-1/3), and the proved
  bound Cbar (w_{t0}^3 + 3 eta c (t - t0))^(-1/3) of the ``rate`` claim.
  Mini-batches: the batch losses of the realized path.
* ``outputs.png``: f(w_t, .) over the domain at several t next to the target
  f° (1-D); for d = 2 one image per t (:func:`proofs.plots2d.output_images`).
  f = clamp(w g + 1/2, 0, 1) with g from a float64 forward pass through the
  network's own layers (:class:`numeric.np_engine.FloatNet`).
* ``region_map.png`` (d = 2): the network's linear regions and its boundary g = 0
  (:func:`proofs.plots2d.region_map`).
* ``T.png``: T(x), the step from which f(w_t, x) = f°(x) for ever: the certified
  values / bounds at the requested points, over a dense curve from the enclosed
  path (first t with lo_t >= 1/(2|g(x)|)) continued by the proved bound (1-D);
  d = 2: the certified values as coloured points over the domain.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

_DPI = 110


def _f(q) -> float:
    """A float for drawing: +-inf beyond a double's range (a user's eta or w0 may be 10^300 or more)."""
    try:
        return float(q)
    except OverflowError:
        return math.inf if q > 0 else -math.inf


def _mid(lo, hi) -> float:
    return (_f(lo) + _f(hi)) / 2


def _float_level(spec, X: np.ndarray) -> np.ndarray:
    from relu_pointwise.numeric.np_engine import FloatNet

    return FloatNet(spec.network).level(X)


# ---------------------------------------------------------------------- the series drawn

FALLBACK_STEPS = 300


@dataclass
class Series:
    """What the plots draw: w_t (and the step losses) for t = 0..n, as floats.

    From the certificate's enclosures when it has them (``rigorous``: midpoints of the balls,
    ``lo`` the rigorous lower bounds); otherwise (the exact ball from w0 < w*, where no closed
    form exists below w*) from the float64 engine's own run (evidence only, labelled so).
    """

    w: np.ndarray
    loss: np.ndarray | None
    lo: np.ndarray
    label: str
    rigorous: bool

    @property
    def horizon(self) -> int:
        return len(self.w) - 1


def series_of(b) -> Series | None:
    if b.path is not None:
        w = np.array([_mid(lo, hi) for lo, hi in zip(b.path.lo, b.path.hi)])
        loss = None if b.losses is None else np.array([_mid(lo, hi) for lo, hi in b.losses])
        return Series(w, loss, np.array([_f(v) for v in b.path.lo]), "Arb enclosure", True)
    n = min(int(b.cert["inputs"]["steps"]), FALLBACK_STEPS)
    net = b.spec.network
    if "sqnorm" in net.features and not net.hidden and b.training.batch.kind.population:
        # the exact ball's loss is radial: one 1-D law of |x|^2 instead of a d-dimensional
        # cubature, whose cost grows exponentially in d (minutes for d >= 4)
        from relu_pointwise.numeric.np_radial import run_radial

        w, loss = run_radial(b.spec, b.training, n, cells=1 << 13)   # plot accuracy (~1e-4 in s)
        return Series(w, loss, w, f"float64 radial quadrature, {n} steps (evidence only)", False)
    from relu_pointwise.numeric.engines import get_engine

    # every step kept, the step's loss as the engine computes it (no second population pass)
    run = get_engine("np").run(b.spec, b.training, n, record_every=1, population=False)
    w = np.asarray(run.ws, dtype=np.float64)
    return Series(w, np.asarray(run.losses, dtype=np.float64), w, f"float64 engine, {n} steps (evidence only)",
                  False)


# ---------------------------------------------------------------------- loss

def _losses(b, ser: Series | None) -> tuple[np.ndarray, np.ndarray] | None:
    """(t, loss of step t at w_t): log-spaced steps for full batch, every step otherwise."""
    if ser is None or ser.loss is None:
        return None
    n = ser.horizon
    if b.training.batch.kind.population:
        t = np.unique(np.concatenate([np.arange(0, min(n, 50) + 1),
                                      np.round(np.logspace(0, math.log10(max(n, 1)), 400)).astype(int)]))
        t = t[t <= n]
    else:
        t = np.arange(n + 1)
    return t, ser.loss[t]


def loss_plot(b, path: Path, ser: Series | None = None) -> Path | None:
    ser = series_of(b) if ser is None else ser
    data = _losses(b, ser)
    if data is None or ser is None:
        return None
    t, Lv = data
    keep = (t >= 1) & (Lv > 0)
    t, Lv = t[keep], Lv[keep]
    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=_DPI)
    full = b.training.batch.kind.population
    label = ((f"$L(w_t)$ ({ser.label}, drawn at the midpoints)" if ser.rigorous else f"$L(w_t)$ ({ser.label})")
             if full else f"step loss ({ser.label}, realized path)")
    ax.loglog(t, Lv, color="C0", lw=1.3 if full else 0.5, alpha=1 if full else 0.6, label=label, zorder=3)
    if not full and len(Lv) > 10:
        k = max(5, len(Lv) // 40)
        avg = np.convolve(Lv, np.ones(k) / k, mode="valid")
        ax.loglog(t[k - 1:], avg, color="k", lw=1.5, zorder=4, label=f"running mean over {k} steps")
        pos = Lv[Lv > 0]
        ax.set_ylim(bottom=max(float(pos.min()), float(avg.min()) / 30))
    n = int(t[-1]) if len(t) else 1
    tail = t >= max(1, n / 10)
    if tail.sum() >= 3 and full:
        slope, icpt = np.polyfit(np.log(t[tail]), np.log(Lv[tail]), 1)
        ax.loglog(t[tail], np.exp(icpt) * t[tail] ** slope, color="C3", lw=2.4, ls=(0, (1, 1)), zorder=4,
                  label=f"least-squares fit on the last decade: slope {slope:.4f}")
    if len(t):
        ref = 0.5 * Lv[-1] * (t / t[-1]) ** (-1 / 3)
        ax.loglog(t, ref, color="0.45", ls="--", lw=1.0, label=r"reference line $\propto t^{-1/3}$ (shifted down)")
    if b.growth is not None and b.entry is not None and b.growth.ok and b.entry.ok and full:
        eta = np.float64(_f(b.training.eta))
        c, Cb = np.float64(_f(b.growth.c)), np.float64(_f(b.growth.Cbar))
        t0, W0 = b.entry.t0, np.float64(_f(b.entry.w_lower))
        tt = t[t >= max(t0, 1)]
        with np.errstate(all="ignore"):       # beyond a double's range: inf/0, not drawn
            curve = Cb * (W0 ** 3 + 3 * eta * c * (tt - t0)) ** (-1 / 3)
        if len(tt) and np.isfinite(curve).all() and (curve > 0).any():
            ax.loglog(tt, curve, color="C2", lw=5, alpha=0.35,
                      zorder=1, label=r"proved bound $\bar C\,(w_{t_0}^3 + 3\eta c\,(t - t_0))^{-1/3}$, $t \geq t_0$")
    ax.set_xlabel("step t")
    ax.set_ylabel("loss")
    ax.set_title(f"{b.spec.target.text}: loss along gradient descent ({b.training.batch.text()})", fontsize=10)
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=8, loc="lower left")
    # fixed margins instead of tight_layout: one draw per figure (tight_layout draws it once more)
    fig.subplots_adjust(left=0.11, right=0.98, bottom=0.11, top=0.93)
    fig.savefig(path)
    plt.close(fig)
    return path


# ---------------------------------------------------------------------- outputs

def output_plot(b, path: Path, ser: Series | None = None) -> Path | None:
    ser = series_of(b) if ser is None else ser
    if ser is None:
        return None
    n = ser.horizon
    steps = [t for t in [0, 1, 3, 10, 100, 1000, n] if t <= n]
    steps = sorted(set(steps))
    if len(steps) > 6:
        steps = steps[:5] + [n]
    ws = [_f(ser.w[t]) for t in steps]
    spec = b.spec
    if spec.dim == 2:
        from .plots2d import output_images

        return output_images(spec, ws, path, labels=[f"t = {t}, w = {wv:.3g}" for t, wv in zip(steps, ws)])
    if spec.dim != 1:
        return None
    lo, hi = float(spec.domain.lo[0]), float(spec.domain.hi[0])
    x = np.linspace(lo, hi, 2001)
    g = _float_level(spec, x[:, None])
    fig, ax = plt.subplots(figsize=(6.8, 4.2), dpi=_DPI)
    cmap = plt.get_cmap("viridis")
    for k, (t, wv) in enumerate(zip(steps, ws)):
        ax.plot(x, np.clip(wv * g + 0.5, 0, 1), color=cmap(k / max(1, len(steps) - 1) * 0.9), lw=1.3,
                label=f"t = {t} (w = {wv:.3g})")
    target = np.where(g > 0, 1.0, np.where(g < 0, 0.0, 0.5))
    ax.plot(x, target, color="C3", lw=1.2, ls="--", label="target f°")
    zeros = [float(pt["x"][0]) for pt in b.pointwise if pt["g"] == 0]
    if zeros:
        ax.plot(zeros, [0.5] * len(zeros), "o", color="C3", ms=5, label="boundary: f = 1/2 for all t")
    ax.set_xlabel("x")
    ax.set_ylabel("f(w_t, x)")
    ax.set_ylim(-0.05, 1.12)
    ax.set_title(f"{spec.target.text}: the network at several steps", fontsize=10)
    ax.legend(fontsize=7.5, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.subplots_adjust(left=0.09, right=0.70, bottom=0.12, top=0.93)   # legend outside, right
    fig.savefig(path)
    plt.close(fig)
    return path


# ---------------------------------------------------------------------- T(x)

def _T_curve(b, ser: Series, x: np.ndarray) -> np.ndarray:
    """T(x) from the tightened lower path bounds (float thresholds; display only), then the proved bound.
    ``x``: shape (n,) in 1-D or (n, d)."""
    g = np.abs(_float_level(b.spec, x[:, None] if x.ndim == 1 else x))
    lo = np.maximum.accumulate(ser.lo)
    with np.errstate(divide="ignore"):
        theta = np.where(g > 0, 1 / (2 * g), np.inf)
    idx = np.searchsorted(lo, theta, side="left").astype(float)
    beyond = idx > ser.horizon
    if beyond.any() and b.growth is not None and b.entry is not None and b.growth.ok and b.entry.ok:
        G, K = np.float64(_f(b.growth.gain_for(b.training.eta))), b.growth.period
        t0, W0 = b.entry.t0, np.float64(_f(b.entry.w_lower))
        with np.errstate(all="ignore"):       # beyond a double's range: inf / nan, not drawn
            idx[beyond] = t0 + K * np.ceil(np.maximum(theta[beyond] ** 3 - W0 ** 3, 0) / G)
    elif beyond.any():
        idx[beyond] = np.nan
    idx[g == 0] = np.nan
    return idx


def T_plot(b, path: Path, ser: Series | None = None) -> Path | None:
    if not b.pointwise:
        return None
    ser = series_of(b) if ser is None else ser
    spec = b.spec
    pts = b.pointwise
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=_DPI)
    if spec.dim == 1:
        if ser is not None:
            lo, hi = float(spec.domain.lo[0]), float(spec.domain.hi[0])
            x = np.linspace(lo, hi, 4001)
            full = b.growth is not None
            ax.plot(x, _T_curve(b, ser, x), color="0.55", lw=1.0,
                    label=f"T(x) along the path ({ser.label})" + (", then the proved bound" if full else
                                                                  f" (realized, t <= {ser.horizon})"))
        xs = np.array([float(p["x"][0]) for p in pts])
        Tlo = np.array([p["T_lo"] for p in pts], dtype=float)
        Thi = np.array([np.nan if p["T_hi"] is None else p["T_hi"] for p in pts], dtype=float)
        exact = Tlo == Thi
        ax.plot(xs[exact], Thi[exact], "o", color="C0", ms=5, label="certified T(x) (requested points)")
        upper = ~exact & ~np.isnan(Thi) & (Tlo <= 1) & (Thi > Tlo)
        if upper.any():
            ax.plot(xs[upper], Thi[upper], "v", color="C1", ms=6, label="certified upper bound on T(x)")
        unreached = np.isnan(Thi)
        if unreached.any():
            ax.plot(xs[unreached], Tlo[unreached], "^", color="C3", ms=6,
                    label="not reached on the enclosed path: T(x) >= this")
        rng = ~exact & ~np.isnan(Thi) & ~upper
        if rng.any():
            ax.errorbar(xs[rng], (Tlo[rng] + Thi[rng]) / 2, yerr=(Thi[rng] - Tlo[rng]) / 2, fmt="none",
                        ecolor="C1", capsize=3, label="certified bounds on T(x)")
        ax.set_xlabel("x")
        ax.set_yscale("symlog", linthresh=1)
        finite = Thi[~np.isnan(Thi)]
        top = max(1e3, 30 * float(finite.max()) if len(finite) else 1e3, 3 * ser.horizon if ser is not None else 0)
        ax.set_ylim(-0.3, top)
        ax.set_ylabel("T(x)  (f(w_t, x) = f°(x) for all t >= T(x))")
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False)
    elif spec.dim == 2:
        xs = np.array([[float(v) for v in p["x"]] for p in pts])
        T = np.array([np.nan if p["T_hi"] is None else p["T_hi"] for p in pts], dtype=float)
        lo0, hi0 = float(spec.domain.lo[0]), float(spec.domain.hi[0])
        lo1, hi1 = float(spec.domain.lo[1]), float(spec.domain.hi[1])
        vmax = max(1.0, float(np.log10(1 + np.nanmax(T))) if np.isfinite(T).any() else 1.0)
        if ser is not None:
            X, Y = np.meshgrid(np.linspace(lo0, hi0, 161), np.linspace(lo1, hi1, 161))
            Tg = _T_curve(b, ser, np.column_stack([X.ravel(), Y.ravel()])).reshape(X.shape)
            vmax = max(vmax, float(np.nanpercentile(np.log10(1 + Tg), 90)))
            ax.imshow(np.log10(1 + Tg), origin="lower", extent=(lo0, hi0, lo1, hi1), cmap="magma_r",
                      vmin=0, vmax=vmax, interpolation="nearest")
            gg = _float_level(spec, np.column_stack([X.ravel(), Y.ravel()])).reshape(X.shape)
            ax.contour(X, Y, gg, levels=[0.0], colors="C0", linewidths=1.0)
        sc = ax.scatter(xs[:, 0], xs[:, 1], c=np.log10(1 + np.nan_to_num(T, nan=0)), s=55, cmap="magma_r",
                        vmin=0, vmax=vmax, edgecolors="white", linewidths=1.2)
        for (a, bb), tv in zip(xs, T):
            ax.annotate("?" if np.isnan(tv) else f"{int(tv)}", (a, bb), textcoords="offset points",
                        xytext=(4, 4), fontsize=7, color="C0",
                        bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.7})
        fig.colorbar(sc, ax=ax, label="log10(1 + T(x))")
        src = ser.label if ser is not None else "none"
        ax.text(0.0, -0.16, "dots: certified T(x) (or its certified upper bound) at the requested points;\n"
                f"background: T(x) from the path ({src}), then the proved bound;\n"
                "blue line: the target boundary g = 0", transform=ax.transAxes, fontsize=7, va="top")
        ax.set_xlim(float(spec.domain.lo[0]) - 0.05, float(spec.domain.hi[0]) + 0.05)
        ax.set_ylim(float(spec.domain.lo[1]) - 0.05, float(spec.domain.hi[1]) + 0.05)
        ax.set_aspect("equal")
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")
    else:
        plt.close(fig)
        return None
    ax.set_title(f"{spec.target.text}:\nthe step T(x) after which the network equals the target", fontsize=10)
    ax.grid(True, alpha=0.25)
    fig.subplots_adjust(left=0.1, right=0.96, bottom=0.11 if spec.dim == 1 else 0.2, top=0.88)
    fig.savefig(path)
    plt.close(fig)
    return path


def write_plots(b, out: Path) -> list[Path]:
    """Write the PNGs of the module docstring into ``out``; returns the files written."""
    written = []
    ser = series_of(b)
    for name, fn in (("loss.png", loss_plot), ("outputs.png", output_plot), ("T.png", T_plot)):
        p = fn(b, Path(out) / name, ser)
        if p is not None:
            written.append(Path(p))
    if b.spec.dim == 2:   # the network's linear regions and its boundary g = 0 (the README's picture)
        from .plots2d import region_map

        written.append(Path(region_map(b.spec, Path(out) / "region_map.png", b.derivation)))
    return written
