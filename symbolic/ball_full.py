"""The exact ball's loss below w*: the band cut by the box (d = 2, and d = 3 down to the edges).

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

The band is the s-interval (c - h, c + h)/alpha cut to [0, d m^2]; it meets the faces for
h > alpha m^2 - c, the edges (d = 3) or corners (d = 2) for h > 2 alpha m^2 - c, and the
centre for h > c.  Between consecutive such w the integration limits are fixed expressions
(constants or (c -+ h)/alpha), so L is one closed form per w-interval.  Antiderivatives
(never sympy.integrate on a Piecewise): powers s^q integrate to s^(q+1)/(q+1); with
T(s) = atan(sqrt(s - m^2)/m), whose derivative is m / (2 s sqrt(s - m^2)), by parts

    integral s^k T(s) ds = s^(k+1) T(s)/(k+1)
                           - m/(2(k+1)) sum_i C(k, i) m^(2(k-i)) (s - m^2)^(i+1/2) / (i + 1/2).

Reference values (R = 1/2 in [-1, 1]^2, r = 2, probability measure): the band meets the sides
only for w < 2/3 and the corners only for w < 2/7; L(1) = 5 pi/256, L(w) = pi((w-2)^3 + 16)/(768 w)
on [2/3, 2], L(1/2) = 433/5760 + 101 pi/3072 - 125 atan(1/2)/768 (tests/test_ball_full.py).

Out of reach here: d = 3 below the edge threshold w_e = 1/(2(2 alpha m^2 - c)).  There the
sphere's caps overlap pairwise along the cube's edges; the area inside the cube is no longer
a sum of caps, rho_s carries terms like sqrt(s) atan(sqrt((s - 2m^2)/(...))) whose products
with the polynomial weight are not integrated here, so the exact pieces stop at w_e
(``exact_from = w_e``); :func:`full_pieces` says so in its note.  Non-integer r: the weight
(1/2 - w|u|)^r is then not a polynomial (incomplete Beta functions); not derived below w*.
"""
from __future__ import annotations

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


def _segments(d: int, m: sympy.Rational) -> list[tuple[sympy.Rational, sympy.Rational, list, sympy.Expr]]:
    """[(s0, s1, [(coef, power)], atan_coef)]: rho_s = sum coef s^power + atan_coef T(s) on (s0, s1)."""
    pi = sympy.pi
    if d == 2:
        return [(Q(0), m ** 2, [(pi, Q(0))], Q(0)), (m ** 2, 2 * m ** 2, [(pi, Q(0))], -4)]
    return [(Q(0), m ** 2, [(2 * pi, Q(1, 2))], Q(0)),
            (m ** 2, 2 * m ** 2, [(6 * pi * m, Q(0)), (-4 * pi, Q(1, 2))], Q(0))]


def _integral(poly: sympy.Poly, seg, a: sympy.Expr, b: sympy.Expr, m: sympy.Rational) -> sympy.Expr:
    """integral_a^b poly(s) rho_s(s) ds on one density segment (a, b inside it)."""
    _, _, powers, atan_coef = seg
    total = Q(0)
    for (k,), ck in poly.terms():
        for coef, p in powers:
            e = k + p + 1
            total += ck * coef * (b ** e - a ** e) / e
        if atan_coef != 0:
            total += ck * atan_coef * (_atan_antiderivative(k, m, b) - _atan_antiderivative(k, m, a))
    return total


def full_pieces(d: int, c: sympy.Rational, alpha: sympy.Rational, m: sympy.Rational, r: int,
                dens: sympy.Expr, w_star: sympy.Rational, w) -> tuple[list, sympy.Rational, str]:
    """(pieces [(w_lo, w_hi, L(w))] covering [exact_from, w*), exact_from, note) for g = c - alpha s
    on [-m, m]^d (d = 2 or 3), integer r (module docstring)."""
    top = 2 * m ** 2          # the last density segment derived here ends at 2 m^2 (d = 2: the corners)
    events = {1 / (2 * c), 1 / (2 * (alpha * m ** 2 - c)), 1 / (2 * (alpha * top - c))}
    exact_from = Q(0) if d == 2 else 1 / (2 * (alpha * top - c))
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
        pieces.append((lo, hi, sympy.expand(dens * total)))
    if d == 2:
        note = (f"for w < w* the band leaves the inscribed disk: it meets the square's sides for "
                f"w < {rational_text(1 / (2 * (alpha * m ** 2 - c)))} and its corners for "
                f"w < {rational_text(1 / (2 * (alpha * top - c)))}, and reaches the centre for "
                f"w < {rational_text(1 / (2 * c))}; exact there with atan and square roots")
    else:
        note = (f"for w < w* the band meets the cube's faces for w < {rational_text(1 / (2 * (alpha * m ** 2 - c)))} "
                f"(exact: the sphere minus 6 disjoint caps) and reaches the centre for w < "
                f"{rational_text(1 / (2 * c))}; below w_e = {rational_text(exact_from)} it meets the cube's edges, "
                "where the caps overlap and the area inside the cube is not integrated here: the exact loss "
                f"starts at w_e = {rational_text(exact_from)}")
    return pieces, exact_from, note
