"""Spherical partial sums: the enclosures against an independent mpmath lattice sum, and the
three routes (shells at the centre, the x_1 axis, all lattice points) against each other."""
from __future__ import annotations

import itertools
from functools import cache

import mpmath
import pytest
from flint import ctx, fmpq
from hypothesis import given, settings
from hypothesis import strategies as st

from relu_pointwise.numeric.fourier_sums import (
    axis_sums,
    centre_sums,
    integer_radii,
    point_sum,
    point_sums,
    shells_of,
)
from relu_pointwise.symbolic.errors import InputError

R_HALF = fmpq(1, 2)


@cache
def mp_direct_sum(d: int, R: tuple[int, int], P: int, x: tuple = ()) -> mpmath.mpf:
    """sum over EVERY k in Z^d with |k| <= P (no shells, no r_d) of c_k cos(pi k.x), with
    c_0 = pi^(d/2) R^d / (Gamma(d/2 + 1) 2^d) and c_k = 2^-d (2R/|k|)^(d/2) J_{d/2}(pi R |k|)
    from mpmath's Bessel J, at 30 digits."""
    with mpmath.workdps(30):
        Rm = mpmath.mpf(R[0]) / R[1]
        nu = mpmath.mpf(d) / 2
        xs = [mpmath.mpf(a) / b for a, b in x] if x else [mpmath.mpf(0)] * d
        tot = mpmath.mpf(0)
        for k in itertools.product(range(-P, P + 1), repeat=d):
            n = sum(v * v for v in k)
            if n > P * P:
                continue
            if n == 0:
                c = mpmath.pi ** nu * Rm ** d / mpmath.gamma(nu + 1) / 2 ** d
            else:
                rho = mpmath.sqrt(n)
                c = (2 * Rm / rho) ** nu * mpmath.besselj(nu, mpmath.pi * Rm * rho) / 2 ** d
            tot += c * mpmath.cos(mpmath.pi * sum(a * b for a, b in zip(k, xs)))
        return +tot


def within(ball, ref: mpmath.mpf, tol: float = 1e-27) -> bool:
    with mpmath.workdps(40):
        mid = mpmath.mpf(ball.mid().str(45, radius=False))
        rad = mpmath.mpf(ball.rad().str(10, radius=False))
        return abs(mid - ref) <= rad + tol


@pytest.mark.parametrize("d,P", [(1, 9), (2, 6), (3, 4), (4, 3), (5, 2)])
def test_centre_sums_match_an_independent_mpmath_lattice_sum(d, P):
    """S_P(0) at every P' <= P: Arb (128 bits, shells and r_d) against mpmath at 30 digits
    (every lattice point, mpmath's J): agreement to 1e-27."""
    cs = centre_sums(d, R_HALF, integer_radii(P), prec=128)
    for p, v in cs.pairs():
        assert within(v, mp_direct_sum(d, (1, 2), int(p.p))), (d, p, v)
        assert v.rad() < 1e-30


@pytest.mark.parametrize("d", [2, 3])
def test_centre_sums_at_another_radius_both_methods(d):
    """R = 2/5 and the Bessel route (d = 3 also the closed form): same agreement."""
    for method in (["bessel", "closed"] if d % 2 else ["bessel"]):
        cs = centre_sums(d, fmpq(2, 5), [4], prec=128, method=method)
        assert within(cs.values[0], mp_direct_sum(d, (2, 5), 4))


def test_off_centre_point_sum_matches_mpmath():
    """x = (1/3, -1/4) in d = 2, P = 5: the grouped lattice sum against the direct one."""
    x = ((1, 3), (-1, 4))
    v = point_sum(2, R_HALF, [fmpq(1, 3), fmpq(-1, 4)], 5)
    assert within(v, mp_direct_sum(2, (1, 2), 5, x))


@settings(max_examples=15)
@given(d=st.integers(1, 3), P=st.integers(1, 6), j=st.integers(-12, 12), q=st.integers(1, 12))
def test_axis_route_equals_lattice_route(d, P, j, q):
    """On the x_1 axis, sum_{k_1} cos(pi k_1 s) A(k_1) (r_{d-1} columns) and the sum over all
    lattice points are two groupings of one sum: their balls overlap."""
    s = fmpq(max(-q, min(q, j)), q)
    with ctx.workprec(128):
        ax = axis_sums(d, R_HALF, [P], [s]).values[0][0]
        pt = point_sum(d, R_HALF, [s] + [fmpq(0)] * (d - 1), P)
    assert ax.overlaps(pt)
    assert ax.rad() < 1e-25 and pt.rad() < 1e-25


def test_point_route_at_the_centre_equals_the_shell_route():
    c = centre_sums(3, R_HALF, [7]).values[0]
    p = point_sum(3, R_HALF, [0, 0, 0], 7)
    assert c.overlaps(p)


def test_shells_and_caps():
    assert shells_of(fmpq(7, 2)) == 12          # floor(49/4)
    assert shells_of(5) == 25
    with pytest.raises(InputError) as e:
        shells_of(fmpq(-1))
    assert e.value.field == "P"
    with pytest.raises(InputError) as e:
        point_sum(3, R_HALF, [fmpq(1, 3), 0, 0], 200)
    assert e.value.field == "P" and "lattice points" in str(e.value)
    with pytest.raises(InputError) as e:
        point_sums(3, R_HALF, [[fmpq(1, 3), 0, 0]] * 50, 30)
    assert e.value.field == "P"
    with pytest.raises(InputError) as e:
        point_sum(2, R_HALF, [fmpq(1, 3)], 3)
    assert e.value.field == "x"
    with pytest.raises(InputError) as e:
        centre_sums(3, R_HALF, [3], prec=8)
    assert e.value.field == "prec"


@pytest.mark.slow
def test_centre_d3_P1000_every_value_enclosed_and_routes_agree():
    """The benchmark's computation: S_P(0), P = 0..1000, d = 3, closed forms; every ball
    finite and narrow; the Bessel route agrees at P = 1000."""
    cs = centre_sums(3, R_HALF, integer_radii(1000), prec=128)
    assert all(v.is_finite() and v.rad() < 1e-25 for v in cs.values)
    other = centre_sums(3, R_HALF, [1000], prec=128, method="bessel").values[0]
    assert other.overlaps(cs.values[-1])


@pytest.mark.slow
@pytest.mark.parametrize("d,exponent", [(1, -1.0), (2, -0.5), (3, 0.0), (4, 0.5), (5, 1.0)])
def test_centre_window_amplitudes_follow_the_integrals_exponents(d, exponent):
    """R = 1/2: the largest proved |S_P(0) - 1| over integer P in [15, 30] and in [150, 300]
    scales by 10^exponent with the exponent of the Fourier integral's amplitude (d = 1: the
    Si tail ~1/U; d = 2: |J_0(U)| ~ U^-1/2; d = 3: 2/pi; d = 4: (U/2)|J_1(U)| ~ U^1/2;
    d = 5: (2/(3 pi)) U), to within 0.06 in the exponent (what the README table reports)."""
    from relu_pointwise.numeric.arb_balls import ball_bounds

    cs = centre_sums(d, R_HALF, integer_radii(300), prec=96)
    b = {int(p.p): ball_bounds(v) for p, v in cs.pairs() if p >= 1}

    def amp(lo_P, hi_P):
        return float(max(max(hi - 1, 1 - lo) for P, (lo, hi) in b.items() if lo_P <= P <= hi_P))

    import math

    assert abs(math.log10(amp(150, 300) / amp(15, 30)) - exponent) < 0.06


def test_huge_radius_is_refused_before_any_work():
    """P = 10^23: refused by the shell cap at once (no list of radii is built)."""
    with pytest.raises(InputError) as e:
        integer_radii(10 ** 23)
    assert e.value.field == "P"


def test_precision_counts_against_the_work_cap():
    """P = 2000 (4 10^6 shells) is allowed at 128 bits, not at 4096: the time stays bounded."""
    with pytest.raises(InputError) as e:
        centre_sums(3, R_HALF, [2000], prec=4096)
    assert e.value.field == "prec"
