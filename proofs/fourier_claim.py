"""The Fourier contrast as a claim in the certificate's style: what the enclosures show, no more.

Schema ``relu-pointwise/fourier-claim``, version 1 (a JSON object, every number an exact
string or an Arb ball in Arb's own text form ``[mid +/- rad]``)::

    {"schema", "version",
     "inputs":  {"target", "d", "R", "P_max", "asked", "delta", "prec", "method", "eta", "w0", "points"},
     "pairs":   [[P, "[mid +/- rad]"], ...]          S_P(0) at the asked radii
     "curve":   [[P, lo, hi], ...]                   S_P(0) at P = 0, 1, ..., P_max (exact ends)
     "integral":[[P, "[mid +/- rad]"], ...]          the Fourier integral I(P) at the asked radii (d <= 5)
     "claims":  [fourier_centre, (fourier_point:x=...), network_centre, (network_point:x=...)],
     "scope":   what the claims cover}

``fourier_centre`` (status "enclosed"): the Arb balls of S_P(0) at the integer radii
P = 1..floor(P_max) (:func:`numeric.fourier_sums.centre_sums`) are sorted into
"above f°(0) + delta" (lower end > 1 + delta), "below f°(0) - delta" (upper end
< 1 - delta), "within delta" (ball inside [1 - delta, 1 + delta]) and "undecided"
(the ball straddles 1 +- delta); the largest lower bound of |S_P(0)| gives
"|S_P(0)| > M at P = P*", and the balls over the last half of the radii give the range
of S_P(0) there.  A finite computation shows neither convergence nor divergence: the
statement says so and claims nothing for P > P_max.

``network_centre``: the network's side, exact, for the same target with the exact-ball
construction: the ``pointwise`` claim at x = 0 of the certificate
(:func:`proofs.certificate.build`, full-batch gradient descent): the step T(0) from which
f(w_t, 0) = f°(0) exactly, for ever.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy
from flint import arb, fmpq
from gmpy2 import mpq

from relu_pointwise.numeric.arb_balls import ball_bounds
from relu_pointwise.numeric.fourier_coeffs import (
    INTEGRAL_DIMS,
    fourier_integral_centre,
    resolve_method,
)
from relu_pointwise.numeric.fourier_points import check_point_cost, point_curve, target_at
from relu_pointwise.numeric.fourier_sums import (
    DEFAULT_PREC,
    CentreSums,
    centre_sums,
    integer_radii,
)
from relu_pointwise.symbolic.errors import InputError
from relu_pointwise.symbolic.spec import Spec, Training, make_training
from relu_pointwise.symbolic.targets import ExactBall

from .lemmas import ENCLOSED, FAILED, Claim, ex, point_text, short, weakest

Q = sympy.Rational
SCHEMA = "relu-pointwise/fourier-claim"
VERSION = 1
DEFAULT_DELTA = Q(1, 10)
ARB_DIGITS = 20


def arb_text(b: arb, digits: int = ARB_DIGITS) -> str:
    """Arb's own text of a ball, ``[mid +/- rad]`` (or a bare number for an exact ball).

    Arb rounds the midpoint to ``digits`` and adds the rounding to the radius, so the text
    is still an enclosure; :func:`digits_for` gives the digits a precision supports."""
    return b.str(digits, radius=True)


def digits_for(prec: int) -> int:
    """Decimal digits worth printing at ``prec`` bits (a few below prec log10 2)."""
    return max(15, int(prec * 0.30103) - 4)


def ball_of(spec: Spec) -> tuple[int, sympy.Rational]:
    """(d, R) of an exact-ball target on the cell [-1,1]^d; InputError naming ``target`` otherwise."""
    level = spec.target.level
    if not isinstance(level, ExactBall):
        raise InputError(f"target: the Fourier contrast is for the exact ball ball:d=D,R=R "
                         f"(no N, no unions), got {spec.target.text}", field="target")
    if any(lo != -1 for lo in spec.domain.lo) or any(hi != 1 for hi in spec.domain.hi):
        raise InputError(f"domain: the Fourier series lives on the period cell [-1,1)^d, got {spec.domain.text()}",
                         field="domain")
    (R,) = spec.target.requirements[0].data
    return spec.dim, Q(R)


def _fq(v: Any) -> fmpq:
    v = Q(v)
    return fmpq(int(v.p), int(v.q))


def _ranges(ps: Sequence[int]) -> str:
    """{1, 2, 3, 7, 9, 10} -> "{1-3, 7, 9-10}" (every member, compressed)."""
    if not ps:
        return "{}"
    out = []
    start = prev = ps[0]
    for p in list(ps[1:]) + [None]:
        if p is not None and p == prev + 1:
            prev = p
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if p is not None:
            start = prev = p
    return "{" + ", ".join(out) + "}"


def _below_decimal(q: mpq, digits: int = 6) -> mpq:
    """A short rational STRICTLY below q (q > 0): q rounded down to ``digits`` significant
    decimals, one unit of the last digit lower when that rounding is exact."""
    e = math.floor(math.log10(float(q)))
    scale = mpq(10) ** (digits - 1 - e) if digits - 1 - e >= 0 else mpq(1, 10 ** (e - digits + 1))
    out = mpq(math.floor(q * scale)) / scale
    while out >= q:          # exact rationals decide (the float log10 only picks the scale)
        out -= 1 / scale
    return out


@dataclass
class Classified:
    above: list[int] = field(default_factory=list)
    below: list[int] = field(default_factory=list)
    within: list[int] = field(default_factory=list)
    undecided: list[int] = field(default_factory=list)


def classify(curve: Sequence[tuple[int, mpq, mpq]], target: mpq, delta: mpq) -> Classified:
    """Sort P by where the ball [lo, hi] of S_P(0) lies against target +- delta (see module docstring)."""
    out = Classified()
    for P, lo, hi in curve:
        if lo > target + delta:
            out.above.append(P)
        elif hi < target - delta:
            out.below.append(P)
        elif lo >= target - delta and hi <= target + delta:
            out.within.append(P)
        else:
            out.undecided.append(P)
    return out


def windows(curve: Sequence[tuple[int, mpq, mpq]], target: mpq) -> list[dict[str, Any]]:
    """The dyadic windows P in [2^j, 2^(j+1) - 1] (cut at P_max) and what the balls prove in each:
    ``osc`` = max lo - min hi (if > 0, S_P takes two values at least osc apart in the window: a
    proved lower bound of its oscillation there), ``dev`` = max over the window of the proved
    lower bound max(lo - f°, f° - hi, 0) of |S_P - f°(x)|, at ``dev_P``."""
    out = []
    P_max = curve[-1][0]
    j = 0
    while 2 ** j <= P_max:
        win = [c for c in curve if 2 ** j <= c[0] < 2 ** (j + 1)]
        if win:
            osc = max(c[1] for c in win) - min(c[2] for c in win)
            dev, dev_P = max((max(c[1] - target, target - c[2], mpq(0)), c[0]) for c in win)
            out.append({"from": win[0][0], "to": win[-1][0], "osc": osc, "dev": dev, "dev_P": dev_P})
        j += 1
    return out


THEOREMS = (
    "Theorems illustrated (stated, not proved here): Pinsky, Stanton and Trapa (1993): for d >= 3 the "
    "spherical partial sums of the Fourier series of the ball's indicator diverge at the centre; Kuratsubo "
    "(2010) and Kuratsubo-Nakai (arXiv 2011.06178): for the periodized ball, besides the Gibbs-Wilbraham and "
    "Pinsky phenomena, a third phenomenon, tied to lattice-point problems, which prevents pointwise convergence "
    "for d >= 5 (as the abstracts of 2011.06178 and of Kawasumi-Yoneda, arXiv 2304.08172 v3+, summarize it; the "
    "precise hypotheses are in those papers, not restated here). The numbers above are what the enclosures "
    "show at the computed radii only.")


def curve_claim(sums: Any, delta: sympy.Rational, target: sympy.Rational | None = None,
                x: Sequence[Any] | None = None) -> Claim:
    """``fourier_centre`` (``x`` None) or ``fourier_point:x=...``: what the enclosures of S_P(x),
    P = 1..P_max (integers), show against f°(x) (``target``, 1 at the centre)."""
    target = Q(1) if target is None else target
    ints = [(int(p.p), v) for p, v in sums.pairs() if p.q == 1 and p >= 1]
    if not ints:
        raise InputError("rho: the claim needs at least P = 1")
    curve = [(P, *ball_bounds(v)) for P, v in ints]
    t, dl = mpq(int(target.p), int(target.q)), mpq(int(delta.p), int(delta.q))
    cl = classify(curve, t, dl)
    P_max = curve[-1][0]
    abs_lo = [(max(lo, -hi, mpq(0)), P) for P, lo, hi in curve]
    best, P_star = max(abs_lo, key=lambda a: (a[0], -a[1]))
    half = [c for c in curve if c[0] >= (P_max + 1) // 2]
    tail_lo, tail_hi = min(c[1] for c in half), max(c[2] for c in half)
    wins = windows(curve, t)
    how = ("the elementary closed form of J_{d/2}" if sums.method == "closed" else "Arb's Bessel J_{d/2}")
    at = "0" if x is None else point_text(tuple(Q(int(v.p), int(v.q)) for v in x))
    S = f"S_P({'0' if x is None else 'x'})"
    fo = f"f°({'0' if x is None else 'x'})"
    counts = (f"r_{sums.d}(n) exact" if x is None
              else "the lattice points of every shell counted exactly by their phase k.x mod 2")
    parts = [(f"{S} = sum_(|k|^2 <= P^2) c(|k|) cos(pi k.x) at x = {at} for the indicator of |x| < "
              f"{ex(_rat(sums.R))} on the period cell [-1,1)^{sums.d} ({fo} = {ex(target)}), enclosed in Arb at "
              f"{sums.prec} bits ({how}; {counts}) at every integer P = 1..{P_max}:")]
    parts.append(f"{S} > {fo} + delta = {ex(target + delta)} at P in {_ranges(cl.above)} ({len(cl.above)} radii)")
    parts.append(f"{S} < {fo} - delta = {ex(target - delta)} at P in {_ranges(cl.below)} ({len(cl.below)} radii)")
    parts.append(f"|{S} - {fo}| <= delta = {ex(delta)} at P in {_ranges(cl.within)} ({len(cl.within)} radii)")
    if cl.undecided:
        parts.append(f"undecided against {fo} +- delta at P in {_ranges(cl.undecided)}")
    M = None
    if best > 0:
        M = _below_decimal(best)
        parts.append(f"|{S}| > M = {ex(M)} at P = {P_star} (the largest proved lower bound of |{S}|)")
    parts.append(f"for P = {half[0][0]}..{P_max}, {S} lies in [{_short(tail_lo, 'down')}, {_short(tail_hi, 'up')}]")
    osc = [w for w in wins if w["osc"] > 0]
    if osc:
        parts.append("proved oscillation in the dyadic windows of P (max lower end - min upper end): "
                     + ", ".join(f"P {w['from']}-{w['to']}: > {_short(w['osc'], 'down')}" for w in wins
                                 if w["osc"] > 0))
    dev = [w for w in wins if w["dev"] > 0]
    if dev:
        parts.append(f"proved |{S} - {fo}| lower bounds per window: "
                     + ", ".join(f"> {_short(w['dev'], 'down')} at P = {w['dev_P']}" for w in dev))
    parts.append(f"nothing is claimed for P > {P_max}: a finite computation shows neither convergence nor "
                 "divergence. " + THEOREMS)
    data: dict[str, Any] = {
        "P_max": ex(P_max), "delta": ex(delta), "target_value": ex(target),
        "above": [ex(p) for p in cl.above], "below": [ex(p) for p in cl.below],
        "within": [ex(p) for p in cl.within], "undecided": [ex(p) for p in cl.undecided],
        "M": "none" if M is None else ex(M), "P_star": ex(P_star),
        "tail_from": ex(half[0][0]), "tail_lo": ex(tail_lo), "tail_hi": ex(tail_hi),
        "windows": [{k: ex(v) for k, v in w.items()} for w in wins],
        "shells": ex(sums.shells), "prec": ex(sums.prec), "method": sums.method,
    }
    if x is not None:
        data["x"] = [ex(_rat(v)) for v in x]
    cid = "fourier_centre" if x is None else f"fourier_point:x={at}"
    return Claim(cid, "; ".join(parts[:1]) + " " + "; ".join(parts[1:]), ENCLOSED, data)


def centre_claim(sums: CentreSums, delta: sympy.Rational, target: sympy.Rational | None = None) -> Claim:
    """``fourier_centre``: :func:`curve_claim` at x = 0."""
    return curve_claim(sums, delta, target)


def _rat(f: fmpq) -> sympy.Rational:
    return Q(int(f.p), int(f.q))


def _short(q: mpq, mode: str) -> str:
    return short(q, mode, digits=12)




# ====================================================================== the network's side

def network_claims(spec: Spec, points: Sequence[Sequence[sympy.Rational]], training: Training
                   ) -> tuple[list[Claim], Any]:
    """The certificate's ``pointwise`` claims at ``points`` (the centre first), renamed
    ``network_centre`` / ``network_point:x=...``, with the certificate's verdict folded in
    (a point claim holds only if the certificate it comes from is certified)."""
    from .certificate import build

    b = build(spec, training, points=list(points))
    by_id = {c["id"]: c for c in b.cert["claims"]}
    certified = b.cert["verdict"] == "certified"
    out = []
    for x in points:
        c = by_id[f"pointwise:x={point_text(x)}"]
        zero = all(v == 0 for v in x)
        cid = "network_centre" if zero else f"network_point:x={point_text(x)}"
        status = c["status"] if certified else weakest(c["status"], FAILED)
        st = (f"the network f(w_t, x) = clamp(w_t g(x) + 1/2, 0, 1), g = R^2 - |x|^2 (exact-ball construction), "
              f"trained by full-batch gradient descent (eta = {ex(training.eta)}, w0 = {ex(training.w0)}); "
              f"certificate verdict {b.cert['verdict']}: " + c["statement"])
        out.append(Claim(cid, st, status, dict(c["data"])))
    return out, b


# ====================================================================== the report

@dataclass
class FourierReport:
    """The claim document and what the plots need."""

    doc: dict[str, Any]
    d: int
    R: sympy.Rational
    curve: CentreSums
    asked: list[tuple[fmpq, arb]]
    integral: list[tuple[fmpq, arb]]
    point_values: list[tuple[tuple, Any]]      # (x, numeric.fourier_points.PointSums)
    network: Any                         # proofs.certificate.Build (growth, entry for the plots)
    delta: sympy.Rational
    prec: int
    method: str


def fourier_report(spec: Spec, rho: object | None = None, rho_max: object | None = None,
                   points: Sequence[Sequence[sympy.Rational]] = (), delta: object = DEFAULT_DELTA,
                   prec: int = DEFAULT_PREC, method: str = "auto", training: Training | None = None
                   ) -> FourierReport:
    """S_P(0) at ``rho`` (one radius) or at every integer P <= ``rho_max``; the claims.

    Exactly one of ``rho`` and ``rho_max``.  The integer curve P = 0..floor(P_max) is
    always computed (the shells up to P_max^2 are summed anyway) and is what the claim
    and the plots use.  ``points``: points other than the centre (cost ~P_max^d each).
    """
    d, R = ball_of(spec)
    if (rho is None) == (rho_max is None):
        raise InputError("rho: give exactly one of rho (one radius) and rho_max (every integer radius up to it)",
                         field="rho")
    which = "rho" if rho is not None else "rho_max"
    P_max = _number(rho if rho is not None else rho_max, which)
    if P_max < 1:
        raise InputError(f"{which}: must be >= 1, got {ex(P_max)}", field=which)
    dl = _number(delta, "delta")
    if not 0 < dl:
        raise InputError(f"delta: must be > 0, got {ex(dl)}", field="delta")
    how = resolve_method(d, method)
    training = training if training is not None else make_training()
    fP = _fq(P_max)
    radii = integer_radii(fP)
    others = [tuple(Q(v) for v in x) for x in points if any(Q(v) != 0 for v in x)]
    for x in others:      # every point's cost is checked before any work
        check_point_cost(d, [_fq(v) for v in x], fP)
    sums = centre_sums(d, _fq(R), radii, prec=prec, method=how)
    values = dict(zip(sums.radii, sums.values))
    asked_radii = [fP] if rho is not None else radii[1:]
    asked = [(p, values[p]) for p in asked_radii]
    integral: list[tuple[fmpq, arb]] = []
    if d in INTEGRAL_DIMS:
        from flint import ctx

        with ctx.workprec(prec):
            integral = [(p, fourier_integral_centre(d, _fq(R), p)) for p in asked_radii]
    claims = [centre_claim(sums, dl)]
    point_values = []
    for x in others:
        pc = point_curve(d, _fq(R), [_fq(v) for v in x], radii, prec=prec, method=how)
        point_values.append((x, pc))
        claims.append(curve_claim(pc, dl, target_at(x, R), x=pc.x))
    zero = tuple(Q(0) for _ in range(d))
    net, build = network_claims(spec, [zero] + others, training)
    claims += net
    doc = {
        "schema": SCHEMA, "version": VERSION,
        "inputs": {"target": spec.target.text, "d": ex(d), "R": ex(R), "P_max": ex(P_max),
                   "asked": "one radius (rho)" if rho is not None else "every integer radius up to rho_max",
                   "delta": ex(dl), "prec": ex(prec), "method": how,
                   "eta": ex(training.eta), "w0": ex(training.w0),
                   "points": [[ex(v) for v in x] for x in others]},
        "pairs": [[ex(_rat(p)), arb_text(v, digits_for(prec))] for p, v in asked],
        "curve": [[ex(_rat(p)), *(ex(b) for b in ball_bounds(v))] for p, v in sums.pairs()],
        "point_curves": [[[ex(_rat(p)), *(ex(b) for b in ball_bounds(v))] for p, v in pc.pairs()]
                         for _, pc in point_values],
        "integral": [[ex(_rat(p)), arb_text(v, digits_for(prec))] for p, v in integral],
        "claims": [c.to_json() for c in claims],
        "scope": (f"the Fourier side: the spherical partial sums at the listed radii P <= {ex(P_max)} only; "
                  f"the network side: every t >= 0 of full-batch gradient descent, as certified"),
    }
    return FourierReport(doc, d, R, sums, asked, integral, point_values, build, dl, prec, how)


def _number(value: object, name: str) -> sympy.Rational:
    from relu_pointwise.symbolic.numbers import number_from_value

    if isinstance(value, sympy.Rational):
        return value
    if isinstance(value, fmpq):
        return Q(int(value.p), int(value.q))
    try:
        return number_from_value(value, name)
    except InputError as exc:
        raise InputError(str(exc), field=name) from None


# ====================================================================== files

FOURIER_JSON = "fourier.json"
FOURIER_PLOTS = ("fourier_contrast.png", "fourier_ray.png")
_JSON_SIGNATURE = (b'"schema": "relu-pointwise/fourier-claim"',)


def _old_files(out) -> dict[str, str]:
    """The ``files`` manifest (name -> SHA-256) of a claim document of ours in ``out``, if any."""
    from relu_pointwise.symbolic.fileout import is_ours
    from relu_pointwise.symbolic.jsonio import read_json

    p = out / FOURIER_JSON
    if not p.is_file() or not is_ours(p, _JSON_SIGNATURE):
        return {}
    try:
        old = read_json(p, what="out")
    except InputError:
        return {}
    files = old.get("files") if isinstance(old, dict) else None
    if not isinstance(files, dict):
        return {}
    return {k: v for k, v in files.items() if isinstance(k, str) and isinstance(v, str)}


def point_plot_name(i: int) -> str:
    """The figure of the i-th point (0-based): S_P(x) against P beside f(w_t, x) against t."""
    return f"fourier_point{i + 1}.png"


def check_fourier_outputs(out_dir: Any, plots: bool = True, force: bool = False, n_points: int = 0) -> None:
    """Before any work: ``out`` must be a directory (or absent), and no file of ours' names in
    it may be one this tool did not write (the JSON by its schema line, the plots by the
    SHA-256 a previous fourier.json lists), unless ``force``."""
    from pathlib import Path

    from relu_pointwise.symbolic.fileout import check_overwrite

    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"out: {str(out)!r} exists and is not a directory", field="out")
    if not out.exists():
        return
    manifest = _old_files(out)
    check_overwrite(out / FOURIER_JSON, what="out", force=force, signatures=_JSON_SIGNATURE)
    names = [*FOURIER_PLOTS, *(point_plot_name(i) for i in range(n_points))] if plots else []
    for name in names:
        check_overwrite(out / name, what="out", force=force, manifest=manifest)


def write_fourier_outputs(report: FourierReport, out_dir: Any, plots: bool = True, force: bool = False) -> list:
    """DIR/fourier.json and (``plots``) the two PNGs, each written atomically (a staged file
    renamed into place); the plots first, then fourier.json listing them with their SHA-256,
    so a claim document never vouches for plots it did not write."""
    import json
    from pathlib import Path

    from relu_pointwise.symbolic.fileout import oserror_line, sha256_of, staged, write_atomic

    out = Path(out_dir)
    check_fourier_outputs(out, plots, force, len(report.point_values))
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise oserror_line("out", "create", out, exc) from None
    written = []
    if plots:
        from .fourier_plots import contrast_plot, point_plot, ray_plot

        for name, draw in zip(FOURIER_PLOTS, (contrast_plot, ray_plot)):
            with staged(out / name, what="out") as tmp:
                draw(report, tmp)
            written.append(out / name)
        for i in range(len(report.point_values)):
            name = point_plot_name(i)
            with staged(out / name, what="out") as tmp:
                point_plot(report, i, tmp)
            written.append(out / name)
    doc = dict(report.doc)
    doc["files"] = {p.name: sha256_of(p) for p in written}
    write_atomic(out / FOURIER_JSON, json.dumps(doc, indent=1, ensure_ascii=False) + "\n", what="out")
    return [out / FOURIER_JSON, *written]
