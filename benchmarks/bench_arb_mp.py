"""arb against mp at equal precision, through the public engine API, set-up included.

Full batch on ``interval:-1/2,1/2`` (r = 2, eta = 1, w_0 = 0), ``get_engine("mp", dps=50)``
(mpmath's working precision at 50 digits is 169 bits) against ``get_engine("arb", prec=169)``,
each ``.run(spec, training, steps, record_every=steps)`` timed whole: the derivation (from the
engines' cache, :mod:`relu_pointwise.symbolic.derive_cache`, after each engine's first call),
the batch plan, the loop and the trajectory.  One process, one thread; both engines warm up
once; then ``--rounds`` rounds, each timing mp then arb or arb then mp (alternating), for
2000 and 20000 steps.  Reported: the median of the per-round ratios mp/arb with their range,
and the load average before and after.  Writes benchmarks/results_arb_mp.json.

    python benchmarks/bench_arb_mp.py             # about 30 s on an idle machine
    python benchmarks/bench_arb_mp.py --rounds 3
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--out", default=str(HERE / "results_arb_mp.json"))
    args = ap.parse_args()
    for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[v] = "1"
    from relu_pointwise.numeric.engines import get_engine
    from relu_pointwise.symbolic.spec import make_spec, make_training

    spec, tr = make_spec("interval:-1/2,1/2"), make_training()
    engines = {"mp": get_engine("mp", dps=50), "arb": get_engine("arb", prec=169)}
    load0 = os.getloadavg()
    for e in engines.values():
        e.run(spec, tr, 10)                       # warm-up (the first call derives)
    rows = {}
    for steps in (2000, 20000):
        times: dict[str, list[float]] = {"mp": [], "arb": []}
        ratios = []
        for k in range(args.rounds):
            order = ("mp", "arb") if k % 2 == 0 else ("arb", "mp")
            got = {}
            for name in order:
                t = time.perf_counter()
                engines[name].run(spec, tr, steps, record_every=steps)
                got[name] = time.perf_counter() - t
                times[name].append(got[name])
            ratios.append(got["mp"] / got["arb"])
        rows[steps] = {"mp_s": statistics.median(times["mp"]), "arb_s": statistics.median(times["arb"]),
                       "ratio_median": statistics.median(ratios), "ratio_min": min(ratios),
                       "ratio_max": max(ratios), "times": times}
    load1 = os.getloadavg()
    print(f"load average before {load0[0]:.2f}, after {load1[0]:.2f} (2 CPUs: {os.cpu_count()})")
    print("| steps | mp median s | arb median s | mp/arb median | range |")
    print("|---:|---:|---:|---:|---|")
    for steps, r in rows.items():
        print(f"| {steps} | {r['mp_s']:.4f} | {r['arb_s']:.4f} | {r['ratio_median']:.1f} | "
              f"{r['ratio_min']:.1f}-{r['ratio_max']:.1f} |")
    Path(args.out).write_text(json.dumps({"machine": platform.platform(), "python": platform.python_version(),
                                          "cpus": os.cpu_count(), "load_before": load0, "load_after": load1,
                                          "rounds": args.rounds, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
