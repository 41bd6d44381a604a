"""Check a Fourier claim document (``relu-pointwise/fourier-claim``) from its inputs.

:func:`check_fourier_doc` re-establishes the ``fourier_centre`` claim, cheapest first:

1. shape and limits: schema, version, the inputs as exact strings, at most
   ``MAX_CURVE_ROWS`` rows, every number read by :func:`symbolic.exprio.rational_from_text`
   (nothing is evaluated);
2. the wording: the sets "above / below / within / undecided", ``M`` and ``P*`` and the
   tail range are re-derived from the document's own curve (exact rational ends) and must
   equal the claim's data;
3. the numbers: S_P(0) at every integer radius is recomputed by the OTHER route for
   J_{d/2} (the Arb Bessel J where the document used the closed form, the closed form
   where it used Arb's J in odd d; in even d only Arb's J exists, and the recomputation
   runs at 64 more bits, which catches a wrong sum but not an Arb bug); every recorded
   [lo, hi] must meet the recomputed ball.

The network claims are the certificate's, checked by ``pointwise verify`` on a certificate.
"""
from __future__ import annotations

from typing import Any

from gmpy2 import mpq

from relu_pointwise.numeric.arb_balls import ball_bounds
from relu_pointwise.numeric.fourier_sums import centre_sums, integer_radii
from relu_pointwise.symbolic.errors import InputError, PointwiseError
from relu_pointwise.symbolic.spec import make_spec

from .fourier_claim import SCHEMA, VERSION, ball_of, classify

MAX_CURVE_ROWS = 2002
MAX_PREC = 1024


def _q(text: Any, where: str) -> mpq:
    from relu_pointwise.symbolic.exprio import rational_from_text

    if not isinstance(text, str):
        raise InputError(f"{where}: expected an exact number as text, got {type(text).__name__}")
    r = rational_from_text(text)
    return mpq(int(r.p), int(r.q))


def _ints(items: Any, where: str) -> list[int]:
    if not isinstance(items, list) or len(items) > MAX_CURVE_ROWS:
        raise InputError(f"{where}: expected a list of at most {MAX_CURVE_ROWS} integers")
    out = []
    for v in items:
        q = _q(v, where)
        if q.denominator != 1:
            raise InputError(f"{where}: {v!r} is not an integer")
        out.append(int(q))
    return out


def check_fourier_doc(doc: Any) -> tuple[bool, list[str]]:
    """(all checks pass, one line per check).  A malformed document raises InputError."""
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA or doc.get("version") != VERSION:
        raise InputError(f"document: not a {SCHEMA} version {VERSION} document")
    inp = doc.get("inputs")
    if not isinstance(inp, dict):
        raise InputError("inputs: missing")
    spec = make_spec(str(inp.get("target", "")))
    d, R = ball_of(spec)
    prec = int(_q(inp.get("prec"), "inputs.prec"))
    if not 32 <= prec <= MAX_PREC:
        raise InputError(f"inputs.prec: must be from 32 to {MAX_PREC}")
    method = inp.get("method")
    if method not in ("closed", "bessel"):
        raise InputError("inputs.method: must be closed or bessel")
    delta = _q(inp.get("delta"), "inputs.delta")
    curve = doc.get("curve")
    if not isinstance(curve, list) or not 0 < len(curve) <= MAX_CURVE_ROWS:
        raise InputError(f"curve: expected 1..{MAX_CURVE_ROWS} rows")
    rows: dict[int, tuple[mpq, mpq]] = {}
    for i, row in enumerate(curve):
        if not isinstance(row, list) or len(row) != 3:
            raise InputError(f"curve[{i}]: expected [P, lo, hi]")
        P, lo, hi = (_q(v, f"curve[{i}]") for v in row)
        if not lo <= hi:
            raise InputError(f"curve[{i}]: lo > hi")
        if P.denominator == 1 and P >= 1:
            rows[int(P)] = (lo, hi)
    claims = {c.get("id"): c for c in doc.get("claims", []) if isinstance(c, dict)}
    claim = claims.get("fourier_centre")
    if claim is None or not isinstance(claim.get("data"), dict):
        raise InputError("claims: no fourier_centre claim")
    data = claim["data"]
    msgs: list[str] = []
    ok = True

    P_max = max(rows) if rows else 0
    if sorted(rows) != list(range(1, P_max + 1)):
        raise InputError("curve: the integer radii must be 1..P_max, each once")
    cl = classify([(P, *rows[P]) for P in sorted(rows)], mpq(1), delta)
    for key in ("above", "below", "within", "undecided"):
        same = _ints(data.get(key), f"data.{key}") == getattr(cl, key)
        ok &= same
        msgs.append(f"{'checked' if same else 'FAILED'}: the set '{key}' "
                    f"{'follows' if same else 'does not follow'} from the curve's enclosures")
    best = max((max(lo, -hi, mpq(0)), P) for P, (lo, hi) in rows.items())[0]
    if data.get("M") != "none":
        M = _q(data.get("M"), "data.M")
        P_star = int(_q(data.get("P_star"), "data.P_star"))
        lo, hi = rows.get(P_star, (mpq(0), mpq(0)))
        good = M < max(lo, -hi) and M < best
        ok &= good
        msgs.append(f"{'checked' if good else 'FAILED'}: |S_P(0)| > M at P = {P_star} from its enclosure")
    half = [P for P in rows if P >= (P_max + 1) // 2]
    t_lo, t_hi = min(rows[P][0] for P in half), max(rows[P][1] for P in half)
    good = _q(data.get("tail_lo"), "data.tail_lo") == t_lo and _q(data.get("tail_hi"), "data.tail_hi") == t_hi
    ok &= good
    msgs.append(f"{'checked' if good else 'FAILED'}: the tail range over P = {min(half)}..{P_max}")

    other = "bessel" if method == "closed" else ("closed" if d % 2 else "bessel")
    extra = 64 if other == method else 0
    try:
        sums = centre_sums(d, R, integer_radii(P_max), prec=prec + extra, method=other)
    except PointwiseError as exc:
        return False, msgs + [f"FAILED: recomputation: {exc}"]
    bad = []
    for p, v in sums.pairs():
        if p.q != 1 or p < 1:
            continue
        lo2, hi2 = ball_bounds(v)
        lo, hi = rows[int(p.p)]
        if hi < lo2 or hi2 < lo:
            bad.append(int(p.p))
    good = not bad
    ok &= good
    how = f"{'Arb Bessel J' if other == 'bessel' else 'the closed form'} at {prec + extra} bits"
    msgs.append(f"{'checked' if good else 'FAILED'}: S_P(0) at P = 1..{P_max} recomputed by {how}: "
                + ("every recorded enclosure meets it" if good else f"disjoint at P = {bad[:10]}"))
    return bool(ok), msgs
