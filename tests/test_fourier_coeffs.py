"""Fourier coefficients of the ball's indicator, r_d(n), and the Fourier integral at the centre.

Every reference here is computed independently of the code under test: mpmath
quadrature of the defining integrals, brute-force lattice counting.
"""
from __future__ import annotations

import itertools
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from flint import arb, ctx, fmpq
from hypothesis import given, settings
from hypothesis import strategies as st

from relu_pointwise.numeric.fourier_coeffs import (
    c_zero,
    coefficient_at,
    fourier_integral_centre,
    radial_coefficient,
)
from relu_pointwise.numeric.fourier_lattice import (
    ball_points,
    sum_of_squares_counts,
    theta_coefficients,
)
from relu_pointwise.symbolic.errors import InputError

R_HALF = fmpq(1, 2)


def close(b: arb, x: mpmath.mpf, tol: float) -> bool:
    """The mpmath value lies within the ball's radius + tol of its midpoint."""
    mid = mpmath.mpf(b.mid().str(40, radius=False))
    rad = mpmath.mpf(b.rad().str(10, radius=False))
    return abs(mid - x) <= rad + tol


def slice_coefficient(d: int, R: Fraction, rho: mpmath.mpf) -> mpmath.mpf:
    """c_k by slicing the ball perpendicular to k (the ball is rotation invariant, so k may be
    taken along an axis): 2^-d int_{-R}^{R} vol_{d-1}(B_{sqrt(R^2 - y^2)}) cos(pi |k| y) dy;
    no Bessel function involved."""
    Rm = mpmath.mpf(R.numerator) / R.denominator

    def section(y):
        s2 = Rm ** 2 - y ** 2
        if d == 1:
            return mpmath.mpf(1)
        return mpmath.pi ** ((d - 1) / mpmath.mpf(2)) / mpmath.gamma((d - 1) / mpmath.mpf(2) + 1) * \
            s2 ** ((d - 1) / mpmath.mpf(2))

    return mpmath.quad(lambda y: section(y) * mpmath.cos(mpmath.pi * rho * y), [-Rm, 0, Rm]) / 2 ** d


@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("R", [Fraction(1, 2), Fraction(1, 3)])
def test_coefficients_match_direct_quadrature(d, R):
    """c(|k|) = 2^-d (2R/|k|)^(d/2) J_{d/2}(pi R |k|) against the defining integral, n = 0, 1, 2, 5, 13."""
    with mpmath.workdps(30), ctx.workprec(128):
        for n in (0, 1, 2, 5, 13):
            ref = slice_coefficient(d, R, mpmath.sqrt(n))
            got = coefficient_at(d, fmpq(R.numerator, R.denominator), n, method="bessel")
            assert close(got, ref, 1e-25), (d, R, n, got, ref)


@pytest.mark.slow
def test_two_dimensional_coefficient_off_axis_by_polar_quadrature():
    """k = (1, 2): c_k = 1/4 int over the disc |y| < 1/2 of cos(pi k.y) dy in polar coordinates,
    the full 2-D integral (checks that c_k depends on |k| only, which the slicing test assumes)."""
    with mpmath.workdps(20), ctx.workprec(128):
        ref = mpmath.quad(lambda r, t: mpmath.cos(mpmath.pi * r * (mpmath.cos(t) + 2 * mpmath.sin(t))) * r,
                          [0, 0.5], [0, mpmath.pi / 2, mpmath.pi, 3 * mpmath.pi / 2, 2 * mpmath.pi]) / 4
        got = coefficient_at(2, R_HALF, 5)
        assert close(got, ref, 1e-15)


def test_c_zero_is_the_volume_over_two_to_the_d():
    """c_0 = vol(B_R)/2^d: 2R/2, pi R^2/4, (4/3) pi R^3/8; R = 1/2: 1/2, pi/16, pi/48."""
    with ctx.workprec(128):
        assert c_zero(1, R_HALF).contains(arb(fmpq(1, 2)))
        assert (c_zero(2, R_HALF) * 16 / arb.pi()).contains(1)
        assert (c_zero(3, R_HALF) * 48 / arb.pi()).contains(1)


@settings(max_examples=40)
@given(d=st.sampled_from([1, 3, 5]), n=st.integers(1, 10 ** 6), p=st.integers(1, 19), q=st.integers(2, 20))
def test_closed_forms_overlap_arbs_bessel(d, n, p, q):
    """Odd d: the elementary j_m route and Arb's J_{d/2} are two routes to c(sqrt n); they must
    overlap, and both balls must be narrow (else overlapping says little).  Arb's J loses up
    to ~50 of the 128 bits for some arguments (d = 1, n = 228, R = 2/3: radius 1e-25), so
    "narrow" is 1e-20 here, still 10^13 below the values compared."""
    if p >= q:
        p = q - 1
    R = fmpq(p, q)
    with ctx.workprec(128):
        a = radial_coefficient(d, R, "closed")(n)
        b = radial_coefficient(d, R, "bessel")(n)
        assert a.overlaps(b)
        assert a.rad() < 1e-20 and b.rad() < 1e-20


# ---------------------------------------------------------------------- r_d(n)

@pytest.mark.parametrize("d", [1, 2, 3, 4, 5])
def test_r_d_matches_brute_force_counting(d):
    N = 50 if d < 5 else 30
    m = int(N ** 0.5)
    box = range(-m, m + 1)  # every k with |k|^2 <= N has |k_i| <= floor(sqrt N)
    ref = np.zeros(N + 1, dtype=np.int64)
    for k in itertools.product(box, repeat=d):
        n = sum(v * v for v in k)
        if n <= N:
            ref[n] += 1
    assert (sum_of_squares_counts(d, N) == ref).all()
    assert sum(len(b) for b in ball_points(d, N)) == ref.sum()


def test_r_d_hand_values():
    """r_2(25) = 12 (+-5,0),(0,+-5),(+-3,+-4),(+-4,+-3); r_3(7) = 0 (7 = 8*0 + 7, Legendre);
    r_4(n) = 8 sigma(n) for odd n: r_4(9) = 8 (1 + 3 + 9) = 104; theta has 2 at squares."""
    assert sum_of_squares_counts(2, 25)[25] == 12
    assert sum_of_squares_counts(3, 28)[7] == 0 and sum_of_squares_counts(3, 28)[28] == 0
    assert sum_of_squares_counts(4, 9)[9] == 104
    assert list(theta_coefficients(9)) == [1, 2, 0, 0, 2, 0, 0, 0, 0, 2]


@settings(max_examples=25)
@given(d=st.integers(2, 4), N=st.integers(0, 400))
def test_r_d_total_counts_lattice_points(d, N):
    """sum_{n <= N} r_d(n) = #{k : |k|^2 <= N}, the latter by the slab enumeration."""
    assert int(sum_of_squares_counts(d, N).sum()) == sum(len(b) for b in ball_points(d, N))


def test_bad_sizes_are_input_errors():
    with pytest.raises(InputError) as e:
        sum_of_squares_counts(0, 10)
    assert e.value.field == "d"
    with pytest.raises(InputError) as e:
        sum_of_squares_counts(3, 10 ** 9)
    assert e.value.field == "N"
    with pytest.raises(InputError) as e:
        radial_coefficient(2, R_HALF, "closed")
    assert e.value.field == "method"
    with pytest.raises(InputError) as e:
        c_zero(3, fmpq(3, 2))
    assert e.value.field == "R"


# ---------------------------------------------------------------------- the Fourier integral

def radial_integral(d: int, R: Fraction, P) -> mpmath.mpf:
    """I(P) = |S^{d-1}| int_0^P c(rho) rho^(d-1) d rho with c from mpmath's J_{d/2}: the
    polar form of int_{|kappa| <= P} c(|kappa|) d kappa, without the closed forms."""
    Rm = mpmath.mpf(R.numerator) / R.denominator
    nu = mpmath.mpf(d) / 2
    sphere = 2 * mpmath.pi ** nu / mpmath.gamma(nu)

    def c(rho):
        return (2 * Rm / rho) ** nu * mpmath.besselj(nu, mpmath.pi * Rm * rho) / 2 ** d

    pts = mpmath.linspace(0, P, 12)
    return sphere * mpmath.quad(lambda r: c(r) * r ** (d - 1) if r != 0 else mpmath.mpf(0), pts)


@pytest.mark.parametrize("d", [1, 2, 3, 4, 5])
def test_fourier_integral_closed_forms_match_quadrature(d):
    """(2/pi) Si(U); 1 - J_0(U); (2/pi)(Si U - sin U); 1 - J_0(U) - (U/2) J_1(U);
    (2/pi) Si(U) + (2/(3 pi))(U cos U - 4 sin U); U = pi R P (derivation in numeric.fourier_coeffs)."""
    with mpmath.workdps(20), ctx.workprec(128):
        for R, P in ((Fraction(1, 2), Fraction(7, 2)), (Fraction(1, 3), Fraction(10))):
            ref = radial_integral(d, R, mpmath.mpf(P.numerator) / P.denominator)
            got = fourier_integral_centre(d, fmpq(R.numerator, R.denominator), fmpq(P.numerator, P.denominator))
            assert close(got, ref, 1e-14), (d, R, P, got, ref)


def test_fourier_integral_tends_to_one_where_it_converges():
    """d = 1, 2: I(P) -> f(0) = 1 (inversion); at U = pi R P = 2000 pi the d = 2 value is
    1 - J_0(U), |J_0(U)| <= sqrt(2/(pi U)) + small: within 0.02 of 1."""
    with ctx.workprec(64):
        assert abs(float(fourier_integral_centre(2, R_HALF, fmpq(4000)).mid()) - 1) < 0.02
        assert abs(float(fourier_integral_centre(1, R_HALF, fmpq(4000)).mid()) - 1) < 0.001
