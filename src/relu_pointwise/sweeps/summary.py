"""Summaries and plots of a sweep's dataset (``OUT/summary.json``, ``OUT/*.png``).

* A seed axis (mini-batch paths are random): per setting of the other axes, the
  quantiles (5, 25, 50, 75, 95 %) over seeds of w_t / t^(1/3) at the recorded steps
  (the theory: w_t^3 ~ 3 eta c t, so w_t / t^(1/3) -> (3 eta c)^(1/3)), and of T(x).
* The fitted rate exponent of each path: the least-squares slope of log w_t against
  log t over the recorded steps with t >= T/10 (1/3 in theory, so L(w_t) ~ C/w_t
  decays like t^(-1/3)); its mean, standard deviation and quantiles over seeds.
* Two other axes with several values: heat maps of t* (median over the rest) and of
  the share of tasks whose outcome is ok.
"""
from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .store import atomic_write, load_results

__all__ = ["QUANTILES", "rate_exponent", "summarize"]

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
MAX_GROUPS_PLOTTED = 6


def rate_exponent(t: Sequence[float] | np.ndarray, w: Sequence[float] | np.ndarray) -> float:
    """Slope of log w_t against log t over recorded t >= max(1, T/10) with w_t > 0 (NaN if < 3 points)."""
    ta, wa = np.asarray(t, dtype=float), np.asarray(w, dtype=float)
    if ta.size == 0:
        return math.nan
    keep = (ta >= max(1.0, ta[-1] / 10)) & (wa > 0) & np.isfinite(wa)
    if keep.sum() < 3:
        return math.nan
    return float(np.polyfit(np.log(ta[keep]), np.log(wa[keep]), 1)[0])


def _quantiles(v: np.ndarray) -> dict[str, float | None]:
    v = v[np.isfinite(v)]
    if v.size == 0:
        return {f"q{int(q * 100):02d}": None for q in QUANTILES}
    return {f"q{int(q * 100):02d}": float(x) for q, x in zip(QUANTILES, np.quantile(v, QUANTILES))}


def _label_sort(v: Any) -> Any:
    from fractions import Fraction

    try:
        return (0, float(Fraction(str(v))), "")
    except (ValueError, ZeroDivisionError):
        return (1, 0.0, str(v))


def summarize(out: str | Path) -> list[Path]:
    """Write ``summary.json`` and the plots for the sweep in ``out``; return the files."""
    out = Path(out)
    df = load_results(out, index=False)
    meta = json.loads((out / "results.meta.json").read_text())
    axes: list[str] = list(meta.get("axes", []))
    summary: dict[str, Any] = {"tasks": len(df),
                               "outcomes": {str(k): int(v) for k, v in df["outcome"].value_counts().items()
                                            if int(v)}}
    files: list[Path] = []
    tcols = [c for c in df.columns if str(c).startswith("T(x=")]
    if "seed" in axes and "w" in df:
        summary["seeds"] = _seed_summary(df, axes, tcols, out, files)
    others = [a for a in axes if a != "seed" and df[a].nunique() > 1]
    if len(others) >= 2:
        summary["heatmaps"] = _heatmaps(df, others[:2], out, files)
    atomic_write(out / "summary.json", json.dumps(summary, indent=1, sort_keys=True, allow_nan=False,
                                                  default=str).encode())
    return [out / "summary.json", *files]


def _seed_summary(df: Any, axes: list[str], tcols: list[str], out: Path, files: list[Path]) -> list[dict]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    others = [a for a in axes if a != "seed"]
    ok = df[df["outcome"] == "ok"]
    groups = list(ok.groupby(others, sort=True)) if others else [((), ok)]
    res = []
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for gi, (key, g) in enumerate(groups):
        key = key if isinstance(key, tuple) else (key,)
        label = ", ".join(f"{a}={v}" for a, v in zip(others, key)) or "all"
        paths = [(np.asarray(t, float), np.asarray(w, float)) for t, w in zip(g["t"], g["w"]) if len(t)]
        entry: dict[str, Any] = {"group": dict(zip(others, [str(k) for k in key])), "seeds": len(g)}
        exps = np.array([rate_exponent(t, w) for t, w in paths])
        entry["rate_exponent"] = {"mean": _finite(np.nanmean(exps)) if np.isfinite(exps).any() else None,
                                  "std": _finite(np.nanstd(exps)) if np.isfinite(exps).any() else None,
                                  **_quantiles(exps)}
        entry["T"] = {c: _quantiles(g[c].to_numpy(dtype=float)) for c in tcols}
        same = [p for p in paths if len(p[0]) == len(paths[0][0]) and np.array_equal(p[0], paths[0][0])] \
            if paths else []
        if same:
            t = same[0][0]
            pos = t > 0
            R = np.stack([w[pos] / np.cbrt(t[pos]) for _, w in same])
            q = np.quantile(R, QUANTILES, axis=0)
            entry["w_over_t13"] = {"t": [int(v) for v in t[pos]],
                                   **{f"q{int(qq * 100):02d}": [float(v) for v in row]
                                      for qq, row in zip(QUANTILES, q)}}
            if gi < MAX_GROUPS_PLOTTED:
                line, = ax.semilogx(t[pos], q[2], label=f"{label} (median, {len(same)} seeds)")
                ax.fill_between(t[pos], q[1], q[3], color=line.get_color(), alpha=0.3)
                ax.fill_between(t[pos], q[0], q[4], color=line.get_color(), alpha=0.12)
        res.append(entry)
    if ax.lines:      # certify and crosscheck tasks record no path: no plot
        ax.set_xlabel("step t")
        ax.set_ylabel("w_t / t^(1/3)")
        ax.set_title("quantiles over seeds: median, 25-75 % and 5-95 % bands")
        ax.legend(fontsize=7)
        p = out / "seeds_w_over_t13.png"
        fig.tight_layout()
        fig.savefig(p, dpi=110)
        files.append(p)
    plt.close(fig)
    return res


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _heatmaps(df: Any, two: list[str], out: Path, files: list[Path]) -> dict[str, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    a, b = two
    ra = sorted(df[a].unique(), key=_label_sort)
    rb = sorted(df[b].unique(), key=_label_sort)
    tstar = np.full((len(ra), len(rb)), np.nan)
    okshare = np.full((len(ra), len(rb)), np.nan)
    for i, va in enumerate(ra):
        for j, vb in enumerate(rb):
            cell = df[(df[a] == va) & (df[b] == vb)]
            if len(cell):
                ts = cell["t_star"].to_numpy(dtype=float)
                if np.isfinite(ts).any():
                    tstar[i, j] = float(np.nanmedian(ts))
                okshare[i, j] = float((cell["outcome"] == "ok").mean())
    made = {}
    for name, M, title in (("t_star", tstar, "t* (median)"), ("ok_share", okshare, "share of tasks ok")):
        if not np.isfinite(M).any():
            continue
        fig, ax = plt.subplots(figsize=(1.2 + 0.8 * len(rb), 1.2 + 0.6 * len(ra)))
        im = ax.imshow(M, aspect="auto", cmap="viridis")
        ax.set_xticks(range(len(rb)), [str(v) for v in rb], rotation=45, fontsize=7)
        ax.set_yticks(range(len(ra)), [str(v) for v in ra], fontsize=7)
        ax.set_xlabel(b)
        ax.set_ylabel(a)
        ax.set_title(title)
        for i in range(len(ra)):
            for j in range(len(rb)):
                if np.isfinite(M[i, j]):
                    ax.text(j, i, f"{M[i, j]:.3g}", ha="center", va="center", fontsize=6, color="w")
        fig.colorbar(im, ax=ax)
        fig.tight_layout()
        p = out / f"heatmap_{name}.png"
        fig.savefig(p, dpi=110)
        plt.close(fig)
        files.append(p)
        made[name] = {"rows": [str(v) for v in ra], "cols": [str(v) for v in rb],
                      "values": [[_finite(v) for v in row] for row in M]}
    return {"axes": [a, b], **made}
