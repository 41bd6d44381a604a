"""The README's Fourier table, d = 1..8, from the enclosures and the certificates.

    python docs/fourier_table.py [-o docs/fourier_table.json] [--md docs/fourier_table.md]

For each d = 1..8, R = 1/2 on [-1,1)^d: :func:`proofs.fourier_claim.fourier_report` at every
integer P = 1..P_MAX[d] (Arb, 128 bits), at the centre and at x = (1/4, 0, ..., 0) (inside the
ball), and for d >= 5 also at x = (3/4, 0, ..., 0) (outside it); the claims ``fourier_centre`` /
``fourier_point:x=...`` (delta = 1/10) and the certificate's T(x) at the same points (exact-ball
network, full-batch GD, eta = 1, w0 = 0).  Every table cell is read from a claim's data, i.e.
from the enclosures: the count of radii inside f°(x) +- delta, the proved oscillation
(max lower end - min upper end) in the last dyadic window of P, the largest proved lower
bound of |S_P(x) - f°(x)| there, the range of S_P(x) over the last half of the radii, and
the proved bound T(x) <= T_hi.  Nothing is claimed for P > P_MAX[d].
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import sympy

from relu_pointwise.proofs.fourier_claim import fourier_report
from relu_pointwise.proofs.lemmas import point_text
from relu_pointwise.symbolic.spec import make_spec

ROOT = Path(__file__).resolve().parents[1]
P_MAX = {1: 400, 2: 400, 3: 400, 4: 300, 5: 200, 6: 150, 7: 120, 8: 100}


def _round(text: str, up: bool, digits: int = 4) -> str:
    """An exact rational rounded DOWN (lower bounds) or UP (upper bounds) to ``digits``
    significant decimals, so the printed number is still a bound."""
    import math
    from fractions import Fraction

    q = Fraction(text)
    if q == 0:
        return "0"
    e = math.floor(math.log10(abs(q)))
    scale = Fraction(10) ** (digits - 1 - e)
    n = math.ceil(q * scale) if up else math.floor(q * scale)
    v = Fraction(n) / scale
    return f"{float(v):.{digits}g}"


def _osc(w_osc: str, window: str) -> str:
    from fractions import Fraction

    return f"> {_round(w_osc, False)} (P {window})" if Fraction(w_osc) > 0 else f"none proved (P {window})"


def rows_for(d: int) -> list[dict]:
    points = [tuple(["1/4"] + ["0"] * (d - 1))]
    if d >= 5:
        points.append(tuple(["3/4"] + ["0"] * (d - 1)))
    t0 = time.perf_counter()
    rep = fourier_report(make_spec(f"ball:d={d},R=1/2"), rho_max=P_MAX[d], points=points)
    secs = time.perf_counter() - t0
    claims = {c["id"]: c for c in rep.doc["claims"]}
    out = []
    for x in [tuple(["0"] * d), *points]:
        zero = all(v == "0" for v in x)
        xt = point_text(tuple(sympy.Rational(v) for v in x))
        fc = claims["fourier_centre" if zero else f"fourier_point:x={xt}"]["data"]
        nc = claims["network_centre" if zero else f"network_point:x={xt}"]["data"]
        last = fc["windows"][-1]
        out.append({
            "d": d, "x": "0" if zero else xt, "f_target": fc["target_value"], "P_max": fc["P_max"],
            "within": len(fc["within"]), "above": len(fc["above"]), "below": len(fc["below"]),
            "undecided": len(fc["undecided"]),
            "last_window": f"{last['from']}-{last['to']}", "osc_last_window": last["osc"],
            "dev_last_window": last["dev"], "dev_P": last["dev_P"],
            "osc_by_window": {f"{w['from']}-{w['to']}": w["osc"] for w in fc["windows"]},
            "tail": [fc["tail_lo"], fc["tail_hi"]], "tail_from": fc["tail_from"],
            "T_hi": nc.get("T_hi", "unknown"), "seconds": round(secs, 1),
        })
    return out


def markdown(rows: list[dict]) -> str:
    from fractions import Fraction

    lines = ["| d | x | f°(x) | P | radii with abs(S_P(x) - f°(x)) <= 1/10 | proved oscillation of S_P(x) in the "
             "last three dyadic windows of P | proved abs(S_P(x) - f°(x)) > (last window) | S_P(x), last half "
             "of P | network: f(w_t,x) = f°(x) for t >= |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        osc = "; ".join(_osc(v, k) for k, v in list(r["osc_by_window"].items())[-3:])
        T = r["T_hi"] if r["T_hi"] != "unknown" else "not certified"
        dev = (f"{_round(r['dev_last_window'], False)} at P = {r['dev_P']}" if Fraction(r["dev_last_window"]) > 0
               else "none proved")
        lines.append(f"| {r['d']} | {r['x']} | {r['f_target']} | 1..{r['P_max']} | {r['within']} of {r['P_max']} "
                     f"| {osc} | {dev} | [{_round(r['tail'][0], False)}, {_round(r['tail'][1], True)}] "
                     f"(P >= {r['tail_from']}) | {T} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-o", "--output", default=str(ROOT / "docs" / "fourier_table.json"))
    ap.add_argument("--md", default=str(ROOT / "docs" / "fourier_table.md"))
    ap.add_argument("--dims", default="1,2,3,4,5,6,7,8")
    args = ap.parse_args()
    rows = []
    for d in (int(v) for v in args.dims.split(",")):
        rows += rows_for(d)
        print(json.dumps(rows[-1]), flush=True)
    Path(args.output).write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    md = markdown(rows)
    Path(args.md).write_text(md + "\n", encoding="utf-8")
    print(md)


if __name__ == "__main__":
    main()
