"""The Fourier claim document is re-checked from its inputs; edits are caught, naming the check."""
from __future__ import annotations

import copy
from functools import cache

import pytest

from relu_pointwise.proofs.fourier_check import check_fourier_doc
from relu_pointwise.proofs.fourier_claim import fourier_report
from relu_pointwise.symbolic.errors import InputError
from relu_pointwise.symbolic.spec import make_spec


@cache
def doc(target: str = "ball:d=3,R=1/2", rho_max: int = 24) -> dict:
    return fourier_report(make_spec(target), rho_max=rho_max).doc


@cache
def point_doc() -> dict:
    return fourier_report(make_spec("ball:d=5,R=1/2"), rho_max=10,
                          points=[("1/4", "0", "1/3", "0", "1/5"), ("1/2", "1/2", "0", "0", "1/3")]).doc


def test_a_document_with_points_checks_and_edits_are_caught():
    ok, msgs = check_fourier_doc(point_doc())
    assert ok, msgs
    assert sum("counts by" in m for m in msgs) == 2
    d = copy.deepcopy(point_doc())
    d["point_curves"][1][4] = [d["point_curves"][1][4][0], "5", "6"]
    ok, msgs = check_fourier_doc(d)
    assert not ok and any(m.startswith("FAILED: S_P(x=(1/2,1/2,0,0,1/3))") for m in msgs)
    d = copy.deepcopy(point_doc())
    claim = next(c for c in d["claims"] if c["id"].startswith("fourier_point:x=(1/4"))
    claim["data"]["windows"][-1]["osc"] = "100"
    ok, msgs = check_fourier_doc(d)
    assert not ok and any("FAILED: x=(1/4,0,1/3,0,1/5): the dyadic windows" in m for m in msgs)


@pytest.mark.parametrize("target", ["ball:d=3,R=1/2", "ball:d=2,R=1/3"])
def test_an_honest_document_checks(target):
    ok, msgs = check_fourier_doc(doc(target))
    assert ok, msgs
    assert any("recomputed by" in m for m in msgs)


def test_a_moved_radius_is_caught():
    d = copy.deepcopy(doc())
    c = d["claims"][0]["data"]
    c["above"], c["below"] = c["above"][:-1], c["below"] + c["above"][-1:]
    ok, msgs = check_fourier_doc(d)
    assert not ok and any(m.startswith("FAILED: centre: the set 'above'") for m in msgs)


def test_an_edited_enclosure_is_caught_by_the_recomputation():
    d = copy.deepcopy(doc())
    P, lo, hi = d["curve"][5]
    d["curve"][5] = [P, "2", "3"]          # consistent wording is not enough: the numbers are recomputed
    ok, msgs = check_fourier_doc(d)
    assert not ok and any("recomputed" in m and m.startswith("FAILED") for m in msgs)


def test_malformed_documents_are_one_line_input_errors():
    for bad in ({}, {"schema": "x"}, {**doc(), "curve": "no"}, {**doc(), "inputs": {**doc()["inputs"], "prec": "1e9"}}):
        with pytest.raises(InputError):
            check_fourier_doc(bad)
