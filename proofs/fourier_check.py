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

from flint import fmpq
from gmpy2 import mpq

from relu_pointwise.numeric.arb_balls import ball_bounds
from relu_pointwise.numeric.fourier_points import denominator_of, point_curve, route_for
from relu_pointwise.numeric.fourier_sums import centre_sums, integer_radii
from relu_pointwise.symbolic.errors import InputError, PointwiseError
from relu_pointwise.symbolic.spec import make_spec

from .fourier_claim import SCHEMA, VERSION, ball_of, classify, windows

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


def _rows(curve: Any, where: str) -> dict[int, tuple[mpq, mpq]]:
    if not isinstance(curve, list) or not 0 < len(curve) <= MAX_CURVE_ROWS:
        raise InputError(f"{where}: expected 1..{MAX_CURVE_ROWS} rows")
    rows: dict[int, tuple[mpq, mpq]] = {}
    for i, row in enumerate(curve):
        if not isinstance(row, list) or len(row) != 3:
            raise InputError(f"{where}[{i}]: expected [P, lo, hi]")
        P, lo, hi = (_q(v, f"{where}[{i}]") for v in row)
        if not lo <= hi:
            raise InputError(f"{where}[{i}]: lo > hi")
        if P.denominator == 1 and P >= 1:
            rows[int(P)] = (lo, hi)
    P_max = max(rows) if rows else 0
    if sorted(rows) != list(range(1, P_max + 1)):
        raise InputError(f"{where}: the integer radii must be 1..P_max, each once")
    return rows


def _wording(rows: dict[int, tuple[mpq, mpq]], data: dict, target: mpq, delta: mpq, name: str
             ) -> tuple[bool, list[str]]:
    """The claim's sets, M, tail range and dyadic windows re-derived from its own curve."""
    msgs: list[str] = []
    ok = True
    P_max = max(rows)
    curve = [(P, *rows[P]) for P in sorted(rows)]
    cl = classify(curve, target, delta)
    for key in ("above", "below", "within", "undecided"):
        same = _ints(data.get(key), f"data.{key}") == getattr(cl, key)
        ok &= same
        msgs.append(f"{'checked' if same else 'FAILED'}: {name}: the set '{key}' "
                    f"{'follows' if same else 'does not follow'} from the curve's enclosures")
    best = max((max(lo, -hi, mpq(0)), P) for P, (lo, hi) in rows.items())[0]
    if data.get("M") != "none":
        M = _q(data.get("M"), "data.M")
        P_star = int(_q(data.get("P_star"), "data.P_star"))
        lo, hi = rows.get(P_star, (mpq(0), mpq(0)))
        good = M < max(lo, -hi) and M < best
        ok &= good
        msgs.append(f"{'checked' if good else 'FAILED'}: {name}: |S_P| > M at P = {P_star} from its enclosure")
    half = [P for P in rows if P >= (P_max + 1) // 2]
    t_lo, t_hi = min(rows[P][0] for P in half), max(rows[P][1] for P in half)
    good = _q(data.get("tail_lo"), "data.tail_lo") == t_lo and _q(data.get("tail_hi"), "data.tail_hi") == t_hi
    ok &= good
    msgs.append(f"{'checked' if good else 'FAILED'}: {name}: the tail range over P = {min(half)}..{P_max}")
    mine = [{k: str(v) for k, v in w.items()} for w in windows(curve, target)]
    theirs = data.get("windows")
    good = isinstance(theirs, list) and len(theirs) == len(mine) and all(
        isinstance(t, dict) and set(t) == set(m) and all(_q(t[k], "data.windows") == _q(m[k], "windows")
                                                         for k in m) for t, m in zip(theirs, mine))
    ok &= good
    msgs.append(f"{'checked' if good else 'FAILED'}: {name}: the dyadic windows' oscillation and deviation "
                "bounds follow from the curve's enclosures")
    return ok, msgs


def _meets(rows: dict[int, tuple[mpq, mpq]], pairs: Any) -> list[int]:
    bad = []
    for p, v in pairs:
        if p.q != 1 or p < 1:
            continue
        lo2, hi2 = ball_bounds(v)
        lo, hi = rows[int(p.p)]
        if hi < lo2 or hi2 < lo:
            bad.append(int(p.p))
    return bad


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
    rows = _rows(doc.get("curve"), "curve")
    claims = {c.get("id"): c for c in doc.get("claims", []) if isinstance(c, dict)}
    claim = claims.get("fourier_centre")
    if claim is None or not isinstance(claim.get("data"), dict):
        raise InputError("claims: no fourier_centre claim")
    ok, msgs = _wording(rows, claim["data"], mpq(1), delta, "centre")
    P_max = max(rows)

    other = "bessel" if method == "closed" else ("closed" if d % 2 else "bessel")
    extra = 64 if other == method else 0
    how = f"{'Arb Bessel J' if other == 'bessel' else 'the closed form'} at {prec + extra} bits"
    try:
        sums = centre_sums(d, R, integer_radii(P_max), prec=prec + extra, method=other)
    except PointwiseError as exc:
        return False, msgs + [f"FAILED: recomputation: {exc}"]
    bad = _meets(rows, sums.pairs())
    ok &= not bad
    msgs.append(f"{'checked' if not bad else 'FAILED'}: S_P(0) at P = 1..{P_max} recomputed by {how}: "
                + ("every recorded enclosure meets it" if not bad else f"disjoint at P = {bad[:10]}"))

    points = inp.get("points", [])
    curves = doc.get("point_curves", [])
    if not isinstance(points, list) or not isinstance(curves, list) or len(points) != len(curves):
        raise InputError("inputs.points / point_curves: one curve per point")
    for i, (xt, curve) in enumerate(zip(points, curves)):
        if not isinstance(xt, list) or len(xt) != d:
            raise InputError(f"inputs.points[{i}]: expected {d} coordinates")
        x = [_q(v, f"inputs.points[{i}]") for v in xt]
        name = "x=(" + ",".join(str(v) for v in x) + ")"
        prow = _rows(curve, f"point_curves[{i}]")
        if max(prow) != P_max:
            raise InputError(f"point_curves[{i}]: must run to P_max = {P_max}")
        pc = claims.get(f"fourier_point:{name}")
        if pc is None or not isinstance(pc.get("data"), dict):
            raise InputError(f"claims: no fourier_point:{name} claim")
        inside = sum(v * v for v in x)
        R2 = mpq(int(R.p), int(R.q)) ** 2
        target = mpq(1) if inside < R2 else mpq(0) if inside > R2 else mpq(1, 2)
        good, more = _wording(prow, pc["data"], target, delta, name)
        ok &= good
        msgs += more
        xs = [fmpq(int(v.numerator), int(v.denominator)) for v in x]
        q = denominator_of(xs)
        a = [int(v.p) * (q // int(v.q)) for v in xs]
        used = route_for(d, P_max * P_max, a, q)
        alt = "enumerate" if used == "convolve" else "convolve"
        try:
            again = point_curve(d, R, xs, integer_radii(P_max)[1:], prec=prec + extra, method=other, route=alt)
        except InputError:          # the other count route is over its cap: same route, other Bessel
            alt = used
            again = point_curve(d, R, xs, integer_radii(P_max)[1:], prec=prec + extra, method=other, route=alt)
        bad = _meets(prow, again.pairs())
        ok &= not bad
        verdict = "every recorded enclosure meets it" if not bad else f"disjoint at P = {bad[:10]}"
        msgs.append(f"{'checked' if not bad else 'FAILED'}: S_P({name}) at P = 1..{P_max} recomputed by {how}, "
                    f"counts by {alt}: {verdict}")
    return bool(ok), msgs
