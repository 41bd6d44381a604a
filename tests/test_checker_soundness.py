"""The checker refuses mathematically false certificates, one regression per class of issue 16.

Each forgery is consistent where that matters (the dependent numbers recomputed), so only the
mathematics can catch it; each must leave the report not ok, naming the claim, and true
certificates must still verify (the controls)."""
from __future__ import annotations

import copy
import json

import pytest

from relu_pointwise.proofs.check import check_certificate
from relu_pointwise.proofs.check.base import ClaimCheck
from relu_pointwise.proofs.check.claims import Checker
from relu_pointwise.proofs.check.read import read_certificate
from relu_pointwise.symbolic.errors import CertificateError


def _cert(target: str, batch: str = "full", **kw) -> dict:
    from relu_pointwise.proofs.certificate import certify
    from relu_pointwise.symbolic.spec import make_spec, make_training

    return certify(make_spec(target), make_training(batch=batch), **kw)


@pytest.fixture(scope="module")
def interval() -> dict:
    return _cert("interval:-1/2,1/2", grid=5, steps=400)


@pytest.fixture(scope="module")
def cyclic() -> dict:
    return _cert("interval:-1/2,1/2", "cyclic:4", grid=5, steps=200)


@pytest.fixture(scope="module")
def box() -> dict:
    return _cert("box:-1/2,1/2;-1/2,1/2", grid=3, steps=400)


@pytest.fixture(scope="module")
def exact_ball() -> dict:
    return _cert("ball:d=2,R=1/2", grid=3, steps=400)


@pytest.fixture(scope="module")
def union() -> dict:
    return _cert("union:-3/4,-1/4;0,1/2", grid=5, steps=400)


@pytest.fixture(scope="module")
def deep() -> dict:
    return _cert("ball:d=2,R=1/2,N=2", points=[["0", "0"], ["1/4", "1/4"], ["3/4", "0"], ["3/10", "2/5"]],
                 steps=40)


def _data(doc: dict, cid: str) -> dict:
    return next(c for c in doc["claims"] if c["id"] == cid)["data"]


def _points(doc: dict) -> list[dict]:
    return [c["data"] for c in doc["claims"] if c["id"].startswith("pointwise:")]


def _check(doc: dict):
    """check_certificate after re-rendering the texts when the writer renders them from the data
    (schema version 3: a forgery must be consistent in its text too, or it is refused unread)."""
    try:
        from relu_pointwise.proofs.certificate import render_texts  # type: ignore[attr-defined]
    except ImportError:
        pass
    else:
        render_texts(doc)
    return check_certificate(doc)


class Refusal(dict):
    """The refused checks by claim id; ``malformed`` is the reader's message when the published schema
    refused the file before any mathematics (then every claim reads as failed with that message)."""

    malformed = ""

    def __missing__(self, cid: str) -> ClaimCheck:
        assert self.malformed, cid
        return ClaimCheck(cid, "failed", self.malformed)


def _refused(doc: dict, *claims: str, malformed_ok: bool = False) -> Refusal:
    """The report is not ok and names each of ``claims``; with ``malformed_ok`` a refusal by the
    reader (a field's type or range in the published schema) also counts."""
    out = Refusal()
    try:
        report = _check(doc)
    except CertificateError as exc:
        assert malformed_ok and exc.malformed, str(exc)
        out.malformed = str(exc)
        return out
    assert not report.ok, report.lines()
    out.update({c.id: c for c in report.checks if c.status in ("failed", "undecided")})
    for cid in claims:
        assert cid in out, (cid, report.lines())
    return out


@pytest.mark.parametrize("name", ["interval", "cyclic", "box", "exact_ball", "union", "deep"])
def test_controls_verify(name, request):
    report = check_certificate(request.getfixturevalue(name))
    assert report.ok, report.lines()


# ---------------------------------------------------------------- class 1: step indices

@pytest.mark.parametrize("name", ["interval", "cyclic", "box", "exact_ball", "union", "deep"])
def test_every_point_fitted_from_step_0_is_refused_with_the_reason(name, request):
    """T(x) = 0 at every point: at t = 0, w_0 = 0 < 1/(2|g|), so f(w_0, x) = 1/2 != f°(x) at every
    point off the boundary (refused by the mathematics, whatever else the file says)."""
    doc = copy.deepcopy(request.getfixturevalue(name))
    for d in _points(doc):
        d.update(T_lo="0", T_hi="0")
        if "T_bound_proved" in d:
            d["T_bound_proved"] = "0"
    bad = _refused(doc)
    off = [c["id"] for c in doc["claims"] if c["id"].startswith("pointwise:") and c["data"]["g"] != "0"]
    assert off
    for cid in off:
        assert bad[cid].status == "failed" and "f(w_0, x) = 1/2 != f°(x)" in bad[cid].reason, bad[cid]


@pytest.mark.parametrize("name", ["interval", "cyclic"])
def test_a_rate_anchored_at_step_minus_1_is_refused(name, request):
    """The issue's door: t0 = -1 read the enclosed path's last element; a step index is >= 0."""
    doc = copy.deepcopy(request.getfixturevalue(name))
    _data(doc, "rate")["t0"] = "-1"
    bad = _refused(doc, "rate", malformed_ok=True)
    assert bad.malformed or "step index" in bad["rate"].reason


@pytest.mark.parametrize("field", ["t_star_bound", "t_star"])
def test_negative_entry_steps_are_refused(interval, field):
    doc = copy.deepcopy(interval)
    _data(doc, "entry")[field] = "-1"
    assert _refused(doc, "entry", malformed_ok=True)["entry"].status == "failed"


def test_enclosure_refuses_negative_steps(interval):
    from relu_pointwise.proofs.check.base import Fail

    ck = Checker(read_certificate(interval))
    with pytest.raises(Fail):
        ck.enclosure(-1)


def test_t_lo_one_step_too_late_and_t_hi_one_step_too_early_fail(interval):
    doc = copy.deepcopy(interval)
    d = next(d for d in _points(doc) if d["T_lo"] == d["T_hi"] and d["T_lo"] != "0")
    T = int(d["T_lo"])
    d.update(T_lo=str(T + 1), T_hi=str(T + 1))
    cid = next(c["id"] for c in doc["claims"] if c["data"] is d)
    assert _refused(doc, cid)[cid].status == "failed"
    doc = copy.deepcopy(interval)
    d = next(c["data"] for c in doc["claims"] if c["id"] == cid)
    d.update(T_lo=str(T - 1), T_hi=str(T - 1))
    d.pop("T_bound_proved", None)
    assert _refused(doc, cid)[cid].status == "failed"


# ---------------------------------------------------------------- class 2: ids and data

def test_every_claim_carrying_the_data_of_one_point_is_refused(interval):
    doc = copy.deepcopy(interval)
    zero = copy.deepcopy(_data(doc, "pointwise:x=0"))
    for c in doc["claims"]:
        if c["id"].startswith("pointwise:"):
            c["data"] = copy.deepcopy(zero)
    bad = _refused(doc, "pointwise:x=-1", "pointwise:x=1/2", malformed_ok=True)
    assert bad.malformed or "names" in bad["pointwise:x=-1"].reason


# ---------------------------------------------------------------- class 3: forms by batch kind

def test_full_batch_forms_inside_a_cyclic_certificate_are_refused(cyclic, interval):
    doc = copy.deepcopy(cyclic)
    for cid in ("entry", "rate"):
        next(c for c in doc["claims"] if c["id"] == cid)["data"] = copy.deepcopy(_data(interval, cid))
    _refused(doc, "entry", "rate", malformed_ok=True)


def test_cyclic_claims_inside_a_full_batch_certificate_are_refused(cyclic, interval):
    doc = copy.deepcopy(interval)
    doc["claims"].insert(4, copy.deepcopy(next(c for c in cyclic["claims"] if c["id"] == "cyclic_growth")))
    doc["rests_on"] = [c["id"] for c in doc["claims"]]
    assert "cyclic_growth" in _refused(doc, "claims", malformed_ok=True)["claims"].reason


def test_cyclic_period_0_is_one_line(cyclic):
    doc = copy.deepcopy(cyclic)
    _data(doc, "rate")["period"] = "0"
    assert "period" in _refused(doc, "rate", malformed_ok=True)["rate"].reason


# ---------------------------------------------------------------- class 4: the network

def _scaled(doc: dict, k: int) -> dict:
    """The network computing k g, every dependent number recomputed (g, 1/(2|g|))."""
    from fractions import Fraction

    doc = copy.deepcopy(doc)
    net = _data(doc, "construction")["network"]
    net["readout"] = [str(Fraction(v) * k) for v in net["readout"]]
    net["readout_bias"] = str(Fraction(net["readout_bias"]) * k)
    for d in _points(doc):
        g = Fraction(d["g"]) * k
        d["g"] = str(g)
        if g:
            d["threshold"] = str(1 / (2 * abs(g)))
    return doc


def test_a_network_computing_100_g_is_refused(interval):
    bad = _refused(_scaled(interval, 100), "construction")
    assert "symbolic.network builds" in bad["construction"].reason


def test_the_construction_claims_g_equals_the_level_function(interval):
    """Were the builder wrong (its network computing 2 g), the weights would match it, but g would
    not be the level function: the construction check evaluates both, at every cell vertex."""
    import dataclasses

    from relu_pointwise.proofs.check.base import Fail

    ck = Checker(read_certificate(interval))
    ck.net = dataclasses.replace(ck.net, readout=tuple(2 * v for v in ck.net.readout))
    with pytest.raises(Fail, match="level function"):
        ck.level_mismatch(ck.cert.points[0])      # x = -1, g = -1/2


# ---------------------------------------------------------------- class 5: T bounds

@pytest.mark.parametrize("T_lo, T_hi, status", [("0", "-1", "failed"), ("3", "2", "failed"),
                                                 ("0", "unknown", "undecided"), ("0", "x", None)])
def test_t_bounds_that_contradict_themselves(interval, T_lo, T_hi, status):
    doc = copy.deepcopy(interval)
    _data(doc, "pointwise:x=1/2").update(T_lo=T_lo, T_hi=T_hi)
    if status is None:           # not a number: malformed
        from relu_pointwise.symbolic.errors import CertificateError

        with pytest.raises(CertificateError):
            check_certificate(doc)
        return
    assert _refused(doc, "pointwise:x=1/2", malformed_ok=True)["pointwise:x=1/2"].status in (status, "failed")


# ---------------------------------------------------------------- class 6: points

def test_a_claim_for_a_point_never_requested_is_refused(interval):
    doc = copy.deepcopy(interval)
    c = copy.deepcopy(next(c for c in doc["claims"] if c["id"] == "pointwise:x=1"))
    c["id"] = "pointwise:x=2"
    c["data"]["x"] = ["2"]
    doc["claims"].append(c)
    doc["rests_on"].append(c["id"])
    assert "pointwise:x=2" in _refused(doc, "claims", malformed_ok=True)["claims"].reason


def test_the_same_point_under_two_ids_is_refused(interval):
    doc = copy.deepcopy(interval)
    c = copy.deepcopy(next(c for c in doc["claims"] if c["id"] == "pointwise:x=1"))
    c["id"] = "pointwise:x=2/2"
    doc["claims"].append(c)
    doc["rests_on"].append(c["id"])
    _refused(doc, "claims", malformed_ok=True)


def test_a_missing_point_and_a_reordered_list_are_refused(interval):
    doc = copy.deepcopy(interval)
    doc["claims"] = [c for c in doc["claims"] if c["id"] != "pointwise:x=0"]
    doc["rests_on"] = [c["id"] for c in doc["claims"]]
    assert "missing" in _refused(doc, "claims", "verdict")["claims"].reason
    doc = copy.deepcopy(interval)
    doc["claims"][1], doc["claims"][2] = doc["claims"][2], doc["claims"][1]
    assert "order" in _refused(doc, "claims")["claims"].reason


# ---------------------------------------------------------------- class 8: unchecked content

@pytest.mark.parametrize("cid", ["construction", "monotonicity", "asymptotic", "growth", "entry", "rate",
                                 "pointwise:x=0"])
def test_a_field_the_checker_does_not_check_is_refused(interval, cid):
    doc = copy.deepcopy(interval)
    _data(doc, cid)["regions"] = "3"
    bad = _refused(doc, cid, malformed_ok=True)
    assert bad.malformed or "does not check" in bad[cid].reason


def test_a_non_numeric_count_is_refused(interval):
    doc = copy.deepcopy(interval)
    _data(doc, "construction")["points_checked"] = "many"
    _refused(doc, "construction", malformed_ok=True)


def test_an_emptied_or_shortened_deep_ball_table_is_refused():
    from relu_pointwise.proofs.check.base import Fail

    cert = _cert("ball:d=2,R=1/2,N=2", points=[["0", "0"], ["1/4", "1/4"], ["3/4", "0"], ["3/10", "2/5"]],
                 steps=50)
    ck = Checker(read_certificate(cert))
    good = _data(cert, "deep_ball_depth")
    assert "checked exactly" in ck.deep_ball_depth(good)
    for edit in (lambda d: d.update(table=[]), lambda d: d["table"].pop(),
                 lambda d: d["table"][1].update(N="1"), lambda d: d["table"][1].update(N_exact="3"),
                 lambda d: d["table"][0].update(note="x")):
        d = copy.deepcopy(good)
        edit(d)
        with pytest.raises(Fail):
            ck.deep_ball_depth(d)


# ---------------------------------------------------------------- the verdict

def test_the_verdict_and_rests_on_are_the_checkers(interval):
    doc = copy.deepcopy(interval)
    doc["verdict"] = "not certified"
    _refused(doc, "verdict")
    doc = copy.deepcopy(interval)
    doc["rests_on"] = doc["rests_on"][:-1]
    _refused(doc, "rests_on")
    doc = copy.deepcopy(interval)
    next(c for c in doc["claims"] if c["id"] == "growth")["status"] = "numerical"
    _refused(doc, "verdict")


def test_failed_only_when_refuted(interval):
    """A bound tighter than the entry argument gives is accepted when true (t* itself, shown on the
    checker's enclosure) and failed only when the enclosure refutes it (one step less)."""
    t = _data(interval, "entry")["t_star"]
    doc = copy.deepcopy(interval)
    _data(doc, "entry")["t_star_bound"] = t
    assert _check(doc).ok
    _data(doc, "entry")["t_star_bound"] = str(int(t) - 1)
    assert _refused(doc, "entry")["entry"].status == "failed"


def test_a_listed_file_that_is_absent_is_refused(tmp_path):
    """A plot in the files manifest that is not beside the certificate is undecided; an in-memory
    certificate with a manifest leaves its files unchecked (not ok)."""
    from relu_pointwise.cli import main

    assert main(["certify", "--out", str(tmp_path), "--points", "1/4", "--steps", "100"]) == 0
    doc = json.loads((tmp_path / "certificate.json").read_text())
    assert check_certificate(tmp_path / "certificate.json").ok
    (tmp_path / "loss.png").unlink()
    _refused_file = check_certificate(tmp_path / "certificate.json")
    assert not _refused_file.ok
    assert next(c for c in _refused_file.checks if c.id == "files:loss.png").status == "undecided"
    report = check_certificate(doc)
    assert not report.ok and {c.status for c in report.checks if c.id.startswith("files:")} == {"undecided"}


def test_an_asymptotic_form_agreeing_at_the_old_sample_points_is_refused(interval):
    """L = 1/(12w) + prod_i (w - w_i) / (1000 w^9) agrees with the true L at the seven points the
    checker used to sample (w* = 1, 17/16, 3/2, 11/6, 3, 22/3, 101) and is wrong elsewhere; the
    checker samples each piece between its knots at more points than the degree allows."""
    doc = copy.deepcopy(interval)
    import sympy

    from relu_pointwise.symbolic.exprio import to_text

    w = sympy.Symbol("w", positive=True)
    roots = [sympy.Rational(r) for r in ("1", "17/16", "3/2", "11/6", "3", "22/3", "101")]
    form = to_text(1 / (12 * w) + sympy.Mul(*(w - r for r in roots)) / (1000 * w ** 9))   # canonical text
    d = _data(doc, "asymptotic")
    d["L_asymptotic"] = form
    d.pop("coeffs")
    d.pop("C")
    assert _refused(doc, "asymptotic")["asymptotic"].status == "failed"


def test_cyclic_1_is_checked_in_the_cyclic_form():
    """cyclic:1 is a cyclic certificate (dispatch by batch kind, not by K > 1): it verifies, and
    its rate names period 1."""
    cert = _cert("interval:-1/2,1/2", "cyclic:1", grid=3, steps=100)
    assert _data(cert, "rate")["period"] == "1" and "c" not in _data(cert, "rate")
    assert check_certificate(cert).ok


def test_a_slab_constant_below_the_slabs_regime_is_decided_exactly():
    """interval (-1/4, 3/4), cyclic:2: slab [0, 1] claims -L_1'(w) >= (1/12)/w^2 from w*_1 = 1, while the
    checker's 1/w regime of that slab starts at W = 2 (its cells end at |g| = 1/4). On [1, 2] the density
    of |g| on the slab is 2 on (0, 1/2), so -w^2 L_1'(w) = 1/12 exactly: true, and accepted (decided
    piece by piece); raising c_1 to 1/11 is refuted (a value below it is computed)."""
    cert = _cert("interval:-1/4,3/4", "cyclic:2", grid=3, steps=100)
    assert check_certificate(cert).ok
    doc = copy.deepcopy(cert)
    slab = _data(doc, "cyclic_growth")["slabs"][1]
    assert (slab["w_star"], slab["c"]) == ("1", "1/12")
    slab["c"] = "1/11"
    assert _refused(doc, "cyclic_growth")["cyclic_growth"].status == "failed"


def test_a_certificate_that_claims_nothing_does_not_verify(interval):
    """Every claim marked failed, verdict "not certified", rests_on consistent: nothing is false, but
    nothing is established either; exit 0 needs every field checked, so the verdict is undecided."""
    doc = copy.deepcopy(interval)
    for c in doc["claims"]:
        c["status"] = "failed"
    doc["verdict"] = "not certified"
    report = _check(doc)
    assert not report.ok
    assert next(c for c in report.checks if c.id == "verdict").status == "undecided"


def test_an_exact_ball_form_agreeing_at_sample_points_is_refused(exact_ball):
    """Exact ball d = 2: pi/(48 w) + prod_i (w - w_i)/(10^8 w^8) equals L at the w_i only; the checker
    compares with its own closed form of the radial integral as an identity, so a sample point where
    they differ refutes it."""
    import sympy

    from relu_pointwise.symbolic.exprio import to_text

    doc = copy.deepcopy(exact_ball)
    d = _data(doc, "asymptotic")
    w = sympy.Symbol("w", positive=True)
    roots = [sympy.Rational(5, 2), 4, 7]
    d["L_asymptotic"] = to_text(sympy.pi / (48 * w) + sympy.Mul(*(w - r for r in roots)) / (10 ** 8 * w ** 8))
    d.pop("coeffs", None)
    d.pop("C", None)
    assert _refused(doc, "asymptotic")["asymptotic"].status == "failed"


@pytest.mark.parametrize("name", ["exact_ball", "r_three_halves"])
def test_an_irrational_constant_off_by_2_to_the_minus_400_is_not_accepted(name, request):
    """Overlapping Arb balls never decide equality: C' = C + 2^-400 is not accepted (undecided:
    below the checker's precision it is not refuted either)."""
    doc = copy.deepcopy(request.getfixturevalue(name))
    d = _data(doc, "asymptotic")
    d["C"] = d["C"] + " + 1/2**400" if "C" in d else None
    if d["C"] is None:
        d.pop("C")
        d["L_asymptotic"] = "(" + d["L_asymptotic"] + ") + 1/(2**400*w)"
    from relu_pointwise.proofs.check.read import expr
    from relu_pointwise.symbolic.exprio import to_text

    for k in ("C", "L_asymptotic"):
        if k in d:
            d[k] = to_text(expr(d[k], k))
    _refused(doc, "asymptotic", malformed_ok=True)


@pytest.fixture(scope="module")
def r_three_halves() -> dict:
    from relu_pointwise.proofs.certificate import certify
    from relu_pointwise.symbolic.spec import make_spec, make_training

    return certify(make_spec("interval:-1/2,1/2", r="3/2"), make_training(), grid=3, steps=100)


def test_non_integer_r_and_the_exact_ball_verify_exactly(r_three_halves, exact_ball):
    """The controls of the test above: equal irrational values are decided equal exactly."""
    for cert in (r_three_halves, exact_ball):
        report = check_certificate(cert)
        assert report.ok, report.lines()


def test_a_non_integer_r_form_agreeing_at_the_old_sample_points_is_refused(r_three_halves):
    """r = 3/2: L = sqrt(2)/(10 w) on w >= 1; adding prod_i (w - w_i)/(10^8 w^8) over the seven old
    sample points keeps agreement there only. The checker's exact L (radicals) at more points than the
    degree refutes it."""
    import sympy

    from relu_pointwise.symbolic.exprio import to_text

    doc = copy.deepcopy(r_three_halves)
    d = _data(doc, "asymptotic")
    w = sympy.Symbol("w", positive=True)
    roots = [sympy.Rational(r) for r in ("1", "17/16", "3/2", "11/6", "3", "22/3", "101")]
    d["L_asymptotic"] = to_text(sympy.sqrt(2) / (10 * w) + sympy.Mul(*(w - r for r in roots)) / (10 ** 8 * w ** 8))
    d.pop("coeffs", None)
    d.pop("C", None)
    assert _refused(doc, "asymptotic")["asymptotic"].status == "failed"
