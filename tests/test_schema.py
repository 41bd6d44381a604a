"""The published certificate schema (version 3), the text rendered from it, and the statement
read twice (proofs/check/statement.py against the shared parser)."""
from __future__ import annotations

import copy
import json
from fractions import Fraction
from importlib import resources

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from relu_pointwise.cli import main
from relu_pointwise.proofs.certificate import certify, render_texts
from relu_pointwise.proofs.check import check_certificate
from relu_pointwise.proofs.check import statement as S
from relu_pointwise.proofs.check.read import check_shape, published_schema
from relu_pointwise.symbolic import targets
from relu_pointwise.symbolic.errors import CertificateError
from relu_pointwise.symbolic.spec import make_spec, make_training

# (target, batch, domain): every batch kind and every target family, small and quick
CASES = [
    ("interval:-1/2,1/2", "full", None),
    ("interval:-1/2,1/2", "cyclic:3", None),
    ("interval:-1/2,1/2", "sampled:4", None),
    ("interval:-1/2,1/2", "dataset:8,4", None),
    ("union:-3/4,-1/4;1/4,3/4", "full", None),
    ("interval:-1/2,-1/4 | interval:1/4,1/2", "full", None),
    ("box:-1/2,1/2;-1/2,1/2", "full", None),
    ("halfspace:1,1,0", "full", None),
    ("polytope:1,1,1/2;-1,0,1/2;0,-1,1/2", "full", None),
    ("(box:-1/2,1/2;-1/2,1/2) & halfspace:1,-1,0", "full", None),
    ("ball:d=2,R=1/2", "full", None),
    ("ball:d=3,R=1/2", "full", None),
    ("ball:d=2,R=1/2,N=1", "full", None),
    ("ball:d=2,R=1/2,N=1", "sampled:4", None),
]


def _cert(target: str, batch: str) -> dict:
    steps = 40 if batch.startswith(("sampled", "dataset")) else 300
    return certify(make_spec(target), make_training(batch=batch), grid=3, steps=steps)


@pytest.fixture(scope="module")
def certs() -> dict[tuple[str, str], dict]:
    return {(t, b): _cert(t, b) for t, b, _ in CASES}


@pytest.fixture(scope="module")
def base(certs) -> dict:
    return certs[("interval:-1/2,1/2", "full")]


def _validator() -> jsonschema.Draft202012Validator:
    """The published file, read as a user would, by the jsonschema library (formats asserted)."""
    text = resources.files("relu_pointwise.proofs").joinpath("schema", "certificate-v3.schema.json").read_text()
    schema = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_the_schema_is_a_valid_draft_2020_12_schema_shipped_as_package_data():
    import tomllib
    from pathlib import Path

    _validator()
    conf = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    assert "schema/*.json" in conf["tool"]["setuptools"]["package-data"]["relu_pointwise.proofs"]
    assert any(d.startswith("jsonschema") for d in conf["project"]["dependencies"])


@pytest.mark.parametrize("target, batch, _", CASES, ids=[f"{t}-{b}" for t, b, _ in CASES])
def test_the_provers_output_validates_for_every_batch_kind_and_target_family(certs, target, batch, _):
    cert = certs[(target, batch)]
    assert cert["version"] == 3
    _validator().validate(cert)          # the published schema alone (formats not asserted here)
    assert check_shape(copy.deepcopy(cert)) == 3      # and the checker's reading of it (formats, text)


def _refused(doc: dict) -> str:
    with pytest.raises(CertificateError) as exc:
        check_shape(doc)
    assert exc.value.malformed
    msg = str(exc.value)
    assert "\n" not in msg and len(msg) < 400
    return msg


def _data(doc: dict, cid: str) -> dict:
    return next(c for c in doc["claims"] if c["id"] == cid)["data"]


def _index(doc: dict, cid: str) -> int:
    return next(k for k, c in enumerate(doc["claims"]) if c["id"] == cid)


@pytest.mark.parametrize("edit, pointer", [
    (lambda d: _data(d, "rate").update(t0="-1"), "/data/t0"),
    (lambda d: _data(d, "rate").update(t0="07"), "/data/t0"),
    (lambda d: _data(d, "rate").update(t0="7.0"), "/data/t0"),
    (lambda d: _data(d, "growth").update(w_star="2/2"), "/data/w_star"),
    (lambda d: _data(d, "growth").update(w_star="-0"), "/data/w_star"),
    (lambda d: _data(d, "asymptotic").update(L_asymptotic="1/(w*12)"), "/data/L_asymptotic"),
    (lambda d: _data(d, "asymptotic").update(L_asymptotic="__import__('os')"), "/data/L_asymptotic"),
    (lambda d: _data(d, "pointwise:x=0").update(T_hi="-1"), "/data/T_hi"),
    (lambda d: _data(d, "pointwise:x=0").update(extra="1"), "/data"),
    (lambda d: _data(d, "construction")["network"].update(extra="1"), "/data/network"),
    (lambda d: _data(d, "construction").update(points_checked="many"), "/data/points_checked"),
    (lambda d: _data(d, "entry").update(W_star="1"), "/data"),                 # a cyclic field, full batch
    (lambda d: _data(d, "rate").update(period="1"), "/data"),                  # a cyclic form, full batch
    (lambda d: d["claims"][0].update(note="x"), "/claims/0"),
    (lambda d: d.update(extra="x"), "(the top level)"),
    (lambda d: d["inputs"].update(points=[["0", "1"]] * 401), "/inputs/points"),
    (lambda d: d["inputs"].update(batch="cyclic:0"), "/inputs/batch"),
    (lambda d: d["inputs"].update(steps="0"), "/inputs/steps"),
])
def test_schema_refusals_are_one_line_naming_the_part(base, edit, pointer):
    doc = copy.deepcopy(base)
    edit(doc)
    assert pointer in _refused(doc)


def test_what_json_schema_cannot_say_is_checked_in_code(base):
    doc = copy.deepcopy(base)            # an id that names another point than its data
    k = _index(doc, "pointwise:x=1")
    doc["claims"][k]["data"] = copy.deepcopy(_data(doc, "pointwise:x=0"))
    render_texts(doc)
    assert f"/claims/{k}/id" in _refused(doc)
    doc = copy.deepcopy(base)            # T_lo > T_hi on a claim it holds
    _data(doc, "pointwise:x=1").update(T_lo="9", T_hi="8")
    render_texts(doc)
    assert "/data/T_hi" in _refused(doc)
    doc = copy.deepcopy(base)            # an enclosure upside down
    d = _data(doc, "entry")
    d["w_t_star_lo"], d["w_t_star_hi"] = "2", "1"
    render_texts(doc)
    assert "/data/w_t_star_hi" in _refused(doc)
    doc = copy.deepcopy(base)            # the same claim twice
    doc["claims"].append(copy.deepcopy(doc["claims"][-1]))
    assert "appears twice" in _refused(doc)


@pytest.mark.parametrize("part", ["statement", "scope", "reason"])
def test_text_that_differs_from_its_rendering_is_refused(base, part):
    doc = copy.deepcopy(base)
    if part == "statement":
        k = _index(doc, "pointwise:x=0")
        doc["claims"][k]["statement"] = doc["claims"][k]["statement"].replace("T(x)", "T(y)")
        assert f"/claims/{k}/statement" in _refused(doc)
    else:
        doc[part] = doc[part] + " and more"
        assert f"/{part}" in _refused(doc)


def test_edited_data_changes_the_statement(base):
    """The statement follows the data: edit T(x) and leave the text, and the file is refused."""
    doc = copy.deepcopy(base)
    _data(doc, "pointwise:x=0").update(T_lo="0", T_hi="0")
    assert "/statement" in _refused(doc)


@pytest.mark.parametrize("version", [1, 2])
def test_old_versions_are_refused_saying_re_certify(base, version, tmp_path, capsys):
    doc = copy.deepcopy(base)
    doc["version"] = version
    f = tmp_path / "old.json"
    f.write_text(json.dumps(doc))
    assert main(["verify", str(f)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "re-certify" in err[0]


def test_the_two_renderers_agree_on_every_template(certs):
    """The writer's renderer (proofs.lemmas.text) and the checker's own (proofs.check.render)
    give the same text for every claim of every certificate above."""
    from relu_pointwise.proofs.check import render
    from relu_pointwise.proofs.lemmas.text import statement_of

    schema = published_schema()
    kinds = set()
    for cert in certs.values():
        for c in cert["claims"]:
            kinds.add(c["id"].split(":")[0])
            assert render.statement(schema, c["id"], c["data"]) == statement_of(c["id"], c["data"]) == c["statement"]
        assert render.scope(schema, cert["inputs"]) == cert["scope"]
        assert render.reason(schema, cert) == cert["reason"]
    assert kinds == set(schema["x-statements"])       # every claim kind was exercised


# ---------------------------------------------------------------- the statement read twice

_num = st.fractions(min_value=-1, max_value=1, max_denominator=16)


def _txt(q: Fraction) -> str:
    return str(q)


@st.composite
def _basic_targets(draw, dim: int) -> str:
    kind = draw(st.sampled_from(["box", "halfspace", "polytope"] + (["interval", "union"] if dim == 1 else [])))
    if kind in ("interval", "box"):
        pieces = []
        for _ in range(dim):
            a, b = sorted(draw(st.lists(_num, min_size=2, max_size=2, unique=True)))
            pieces.append(f"{_txt(a)},{_txt(b)}")
        return ("interval:" if kind == "interval" else "box:") + ";".join(pieces)
    if kind == "union":
        ends = sorted(draw(st.lists(_num, min_size=4, max_size=4, unique=True)))
        return f"union:{_txt(ends[2])},{_txt(ends[3])};{_txt(ends[0])},{_txt(ends[1])}"
    n = 1 if kind == "halfspace" else draw(st.integers(1, 3))
    faces = []
    for _ in range(n):
        a = draw(st.lists(_num, min_size=dim, max_size=dim).filter(lambda v: any(x != 0 for x in v)))
        faces.append(",".join(_txt(v) for v in [*a, draw(_num)]))
    return f"{kind}:" + ";".join(faces)


@st.composite
def _targets(draw) -> str:
    dim = draw(st.integers(1, 3))
    parts = draw(st.lists(_basic_targets(dim), min_size=1, max_size=3))
    ops = draw(st.lists(st.sampled_from([" & ", " | "]), min_size=len(parts) - 1, max_size=len(parts) - 1))
    text = parts[0]
    for op, p in zip(ops, parts[1:]):
        text = f"({text}){op}{p}" if draw(st.booleans()) else f"{text}{op}{p}"
    return text


@given(_targets())
def test_the_checkers_reader_agrees_with_the_shared_parser(text):
    """Property: on targets written with rationals, both readings are the same tree."""
    t = targets.parse_target(text)
    tree, dim = S.read_target(text)
    assert dim == t.dim
    assert S.normal(tree) == S.normal(S.of_level(t.level))


def test_the_readers_say_undecided_outside_their_grammar():
    for text in ("interval:-0.5,0.5", "interval:-1/2,1/2e0", "disk:1", "interval:-1/2,1/2 ^ box:0,1"):
        with pytest.raises(S.Unreadable):
            S.read_target(text)


def test_a_misreading_shared_parser_is_caught(monkeypatch, tmp_path, capsys):
    """The shared parser patched to misread an interval (its right end moved by 1/4): the prover
    certifies that wrong interval and the checker, reading through the same parser, agreed with
    every claim before the statement was read twice; the checker's own reader does not agree,
    and verify refuses (exit 1)."""
    wrong = targets._interval_level

    def misread(a, b):
        return wrong(a, b + targets.Q(1, 4))

    monkeypatch.setattr(targets, "_interval_level", misread)
    cert = certify(make_spec("interval:-1/2,1/2"), make_training(), grid=3, steps=300)
    f = tmp_path / "c.json"
    f.write_text(json.dumps(cert))
    report = check_certificate(f)
    by_id = {c.id: c for c in report.checks}
    assert by_id["statement"].status == "failed" and "disagree" in by_id["statement"].reason
    assert main(["verify", str(f), "--quiet"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("failed: statement") and out[-1].startswith("checker: NOT VERIFIED")


def test_verify_prints_the_statement_in_its_own_words_and_quiet_prints_only_failures(base, tmp_path, capsys):
    f = tmp_path / "c.json"
    f.write_text(json.dumps(base))
    assert main(["verify", str(f)]) == 0
    out = capsys.readouterr().out
    assert "A = {x in Omega : x1 < 1/2 and x1 > -1/2}" in out
    assert "Omega = [-1, 1]" in out and "r = 2" in out and "eta = 1, w_0 = 0" in out
    assert "proved: T(x) = 7 at x = 0" in out
    assert main(["verify", str(f), "--quiet"]) == 0
    assert capsys.readouterr().out.strip().splitlines() == [
        "checker: all claims check (" + ", ".join(f"{n} checked" for n in [len(base["claims"]) + 2]) + ")"]


def test_claim_forms_that_do_not_belong_to_the_batch_kind_are_refused(certs, base):
    """Issue 16, class 3: full-batch entry and rate forms inside a cyclic certificate (and the
    reverse, and a claim kind of another batch kind) are refused by the schema."""
    cyc = certs[("interval:-1/2,1/2", "cyclic:3")]
    for cid, form_of in (("entry", base), ("rate", base)):
        doc = copy.deepcopy(cyc)
        k = _index(doc, cid)
        doc["claims"][k]["data"] = copy.deepcopy(_data(form_of, cid))
        render_texts(doc)
        assert f"/claims/{k}/data" in _refused(doc)
    doc = copy.deepcopy(base)
    doc["claims"].append(copy.deepcopy(next(c for c in cyc["claims"] if c["id"] == "cyclic_growth")))
    assert f"/claims/{len(doc['claims']) - 1}/id" in _refused(doc)


def test_the_validators_work_is_bounded_before_it_starts(base):
    """A file of many small values is refused by its count, before the schema is applied."""
    doc = copy.deepcopy(base)
    _data(doc, "construction")["network"]["hidden"][0]["bias"] = ["0"] * 100_001
    assert "values, more than the 100000" in _refused(doc)


def test_a_listed_file_that_is_absent_is_not_passed(tmp_path, capsys):
    """The files manifest names derivation.tex; with the file removed, verify cannot check it."""
    out = tmp_path / "out"
    assert main(["certify", "--no-plots", "--grid", "3", "--steps", "300", "--out", str(out)]) == 0
    assert main(["verify", str(out / "certificate.json"), "--quiet"]) == 0
    (out / "derivation.tex").unlink()
    capsys.readouterr()
    assert main(["verify", str(out / "certificate.json"), "--quiet"]) == 1
    assert "undecided: files:derivation.tex: listed in the certificate's files, but absent" in capsys.readouterr().out


def test_the_statement_is_printed_for_every_batch_kind_and_target_family(certs):
    from relu_pointwise.proofs.check.report import statement_lines

    for (_target, batch), cert in certs.items():
        lines = statement_lines(check_certificate(cert))
        assert lines[0].startswith("target: A = {x in Omega : ") and lines[1].startswith("domain: Omega = ")
        assert f"batch: {batch.partition(':')[0]}" in lines[3] or batch == "full"


def test_the_largest_seed_validates():
    """Seeds run to 2^63 - 1 (19 digits; symbolic.spec.make_training): the schema admits them."""
    cert = certify(make_spec("interval:-1/2,1/2"), make_training(batch="sampled:2", seed=2**63 - 1), grid=2, steps=5)
    assert check_shape(cert) == 3
