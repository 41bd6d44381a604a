"""The exact ball's loss below w*: the band cut by the box (the cube in d = 2 and 3, every w > 0).

Setting (:mod:`symbolic.ball`): g = c - alpha s with s = |x|^2, on the cube [-m, m]^d, mu with
constant density ``dens``, integer r.  With h = 1/(2w),

    L(w) = dens * integral (1/2 - w |c - alpha s|)_+^r  rho_s(s) ds,

rho_s the Lebesgue density of s on the cube, which is elementary piece by piece
(A(s) = vol{x in cube : |x|^2 <= s}, rho_s = A'(s)):

* d = 2:  rho_s = pi on (0, m^2) (the disk inside the square);
          rho_s = pi - 4 atan(sqrt(s - m^2)/m) on (m^2, 2 m^2): the circle of radius sqrt(s)
          loses 8 arcs of angle acos(m/sqrt s) = atan(sqrt(s - m^2)/m) beyond the sides, and
          dA/ds = (angle inside)/2;
* d = 3:  rho_s = 2 pi sqrt(s) on (0, m^2);
          rho_s = 6 pi m - 4 pi sqrt(s) on (m^2, 2 m^2): the sphere of radius t = sqrt s loses 6
          disjoint caps of area 2 pi t (t - m) (Archimedes), and dA/ds = area/(2t).

* d = 3:  rho_s = m rho_1(s/m^2) on (2 m^2, 3 m^2), where for sigma in (2, 3), t = sqrt(sigma),
          u = sqrt(sigma - 2):

              rho_1(sigma) = 6 pi - 24 atan(u) - 4 pi t + 8 t atan(t u) + 8 t atan(u/t).

          Derivation: per octant the sphere's area inside the cube is
          t integral_{x0}^{1} integral_{sqrt(b^2 - x^2)}^{1} (t^2 - x^2 - y^2)^(-1/2) dy dx with
          b^2 = t^2 - 1, x0 = sqrt(t^2 - 2); the inner integral is 2 asin(1/sqrt(t^2 - x^2)) - pi/2,
          asin(1/sqrt(t^2 - x^2)) = atan(1/sqrt(b^2 - x^2)); by parts and x = b sin(theta) the rest
          is -theta + t atan(tan(theta)/t) (t^2 - b^2 = 1); rho = 8 area / (2t).  Checks: at
          sigma = 2 it equals 6 pi - 4 pi sqrt 2 (continuous with the faces' piece), at sigma = 3
          it is 0, and it matches the law of |x|^2 of numeric.np_radial to 1e-3.

The band is the s-interval (c - h, c + h)/alpha cut to [0, d m^2]; it meets the faces for
h > alpha m^2 - c, the edges (d = 3) or corners (d = 2) for h > 2 alpha m^2 - c, covers the
whole box for h > d alpha m^2 - c, and reaches the centre for h > c.  Between consecutive
such w the integration limits are fixed expressions (constants or (c -+ h)/alpha), so L is
one closed form per w-interval.  Antiderivatives
(never sympy.integrate on a Piecewise): powers s^q integrate to s^(q+1)/(q+1); with
T(s) = atan(sqrt(s - m^2)/m), whose derivative is m / (2 s sqrt(s - m^2)), by parts

    integral s^k T(s) ds = s^(k+1) T(s)/(k+1)
                           - m/(2(k+1)) sum_i C(k, i) m^(2(k-i)) (s - m^2)^(i+1/2) / (i + 1/2).

For the d = 3 corner piece every atan term has, after one integration by parts, the same
remaining integral (d/dsigma atan(u) = 1/(2(sigma-1)u), d/dsigma atan(t u) = 1/((sigma-1) t u),
d/dsigma atan(u/t) = 1/(2(sigma-1) t u)):

    G_k(sigma) = integral sigma^(k+1) / ((sigma - 1) u) dsigma
               = 2 [sum_{j=1}^{k+1} C(k+1, j) integral (v^2 + 1)^(j-1) dv + atan(v)],   v = u,

by sigma = v^2 + 2 and (v^2 + 2)^(k+1) = sum_j C(k+1, j) (v^2 + 1)^j; so

    integral sigma^k rho_1 = 6 pi sigma^(k+1)/(k+1) - 4 pi sigma^(k+3/2)/(k+3/2)
        - 24 [sigma^(k+1) atan(u)/(k+1) - G_k/(2(k+1))]
        + 8 [sigma^(k+3/2) (atan(t u) + atan(u/t))/(k+3/2) - 3 G_k/(2(k+3/2))].

Reference values (R = 1/2 in [-1, 1]^2, r = 2, probability measure): the band meets the sides
only for w < 2/3 and the corners only for w < 2/7; L(1) = 5 pi/256, L(w) = pi((w-2)^3 + 16)/(768 w)
on [2/3, 2], L(1/2) = 433/5760 + 101 pi/3072 - 125 atan(1/2)/768 (tests/test_ball_full.py).

Not derived: non-integer r (the weight (1/2 - w|u|)^r is then not a polynomial: incomplete
Beta functions), boxes that are not cubes centred at 0, and d >= 4 (the exact pieces then start
at w*).
"""
from __future__ import annotations

from typing import Any

import sympy

from .numbers import rational_text

Q = sympy.Rational
s = sympy.Symbol("s", positive=True)


def _atan_antiderivative(k: int, m: sympy.Rational, x: sympy.Expr) -> sympy.Expr:
    """integral s^k atan(sqrt(s - m^2)/m) ds at s = x (module docstring), for x >= m^2."""
    T = sympy.atan(sympy.sqrt(x - m ** 2) / m)
    rest = sum((sympy.binomial(k, i) * m ** (2 * (k - i)) * (x - m ** 2) ** (i + Q(1, 2)) / (i + Q(1, 2))
                for i in range(k + 1)), Q(0))
    return x ** (k + 1) * T / (k + 1) - m / (2 * (k + 1)) * rest


def _G(k: int, x: sympy.Expr) -> sympy.Expr:
    """G_k(sigma) at sigma = x (module docstring), v = sqrt(x - 2)."""
    v = sympy.sqrt(x - 2)
    y = sympy.Symbol("y")
    poly = sum((sympy.binomial(k + 1, j) * (y ** 2 + 1) ** (j - 1) for j in range(1, k + 2)), Q(0))
    P = sympy.Poly(sympy.expand(poly), y)
    anti = sum((c * v ** (e + 1) / (e + 1) for (e,), c in P.terms()), Q(0))
    return 2 * (anti + sympy.atan(v))


def _corner_antiderivative(k: int, x: sympy.Expr) -> sympy.Expr:
    """integral sigma^k rho_1(sigma) dsigma at sigma = x in [2, 3] (d = 3, the module docstring)."""
    pi = sympy.pi
    t, u = sympy.sqrt(x), sympy.sqrt(x - 2)
    G = _G(k, x)
    h = Q(2 * k + 3, 2)
    return (6 * pi * x ** (k + 1) / (k + 1) - 4 * pi * x ** h / h
            - 24 * (x ** (k + 1) * sympy.atan(u) / (k + 1) - G / (2 * (k + 1)))
            + 8 * (x ** h * (sympy.atan(t * u) + sympy.atan(u / t)) / h - 3 * G / (2 * h)))


CORNER = "corner"


def _segments(d: int, m: sympy.Rational) -> list[tuple[sympy.Rational, sympy.Rational, Any, sympy.Expr]]:
    """[(s0, s1, [(coef, power)], atan_coef)]: rho_s = sum coef s^power + atan_coef T(s) on (s0, s1);
    d = 3's last segment is marked CORNER (its antiderivative is :func:`_corner_antiderivative`)."""
    pi = sympy.pi
    if d == 2:
        return [(Q(0), m ** 2, [(pi, Q(0))], Q(0)), (m ** 2, 2 * m ** 2, [(pi, Q(0))], -4)]
    return [(Q(0), m ** 2, [(2 * pi, Q(1, 2))], Q(0)),
            (m ** 2, 2 * m ** 2, [(6 * pi * m, Q(0)), (-4 * pi, Q(1, 2))], Q(0)),
            (2 * m ** 2, 3 * m ** 2, CORNER, Q(0))]


def _integral(poly: sympy.Poly, seg, a: sympy.Expr, b: sympy.Expr, m: sympy.Rational) -> sympy.Expr:
    """integral_a^b poly(s) rho_s(s) ds on one density segment (a, b inside it)."""
    _, _, powers, atan_coef = seg
    total = Q(0)
    if powers == CORNER:
        # s = m^2 sigma, rho_s(s) = m rho_1(sigma): integral_a^b s^k rho_s ds = m^(2k+3) [F_k]_{a/m^2}^{b/m^2}
        for (k,), ck in poly.terms():
            total += ck * m ** (2 * k + 3) * (_corner_antiderivative(k, b / m ** 2)
                                              - _corner_antiderivative(k, a / m ** 2))
        return total
    for (k,), ck in poly.terms():
        for coef, p in powers:
            e = k + p + 1
            total += ck * coef * (b ** e - a ** e) / e
        if atan_coef != 0:
            total += ck * atan_coef * (_atan_antiderivative(k, m, b) - _atan_antiderivative(k, m, a))
    return total


def _tidy(expr: sympy.Expr) -> sympy.Expr:
    """The expanded closed form collected by its atan terms and square roots, coefficients factored:
    a few times shorter than the expansion (d = 3 below the edges: 111 operations instead of 319),
    which keeps L', Phi and their JSON text within the expression reader's limits."""
    e = sympy.expand(expr)
    funcs = sorted(e.atoms(sympy.atan), key=sympy.default_sort_key)
    roots = sorted((a for a in e.atoms(sympy.Pow) if not a.exp.is_integer), key=sympy.default_sort_key)
    return sympy.collect(e, funcs + roots, sympy.factor)


def full_pieces(d: int, c: sympy.Rational, alpha: sympy.Rational, m: sympy.Rational, r: int,
                dens: sympy.Expr, w_star: sympy.Rational, w) -> tuple[list, sympy.Rational, str]:
    """(pieces [(w_lo, w_hi, L(w))] covering [exact_from, w*), exact_from, note) for g = c - alpha s
    on [-m, m]^d (d = 2 or 3), integer r (module docstring)."""
    top = d * m ** 2          # the box's farthest corner
    events = {1 / (2 * c), 1 / (2 * (alpha * m ** 2 - c)), 1 / (2 * (alpha * 2 * m ** 2 - c))}
    if d == 3:
        events.add(1 / (2 * (alpha * top - c)))
    exact_from = Q(0)
    cuts = sorted({e for e in events if exact_from < e < w_star} | {exact_from, w_star})
    h = 1 / (2 * w)
    u_mid = c / alpha
    pieces = []
    for lo, hi in zip(cuts, cuts[1:]):
        wt = (lo + hi) / 2                         # a sample w: which limits are active on (lo, hi)
        ht = 1 / (2 * wt)
        total = Q(0)
        for side, (a_expr, b_expr, a_t, b_t) in enumerate((((c - h) / alpha, u_mid, (c - ht) / alpha, u_mid),
                                                          (u_mid, (c + h) / alpha, u_mid, (c + ht) / alpha))):
            err = Q(1, 2) - w * (c - alpha * s) if side == 0 else Q(1, 2) - w * (alpha * s - c)
            poly = sympy.Poly(sympy.expand(err ** r), s)
            for seg in _segments(d, m):
                s0, s1 = seg[0], seg[1]
                A, A_t = (a_expr, a_t) if a_t > s0 else (s0, s0)
                B, B_t = (b_expr, b_t) if b_t < s1 else (s1, s1)
                if A_t >= B_t:
                    continue
                total += _integral(poly, seg, A, B, m)
        pieces.append((lo, hi, _tidy(dens * total)))
    far = "corners" if d == 2 else "edges"
    note = (f"for w < w* the band leaves the inscribed ball: it meets the box's faces for "
            f"w < {rational_text(1 / (2 * (alpha * m ** 2 - c)))}, its {far} for "
            f"w < {rational_text(1 / (2 * (alpha * 2 * m ** 2 - c)))}"
            + (f", covers the whole cube for w < {rational_text(1 / (2 * (alpha * top - c)))}" if d == 3 else "")
            + f", and reaches the centre for w < {rational_text(1 / (2 * c))}; exact there with atan and "
            "square roots (symbolic.ball_full)")
    return pieces, exact_from, note
