"""A short sweep's fixed cost, end to end, 1 worker against 2 (issue 22, sweeps).  Not a test.

    python benchmarks/bench_sweep_fixed.py [--rounds 3] [--steps N] [-o benchmarks/results_sweep_fixed.json]

16 np run tasks (interval (-1/2, 1/2), sampled:64, 16 seeds, ``--steps`` chosen so a task
takes about 0.4 s), each sweep a fresh ``python -c 'run_sweep(...)'`` process timed from
start to exit (interpreter, imports, cluster start, tasks, Parquet, plots, cluster close:
what a user pays), into a fresh folder.  Rounds alternate the order of 1 and 2 workers so
both see the same load (``--against SRC``: another tree's sweeps, e.g. main's, in the same
shuffled rounds).  Reported per worker count: median wall, the tasks' own seconds
(summed from the dataset), the fixed cost = wall - task seconds / workers, and the
median per-round speed-up of 2 workers over 1 with its range; the load average before
and after.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import sys, json, time
t0 = time.perf_counter()
from relu_pointwise.sweeps import run_sweep
sweep = {"base": {"target": "interval:-1/2,1/2", "batch": "sampled:64", "steps": %d},
         "axes": {"seeds": {"count": 16}}}
res = run_sweep(sweep, sys.argv[1], workers=int(sys.argv[2]), plots=sys.argv[3] == "1")
df = res.results()
print(json.dumps({"ok": res.ok, "task_seconds": float(df["seconds"].sum()), "in_process": time.perf_counter() - t0}))
"""


def one(steps: int, workers: int, plots: bool, src: str) -> dict:
    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ, PYTHONPATH=src, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
        t0 = time.perf_counter()
        p = subprocess.run([sys.executable, "-c", CHILD % steps, str(Path(d) / "out"), str(workers),
                            "1" if plots else "0"], capture_output=True, text=True, env=env, check=True)
        wall = time.perf_counter() - t0
    rec = json.loads(p.stdout.strip().splitlines()[-1])
    rec["wall"] = wall
    rec["fixed"] = wall - rec["task_seconds"] / workers
    return rec


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=300_000)
    ap.add_argument("--no-plots", action="store_true")
    ap.add_argument("--against", default=None,
                    help="another tree's src folder (e.g. /work/main/src), timed interleaved as 'other'")
    ap.add_argument("-o", "--output", default=str(ROOT / "benchmarks" / "results_sweep_fixed.json"))
    args = ap.parse_args()
    out: dict = {"load_before": os.getloadavg(), "steps": args.steps, "plots": not args.no_plots, "rounds": []}
    trees = {"this": str(ROOT / "src")}
    if args.against:
        trees["other"] = args.against
    for _ in range(args.rounds):
        combos = [(t, w) for t in trees for w in (1, 2)]
        random.shuffle(combos)
        rnd = {f"{t}:{w}": one(args.steps, w, not args.no_plots, trees[t]) for t, w in combos}
        out["rounds"].append(rnd)
        print({k: (round(v["wall"], 2), round(v["task_seconds"] / 16, 3), round(v["fixed"], 2))
               for k, v in sorted(rnd.items())}, flush=True)
    for t in trees:
        for w in ("1", "2"):
            rs = [r[f"{t}:{w}"] for r in out["rounds"]]
            out[f"{t}_workers_{w}"] = {"median_wall": statistics.median(r["wall"] for r in rs),
                                       "median_task_s": statistics.median(r["task_seconds"] / 16 for r in rs),
                                       "median_fixed": statistics.median(r["fixed"] for r in rs)}
        sp = [r[f"{t}:1"]["wall"] / r[f"{t}:2"]["wall"] for r in out["rounds"]]
        out[f"{t}_speedup_2_over_1"] = [statistics.median(sp), min(sp), max(sp)]
    out["load_after"] = os.getloadavg()
    print(json.dumps({k: v for k, v in out.items() if k != "rounds"}, indent=1))
    Path(args.output).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
