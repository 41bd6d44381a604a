"""The exact loss L(w), its derivative and the gradient-descent map.

From the density rho_|g| (:mod:`symbolic.pushforward`), piecewise polynomial
with breaks 0 = u_0 < u_1 < ... < u_m, and h = 1/(2w):

    L(w) = sum over pieces [u_i, u_{i+1}] meeting [0, h] of
           integral_{u_i}^{min(u_{i+1}, h)} (1/2 - w u)^r p_i(u) du,

each term in closed form: with v = 1/2 - w u,

    integral (1/2 - w u)^r u^k du
        = -w^{-k-1} sum_{j=0..k} C(k,j) 2^{j-k} (-1)^j v^{r+j+1} / (r+j+1).

So L is piecewise in w with breaks w = 1/(2 u_i); on w >= w* = 1/(2 u_1)
(the asymptotic regime) only the first piece p_0(u) = sum_k c_k u^k counts:

    L(w) = sum_k c_k B(k+1, r+1) 2^{-(r+k+1)} w^{-(k+1)}        (docs/mathematics.md, section 3).

This module works from the network's regions; it never calls sympy.integrate on a
Piecewise.  The head's error |f(w,x) - f°(x)| = (1/2 - w |g(x)|)_+ for w >= 0 is the
head sigma(w g + 1/2) - sigma(w g - 1/2) read on its three activation patterns
(both on: f = 1; first only: f = w g + 1/2; none: f = 0), checked in
:func:`head_error_check`.
"""
from __future__ import annotations

import itertools
import math

import sympy
from flint import fmpq, fmpq_poly

from .derivation import HALF, Derivation, LossPiece, Q, _tidy, eta, w
from .pushforward import PiecewisePoly, abs_density, signed_density
from .qfield import to_sympy
from .regions import linear_regions
from .spec import Spec, check_region_estimate

__all__ = [
    "HALF",
    "Derivation",
    "LossPiece",
    "Q",
    "asymptotic_coefficients",
    "band_term",
    "derive",
    "eta",
    "head_error_check",
    "loss_from_abs_density",
    "padded_at_zero",
    "w",
]

def _binom(n: int, k: int) -> int:
    return int(sympy.binomial(n, k))


def band_term(a: sympy.Rational, b: sympy.Expr | None, k: int, r: sympy.Rational) -> sympy.Expr:
    """integral_a^b (1/2 - w u)^r u^k du in closed form; b = None means b = 1/(2w)."""
    def F(v):  # antiderivative in terms of v = 1/2 - w u
        return -w ** (-k - 1) * sum(
            _binom(k, j) * Q(2) ** (j - k) * (-1) ** j * v ** (r + j + 1) / (r + j + 1)
            for j in range(k + 1))
    upper = Q(0) if b is None else F(HALF - w * b)
    return upper - F(HALF - w * a)


def head_error_check(network) -> bool:
    """The head's error is (1/2 - w|g|)_+ on every activation pattern (w > 0, g != 0).

    Read from the network's head: f = sum_k o_k sigma(t + b_k) with t = w g, biases
    b = head_bias and output weights o = head_out.  The kinks of the head are at
    t = -b_k; on each interval between them the pattern is fixed, f is affine in t,
    and the error |f - f°| (f° = 1 for t > 0, 0 for t < 0) must equal
    max(1/2 - |t|, 0) as affine functions of t -- checked exactly at the interval's
    two ends (two points fix an affine function), the unbounded end by its slope.
    """
    b, o = [Q(v) for v in network.head_bias], [Q(v) for v in network.head_out]
    t = sympy.Symbol("t", real=True)
    kinks = sorted({-bk for bk in b} | {Q(0)})
    ends = [kinks[0] - 1] + kinks + [kinks[-1] + 1]
    for lo, hi in itertools.pairwise(ends):
        mid = (lo + hi) / 2
        active = [mid + bk > 0 for bk in b]
        f = sum((ok * (t + bk) for ok, bk, on in zip(o, b, active) if on), Q(0))
        target = 1 if mid > 0 else 0
        err = (target - f) if target == 1 else f
        ref = (HALF - t if mid > 0 else HALF + t) if abs(mid) < HALF else Q(0)
        diff = sympy.expand(err - ref)
        if diff.free_symbols - {t} or sympy.Poly(diff, t).degree() > 1:
            return False
        if diff.subs(t, lo) != 0 or diff.subs(t, hi) != 0:
            return False
    return True


def _laurent_expr(terms: dict) -> sympy.Expr:
    """sum_e terms[e] w^e as one sympy expression, in the form cancel() gives.

    Built as N(w) / w^m in Q(w) with python-flint (m = -min e) and handed to SymPy's
    cancel already in lowest terms: the same expression as cancel(sum c_e w^e)."""
    nz = {e: c for e, c in terms.items() if c}
    if not nz:
        return Q(0)
    m = max(0, -min(nz))
    coeffs = [fmpq(0)] * (max(nz) + m + 1)
    for e, c in nz.items():
        coeffs[e + m] = fmpq(c.numerator, c.denominator)
    return to_sympy((fmpq_poly(coeffs), fmpq_poly([0] * m + [1])), w)


def _integer_r_pieces(rho: PiecewisePoly, r: int) -> tuple[list[LossPiece], sympy.Rational]:
    """Integer r: every piece of L is a Laurent polynomial in w, computed in exact
    Fractions (no sympy until the end).  With (1/2 - w u)^r = sum_j C(r,j) 2^(j-r) (-w)^j u^j,

        integral_a^b (1/2 - w u)^r u^k du = sum_j C(r,j) 2^(j-r) (-w)^j (b^(k+j+1) - a^(k+j+1))/(k+j+1),
        integral_0^(1/(2w)) (1/2 - w u)^r u^k du = k! r! / (k+r+1)! 2^-(r+k+1) w^-(k+1),

    and integral_a^(1/(2w)) = the second minus integral_0^a.  Running sums over the
    full pieces make the whole table O(m)."""
    from fractions import Fraction

    u = [Fraction(int(b.p), int(b.q)) for b in rho.breaks]
    cs = [[Fraction(int(c.p), int(c.q)) for c in row] for row in rho.coeffs]
    m = len(cs)
    binr = [_binom(r, j) * Fraction(2) ** (j - r) * (-1) ** j for j in range(r + 1)]

    def poly_part(a: Fraction, b: Fraction, row) -> dict[int, Fraction]:
        out: dict[int, Fraction] = {}
        for k, c in enumerate(row):
            if c:
                for j in range(r + 1):
                    out[j] = out.get(j, Fraction(0)) + c * binr[j] * (b ** (k + j + 1) - a ** (k + j + 1)) / (k + j + 1)
        return out

    def add(x: dict, y: dict, s: int = 1) -> dict:
        out = dict(x)
        for e, c in y.items():
            out[e] = out.get(e, Fraction(0)) + s * c
        return out

    full = [poly_part(u[i], u[i + 1], cs[i]) for i in range(m)]
    prefix: list[dict[int, Fraction]] = [{}]
    for i in range(m):
        prefix.append(add(prefix[-1], full[i]))
    pieces: list[LossPiece] = [LossPiece(Q(0), 1 / (2 * rho.breaks[m]), _laurent_expr(prefix[m]))]
    for j in range(m - 1, -1, -1):
        expr = add(prefix[j], poly_part(Fraction(0), u[j], cs[j]), -1)
        for k, c in enumerate(cs[j]):
            if c:
                beta = Fraction(math.factorial(k) * math.factorial(r), math.factorial(k + r + 1)) / 2 ** (r + k + 1)
                expr[-(k + 1)] = expr.get(-(k + 1), Fraction(0)) + c * beta
        w_lo = 1 / (2 * rho.breaks[j + 1])
        w_hi = sympy.oo if j == 0 else 1 / (2 * rho.breaks[j])
        pieces.append(LossPiece(w_lo, w_hi, _laurent_expr(expr)))
    return pieces, 1 / (2 * rho.breaks[1])


def padded_at_zero(rho: PiecewisePoly) -> PiecewisePoly:
    """rho_|g| with breaks starting at 0.

    When |g| >= u_0 > 0 on the whole (sub-)domain (a cyclic slab away from the
    target's boundary) the density is 0 on (0, u_0): a zero piece is prepended, so
    L(w) = 0 for w >= w* = 1/(2 u_0) and the asymptotic coefficients are all 0.
    """
    if rho.breaks and rho.breaks[0] > 0:
        return PiecewisePoly((Q(0),) + tuple(rho.breaks), ((),) + tuple(rho.coeffs))
    return rho


def loss_from_abs_density(rho: PiecewisePoly, r: sympy.Rational) -> tuple[list[LossPiece], sympy.Rational]:
    """The piecewise exact L(w) from rho_|g| (module docstring); returns (pieces, w*)."""
    rho = padded_at_zero(rho)
    u = list(rho.breaks)
    if not u:
        raise ValueError("the level function does not reach 0 (the target has no boundary in the domain)")
    if r.is_integer:
        return _integer_r_pieces(rho, int(r))
    m = len(rho.coeffs)
    full_terms = [sum((c * band_term(u[i], u[i + 1], k, r) for k, c in enumerate(rho.coeffs[i])), Q(0))
                  for i in range(m)]
    prefix = [Q(0)]
    for t in full_terms:
        prefix.append(prefix[-1] + t)
    pieces: list[LossPiece] = []
    # w < 1/(2 u_m): the whole range is inside the band
    pieces.append(LossPiece(Q(0), 1 / (2 * u[m]), _tidy(prefix[m], r)))
    for j in range(m - 1, -1, -1):
        # h in [u_j, u_{j+1}]: pieces below j full, piece j up to h
        expr = prefix[j] + sum((c * band_term(u[j], None, k, r) for k, c in enumerate(rho.coeffs[j])), Q(0))
        w_lo = 1 / (2 * u[j + 1])
        w_hi = sympy.oo if j == 0 else 1 / (2 * u[j])
        pieces.append(LossPiece(w_lo, w_hi, _tidy(expr, r)))
    return pieces, 1 / (2 * u[1])


def asymptotic_coefficients(rho: PiecewisePoly, r: sympy.Rational) -> tuple[sympy.Expr, ...]:
    """c_k B(k+1, r+1) 2^-(r+k+1): the coefficient of w^-(k+1) for w >= w*."""
    out = []
    for k, c in enumerate(rho.coeffs[0]):
        beta = sympy.gamma(k + 1) * sympy.gamma(r + 1) / sympy.gamma(k + r + 2)
        out.append(sympy.simplify(c * beta * Q(2) ** (-(r + k + 1))))
    return tuple(out)


def derive(spec: Spec) -> Derivation:
    """Derive regions, density, piecewise L(w) and w* from the spec's network."""
    check_region_estimate(spec)  # before any work: refuse what would not finish
    net = spec.network
    if "sqnorm" in net.features:
        from .ball import derive_exact_ball  # the exact ball has curved level sets

        return derive_exact_ball(spec)
    if not head_error_check(net):
        raise AssertionError("head error formula failed its symbolic check")
    cells = linear_regions(net, spec.domain)
    signed = signed_density(cells, spec.density)
    rho = padded_at_zero(abs_density(signed))
    pieces, w_star = loss_from_abs_density(rho, spec.r)
    return Derivation(spec, cells, signed, rho, pieces, w_star, asymptotic_coefficients(rho, spec.r))
