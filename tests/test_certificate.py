"""The certificate: certify / verify round trips, tamper detection, code rejection, T(x)
against the float64 engine, mini-batch verdicts, and the CLI."""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import pytest
import sympy
from hypothesis import given, settings

from relu_pointwise.proofs.certificate import SCHEMA, VERSION, build, certify, render_texts
from relu_pointwise.proofs.verify import verify
from relu_pointwise.symbolic.exprio import rational_from_text
from relu_pointwise.symbolic.spec import make_spec, make_training
from relu_pointwise.testing import specs, trainings

Q = sympy.Rational
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def default_cert():
    return certify(make_spec(), make_training())


# ---------------------------------------------------------------- round trips

@settings(max_examples=6)
@given(spec=specs(dim=1), training=trainings())
def test_verify_certify_roundtrip(spec, training):
    """Any 1-D spec: the certificate verifies, and full-batch GD is certified (the theorem)."""
    cert = certify(spec, training, grid=5, steps=300)
    ok, msgs = verify(cert)
    assert ok, msgs
    assert cert["verdict"] == "certified", cert["reason"]
    assert all(c["status"] in ("proved", "enclosed") for c in cert["claims"])


def test_default_certificate_is_certified(default_cert):
    c = default_cert
    assert c["schema"] == SCHEMA and c["version"] == VERSION
    assert c["verdict"] == "certified"
    ids = [x["id"] for x in c["claims"]]
    for need in ("construction", "monotonicity", "asymptotic", "growth", "entry", "rate"):
        assert need in ids
    assert not any(x["status"] == "numerical" for x in c["claims"])
    assert set(c["rests_on"]) == set(ids)
    ok, msgs = verify(c)
    assert ok, msgs


# ---------------------------------------------------------------- tampering

def _leaves(node, path=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, path + (i,))
    else:
        yield path, node


def _numeric(v) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, int):
        return True
    if isinstance(v, str):
        try:
            rational_from_text(v)
            return True
        except ValueError:
            return False
    return False


def _set(doc, path, value):
    for k in path[:-1]:
        doc = doc[k]
    doc[path[-1]] = value


def test_every_numeric_field_edit_fails(default_cert):
    """Changing any single number of the default certificate (inputs, claim data, version)
    makes verify fail; a claim's own field is named in the message."""
    leaves = [(p, v) for p, v in _leaves(default_cert) if _numeric(v)]
    assert len(leaves) > 50
    for path, v in leaves:
        doc = copy.deepcopy(default_cert)
        new = v + 1 if isinstance(v, int) else str(rational_from_text(v) + Q(1, 3)).replace(" ", "")
        _set(doc, path, new)
        ok, msgs = verify(doc)
        assert not ok, f"edit at {path} went unnoticed"
        if path[0] == "claims":
            cid = default_cert["claims"][path[1]]["id"]      # named by id, or by the schema's JSON pointer
            assert any(cid in m or f"/claims/{path[1]}/" in m for m in msgs), (path, msgs[:3])


def test_status_statement_and_verdict_edits_fail(default_cert):
    for k, c in enumerate(default_cert["claims"]):
        for field, value in (("status", "failed" if c["status"] != "failed" else "proved"),
                             ("statement", c["statement"] + " (edited)")):
            doc = copy.deepcopy(default_cert)
            doc["claims"][k][field] = value
            ok, msgs = verify(doc)
            assert not ok and any(f"claim {c['id']}: {field}" in m or f"/claims/{k}/{field}" in m
                                  for m in msgs), msgs
    doc = copy.deepcopy(default_cert)
    doc["verdict"] = "not certified"
    ok, msgs = verify(doc)
    assert not ok and any(m.startswith("verdict") or "/reason" in m for m in msgs)
    doc = copy.deepcopy(default_cert)
    del doc["claims"][3]
    ok, msgs = verify(doc)
    assert not ok and any("missing" in m or "/rests_on" in m for m in msgs)


PWNED = "/tmp/relu_pointwise_pwned_test"
CODE = f"__import__('os').system('touch {PWNED}')"


@pytest.mark.parametrize("where", ["data_number", "data_list", "statement", "eta", "target", "point", "id"])
def test_code_in_a_field_is_rejected_without_running(default_cert, where, tmp_path):
    if os.path.exists(PWNED):
        os.remove(PWNED)
    doc = copy.deepcopy(default_cert)
    growth = next(c for c in doc["claims"] if c["id"] == "growth")
    if where == "data_number":
        growth["data"]["c"] = CODE
    elif where == "data_list":
        next(c for c in doc["claims"] if c["id"] == "asymptotic")["data"]["coeffs"][0] = CODE
    elif where == "statement":
        growth["statement"] = CODE
    elif where == "eta":
        doc["inputs"]["eta"] = CODE
    elif where == "target":
        doc["inputs"]["spec"]["target"] = CODE
    elif where == "point":
        doc["inputs"]["points"][0][0] = CODE
    else:
        growth["id"] = CODE
    f = tmp_path / "cert.json"
    f.write_text(json.dumps(doc))
    ok, msgs = verify(f)
    assert not ok
    if where in ("data_number", "data_list", "eta", "target", "point"):
        assert msgs[0].startswith("malformed certificate"), msgs
    assert not os.path.exists(PWNED)


def test_schema_and_version_mismatch(default_cert, tmp_path):
    doc = copy.deepcopy(default_cert)
    doc["schema"] = "something/else"
    ok, msgs = verify(doc)
    assert not ok and "schema mismatch" in msgs[0]
    doc = copy.deepcopy(default_cert)
    doc["version"] = 99
    ok, msgs = verify(doc)
    assert not ok and "version" in msgs[0]
    f = tmp_path / "x.json"
    f.write_text("[1, 2")
    ok, msgs = verify(f)
    assert not ok and "not valid JSON" in msgs[0]


# ---------------------------------------------------------------- T(x) against the np engine

@pytest.mark.parametrize("text,training", [("interval:-1/2,1/2", ("1", "0")),
                                           ("union:-1,-1/2;0,1/3", ("1/2", "0")),
                                           ("interval:-1/3,1/5", ("2", "1/4"))])
def test_T_against_the_np_trajectory(text, training):
    """The float64 engine's own path (forward/backward passes) shows f(w_t, x) = f°(x) from
    step T(x) on and not at T(x) - 1; points whose threshold lies within float64's resolution
    of w_T or w_{T-1} (by the enclosures) are not decidable in float64 and are skipped."""
    from relu_pointwise.numeric.np_engine import run_np

    spec = make_spec(text)
    tr = make_training(*training)
    b = build(spec, tr, grid=33, steps=2000)
    run = run_np(spec, tr, 2000)
    ws = run.w[:, 0]
    checked = 0
    for s in b.pointwise:
        x, g = s["x"], s["g"]
        if g == 0 or s["T_lo"] != s["T_hi"] or s["T_hi"] > 2000:
            continue
        T = s["T_hi"]
        theta = 1 / (2 * abs(g))
        fo = 1 if g > 0 else 0
        lo_T, hi_prev = b.path.lo[T], b.path.hi[T - 1] if T > 0 else None
        if float(lo_T) - float(theta) < 1e-9 * float(theta) or (
                hi_prev is not None and float(theta) - float(hi_prev) < 1e-9 * float(theta)):
            continue
        def f(t, x=x):
            return spec.network.output(Q(Fraction(float(ws[t]))), x)

        assert f(T) == fo and f(min(T + 7, 2000)) == fo
        if T > 0:
            assert f(T - 1) != fo
        checked += 1
    assert checked >= 10


# ---------------------------------------------------------------- mini-batches and cyclic

def test_sampled_certifies_the_realized_path():
    cert = certify(make_spec(), make_training(batch="sampled:8", seed=5), grid=5, steps=150)
    assert cert["verdict"] == "certified"
    assert "REALIZED PATH" in cert["scope"] and "0..150" in cert["scope"]
    ids = [c["id"] for c in cert["claims"]]
    assert {"minibatch_monotonicity", "path", "batch_losses", "sampled_tails", "almost_sure"} <= set(ids)
    assert verify(cert)[0]


def test_dataset_is_honestly_not_certified():
    cert = certify(make_spec(), make_training(batch="dataset:16,4", seed=1), grid=5, steps=150)
    assert cert["verdict"] == "not certified"
    assert "pointwise convergence fails" in cert["reason"]
    stall = next(c for c in cert["claims"] if c["id"] == "dataset_stall")
    assert stall["status"] == "proved"
    assert verify(cert)[0]


def test_cyclic_is_certified_for_all_t():
    cert = certify(make_spec(), make_training(batch="cyclic:3"), grid=5, steps=400)
    assert cert["verdict"] == "certified", cert["reason"]
    assert any(c["id"] == "cyclic_growth" for c in cert["claims"])
    assert verify(cert)[0]


# ---------------------------------------------------------------- the CLI

def _cli(*args, cwd):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "relu_pointwise.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_cli_default_certify_and_verify(tmp_path):
    t0 = time.perf_counter()
    r = _cli("certify", cwd=tmp_path)
    elapsed = time.perf_counter() - t0
    assert r.returncode == 0, r.stderr
    assert elapsed < 60
    assert "CERTIFIED" in r.stdout and "growth" in r.stdout
    out = tmp_path / "certificate-out"
    for name in ("certificate.json", "derivation.tex", "loss.png", "outputs.png", "T.png"):
        assert (out / name).stat().st_size > 0
    r = _cli("verify", str(out / "certificate.json"), cwd=tmp_path)
    assert r.returncode == 0 and "all claims check" in r.stdout, r.stdout + r.stderr
    doc = json.loads((out / "certificate.json").read_text())
    next(c for c in doc["claims"] if c["id"] == "rate")["data"]["Cbar"] = "1/13"
    render_texts(doc)       # a consistent forgery: its texts re-rendered, so only the mathematics can catch it
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    r = _cli("verify", str(bad), cwd=tmp_path)
    assert r.returncode == 1 and "rate" in r.stdout
    doc["version"] = 7
    bad.write_text(json.dumps(doc))
    r = _cli("verify", str(bad), cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.startswith("pointwise: error:") and "version" in r.stderr


def test_cli_bad_input_is_one_line(tmp_path):
    r = _cli("certify", "--points", "0,2", "--no-plots", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "outside the domain" in r.stderr
    r = _cli("certify", "--grid", "1", "--no-plots", cwd=tmp_path)
    assert r.returncode == 2 and "--grid" in r.stderr
