"""The README's table "what happens at the centre, d = 1..5", from the enclosures.

    python docs/fourier_table.py [--P 1000] [-o docs/fourier_table.json]

For d = 1..5, R = 1/2: S_P(0) at every integer P = 1..P_MAX (:func:`numeric.fourier_sums.centre_sums`,
128 bits), the claim ``fourier_centre`` (delta = 1/10, :func:`proofs.fourier_claim.centre_claim`),
and for the windows P in [10^j / 2, 10^j] the proved amplitude max |S_P(0) - 1| (upper ends of
the balls), beside the same for the Fourier integral I(P) (closed forms).  The library API is
used, not the CLI: the target parser accepts d <= 4, and d = 5 is part of the question.
About two minutes on the shared machine.
"""
from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import sympy
from flint import ctx, fmpq
from gmpy2 import mpq

from relu_pointwise.numeric.arb_balls import ball_bounds
from relu_pointwise.numeric.fourier_coeffs import fourier_integral_centre
from relu_pointwise.numeric.fourier_sums import centre_sums, integer_radii
from relu_pointwise.proofs.fourier_claim import centre_claim

ROOT = Path(__file__).resolve().parents[1]


def window_amplitudes(bounds: dict[int, tuple[mpq, mpq]], P_max: int) -> dict[str, str]:
    out = {}
    top = 10
    while top <= P_max:
        amp = max(max(hi - 1, 1 - lo) for P, (lo, hi) in bounds.items() if top // 2 <= P <= top)
        out[f"{top // 2}..{top}"] = f"{float(amp):.4g}"
        top *= 10
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--P", type=int, default=1000)
    ap.add_argument("-o", "--output", default=str(ROOT / "docs" / "fourier_table.json"))
    args = ap.parse_args()
    R = fmpq(1, 2)
    rows = []
    for d in range(1, 6):
        t0 = time.perf_counter()
        cs = centre_sums(d, R, integer_radii(args.P), prec=128)
        claim = centre_claim(cs, sympy.Rational(1, 10))
        bounds = {int(p.p): ball_bounds(v) for p, v in cs.pairs() if p >= 1}
        with ctx.workprec(128):
            integ = {P: ball_bounds(fourier_integral_centre(d, R, fmpq(P))) for P in bounds}
        amp = window_amplitudes(bounds, args.P)
        amp_I = window_amplitudes(integ, args.P)
        keys = list(amp)
        slope = math.log10(float(amp[keys[-1]]) / float(amp[keys[-2]])) if len(keys) >= 2 else float("nan")
        rows.append({"d": d, "P_max": args.P, "seconds": round(time.perf_counter() - t0, 1),
                     "S_P_max": cs.values[-1].str(20, radius=True),
                     "max_radius": f"{max(float(v.rad()) for v in cs.values):.1e}",
                     "amplitude_series": amp, "amplitude_integral": amp_I,
                     "decade_exponent": round(slope, 3),
                     "tail_range": [claim.data["tail_lo"], claim.data["tail_hi"]],
                     "above": len(claim.data["above"]), "below": len(claim.data["below"]),
                     "within": len(claim.data["within"]), "undecided": len(claim.data["undecided"]),
                     "M": claim.data["M"], "P_star": claim.data["P_star"]})
        print(json.dumps(rows[-1]), flush=True)
    Path(args.output).write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    print("| d | max over P in [5,10] / [50,100] / [500,1000] of abs(S_P(0) - 1) | same for the integral I(P) "
          "| exponent over the last decade | S_1000(0) |")
    for r in rows:
        a = " / ".join(r["amplitude_series"].values())
        b = " / ".join(r["amplitude_integral"].values())
        print(f"| {r['d']} | {a} | {b} | {r['decade_exponent']} | {r['S_P_max']} |")


if __name__ == "__main__":
    main()
