"""Exact rational functions of one variable over Q, with python-flint.

A SymPy expression built from rationals, the variable, sums, products and integer powers
is a rational function N / D in Q(var); :func:`rational_function` evaluates its tree in
that field with ``fmpq_poly`` arithmetic (exact, in C), so deciding ``expr == 0``,
differentiating, or putting it in lowest terms needs no SymPy ``expand`` / ``diff``.
"""
from __future__ import annotations

import sympy
from flint import fmpq, fmpq_poly

__all__ = ["RationalQW", "derivative_qw", "rational_function", "to_sympy"]

#: A rational function N / D in Q(var), as two python-flint polynomials (D != 0).
RationalQW = tuple[fmpq_poly, fmpq_poly]
_ONE_POLY = fmpq_poly([1])
_VAR_POLY = fmpq_poly([0, 1])


def rational_function(expr: sympy.Expr, var: sympy.Symbol) -> RationalQW | None:
    """``expr`` as N / D in Q(var) (python-flint ``fmpq_poly``), or None when it is not a
    rational function of ``var`` with rational coefficients.

    Exact evaluation of the expression tree in the field Q(var): Add and Mul by
    n1/d1 + n2/d2 = (n1 d2 + n2 d1)/(d1 d2) and (n1 n2)/(d1 d2), integer powers by
    repeated products (negative ones swap N and D), numbers and ``var`` as constants and
    the monomial x; anything else (another symbol, a non-integer power, pi, a function,
    a float) gives None.  No expansion in SymPy: flint's polynomial arithmetic over Q is
    exact, so ``N == 0`` decides ``expr == 0`` in Q(var).
    """
    if expr.is_Rational:
        return fmpq_poly([fmpq(int(expr.p), int(expr.q))]), _ONE_POLY
    if expr == var:
        return _VAR_POLY, _ONE_POLY
    if expr.is_Add or expr.is_Mul:
        parts = []
        for a in expr.args:
            f = rational_function(a, var)
            if f is None:
                return None
            parts.append(f)
        n, d = parts[0]
        for n2, d2 in parts[1:]:
            if expr.is_Mul:
                n, d = n * n2, d * d2
            elif d == d2:
                n = n + n2
            else:
                n, d = n * d2 + n2 * d, d * d2
        return n, d
    if expr.is_Pow and expr.exp.is_Integer:
        f = rational_function(expr.base, var)
        if f is None:
            return None
        n, d = f
        e = int(expr.exp)
        if e < 0:
            if n == 0:
                return None          # 1/0: not a rational function (SymPy would say zoo)
            n, d, e = d, n, -e
        return n ** e, d ** e
    return None


def derivative_qw(f: RationalQW) -> RationalQW:
    """(N/D)' = (N' D - N D') / D^2, exactly."""
    n, d = f
    return n.derivative() * d - n * d.derivative(), d * d




def to_sympy(f: RationalQW, var: sympy.Symbol) -> sympy.Expr:
    """N / D as a SymPy expression in lowest terms, in the form ``sympy.cancel`` gives
    (N and D reduced by their gcd in flint first, so SymPy's cancel has nothing to do)."""
    n, d = f
    g = n.gcd(d)
    if g != 1 and g != 0:
        n, d = n / g, d / g
    num = sympy.Poly([sympy.Rational(int(c.p), int(c.q)) for c in reversed(n.coeffs())] or [0], var, domain="QQ")
    den = sympy.Poly([sympy.Rational(int(c.p), int(c.q)) for c in reversed(d.coeffs())], var, domain="QQ")
    return sympy.cancel(num.as_expr() / den.as_expr())
