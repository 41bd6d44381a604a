"""Exact one-variable facts for the checker: sign of a polynomial on an interval by real-root
isolation (SymPy ``Poly``: square-free factors, Sturm counts), and the closed form L(w)
rewritten in v = 1/w.

With L(w) = sum_k a_k w^-(k+1) (the certificate's closed form for w >= w*):
  A(v) = w L(w) = sum_k a_k v^k,   B(v) = w^2 (-L'(w)) = sum_k (k+1) a_k v^k,
so L(w) <= Cbar/w  iff  Cbar - A(v) >= 0 and -L'(w) >= c/w^2  iff  B(v) - c >= 0,
for v in (0, 1/w*].
"""
from __future__ import annotations

import sympy

V = sympy.Symbol("v", positive=True)


def in_v(expr: sympy.Expr, w: sympy.Symbol) -> tuple[sympy.Expr, sympy.Expr]:
    """A(v) = w L(w) and B(v) = -w^2 L'(w) at w = 1/v, simplified by ``cancel``."""
    A = sympy.cancel(sympy.together((expr * w).subs(w, 1 / V)))
    B = sympy.cancel(sympy.together((-sympy.diff(expr, w) * w ** 2).subs(w, 1 / V)))
    return A, B


def rational_poly(expr: sympy.Expr) -> tuple[sympy.Poly, sympy.Expr] | None:
    """expr = kappa * P(v) with P over QQ and kappa a nonzero constant (its first coefficient's
    irrational part), or None when the coefficients are not rational multiples of one constant."""
    try:
        p = sympy.Poly(expr, V)
    except sympy.PolynomialError:
        return None
    coeffs = p.all_coeffs()
    nonzero = [c for c in coeffs if c != 0]
    if not nonzero:
        return sympy.Poly(0, V, domain="QQ"), sympy.Integer(1)
    kappa = nonzero[0]
    kappa = kappa if not kappa.is_Rational else sympy.Integer(1)
    ratios = [sympy.cancel(c / kappa) for c in coeffs]
    if not all(r.is_Rational for r in ratios):
        return None
    return sympy.Poly(ratios, V, domain="QQ"), kappa


def nonnegative_on(P: sympy.Poly, lo: sympy.Rational, hi: sympy.Rational) -> bool:
    """P >= 0 on [lo, hi] (P over QQ): no factor of odd multiplicity has a root inside (lo, hi),
    and P is >= 0 at the ends and positive at a non-root interior point."""
    if P.is_zero:
        return True
    if P.eval(lo) < 0 or P.eval(hi) < 0:
        return False
    _, factors = P.sqf_list()
    for f, mult in factors:
        if mult % 2 == 0 or f.degree() < 1:
            continue
        inside = f.count_roots(lo, hi) - (1 if f.eval(lo) == 0 else 0) - (1 if f.eval(hi) == 0 else 0)
        if inside > 0:
            return False
    for k in range(2, 2 + P.degree() + 2):
        m = lo + (hi - lo) / k
        val = P.eval(m)
        if val != 0:
            return bool(val > 0)
    return False


def cube_identity() -> bool:
    """(w + b/w^2)^3 - w^3 - 3b = 3b^2/w^3 + b^3/w^6, by expansion (the growth step)."""
    w, b = sympy.symbols("w b", positive=True)
    lhs = sympy.expand((w + b / w ** 2) ** 3 - w ** 3 - 3 * b)
    return sympy.expand(lhs - 3 * b ** 2 / w ** 3 - b ** 3 / w ** 6) == 0


def chord_bound_identity() -> bool:
    """On [a, a + h]: chord(u) - u^2 = (u - a)(a + h - u), and (h/2)^2 - (u - a)(a + h - u) =
    (u - a - h/2)^2, so 0 <= q_N(u) - u^2 <= h^2/4 = 4^(-N-1) for h = 2^-N."""
    u, a, h = sympy.symbols("u a h")
    chord = a ** 2 + (2 * a + h) * (u - a)
    one = sympy.expand(chord - u ** 2 - (u - a) * (a + h - u)) == 0
    two = sympy.expand((h / 2) ** 2 - (u - a) * (a + h - u) - (u - a - h / 2) ** 2) == 0
    return one and two

