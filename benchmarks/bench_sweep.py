"""Sweeps on Dask (issue 13, item 7).  Not part of the tests.

    python benchmarks/bench_sweep.py [--quick] [-o benchmarks/results_sweep.json]

Measures, through the package's own path (:func:`relu_pointwise.sweeps.run_sweep` with a
``dask.distributed`` LocalCluster of single-threaded worker processes):

1. **Scaling.** The same 32-task sweep (np engine, interval (-1/2, 1/2), sampled:64,
   32 seeds, steps chosen so that one task takes about 1.5 s alone at calibration), one Dask task per
   sweep task (chunk 1), on a 1-worker and on a 2-worker cluster.  The clusters are
   started once, outside the timing; the rounds alternate 1 and 2 workers so both see
   the same machine load, and the speed-up is the median of the per-round ratios.
2. **Dask's overhead per task.** For each run: (workers x wall - sum of the tasks' own
   seconds) / number of tasks, and that as a share of the mean task time.  The tasks'
   own seconds are measured inside the task (``seconds`` in the dataset), so the
   overhead includes scheduling, serialization, the client's atomic writes and the
   Parquet consolidation, and any idle worker at the end.  ``task_cpu_share`` = the
   tasks' CPU seconds / their wall seconds: the share of a core a worker actually got
   (1 on an idle machine; other people's jobs on the 2 cores push it down).
   ``speedup_per_core_got`` = speed-up x (1-worker CPU share / 2-worker CPU share): the
   speed-up had each worker had a whole core, an ESTIMATE for a loaded machine, not a
   measurement of an idle one.
3. **Chunk size.** A 256-seed sweep of short tasks (sampled:16, 300 steps: about 10 ms
   each) on 2 workers with chunk = 1, 4, 8, 16, 32 (the runner caps a chunk so that
   every worker gets at least 4 Dask tasks: 32 is the largest possible here;
   ``dask_tasks`` records what was submitted), in interleaved rounds: the median wall
   time per task and Dask's overhead share.  The fastest is the runner's
   ``DEFAULT_CHUNK``.

The load average is recorded before and after each part: the machine has 2 cores
shared with other work, so absolute times are noisy and a 2-worker speed-up is bounded
by the cores actually free.
"""
from __future__ import annotations

import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402 -- after the thread pins
import json  # noqa: E402 -- after the thread pins
import platform  # noqa: E402 -- after the thread pins
import shutil  # noqa: E402 -- after the thread pins
import statistics  # noqa: E402 -- after the thread pins
import tempfile  # noqa: E402 -- after the thread pins
import time  # noqa: E402 -- after the thread pins
from pathlib import Path  # noqa: E402 -- after the thread pins
from typing import Any  # noqa: E402 -- after the thread pins

from relu_pointwise.sweeps import load_results, run_sweep  # noqa: E402 -- after the thread pins


def _load() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


def _sweep(steps: int, seeds: int, batch: str, chunk: int) -> dict[str, Any]:
    return {"task": "run", "chunk": chunk,
            "base": {"target": "interval:-1/2,1/2", "batch": batch, "steps": steps, "engine": "np"},
            "axes": {"seeds": {"count": seeds}}}


def _timed(sweep: dict[str, Any], client: Any, workers: int) -> dict[str, Any]:
    out = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    try:
        t0 = time.perf_counter()
        res = run_sweep(sweep, out, client=client, plots=False)
        wall = time.perf_counter() - t0
        df = load_results(out)
        n = len(df)
        own = float(df["seconds"].sum())
        cpu = float(df["cpu_seconds"].sum())
        if res.ok != n:
            raise RuntimeError(f"benchmark sweep failed: {res.line()}")
        over = (workers * wall - own) / n
        return {"workers": workers, "tasks": n, "dask_tasks": res.chunks, "wall_s": round(wall, 3),
                "task_mean_s": round(own / n, 4),
                "task_cpu_share": round(cpu / own, 3),
                "overhead_per_task_s": round(over, 4), "overhead_share": round(over / (own / n), 4)}
    finally:
        shutil.rmtree(out, ignore_errors=True)


def _cluster(n: int) -> tuple[Any, Any, float]:
    from dask.distributed import Client, LocalCluster

    t0 = time.perf_counter()
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0")
    client = Client(cluster)
    client.wait_for_workers(n)
    return cluster, client, time.perf_counter() - t0


def calibrate_steps(target_s: float) -> int:
    """Steps of sampled:64 for which one task takes about ``target_s`` seconds here (alone)."""
    from relu_pointwise.sweeps.tasks import run_np_group

    s = {"target": "interval:-1/2,1/2", "domain": None, "r": "2", "measure": "probability", "eta": "1",
         "w0": "0", "batch": "sampled:64", "seed": 0, "steps": 4000, "engine": "np", "points": None}
    run_np_group([("warm", s)], 64)
    t0 = time.perf_counter()
    run_np_group([("cal", s)], 64)
    per_step = (time.perf_counter() - t0) / 4000
    return int(target_s / per_step)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--parts", default="scaling,chunk", help="scaling, chunk or both (comma-separated)")
    ap.add_argument("-o", "--output", default=str(Path(__file__).with_name("results_sweep.json")))
    args = ap.parse_args()
    rounds = 1 if args.quick else args.rounds
    result: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                              "load_start": _load()}
    parts = set(args.parts.split(","))
    steps = calibrate_steps(0.2 if args.quick else 1.5)
    result["scaling_steps"] = steps
    c1, cl1, start1 = _cluster(1)
    c2, cl2, start2 = _cluster(2)
    result["cluster_start_s"] = {"1": round(start1, 2), "2": round(start2, 2)}
    try:
        warm = _sweep(200, 4, "sampled:64", 1)
        _timed(warm, cl1, 1)
        _timed(warm, cl2, 2)
        sweep = _sweep(steps, 32, "sampled:64", 1)
        runs = []
        for r in range(rounds if "scaling" in parts else 0):
            la = _load()
            one = _timed(sweep, cl1, 1)
            two = _timed(sweep, cl2, 2)
            runs.append({"round": r, "load_before": la, "load_after": _load(), "one": one, "two": two,
                         "speedup": round(one["wall_s"] / two["wall_s"], 3),
                         "speedup_per_core_got": round(one["wall_s"] / two["wall_s"] * one["task_cpu_share"]
                                                       / two["task_cpu_share"], 3)})
            print(json.dumps(runs[-1]), flush=True)
        if runs:
            result["scaling"] = {
                "runs": runs, "speedup_median": statistics.median(x["speedup"] for x in runs),
                "speedup_per_core_got_median": statistics.median(x["speedup_per_core_got"] for x in runs),
                "overhead_share_median_1": statistics.median(x["one"]["overhead_share"] for x in runs),
                "overhead_share_median_2": statistics.median(x["two"]["overhead_share"] for x in runs)}
        if "chunk" in parts:
            chunks: dict[int, list[dict[str, Any]]] = {1: [], 4: [], 8: [], 16: [], 32: []}
            short = 64 if args.quick else 256
            for r in range(rounds):      # interleaved rounds: every chunk size sees the same load
                for ch, runs_ch in chunks.items():
                    la = _load()
                    t = _timed(_sweep(300, short, "sampled:16", ch), cl2, 2)
                    t.update({"round": r, "chunk": ch, "per_task_ms": round(1000 * t["wall_s"] / t["tasks"], 3),
                              "load_before": la})
                    runs_ch.append(t)
                    print(json.dumps(t), flush=True)
            med = {ch: statistics.median(x["per_task_ms"] for x in runs) for ch, runs in chunks.items()}
            result["chunk"] = {"runs": [x for runs in chunks.values() for x in runs], "per_task_ms_median": med,
                               "overhead_share_median": {ch: statistics.median(x["overhead_share"] for x in runs)
                                                         for ch, runs in chunks.items()},
                               "best": min(med, key=lambda ch: med[ch])}
    finally:
        for c in (cl1, cl2):
            c.close()
        for c in (c1, c2):
            c.close()
    result["load_end"] = _load()
    Path(args.output).write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: result[k] for k in ("load_start", "load_end", "scaling_steps", "cluster_start_s")}))
    if "scaling" in result:
        print("speed-up (median):", result["scaling"]["speedup_median"])
    if "chunk" in result:
        print("best chunk:", result["chunk"]["best"])


if __name__ == "__main__":
    main()
