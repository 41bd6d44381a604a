"""The exact ball g = R^2 - |x|^2 (symbolic.ball): pins, and L(w) against an
independent radial quadrature of the network's output.

Reference (``radial_loss``): for w >= w* the error |f(w,x) - f°(x)| vanishes
outside the inscribed ball of radius rho0 (checked separately on exact points),
and inside it depends on |x| only, so in spherical coordinates
    L(w) = dens * d omega_d * integral_0^rho0 |f(w, rho e_1) - f°(rho e_1)|^r rho^(d-1) d rho,
with f from an mpmath forward pass through the network (its feature |x|^2, its
readout, its head) and f° = [rho < R] from the target's R.  mpmath's tanh-sinh
quadrature with breakpoints at the band edges sqrt(R^2 -+ h) and at R integrates
each smooth piece to working precision (30 digits); 1e-20 relative is demanded.
"""
from __future__ import annotations

import io
from contextlib import redirect_stdout
from fractions import Fraction

import mpmath
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from relu_pointwise.symbolic.ball import BallDensity, series_coefficients
from relu_pointwise.symbolic.errors import InputError, NotExactError
from relu_pointwise.symbolic.loss import derive, w
from relu_pointwise.symbolic.spec import make_spec

Q = sympy.Rational
MP = mpmath.mp.clone()
MP.dps = 30
HSET = settings(max_examples=12)


def _mpf(q):
    q = Q(q)
    return MP.mpf(int(q.p)) / int(q.q)


def _net_error(spec, wv, x):
    """|f(w, x) - f°(x)| with f from an mpmath pass through the network's weights."""
    net = spec.network
    feats = list(x) + [MP.fsum(v * v for v in x)]
    g = MP.fsum(_mpf(a) * h for a, h in zip(net.readout, feats)) + _mpf(net.readout_bias)
    f = MP.fsum(_mpf(o) * max(MP.zero, wv * g + _mpf(b)) for o, b in zip(net.head_out, net.head_bias))
    n2 = MP.fsum(v * v for v in x)
    R2 = _mpf(spec.target.level.R2)
    target = 1 if n2 < R2 else 0 if n2 > R2 else MP.mpf(1) / 2
    return abs(f - target)


def radial_loss(spec, wv):
    d = spec.dim
    wm = _mpf(wv)
    R2 = _mpf(spec.target.level.R2)
    h = 1 / (2 * wm)
    rho0 = min(min(-_mpf(lo), _mpf(hi)) for lo, hi in zip(spec.domain.lo, spec.domain.hi))
    r = _mpf(spec.r)
    area = d * MP.pi ** (MP.mpf(d) / 2) / MP.gamma(MP.mpf(d) / 2 + 1)   # d * omega_d

    def f(rho):
        x = [rho] + [MP.zero] * (d - 1)
        return _net_error(spec, wm, x) ** r * rho ** (d - 1)

    pts = sorted({MP.zero, MP.sqrt(max(R2 - h, 0)), MP.sqrt(R2), MP.sqrt(R2 + h), rho0})
    return _mpf(spec.density) * area * MP.quad(f, pts)


def _close(expr_value, ref):
    got = MP.mpf(sympy.N(expr_value, 40))
    return abs(got - ref) <= MP.mpf(10) ** -20 * abs(ref)


# ------------------------------------------------------------------ pins

def test_pin_pi_over_144():
    """ball d = 2, R = 1/2 in [-1,1]^2, uniform probability (density 1/4), r = 2: L(3) = pi/144.

    t = |x|^2: the disc {t <= tau} has area pi tau for tau <= 1, so t has Lebesgue density
    pi and g = 1/4 - t has mu-density rho_g(s) = pi/4 on -3/4 <= s <= 1/4.  For
    h = 1/(2w) <= min(1/4, 3/4), i.e. w >= w* = 2, the band |g| < h lies in that range:
        L(w) = integral_{-h}^{h} (1/2 - w|s|)^2 pi/4 ds = (pi/4) * 2 * (1/2)^3 / (3w) = pi/(48 w),
    and L(3) = pi/144.
    """
    der = derive(make_spec("ball:d=2,R=1/2"))
    assert der.loss(3) == sympy.pi / 144
    assert der.w_star == 2 and der.exact_from == 0      # below w*: symbolic.ball_full
    assert sympy.simplify(der.asymptotic - sympy.pi / (48 * w)) == 0
    assert der.asymptotic_coeffs == (sympy.pi / 48,)
    assert der.cells == []
    assert any("corners for w < 2/7" in n for n in der.notes)


def test_cli_prints_pi_over_144():
    from relu_pointwise.cli import main

    buf = io.StringIO()
    with redirect_stdout(buf):
        rc = main(["derive", "--target", "ball:d=2,R=1/2", "--w", "3"])
    assert rc == 0
    assert buf.getvalue().strip().splitlines()[-1].strip() == "pi/144"


def test_d3_leading_constant_and_series():
    """d = 3, R = 1/2, r = 2: K = (1/8)(3/2)(4 pi/3) = pi/4, c = 1/4, p = 1/2, and
        L(w) = K sum_{k even} 2 C(1/2, k) c^(1/2-k) B(k+1, 3) 2^-(3+k) w^-(k+1)
    term k = 0: 2 c^(1/2) B(1,3) 2^-3 = 2 * (1/2) * (1/3) * (1/8) = 1/24, so C = pi/96;
    term k = 2: 2 C(1/2,2) c^(-3/2) B(3,3) 2^-5 = 2 * (-1/8) * 8 * (1/30) / 32 = -1/480,
    so the coefficient of w^-3 is -pi/1920.  The derived
    closed form's expansion at w = oo must match (no w^-2 term: the odd part cancels)."""
    der = derive(make_spec("ball:d=3,R=1/2"))
    assert der.asymptotic_coeffs == ()
    assert sympy.simplify(der.leading_constant - sympy.pi / 96) == 0
    z = sympy.Symbol("z", positive=True)
    ser = sympy.series(der.asymptotic.subs(w, 1 / z), z, 0, 7).removeO()
    coeffs = [sympy.simplify(ser.coeff(z, k + 1)) for k in range(6)]
    assert coeffs[0] == sympy.pi / 96 and coeffs[1] == 0 and coeffs[2] == -sympy.pi / 1920
    expect = series_coefficients(Q(1, 4), Q(1, 2), Q(2), sympy.pi / 4, 6)
    assert all(sympy.simplify(a - b) == 0 for a, b in zip(coeffs, expect))


# ------------------------------------------------------------------ vs quadrature

@pytest.mark.parametrize("target,r,ws", [
    ("ball:d=2,R=1/2", "2", ["2", "3", "1000"]),
    ("ball:d=3,R=1/2", "2", ["2", "5/2", "17", "1000"]),
    ("ball:d=3,R=3/5", "3", ["25/18", "4"]),
    ("ball:d=4,R=1/2", "2", ["2", "9"]),
    ("ball:d=2,R=1/2", "3/2", ["2", "7"]),
    ("ball:d=4,R=3/4", "5/2", ["8/7", "3"]),
    ("ball:d=1,R=1/2", "2", ["2", "6"]),
])
def test_exact_ball_vs_radial_quadrature(target, r, ws):
    spec = make_spec(target, r=r)
    der = derive(spec)
    for wv in ws:
        assert _close(der.loss(Q(wv)), radial_loss(spec, Q(wv))), (target, r, wv)


@HSET
@given(st.fractions(min_value=Fraction(1, 10), max_value=Fraction(9, 10), max_denominator=20),
       st.sampled_from([2, 3, 4]), st.sampled_from(["1", "2", "3"]),
       st.fractions(min_value=1, max_value=50, max_denominator=7))
def test_random_exact_balls_vs_radial_quadrature(R, d, r, factor):
    spec = make_spec(f"ball:d={d},R={R}", r=r)
    der = derive(spec)
    wv = der.w_star * Q(factor.numerator, factor.denominator)
    assert _close(der.loss(wv), radial_loss(spec, wv))


def test_error_vanishes_outside_inscribed_ball_for_w_at_least_w_star():
    """The radial reference integrates over the inscribed ball only: for w >= w* the
    network's error is exactly 0 at every point with |x| >= rho0 (exact rationals)."""
    spec = make_spec("ball:d=3,R=1/2")
    der = derive(spec)
    net = spec.network
    pts = [(1, 0, 0), (1, 1, 1), (Q(-1), Q(1, 3), Q(-2, 3)), (Q(1, 2), Q(-1), Q(1, 5)), (0, 0, -1)]
    for x in pts:
        for wv in (der.w_star, der.w_star * 3):
            f = net.output(wv, x)
            assert f == 0          # f° = 0 there


def test_non_default_domain():
    """Domain [-3/4, 1]^2, R = 1/2: rho0 = 3/4, mu-density 16/49, w* = 1/(2 min(1/4, 9/16 - 1/4)) = 2;
    rho_g = (16/49) pi near 0, so L(w) = (16/49) pi * 2 * (1/2)^3 / (3w) = 16 pi / (49 * 12 w)."""
    spec = make_spec("ball:d=2,R=1/2", domain="-3/4,1")
    der = derive(spec)
    assert der.w_star == 2
    assert der.loss(3) == 16 * sympy.pi / (49 * 12 * 3)
    assert _close(der.loss(3), radial_loss(spec, Q(3)))


# ------------------------------------------------------------------ densities and errors

def test_density_window():
    der = derive(make_spec("ball:d=2,R=1/2"))
    assert isinstance(der.density, BallDensity)
    assert der.density(0) == sympy.pi / 4 and der.abs_density(Q(1, 8)) == sympy.pi / 2
    with pytest.raises(ValueError):
        der.density(Q(1, 2))
    off = derive(make_spec("ball:d=2,R=1/2", domain="-3/4,1"))   # not a cube: derived from w* on
    with pytest.raises(NotExactError, match="w >= 2"):
        off.loss(1)   # below exact_from = w*: not derived there, not bad input


@pytest.mark.parametrize("target,domain,r,msg", [
    ("ball:d=2,R=1/2 & box:-1/2,1/2;-1/2,1/2", None, "2", "mixed exact-ball targets is not supported"),
    ("ball:d=2,R=1/2 | halfspace:1,0,-1/2", None, "2", "mixed exact-ball targets is not supported"),
    ("ball:d=3,R=1/2", None, "3/2", "incomplete Beta"),
    ("ball:d=2,R=1/2", "-1/2,1", "2", "strictly inside the domain"),
])
def test_exact_ball_errors(target, domain, r, msg):
    with pytest.raises(InputError, match=msg):
        derive(make_spec(target, domain, r=r))
