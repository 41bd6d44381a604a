"""Reading a certificate for the checker, cheapest first, and its exact values.

Order: the file's size and JSON syntax (``symbolic.jsonio``: size cap before reading,
duplicate keys, NaN and depth refused); the schema name and version (1 and 2 refused:
re-certify); the number of values (at most MAX_VALUES, so validation's cost is bounded);
then validation against the published schema ``proofs/schema/certificate-v3.schema.json``
(the ``jsonschema`` library, draft 2020-12; the formats rp-rational and rp-expr checked
here: a rational reduced, a closed form re-printing to itself); then, in code, what JSON
Schema cannot say (ids unique and derived from data, bounds ordered, rests_on, and every
statement / scope / reason equal to :mod:`.render`'s rendering of the published templates);
only then the inputs by the toolkit's grammars (``symbolic.targets.parse_target``,
``spec.parse_domain``, ``spec.make_training``; not ``make_spec``, whose domain checks use
the prover's polytope code; the statement is read a second time by :mod:`.statement`) and
the claims' values by ``symbolic.exprio`` (never eval). Every failure is one
``CertificateError(malformed=True)`` naming the bad part by its JSON pointer.
"""
from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import flint
import jsonschema
import sympy
from gmpy2 import mpq

from relu_pointwise.symbolic.errors import CertificateError, InputError
from relu_pointwise.symbolic.exprio import (
    ExprSyntaxError,
    from_text,
    rational_from_text,
    rational_to_text,
    to_text,
)
from relu_pointwise.symbolic.jsonio import count_leaves, plain_copy, read_json
from relu_pointwise.symbolic.limits import CERT_BYTES, PREC_MAX, STEPS_MAX, check_regions
from relu_pointwise.symbolic.spec import (
    Spec,
    Training,
    make_training,
    parse_domain,
    parse_measure,
    parse_r,
)
from relu_pointwise.symbolic.targets import estimate_regions, parse_target

from . import render

SCHEMA = "relu-pointwise/certificate"
VERSION = 3                      # proofs/schema/certificate-v3.schema.json
OLD_VERSIONS = (1, 2)            # refused: re-certify
MAX_LAYERS = 64
MAX_WIDTH = 4096
MAX_WEIGHTS = 400_000
MAX_STEPS = STEPS_MAX.value      # symbolic.limits: the prover's limit too
W = sympy.Symbol("w", real=True)


def malformed(message: str) -> CertificateError:
    return CertificateError(f"malformed certificate: {message}", malformed=True)


@dataclass
class CertificateReading:
    # The checker's reading of a certificate file (not the public certificate type, which is
    # relu_pointwise.Certificate): the checker imports nothing of the API or the prover.
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
    network: Any = None          # symbolic.network.Network: the weights in the construction claim
    inputs: dict[str, Any] | None = None     # the inputs as written (read again by proofs.check.statement)


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


SCHEMA_FILE = "certificate-v3.schema.json"
RATIONAL = re.compile(r"0|-?[1-9][0-9]*")
MAX_VALUES = 100_000             # string leaves, counted before validation (certify writes far fewer)


@functools.lru_cache(maxsize=1)
def published_schema() -> dict[str, Any]:
    """The published schema (proofs/schema/, package data), read by the checker itself."""
    text = resources.files("relu_pointwise.proofs").joinpath("schema", SCHEMA_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def _rational_format(text: object) -> bool:
    """rp-rational: the canonical text of an exact rational (reduced p/q, q written only if > 1).
    The schema's pattern fixes the shape (-?digits(/digits)?, no leading zeros, no -0); this
    checks the rest: q > 1 when written, gcd(p, q) = 1."""
    if not isinstance(text, str):
        return True            # not a string: the "type" keyword reports it
    p, slash, q = text.partition("/")
    if not slash:
        return bool(RATIONAL.fullmatch(text))
    if not (RATIONAL.fullmatch(p) and q.isdigit() and q.isascii()):
        return False
    return int(q) > 1 and math.gcd(int(p), int(q)) == 1


def _expr_format(text: object) -> bool:
    """rp-expr: a canonical rational, or a closed form whose exprio re-printing is the same text."""
    if not isinstance(text, str):
        return True
    try:
        return rational_to_text(rational_from_text(text)) == text
    except ExprSyntaxError:
        pass
    try:
        return to_text(from_text(text, {"w": W})) == text
    except (ExprSyntaxError, ValueError, TypeError, RecursionError):
        return False


@functools.lru_cache(maxsize=1)
def _validator() -> Any:
    formats = jsonschema.FormatChecker(formats=())
    formats.checks("rp-rational")(_rational_format)
    formats.checks("rp-expr")(_expr_format)
    return jsonschema.Draft202012Validator(published_schema(), format_checker=formats)


def pointer(path: Any) -> str:
    """A JSON pointer (RFC 6901) to the part at ``path``."""
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in path]
    return "/" + "/".join(parts) if parts else "(the top level)"


def _message(error: Any) -> str:
    msg = error.message
    if error.validator == "format":
        msg = f"{str(error.instance)[:60]!r} is not in the canonical form {error.validator_value}"
    elif error.validator in ("anyOf", "oneOf"):
        msg = f"{str(error.instance)[:60]!r} fits none of the allowed forms"
    return msg if len(msg) <= 200 else msg[:200] + "..."


def check_shape(cert: dict[str, Any]) -> int:
    """The published schema (version 3) first, then what JSON Schema cannot say; returns the version.

    Every refusal is one line naming the bad part by its JSON pointer."""
    if cert.get("schema") != SCHEMA:
        raise malformed(f"/schema: expected {SCHEMA!r}, got {str(cert.get('schema'))[:60]!r}")
    version = cert.get("version")
    if version in OLD_VERSIONS and not isinstance(version, bool):
        raise malformed(f"/version: schema version {version} is no longer read (this checker reads version "
                        f"{VERSION}); re-certify with pointwise certify")
    n = count_leaves(cert)     # bounds the validator's work (about 60 microseconds a value)
    if n > MAX_VALUES:
        raise malformed(f"(the top level): {n} values, more than the {MAX_VALUES} the checker reads")
    error = jsonschema.exceptions.best_match(_validator().iter_errors(cert))
    if error is not None:
        raise malformed(f"{pointer(error.absolute_path)}: {_message(error)}")
    _beyond_schema(cert)
    return VERSION


def _le(a: str, b: str) -> bool:
    return bool(rational_from_text(a) <= rational_from_text(b))


# (claim kind, lower field, upper field): enclosures and bounds that must be ordered
ORDERED = (("entry", "w_t_star_lo", "w_t_star_hi"), ("path", "w_n_lo", "w_n_hi"),
           ("batch_losses", "loss_0_lo", "loss_0_hi"), ("batch_losses", "loss_n_lo", "loss_n_hi"),
           ("dataset_stall", "w_n_lo", "w_n_hi"), ("pointwise", "T_lo", "T_hi"))


def _beyond_schema(cert: dict[str, Any]) -> None:
    """What the schema cannot say: ids unique and derived from data, bounds ordered, rests_on
    naming claims, and every text the rendering of the published templates (proofs.check.render)."""
    schema = published_schema()
    seen: set[str] = set()
    for k, c in enumerate(cert["claims"]):
        where, cid, d = f"/claims/{k}", c["id"], c["data"]
        if cid in seen:
            raise malformed(f"{where}/id: the claim {cid[:60]} appears twice")
        seen.add(cid)
        kind = "pointwise" if cid.startswith("pointwise:") else cid
        if kind == "pointwise" and cid != "pointwise:x=" + render.point_id(d["x"]):
            raise malformed(f"{where}/id: {cid[:60]!r} is not the id of its data.x, "
                            f"'pointwise:x={render.point_id(d['x'])[:60]}'")
        held = c["status"] in ("proved", "enclosed")      # a failed claim may report a contradiction
        for kd, lo, hi in ORDERED:
            if held and kd == kind and lo in d and hi in d and d[hi] != "unknown" and not _le(d[lo], d[hi]):
                raise malformed(f"{where}/data/{hi}: {d[hi][:40]} is below {lo} = {d[lo][:40]}")
        try:
            text = render.statement(schema, cid, d)
        except render.TemplateError as exc:
            raise malformed(f"{where}/data: {exc}") from None
        if c["statement"] != text:
            raise malformed(f"{where}/statement: differs from the published template rendered from its data")
    bad = [i for i in cert["rests_on"] if i not in seen]
    if bad:
        raise malformed(f"/rests_on: {bad[0][:60]!r} is not a claim of the certificate")
    if cert["scope"] != render.scope(schema, cert["inputs"]):
        raise malformed("/scope: differs from the published template rendered from the inputs")
    if cert["reason"] != render.reason(schema, cert):
        raise malformed("/reason: differs from the published template rendered from the claims")


def read_certificate(source: str | Path | Mapping[str, Any]) -> CertificateReading:
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
        raise malformed(f"/inputs: {exc}") from None
    steps = _count(inputs["steps"], "/inputs/steps", MAX_STEPS)
    _count(inputs["prec"], "/inputs/prec", PREC_MAX.value)
    points = []
    for i, p in enumerate(inputs["points"]):
        if len(p) != spec.dim:
            raise malformed(f"/inputs/points/{i}: {len(p)} coordinates, the target has dimension {spec.dim}")
        x = tuple(rational(_text(v, f"/inputs/points/{i}", 400), f"/inputs/points/{i}") for v in p)
        if not all(spec.domain.lo[k] <= v <= spec.domain.hi[k] for k, v in enumerate(x)):
            raise malformed(f"/inputs/points/{i}: outside the domain")
        points.append(tuple(mpq(int(v.p), int(v.q)) for v in x))
    out = CertificateReading(spec, training, steps, points, cert["claims"], list(cert["rests_on"]), cert["verdict"],
                             version, dict(cert.get("files", {})), inputs=inputs)
    index = next((k for k, c in enumerate(cert["claims"]) if c["id"] == "construction"), None)
    if index is None:
        raise malformed("/claims: no construction claim (it carries the network's weights)")
    out.network = network_from_json(cert["claims"][index]["data"]["network"], spec, index)
    return out


def _row(v: Any, n: int, where: str) -> tuple[sympy.Rational, ...]:
    if not isinstance(v, list) or len(v) != n:
        raise malformed(f"{where}: expected a list of {n} numbers")
    return tuple(rational(_text(x, where, 4000), where) for x in v)


def network_from_json(d: Any, spec: Spec, index: int = 0) -> Any:
    """The network of a version-2 certificate: sizes checked before any number is read."""
    from relu_pointwise.symbolic.network import Layer, Network

    where = f"/claims/{index}/data/network"
    keys = ["features", "head_bias", "head_out", "hidden", "readout", "readout_bias"]
    if not isinstance(d, dict) or sorted(d) != keys:
        raise malformed(f"{where}: expected exactly the keys {', '.join(keys)}")
    feats, hidden = d["features"], d["hidden"]
    expect = [f"x{i + 1}" for i in range(spec.dim)]
    if feats not in (expect, expect + ["sqnorm"]):
        raise malformed(f"{where}/features: expected {expect} (and optionally sqnorm)")
    if not isinstance(hidden, list) or len(hidden) > MAX_LAYERS:
        raise malformed(f"{where}/hidden: at most {MAX_LAYERS} layers")
    width, total = len(feats), 0
    for k, lay in enumerate(hidden):
        if not isinstance(lay, dict) or sorted(lay) != ["bias", "weight"] or not isinstance(lay["bias"], list) \
                or not isinstance(lay["weight"], list) or not 0 < len(lay["bias"]) <= MAX_WIDTH \
                or len(lay["weight"]) != len(lay["bias"]):
            raise malformed(f"{where}/hidden/{k}: expected weight (rows) and bias of one width <= {MAX_WIDTH}")
        total += len(lay["bias"]) * (width + 1)
        width = len(lay["bias"])
    if total > MAX_WEIGHTS:
        raise malformed(f"{where}: more than {MAX_WEIGHTS} weights")
    layers, width = [], len(feats)
    for k, lay in enumerate(hidden):
        rows = tuple(_row(r, width, f"{where}/hidden/{k}/weight") for r in lay["weight"])
        layers.append(Layer(rows, _row(lay["bias"], len(rows), f"{where}/hidden/{k}/bias")))
        width = len(rows)
    head_bias = _row(d["head_bias"], 2, f"{where}/head_bias")
    head_out = _row(d["head_out"], 2, f"{where}/head_out")
    return Network(spec.dim, tuple(feats), tuple(layers), _row(d["readout"], width, f"{where}/readout"),
                   rational(_text(d["readout_bias"], where, 4000), f"{where}/readout_bias"),
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
