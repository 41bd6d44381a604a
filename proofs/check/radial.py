"""L(w) and L'(w) for the exact ball by the checker's own radial integral (integer r, Arb).

When the network is g = lam (R^2 - |x|^2) (read off its weights) and the band
|g| < 1/(2w), i.e. |R^2 - s| < delta = 1/(2 w lam) with s = |x|^2, lies inside the box
(R^2 + delta <= m^2, m the distance from 0 to the box's nearest face), the error of the
network is e = 1/2 - w lam |R^2 - s| in the band and 0 outside it (the construction
check gives sign agreement), so with S_(d-1) = 2 pi^(d/2) / Gamma(d/2) and
rho^(d-1) drho = s^(d/2 - 1) ds / 2:

    L(w)  = density S_(d-1) / 2 * integral_band e^r s^(d/2-1) ds,
    L'(w) = density S_(d-1) / 2 * integral_band r e^(r-1) (-lam |R^2 - s|) s^(d/2-1) ds

(the band's ends contribute nothing: e = 0 there). Each piece (s < R^2, s > R^2) is a
polynomial in s times s^(d/2-1), integrated term by term; s^(j + d/2) in Arb.
"""
from __future__ import annotations

from typing import Any

import flint
import sympy
from gmpy2 import mpq

from .cells import arb_of

S = sympy.Symbol("s")


class OutsideRegime(Exception):
    """The band leaves the box, or r is not an integer: the radial formula does not apply."""


def _piece(poly: sympy.Expr, a: Any, b: Any, d: int) -> Any:
    """integral_a^b poly(s) s^(d/2 - 1) ds in Arb (poly over QQ, 0 <= a <= b)."""
    P = sympy.Poly(sympy.expand(poly), S)
    half_d = flint.arb(d) / 2
    total = flint.arb(0)
    for (j,), c in P.terms():
        e = half_d + j
        coef = flint.arb(flint.fmpq(int(c.p), int(c.q)))
        total += coef * (arb_of(b) ** e - (arb_of(a) ** e if a > 0 else flint.arb(0))) / e
    return total


def radial(lam: Any, R2: Any, d: int, margin2: Any, w: Any, r: Any, density: Any, derivative: bool) -> Any:
    """L(w) (or L'(w) when ``derivative``) for g = lam (R^2 - |x|^2); see the module docstring."""
    if r.denominator != 1 or w <= 0:
        raise OutsideRegime("the radial formula needs integer r and w > 0")
    delta = 1 / (2 * w * lam)
    if R2 + delta > margin2:
        raise OutsideRegime(f"the band |g| < 1/(2w) leaves the domain at w = {w}")
    k = int(r)
    lw = sympy.Rational(int((w * lam).numerator), int((w * lam).denominator))
    R = sympy.Rational(int(R2.numerator), int(R2.denominator))
    total = flint.arb(0)
    for dist, a, b in ((R - S, max(mpq(0), R2 - delta), R2), (S - R, R2, R2 + delta)):
        e = sympy.Rational(1, 2) - lw * dist
        if derivative:
            lam_q = sympy.Rational(int(lam.numerator), int(lam.denominator))
            integrand = k * e ** (k - 1) * (-lam_q * dist)
        else:
            integrand = e ** k
        total += _piece(integrand, a, b, d)
    sphere = 2 * flint.arb.pi() ** (flint.arb(d) / 2) / (flint.arb(d) / 2).gamma()
    return arb_of(density) * sphere / 2 * total


def density_bounds(lam: Any, R2: Any, d: int, margin2: Any, w_star: Any, r: Any, density: Any) -> tuple[Any, Any]:
    """Arb bounds kappa min rho, kappa max rho on [0, 1/(2 w*)] with kappa = 2^-(r+1)/(r+1), where
    rho(u) = density S_(d-1)/(2 lam) ((R^2 - u/lam)^p + (R^2 + u/lam)^p), p = d/2 - 1, is the
    density of |g| while the band stays in the box and off the centre. Then for every w >= w*:
    w L(w) = int_0^(1/2) (1/2 - t)^r rho(t/w) dt and w^2 (-L'(w)) = r int_0^(1/2) (1/2 - t)^(r-1) t
    rho(t/w) dt both lie in [kappa min rho, kappa max rho]; rho is monotone in u (its derivative
    p ((R^2 + u/lam)^(p-1) - (R^2 - u/lam)^(p-1)) has one sign), so min and max are at the ends."""
    h = 1 / (2 * w_star * lam)
    if not (w_star > 0 and R2 + h <= margin2 and R2 - h >= 0):
        raise OutsideRegime("the band |g| < 1/(2w*) leaves the domain or reaches the centre")
    p = flint.arb(d) / 2 - 1
    sphere = 2 * flint.arb.pi() ** (flint.arb(d) / 2) / (flint.arb(d) / 2).gamma()
    scale = arb_of(density) * sphere / (2 * arb_of(lam))
    ends = [scale * (arb_of(R2 - u) ** p + arb_of(R2 + u) ** p) for u in (mpq(0), h)]
    kappa = flint.arb(2) ** (-(arb_of(r) + 1)) / (arb_of(r) + 1)
    lo = ends[0] if ends[0] < ends[1] else ends[1] if ends[1] < ends[0] else ends[0].union(ends[1])
    hi = ends[1] if ends[0] < ends[1] else ends[0] if ends[1] < ends[0] else ends[0].union(ends[1])
    return kappa * lo, kappa * hi
