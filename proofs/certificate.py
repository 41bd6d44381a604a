"""The certificate of pointwise convergence: build it, write it.

Schema ``relu-pointwise/certificate``, version 3: published as a JSON Schema file shipped in
the package, ``proofs/schema/certificate-v3.schema.json`` (draft 2020-12), which fixes every
field, its type and range and the canonical text of every number (counts as canonical
decimals, rationals reduced ``p/q``, closed forms in :mod:`symbolic.exprio`'s canonical
printing), allows no unknown key, and holds the templates of every claim's statement, the
scope and the reason (``x-statements``, ``x-scope``, ``x-reason``)::

    {
      "schema":  "relu-pointwise/certificate",
      "version": 3,
      "inputs": {"spec": {"target", "domain", "r", "measure"}, "eta", "w0", "batch",
                 "seed" ("none" for full and cyclic batches), "steps", "prec",
                 "points": [[x_1, ..., x_d], ...]},
      "claims": [{"id", "statement", "status": "proved" | "enclosed" | "numerical" | "failed",
                  "data": {...}}],             in a fixed order; data by claim kind (the schema)
      "rests_on": [claim ids the verdict rests on],
      "verdict":  "certified" | "not certified",
      "scope", "reason":                      renderings of the schema's templates
      "files":    {name: "sha256:<hex>"}      optional: the files written beside it
    }

Text is not trusted: a statement, the scope and the reason are renderings of the published
templates from the data (:func:`proofs.lemmas.text.statement_of`), and the checker renders
them again by its own code and refuses any difference.  The construction claim's data
carries the network's exact weights (``data.network``, ``symbolic.network.Network.to_json``).

Claim ids: ``construction``, ``monotonicity``, ``asymptotic``, ``growth``, ``entry``,
``rate``, ``pointwise:x=...`` (one per point, the point as in :func:`proofs.lemmas.point_text`),
``deep_ball_depth`` (deep-ball targets), and for mini-batches ``minibatch_monotonicity``,
``path``, ``batch_losses``, ``dataset_stall``; for ``cyclic:K`` ``cyclic_growth`` replaces
``growth``/``asymptotic`` and ``monotonicity``/``entry``/``rate`` take their cyclic forms.
The mathematics of each is in :mod:`proofs.lemmas`.  The verdict is ``certified`` only when
every claim in ``rests_on`` is proved or enclosed.  Nothing in the file is ever evaluated.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sympy

from relu_pointwise.symbolic.batch_kinds import batch_kind
from relu_pointwise.symbolic.errors import InputError
from relu_pointwise.symbolic.fileout import TMP_MARK, check_overwrite, is_ours, oserror_line, sha256_of
from relu_pointwise.symbolic.limits import DOMAIN_CHARS, NUMBER_CHARS, POINTS_MAX, PREC_MAX, STEPS_MAX, exceeded
from relu_pointwise.symbolic.loss import Derivation, derive
from relu_pointwise.symbolic.numbers import parse_number, rational_text
from relu_pointwise.symbolic.progress import report, step_counter
from relu_pointwise.symbolic.spec import Spec, Training
from relu_pointwise.symbolic.targets import DeepBall, ExactBall

from . import lemmas as L
from .lemmas import Claim, ex
from .lemmas.text import published_schema, render, statement_of

Q = sympy.Rational

SCHEMA = "relu-pointwise/certificate"
VERSION = 3
# Free-text fields the prover computes but does not publish (the checker could not check them):
# the engine description of an enclosure, the decimal summary of a dataset stall, and the density's
# end values where growth constants are not derived (its note says why; the schema has no field for them).
UNPUBLISHED = {"entry": ("source",), "path": ("source",), "dataset_stall": ("summary",),
               "growth": ("regime", "rho_0", "rho_u_star")}
DEFAULT_STEPS_FULL = 20000
DEFAULT_STEPS_BATCH = 1000
DEFAULT_PREC = 128
EXACT_ITER_STEPS = 64
EXACT_ITER_DIGITS = 3000
MAX_POINTS = POINTS_MAX.value
DEPTH_ROW = ("x", "norm2", "side", "ball_target", "deep_target_at_spec_N", "N", "N_exact")


# ====================================================================== points

def grid_points(spec: Spec, K: int) -> list[tuple[sympy.Rational, ...]]:
    """K equally spaced values per coordinate, ends included: lo + (hi - lo) i / (K - 1)."""
    if K < 2:
        raise InputError(f"grid: needs at least 2 points per coordinate, got {K}")
    if K ** spec.dim > MAX_POINTS:
        raise InputError(f"grid: {K}^{spec.dim} points exceed {MAX_POINTS}")
    axes = [[lo + (hi - lo) * Q(i, K - 1) for i in range(K)] for lo, hi in zip(spec.domain.lo, spec.domain.hi)]
    out: list[tuple] = [()]
    for ax in axes:
        out = [p + (v,) for p in out for v in ax]
    return out


def default_grid(spec: Spec) -> int:
    """17 points in 1-D, 5 per coordinate in 2-D, 3 beyond; fewer (down to 2, the corners)
    when that grid would exceed MAX_POINTS: the default never breaks the limit the user
    did not choose (a box in d = 8 gets 2^8 = 256 points)."""
    k = {1: 17, 2: 5}.get(spec.dim, 3)
    while k > 2 and k ** spec.dim > MAX_POINTS:
        k -= 1
    if k ** spec.dim > MAX_POINTS:
        raise InputError(f"target {spec.target.text}: even the corners, 2^{spec.dim} points, exceed the limit "
                        f"{MAX_POINTS} points of the default grid (give --points)")
    return k


def parse_points(text: str, spec: Spec) -> list[tuple[sympy.Rational, ...]]:
    """``X1,X2,...`` in 1-D; ``x1,y1;x2,y2;...`` in d-D (exact numbers)."""
    if not isinstance(text, str) or not text.strip():
        raise InputError("points: empty")
    d = spec.dim
    if d == 1:
        items = [[p] for p in text.replace(";", ",").split(",")]
    else:
        items = [p.split(",") for p in text.split(";")]
    pts = []
    for j, coords in enumerate(items, start=1):
        if len(coords) != d:
            raise InputError(f"points: point {j} has {len(coords)} coordinates, the target has dimension {d}")
        pts.append(tuple(parse_number(c, f"points point {j}") for c in coords))
    return check_points(pts, spec)


def check_points(points: Sequence[Sequence], spec: Spec) -> list[tuple[sympy.Rational, ...]]:
    out = []
    if len(points) > MAX_POINTS:
        raise InputError(f"points: at most {MAX_POINTS} points, got {len(points)}")
    for j, p in enumerate(points, start=1):
        p = tuple(Q(v) for v in p)
        if len(p) != spec.dim:
            raise InputError(f"points: point {j} has {len(p)} coordinates, the target has dimension {spec.dim}")
        for i, v in enumerate(p):
            if not spec.domain.lo[i] <= v <= spec.domain.hi[i]:
                raise InputError(f"points: point {j} coordinate {i + 1} = {rational_text(v)} is outside the domain")
        out.append(p)
    return out


# ====================================================================== the run

@dataclass
class Build:
    """A certificate and what the plots need (not part of the certificate)."""

    cert: dict[str, Any]
    spec: Spec
    training: Training
    derivation: Derivation | None
    path: L.PathBounds | None
    losses: list | None = None            # (lo, hi) enclosures of the step losses L_t(w_t)
    pointwise: list[dict] = field(default_factory=list)
    growth: L.Growth | None = None
    entry: L.Entry | None = None


def _path_from(derivation: Derivation) -> Any:
    """Where the certificate's enclosed path may start: exact_from, except for the exact ball,
    whose path starts at w* (the checker's radial route, proofs/check/radial.py, covers the band
    inside the box only; the exact pieces below w* of symbolic.ball_full are for the engines)."""
    if isinstance(derivation.spec.target.level, ExactBall):
        return max(derivation.exact_from, derivation.w_star)
    return derivation.exact_from


def _exact_prefix(derivation: Derivation, training: Training, steps: int) -> list | None:
    """w_0..w_k by exact rational iteration (symbolic.iterate), when Phi is rational."""
    from relu_pointwise.symbolic.iterate import iterate_exact

    if training.w0 < _path_from(derivation):
        return None
    try:
        run = iterate_exact(derivation, training.eta, training.w0, min(steps, EXACT_ITER_STEPS),
                            max_digits=EXACT_ITER_DIGITS)
    except InputError:
        return None
    return list(run.ws)


def _arb_path(spec: Spec, derivation: Derivation, training: Training, steps: int, prec: int
              ) -> tuple[L.PathBounds | None, list | None]:
    """Arb enclosures of w_0..w_steps and of L(w_0)..L(w_steps) (numeric.arb_engine.run_arb)."""
    from relu_pointwise.numeric.arb_engine import EnclosureError, ball_bounds, run_arb

    if training.w0 < _path_from(derivation):
        return None, None
    try:
        traj = run_arb(spec, training, steps, prec=prec, derivation=derivation,
                       progress=step_counter("enclosing the path", steps))
    except EnclosureError:
        return None, None
    lo, hi = zip(*(ball_bounds(b) for b in traj.ws))
    losses = [ball_bounds(b) for b in traj.losses]
    return L.PathBounds(list(lo), list(hi), f"arb ball arithmetic at {prec} bits (numeric.arb_engine)"), losses


def _verdict(claims: list[Claim], rests_on: list[str], fail_reason: str | None = None) -> dict[str, Any]:
    """rests_on and the verdict (the scope and reason texts are rendered by :func:`_finish`)."""
    by_id = {c.id: c for c in claims}
    weak = [i for i in rests_on if not by_id[i].holds]
    ok = fail_reason is None and not weak
    return {"rests_on": rests_on, "verdict": "certified" if ok else "not certified"}


def _finish(cert: dict[str, Any]) -> None:
    """Version 3: the free-text fields dropped (UNPUBLISHED), then every text rendered."""
    for c in cert["claims"]:
        for k in UNPUBLISHED.get(c["id"], ()):
            c["data"].pop(k, None)
    render_texts(cert)


def render_texts(cert: dict[str, Any]) -> dict[str, Any]:
    """Render every statement, the scope and the reason of ``cert`` (in place, and returned) from
    the published templates (the schema's x-statements, x-scope, x-reason) and the data.  The
    certificate's text is then what the checker renders again; tests that edit a certificate's
    data call this to keep the text consistent."""
    schema = published_schema()
    by_id = {}
    for c in cert["claims"]:
        c["statement"] = statement_of(c["id"], c["data"])
        by_id[c["id"]] = c
    inputs = cert["inputs"]
    kind = batch_kind(inputs["batch"].partition(":")[0])
    weak = [f"{i} ({by_id[i]['status']})" for i in cert["rests_on"]
            if i in by_id and by_id[i]["status"] not in (L.PROVED, L.ENCLOSED)]
    if cert["verdict"] == "certified":
        case = "certified"
    else:
        case = ("dataset" if kind.fixed_dataset else "") + ("_weak" if weak else "")
        case = case.lstrip("_") or "weak"
    stall = by_id.get("dataset_stall")
    values = {"n": str(len(cert["rests_on"])), "weak": ", ".join(weak),
              "stall": stall["statement"] if stall else ""}
    cert["scope"] = render(schema["x-scope"][kind.name], inputs)
    cert["reason"] = render(schema["x-reason"][case], values)
    return cert


def _deep_claim(spec: Spec, points) -> Claim | None:
    if not isinstance(spec.target.level, DeepBall):
        return None
    try:
        from .deep import depth_claim
    except ModuleNotFoundError:
        return None
    res = depth_claim(spec, points)
    # the fields the checker compares (proofs/check/points.py); the prover's own self-checks
    # (identities, chord form, network checks) stay in its statement, not in the data
    data = {k: _plain(res[k]) for k in ("R2", "d", "N", "inner_radius2_at_N")}
    data["table"] = [{k: _plain(row[k]) for k in DEPTH_ROW} for row in res["table"]]
    return Claim(str(res.get("claim", "deep_ball_depth")), str(res["statement"]),
                 str(res["status"]) if res["status"] in L.STATUSES else L.FAILED, data)


def _plain(v: Any) -> Any:
    """JSON data with every number as an exact string (ints -> "12", bools -> "yes"/"no")."""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return ex(v)
    if v is None:
        return "none"
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, float):
        raise TypeError("a float in certificate data")
    return str(v)


def inputs_of(spec: Spec, training: Training, steps: int, prec: int, points) -> dict[str, Any]:
    return {"spec": spec.describe(), "eta": ex(training.eta), "w0": ex(training.w0),
            "batch": training.batch.text(),
            "seed": ex(training.seed) if training.batch.kind.uses_points else "none",
            "steps": ex(steps),
            "prec": ex(prec), "points": [[ex(v) for v in p] for p in points]}


def check_run_limits(steps: object, prec: object, what: str = "") -> None:
    """steps in 1..STEPS_MAX and prec in 16..PREC_MAX (symbolic.limits), before any work; errors name
    the Python parameters (the CLI shows them as its flags)."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise InputError(f"{what}steps: must be an integer >= 1, got {steps!r}")
    if steps > STEPS_MAX.value:
        raise exceeded(f"{what}steps", steps, STEPS_MAX)
    if isinstance(prec, bool) or not isinstance(prec, int) or prec < 16:
        raise InputError(f"{what}prec: must be an integer >= 16 bits, got {prec!r}")
    if prec > PREC_MAX.value:
        raise exceeded(f"{what}prec", prec, PREC_MAX)


def check_input_numbers(spec: Spec, training: Training) -> None:
    """eta and w0 as the certificate stores them (p/q) within NUMBER_CHARS, and the domain's
    text within DOMAIN_CHARS, the checker's limits too: a decimal of 4000 characters may be a
    p/q of twice that, which no verify would read."""
    dom = spec.domain.text()
    if len(dom) > DOMAIN_CHARS.value:
        raise InputError(f"domain: as a certificate stores it, {len(dom)} characters, over the limit "
                         f"{DOMAIN_CHARS.value} characters", field="domain")
    for name, v in (("eta", training.eta), ("w0", training.w0)):
        n = len(ex(v))
        if n > NUMBER_CHARS.value:
            raise InputError(f"{name}: as p/q it has {n} characters, over the limit {NUMBER_CHARS.value} characters "
                             f"of a certificate's numbers (give it as a shorter p/q or decimal)", field=name)


def build(spec: Spec, training: Training, points=None, grid: int | None = None,
          steps: int | None = None, prec: int = DEFAULT_PREC) -> Build:
    """Run every proof obligation for (spec, training) and assemble the certificate."""
    if points is None:
        points = grid_points(spec, grid if grid is not None else default_grid(spec))
    elif grid is not None:
        raise InputError("give points or grid, not both")
    points = check_points(points, spec)
    kind = training.batch.kind
    if steps is None:
        steps = DEFAULT_STEPS_FULL if kind.population else DEFAULT_STEPS_BATCH
    check_run_limits(steps, prec)
    check_input_numbers(spec, training)
    if kind.population:
        b = _build_full(spec, training, points, steps, prec)
    elif kind.slabs:
        b = _build_cyclic(spec, training, points, steps, prec)
    else:
        b = _build_points(spec, training, points, steps, prec)
    for c in b.cert["claims"]:
        if c["id"] == "construction":       # the weights, for the independent checker
            c["data"]["network"] = spec.network.to_json()
    b.cert = {"schema": SCHEMA, "version": VERSION,
              "inputs": inputs_of(spec, training, steps, prec, points), **b.cert}
    _finish(b.cert)
    return b


def certify(spec: Spec, training: Training, points=None, grid: int | None = None,
            steps: int | None = None) -> dict[str, Any]:
    """The certificate (JSON-ready dict, schema in the module docstring)."""
    return build(spec, training, points, grid, steps).cert


def _point_claims(claims: list[Claim], spec: Spec, points, training: Training, growth, entry, path,
                  realized_only: bool = False) -> list[dict]:
    """Append the T(x) claims of every point (and the deep-ball N -> infinity claim); the summaries."""
    summaries = []
    for i, x in enumerate(points):
        report("T(x)", i + 1, len(points))
        c, s = L.pointwise_claim(spec, x, training, growth, entry, path, realized_only=realized_only)
        claims.append(c)
        summaries.append(s)
    deep = _deep_claim(spec, points)
    if deep is not None:
        claims.append(deep)
    return summaries


# ---------------------------------------------------------------------- full batch

def _build_full(spec: Spec, training: Training, points, steps: int, prec: int) -> Build:
    report("deriving the exact loss")
    d = derive(spec)
    report("proving the lemmas")
    claims: list[Claim] = [L.construction_claim(spec, d, points), L.monotonicity_claim(d), L.asymptotic_claim(d)]
    g_claim, growth = L.growth_claim(d, training.eta)
    claims.append(g_claim)
    exact = _exact_prefix(d, training, steps)
    enc, losses = _arb_path(spec, d, training, steps, prec)
    path, problems = L.merge_paths(exact, enc)
    e_claim, entry = L.entry_claim(d, training, path)
    if problems:
        e_claim = Claim(e_claim.id, e_claim.statement + "; ENGINES DISAGREE: " + "; ".join(problems),
                        L.FAILED, e_claim.data)
    claims.append(e_claim)
    claims.append(L.rate_claim(d, training, growth, entry, losses))
    summaries = _point_claims(claims, spec, points, training, growth, entry, path)
    rests = [c.id for c in claims]
    v = _verdict(claims, rests)
    cert = {"claims": [c.to_json() for c in claims], **v}
    return Build(cert, spec, training, d, path, losses, summaries, growth, entry)


# ---------------------------------------------------------------------- point batches

def _build_points(spec: Spec, training: Training, points, steps: int, prec: int) -> Build:
    from relu_pointwise.numeric.arb_engine import EnclosureError, ball_bounds, run_arb
    from relu_pointwise.numeric.trajectory import StepSource

    kind = training.batch.kind
    report("deriving the exact loss")
    try:
        d = derive(spec)
    except (InputError, ValueError):
        d = None
    claims: list[Claim] = [L.construction_claim(spec, d, points), L.minibatch_monotonicity_claim(spec, training)]
    src = StepSource(spec, training, steps, cache=False)
    try:
        traj = run_arb(spec, training, steps, prec=prec, source=src,
                       progress=step_counter("enclosing the path", steps))
    except EnclosureError as exc:
        raise InputError(f"arb engine: {exc}") from None
    lo, hi = zip(*(ball_bounds(b) for b in traj.ws))
    path = L.PathBounds(list(lo), list(hi), f"arb ball arithmetic at {prec} bits on the realized batches "
                                            f"(numeric.arb_engine, seed {training.seed})")
    raw = L.PathBounds(list(lo), list(hi), path.source)
    path = path.tightened()
    losses = [ball_bounds(b) for b in traj.losses]
    claims.append(L.path_claim(raw, training))
    claims.append(L.batch_losses_claim(losses, training))
    summaries = _point_claims(claims, spec, points, training, None, None, path, realized_only=True)
    if kind.stochastic:
        extra = _random_claims(spec, training, d, points)
        claims.extend(extra)
        # a target without a proved growth lemma gets no tail bound (said in the claim): the
        # verdict then covers the realized path only
        rests = [c.id for c in claims if c.holds or c not in extra]
        v = _verdict(claims, rests)
    else:
        stall = L.dataset_stall_claim(spec, training, src, path, points)
        claims.append(stall)
        rests = [c.id for c in claims]
        v = _verdict(claims, rests, fail_reason="the fixed dataset stalls the slope")
    cert = {"claims": [c.to_json() for c in claims], **v}
    return Build(cert, spec, training, d, path, losses, summaries)


def _random_claims(spec: Spec, training: Training, d: Derivation | None, points) -> list[Claim]:
    """For sampled:M: the population loss's lemmas (asymptotic, growth) and the probabilistic
    claims built on them (:mod:`proofs.lemmas.tails`)."""
    from .lemmas.tails import tails_claims

    out: list[Claim] = []
    growth = None
    if d is not None:
        out.append(L.asymptotic_claim(d))
        g_claim, growth = L.growth_claim(d, training.eta)
        out.append(g_claim)
    out.extend(tails_claims(spec, training, growth, points))
    return out


# ---------------------------------------------------------------------- cyclic slabs

MAX_CYCLIC_K = 64


def _build_cyclic(spec: Spec, training: Training, points, steps: int, prec: int) -> Build:
    from relu_pointwise.numeric.arb_engine import EnclosureError, ball_bounds, run_arb
    from relu_pointwise.numeric.trajectory import StepSource

    K = training.batch.K
    if K > MAX_CYCLIC_K:
        raise InputError(f"batch cyclic:K: certification derives every slab; at most K = {MAX_CYCLIC_K}, got {K}")
    report("deriving the exact loss")
    d = derive(spec)
    src = StepSource(spec, training, steps, cache=False)
    cells = [src.cell(k) for k in range(K)]
    slabs = [c.derivation for c in cells]
    scales = [L.to_rat(c.scale) for c in cells]
    claims: list[Claim] = [L.construction_claim(spec, d, points)]
    mons = [L.monotonicity_claim(x) for x in slabs]
    claims.append(Claim(
        "monotonicity",
        f"for each of the {K} slabs (their normalized losses L_k) and so for every step: " + mons[0].statement,
        L.weakest(*(m.status for m in mons)),
        {"r": ex(spec.r)}))
    g_claim, growth = L.cyclic_growth_claim(slabs, scales, training.eta, d)
    claims.append(g_claim)
    try:
        traj = run_arb(spec, training, steps, prec=prec, source=src,
                       progress=step_counter("enclosing the path", steps))
        lo, hi = zip(*(ball_bounds(b) for b in traj.ws))
        path = L.PathBounds(list(lo), list(hi), f"arb ball arithmetic at {prec} bits (numeric.arb_engine)").tightened()
    except EnclosureError:
        path = None
    e_claim, entry = L.cyclic_entry_claim(slabs, scales, training, growth, path)
    claims.append(e_claim)
    r_claim = L.rate_claim(d, training, growth, entry, None)
    r_claim.data["period"] = ex(K)      # the cyclic form names its period (also K = 1); the gain is per
    r_claim.data.pop("c", None)         # cycle, the population loss's c plays no part in it
    claims.append(r_claim)
    summaries = _point_claims(claims, spec, points, training, growth, entry, path)
    rests = [c.id for c in claims]
    cert = {"claims": [c.to_json() for c in claims], **_verdict(claims, rests)}
    return Build(cert, spec, training, d, path, None, summaries, growth, entry)


# ====================================================================== output

def dumps(cert: dict[str, Any]) -> str:
    return json.dumps(cert, indent=1, ensure_ascii=False) + "\n"


PLOT_NAMES = ("loss.png", "outputs.png", "T.png")
"""The plots :func:`proofs.plots.write_plots` may write (1-D and d-D alike)."""
_SIGNATURES = {"certificate.json": (b'"schema": "relu-pointwise/certificate"',),
               "derivation.tex": (b"\\section*{Exact derivation for a pointwise-convergence network}",)}


def _old_manifest(out: Path) -> tuple[bool, dict[str, str]]:
    """(is there a certificate of ours in ``out``, its ``files`` manifest).  A certificate written
    before manifests existed lists nothing; its standard outputs then count as ours."""
    from relu_pointwise.symbolic.jsonio import read_json

    p = out / "certificate.json"
    if not p.is_file() or not is_ours(p, _SIGNATURES["certificate.json"]):
        return False, {}
    try:
        old = read_json(p, what="out")
    except InputError:
        return False, {}
    files = old.get("files") if isinstance(old, dict) else None
    if isinstance(files, dict):
        return True, {k: v for k, v in files.items() if isinstance(k, str) and isinstance(v, str)}
    return True, {name: sha256_of(out / name) for name in ("derivation.tex", *PLOT_NAMES) if (out / name).is_file()}


def check_outputs(out_dir: str | Path, plots: bool = True, force: bool = False) -> None:
    """Before any work: refuse an ``--out`` that is not a directory, or that holds a file of
    ours' names which this tool did not write (unless ``force``)."""
    if not str(out_dir).strip():
        raise InputError("out: an empty path (name the folder, e.g. --out .)", field="out")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"out: {str(out)!r} exists and is not a directory")
    if not out.exists():
        return
    _refuse_folders_in_the_way(out, plots)
    _, manifest = _old_manifest(out)
    for name in ("certificate.json", "derivation.tex", *(PLOT_NAMES if plots else ())):
        check_overwrite(out / name, what="out", force=force, signatures=_SIGNATURES.get(name, ()),
                        manifest=manifest)


def _refuse_folders_in_the_way(out: Path, plots: bool) -> None:
    """A folder where an output goes is never replaced (not even with --force): refuse before any
    file is written, so that the outputs are all written or none."""
    for name in ("certificate.json", "derivation.tex", *(PLOT_NAMES if plots else ())):
        p = out / name
        if p.is_dir() and not p.is_symlink():
            raise InputError(f"out: {str(p)!r} is a folder, not a file; not replacing it", field="out")


def write_outputs(b: Build, out_dir: str | Path, plots: bool = True, force: bool = False) -> list[Path]:
    """DIR/certificate.json, DIR/derivation.tex (when the spec has a derivation), PNG plots.

    Atomic: everything is written into a temporary folder inside DIR, the certificate
    lists the other files with their SHA-256 (``files``; :mod:`proofs.verify` checks the
    ones present), then each file is renamed into place, ``certificate.json`` last.  An
    interruption leaves either the old certificate with its own files, or the new plots
    beside an old certificate whose hashes no longer match them; never a certificate
    that vouches for files it did not write.  Outputs of a previous certificate that this
    run does not write are removed when the previous certificate vouched for them.  An
    existing file this tool did not write is not replaced unless ``force``.
    """
    out = Path(out_dir)
    check_outputs(out, plots, force)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise oserror_line("out", "create", out, exc) from None
    _, old = _old_manifest(out)
    report("writing the derivation and plots")
    stage = out / f".certificate{TMP_MARK}{os.getpid()}-{secrets.token_hex(4)}"
    current = "certificate"
    try:
        stage.mkdir()
        names = []
        if b.derivation is not None:
            from relu_pointwise.symbolic.export_latex import derivation_to_latex

            current = "derivation.tex"
            (stage / current).write_text(derivation_to_latex(b.derivation), encoding="utf-8")
            names.append(current)
        if plots:
            from .plots import write_plots

            current = "plots"
            names += [p.name for p in write_plots(b, stage)]
        b.cert["files"] = {name: sha256_of(stage / name) for name in names}
        current = "certificate.json"
        (stage / current).write_text(dumps(b.cert), encoding="utf-8")
        _refuse_folders_in_the_way(out, plots)           # again: one may have appeared meanwhile
        for name in [*names, "certificate.json"]:        # the certificate last
            current = name
            os.replace(stage / name, out / name)
        for name, digest in old.items():                 # the previous certificate's leftovers
            if name not in names and is_ours(out / name, manifest={name: digest}):
                (out / name).unlink()
    except OSError as exc:
        raise oserror_line("out", "write", out / current, exc) from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return [out / name for name in ("certificate.json", *names)]
