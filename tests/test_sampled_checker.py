"""Mini-batch certificates: the checker regenerates the batches (sampled, dataset), recomputes the
realized path, and checks the probabilistic claims (tails, almost sure) by its own computations."""
from __future__ import annotations

import copy
import json
from fractions import Fraction
from functools import lru_cache

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from relu_pointwise.proofs.certificate import build, render_texts
from relu_pointwise.proofs.check import check_certificate
from relu_pointwise.symbolic.errors import InputError
from relu_pointwise.symbolic.spec import make_spec, make_training


@lru_cache(maxsize=8)
def _cert(target: str, batch: str, seed: int = 0, steps: int = 60, points: str = "0,3/8,1/2,7/8") -> str:
    spec = make_spec(target)
    pts = [(Fraction(p),) for p in points.split(",")] if spec.dim == 1 else None
    b = build(spec, make_training(batch=batch, seed=seed), points=pts, grid=None if pts else 3, steps=steps)
    return json.dumps(b.cert)


def _claim(cert: dict, cid: str) -> dict:
    return next(c for c in cert["claims"] if c["id"] == cid)


def _text(q: Fraction) -> str:
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def _status(cert: dict) -> dict[str, str]:
    """The checker's status per claim, after re-rendering the texts of an edited certificate."""
    render_texts(cert)
    return {c.id: c.status for c in check_certificate(cert).checks}


def test_sampled_certificate_checks_and_says_what_is_random():
    cert = json.loads(_cert("interval:-1/2,1/2", "sampled:16"))
    assert cert["verdict"] == "certified"
    rep = check_certificate(cert)
    assert rep.ok, rep.lines()
    st_ = _status(cert)
    for cid in ("path", "batch_losses", "sampled_tails", "almost_sure", "pointwise:x=3/8"):
        assert st_[cid] == "checked"
    assert _claim(cert, "sampled_tails")["data"]["probabilistic"] == "yes"
    assert "WITH PROBABILITY ONE" in _claim(cert, "almost_sure")["statement"]
    assert "REALIZED PATH" in cert["scope"] and "WITH PROBABILITY" in cert["scope"]


@pytest.mark.parametrize("shift", [Fraction(1, 10 ** 6), -Fraction(1, 10 ** 6)])
def test_forged_realized_path_fails(shift):
    """The claimed enclosure of w_n moved off the regenerated path (texts re-rendered)."""
    cert = json.loads(_cert("interval:-1/2,1/2", "sampled:16"))
    d = _claim(cert, "path")["data"]
    for k in ("w_n_lo", "w_n_hi"):
        d[k] = _text(Fraction(d[k]) + shift)
    assert _status(cert)["path"] == "failed"
    assert not check_certificate(cert).ok


def test_forged_seed_fails():
    """Another seed's batches give another path: the claimed enclosure no longer holds."""
    cert = json.loads(_cert("interval:-1/2,1/2", "sampled:16"))
    cert["inputs"]["seed"] = "1"
    assert _status(cert)["path"] == "failed"


def test_forged_realized_T_fails():
    """T(x) on the realized path: shifting it by one step is caught on the regenerated path."""
    cert = json.loads(_cert("interval:-1/2,1/2", "sampled:16"))
    d = _claim(cert, "pointwise:x=7/8")["data"]
    T = int(d["T_lo"])
    assert d["T_hi"] == str(T) and T >= 2
    for lo, hi in ((T + 1, T + 1), (T - 1, T - 1)):
        forged = copy.deepcopy(cert)
        _claim(forged, "pointwise:x=7/8")["data"].update(T_lo=str(lo), T_hi=str(hi))
        assert _status(forged)["pointwise:x=7/8"] == "failed"


def test_forged_stall_point_verdict_fails():
    cert = json.loads(_cert("interval:-1/2,1/2", "dataset:40,8"))
    rows = _claim(cert, "dataset_stall")["data"]["points"]
    row = next(r for r in rows if r["verdict"] == "converges" and r["abs_g"] != "0")
    row["verdict"] = "fails"
    assert _status(cert)["dataset_stall"] == "failed"


def test_forged_tail_bound_fails():
    cert = json.loads(_cert("interval:-1/2,1/2", "sampled:16"))
    row = next(r for r in _claim(cert, "sampled_tails")["data"]["points"] if "bounds" in r)
    row["bounds"][0]["delta"] = _text(Fraction(row["bounds"][0]["delta"]) / 2)
    assert _status(cert)["sampled_tails"] == "failed"
    cert2 = json.loads(_cert("interval:-1/2,1/2", "sampled:16"))
    _claim(cert2, "sampled_tails")["data"]["c_mu_lower"] = "1/6"     # larger than kappa c = 1/12
    assert _status(cert2)["sampled_tails"] == "failed"


def test_dataset_stall_is_a_checked_negative():
    cert = json.loads(_cert("interval:-1/2,1/2", "dataset:40,8"))
    assert cert["verdict"] == "not certified"
    stall = _claim(cert, "dataset_stall")
    assert stall["status"] == "proved" and "FAILS" in stall["statement"]
    rep = check_certificate(cert)
    assert rep.ok, rep.lines()
    d = stall["data"]
    assert Fraction(d["w_inf_lo"]) <= Fraction(d["w_inf_hi"])
    forged = copy.deepcopy(cert)
    _claim(forged, "dataset_stall")["data"]["W"] = _text(Fraction(d["theta_min"]) / 2)
    assert _status(forged)["dataset_stall"] == "failed"


def test_path_too_large_is_refused_with_an_estimate():
    cert = json.loads(_cert("interval:-1/2,1/2", "sampled:16"))
    cert["inputs"]["batch"] = "sampled:65536"
    cert["inputs"]["steps"] = "100000"
    _claim(cert, "path")["data"]["steps"] = "100000"
    _claim(cert, "minibatch_monotonicity")["data"]["batch"] = "sampled:65536"
    checks = {c.id: c for c in check_certificate(render_texts(cert)).checks}
    assert checks["path"].status == "undecided" and "would take about" in checks["path"].reason


KINDS = ("full", "cyclic:2", "sampled:8", "dataset:26,8")      # 26 = 3 * 8 + 2: a partial batch dropped
FAMILIES = ("interval:-1/2,1/2", "interval:-1/4,3/4", "union:-3/4,-1/4;0,1/2", "box:-1/2,1/2;-1/4,1/2",
            "polytope:1,0,1/2;0,1,1/2;-1,-1,1/2", "ball:d=2,R=1/2", "ball:d=2,R=1/2,N=1")


@lru_cache(maxsize=64)
def _family_cert(target: str, kind: str, seed: int, r: str) -> str | None:
    try:
        b = build(make_spec(target, r=r), make_training(batch=kind, seed=seed), steps=40)
    except InputError:          # e.g. cyclic slabs of the exact ball (its domain must be centred)
        return None
    return json.dumps(b.cert)


@settings(max_examples=6)
@given(kind=st.sampled_from(KINDS), target=st.sampled_from(FAMILIES), seed=st.integers(0, 50),
       r=st.sampled_from(["1", "2", "3/2"]))
def test_verify_verdict_equals_certify_verdict(kind, target, seed, r):
    """For every batch kind and target family: the checker checks every claim certify makes, so
    verify's verdict (certified iff certify said so and every claim checks) equals certify's.
    Outside this property, said plainly: cyclic:K in d > 1 and non-integer r in d > 1, where the
    checker's cells and integrals (issue 16, not the batches) still answer "undecided"."""
    spec = make_spec(target)
    assume(not (spec.dim > 1 and (kind.startswith("cyclic") or r == "3/2")))
    assume(not (kind.startswith("cyclic") and target == "interval:-1/4,3/4"))   # the checker weakness below
    text = _family_cert(target, kind, seed, r)
    assume(text is not None)
    cert = json.loads(text)
    rep = check_certificate(cert)
    assert rep.ok, [line for line in rep.lines() if not line.startswith("checked")]
    verified = rep.ok and cert["verdict"] == "certified"
    assert verified == (cert["verdict"] == "certified")
    assert cert["verdict"] == ("not certified" if kind.startswith("dataset") else "certified")
    if kind.startswith("sampled"):
        ids = {c["id"] for c in cert["claims"]}
        assert {"sampled_tails", "almost_sure"} <= ids and {"sampled_tails", "almost_sure"} <= set(cert["rests_on"])


def test_cyclic_asymmetric_interval_verifies():
    """interval:-1/4,3/4 under cyclic:2: the density of |g| is 2 on all of (0, 1/2), so slab [0, 1]'s
    -L_1'(w) >= c/w^2 holds from w = 1 on; the checker decides it exactly (it once could only show it
    from w = 2 on, and refused a true certificate)."""
    cert = json.loads(_family_cert("interval:-1/4,3/4", "cyclic:2", 0, "2") or "{}")
    assert check_certificate(cert).ok


def test_cli_sampled_64_carries_and_verifies_the_random_claims(tmp_path, capsys):
    """``certify --batch sampled:64`` carries the almost-sure and tail-bound claims; ``verify`` checks them."""
    from relu_pointwise.cli import main

    out = tmp_path / "c"
    assert main(["certify", "--batch", "sampled:64", "--steps", "100", "--points", "3/8,0",
                 "--out", str(out), "--no-plots"]) == 0
    assert main(["verify", str(out / "certificate.json")]) == 0
    text = capsys.readouterr().out
    assert "checked: sampled_tails" in text and "checked: almost_sure" in text
