"""The np engine on ``sampled:65536`` before and after the counter-based stream (issue 17).  Not a test.

    python benchmarks/bench_batches.py                 # writes benchmarks/results_batches.json
    python benchmarks/bench_batches.py --reps 3 --steps 50

"Before" is the package's own code at a git commit (default ``48864ea``, the last commit with
the PCG64 stream), extracted with ``git archive`` into a temporary folder; "after" is this
working tree.  Both run :func:`relu_pointwise.numeric.np_engine.run_np` (drawing the points
included), ``interval:-1/2,1/2`` and ``ball:d=2,R=1/2,N=4``, r = 2, eta = 1, w_0 = 0, seed 0.

How: one long-lived child process per tree (threads pinned to one, glibc's allocator thresholds
fixed), each warmed up by one run of the same length; then the parent asks them in turn for one
timed run, the order alternating, ``--reps`` times per case, so both see the same machine load.
Reported: the median seconds of each and the median, min and max of the per-repetition ratios
(after / before wall time: below 1.10 is the issue's "within 10%"), and the same for the CPU
time of the process.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[1]
CASES = {"interval": "interval:-1/2,1/2", "deep ball N=4": "ball:d=2,R=1/2,N=4"}
CHILD = r"""
import sys, time
from relu_pointwise.numeric.np_engine import run_np
from relu_pointwise.symbolic.spec import make_spec, make_training
spec = make_spec(sys.argv[1]); steps = int(sys.argv[2])
tr = make_training(batch="sampled:65536", seed=0)
run_np(spec, tr, steps, record_every=steps)            # warm-up
print("ready", flush=True)
for line in sys.stdin:
    t, c = time.perf_counter(), time.process_time(); res = run_np(spec, tr, steps, record_every=steps)
    print(time.perf_counter() - t, time.process_time() - c, float(res.w[-1, 0]), flush=True)
"""


def _env(src: Path) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(src), OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               MKL_NUM_THREADS="1", MALLOC_MMAP_THRESHOLD_="1000000000", MALLOC_TRIM_THRESHOLD_="1000000000")
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    return env


def _child(src: Path, target: str, steps: int) -> subprocess.Popen:
    p = subprocess.Popen([sys.executable, "-c", CHILD, target, str(steps)], env=_env(src), text=True,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    return p


def _ask(p: subprocess.Popen) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds of the process, w_T) of one timed run."""
    assert p.stdin is not None and p.stdout is not None
    p.stdin.write("go\n")
    p.stdin.flush()
    secs, cpu, w = p.stdout.readline().split()
    return float(secs), float(cpu), float(w)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", default="48864ea", help="git commit of the 'before' code")
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results_batches.json"))
    a = ap.parse_args()
    load0 = os.getloadavg()
    out: dict = {"before_commit": a.before, "after": "working tree", "numpy": __import__("numpy").__version__,
                 "python": platform.python_version(), "load_before": load0, "cases": {}}
    with tempfile.TemporaryDirectory() as tmp:
        arch = subprocess.run(["git", "-C", str(ROOT), "archive", a.before], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=arch, check=True)
        trees = {"before": Path(tmp) / "src", "after": ROOT / "src"}
        for name, target in CASES.items():
            kids = {k: _child(src, target, a.steps) for k, src in trees.items()}
            secs: dict[str, list[float]] = {"before": [], "after": []}
            cpu: dict[str, list[float]] = {"before": [], "after": []}
            ratios, cpu_ratios = [], []
            for rep in range(a.reps):
                order = ("before", "after") if rep % 2 == 0 else ("after", "before")
                got = {k: _ask(kids[k]) for k in order}
                for k in order:
                    secs[k].append(got[k][0])
                    cpu[k].append(got[k][1])
                ratios.append(got["after"][0] / got["before"][0])
                cpu_ratios.append(got["after"][1] / got["before"][1])
            for p in kids.values():
                p.terminate()
                p.wait()
            out["cases"][name] = {"steps": a.steps, "M": 65536, "seconds": secs,
                                  "median_before": median(secs["before"]), "median_after": median(secs["after"]),
                                  "ratio_after_over_before": {"median": median(ratios), "min": min(ratios),
                                                              "max": max(ratios)},
                                  "cpu_seconds": cpu, "cpu_ratio_after_over_before": {
                                      "median": median(cpu_ratios), "min": min(cpu_ratios), "max": max(cpu_ratios)}}
            r = out["cases"][name]
            print(f"{name}, sampled:65536, {a.steps} steps: before {r['median_before']:.3f} s, after "
                  f"{r['median_after']:.3f} s, time ratio after/before median {median(ratios):.3f} "
                  f"(min {min(ratios):.3f}, max {max(ratios):.3f}); CPU-time ratio median {median(cpu_ratios):.3f}",
                  flush=True)
    out["load_after"] = os.getloadavg()
    out["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    Path(a.out).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
