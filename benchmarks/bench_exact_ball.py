"""certify and verify for the exact ball in d = 2..8 (issue 19: each under a minute).

    python benchmarks/bench_exact_ball.py [--dims 2,3,4,5,6,7,8] [-o benchmarks/exact_ball_results.json]

Runs ``pointwise certify --target ball:d=D,R=1/2`` (defaults: eta = 1, w0 = 0, with the plots)
and ``pointwise verify`` on its certificate as subprocesses, one after the other, and records
the wall times, the verdicts and the load average.  The machine is shared (2 CPUs): the load
before and after is recorded with the timings.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 60.0


def _run(*args: str) -> tuple[float, subprocess.CompletedProcess]:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "relu_pointwise.cli", *args], env=env, capture_output=True,
                       text=True, timeout=600)
    return time.perf_counter() - t0, r


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dims", default="2,3,4,5,6,7,8")
    ap.add_argument("-o", "--output", default=str(ROOT / "benchmarks" / "exact_ball_results.json"))
    args = ap.parse_args(argv)
    rows = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        for d in (int(v) for v in args.dims.split(",")):
            out = Path(tmp) / f"d{d}"
            t_c, c = _run("certify", "--target", f"ball:d={d},R=1/2", "--out", str(out))
            t_v, v = _run("verify", str(out / "certificate.json"))
            row = {"d": d, "certify_s": round(t_c, 2), "verify_s": round(t_v, 2),
                   "certified": "verdict: CERTIFIED" in c.stdout, "verified": "all claims check" in v.stdout,
                   "load": os.getloadavg()[0]}
            rows.append(row)
            print(json.dumps(row), flush=True)
    met = all(r["certified"] and r["verified"] and r["certify_s"] <= TARGET_SECONDS for r in rows)
    doc = {"benchmark": "pointwise certify / verify --target ball:d=D,R=1/2 (with plots)", "rows": rows,
           "load_before": load_before, "load_after": os.getloadavg()[0], "target_seconds": TARGET_SECONDS,
           "met": met}
    Path(args.output).write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(f"target: each certify within {TARGET_SECONDS:.0f} s, certified and verified: {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
