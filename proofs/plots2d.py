"""Pictures for d = 2 targets (PNG, matplotlib's Agg backend).

* :func:`region_map`: the network's linear regions (derive(spec).cells, exact
  polygons), one colour per activation pattern, with the target boundary
  {g = 0} drawn from the same cells (on each cell g is affine, so the boundary
  piece is the segment where the line g = 0 crosses the polygon) and, for ball
  targets, the true sphere |x| = R dashed for comparison.
* :func:`output_images`: f(w, x) = clamp(w g(x) + 1/2, 0, 1) on a pixel grid for
  several slopes w (e.g. w_t along a gradient-descent run), with {g = 0}.
  The pixels come from a float64 forward pass through the network's own layers
  (:func:`forward_level`), not from the level tree.
* :func:`gd_slopes`: w_t for chosen t from the exact GD map Phi of a derivation,
  iterated in mpmath at 30 digits (for picture captions only; the engines in
  numeric/ are the reference trajectories).
"""
from __future__ import annotations

import colorsys
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import LineCollection, PolyCollection

from relu_pointwise.symbolic.errors import InputError
from relu_pointwise.symbolic.targets import DeepBall, ExactBall


def _require_2d(spec) -> None:
    if spec.dim != 2:
        raise InputError(f"plots: region maps and images are for d = 2 targets, this one has d = {spec.dim}")


def forward_level(network, pts: np.ndarray) -> np.ndarray:
    """g at the rows of ``pts`` (shape (n, 2)) by a float64 pass through the layers."""
    cols = [pts[:, i] for i in range(network.dim)]
    if "sqnorm" in network.features:
        cols.append(np.sum(pts * pts, axis=1))
    h = np.stack(cols, axis=1)
    for layer in network.hidden:
        W = np.array([[float(v) for v in row] for row in layer.weight])
        b = np.array([float(v) for v in layer.bias])
        h = np.maximum(h @ W.T + b, 0.0)
    v = np.array([float(c) for c in network.readout])
    return h @ v + float(network.readout_bias)


def _colour(k: int) -> tuple[float, float, float]:
    """A distinct pastel colour for the k-th pattern (golden-ratio hue walk)."""
    hue = (k * 0.6180339887) % 1.0
    return colorsys.hls_to_rgb(hue, 0.72, 0.55)


def _ball_radius(spec) -> float | None:
    lvl = spec.target.level
    if isinstance(lvl, (ExactBall, DeepBall)):
        return float(lvl.R2) ** 0.5
    return None


def _zero_segments(cells) -> list[list[tuple[float, float]]]:
    """On each cell, the segment where the affine g vanishes (the target boundary):
    the points of the polygon's boundary where g changes sign (signs exact)."""
    segs = []
    for cell in cells:
        exact = cell.poly.ordered_vertices_2d()
        pts = [(float(v[0]), float(v[1])) for v in exact]
        gx = [cell.g_at([_q(c) for c in v]) for v in exact]
        hits: list[tuple[float, float]] = []
        n = len(pts)
        for i in range(n):
            j = (i + 1) % n
            if gx[i] == 0:
                hits.append(pts[i])
            elif gx[j] != 0 and (gx[i] > 0) != (gx[j] > 0):
                t = float(gx[i] / (gx[i] - gx[j]))
                hits.append((pts[i][0] + t * (pts[j][0] - pts[i][0]), pts[i][1] + t * (pts[j][1] - pts[i][1])))
        if len(hits) >= 2:
            hits.sort()
            segs.append([hits[0], hits[-1]])
    return segs


def _q(v):
    import sympy

    return sympy.Rational(int(v.numerator), int(v.denominator))


def _frame(ax, spec) -> None:
    lo, hi = [float(v) for v in spec.domain.lo], [float(v) for v in spec.domain.hi]
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_aspect("equal")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")


def _sphere(ax, spec) -> None:
    R = _ball_radius(spec)
    if R is not None:
        th = np.linspace(0, 2 * np.pi, 400)
        ax.plot(R * np.cos(th), R * np.sin(th), "k--", lw=0.8, label=f"|x| = R = {R:g}")


def region_map(spec, path: str | Path, derivation=None) -> Path:
    """Write the region map of a d = 2 spec to ``path`` (PNG); returns the path."""
    _require_2d(spec)
    if derivation is None:
        from relu_pointwise.symbolic.loss import derive

        derivation = derive(spec)
    cells = derivation.cells
    fig, ax = plt.subplots(figsize=(6.4, 6.4), dpi=110)
    if cells:
        patterns: dict[tuple, int] = {}
        polys, colours = [], []
        for cell in cells:
            k = patterns.setdefault(cell.pattern, len(patterns))
            polys.append([tuple(float(c) for c in v) for v in cell.poly.ordered_vertices_2d()])
            colours.append(_colour(k))
        ax.add_collection(PolyCollection(polys, facecolors=colours, edgecolors="0.35", linewidths=0.3))
        ax.add_collection(LineCollection(_zero_segments(cells), colors="crimson", linewidths=1.6,
                                         label="network boundary g = 0"))
        title = f"{len(cells)} linear regions, {len(patterns)} patterns"
    else:  # exact ball: g = c - alpha |x|^2 is not piecewise linear
        lo, hi = [float(v) for v in spec.domain.lo], [float(v) for v in spec.domain.hi]
        ax.add_patch(plt.Rectangle((lo[0], lo[1]), hi[0] - lo[0], hi[1] - lo[1], color=_colour(0)))
        title = "no polytope regions (fixed feature |x|^2)"
    _sphere(ax, spec)
    _frame(ax, spec)
    ax.set_title(f"{spec.target.text}\n{title}", fontsize=9)
    ax.legend(loc="upper right", fontsize=7)
    path = Path(path)
    fig.savefig(path)
    plt.close(fig)
    return path


def output_images(spec, slopes: Sequence[float], path: str | Path,
                  labels: Sequence[str] | None = None, pixels: int = 241) -> Path:
    """Write f(w, .) for each w in ``slopes`` side by side to ``path`` (PNG)."""
    _require_2d(spec)
    if not slopes:
        raise InputError("plots: give at least one slope w")
    lo, hi = [float(v) for v in spec.domain.lo], [float(v) for v in spec.domain.hi]
    xs = np.linspace(lo[0], hi[0], pixels)
    ys = np.linspace(lo[1], hi[1], pixels)
    X, Y = np.meshgrid(xs, ys)
    g = forward_level(spec.network, np.column_stack([X.ravel(), Y.ravel()])).reshape(X.shape)
    n = len(slopes)
    fig, axes = plt.subplots(1, n, figsize=(2.9 * n + 1.2, 3.6), dpi=100, squeeze=False)
    for k, (ax, wv) in enumerate(zip(axes[0], slopes)):
        f = np.clip(float(wv) * g + 0.5, 0.0, 1.0)
        im = ax.imshow(f, origin="lower", extent=(lo[0], hi[0], lo[1], hi[1]), vmin=0, vmax=1, cmap="viridis")
        ax.contour(X, Y, g, levels=[0.0], colors="white", linewidths=0.8)
        _sphere(ax, spec)
        _frame(ax, spec)
        if k:
            ax.set_ylabel("")
            ax.tick_params(labelleft=False)
        lab = labels[k] if labels else f"w = {float(wv):.4g}"
        ax.set_title(lab, fontsize=9)
    fig.colorbar(im, ax=list(axes[0]), shrink=0.8, label="f(w, x)")
    fig.suptitle(spec.target.text, fontsize=9)
    path = Path(path)
    fig.savefig(path, bbox_inches="tight")  # square panels in a wide row: crop the margins
    plt.close(fig)
    return path


def gd_slopes(derivation, eta, w0, steps: Sequence[int]) -> list:
    """w_t for t in ``steps`` from w_{t+1} = Phi(w_t), Phi the derivation's exact GD map,
    evaluated in mpmath (30 digits).  Needs w0 >= derivation.exact_from."""
    import mpmath
    import sympy

    from relu_pointwise.symbolic.loss import w as W

    if w0 < derivation.exact_from:
        raise InputError(f"plots: w0 must be >= {derivation.exact_from} (the exact loss starts there)")
    with mpmath.workdps(30):
        mpf = mpmath.mpf
        pieces = [(mpf(sympy.N(lo, 40)), mpf(sympy.N(hi, 40)) if hi != sympy.oo else mpmath.inf,
                   sympy.lambdify(W, phi, modules="mpmath")) for lo, hi, phi in derivation.gd_map(eta)]
        wv = mpf(sympy.N(w0, 40))
        out = {}
        last = max(steps) if steps else 0
        for t in range(last + 1):
            out[t] = wv
            for lo, hi, phi in pieces:
                if lo <= wv < hi:
                    wv = mpf(phi(wv))
                    break
            else:
                raise ValueError(f"w = {wv} is outside the derived pieces")
        return [out[t] for t in steps]
