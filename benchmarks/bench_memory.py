"""Peak memory of a run against its step count (issue 21): bounded by the rows kept, not the steps.

    python benchmarks/bench_memory.py            # about 10 minutes on an idle machine; writes memory_results.json
    python benchmarks/bench_memory.py --quick    # the smaller step counts only

Each case is ``pointwise run`` in a fresh process (the user's command, default record_every),
timed by wall clock; its peak resident set size is the child's ``ru_maxrss`` from ``os.wait4``.
For comparison one case keeps every row (``--record-every 1``): there memory grows with the
steps, as every run's did before the rows were bounded.  Not part of the test suite.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = str(HERE.parent / "src")

CASES = [
    ("np", "sampled:1", 10**5, None), ("np", "sampled:1", 10**6, None), ("np", "sampled:1", 10**7, None),
    ("np", "sampled:1", 10**6, 1),
    ("np", "full", 10**4, None), ("np", "full", 10**5, None),
    ("mp", "full", 10**4, None), ("mp", "full", 10**5, None), ("mp", "full", 10**5, 1),
    ("arb", "full", 10**4, None), ("arb", "full", 10**5, None), ("arb", "full", 10**5, 1),
]
QUICK_STEPS = 10**5


def measure(engine: str, batch: str, steps: int, every: int | None) -> dict:
    argv = [sys.executable, "-m", "relu_pointwise.cli", "run", "--engine", engine, "--batch", batch,
            "--steps", str(steps)]
    if every is not None:
        argv += ["--record-every", str(every)]
    env = dict(os.environ, PYTHONPATH=SRC, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    err = p.stderr.read().decode() if p.stderr else ""
    return {"engine": engine, "batch": batch, "steps": steps, "record_every": every or "default",
            "exit": os.waitstatus_to_exitcode(status), "seconds": round(wall, 2),
            "peak_rss_MB": round(usage.ru_maxrss / 1024, 1), "stderr": err.strip()[-200:]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    rows = []
    for engine, batch, steps, every in CASES:
        if args.quick and steps > QUICK_STEPS:
            continue
        r = measure(engine, batch, steps, every)
        rows.append(r)
        print(f"{engine:4} {batch:10} steps {steps:>9} every {str(r['record_every']):>7}: "
              f"{r['seconds']:8.2f} s  peak RSS {r['peak_rss_MB']:7.1f} MB  exit {r['exit']}", flush=True)
    out = {"machine_load": os.getloadavg(), "rows": rows}
    (HERE / "memory_results.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
