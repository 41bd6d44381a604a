"""Reading a certificate for the checker, cheapest first, and its exact values.

Order: the file's size and JSON syntax (``symbolic.jsonio``: size cap before reading,
duplicate keys, NaN and depth refused); then schema and version; then the shape
(top-level keys, types, counts); only then the inputs by the toolkit's grammars
(``symbolic.targets.parse_target``, ``spec.parse_domain``, ``spec.make_training``;
not ``make_spec``, whose domain checks use the prover's polytope code) and the claims'
values by ``symbolic.exprio`` (never eval). Every failure is one
``CertificateError(malformed=True)`` naming the bad part.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import flint
import sympy
from gmpy2 import mpq

from relu_pointwise.symbolic.errors import CertificateError, InputError
from relu_pointwise.symbolic.exprio import (
    ExprSyntaxError,
    from_text,
    rational_from_text,
)
from relu_pointwise.symbolic.jsonio import plain_copy, read_json
from relu_pointwise.symbolic.limits import CERT_BYTES, NUMBER_CHARS, PREC_MAX, STEPS_MAX, check_regions
from relu_pointwise.symbolic.spec import (
    Spec,
    Training,
    make_training,
    parse_domain,
    parse_measure,
    parse_r,
)
from relu_pointwise.symbolic.targets import estimate_regions, parse_target

SCHEMA = "relu-pointwise/certificate"
KNOWN_VERSIONS = (1, 2)          # 1: no weights in the file (rebuilt by symbolic.network); 2: weights
MAX_LAYERS = 64
MAX_WIDTH = 4096
MAX_WEIGHTS = 400_000
TOP_KEYS = ("schema", "version", "inputs", "claims", "rests_on", "verdict", "scope", "reason")
OPTIONAL_KEYS = ("files",)      # {name: "sha256:<64 hex>"}: the files written beside the certificate
FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")
SHA256 = re.compile(r"sha256:[0-9a-f]{64}")
INPUT_KEYS = ("spec", "eta", "w0", "batch", "seed", "steps", "prec", "points")
STATUSES = ("proved", "enclosed", "numerical", "failed")
MAX_CLAIMS = 2000
MAX_POINTS = 400
MAX_STEPS = STEPS_MAX.value      # symbolic.limits: the prover's limit too
W = sympy.Symbol("w", real=True)


def malformed(message: str) -> CertificateError:
    return CertificateError(f"malformed certificate: {message}", malformed=True)


@dataclass
class Certificate:
    """What the checker reads: the spec and training (exact), the points, the claims in order."""

    spec: Spec
    training: Training
    steps: int
    points: list[tuple[Any, ...]]
    claims: list[dict[str, Any]]
    rests_on: list[str]
    verdict: str
    version: int
    files: dict[str, str]
    network: Any = None          # symbolic.network.Network: from the file (v2) or rebuilt (v1)


def load_json(source: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """The certificate as plain JSON data (bounded; one function, so the loader can be swapped)."""
    if isinstance(source, Mapping):
        data: Any = plain_copy(source, what="certificate", error=CertificateError)
    else:
        data = read_json(source, what="certificate", max_bytes=CERT_BYTES, error=CertificateError)
    if not isinstance(data, dict):
        raise malformed("a certificate is a JSON object")
    return data


def _text(v: Any, where: str, limit: int = 200_000) -> str:
    if not isinstance(v, str):
        raise malformed(f"{where}: expected a string, got {type(v).__name__}")
    if len(v) > limit:
        raise malformed(f"{where}: longer than {limit} characters")
    return v


def _count(text: str, where: str, hi: int) -> int:
    try:
        v = rational_from_text(text)
    except ExprSyntaxError:
        raise malformed(f"{where}: expected an integer, got {text[:40]!r}") from None
    if v.q != 1 or not 0 <= v <= hi:
        raise malformed(f"{where}: expected an integer from 0 to {hi}, got {text[:40]!r}")
    return int(v)


def check_shape(cert: dict[str, Any]) -> int:
    """Schema, version, keys and types; returns the version. No mathematics yet."""
    if cert.get("schema") != SCHEMA:
        raise malformed(f"schema: expected {SCHEMA!r}, got {str(cert.get('schema'))[:60]!r}")
    version = cert.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version not in KNOWN_VERSIONS:
        raise malformed(f"version: this checker reads schema version(s) {', '.join(map(str, KNOWN_VERSIONS))}, "
                        f"not {str(version)[:20]!r}")
    missing = [k for k in TOP_KEYS if k not in cert]
    extra = [k for k in cert if k not in TOP_KEYS + OPTIONAL_KEYS]
    if missing or extra:
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + (
            [f"unexpected {', '.join(extra)[:80]}"] if extra else [])
        raise malformed("top-level keys: " + "; ".join(parts))
    inputs = cert["inputs"]
    if not isinstance(inputs, dict) or sorted(inputs) != sorted(INPUT_KEYS):
        raise malformed(f"inputs: expected exactly the keys {', '.join(INPUT_KEYS)}")
    if not isinstance(inputs["spec"], dict) or sorted(inputs["spec"]) != ["domain", "measure", "r", "target"]:
        raise malformed("inputs.spec: expected exactly the keys target, domain, r, measure")
    for k, v in inputs["spec"].items():
        _text(v, f"inputs.spec.{k}", 20_000)
    for k in INPUT_KEYS[1:-1]:
        # the prover's own limit (symbolic.limits; certify refuses an eta or w0 whose p/q is longer)
        _text(inputs[k], f"inputs.{k}", NUMBER_CHARS.value)
    pts = inputs["points"]
    if not isinstance(pts, list) or len(pts) > MAX_POINTS or not all(isinstance(p, list) and len(p) <= 8 for p in pts):
        raise malformed(f"inputs.points: expected at most {MAX_POINTS} lists of coordinates")
    claims = cert["claims"]
    if not isinstance(claims, list) or len(claims) > MAX_CLAIMS:
        raise malformed(f"claims: expected a list of at most {MAX_CLAIMS} claims")
    seen: set[str] = set()
    for k, c in enumerate(claims):
        if not isinstance(c, dict) or sorted(c) != ["data", "id", "statement", "status"]:
            raise malformed(f"claims[{k}]: expected the keys id, statement, status, data")
        cid = _text(c["id"], f"claims[{k}].id", 400)
        if cid in seen:
            raise malformed(f"claim {cid}: appears twice")
        seen.add(cid)
        _text(c["statement"], f"claim {cid}: statement")
        if c["status"] not in STATUSES:
            raise malformed(f"claim {cid}: status {str(c['status'])[:20]!r} is not one of {', '.join(STATUSES)}")
        if not isinstance(c["data"], dict):
            raise malformed(f"claim {cid}: data must be an object")
    if not isinstance(cert["rests_on"], list) or not all(isinstance(i, str) and i in seen for i in cert["rests_on"]):
        raise malformed("rests_on: expected a list of ids of claims in the certificate")
    if cert["verdict"] not in ("certified", "not certified"):
        raise malformed(f"verdict: {str(cert['verdict'])[:30]!r} is not 'certified' or 'not certified'")
    _text(cert["scope"], "scope")
    _text(cert["reason"], "reason")
    files = cert.get("files", {})
    if not isinstance(files, dict) or len(files) > 32 or not all(
            FILE_NAME.fullmatch(k) and isinstance(v, str) and SHA256.fullmatch(v) for k, v in files.items()):
        raise malformed("files: expected at most 32 entries {name: 'sha256:<64 hex>'} (plain file names)")
    return version


def read_certificate(source: str | Path | Mapping[str, Any]) -> Certificate:
    """Load and read a certificate (module docstring); CertificateError(malformed=True) if it is not one."""
    cert = load_json(source)
    version = check_shape(cert)
    inputs = cert["inputs"]
    s = inputs["spec"]
    try:
        target = parse_target(s["target"])
        # before any cell is enumerated: a forged target must not cost more than certify would
        check_regions(estimate_regions(target.level, target.dim), f"target {target.text}", estimated=True)
        spec = Spec(target, parse_domain(s["domain"], target.dim), parse_r(s["r"]), parse_measure(s["measure"]))
        training = make_training(inputs["eta"], inputs["w0"], inputs["batch"],
                                 0 if inputs["seed"] == "none" else inputs["seed"])
    except InputError as exc:
        raise malformed(f"inputs: {exc}") from None
    steps = _count(inputs["steps"], "inputs.steps", MAX_STEPS)
    _count(inputs["prec"], "inputs.prec", PREC_MAX.value)
    points = []
    for i, p in enumerate(inputs["points"]):
        if len(p) != spec.dim:
            raise malformed(f"inputs.points[{i}]: {len(p)} coordinates, the target has dimension {spec.dim}")
        x = tuple(rational(_text(v, f"inputs.points[{i}]", 400), f"inputs.points[{i}]") for v in p)
        if not all(spec.domain.lo[k] <= v <= spec.domain.hi[k] for k, v in enumerate(x)):
            raise malformed(f"inputs.points[{i}]: outside the domain")
        points.append(tuple(mpq(int(v.p), int(v.q)) for v in x))
    out = Certificate(spec, training, steps, points, cert["claims"], list(cert["rests_on"]), cert["verdict"], version,
                      dict(cert.get("files", {})))
    construction = next((c for c in cert["claims"] if c["id"] == "construction"), None)
    if version >= 2:
        if construction is None or "network" not in construction["data"]:
            raise malformed("version 2: the construction claim must carry data.network (the weights)")
        out.network = network_from_json(construction["data"]["network"], spec)
    else:
        out.network = spec.network
    return out


def _row(v: Any, n: int, where: str) -> tuple[sympy.Rational, ...]:
    if not isinstance(v, list) or len(v) != n:
        raise malformed(f"{where}: expected a list of {n} numbers")
    return tuple(rational(_text(x, where, 4000), where) for x in v)


def network_from_json(d: Any, spec: Spec) -> Any:
    """The network of a version-2 certificate: sizes checked before any number is read."""
    from relu_pointwise.symbolic.network import Layer, Network

    where = "construction data.network"
    keys = ["features", "head_bias", "head_out", "hidden", "readout", "readout_bias"]
    if not isinstance(d, dict) or sorted(d) != keys:
        raise malformed(f"{where}: expected exactly the keys {', '.join(keys)}")
    feats, hidden = d["features"], d["hidden"]
    expect = [f"x{i + 1}" for i in range(spec.dim)]
    if feats not in (expect, expect + ["sqnorm"]):
        raise malformed(f"{where}.features: expected {expect} (and optionally sqnorm)")
    if not isinstance(hidden, list) or len(hidden) > MAX_LAYERS:
        raise malformed(f"{where}.hidden: at most {MAX_LAYERS} layers")
    width, total = len(feats), 0
    for k, lay in enumerate(hidden):
        if not isinstance(lay, dict) or sorted(lay) != ["bias", "weight"] or not isinstance(lay["bias"], list) \
                or not isinstance(lay["weight"], list) or not 0 < len(lay["bias"]) <= MAX_WIDTH \
                or len(lay["weight"]) != len(lay["bias"]):
            raise malformed(f"{where}.hidden[{k}]: expected weight (rows) and bias of one width <= {MAX_WIDTH}")
        total += len(lay["bias"]) * (width + 1)
        width = len(lay["bias"])
    if total > MAX_WEIGHTS:
        raise malformed(f"{where}: more than {MAX_WEIGHTS} weights")
    layers, width = [], len(feats)
    for k, lay in enumerate(hidden):
        rows = tuple(_row(r, width, f"{where}.hidden[{k}].weight") for r in lay["weight"])
        layers.append(Layer(rows, _row(lay["bias"], len(rows), f"{where}.hidden[{k}].bias")))
        width = len(rows)
    head_bias = _row(d["head_bias"], 2, f"{where}.head_bias")
    head_out = _row(d["head_out"], 2, f"{where}.head_out")
    return Network(spec.dim, tuple(feats), tuple(layers), _row(d["readout"], width, f"{where}.readout"),
                   rational(_text(d["readout_bias"], where, 4000), f"{where}.readout_bias"),
                   (head_bias[0], head_bias[1]), (head_out[0], head_out[1]))


# ------------------------------------------------------------------ exact values

def rational(text: Any, where: str) -> sympy.Rational:
    if not isinstance(text, str):
        raise malformed(f"{where}: expected an exact rational as text, got {type(text).__name__}")
    try:
        return rational_from_text(text)
    except ExprSyntaxError:
        raise malformed(f"{where}: expected an exact rational, got {text[:60]!r}") from None


def expr(text: Any, where: str) -> sympy.Expr:
    """An exact value or expression in w (``symbolic.exprio``: never evaluated as code)."""
    if not isinstance(text, str):
        raise malformed(f"{where}: expected an exact value as text")
    try:
        return rational_from_text(text)
    except ExprSyntaxError:
        pass
    try:
        return from_text(text, {"w": W})
    except ExprSyntaxError as exc:
        raise malformed(f"{where}: {exc}") from None


def to_arb(e: sympy.Expr, w: Any = None) -> Any:
    """An Arb ball containing the real value of ``e`` (w := the mpq/arb ``w``); ValueError if ``e``
    uses anything beyond + * ** with rational exponents, rationals, pi, sqrt and the symbol w."""
    if e.is_Rational:
        return flint.arb(flint.fmpq(int(e.p), int(e.q)))
    if e is sympy.pi:
        return flint.arb.pi()
    if e == W:
        if w is None:
            raise ValueError("w without a value")
        return w if isinstance(w, flint.arb) else flint.arb(flint.fmpq(int(w.numerator), int(w.denominator)))
    if e.is_Add:
        return sum((to_arb(a, w) for a in e.args), flint.arb(0))
    if e.is_Mul:
        out = flint.arb(1)
        for a in e.args:
            out *= to_arb(a, w)
        return out
    if e.is_Pow and e.exp.is_Rational:
        base = to_arb(e.base, w)
        if e.exp.q == 1:
            return base ** int(e.exp.p)
        return base ** flint.arb(flint.fmpq(int(e.exp.p), int(e.exp.q)))
    raise ValueError(f"cannot enclose {type(e).__name__}")


def q_of(v: sympy.Rational) -> Any:
    return mpq(int(v.p), int(v.q))
