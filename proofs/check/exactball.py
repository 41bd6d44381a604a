"""The exact ball's L(w), L'(w) and density bounds as exact SymPy values (pi, radicals).

The same integrals as :mod:`.radial` (g = lam (R^2 - |x|^2), the band |g| < 1/(2w) inside the
box, integer r), evaluated symbolically: with s = |x|^2 and S_(d-1) = 2 pi^(d/2) / Gamma(d/2),

    L(w) = density S_(d-1)/2 * sum over the two sides of int e^r s^(d/2-1) ds,
    e = 1/2 - w lam |R^2 - s|,

each side a polynomial in s times s^(d/2-1), integrated term by term: b^(j+d/2) - a^(j+d/2) with
a, b rationals (square roots for odd d). Equality with a claimed closed form is then decided by
expanding the difference (exact), never by overlapping balls."""
from __future__ import annotations

from typing import Any

import sympy

S = sympy.Symbol("s")


def _q(v: Any) -> sympy.Rational:
    return sympy.Rational(int(v.numerator), int(v.denominator))


def sphere(d: int) -> sympy.Expr:
    """S_(d-1) = 2 pi^(d/2) / Gamma(d/2), exactly."""
    half = sympy.Rational(d, 2)
    return 2 * sympy.pi ** half / sympy.gamma(half)


def radial_exact(lam: Any, R2: Any, d: int, margin2: Any, w: Any, r: Any, density: Any,
                 derivative: bool) -> sympy.Expr | None:
    """L(w) (or L'(w)) exactly, or None outside the regime (band leaving the box, non-integer r)."""
    if r.denominator != 1 or w <= 0:
        return None
    delta = 1 / (2 * w * lam)
    if R2 + delta > margin2:
        return None
    k, L, R = int(r), _q(lam), _q(R2)
    lw = _q(w) * L
    half_d = sympy.Rational(d, 2)
    total = sympy.Integer(0)
    lo = max(R2 - delta, 0 * R2)
    for dist, a, b in ((R - S, _q(lo), R), (S - R, R, _q(R2 + delta))):
        e = sympy.Rational(1, 2) - lw * dist
        integrand = k * e ** (k - 1) * (-L * dist) if derivative else e ** k
        for (j,), c in sympy.Poly(sympy.expand(integrand), S).terms():
            p = half_d + j
            total += c * (b ** p - (a ** p if a > 0 else 0)) / p
    return sympy.expand(_q(density) * sphere(d) / 2 * total)


def density_ends(lam: Any, R2: Any, d: int, w_star: Any, r: Any, density: Any) -> tuple[sympy.Expr, sympy.Expr]:
    """kappa rho(0) and kappa rho(1/(2 w*)) exactly (see :func:`.radial.density_bounds`)."""
    h = 1 / (2 * _q(w_star) * _q(lam))
    p = sympy.Rational(d, 2) - 1
    scale = _q(density) * sphere(d) / (2 * _q(lam))
    R, rr = _q(R2), _q(r)
    kappa = sympy.Integer(2) ** (-(rr + 1)) / (rr + 1)
    return tuple(sympy.expand(kappa * scale * ((R - u) ** p + (R + u) ** p)) for u in (sympy.Integer(0), h))


def regime_start(lam: Any, R2: Any, margin2: Any) -> Any:
    """The least w from which the band |R^2 - |x|^2| < 1/(2 w lam) stays off the centre and inside
    the box: max(1/(2 lam R^2), 1/(2 lam (m^2 - R^2))) (exact rational; None if m^2 <= R^2)."""
    if margin2 <= R2:
        return None
    return max(1 / (2 * lam * R2), 1 / (2 * lam * (margin2 - R2)))


def radial_symbolic(lam: Any, R2: Any, d: int, r: Any, density: Any, w: sympy.Symbol) -> sympy.Expr:
    """L(w) as one closed form in the symbol ``w``, valid for every w >= :func:`regime_start` (the
    band's ends R^2 -+ 1/(2 w lam) are then in [0, m^2]): the integral of :func:`radial_exact`."""
    k, L, R = int(r), _q(lam), _q(R2)
    delta = 1 / (2 * w * L)
    half_d = sympy.Rational(d, 2)
    total = sympy.Integer(0)
    for dist, a, b in ((R - S, R - delta, R), (S - R, R, R + delta)):
        e = sympy.Rational(1, 2) - w * L * dist
        for (j,), c in sympy.Poly(sympy.expand(e ** k), S).terms():
            p = half_d + j
            total += c * (b ** p - a ** p) / p
    return sympy.expand(_q(density) * sphere(d) / 2 * total)
