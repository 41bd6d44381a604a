"""`pointwise certify` on 1 worker against all cores (symbolic.parallel), side by side.

Each command runs whole in a FRESH process (``python -m relu_pointwise.cli certify --target T
--out DIR --no-plots``, start-up included), once with ``RELU_POINTWISE_WORKERS=1`` and once
with the default (os.cpu_count() workers, at most 8); the two alternate in order, round
after round (``--rounds``).  Recorded per run: wall seconds, CPU seconds of the child
(user + system, its pool's workers included), peak RSS of the child and of its largest
worker, the exit status, and the load average before and after.  Reported: the medians and
the per-round ratio serial/parallel with its range.  The certificates of the two runs must
be byte-identical (compared by SHA-256; a mismatch is printed and fails the script).
Writes benchmarks/results_certify_workers.json.

    python benchmarks/bench_certify_workers.py                 # ball N=5 and box d=6
    python benchmarks/bench_certify_workers.py --quick         # ball N=4 and box d=5
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BOX = "box:" + ";".join(["-1/2,1/2"] * 6)
CASES = {"ball:d=2,R=1/2,N=5": "ball:d=2,R=1/2,N=5", "box d=6": BOX}
QUICK = {"ball:d=2,R=1/2,N=4": "ball:d=2,R=1/2,N=4", "box d=5": "box:" + ";".join(["-1/2,1/2"] * 5)}


def _run(target: str, workers: str | None) -> dict:
    env = dict(os.environ)
    env.pop("RELU_POINTWISE_WORKERS", None)
    if workers is not None:
        env["RELU_POINTWISE_WORKERS"] = workers
    with tempfile.TemporaryDirectory() as tmp:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        load = os.getloadavg()[0]
        t = time.perf_counter()
        p = subprocess.run([sys.executable, "-m", "relu_pointwise.cli", "certify", "--target", target,
                            "--out", tmp, "--no-plots"], env=env, capture_output=True, text=True)
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cert = Path(tmp, "certificate.json")
        digest = hashlib.sha256(cert.read_bytes()).hexdigest() if cert.exists() else None
    return {"wall": wall, "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "max_rss_mb": after.ru_maxrss / 1024, "code": p.returncode, "sha256": digest,
            "load_before": load, "load_after": os.getloadavg()[0], "stderr": p.stderr[-400:]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="", help="only the cases whose name contains this text")
    ap.add_argument("--out", default=str(HERE / "results_certify_workers.json"))
    args = ap.parse_args()
    cases = {k: v for k, v in (QUICK if args.quick else CASES).items() if args.only in k}
    res: dict[str, dict[str, list]] = {c: {"1": [], "all": []} for c in cases}
    for k in range(args.rounds):
        for name, target in cases.items():
            order = ("1", "all") if k % 2 == 0 else ("all", "1")
            for w in order:
                r = _run(target, "1" if w == "1" else None)
                res[name][w].append(r)
                print(f"round {k} {name} workers={w}: {r['wall']:.1f} s wall, {r['cpu']:.1f} s cpu, "
                      f"exit {r['code']}, load {r['load_before']:.1f}", flush=True)
    bad = False
    print(f"\n{os.cpu_count()} CPUs; median of {args.rounds} rounds")
    print("| case | 1 worker s | all cores s | ratio (median, range) | load | certificates equal |")
    print("|---|---:|---:|---|---|---|")
    for name, by in res.items():
        ratios = [a["wall"] / b["wall"] for a, b in zip(by["1"], by["all"])]
        same = len({r["sha256"] for r in by["1"] + by["all"]}) == 1
        bad |= not same
        loads = [r["load_before"] for r in by["1"] + by["all"]]
        print(f"| {name} | {statistics.median(r['wall'] for r in by['1']):.1f} | "
              f"{statistics.median(r['wall'] for r in by['all']):.1f} | {statistics.median(ratios):.2f} "
              f"({min(ratios):.2f}-{max(ratios):.2f}) | {min(loads):.1f}-{max(loads):.1f} | {same} |")
    Path(args.out).write_text(json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(),
                                          "rounds": args.rounds, "results": res}, indent=1))
    if bad:
        sys.exit("certificates differ between 1 worker and all cores")


if __name__ == "__main__":
    main()
