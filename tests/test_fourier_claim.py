"""The Fourier claim says exactly what the enclosures show; the network side comes from the certificate."""
from __future__ import annotations

import re
from functools import cache

import pytest
import sympy
from gmpy2 import mpq
from hypothesis import given, settings
from hypothesis import strategies as st

from relu_pointwise.proofs.fourier_claim import _ranges, centre_claim, fourier_report
from relu_pointwise.symbolic.errors import InputError
from relu_pointwise.symbolic.spec import make_spec

Q = sympy.Rational


@cache
def report(target: str = "ball:d=3,R=1/2", rho_max: int = 40):
    return fourier_report(make_spec(target), rho_max=rho_max)


def parse_ranges(text: str) -> list[int]:
    body = text.strip("{}")
    out: list[int] = []
    for part in filter(None, (p.strip() for p in body.split(","))):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b or a) + 1))
    return out


def test_ranges_round_trip():
    assert _ranges([1, 2, 3, 7, 9, 10]) == "{1-3, 7, 9-10}"
    assert parse_ranges(_ranges([1, 2, 3, 7, 9, 10])) == [1, 2, 3, 7, 9, 10]
    assert _ranges([]) == "{}"


@settings(max_examples=20)
@given(num=st.integers(1, 80), den=st.integers(1, 100))
def test_claim_wording_follows_the_enclosures(num, den):
    """For any delta: every P the statement lists above f°(0)+delta has a ball whose lower end
    exceeds 1 + delta, every P below has upper end < 1 - delta, every P within lies inside
    [1 - delta, 1 + delta]; the sets partition 1..P_max; the stated M is below |S_P*(0)|."""
    delta = Q(num, den)
    rep = report()
    c = centre_claim(rep.curve, delta)
    curve = {int(p.p): (lo, hi) for p, lo, hi in
             ((p, *map(mpq, _bounds(v))) for p, v in rep.curve.pairs()) if p.q == 1}
    dq = mpq(num, den)
    sets = {}
    for key, pattern in (("above", r"S_P\(0\) > f°\(0\) \+ delta = \S+ at P in (\{[^}]*\})"),
                         ("below", r"S_P\(0\) < f°\(0\) - delta = \S+ at P in (\{[^}]*\})"),
                         ("within", r"\|S_P\(0\) - f°\(0\)\| <= delta = \S+ at P in (\{[^}]*\})")):
        m = re.search(pattern, c.statement)
        assert m, (key, c.statement)
        sets[key] = parse_ranges(m.group(1))
        assert sets[key] == [int(p) for p in c.data[key]]
    for P in sets["above"]:
        assert curve[P][0] > 1 + dq
    for P in sets["below"]:
        assert curve[P][1] < 1 - dq
    for P in sets["within"]:
        assert 1 - dq <= curve[P][0] and curve[P][1] <= 1 + dq
    undecided = [int(p) for p in c.data["undecided"]]
    assert sorted(sets["above"] + sets["below"] + sets["within"] + undecided) == list(range(1, 41))
    if c.data["M"] != "none":
        M = mpq(c.data["M"])
        lo, hi = curve[int(c.data["P_star"])]
        assert M < max(lo, -hi)
    assert "nothing is claimed for P > 40" in c.statement


def _bounds(v):
    from relu_pointwise.numeric.arb_balls import ball_bounds

    return ball_bounds(v)


def test_d3_half_radius_pattern_pinned():
    """d = 3, R = 1/2, delta = 1/10, P <= 40: S_P(0) cycles with P mod 4 (U = pi P / 2 in the
    integral's (2/pi)(Si U - sin U) term): below at P = 1 mod 4, above at P = 3 mod 4 and at
    P = 2, 6; within delta at the other even P.  Read off the enclosures (this test pins it)."""
    c = report().doc["claims"][0]
    assert c["id"] == "fourier_centre" and c["status"] == "enclosed"
    assert [int(p) for p in c["data"]["below"]] == list(range(1, 41, 4))
    assert [int(p) for p in c["data"]["above"]] == [2, 3, 6, 7] + list(range(11, 41, 4))


def test_network_side_is_the_certificates_T0():
    """The centre: g(0) = R^2 = 1/4, threshold 1/(2 g) = 2 = w*; the certificate's proved
    bound T(0) <= 257 (entry bound, eta = 1, w0 = 0)."""
    doc = report().doc
    net = [c for c in doc["claims"] if c["id"] == "network_centre"]
    assert len(net) == 1
    assert net[0]["status"] in ("proved", "enclosed")
    assert net[0]["data"]["threshold"] == "2"
    assert int(net[0]["data"]["T_hi"]) >= int(net[0]["data"]["T_lo"]) >= 1


def test_non_ball_targets_and_bad_arguments_are_refused():
    with pytest.raises(InputError) as e:
        fourier_report(make_spec("interval:-1/2,1/2"), rho=5)
    assert e.value.field == "target"
    with pytest.raises(InputError) as e:
        fourier_report(make_spec("ball:d=2,R=1/2,N=2"), rho=5)
    assert e.value.field == "target"
    with pytest.raises(InputError) as e:
        fourier_report(make_spec("ball:d=2,R=1/2"), rho=5, rho_max=6)
    assert e.value.field == "rho"
    with pytest.raises(InputError) as e:
        fourier_report(make_spec("ball:d=2,R=1/2"), rho_max=0)
    assert e.value.field == "rho_max"
    with pytest.raises(InputError) as e:
        fourier_report(make_spec("ball:d=2,R=1/2"), rho=5, delta="-1/2")
    assert e.value.field == "delta"


@settings(max_examples=50)
@given(p=st.integers(1, 10 ** 12), q=st.integers(1, 10 ** 12))
def test_stated_M_is_strictly_below_and_close(p, q):
    """M = _below_decimal(x): 0 < x - M <= 2 10^-5 x (six significant digits, strictly below,
    so "|S| > M" follows from |S| >= x)."""
    from relu_pointwise.proofs.fourier_claim import _below_decimal

    x = mpq(p, q)
    M = _below_decimal(x)
    assert M < x and x - M <= 2 * x / 10 ** 5
