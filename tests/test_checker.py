"""The independent checker (relu_pointwise.proofs.check): its trusted base, its own integrals,
and what it does with good, edited and malformed certificates."""
from __future__ import annotations

import ast
import copy
import json
import subprocess
import sys
from pathlib import Path

import flint
import pytest
from gmpy2 import mpq
from hypothesis import given, settings
from hypothesis import strategies as st

from relu_pointwise.cli import main
from relu_pointwise.proofs.certificate import render_texts
from relu_pointwise.proofs.check import cells as C
from relu_pointwise.proofs.check import check_certificate, verify_or_raise
from relu_pointwise.proofs.check.radial import radial
from relu_pointwise.symbolic.errors import CertificateError
from relu_pointwise.symbolic.spec import Spec, parse_domain
from relu_pointwise.symbolic.targets import parse_target

CHECK_DIR = Path(__file__).resolve().parents[1] / "proofs" / "check"
# batch_kinds: the trusted registry of batch kinds (spec re-exports its Batch)
ALLOWED_SYMBOLIC = {"spec", "batch_kinds", "targets", "network", "numbers", "exprio", "errors", "jsonio", "limits"}
ALLOWED_TOP = {"__future__", "collections", "fractions", "hashlib", "html", "json", "jsonschema", "re", "dataclasses",
               "functools", "itertools", "math",
               "typing", "random", "time", "pathlib", "importlib", "flint", "gmpy2", "sympy"}
PROVER = ("loss", "regions", "wregions", "pushforward", "ball", "polytope", "iterate", "lemmas",
          "certificate", "deep", "plots", "plots2d", "verify", "derivation", "export_json", "export_latex",
          "strategies")


@pytest.fixture(scope="module")
def interval_cert() -> dict:
    from relu_pointwise.proofs.certificate import certify
    from relu_pointwise.symbolic.spec import make_spec, make_training

    return certify(make_spec("interval:-1/2,1/2"), make_training(), grid=9, steps=400)


def _cells(target: str):
    t = parse_target(target)
    spec = Spec(t, parse_domain("-1,1", t.dim))
    return C.decompose(C.Net.of(spec.network), t.level, spec.domain.lo, spec.domain.hi), C.q(spec.density)


# ---------------------------------------------------------------- the trusted base

def test_checker_imports_only_its_trusted_base_statically():
    """Every import in proofs/check/*.py is the package itself, an allowed symbolic module, or
    a field / standard library (ast over the files: lazy imports inside functions included)."""
    for f in sorted(CHECK_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:           # relative: inside proofs/check
                    continue
                names = [node.module or ""]
            else:
                continue
            for name in names:
                parts = name.split(".")
                if parts[0] == "relu_pointwise":
                    assert parts[1] == "symbolic" and parts[2] in ALLOWED_SYMBOLIC, f"{f.name}: {name}"
                else:
                    assert parts[0] in ALLOWED_TOP, f"{f.name}: {name}"


def test_checking_a_certificate_loads_no_prover_module(interval_cert, tmp_path):
    """In a fresh interpreter: import the checker, check a certificate, list sys.modules."""
    path = tmp_path / "certificate.json"
    path.write_text(json.dumps(interval_cert))
    code = ("import json, sys\n"
            "from relu_pointwise.proofs.check import check_certificate\n"
            f"r = check_certificate({str(path)!r})\n"
            "print(json.dumps([r.ok, sorted(m for m in sys.modules if m.startswith('relu_pointwise'))]))\n")
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120)
    ok, mods = json.loads(out.stdout)
    assert ok, out.stderr
    assert not any(m.startswith("relu_pointwise.numeric") for m in mods), mods
    leaked = [m for m in mods if m.rsplit(".", 1)[-1] in PROVER]
    assert not leaked, leaked
    # the allowed modules and their own submodules (symbolic.exprio is a package)
    assert {m.split(".")[2] for m in mods if m.startswith("relu_pointwise.symbolic.")} <= ALLOWED_SYMBOLIC


# ---------------------------------------------------------------- its own integrals

def test_interval_loss_reference_values():
    """Interval (-1/2, 1/2) in [-1, 1], r = 2 (docs/mathematics.md, section 3): the error is (1/2 - w|g|)_+ with
    |g| uniform-density 2 on (0, 1/2) under the probability measure, so for w >= 1
    L = 2 * (1/2) * int_0^{1/(2w)} (1/2 - w u)^2 du = 1/(12 w): L(3) = 1/36, L'(3) = -1/108;
    for w <= 1, L = 1/4 - w/4 + w^2/12: L(1/2) = 1/4 - 1/8 + 1/48 = 7/48."""
    cells, dens = _cells("interval:-1/2,1/2")
    assert C.loss_integral(cells, mpq(3), mpq(2), dens) == mpq(1, 36)
    assert C.loss_derivative(cells, mpq(3), mpq(2), dens) == mpq(-1, 108)
    assert C.loss_integral(cells, mpq(1, 2), mpq(2), dens) == mpq(7, 48)


def test_box_loss_reference_value():
    """Box (-1/2, 1/2)^2 in [-1, 1]^2, r = 2 (docs/mathematics.md, section 3): L(w) = 1/(12 w)
    for w >= 1, so L(3) = 1/36."""
    cells, dens = _cells("box:-1/2,1/2;-1/2,1/2")
    assert C.loss_integral(cells, mpq(3), mpq(2), dens) == mpq(1, 36)


def test_exact_ball_radial_reference_value():
    """Exact ball d = 2, R = 1/2 in [-1, 1]^2, r = 2 (docs/mathematics.md, section 3): L(w) = pi/(48 w) for w >= 2, so
    L(3) = pi/144; the radial integral (g = R^2 - |x|^2, lam = 1, m^2 = 1) must contain it."""
    value = radial(mpq(1), mpq(1, 4), 2, mpq(1), mpq(3), mpq(2), mpq(1, 4), False)
    assert value.overlaps(flint.arb.pi() / 144) and value.rad() < 1e-12


@settings(max_examples=25)
@given(st.integers(1, 400), st.integers(1, 60))
def test_interval_loss_matches_the_closed_form_everywhere(p, q):
    """At any rational w = p/q: the checker's integral is 1/(12w) (w >= 1) or 1/4 - w/4 + w^2/12."""
    w = mpq(p, q)
    cells, dens = _cells("interval:-1/2,1/2")
    expect = 1 / (12 * w) if w >= 1 else mpq(1, 4) - w / 4 + w * w / 12
    assert C.loss_integral(cells, w, mpq(2), dens) == expect


@settings(max_examples=40)
@given(st.lists(st.integers(-8, 8), min_size=3, max_size=3))
def test_split_covers_the_simplex_with_one_sign_per_piece(abc):
    """Cutting a triangle by an affine h keeps the area and leaves h of one weak sign on each piece."""
    a, b, c = (mpq(v, 3) for v in abc)
    tri = ((mpq(0), mpq(0)), (mpq(2), mpq(0)), (mpq(0), mpq(1)))

    def h(x):
        return a * x[0] + b * x[1] + c

    pieces = C.split(tri, h)
    assert sum(C.volume(s) for s in pieces) == C.volume(tri)
    for s in pieces:
        vals = [h(v) for v in s]
        assert all(v >= 0 for v in vals) or all(v <= 0 for v in vals)


# ---------------------------------------------------------------- certificates

def test_good_certificate_checks_and_cli_exit_codes(interval_cert, tmp_path, capsys):
    assert check_certificate(interval_cert).ok
    verify_or_raise(interval_cert)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(interval_cert))
    assert main(["verify", str(good), "--quiet"]) == 0
    doc = copy.deepcopy(interval_cert)
    next(c for c in doc["claims"] if c["id"] == "growth")["data"]["c"] = "1/10"
    render_texts(doc)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    assert main(["verify", str(bad), "--quiet"]) == 1
    assert "failed: growth" in capsys.readouterr().out
    with pytest.raises(CertificateError) as exc:
        verify_or_raise(doc)
    assert not exc.value.malformed and "growth" in str(exc.value)
    bad.write_text(json.dumps(interval_cert).replace('"version": 3', '"version": 9'))
    assert main(["verify", str(bad)]) == 2


@pytest.mark.parametrize("edit, claim", [
    (lambda d: None, None),                      # the control: no edit, checks
    (lambda d: _claim(d, "asymptotic").update(L_asymptotic="1/(11*w)"), "asymptotic"),
    (lambda d: _claim(d, "construction")["network"].update(readout_bias="-1/64"), "construction"),
    (lambda d: _claim(d, "entry").update(t_star="6"), "entry"),
    (lambda d: _claim(d, "pointwise:x=-3/4").update(T_lo="35", T_hi="35"), "pointwise:x=-3/4"),
    (lambda d: _claim(d, "pointwise:x=-3/4").update(g="-1/5"), "pointwise:x=-3/4"),
    (lambda d: _claim(d, "rate").update(w_t0_lower="11/10"), "rate"),
])
def test_an_edited_claim_is_named(interval_cert, edit, claim):
    doc = copy.deepcopy(interval_cert)
    edit(doc)
    render_texts(doc)             # a consistent forgery: the text follows the edited data
    report = check_certificate(doc)
    if claim is None:
        assert report.ok
        return
    assert not report.ok
    assert claim in [c.id for c in report.checks if c.status == "failed"], report.lines()


def _claim(doc: dict, cid: str) -> dict:
    return next(c for c in doc["claims"] if c["id"] == cid)["data"]


@pytest.mark.parametrize("edit, words", [
    (lambda d: d.update(version=4), "version"),
    (lambda d: d.update(version=2), "re-certify"),
    (lambda d: d.update(version=1), "re-certify"),
    (lambda d: d.update(schema="other"), "schema"),
    (lambda d: _claim(d, "construction").pop("network"), "network"),
    (lambda d: _claim(d, "construction")["network"]["hidden"][0].update(bias=["0"] * 5000), "/hidden/0/bias"),
    (lambda d: _claim(d, "asymptotic").update(L_asymptotic="__import__('os')"), "L_asymptotic"),
    (lambda d: d["inputs"]["spec"].update(target="interval:1,0"), "inputs"),
])
def test_malformed_certificates_are_refused_cheaply(interval_cert, edit, words):
    doc = copy.deepcopy(interval_cert)
    edit(doc)
    with pytest.raises(CertificateError) as exc:
        check_certificate(doc)
    assert exc.value.malformed and words in str(exc.value)


def test_duplicate_keys_are_refused(interval_cert, tmp_path):
    text = json.dumps(interval_cert)
    f = tmp_path / "dup.json"
    f.write_text(text.replace('"verdict": "certified"', '"verdict": "certified", "verdict": "not certified"'))
    with pytest.raises(CertificateError) as exc:
        check_certificate(f)
    assert exc.value.malformed and "duplicate" in str(exc.value)


def test_what_it_cannot_check_is_undecided_never_passed():
    """A sampled:M certificate whose realized path is beyond the checker's work budget: the
    checker refuses it with an estimate (undecided), and the certificate does not verify."""
    from relu_pointwise.proofs.certificate import certify, render_texts
    from relu_pointwise.symbolic.spec import make_spec, make_training

    cert = certify(make_spec("interval:-1/2,1/2"), make_training(batch="sampled:8"), grid=3, steps=30)
    assert check_certificate(cert).ok            # small enough: regenerated and checked
    cert["inputs"]["batch"], cert["inputs"]["steps"] = "sampled:65536", "200000"
    next(c for c in cert["claims"] if c["id"] == "path")["data"]["steps"] = "200000"
    next(c for c in cert["claims"] if c["id"] == "minibatch_monotonicity")["data"]["batch"] = "sampled:65536"
    render_texts(cert)
    report = check_certificate(cert)
    assert not report.ok
    by_id = {c.id: c for c in report.checks}
    assert by_id["path"].status == "undecided" and "would take about" in by_id["path"].reason
    assert by_id["verdict"].status == "undecided"      # not refuted: "failed" only when shown false


def test_cyclic_certificate_checks_and_an_edited_slab_constant_fails():
    """cyclic:4 on the interval: each slab's L_k = C_k / w from the checker's own cells; a slab's
    c raised above C_k fails cyclic_growth, naming it."""
    from relu_pointwise.proofs.certificate import certify
    from relu_pointwise.symbolic.spec import make_spec, make_training

    cert = certify(make_spec("interval:-1/2,1/2"), make_training(batch="cyclic:4"), grid=5, steps=100)
    assert check_certificate(cert).ok
    doc = copy.deepcopy(cert)
    _claim(doc, "cyclic_growth")["slabs"][2]["c"] = "1/11"
    report = check_certificate(doc)
    assert "cyclic_growth" in [c.id for c in report.checks if c.status == "failed"]


@pytest.mark.slow
@settings(max_examples=6)
@given(st.data())
def test_certify_then_check_on_random_1d_specs(data):
    """Whatever the prover certifies for a random 1-D spec and training, the checker accepts."""
    from relu_pointwise.proofs.certificate import certify
    from relu_pointwise.testing import specs, trainings

    spec = data.draw(specs(dim=1))
    training = data.draw(trainings())
    cert = certify(spec, training, grid=5, steps=300)
    if cert["verdict"] == "certified":
        report = check_certificate(cert)
        assert report.ok, report.lines()


def test_exact_ball_density_bounds_reference():
    """Exact ball d = 3, R = 1/2 in [-1, 1]^3, r = 2, w* = 2: rho(u) = (pi/4)((1/4 - u)^(1/2) +
    (1/4 + u)^(1/2)) (density 1/8 times half the sphere's area 4 pi), decreasing on [0, 1/4]:
    rho(0) = pi/4, rho(1/4) = pi sqrt(2)/8; kappa = 2^-3/3 = 1/24, so the growth constants are
    c = pi sqrt(2)/192 and Cbar = pi/96."""
    from relu_pointwise.proofs.check.radial import density_bounds

    old = flint.ctx.prec
    flint.ctx.prec = 200
    try:
        low, high = density_bounds(mpq(1), mpq(1, 4), 3, mpq(1), mpq(2), mpq(2), mpq(1, 8))
        assert low.overlaps(flint.arb.pi() * flint.arb(2).sqrt() / 192) and low.rad() < 1e-50
        assert high.overlaps(flint.arb.pi() / 96) and high.rad() < 1e-50
    finally:
        flint.ctx.prec = old


@pytest.mark.slow
@pytest.mark.parametrize("target", ["ball:d=3,R=1/2", "ball:d=2,R=1/2,N=3"])
def test_ball_certificates_verify(target):
    """The exact ball in odd d (growth from density bounds) and the deep ball (806 cells)."""
    from relu_pointwise.proofs.certificate import certify
    from relu_pointwise.symbolic.spec import make_spec, make_training

    report = check_certificate(certify(make_spec(target), make_training(), grid=3))
    assert report.ok, report.lines()


def test_a_certified_verdict_must_rest_on_what_convergence_needs(interval_cert):
    """A forged certificate that drops claims (all of them, the growth lemma, or one point's
    T(x)) but keeps "certified" is rejected at the verdict, naming what is missing."""
    import copy

    from relu_pointwise.proofs.check import check_certificate

    for drop in (lambda c: c["id"] != "construction", lambda c: c["id"] == "growth",
                 lambda c: c["id"].startswith("pointwise:x=0")):
        forged = copy.deepcopy(interval_cert)
        forged["claims"] = [c for c in forged["claims"] if not drop(c)]
        forged["rests_on"] = [c["id"] for c in forged["claims"]]
        render_texts(forged)
        report = check_certificate(forged)
        assert not report.ok
        verdict = next(c for c in report.checks if c.id == "verdict")
        assert verdict.status == "failed" and "does not rest on" in verdict.reason
    assert check_certificate(interval_cert).ok
