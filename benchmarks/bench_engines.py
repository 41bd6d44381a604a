"""Side-by-side speed of the engines, on the package's own code paths (issue 11).  Not a test.

    python benchmarks/bench_engines.py                 # about 8 minutes; writes benchmarks/results.json
    python benchmarks/bench_engines.py --rounds 1 --reps 2 --quick      # a smoke run

What is timed (every engine row calls the package's public function; nothing is copied):

* mini-batch gradient descent, r = 2, eta = 1, w_0 = 0, seed 0, only w_0 and w_T recorded,
  on ``interval:-1/2,1/2`` and ``ball:d=2,R=1/2,N=4`` at ``sampled:1024`` and ``sampled:65536``:
  - ``np``: :func:`relu_pointwise.numeric.np_engine.run_np` (drawing the points included);
  - ``jax``: :func:`relu_pointwise.numeric.jax_engine.run_jax` (jit; compile excluded by a
    warm-up run of the same length, drawing the points included);
  - ``torch``: the same descent written plainly in PyTorch (float64 autograd, one thread),
    only where ``torch`` can be imported (it is not installed here, and not installed by this
    script);
  - ``numpy-hand``: a hand-written NumPy loop of the same work (draw the step's points,
    forward through the layers, f° from the package's geometric labels, the head's gradient
    by its formula, the update), written as a user would: a baseline, not the package.
* full batch, 10^4 trajectories stepping together (interval, 30 steps): ``np``
  (``run_np`` with arrays w_0, eta) against ``numpy-hand``, a hand-written vectorized NumPy
  version of the same quadrature (the interval's four pieces of g, cut at the head kinks,
  two-point Gauss-Legendre on each sub-piece).
* arb against mp at EQUAL precision: ``run_mp`` at 50 digits (mpmath's working precision
  169 bits) and ``run_arb`` at 169 bits, full batch, interval.

How: every pair of engines compared (np/jax, np/torch, np/numpy-hand, arb/mp) runs in a
fresh process per round (``--child``), with glibc's allocator thresholds fixed
(MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_: no run is sped up by an earlier one's
frees): import, one warm-up run of each engine of the same length, then ``--reps``
repetitions timing the two back to back, the order alternating, so both see the same
machine load.  Rounds (``--rounds``) repeat this with the pairs in a shuffled order.  The
table gives the median seconds of each case and the median of the per-repetition speed
ratios, with their min and max.  Threads are pinned to one in the children
(OPENBLAS/OMP/MKL_NUM_THREADS=1; XLA: ``--xla_cpu_multi_thread_eigen=false
intra_op_parallelism_threads=1``; torch.set_num_threads(1)).  OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE, if set in the environment, are removed for the children (they slow a
current numpy; see the machine notes) and the fact is recorded.  The load average before
and after is recorded: the machine is shared.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
INTERVAL = "interval:-1/2,1/2"
DEEP = "ball:d=2,R=1/2,N=4"
MP_DPS = 50

# case -> (kind, engine, target, batch, steps, trajectories)
CASES: dict[str, tuple[str, str, str, str, int, int]] = {}
for _tgt, _tname, _steps in ((INTERVAL, "interval", (4000, 200)), (DEEP, "deep ball N=4", (1500, 40))):
    for _M, _n in ((1024, _steps[0]), (65536, _steps[1])):
        for _eng in ("np", "jax", "torch", "numpy-hand"):
            CASES[f"{_eng}|{_tname}|sampled:{_M}"] = ("sampled", _eng, _tgt, f"sampled:{_M}", _n, 1)
CASES["np|interval|full x 10^4 trajectories"] = ("full", "np", INTERVAL, "full", 30, 10_000)
CASES["numpy-hand|interval|full x 10^4 trajectories"] = ("full", "numpy-hand", INTERVAL, "full", 30, 10_000)
CASES["mp|interval|full"] = ("exact", "mp", INTERVAL, "full", 20_000, 1)
CASES["arb|interval|full"] = ("exact", "arb", INTERVAL, "full", 20_000, 1)
QUICK_SCALE = 0.1


# ====================================================================== runners (child side)

def _f(q: Any) -> float:
    from fractions import Fraction

    return float(Fraction(int(q.p), int(q.q)))


def _hand_sampled(spec: Any, M: int, steps: int) -> Callable[[], float]:
    """A plain NumPy mini-batch loop: per step draw, forward, labels, gradient by formula, update."""
    import numpy as np

    from relu_pointwise.numeric.labels import labels

    net = spec.network
    Ws = [np.array([[_f(v) for v in row] for row in layer.weight]).reshape(layer.width, -1) for layer in net.hidden]
    bs = [np.array([_f(v) for v in layer.bias]) for layer in net.hidden]
    v = np.array([_f(x) for x in net.readout])
    c = _f(net.readout_bias)
    lo = np.array([_f(a) for a in spec.domain.lo])
    hi = np.array([_f(b) for b in spec.domain.hi])
    level = spec.target.level

    def run() -> float:
        rng = np.random.default_rng(0)
        w = 0.0
        for _ in range(steps):
            X = lo + (hi - lo) * rng.random((M, lo.shape[0]))
            h = X
            for W, b in zip(Ws, bs):
                h = np.maximum(h @ W.T + b, 0.0)
            g = h @ v + c
            fo = labels(level, X)
            p = w * g
            e = np.clip(p + 0.5, 0.0, 1.0) - fo
            act = (p > -0.5) & (p <= 0.5)
            w -= 2.0 * np.mean(e * act * g)
        return w
    return run


def _torch_sampled(spec: Any, M: int, steps: int) -> Callable[[], float] | None:
    """The same descent in PyTorch (float64 autograd, one thread), on the shared points."""
    try:
        import torch
    except ImportError:
        return None
    import numpy as np

    from relu_pointwise.numeric.batches import BatchSchedule
    from relu_pointwise.numeric.labels import labels
    from relu_pointwise.symbolic.spec import make_training

    torch.set_num_threads(1)
    net = spec.network
    f64 = torch.float64
    Ws = [torch.tensor([[_f(v) for v in row] for row in layer.weight], dtype=f64) for layer in net.hidden]
    bs = [torch.tensor([_f(v) for v in layer.bias], dtype=f64) for layer in net.hidden]
    v = torch.tensor([_f(x) for x in net.readout], dtype=f64)
    c = _f(net.readout_bias)
    sched = BatchSchedule(spec, make_training(batch=f"sampled:{M}", seed=0), steps + 1)

    def run() -> float:
        w = torch.zeros((), dtype=f64, requires_grad=True)
        buf = np.empty((1, M, spec.dim))
        for t in range(steps):
            X = sched.draw_block(t, t + 1, buf)[0]
            fo = torch.from_numpy(labels(spec.target.level, X))
            h = torch.from_numpy(X)
            for W, b in zip(Ws, bs):
                h = torch.relu(h @ W.T + b)
            g = h @ v + c
            f = torch.relu(w * g + 0.5) - torch.relu(w * g - 0.5)
            loss = ((f - fo) ** 2).mean()
            loss.backward()
            with torch.no_grad():
                w -= w.grad
                w.grad = None
        return float(w.detach())
    return run


def _hand_full_interval(T: int, steps: int) -> Callable[[], object]:
    """Hand-written vectorized full-batch quadrature for interval (-1/2, 1/2) in [-1, 1], r = 2:
    g = 1/2 - |x| on the pieces [-1,-1/2], [-1/2,0], [0,1/2], [1/2,1] (f° = 0, 1, 1, 0),
    each cut where w g = -1/2 or 1/2, two-point Gauss-Legendre on every sub-piece
    (exact: the integrand 2 e g dpre is a quadratic there), density 1/2."""
    import numpy as np

    a = np.array([-1.0, -0.5, 0.0, 0.5])
    b = np.array([-0.5, 0.0, 0.5, 1.0])
    c0 = np.array([0.5, 0.5, 0.5, 0.5])          # g = c0 + c1 x on the piece
    c1 = np.array([1.0, 1.0, -1.0, -1.0])
    fo = np.array([0.0, 1.0, 1.0, 0.0])
    gx = np.array([0.5 - 0.5 / np.sqrt(3.0), 0.5 + 0.5 / np.sqrt(3.0)])
    w0 = np.linspace(0.0, 3.0, T)
    eta = np.linspace(0.5, 2.0, T)

    def grad(w: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            k1 = np.clip(((-0.5 / w)[:, None] - c0) / c1, a, b)      # x where w g = -1/2
            k2 = np.clip(((0.5 / w)[:, None] - c0) / c1, a, b)       # x where w g = 1/2
        lo, hi = np.minimum(k1, k2), np.maximum(k1, k2)
        ends = np.stack([np.broadcast_to(a, lo.shape), lo, hi, np.broadcast_to(b, lo.shape)], -1)
        L = ends[..., 1:] - ends[..., :-1]                            # (T, 4, 3)
        x = ends[..., :-1, None] + L[..., None] * gx                  # (T, 4, 3, 2)
        g = c0[:, None, None] + c1[:, None, None] * x
        p = w[:, None, None, None] * g
        e = np.clip(p + 0.5, 0.0, 1.0) - fo[:, None, None]
        act = (p > -0.5) & (p <= 0.5)
        return 0.5 * np.einsum("tpsq,tps->t", 2.0 * e * act * g, L) * 0.5   # GL weights 1/2, density 1/2

    def run() -> object:
        w = w0.copy()
        for _ in range(steps):
            w = w - eta * grad(w)
        return w
    return run


def build(case: str, steps: int) -> Callable[[], object] | None:
    kind, eng, tgt, batch, _, T = CASES[case]
    import numpy as np

    from relu_pointwise.symbolic.spec import make_spec, make_training

    spec = make_spec(tgt)
    tr = make_training(batch=batch, seed=0)
    if kind == "exact":
        if eng == "mp":
            from relu_pointwise.numeric.mp_engine import run_mp
            return lambda: run_mp(spec, tr, steps, dps=MP_DPS)
        from mpmath import libmp

        from relu_pointwise.numeric.arb_engine import run_arb
        bits = libmp.dps_to_prec(MP_DPS)
        return lambda: run_arb(spec, tr, steps, prec=bits)
    if kind == "full":
        if eng == "np":
            from relu_pointwise.numeric.np_engine import run_np
            w0, eta = np.linspace(0.0, 3.0, T), np.linspace(0.5, 2.0, T)
            return lambda: run_np(spec, tr, steps, w0=w0, eta=eta, record_every=steps, losses=False)
        return _hand_full_interval(T, steps)
    M = int(batch.split(":")[1])
    if eng == "np":
        from relu_pointwise.numeric.np_engine import run_np
        return lambda: run_np(spec, tr, steps, record_every=steps, losses=False)
    if eng == "jax":
        try:
            from relu_pointwise.numeric.jax_engine import run_jax
        except ImportError:
            return None
        return lambda: run_jax(spec, tr, steps, record_every=steps)
    if eng == "torch":
        return _torch_sampled(spec, M, steps)
    return _hand_sampled(spec, M, steps)


def child(cases: list[str], steps: list[int], reps: int) -> None:
    """One fresh process for one pair: build both, warm both up (same length), then ``reps``
    repetitions timing the two back to back (order alternating), so both see the same load."""
    runs: list[Callable[[], object] | None] = []
    out: dict[str, Any] = {"cases": cases, "steps": steps, "seconds": {c: [] for c in cases}, "skipped": {}}
    for c, n in zip(cases, steps):
        t0 = time.perf_counter()
        run = build(c, n)
        if run is None:
            out["skipped"][c] = "not installed"
        else:
            run()                                                # warm-up: same length (jit, caches)
        out.setdefault("warmup_seconds", {})[c] = time.perf_counter() - t0
        runs.append(run)
    if not out["skipped"]:
        for i in range(reps):
            order = [0, 1] if i % 2 == 0 else [1, 0]
            for k in order:
                run_k = runs[k]
                if run_k is None:
                    continue
                t1 = time.perf_counter()
                run_k()
                out["seconds"][cases[k]].append(time.perf_counter() - t1)
    print(json.dumps(out))


# ====================================================================== parent side

def child_env() -> tuple[dict[str, str], list[str]]:
    env = dict(os.environ)
    removed: list[str] = [k for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in env]
    for k in removed:
        del env[k]
    for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
              "VECLIB_MAXIMUM_THREADS"):
        env[k] = "1"
    env["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    # glibc's allocator with fixed thresholds (no dynamic mmap threshold: a run cannot make
    # the next one faster by having freed a large block)
    env["MALLOC_MMAP_THRESHOLD_"] = str(64 * 1024 * 1024)
    env["MALLOC_TRIM_THRESHOLD_"] = str(128 * 1024 * 1024)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env, removed


def run_child(cases: list[str], steps: list[int], reps: int, env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--child", ",".join(cases), "--steps",
                          ",".join(map(str, steps)), "--reps", str(reps)], env=env,
                         capture_output=True, text=True, timeout=1800, check=False)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"{cases}: child failed:\n{out.stderr[-2000:]}")
    return json.loads(lines[-1])


def versions() -> dict[str, str | None]:
    import importlib.metadata as md

    out: dict[str, str | None] = {"python": platform.python_version()}
    for pkg in ("numpy", "jax", "jaxlib", "torch", "mpmath", "python-flint", "gmpy2", "sympy"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = None
    return out


def machine() -> dict[str, Any]:
    cpu = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"platform": platform.platform(), "cpu": cpu, "cpus": os.cpu_count()}


def median(xs: list[float]) -> float:
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


PAIRS = [  # (label, numerator case, denominator case): ratio = numerator speed / denominator speed
    *((f"np / jax, {t}, sampled:{M}", f"np|{t}|sampled:{M}", f"jax|{t}|sampled:{M}")
      for t in ("interval", "deep ball N=4") for M in (1024, 65536)),
    *((f"np / torch, {t}, sampled:{M}", f"np|{t}|sampled:{M}", f"torch|{t}|sampled:{M}")
      for t in ("interval", "deep ball N=4") for M in (1024, 65536)),
    *((f"np / numpy-hand, {t}, sampled:{M}", f"np|{t}|sampled:{M}", f"numpy-hand|{t}|sampled:{M}")
      for t in ("interval", "deep ball N=4") for M in (1024, 65536)),
    ("np / numpy-hand, full x 10^4 trajectories", "np|interval|full x 10^4 trajectories",
     "numpy-hand|interval|full x 10^4 trajectories"),
    (f"arb / mp at {MP_DPS} digits = 169 bits", "arb|interval|full", "mp|interval|full"),
]


def table(summary: dict[str, Any], ratios: dict[str, Any]) -> str:
    lines = ["| case | engine | steps | traj | median s | steps/s |", "|---|---|---:|---:|---:|---:|"]
    for case, s in summary.items():
        eng, tgt, batch = case.split("|")
        if s.get("skipped"):
            lines.append(f"| {tgt}, {batch} | {eng} | | | {s['skipped']} | |")
            continue
        T = CASES[case][5]
        lines.append(f"| {tgt}, {batch} | {eng} | {s['steps']} | {T} | {s['median_seconds']:.3f} | "
                     f"{s['steps'] / s['median_seconds']:.0f} |")
    lines += ["", "| ratio (speed; median of back-to-back repetitions) | median | min | max | n |",
              "|---|---:|---:|---:|---:|"]
    for label, r in ratios.items():
        if r is None:
            lines.append(f"| {label} | n/a (not installed) | | | |")
        else:
            xs = r["rounds"]
            lines.append(f"| {label} | {r['median']:.2f} | {min(xs):.2f} | {max(xs):.2f} | {len(xs)} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="a tenth of the steps")
    ap.add_argument("-o", "--output", default=str(ROOT / "benchmarks" / "results.json"))
    ap.add_argument("--only", default="", help="comma-separated substrings: run matching cases only")
    ap.add_argument("--reps", type=int, default=5, help="back-to-back repetitions per pair and round")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--steps", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(a.child.split(","), [int(x) for x in a.steps.split(",")], a.reps)
        return
    env, removed = child_env()
    pairs = [(lab, n, d) for lab, n, d in PAIRS
             if not a.only or any(x in n or x in d for x in a.only.split(","))]
    steps = {c: max(2, int(CASES[c][4] * (QUICK_SCALE if a.quick else 1))) for _, n, d in pairs for c in (n, d)}
    load_before = os.getloadavg()
    t_start = time.time()
    rng = random.Random(0)
    secs: dict[str, list[float]] = {c: [] for c in steps}
    skipped: dict[str, str] = {}
    import importlib.util

    for c in steps:                       # an engine whose package is absent: no child at all
        if CASES[c][1] in ("torch", "jax") and importlib.util.find_spec(CASES[c][1]) is None:
            skipped[c] = "not installed"
    pairs_run = [p for p in pairs if p[1] not in skipped and p[2] not in skipped]
    per_pair: dict[str, list[float]] = {lab: [] for lab, _, _ in pairs}
    warm: dict[str, list[float]] = {c: [] for c in steps}
    for rnd in range(a.rounds):
        order = pairs_run[:]
        rng.shuffle(order)
        for lab, num, den in order:
            res = run_child([num, den], [steps[num], steps[den]], a.reps, env)
            for c, why in res["skipped"].items():
                skipped[c] = why
            for c, ws in res.get("warmup_seconds", {}).items():
                warm[c].append(ws)
            sn, sd = res["seconds"][num], res["seconds"][den]
            secs[num] += sn
            secs[den] += sd
            # speed ratio of each back-to-back repetition: (steps_n / s_n) / (steps_d / s_d)
            per_pair[lab] += [(steps[num] / x) / (steps[den] / y) for x, y in zip(sn, sd)]
            print(f"round {rnd + 1}/{a.rounds}  {lab:48s} "
                  + (f"skipped ({', '.join(res['skipped'])})" if res["skipped"] else
                     " ".join(f"{(steps[num] / x) / (steps[den] / y):.2f}" for x, y in zip(sn, sd))),
                  file=sys.stderr, flush=True)
    summary: dict[str, Any] = {}
    for c, n_steps in steps.items():
        if c in skipped:
            summary[c] = {"skipped": skipped[c]}
            continue
        summary[c] = {"steps": n_steps, "trajectories": CASES[c][5], "median_seconds": median(secs[c]),
                      "runs": len(secs[c]), "seconds_all": [round(x, 5) for x in secs[c]],
                      "warmup_seconds_median": median(warm[c])}
    ratios: dict[str, Any] = {}
    for lab, _, _ in pairs:
        rr = per_pair[lab]
        ratios[lab] = {"median": median(rr), "rounds": [round(x, 3) for x in rr]} if rr else None
    out = {
        "command": " ".join(["python", "benchmarks/bench_engines.py", *sys.argv[1:]]),
        "machine": machine(), "versions": versions(),
        "load_average_before": load_before, "load_average_after": os.getloadavg(),
        "wall_seconds": round(time.time() - t_start, 1),
        "threads": "pinned to 1 in every child (BLAS, OpenMP, XLA, torch)",
        "openblas_coretype_removed_for_children": removed,
        "mp_dps": MP_DPS, "arb_bits": 169,
        "protocol": ("one fresh process per pair and round (allocator thresholds fixed); warm-up runs of the "
                     "same length; the pair's two engines timed back to back, order alternating, --reps times; "
                     "rounds interleaved in shuffled order; medians of seconds and of the per-repetition ratios"),
        "rounds": a.rounds, "reps": a.reps,
        "cases": summary, "ratios": ratios,
    }
    Path(a.output).write_text(json.dumps(out, indent=1) + "\n")
    print(table(summary, ratios))
    print(f"\nload average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}; "
          f"{a.rounds} rounds x {a.reps} repetitions; written to {a.output}")


if __name__ == "__main__":
    main()
