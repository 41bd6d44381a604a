"""Steps per second of the gradient-descent engines (issue 3, item 4).  Not part of the tests.

    python benchmarks/bench_engines.py [--quick] [-o benchmarks/results.json]

Measures, on the default target interval (-1/2, 1/2) in [-1, 1], r = 2, eta = 1, w_0 = 0:

* np engine (float64 backprop, :func:`numeric.np_engine.run_np`): full batch 1-D (one
  trajectory), sampled:1024, sampled:65536, and 10^4 trajectories (different w_0, eta)
  stepping together in one array (full batch);
* the derived GD map Phi(w) = w - eta L'(w) in float64, vectorized over 10^4 trajectories
  (piece by piece: the derivation's L' as N/D evaluated by Horner, the piece chosen by
  comparison with the breakpoints): nanoseconds per trajectory-step;
* mp engine (:func:`numeric.mp_engine.run_mp`, full batch) at 50 and 200 digits;
* arb engine (:func:`numeric.arb_engine.run_arb`, full batch, 128 bits);
* PyTorch, where importable: the same sampled:1024 gradient descent written plainly
  (float64, autograd, one thread): each step the layered network's forward pass on the
  step's 1024 points (the SAME float64 points as the np engine, from relu_pointwise.numeric.batches),
  loss = mean (f - f°)^2, loss.backward(), w -= eta * w.grad.

Ratios (same run): np sampled:1024 / torch (target >= 5), arb / mp at 50 digits (target
>= 5), ns per trajectory-step of the vectorized GD map (target <= 3).  Threads are pinned
to one (OPENBLAS/OMP/MKL_NUM_THREADS=1, set before numpy is imported; torch.set_num_threads(1)).
Each figure is the MEDIAN of ``--repeat`` timed runs after a warm-up (min and max are
recorded too).  The two engine ratios are measured in paired rounds (the two engines
timed back to back in each round, so both see the same machine load), and the ratio
reported is the median of the per-round ratios.  The load average is recorded because
the machine may be shared.  The np engine's time includes drawing its points
(``numeric.batches``, inside ``run_np``); the torch loop gets its points precomputed.
"""
from __future__ import annotations

import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
           "VECLIB_MAXIMUM_THREADS"):
    os.environ[_v] = "1"

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from relu_pointwise.symbolic.iterate import piece_forms  # noqa: E402
from relu_pointwise.symbolic.loss import derive  # noqa: E402
from relu_pointwise.symbolic.spec import make_spec, make_training  # noqa: E402


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def median_time(fn: Callable[[], object], repeat: int) -> tuple[float, list[float]]:
    """(median, all) of ``repeat`` timed runs."""
    ts = [timed(fn) for _ in range(repeat)]
    return float(np.median(ts)), ts


def with_times(d: dict, ts: list[float]) -> dict:
    d["seconds_all"] = [round(t, 5) for t in ts]
    return d


def bench_np(spec, batch: str, steps: int, repeat: int, n_traj: int = 1, record_all: bool = False) -> dict:
    """run_np steps/s.  ``record_all``: record (t, w_t, L(w_t)) at every step (what ``pointwise run``
    does; the loss is then computed every step too); otherwise only w_0 and w_T are recorded
    (the gradient descent alone, like the torch loop)."""
    from relu_pointwise.numeric.np_engine import run_np

    tr = make_training(batch=batch, seed=0)
    kw = {"record_every": 1 if record_all else max(1, steps)}
    if n_traj > 1:
        kw.update(w0=np.linspace(0.0, 3.0, n_traj), eta=np.linspace(0.5, 2.0, n_traj))
    run_np(spec, tr, 3, **kw)                                   # warm-up (decomposition, caches)
    t, ts = median_time(lambda: run_np(spec, tr, steps, **kw), repeat)
    return with_times({"steps": steps, "trajectories": n_traj, "record_every_step": record_all, "seconds": t,
                       "steps_per_s": steps / t, "traj_steps_per_s": steps * n_traj / t,
                       "ns_per_traj_step": t / (steps * n_traj) * 1e9}, ts)


def np_sampled_runner(spec, steps: int, M: int = 1024) -> Callable[[], object]:
    from relu_pointwise.numeric.np_engine import run_np

    tr = make_training(batch=f"sampled:{M}", seed=0)
    run_np(spec, tr, 3, record_every=steps)
    return lambda: run_np(spec, tr, steps, record_every=max(1, steps))


def map_pieces(derivation) -> tuple[list[float], list[tuple[np.ndarray, np.ndarray]]]:
    """The derived L' piece by piece as float coefficient arrays (N, D), with the pieces' left ends."""
    forms = piece_forms(derivation)
    los = [float(f.w_lo) for f in forms]
    pieces = []
    for f in forms:
        num = np.array([float(c) for c in f.grad_q.num])
        den = np.array([float(c) for c in f.grad_q.den])
        pieces.append((num, den))
    return los, pieces


def gd_map_vectorized(mapped, eta: np.ndarray, w0: np.ndarray, steps: int) -> np.ndarray:
    """w <- w - eta L'(w), all trajectories at once; L' piece by piece (N/D by Horner)."""
    los, pieces = mapped
    w = w0.copy()
    if len(pieces) == 2 and len(pieces[1][0]) == 1 and len(pieces[1][1]) == 3 and pieces[1][1][1] == 0 \
            and pieces[1][1][2] == 0:
        # the asymptotic piece is c / w^2 (e.g. -1/(12 w^2)): one fused expression per step
        c = pieces[1][0][0] / pieces[1][1][0]
        n0, d0 = pieces[0]
        split = los[1]
        ec = eta * c
        tmp = np.empty_like(w)
        t = 0
        # before the regime: the generic piecewise step; w_t is nondecreasing (L' <= 0), so once
        # every trajectory has w >= w* it stays in the asymptotic piece for good
        while t < steps and w.min() < split:
            g0 = np.polyval(n0, w) / np.polyval(d0, w)
            g1 = c / (w * w)
            w = w - eta * np.where(w < split, g0, g1)
            t += 1
        for _ in range(steps - t):
            np.multiply(w, w, out=tmp)
            np.divide(ec, tmp, out=tmp)
            np.subtract(w, tmp, out=w)
        return w
    for _ in range(steps):
        g = np.zeros_like(w)
        for k, (num, den) in enumerate(pieces):
            hi = los[k + 1] if k + 1 < len(los) else np.inf
            m = (w >= los[k]) & (w < hi)
            g = np.where(m, np.polyval(num, w) / np.polyval(den, w), g)
        w = w - eta * g
    return w


def bench_gd_map(spec, n_traj: int, steps: int, repeat: int) -> dict:
    d = map_pieces(derive(spec))
    eta = np.linspace(0.5, 2.0, n_traj)
    w0 = np.linspace(1.0, 3.0, n_traj)                           # asymptotic regime w >= w* = 1
    gd_map_vectorized(d, eta, w0, 3)
    t, ts = median_time(lambda: gd_map_vectorized(d, eta, w0, steps), repeat)
    return with_times({"steps": steps, "trajectories": n_traj, "seconds": t,
                       "ns_per_traj_step": t / (steps * n_traj) * 1e9, "steps_per_s": steps / t}, ts)


def bench_mp(spec, steps: int, dps: int, repeat: int) -> dict:
    import mpmath

    fn = mp_runner(spec, steps, dps)
    t, ts = median_time(fn, repeat)
    return with_times({"steps": steps, "dps": dps, "backend": mpmath.libmp.BACKEND, "seconds": t,
                       "steps_per_s": steps / t}, ts)


def mp_runner(spec, steps: int, dps: int) -> Callable[[], object]:
    from relu_pointwise.numeric.mp_engine import run_mp

    d = derive(spec)
    tr = make_training()
    run_mp(spec, tr, 3, dps=dps, derivation=d)
    return lambda: run_mp(spec, tr, steps, dps=dps, derivation=d)


def arb_runner(spec, steps: int, prec: int = 128) -> Callable[[], object]:
    from relu_pointwise.numeric.arb_engine import run_arb

    d = derive(spec)
    tr = make_training()
    run_arb(spec, tr, 3, prec=prec, derivation=d)
    return lambda: run_arb(spec, tr, steps, prec=prec, derivation=d)


def bench_arb(spec, steps: int, repeat: int, prec: int = 128) -> dict:
    t, ts = median_time(arb_runner(spec, steps, prec), repeat)
    return with_times({"steps": steps, "prec": prec, "seconds": t, "steps_per_s": steps / t}, ts)


def paired_ratio(fast: tuple[Callable[[], object], int], slow: tuple[Callable[[], object], int],
                 rounds: int) -> dict:
    """Steps/s of ``fast`` over steps/s of ``slow`` ((runner, steps) each), timed back to back in
    each round; the median of the per-round ratios, with every round's ratio."""
    rs = []
    for _ in range(rounds):
        ta = timed(fast[0])
        tb = timed(slow[0])
        rs.append((fast[1] / ta) / (slow[1] / tb))
    return {"median": float(np.median(rs)), "rounds": [round(r, 3) for r in rs]}


def bench_torch(spec, steps: int, repeat: int, M: int = 1024) -> dict | Callable[[], float] | None:
    """The plain PyTorch loop: its timings (``repeat`` > 0) or the runner itself (``repeat`` == 0)."""
    try:
        import torch
    except ImportError:
        return None
    from fractions import Fraction

    from relu_pointwise.numeric.batches import BatchSchedule

    torch.set_num_threads(1)
    net = spec.network
    f64 = torch.float64
    tofl = lambda q: float(Fraction(int(q.p), int(q.q)))                     # noqa: E731
    Ws = [torch.tensor([[tofl(v) for v in row] for row in l.weight], dtype=f64) for l in net.hidden]
    bs = [torch.tensor([tofl(v) for v in l.bias], dtype=f64) for l in net.hidden]
    v = torch.tensor([tofl(x) for x in net.readout], dtype=f64)
    c = tofl(net.readout_bias)
    tr = make_training(batch=f"sampled:{M}", seed=0)
    sched = BatchSchedule(spec, tr, steps + 1)
    pts = torch.from_numpy(np.ascontiguousarray(sched.points_block(0, steps + 1)))   # the np engine's points

    def run() -> float:
        w = torch.zeros((), dtype=f64, requires_grad=True)
        eta = 1.0
        for t in range(steps):
            h = pts[t]
            for W, b in zip(Ws, bs):
                h = torch.relu(h @ W.T + b)
            g = h @ v + c
            target = (g > 0).to(f64) + 0.5 * (g == 0).to(f64)
            f = torch.relu(w * g + 0.5) - torch.relu(w * g - 0.5)
            loss = ((f - target) ** 2).mean()
            loss.backward()
            with torch.no_grad():
                w -= eta * w.grad
                w.grad = None
        return float(w.detach())

    if repeat == 0:
        return run                                              # the runner alone (paired rounds)
    run()                                                       # warm-up
    t, ts = median_time(run, repeat)
    return with_times({"steps": steps, "batch": M, "torch": torch.__version__, "threads": torch.get_num_threads(),
                       "seconds": t, "steps_per_s": steps / t, "w_T": run()}, ts)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer steps (a smoke run)")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per figure (the median is reported)")
    ap.add_argument("--rounds", type=int, default=7, help="paired rounds per engine ratio (median)")
    ap.add_argument("-o", "--output", default=str(ROOT / "benchmarks" / "results.json"))
    args = ap.parse_args(argv)
    q = 10 if args.quick else 1
    spec = make_spec("interval:-1/2,1/2")
    load0 = os.getloadavg()
    res: dict = {}
    res["np_full_1d"] = bench_np(spec, "full", 20000 // q, args.repeat)
    res["np_full_1d_recording"] = bench_np(spec, "full", 20000 // q, args.repeat, record_all=True)
    res["np_sampled_1024"] = bench_np(spec, "sampled:1024", 20000 // q, args.repeat)
    res["np_sampled_1024_recording"] = bench_np(spec, "sampled:1024", 20000 // q, args.repeat, record_all=True)
    res["np_sampled_65536"] = bench_np(spec, "sampled:65536", 1000 // q, args.repeat)
    res["np_full_vectorized_1e4"] = bench_np(spec, "full", 100 // q, args.repeat, n_traj=10_000)
    res["gd_map_vectorized_1e4"] = bench_gd_map(spec, 10_000, 2000 // q, args.repeat)
    res["mp_50"] = bench_mp(spec, 20000 // q, 50, args.repeat)
    res["mp_200"] = bench_mp(spec, 20000 // q, 200, args.repeat)
    res["arb_128bit"] = bench_arb(spec, 50000 // q, args.repeat)
    res["torch_sampled_1024"] = bench_torch(spec, 5000 // q, args.repeat)
    paired = {}
    if res["torch_sampled_1024"]:
        torch_run = bench_torch(spec, 5000 // q, 0)
        torch_run()
        paired["np_sampled_1024_over_torch"] = paired_ratio((np_sampled_runner(spec, 20000 // q), 20000 // q),
                                                            (torch_run, 5000 // q), args.rounds)
    paired["arb_over_mp_50"] = paired_ratio((arb_runner(spec, 50000 // q), 50000 // q),
                                            (mp_runner(spec, 20000 // q, 50), 20000 // q), args.rounds)
    load1 = os.getloadavg()
    ratios = {
        "np_sampled_1024_over_torch": (paired["np_sampled_1024_over_torch"]["median"]
                                       if "np_sampled_1024_over_torch" in paired else None),
        "arb_over_mp_50": paired["arb_over_mp_50"]["median"],
        "gd_map_ns_per_traj_step": res["gd_map_vectorized_1e4"]["ns_per_traj_step"],
    }
    targets = {"np_sampled_1024_over_torch": ">= 5", "arb_over_mp_50": ">= 5", "gd_map_ns_per_traj_step": "<= 3"}
    met = {
        "np_sampled_1024_over_torch": None if ratios["np_sampled_1024_over_torch"] is None
        else ratios["np_sampled_1024_over_torch"] >= 5,
        "arb_over_mp_50": ratios["arb_over_mp_50"] >= 5,
        "gd_map_ns_per_traj_step": ratios["gd_map_ns_per_traj_step"] <= 3,
    }
    doc = {"machine": {"python": platform.python_version(), "numpy": np.__version__, "cpus": os.cpu_count(),
                       "load_average_before": load0, "load_average_after": load1,
                       "platform": platform.platform()},
           "target": "interval:-1/2,1/2", "timing": "median of --repeat runs; engine ratios: median of paired rounds",
           "results": res, "paired_rounds": paired, "ratios": ratios, "targets": targets, "met": met}

    print(f"load average before {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}, after {load1[0]:.2f} "
          f"{load1[1]:.2f} {load1[2]:.2f}; {os.cpu_count()} cpus")
    print(f"{'benchmark':28s} {'steps':>8s} {'traj':>6s} {'seconds':>9s} {'steps/s':>12s}")
    for k, r in res.items():
        if r is None:
            print(f"{k:28s} {'(torch not importable)':>38s}")
            continue
        print(f"{k:28s} {r['steps']:8d} {r.get('trajectories', 1):6d} {r['seconds']:9.3f} {r['steps_per_s']:12.1f}")
    print()
    for k, v in ratios.items():
        rounds = f"  rounds {paired[k]['rounds']}" if k in paired else ""
        print(f"{k:30s} {('n/a' if v is None else f'{v:.2f}'):>8s}  target {targets[k]:5s}  "
              f"{'met' if met[k] else ('n/a' if met[k] is None else 'NOT met')}{rounds}")
    Path(args.output).write_text(json.dumps(doc, indent=1) + "\n")
    print(f"\nwrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
