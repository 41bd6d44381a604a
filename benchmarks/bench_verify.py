"""`pointwise verify` against `pointwise certify`, side by side, on the benchmark's targets.

For every target: ``rounds`` interleaved rounds of (certify, then verify of the certificate just
written), each a whole command in a FRESH process (`python -m relu_pointwise.cli ...`, start-up
included), exactly as a user runs them. certify runs with --no-plots (the proof work only: the
stricter comparison). Recorded per command: the wall time of every round, the median and the
range, the exit status, and the load average before every run; the ratio verify/certify of the
medians. The machine is shared: compare the two columns of one row (measured in the same
rounds), and read the load beside them.

Results go to benchmarks/verify_results.json; the table (markdown, for the README) is printed.

    python benchmarks/bench_verify.py                 # every target, 3 rounds (about 20-40 minutes)
    python benchmarks/bench_verify.py --quick         # small targets, 1 round (about 2 minutes)
    python benchmarks/bench_verify.py --only ball:d=3 # targets containing the text
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def box(d: int) -> str:
    return "box:" + ";".join(["-1/2,1/2"] * d)


# (target, extra certify flags, quick?)
TARGETS: list[tuple[str, list[str], bool]] = [
    *((box(d), [], d <= 3) for d in (2, 3, 4, 5)),
    (box(6), ["--max-regions", "30000"], False),
    *((f"ball:d=2,R=1/2,N={n}", [], n <= 2) for n in range(1, 6)),
    *((f"ball:d=3,R=1/2,N={n}", [], n == 1) for n in range(1, 4)),
    *((f"ball:d={d},R=1/2", [], d == 2) for d in range(2, 6)),
    ("union:-3/4,-1/4;1/8,5/8", [], True),
    ("union:-15/16,-13/16;-11/16,-9/16;-7/16,-5/16;-3/16,-1/16;1/16,3/16;5/16,7/16;9/16,11/16;13/16,15/16",
     [], False),
    ("polytope:1,1,1/2;-1,1,1/2;0,-1,1/2", [], True),
    ("polytope:1,1,1,1/2;-1,0,0,1/4;0,-1,0,1/4;0,0,-1,1/4", [], False),
]


def run(cmd: list[str], timeout: float) -> tuple[float, int, str]:
    env = dict(os.environ)
    start = time.perf_counter()
    try:
        out = subprocess.run([sys.executable, "-m", "relu_pointwise.cli", *cmd], capture_output=True, text=True,
                             timeout=timeout, env=env, check=False)
        code, text = out.returncode, out.stdout.strip().splitlines()[-1:] or [out.stderr.strip()[-200:]]
        return time.perf_counter() - start, code, text[0] if text else ""
    except subprocess.TimeoutExpired:
        return time.perf_counter() - start, -1, f"timeout after {timeout:.0f} s"


def summary(xs: list[float]) -> dict[str, float]:
    return {"median_s": round(statistics.median(xs), 2), "min_s": round(min(xs), 2), "max_s": round(max(xs), 2)}


def measure(target: str, flags: list[str], rounds: int, timeout: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "c"
        cert_t, ver_t, loads = [], [], []
        row: dict = {"target": target, "certify_flags": flags}
        for _ in range(rounds):
            loads.append(round(os.getloadavg()[0], 2))
            t, code, last = run(["certify", "--target", target, "--out", str(out), "--force", "--no-plots", *flags],
                                timeout)
            cert_t.append(t)
            row["certify_exit"], row["certify_last_line"] = code, last
            if code not in (0, 1):
                break
            loads.append(round(os.getloadavg()[0], 2))
            t, code, last = run(["verify", "--quiet", str(out / "certificate.json")], timeout)
            ver_t.append(t)
            row["verify_exit"], row["verify_last_line"] = code, last
        row["certify"] = summary(cert_t) | {"rounds_s": [round(x, 2) for x in cert_t]}
        if ver_t:
            row["verify"] = summary(ver_t) | {"rounds_s": [round(x, 2) for x in ver_t]}
            row["ratio_verify_over_certify"] = round(row["verify"]["median_s"] / row["certify"]["median_s"], 2)
        row["load_average_1min"] = loads
        return row


def table(rows: list[dict]) -> str:
    lines = ["| target | certify (median, range) | verify (median, range) | verify/certify | verify exit | load |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        c, v = r["certify"], r.get("verify")
        cv = f"{c['median_s']} s ({c['min_s']}-{c['max_s']})"
        vv = f"{v['median_s']} s ({v['min_s']}-{v['max_s']})" if v else "-"
        load = f"{min(r['load_average_1min'])}-{max(r['load_average_1min'])}"
        lines.append(f"| `{r['target'][:60]}` | {cv} | {vv} | {r.get('ratio_verify_over_certify', '-')} | "
                     f"{r.get('verify_exit', '-')} | {load} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small targets, one round")
    ap.add_argument("--rounds", type=int, default=None)
    ap.add_argument("--only", default=None, help="targets containing this text")
    ap.add_argument("--skip", action="append", default=[], help="leave out targets containing this text")
    ap.add_argument("--timeout", type=float, default=1800.0)
    ap.add_argument("--out", default=str(HERE / "verify_results.json"))
    args = ap.parse_args()
    rounds = args.rounds or (1 if args.quick else 3)
    cases = [(t, f) for t, f, quick in TARGETS if (quick or not args.quick) and (args.only is None or args.only in t)
             and not any(k in t for k in args.skip)]
    rows = []
    for target, flags in cases:
        # the 6-D box takes minutes a command: one round (its flags raise --max-regions)
        row = measure(target, flags, 1 if flags else rounds, args.timeout)
        rows.append(row)
        print(table([row]).splitlines()[-1], flush=True)
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=HERE,
                                check=False).stdout.strip()
    except OSError:
        commit = "?"
    result = {"benchmark": "bench_verify", "what": "certify --no-plots then verify, fresh processes, interleaved",
              "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "rounds": rounds,
              "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count()},
              "python": platform.python_version(), "git_commit": commit, "rows": rows}
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print()
    print(table(rows))


if __name__ == "__main__":
    main()
