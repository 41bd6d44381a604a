"""S_P(x) at any rational point (numeric.fourier_points): the exact phase counts by two routes
(convolution in Z[q][z]/(z^2q - 1), and the enumeration of the lattice points), and the
enclosures against the one-by-one lattice sum (numeric.fourier_sums.point_sum) and against an
independent mpmath sum over every lattice point."""
from __future__ import annotations

import itertools

import mpmath
import numpy as np
import pytest
from flint import fmpq
from hypothesis import given, settings
from hypothesis import strategies as st

from relu_pointwise.numeric.arb_balls import ball_bounds
from relu_pointwise.numeric.fourier_lattice import sum_of_squares_counts
from relu_pointwise.numeric.fourier_points import (
    enumerated_phase_counts,
    phase_counts,
    point_curve,
)
from relu_pointwise.numeric.fourier_sums import centre_sums, point_sum
from relu_pointwise.symbolic.errors import InputError


@st.composite
def cases(draw):
    d = draw(st.integers(1, 5))
    N = draw(st.integers(0, 60 if d <= 3 else 20))
    q = draw(st.integers(1, 12))
    a = draw(st.lists(st.integers(-3 * q, 3 * q), min_size=d, max_size=d))
    return d, N, a, q


@settings(max_examples=60)
@given(cases())
def test_the_two_count_routes_agree_and_sum_to_r_d(case):
    """Both routes give the same exact array, and summing over the phases gives r_d(n)."""
    d, N, a, q = case
    C = phase_counts(d, N, a, q)
    E = enumerated_phase_counts(d, N, a, q)
    assert C.shape == (N + 1, q + 1)
    assert np.array_equal(C, E)
    assert np.array_equal(C.sum(axis=1), sum_of_squares_counts(d, N))


def test_counts_by_brute_force():
    """d = 2, x = (1/3, -1/4): q = 12, a = (4, -3); every k with |k|^2 <= 13 counted by hand-free
    brute force and its phase j = k.a mod 24 folded to min(j, 24 - j)."""
    C = phase_counts(2, 13, [4, -3], 12)
    ref = np.zeros_like(C)
    for k in itertools.product(range(-4, 5), repeat=2):
        n = k[0] ** 2 + k[1] ** 2
        if n <= 13:
            j = (4 * k[0] - 3 * k[1]) % 24
            ref[n, min(j, 24 - j)] += 1
    assert np.array_equal(C, ref)


def mp_sum(d, R, x, P, dps=30):
    """Every k in Z^d with |k| <= P, c_k from mpmath's Bessel J, cos(pi k.x) in mpmath."""
    with mpmath.workdps(dps):
        Rm = mpmath.mpf(int(R.p)) / int(R.q)
        nu = mpmath.mpf(d) / 2
        xs = [mpmath.mpf(int(v.p)) / int(v.q) for v in x]
        tot = mpmath.pi ** nu * Rm ** d / (mpmath.gamma(nu + 1) * 2 ** d)
        for k in itertools.product(range(-P, P + 1), repeat=d):
            n = sum(v * v for v in k)
            if 0 < n <= P * P:
                rho = mpmath.sqrt(n)
                c = (2 * Rm / rho) ** nu * mpmath.besselj(nu, mpmath.pi * Rm * rho) / 2 ** d
                tot += c * mpmath.cos(mpmath.pi * sum(a * b for a, b in zip(k, xs)))
        return tot


def holds(ball, ref) -> bool:
    """lo - 1e-27 <= ref <= hi + 1e-27 with [lo, hi] the ball's exact ends (ref has 30 digits)."""
    lo, hi = ball_bounds(ball)
    with mpmath.workdps(40):
        tol = mpmath.mpf(10) ** -27
        return (mpmath.mpf(lo.numerator) / lo.denominator - tol <= ref
                <= mpmath.mpf(hi.numerator) / hi.denominator + tol)


fracs = st.fractions(-1, 1, max_denominator=7).map(lambda f: fmpq(f.numerator, f.denominator))


@settings(max_examples=12)
@given(st.integers(1, 3), st.lists(fracs, min_size=3, max_size=3), st.integers(1, 5),
       st.sampled_from([fmpq(1, 2), fmpq(1, 3), fmpq(3, 5)]))
def test_enclosures_hold_mpmath_and_the_lattice_sum(d, x, P, R):
    x = x[:d]
    pc = point_curve(d, R, x, list(range(1, P + 1)))
    for p, v in pc.pairs():
        ref = mp_sum(d, R, x, int(p.p))
        assert holds(v, ref)
        assert v.overlaps(point_sum(d, R, x, p))


def test_d5_off_centre_against_mpmath():
    x = [fmpq(1, 4), fmpq(0), fmpq(1, 3), fmpq(-1, 2), fmpq(1, 5)]
    pc = point_curve(5, fmpq(1, 2), x, [3])
    v = pc.values[0]
    ref = mp_sum(5, fmpq(1, 2), x, 3)
    assert holds(v, ref)


def test_centre_agrees_with_the_shell_route():
    a = point_curve(4, fmpq(1, 2), [0, 0, 0, 0], list(range(1, 9)))
    b = centre_sums(4, fmpq(1, 2), list(range(1, 9)))
    assert all(u.overlaps(v) for u, v in zip(a.values, b.values))


def test_every_radius_is_a_partial_sum():
    """The radii come back sorted, and S_P at a non-integer P is the sum over floor(P^2) shells."""
    x = [fmpq(1, 3), fmpq(1, 6)]
    pc = point_curve(2, fmpq(1, 2), x, [fmpq(7, 2), 3, 4])
    assert pc.radii == (fmpq(3), fmpq(7, 2), fmpq(4))
    for p, v in pc.pairs():
        assert v.overlaps(point_sum(2, fmpq(1, 2), x, p))
    assert not pc.values[0].overlaps(pc.values[1])


@pytest.mark.parametrize("x,field", [([fmpq(1, 2)], "x"), ([fmpq(1, 10007), fmpq(1, 3)], "x")])
def test_bad_points(x, field):
    with pytest.raises(InputError) as e:
        point_curve(2, fmpq(1, 2), x, [3])
    assert e.value.field == field
