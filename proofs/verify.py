"""``pointwise verify --rederive``: re-derive every claim from the inputs and compare, field by field.

This is NOT the checker: it re-runs the prover (:func:`proofs.certificate.build`), so it
catches an edited file but not a wrong proof (a prover bug reproduces the same wrong
claim).  ``pointwise verify`` runs the independent checker :mod:`proofs.check`; this
comparison is the optional extra.

Reading a certificate evaluates nothing.  The file is parsed by ``json.loads``;
then, before anything is recomputed:

1. schema and version must be ``relu-pointwise/certificate`` / 3 (a clear error
   otherwise; versions 1 and 2: re-certify), and the file must validate against the
   published schema (``proofs/schema/certificate-v3.schema.json``, by the checker's
   reader :func:`proofs.check.read.check_shape`: types, ranges, canonical numbers, no
   unknown keys, every text the rendering of the published templates);
2. the structure is checked: the top-level keys, ``inputs`` (every value a string),
   each claim ``{id, statement, status, data}`` with a known status, the verdict;
3. every string leaf of a claim's ``data`` that is not free text (the keys in
   :data:`PROSE_KEYS`) must be an exact value: one of a few words (:data:`WORDS`),
   a rational, or an expression that :func:`symbolic.exprio.from_text` reads -- a
   hand-written parser that builds SymPy objects from an allow-list and never calls
   eval/exec/sympify.  A field holding Python code (``__import__('os').system(...)``)
   is reported as malformed, naming the claim and field; it is never run;
4. the inputs are read by the toolkit's own grammars (:func:`symbolic.spec.make_spec`,
   :func:`symbolic.spec.make_training`, :func:`symbolic.numbers.parse_number`).

Then the certificate is rebuilt from the inputs (:func:`proofs.certificate.build`,
without plots) and compared with the file: the list of claim ids, and for each claim
its statement, status and every data field; then ``rests_on``, ``verdict``, ``scope``
and ``reason``.  Each difference is one message naming the claim id and the field.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from relu_pointwise.symbolic.errors import CertificateError, InputError
from relu_pointwise.symbolic.exprio import ExprSyntaxError, from_text, rational_from_text
from relu_pointwise.symbolic.jsonio import count_leaves, plain_copy, read_json
from relu_pointwise.symbolic.limits import CERT_BYTES, CERT_VALUES, exceeded

from .lemmas import STATUSES

PROSE_KEYS = frozenset({"note", "regime", "how", "side", "mismatches", "features",
                        "batch", "nonnegative", "form", "identities",
                        "verdict", "rests_on", "reason"})      # batches (issue 17): dataset_stall points, tails
WORDS = frozenset({"yes", "no", "none", "oo", "unknown", "proved", "failed", "enclosed"})
TOP_KEYS = ("schema", "version", "inputs", "claims", "rests_on", "verdict", "scope", "reason")
OPTIONAL_KEYS = ("files",)      # {name: "sha256:<hex>"} of the files written beside the certificate
_FILE_NAMES = ("derivation.tex", "loss.png", "outputs.png", "T.png")
_SHA256 = re.compile(r"sha256:[0-9a-f]{64}")
INPUT_KEYS = ("spec", "eta", "w0", "batch", "seed", "steps", "prec", "points")
SPEC_KEYS = ("target", "domain", "r", "measure")
MAX_TEXT = 200_000


class MalformedCertificate(CertificateError):
    """The file is not a well-formed certificate (one line naming the bad part)."""


def _load(source: str | Path | Mapping) -> dict:
    if isinstance(source, Mapping):             # a private copy, plain JSON types only, depth bounded
        return plain_copy(source, what="certificate", error=MalformedCertificate)
    p = Path(source)
    data = read_json(p, what="certificate", max_bytes=CERT_BYTES, error=MalformedCertificate)
    if not isinstance(data, dict):
        raise MalformedCertificate(f"{p.name}: a certificate is a JSON object")
    return data


def _check_schema(cert: dict) -> None:
    from .certificate import SCHEMA, VERSION

    schema, version = cert.get("schema"), cert.get("version")
    if schema != SCHEMA:
        raise MalformedCertificate(f"schema mismatch: expected {SCHEMA!r}, got {schema!r}")
    if isinstance(version, bool) or not isinstance(version, int) or version != VERSION:
        if version in (1, 2):
            raise MalformedCertificate(f"schema version {version} is no longer read (this toolkit reads version "
                                       f"{VERSION}); re-certify with pointwise certify")
        raise MalformedCertificate(f"schema version mismatch: this toolkit reads version {VERSION}, got {version!r}")
    missing = [k for k in TOP_KEYS if k not in cert]
    extra = [k for k in cert if k not in TOP_KEYS and k not in OPTIONAL_KEYS]
    if missing or extra:
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + (
            [f"unexpected {', '.join(extra)}"] if extra else [])
        raise MalformedCertificate("top-level keys: " + "; ".join(parts))


def _string(v: Any, where: str) -> str:
    if not isinstance(v, str):
        raise MalformedCertificate(f"{where}: expected a string, got {type(v).__name__}")
    if len(v) > MAX_TEXT:
        raise MalformedCertificate(f"{where}: text longer than {MAX_TEXT} characters")
    return v


def _check_exact(text: str, where: str) -> None:
    if text in WORDS:
        return
    try:
        rational_from_text(text)
        return
    except ExprSyntaxError:
        pass
    try:
        from_text(text)
    except ExprSyntaxError as exc:
        raise MalformedCertificate(f"{where}: not an exact value ({exc})") from None


def _check_data(v: Any, where: str, prose: bool) -> None:
    if isinstance(v, dict):
        for k, x in v.items():
            _string(k, f"{where}: key")
            _check_data(x, f"{where}.{k}", prose or k in PROSE_KEYS)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            _check_data(x, f"{where}[{i}]", prose)
    else:
        s = _string(v, where)
        if not prose:
            _check_exact(s, where)


def _check_structure(cert: dict) -> None:
    n = count_leaves(cert)      # each value is parsed below (~1 ms): bound the count first
    if n > CERT_VALUES.value:
        raise exceeded("certificate", f"{n} values", CERT_VALUES, error=MalformedCertificate)
    inputs = cert["inputs"]
    if not isinstance(inputs, dict) or sorted(inputs) != sorted(INPUT_KEYS):
        raise MalformedCertificate(f"inputs: expected the keys {', '.join(INPUT_KEYS)}")
    spec = inputs["spec"]
    if not isinstance(spec, dict) or sorted(spec) != sorted(SPEC_KEYS):
        raise MalformedCertificate(f"inputs.spec: expected the keys {', '.join(SPEC_KEYS)}")
    for k in SPEC_KEYS:
        _string(spec[k], f"inputs.spec.{k}")
    for k in INPUT_KEYS[1:-1]:
        _string(inputs[k], f"inputs.{k}")
    if not isinstance(inputs["points"], list) or not all(isinstance(p, list) for p in inputs["points"]):
        raise MalformedCertificate("inputs.points: expected a list of coordinate lists")
    for i, p in enumerate(inputs["points"]):
        for j, v in enumerate(p):
            _check_exact(_string(v, f"inputs.points[{i}][{j}]"), f"inputs.points[{i}][{j}]")
    claims = cert["claims"]
    if not isinstance(claims, list):
        raise MalformedCertificate("claims: expected a list")
    seen = set()
    for n, c in enumerate(claims):
        if not isinstance(c, dict) or sorted(c) != ["data", "id", "statement", "status"]:
            raise MalformedCertificate(f"claims[{n}]: expected the keys id, statement, status, data")
        cid = _string(c["id"], f"claims[{n}].id")
        if cid in seen:
            raise MalformedCertificate(f"claim {cid}: appears twice")
        seen.add(cid)
        _string(c["statement"], f"claim {cid}: statement")
        if c["status"] not in STATUSES:
            raise MalformedCertificate(f"claim {cid}: status {c['status']!r} is not one of {', '.join(STATUSES)}")
        if not isinstance(c["data"], dict):
            raise MalformedCertificate(f"claim {cid}: data must be an object")
        _check_data(c["data"], f"claim {cid}: data", False)
    if not isinstance(cert["rests_on"], list) or not all(isinstance(i, str) for i in cert["rests_on"]):
        raise MalformedCertificate("rests_on: expected a list of claim ids")
    if cert["verdict"] not in ("certified", "not certified"):
        raise MalformedCertificate(f"verdict: {cert['verdict']!r} is not 'certified' or 'not certified'")
    _string(cert["scope"], "scope")
    _string(cert["reason"], "reason")
    files = cert.get("files", {})
    if not isinstance(files, dict) or not all(k in _FILE_NAMES and isinstance(v, str) and _SHA256.fullmatch(v)
                                              for k, v in files.items()):
        raise MalformedCertificate(f"files: expected {{name: 'sha256:<64 hex>'}} with names among "
                                   f"{', '.join(_FILE_NAMES)}")


def _int(text: str, what: str) -> int:
    from relu_pointwise.symbolic.numbers import parse_number

    v = parse_number(text, what)
    if not v.is_integer:
        raise InputError(f"{what}: expected an integer, got {text!r}")
    return int(v)


def _inputs(inputs: dict) -> tuple:
    """The hashable inputs, read by the toolkit's grammars (InputError on bad input)."""
    from relu_pointwise.symbolic.spec import check_region_estimate, make_spec, make_training

    from .certificate import check_run_limits

    s = inputs["spec"]
    spec = make_spec(s["target"], s["domain"], s["r"], s["measure"])  # the grammars, nothing evaluated
    # the limits before any re-derivation: a forged certificate must cost its author more than us
    check_run_limits(_int(inputs["steps"], "inputs.steps"), _int(inputs["prec"], "inputs.prec"), "inputs.")
    check_region_estimate(spec)
    make_training(inputs["eta"], inputs["w0"], inputs["batch"],
                  0 if inputs["seed"] == "none" else inputs["seed"])
    pts = tuple(tuple(rational_from_text(v) for v in p) for p in inputs["points"])
    return (s["target"], s["domain"], s["r"], s["measure"], inputs["eta"], inputs["w0"], inputs["batch"],
            0 if inputs["seed"] == "none" else _int(inputs["seed"], "inputs.seed"),
            _int(inputs["steps"], "inputs.steps"),
            _int(inputs["prec"], "inputs.prec"), pts)


@lru_cache(maxsize=8)
def _rederive(key: tuple) -> str:
    """The certificate rebuilt from the inputs (JSON text; cached per input tuple within a process)."""
    from relu_pointwise.symbolic.spec import make_spec, make_training

    from .certificate import build

    target, domain, r, measure, eta, w0, batch, seed, steps, prec, pts = key
    spec = make_spec(target, domain, r, measure)
    training = make_training(eta, w0, batch, seed)
    return json.dumps(build(spec, training, points=list(pts), steps=steps, prec=prec).cert)


def _diff(a: Any, b: Any, where: str, out: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in a:
            if k not in b:
                out.append(f"{where}.{k}: not in the re-derived certificate")
            else:
                _diff(a[k], b[k], f"{where}.{k}", out)
        for k in b:
            if k not in a:
                out.append(f"{where}.{k}: missing (the re-derivation has {_short(b[k])})")
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{where}: {len(a)} entries, the re-derivation has {len(b)}")
        for i, (x, y) in enumerate(zip(a, b)):
            _diff(x, y, f"{where}[{i}]", out)
    elif a != b:
        out.append(f"{where}: {_short(a)} differs from the re-derived {_short(b)}")


def _short(v: Any) -> str:
    s = json.dumps(v, ensure_ascii=False)
    return s if len(s) <= 90 else s[:87] + "..."


def _check_files(folder: Path, files: dict) -> list[str]:
    """The files the certificate lists that are present beside it must have its hashes."""
    from relu_pointwise.symbolic.fileout import sha256_of

    out = []
    for name, digest in files.items():
        p = folder / name
        if p.is_file():
            try:
                ok = sha256_of(p) == digest
            except OSError as exc:
                out.append(f"files.{name}: cannot read it ({exc.strerror})")
                continue
            if not ok:
                out.append(f"files.{name}: its SHA-256 differs from the certificate's (not this certificate's file)")
    return out


def _limits_first(cert: dict) -> None:
    """When the inputs are well-typed strings, apply the input limits (target nesting, r, steps,
    prec, the region estimate) before the claims' values are parsed; otherwise leave the report
    to :func:`_check_structure`."""
    inputs = cert.get("inputs")
    if not (isinstance(inputs, dict) and isinstance(inputs.get("spec"), dict)
            and all(isinstance(inputs["spec"].get(k), str) for k in SPEC_KEYS)
            and all(isinstance(inputs.get(k), str) for k in ("steps", "prec"))):
        return
    from relu_pointwise.symbolic.spec import check_region_estimate, make_spec

    from .certificate import check_run_limits

    s = inputs["spec"]
    check_run_limits(_int(inputs["steps"], "inputs.steps"), _int(inputs["prec"], "inputs.prec"), "inputs.")
    check_region_estimate(make_spec(s["target"], s["domain"], s["r"], s["measure"]))


def _published(cert: dict) -> None:
    """The published schema (version 3), by the checker's reader."""
    from .check.read import check_shape

    try:
        check_shape(cert)
    except CertificateError as exc:
        raise MalformedCertificate(str(exc).removeprefix("malformed certificate: ")) from None


def verify(source: str | Path | Mapping) -> tuple[bool, list[str]]:
    """(ok, messages): ok only if the certificate is well formed and every field matches
    its re-derivation from the certificate's inputs (module docstring)."""
    try:
        cert = _load(source)
        _check_schema(cert)
        _limits_first(cert)            # cheapest first: the input limits before any claim is parsed
        _check_structure(cert)
        _published(cert)
        key = _inputs(cert["inputs"])
    except MalformedCertificate as exc:
        return False, [f"malformed certificate: {exc}"]
    except InputError as exc:
        return False, [f"malformed certificate: inputs: {exc}"]
    try:
        fresh = json.loads(_rederive(key))
    except InputError as exc:
        return False, [f"re-derivation from the inputs failed: {exc}"]
    msgs: list[str] = []
    mine = {c["id"]: c for c in cert["claims"]}
    theirs = {c["id"]: c for c in fresh["claims"]}
    for cid in mine:
        if cid not in theirs:
            msgs.append(f"claim {cid}: not a claim of the re-derived certificate")
    for cid, c in theirs.items():
        if cid not in mine:
            msgs.append(f"claim {cid}: missing")
            continue
        sub: list[str] = []
        _diff(mine[cid], c, "", sub)
        msgs += [f"claim {cid}: {m.lstrip('.')}" for m in sub]
    if [c["id"] for c in cert["claims"]] != [c["id"] for c in fresh["claims"]] and not msgs:
        msgs.append("claims: in a different order than the re-derivation")
    for k in ("inputs", "rests_on", "verdict", "scope", "reason"):
        sub = []
        _diff(cert[k], fresh[k], k, sub)
        msgs += sub
    if not isinstance(source, Mapping):
        msgs += _check_files(Path(source).parent, cert.get("files", {}))
    if msgs:
        return False, msgs
    return True, [f"all {len(theirs)} claims re-derived and matched; verdict: {fresh['verdict']}"]
