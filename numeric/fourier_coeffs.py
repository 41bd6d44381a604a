"""Fourier coefficients of the ball's indicator on the period cell [-1,1)^d, as Arb balls.

Convention (docs/mathematics.md, section 7).  f = 1 on |y| < R (0 < R < 1), period 2 in every
coordinate, f(x) = sum_{k in Z^d} c_k exp(i pi k.x) with

    c_k = 2^-d integral_{|y|<R} exp(-i pi k.y) dy.

Derivation of the closed form.  For xi in R^d the ball's Fourier transform is radial,
integral_{|y|<R} exp(-i xi.y) dy = (2 pi R / |xi|)^(d/2) J_{d/2}(R |xi|) (Bochner's
formula for radial functions, or Stein-Weiss IV.3); at xi = pi k,

    c_k = c(|k|),   c(rho) = 2^-d (2R/rho)^(d/2) J_{d/2}(pi R rho)   (rho > 0),
    c_0 = vol(B_R) / 2^d = pi^(d/2) R^d / (Gamma(d/2 + 1) 2^d).

(d = 1 check: (2R/k)^(1/2) J_{1/2}(pi R k) = 2 sin(pi R k)/(pi k), the integral of
exp(-i pi k y) over (-R, R); the tests check d = 1, 2, 3 against direct quadrature.)

Two independent routes to c(rho):

* ``bessel``: Arb's J_nu of a ball argument (``arb.bessel_j``), nu = d/2;
* ``closed`` (odd d = 2m + 1 only): J_{m+1/2}(z) = sqrt(2z/pi) j_m(z) with the spherical
  Bessel functions j_0 = sin z / z, j_1 = sin z / z^2 - cos z / z,
  j_{l+1} = (2l+1)/z j_l - j_{l-1}; substituting,

      c(rho) = 2^-d (2R)^(m+1) rho^(-m) j_m(pi R rho),

  and sin, cos of pi R rho come from Arb's sin_cos_pi (argument R rho, no pi rounding).
  About twice as fast as ``bessel``; the two must overlap (a cross-check).

The Fourier INTEGRAL at the centre (the non-periodic reference).  Integrating the same
c over the ball |kappa| <= P of R^d instead of summing it over Z^d,
integral_{R^d} c(|kappa|) exp(i pi kappa.x) d kappa = f(x) (Fourier inversion with
xi = pi kappa), and in polar coordinates with u = pi R rho, nu = d/2:

    I(P) = integral_{|kappa|<=P} c(|kappa|) d kappa
         = 2^(1-nu) / Gamma(nu) * integral_0^U u^(nu-1) J_nu(u) du,   U = pi R P.

Closed forms (J_{nu-1} - J_{nu+1} = 2 J_nu', integral u J_0 = u J_1, integral J_1 = -J_0,
and the elementary j_m above; each checked by quadrature in the tests):

    d = 1:  (2/pi) Si(U)
    d = 2:  1 - J_0(U)
    d = 3:  (2/pi) (Si(U) - sin U)
    d = 4:  1 - J_0(U) - (U/2) J_1(U)
    d = 5:  (2/pi) Si(U) + (2/(3 pi)) (U cos U - 4 sin U)

so I(P) -> 1 for d = 1, 2; oscillates boundedly about 1 for d = 3 (amplitude 2/pi);
grows without bound for d = 4 (amplitude (U/2)|J_1(U)| ~ sqrt(U/(2 pi))) and d = 5
(amplitude ~ 2U/(3 pi)): Pinsky's phenomenon, with d = 4 already unbounded.
"""
from __future__ import annotations

from collections.abc import Callable

import sympy
from flint import arb, ctx, fmpq

from relu_pointwise.symbolic.errors import InputError

from .fourier_lattice import MAX_DIM

METHODS = ("auto", "bessel", "closed")
INTEGRAL_DIMS = (1, 2, 3, 4, 5)
BESSEL_SLACK = 24           # bits a J_nu ball may lose before it is recomputed at twice the precision


def as_fmpq(R: object, name: str = "R") -> fmpq:
    """An exact rational (int, sympy.Rational, fmpq) as fmpq; InputError otherwise."""
    if isinstance(R, bool):
        raise InputError(f"{name}: must be an exact rational, got {R!r}")
    if isinstance(R, fmpq):
        return R
    if isinstance(R, int):
        return fmpq(R)
    if isinstance(R, sympy.Rational):
        return fmpq(int(R.p), int(R.q))
    raise InputError(f"{name}: must be an exact rational (int or sympy.Rational), got {type(R).__name__}")


def check_ball(d: int, R: object) -> fmpq:
    """Validate the dimension and radius (0 < R < 1, so the ball lies inside the cell)."""
    if isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= MAX_DIM:
        raise InputError(f"d: must be an integer from 1 to {MAX_DIM}, got {d!r}")
    r = as_fmpq(R)
    if not 0 < r < 1:
        raise InputError(f"R: must satisfy 0 < R < 1, got {r}")
    return r


def resolve_method(d: int, method: str) -> str:
    if method not in METHODS:
        raise InputError(f"method: must be one of {', '.join(METHODS)}, got {method!r}")
    if method == "closed" and d % 2 == 0:
        raise InputError(f"method: the elementary closed form needs odd d, got d = {d}")
    if method == "auto":
        return "closed" if d % 2 == 1 else "bessel"
    return method


def c_zero(d: int, R: object) -> arb:
    """c_0 = vol(B_R) / 2^d = pi^(d/2) R^d / (Gamma(d/2 + 1) 2^d), at the current ctx.prec."""
    r = check_ball(d, R)
    half_pi_power = arb.pi() ** (d // 2) * (arb.pi().sqrt() if d % 2 else 1)
    return half_pi_power * arb(r) ** d / arb(fmpq(d + 2, 2)).gamma() / 2 ** d


def spherical_j(m: int, z: arb, s: arb, c: arb) -> arb:
    """j_m(z) from sin z = s and cos z = c by the upward recurrence (Arb, rigorous)."""
    j_prev = s / z
    if m == 0:
        return j_prev
    j = (j_prev - c) / z
    for l in range(1, m):
        j_prev, j = j, (2 * l + 1) * j / z - j_prev
    return j


def radial_coefficient(d: int, R: object, method: str = "auto") -> Callable[[int], arb]:
    """n -> c(sqrt n) for n >= 1 (n = |k|^2), an Arb ball at the ctx.prec of the call.

    The constants are formed once here; evaluate at the same ctx.prec.
    """
    r = check_ball(d, R)
    how = resolve_method(d, method)
    if how == "closed":
        m = (d - 1) // 2
        const = arb(2 * r) ** (m + 1) / 2 ** d
        pi = arb.pi()

        def closed(n: int) -> arb:
            rho = arb(n).sqrt()
            x = rho * r                        # z = pi x
            s, c = x.sin_cos_pi()
            j = spherical_j(m, pi * x, s, c)
            return const * j / rho ** m if m else const * j

        return closed
    nu = arb(fmpq(d, 2))
    const = arb(2 * r) ** nu / 2 ** d
    pir = arb.pi() * r
    prec = ctx.prec

    def bessel(n: int) -> arb:
        rho = arb(n).sqrt()
        j = (pir * rho).bessel_j(nu)
        if not j.rad() <= abs(j.mid()) * 2.0 ** (BESSEL_SLACK - prec):
            # Arb's J_nu of a half-integer order loses up to ~60 bits for arguments near
            # 30..100 (measured: relative radius 2e-18 at 128 bits, z = 45): redo J alone at
            # twice the precision, with its argument formed there too
            with ctx.workprec(2 * prec):
                j = (arb.pi() * r * arb(n).sqrt()).bessel_j(arb(fmpq(d, 2)))
        return const * j / rho ** nu

    return bessel


def coefficient_at(d: int, R: object, n: int, method: str = "auto") -> arb:
    """c_k for any k with |k|^2 = n (n = 0 gives c_0)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise InputError(f"n: must be a non-negative integer, got {n!r}")
    return c_zero(d, R) if n == 0 else radial_coefficient(d, R, method)(n)


def fourier_integral_centre(d: int, R: object, P: object) -> arb:
    """I(P) = integral_{|kappa| <= P} c(|kappa|) d kappa, the Fourier partial INTEGRAL of the
    ball's indicator at the centre (closed forms of the module docstring, d = 1..5)."""
    r = check_ball(d, R)
    if d not in INTEGRAL_DIMS:
        raise InputError(f"d: the closed-form Fourier integral is derived for d = 1..5, got {d}")
    p = as_fmpq(P, "P")
    if p < 0:
        raise InputError(f"P: must be >= 0, got {p}")
    x = arb(r * p)              # U = pi x
    U = arb.pi() * x
    if p == 0:
        return arb(0)
    s, c = x.sin_cos_pi()
    two_over_pi = 2 / arb.pi()
    if d == 1:
        return two_over_pi * U.si()
    if d == 2:
        return 1 - U.bessel_j(0)
    if d == 3:
        return two_over_pi * (U.si() - s)
    if d == 4:
        return 1 - U.bessel_j(0) - U / 2 * U.bessel_j(1)
    return two_over_pi * U.si() + two_over_pi / 3 * (U * c - 4 * s)
