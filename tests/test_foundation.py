"""Foundation: exact numbers, the target grammar, the network, regions and L(w)."""
from __future__ import annotations

import pytest
import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from relu_pointwise.symbolic.errors import InputError
from relu_pointwise.symbolic.loss import derive, w
from relu_pointwise.symbolic.numbers import parse_number
from relu_pointwise.symbolic.spec import make_spec
from relu_pointwise.symbolic.targets import level_value

Q = sympy.Rational


def test_numbers_are_exact():
    assert parse_number("0.1", "x") == Q(1, 10)
    assert parse_number("-7/3", "x") == Q(-7, 3)
    assert parse_number(".5", "x") == Q(1, 2)
    for bad in ("1e3", "1/0", "", "pi", "1/2/3", "0x10", "__import__('os')"):
        with pytest.raises(InputError):
            parse_number(bad, "x")


rationals = st.fractions(min_value=-1, max_value=1, max_denominator=64).map(lambda f: Q(f.numerator, f.denominator))

TARGETS = [
    "interval:-1/2,1/2", "union:-0.9,-0.5;0,0.25;0.5,0.75", "box:-1/2,1/2;-1/4,3/4",
    "polytope:1,1,1/2;-1,0,1/2;0,-1,1/2", "ball:d=2,R=1/2", "ball:d=2,R=3/4,N=3",
    "(box:-1/2,1/2;-1/2,1/2 | ball:d=2,R=3/4,N=2) & halfspace:1,1,1/3",
    "ball:d=3,R=1/2,N=2",
]


@pytest.mark.parametrize("text", TARGETS)
@settings(max_examples=60)
@given(data=st.data())
def test_network_computes_the_level_function(text, data):
    """The layered network's g equals the tree's g exactly, everywhere we look."""
    spec = make_spec(text)
    x = [data.draw(rationals) for _ in range(spec.dim)]
    assert spec.network.level(x) == level_value(spec.target.level, x)


@settings(max_examples=40)
@given(x=rationals, wv=st.fractions(min_value=0, max_value=50, max_denominator=16))
def test_head_is_clamp(x, wv):
    """f(w, x) = sigma(w g + 1/2) - sigma(w g - 1/2) = clamp(w g + 1/2, 0, 1)."""
    net = make_spec("interval:-1/2,1/2").network
    wq = Q(wv.numerator, wv.denominator)
    g = net.level([x])
    assert net.output(wq, [x]) == min(1, max(0, wq * g + Q(1, 2)))


@pytest.mark.parametrize("text", ["interval:-1/2,1/2", "union:-0.9,-0.5;0,0.25;0.5,0.75",
                                  "box:-1/2,1/2;-1/4,3/4", "polytope:1,1,1/2;-1,0,1/2;0,-1,1/2"])
def test_regions_partition_the_domain(text):
    """Cell volumes sum to vol(Omega); g is affine on each cell as the network computes it."""
    spec = make_spec(text)
    d = derive(spec)
    total = sum(Q(int(c.poly.volume().numerator), int(c.poly.volume().denominator)) for c in d.cells)
    assert total == spec.domain.volume
    for c in d.cells:
        p = [Q(int(v.numerator), int(v.denominator)) for v in c.poly.interior_point()]
        assert c.g_at(p) == spec.network.level(p)
    assert d.abs_density.mass() * (1 if spec.measure == "probability" else 1) == 1


def test_interval_reference_loss():
    """interval (-1/2, 1/2) in [-1, 1], r = 2, probability measure (density 1/2).

    g = min(x + 1/2, 1/2 - x); |g| takes each value u in [0, 1/2] at four points,
    each with |g'| = 1, so rho_|g| = 4 * 1/2 = 2 on (0, 1/2).  With h = 1/(2w):
    for w >= 1 (h <= 1/2): L = 2 * int_0^h (1/2 - w u)^2 du = 2 (1/2)^3 / (3w) = 1/(12 w);
    for w <= 1: L = 2 * int_0^(1/2) (1/2 - w u)^2 du = (1 - (1 - w)^3) / (12 w)
              = 1/4 - w/4 + w^2/12.
    """
    d = derive(make_spec("interval:-1/2,1/2"))
    assert d.w_star == 1
    assert sympy.simplify(d.asymptotic - 1 / (12 * w)) == 0
    assert sympy.simplify(d.pieces[0].expr - (Q(1, 4) - w / 4 + w ** 2 / 12)) == 0
    assert d.loss(3) == Q(1, 36)
    assert d.leading_constant == Q(1, 12)


@settings(max_examples=25)
@given(a=st.fractions(-1, 1, max_denominator=8), length=st.fractions(1 / 8, 1, max_denominator=8),
       r=st.sampled_from(["1", "2", "3"]))
def test_asymptotic_constant_matches_band_formula(a, length, r):
    """For an interval whose both ends are inside (-1, 1): rho_|g|(0+) = 2 * 2 * (1/2) = 2,
    so C = (rho(0+) + rho(0-))/2 * 2^-r/(r+1) = 2^-r/(r+1)."""
    b = a + length
    assume(-1 < a and b < 1)
    d = derive(make_spec(f"interval:{a},{b}", r=r))
    rq = Q(r)
    assert d.leading_constant == Q(2) ** (-rq) / (rq + 1)


def test_head_error_check_reads_the_head():
    """The error formula (1/2 - w|g|)_+ holds for the constructed head and is caught
    failing for a head with another bias or output weight."""
    import dataclasses

    from relu_pointwise.symbolic.loss import head_error_check

    net = make_spec("interval:-1/2,1/2").network
    assert head_error_check(net)
    assert not head_error_check(dataclasses.replace(net, head_bias=(Q(1, 2), Q(-1, 3))))
    assert not head_error_check(dataclasses.replace(net, head_out=(Q(1), Q(-2))))
