"""The deep ball (Yarotsky's q_N) and the N -> infinity claim (proofs.deep).

q_N is read off the network itself: the 1-D deep-ball network computes
g(u) = R^2 - q_N(|u|), so q_N(u) = R^2 - g(u) (R^2 = the target's, q_N(0) = 0).
"""
from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from relu_pointwise.proofs.deep import chord, chord_identities, depth_claim, depth_of, verify_chord_form
from relu_pointwise.symbolic.errors import InputError
from relu_pointwise.symbolic.network import build_network
from relu_pointwise.symbolic.regions import linear_regions
from relu_pointwise.symbolic.spec import make_spec
from relu_pointwise.symbolic.targets import DeepBall, Domain, q_deep

Q = sympy.Rational
HSET = settings(max_examples=40)
R2 = Q(1, 4)


def q_net(N: int):
    """q_N(u) = R^2 - g(u) from the 1-D deep-ball network (exact)."""
    net = build_network(DeepBall(R2, 1, N), 1)
    return lambda u: R2 - net.level([Q(u)])


# ------------------------------------------------------------------ q_N

@pytest.mark.parametrize("N", range(1, 7))
def test_qN_interpolates_at_grid_with_max_gap_at_midpoints(N):
    """q_N(k/2^N) = (k/2^N)^2 and, at the midpoints, q_N - u^2 = (delta/2)^2 = 4^(-N-1)."""
    q = q_net(N)
    n = 2 ** N
    for k in range(n + 1):
        assert q(Q(k, n)) == Q(k, n) ** 2
    for k in range(n):
        m = Q(2 * k + 1, 2 * n)
        assert q(m) - m ** 2 == Q(1, 4 ** (N + 1))


@HSET
@given(st.integers(1, 8), st.fractions(min_value=0, max_value=1, max_denominator=10 ** 6))
def test_qN_bound_and_chord_form(N, u):
    u = Q(u.numerator, u.denominator)
    q = q_net(N)(u)
    assert 0 <= q - u ** 2 <= Q(1, 4 ** (N + 1))
    assert q == chord(u, N) == q_deep(u, N)
    assert q_net(N + 1)(u) <= q                 # monotone in N (A_N increases)


def test_chord_identities():
    ids = chord_identities()
    assert len(ids) == 5 and all(ids.values())


@pytest.mark.parametrize("N", range(1, 7))
def test_integral_of_qN(N):
    """integral_0^1 q_N(u) du = 1/3 + 1/(6 * 4^N).

    On each grid interval [a, b], b - a = delta = 2^-N, q_N - u^2 = (u - a)(b - u) and
    integral_a^b (u - a)(b - u) du = delta^3/6 (substitute u = a + delta v:
    delta^3 integral_0^1 v(1 - v) dv = delta^3/6).  Summing over the 2^N intervals gives
    2^N delta^3/6 = delta^2/6 = 1/(6 * 4^N), plus integral_0^1 u^2 = 1/3.
    Computed here from the network: q_N is affine on each of its linear regions, so the
    trapezoid rule on the regions is exact.
    """
    net = build_network(DeepBall(R2, 1, N), 1)
    total = Q(0)
    for cell in linear_regions(net, Domain((Q(0),), (Q(1),))):
        a, b = cell.interval()
        total += (b - a) * ((R2 - cell.g_at([a])) + (R2 - cell.g_at([b]))) / 2
    assert total == Q(1, 3) + Q(1, 6 * 4 ** N)


# ------------------------------------------------------------------ A_N inclusions

@HSET
@given(st.integers(2, 3), st.integers(1, 5),
       st.lists(st.fractions(min_value=-1, max_value=1, max_denominator=50), min_size=3, max_size=3))
def test_AN_between_balls(d, N, xs):
    """R^2 - |x|^2 - d 4^(-N-1) <= g_N(x) <= R^2 - |x|^2, on the network: so A_N lies in
    the ball and contains {|x|^2 < R^2 - d 4^(-N-1)}."""
    x = [Q(v.numerator, v.denominator) for v in xs[:d]]
    net = build_network(DeepBall(R2, d, N), d)
    g = net.level(x)
    n2 = sum((v * v for v in x), Q(0))
    assert R2 - n2 - d * Q(1, 4 ** (N + 1)) <= g <= R2 - n2
    if g > 0:
        assert n2 < R2
    if n2 < R2 - d * Q(1, 4 ** (N + 1)):
        assert g > 0


@pytest.mark.parametrize("target", ["ball:d=2,R=1/2,N=1", "ball:d=2,R=1/2,N=3", "ball:d=3,R=3/5,N=2"])
def test_chord_form_on_every_region(target):
    res = verify_chord_form(make_spec(target))
    assert res["ok"] and res["pieces"] >= res["regions"] > 0


@pytest.mark.parametrize("wrong_N", [1, 3])
def test_chord_form_check_can_fail(wrong_N):
    """A network one level shallower (coarser cells, split by the grid) or deeper than the
    target says does not have the chord form of N = 2."""
    spec = make_spec("ball:d=2,R=1/2,N=2")
    spec.__dict__["network"] = build_network(DeepBall(R2, 2, wrong_N), 2)   # the cached_property slot
    res = verify_chord_form(spec)
    assert not res["ok"] and "counterexample" in res
    if wrong_N == 1:   # the regions are the N = 1 boxes; x_i = +-3/4 exists only after the grid split
        assert res["regions"] == 16
        assert any(c in ("3/4", "-3/4") for c in res["counterexample"])


# ------------------------------------------------------------------ N(x) table

def test_depth_pins():
    """R = 1/2, d = 2.  x = (1/4, 1/4): R^2 - |x|^2 = 1/8; 2 * 4^(-N-1) < 1/8 iff 4^(N+1) > 16
    iff N >= 2, so N(x) = 2 (and at N = 1, g_1 = 1/4 - 2 * (1/2)(1/4) = 0: not yet).
    x = 0: 2 * 4^-2 = 1/8 < 1/4, N(x) = 1.  |x| > R: N(x) = 1.  On the sphere: None."""
    assert depth_of([Q(1, 4), Q(1, 4)], R2, 2) == 2
    assert depth_of([Q(0), Q(0)], R2, 2) == 1
    assert depth_of([Q(1, 2), Q(1, 2)], R2, 2) == 1
    assert depth_of([Q(3, 10), Q(2, 5)], R2, 2) is None


def test_depth_claim_table_against_network():
    spec = make_spec("ball:d=2,R=1/2,N=3")
    pts = [["0", "0"], ["1/4", "1/4"], ["0.49", "0"], ["3/10", "2/5"], ["0.7", "-0.1"],
           ["0.3", "0.39"], [Fraction(-1, 3), Fraction(1, 3)], [Q(1, 2), Q(0)]]
    c = depth_claim(spec, pts)
    assert c["status"] == "proved" and c["chord_form"]["ok"]
    assert c["inner_radius2_at_N"] == "31/128"          # 1/4 - 2 * 4^-4
    rows = {tuple(r["x"]): r for r in c["table"]}
    assert rows[("1/4", "1/4")]["N"] == 2 and rows[("1/4", "1/4")]["N_exact"] == 2
    assert rows[("3/10", "2/5")]["side"] == "sphere" and rows[("3/10", "2/5")]["N"] is None
    assert rows[("1/2", "0")]["side"] == "sphere"
    for r in c["table"]:
        if r["N"] is None:
            continue
        assert r["N_exact"] <= r["N"]
        for chk in r["network_checks"]:
            assert chk["ok"]
            assert chk["equals_ball_target"] == (chk["depth"] >= r["N_exact"])


@settings(max_examples=25)
@given(st.lists(st.fractions(min_value=-1, max_value=1, max_denominator=40), min_size=2, max_size=2))
def test_depth_from_which_network_agrees(xs):
    """For random x off the sphere, the network at every depth N(x) .. N(x) + 2 gives the
    ball's indicator, and N_exact is the first depth from which it does."""
    x = [Q(v.numerator, v.denominator) for v in xs]
    n2 = sum((v * v for v in x), Q(0))
    assume(n2 != R2)
    c = depth_claim(make_spec("ball:d=2,R=1/2,N=1"), [x])
    (row,) = c["table"]
    assert c["status"] == "proved"
    ball = 1 if n2 < R2 else 0
    for N in range(1, row["N"] + 3):
        g = build_network(DeepBall(R2, 2, N), 2).level(x)
        agrees = (g > 0) == (ball == 1) and g != 0
        assert agrees == (N >= row["N_exact"])


@pytest.mark.parametrize("target,points,msg", [
    ("ball:d=2,R=1/2", [["0", "0"]], "deep-ball target"),
    ("box:-1/2,1/2;-1/2,1/2", [["0", "0"]], "deep-ball target"),
    ("ball:d=2,R=1/2,N=2", [["0", "0", "0"]], "expected 2 coordinates"),
    ("ball:d=2,R=1/2,N=2", [["2", "0"]], "outside the domain"),
    ("ball:d=2,R=1/2,N=2", [["1/x", "0"]], "malformed number"),
])
def test_depth_claim_errors(target, points, msg):
    with pytest.raises(InputError, match=msg):
        depth_claim(make_spec(target), points)
