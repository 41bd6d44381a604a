"""How `pointwise certify` (and `derive`) scale with the number of linear regions.

Every measurement is one whole command in a FRESH process (`python -m relu_pointwise.cli
...`, start-up included), exactly as a user runs it, on the package's own code paths.
For each family of targets (deep balls by depth N, boxes by dimension, unions of 2^k
intervals) it records the wall time, the exit status, the verdict and the number of linear
regions (read from the certificate's construction claim), then fits the growth law
cpu time ~ a * regions^p by least squares on log-log scale (the start-up, the CPU time of
`pointwise derive --target interval:-1/2,1/2 --w 3`, subtracted).  CPU time (user + system
of the child) is what the command costs; wall time on a shared machine is that divided by the share of a core it got.

Results go to benchmarks/certify_results.json with the machine, the load average before
and after every run, and the library versions; the table is printed.  The machine is
shared: compare rows measured in the same run, and read the load average beside them.

    python benchmarks/bench_certify.py              # all families (about 5-10 minutes alone)
    python benchmarks/bench_certify.py --quick      # small cases only (about a minute)
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

HERE = Path(__file__).resolve().parent


def union_target(k: int) -> str:
    """2^k disjoint intervals of width 1/2^(k+1) spread over (-1, 1)."""
    n = 2 ** k
    pieces = []
    for i in range(n):
        a = Fraction(-1) + Fraction(2 * i, n) + Fraction(1, 4 * n)
        b = a + Fraction(1, 2 * n)
        pieces.append(f"{a},{b}")
    return "union:" + ";".join(pieces)


def box_target(d: int) -> str:
    return "box:" + ";".join(["-1/2,1/2"] * d)


# (family, label, command, target, time limit in seconds, quick?); box d=6 has about 25000
# regions, within the default --max-regions limit of 30000
CASES = [
    ("deep ball d=2", "N=1", "certify", "ball:d=2,R=1/2,N=1", 300, True),
    ("deep ball d=2", "N=2", "certify", "ball:d=2,R=1/2,N=2", 300, True),
    ("deep ball d=2", "N=3", "certify", "ball:d=2,R=1/2,N=3", 300, True),
    ("deep ball d=2", "N=4", "certify", "ball:d=2,R=1/2,N=4", 600, False),
    ("deep ball d=2", "N=5", "certify", "ball:d=2,R=1/2,N=5", 1200, False),
    ("deep ball d=2", "N=6", "certify", "ball:d=2,R=1/2,N=6", 1800, False),
    ("deep ball d=3", "N=1", "certify", "ball:d=3,R=1/2,N=1", 300, True),
    ("deep ball d=3", "N=2", "certify", "ball:d=3,R=1/2,N=2", 300, True),
    ("deep ball d=3", "N=3", "certify", "ball:d=3,R=1/2,N=3", 900, False),
    ("box", "d=2", "certify", box_target(2), 300, True),
    ("box", "d=3", "certify", box_target(3), 300, True),
    ("box", "d=4", "certify", box_target(4), 300, True),
    ("box", "d=5", "certify", box_target(5), 600, False),
    ("box", "d=6", "certify", box_target(6), 3600, False),
    ("union (derive)", "16 intervals", "derive", union_target(4), 300, True),
    ("union (derive)", "32 intervals", "derive", union_target(5), 300, True),
    ("union (derive)", "64 intervals", "derive", union_target(6), 300, True),
    ("union (derive)", "128 intervals", "derive", union_target(7), 300, False),
]


def versions() -> dict:
    out = {"python": platform.python_version()}
    for mod in ("relu_pointwise", "sympy", "mpmath", "gmpy2", "flint", "numpy", "matplotlib"):
        try:
            m = __import__(mod)
            out[mod] = str(getattr(m, "__version__", getattr(m, "version", "?")))
        except ImportError:
            out[mod] = "not installed"
    try:
        out["git_commit"] = subprocess.run(["git", "rev-parse", "HEAD"], cwd=HERE, capture_output=True,
                                           text=True, timeout=10, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        out["git_commit"] = "unknown"
    return out


def machine() -> dict:
    return {"platform": platform.platform(), "machine": platform.machine(),
            "processor": platform.processor() or "unknown", "cpu_count": os.cpu_count()}


def run(args: list[str], limit: float) -> dict:
    """One command in a fresh process: wall time, the child's CPU time (user + system: what
    the command costs, whatever the load; its process pool's workers included), its peak
    resident memory (``os.wait4``'s rusage of that child: the largest of the process and
    its waited-for workers), exit status, load average around it."""
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as log:
        p = subprocess.Popen([sys.executable, "-m", "relu_pointwise.cli", *args], stdout=log, stderr=subprocess.STDOUT,
                             text=True)
        deadline = t0 + limit
        status: int | str = "timeout"
        ru = None
        while time.perf_counter() < deadline:
            pid, st, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                status = os.waitstatus_to_exitcode(st)
                p.returncode = status
                break
            time.sleep(0.05)
        else:
            p.kill()
            _, _, ru = os.wait4(p.pid, 0)
            p.returncode = -9
        wall = time.perf_counter() - t0
        log.seek(0)
        out = log.read()
    cpu = (ru.ru_utime + ru.ru_stime) if ru is not None else float("nan")
    rss = ru.ru_maxrss / 1024 if ru is not None else float("nan")
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "peak_rss_mb": round(rss, 1), "exit": status,
            "load_before": round(load0, 2), "load_after": round(os.getloadavg()[0], 2), "output": out}


def regions_of(certificate: Path) -> int | None:
    try:
        cert = json.loads(certificate.read_text())
    except (OSError, ValueError):
        return None
    for c in cert.get("claims", []):
        if c.get("id") == "construction":
            return int(c["data"].get("regions", "0")) or None
    return None


def regions_from_derive(output: str) -> int | None:
    """The count in derive's summary line "... N linear regions of the hidden layers ..."."""
    for line in output.splitlines():
        if "linear regions" in line:
            for tok in line.replace(",", " ").split():
                if tok.isdigit():
                    return int(tok)
    return None


def fit(points: list[tuple[int, float]]) -> dict | None:
    """Least squares of log t = log a + p log n over the family's points (n regions)."""
    pts = [(math.log(n), math.log(t)) for n, t in points if n and t > 0]
    if len(pts) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    if sxx == 0:
        return None
    p = sum((x - mx) * (y - my) for x, y in pts) / sxx
    return {"exponent_p": round(p, 2), "coefficient_a": float(f"{math.exp(my - p * mx):.3g}"), "points": len(pts)}


def growth_laws(rows: list[dict], start_s: float) -> dict:
    """Per family: the least-squares exponent over all its rows, and the local exponent
    log(t2/t1)/log(n2/n1) between its two largest cases (t = CPU - start-up), which the
    fixed costs (imports, 20000 enclosed steps, plots) distort least."""
    laws = {}
    for family in dict.fromkeys(r["family"] for r in rows):
        pts = sorted((r["regions"], r["cpu_s"] - start_s) for r in rows
                     if r["family"] == family and r["exit"] in (0, 1) and r["regions"])
        f = fit(pts)
        if f is None:
            continue
        (n1, t1), (n2, t2) = pts[-2], pts[-1]
        if n2 > n1 and t1 > 0 and t2 > 0:
            f["local_exponent_two_largest"] = round(math.log(t2 / t1) / math.log(n2 / n1), 2)
            f["two_largest"] = [[n1, round(t1, 2)], [n2, round(t2, 2)]]
        laws[family] = f
    return laws


def markdown_table(res: dict) -> str:
    """The scaling table of a results file: per row the regions, certify and verify wall / CPU /
    peak memory, and the floor = regions x the cost of one region, that cost being the family's
    largest case's CPU time minus the start-up, divided by its regions (so the floor is what the
    row would cost if every region cost what one region costs at scale, with no fixed costs)."""
    start_s = sorted(res["startup_cpu_s"])[1]
    per_region: dict[str, float] = {}
    for r in res["rows"]:
        if r.get("regions") and r["exit"] in (0, 1):
            per_region[r["family"]] = (r["cpu_s"] - start_s) / r["regions"]     # rows grow: the last wins
    out = ["| family | case | regions | certify wall s | CPU s | peak MB | verify wall s | CPU s | peak MB "
           "| floor s |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in res["rows"]:
        v = r.get("verify", {})
        floor = per_region.get(r["family"], float("nan")) * (r.get("regions") or float("nan"))
        out.append(f"| {r['family']} | {r['case']} | {r.get('regions') or '-'} | {r['wall_s']} | {r['cpu_s']} | "
                   f"{r.get('peak_rss_mb', '-')} | {v.get('wall_s', '-')} | {v.get('cpu_s', '-')} | "
                   f"{v.get('peak_rss_mb', '-')} | {floor:.2f} |")
    for family, f in res.get("growth_law", {}).items():
        out.append("")
        out.append(f"{family}: CPU - start-up ~ {f['coefficient_a']} regions^{f['exponent_p']} ({f['points']} points; "
                   f"between the two largest: exponent {f.get('local_exponent_two_largest')})")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small cases only")
    ap.add_argument("--out", default=str(HERE / "certify_results.json"), help="results file")
    ap.add_argument("--only", default=None, help="run only the families whose name contains this text")
    ap.add_argument("--refit", action="store_true", help="recompute the growth laws of the results file, run nothing")
    ap.add_argument("--table", action="store_true", help="print the scaling table of the results file, run nothing")
    args = ap.parse_args()
    if args.table:
        print(markdown_table(json.loads(Path(args.out).read_text())))
        return 0
    if args.refit:
        res = json.loads(Path(args.out).read_text())
        res["growth_law"] = growth_laws(res["rows"], sorted(res["startup_cpu_s"])[1])
        Path(args.out).write_text(json.dumps(res, indent=1) + "\n")
        print(json.dumps(res["growth_law"], indent=1))
        return 0

    # start-up: the smallest real command (imports SymPy and the derivation, derives 3 regions)
    startup = [run(["derive", "--target", "interval:-1/2,1/2", "--w", "3"], 120)["cpu_s"] for _ in range(3)]
    start_s = sorted(startup)[1]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for family, label, cmd, target, limit, quick in CASES:
            if args.quick and not quick:
                continue
            if args.only and args.only not in family:
                continue
            out_dir = Path(tmp) / f"{family}-{label}".replace(" ", "_").replace("=", "")
            words = cmd.split()
            argv = [*words, "--target", target] + (["--out", str(out_dir)] if words[0] == "certify" else [])
            cmd = words[0]
            r = run(argv, limit)
            if cmd == "certify":
                regions = regions_of(out_dir / "certificate.json")
                verdict = next((ln for ln in r["output"].splitlines() if ln.startswith("verdict")),
                               r["output"].strip().splitlines()[-1:])
            else:
                regions = regions_from_derive(r["output"])
                verdict = None
            row = {"family": family, "case": label, "command": "pointwise " + " ".join(words), "regions": regions, **r}
            row.pop("output")
            if cmd == "certify" and (out_dir / "certificate.json").exists():
                # the checker on the certificate just written (as it is on this branch)
                v = run(["verify", str(out_dir / "certificate.json")], min(limit, 900))
                row["verify"] = {k: v[k] for k in ("wall_s", "cpu_s", "peak_rss_mb", "exit")}
            if verdict is not None:
                row["verdict"] = verdict
            rows.append(row)
            print(f"{family:16s} {label:14s} {cmd:8s} regions {regions!s:>6s}  wall {r['wall_s']:8.2f} s  "
                  f"cpu {r['cpu_s']:8.2f} s  peak {r['peak_rss_mb']:.0f} MB  exit {r['exit']}"
                  f"  load {r['load_before']:.1f}->{r['load_after']:.1f}", flush=True)
            if "verify" in row:
                v = row["verify"]
                print(f"{'':16s} {'':14s} verify   {'':13s}  wall {v['wall_s']:8.2f} s  cpu {v['cpu_s']:8.2f} s  "
                      f"peak {v['peak_rss_mb']:.0f} MB  exit {v['exit']}", flush=True)
    if args.only and Path(args.out).exists():
        # keep the other families' rows of the previous run (their own load and commit recorded)
        old = json.loads(Path(args.out).read_text())
        rows = [r for r in old.get("rows", []) if args.only not in r["family"]] + rows
    laws = growth_laws(rows, start_s)
    for family, f in laws.items():
        print(f"growth law {family}: cpu time - start-up ~ {f['coefficient_a']} * regions^{f['exponent_p']}"
              f" ({f['points']} points); between the two largest: exponent {f.get('local_exponent_two_largest')}")
    result = {"benchmark": "bench_certify", "what": "whole commands in fresh processes (start-up included)",
              "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": machine(),
              "versions": versions(), "load_average_at_start": list(os.getloadavg()),
              "startup_cpu_s": startup, "rows": rows, "growth_law": laws}
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
