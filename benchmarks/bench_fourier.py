"""The Fourier contrast's cost: S_P(0) for d = 3, P = 1000 (10^6 shells), every value enclosed.

    python benchmarks/bench_fourier.py [--quick] [--rounds 3] [-o benchmarks/fourier_results.json]

Measures, on the package's own code paths (nothing copied):

* ``r3_convolution``: r_3(0..10^6) exact, :func:`numeric.fourier_lattice.sum_of_squares_counts`
  (theta^2 by one bincount, then one sparse convolution with theta);
* ``centre_closed``: :func:`numeric.fourier_sums.centre_sums` at every integer P = 0..1000,
  d = 3, R = 1/2, 128 bits, J_{3/2} by its elementary closed form (includes r_3);
* ``centre_bessel``: the same with Arb's Bessel J_{3/2} (the cross-check route);
  timed back to back with ``centre_closed`` in each round, so both see the same load;
  the ratio reported is the median of the per-round ratios.

* ``point_d5_P20`` and ``point_d3_P200``: S_P(x) at every integer P up to 20 (d = 5,
  x = (1/4, 1/3, 1/5, 1/7, 1/9)) and up to 200 (d = 3, x = (1/4, 1/3, 1/5), denominator 60),
  :func:`numeric.fourier_points.point_curve`, each with the exact phase counts by the two routes
  (``convolve`` and ``enumerate``, back to back) and the route ``auto`` picks.

Checks recorded with the timings: every ball finite, the largest radius, the two routes'
balls at P = 1000 overlap, the two count routes give equal arrays.  Targets: ``centre_closed``
within 60 s; each point case (auto route) within 60 s.  The machine is shared
(2 CPUs, several engineers): the load average before and after is recorded.
"""
from __future__ import annotations

import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

from flint import fmpq  # noqa: E402

from relu_pointwise.numeric.arb_balls import ball_bounds  # noqa: E402
from relu_pointwise.numeric.fourier_lattice import sum_of_squares_counts  # noqa: E402
from relu_pointwise.numeric.fourier_points import (  # noqa: E402
    counts_by,
    denominator_of,
    point_curve,
    route_for,
)
from relu_pointwise.numeric.fourier_sums import centre_sums, integer_radii  # noqa: E402
from relu_pointwise.symbolic.errors import InputError  # noqa: E402

POINT_CASES = {
    "point_d5_P20": (5, 20, [fmpq(1, 4), fmpq(1, 3), fmpq(1, 5), fmpq(1, 7), fmpq(1, 9)]),
    "point_d3_P200": (3, 200, [fmpq(1, 4), fmpq(1, 3), fmpq(1, 5)]),
}


def point_round(d: int, P: int, x: list) -> dict:
    """One timed round of a point case: point_curve (auto), then both count routes alone."""
    t0 = time.perf_counter()
    pc = point_curve(d, fmpq(1, 2), x, integer_radii(P)[1:])
    t_auto = time.perf_counter() - t0
    q = denominator_of(x)
    a = [int(v.p) * (q // int(v.q)) for v in x]
    times, arrays = {}, {}
    for route in ("convolve", "enumerate"):
        t0 = time.perf_counter()
        try:
            arrays[route] = counts_by(route, d, P * P, a, q)
        except InputError:             # over that route's cap: not timed
            continue
        times[route] = time.perf_counter() - t0
    equal = len(arrays) < 2 or bool((arrays["convolve"] == arrays["enumerate"]).all())
    return {"auto_s": t_auto, "auto_route": route_for(d, P * P, a, q),
            "convolve_counts_s": times.get("convolve", float("nan")),
            "enumerate_counts_s": times.get("enumerate", float("nan")),
            "routes_equal": equal, "routes_compared": sorted(arrays),
            "all_finite": all(v.is_finite() for v in pc.values),
            "max_radius": max(float(v.rad()) for v in pc.values), "S_P_max": pc.values[-1].str(20, radius=True)}

TARGET_SECONDS = 60.0


def load() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="P = 200 instead of 1000 (a smoke run)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("-o", "--output", default=str(ROOT / "benchmarks" / "fourier_results.json"))
    args = ap.parse_args(argv)
    P = 200 if args.quick else 1000
    R = fmpq(1, 2)
    radii = integer_radii(P)
    load_before = load()
    rounds = []
    for k in range(args.rounds):
        t0 = time.perf_counter()
        counts = sum_of_squares_counts(3, P * P)
        t_r3 = time.perf_counter() - t0
        t0 = time.perf_counter()
        closed = centre_sums(3, R, radii, prec=128, method="closed")
        t_closed = time.perf_counter() - t0
        t0 = time.perf_counter()
        bessel = centre_sums(3, R, radii, prec=128, method="bessel")
        t_bessel = time.perf_counter() - t0
        finite = all(v.is_finite() for v in closed.values) and all(v.is_finite() for v in bessel.values)
        max_rad = max(float(v.rad()) for v in closed.values)
        agree = all(a.overlaps(b) for a, b in zip(closed.values, bessel.values))
        lo, hi = ball_bounds(closed.values[-1])
        rounds.append({"r3_convolution_s": t_r3, "centre_closed_s": t_closed, "centre_bessel_s": t_bessel,
                       "ratio_bessel_over_closed": t_bessel / t_closed, "all_finite": finite,
                       "max_radius_closed": max_rad, "routes_overlap_at_every_P": agree,
                       "shells": int(len(counts) - 1), "S_P_max": closed.values[-1].str(34, radius=True),
                       "S_P_max_lo": str(lo), "S_P_max_hi": str(hi)})
        print(f"round {k + 1}: r3 {t_r3:.2f} s, closed {t_closed:.2f} s, bessel {t_bessel:.2f} s, "
              f"all finite {finite}, max radius {max_rad:.2e}, routes overlap {agree}", flush=True)
    points: dict[str, list] = {name: [] for name in POINT_CASES}
    for k in range(args.rounds):
        for name, (d, Pp, x) in POINT_CASES.items():
            res = point_round(d, Pp // (4 if args.quick else 1), x)
            points[name].append(res)
            print(f"round {k + 1}: {name}: auto ({res['auto_route']}) {res['auto_s']:.2f} s; counts by convolution "
                  f"{res['convolve_counts_s']:.2f} s, by enumeration {res['enumerate_counts_s']:.2f} s, equal "
                  f"{res['routes_equal']}", flush=True)
    point_medians = {name: statistics.median(r["auto_s"] for r in rs) for name, rs in points.items()}
    med = {key: statistics.median(r[key] for r in rounds)
           for key in ("r3_convolution_s", "centre_closed_s", "centre_bessel_s", "ratio_bessel_over_closed")}
    met = (med["centre_closed_s"] <= TARGET_SECONDS and all(r["all_finite"] for r in rounds)
           and all(v <= TARGET_SECONDS for v in point_medians.values())
           and all(r["routes_equal"] and r["all_finite"] for rs in points.values() for r in rs))
    out = {"benchmark": f"S_P(0), d = 3, R = 1/2, P = 0..{P} ({P * P} shells), 128 bits",
           "machine": {"python": platform.python_version(), "platform": platform.platform(),
                       "cpus": os.cpu_count(), "load_before": load_before, "load_after": load()},
           "medians": med, "rounds": rounds, "point_medians_s": point_medians, "point_rounds": points,
           "target_seconds": TARGET_SECONDS, "met": met,
           "S_P_max": rounds[-1]["S_P_max"]}
    Path(args.output).write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(f"medians: r3 {med['r3_convolution_s']:.2f} s, closed {med['centre_closed_s']:.2f} s, "
          f"bessel {med['centre_bessel_s']:.2f} s (ratio {med['ratio_bessel_over_closed']:.2f}); "
          f"target <= {TARGET_SECONDS:.0f} s: {'met' if met else 'NOT met'}; S_{P}(0) = {out['S_P_max']}")
    print(f"wrote {args.output}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
