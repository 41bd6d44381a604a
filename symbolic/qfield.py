"""Exact rational functions of one variable over Q, with python-flint.

A SymPy expression built from rationals, the variable, sums, products and integer powers
is a rational function N / D in Q(var); :func:`rational_function` evaluates its tree in
that field with ``fmpq_poly`` arithmetic (exact, in C), so deciding ``expr == 0``,
differentiating, or putting it in lowest terms needs no SymPy ``expand`` / ``diff``.
"""
from __future__ import annotations

import sympy
from flint import fmpq, fmpq_poly, fmpz_poly

__all__ = ["RationalQW", "derivative_qw", "rational_function", "integer_pair", "to_sympy", "to_sympy_by_cancel"]

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
    """N / D as a SymPy expression in lowest terms, in the form ``sympy.cancel`` gives,
    built directly (no ``cancel``: its ``factor_terms`` dominated the derivation of deep
    networks).

    Why this is cancel's form.  ``sympy.cancel(e)`` of a rational function e of one
    variable returns ``P.as_expr() / Q.as_expr()`` with P, Q in Z[var] from its
    ``dmp_cancel``: the numerator and denominator cleared of denominators, divided by their
    gcd in Z[var] (content included), the signs flipped so that LC(Q) > 0.  In the UFD
    Z[var] that pair is unique for the function N/D (coprime pairs differ by a unit +-1,
    fixed by LC(Q) > 0), whatever form e had; so computing it in flint (``fmpz_poly``
    gcd, which includes the content) and forming ``P.as_expr() / Q.as_expr()`` by the same
    SymPy operations gives the same expression.  :func:`to_sympy_by_cancel` is the
    reference (tests compare the two, ``srepr`` included).
    """
    if f[0] == 0:
        if f[1] == 0:
            raise ZeroDivisionError("to_sympy: zero denominator")
        return sympy.Integer(0)
    p, q = integer_pair(f)
    num = sympy.Poly([sympy.Integer(int(c)) for c in reversed(p.coeffs())], var, domain="ZZ")
    den = sympy.Poly([sympy.Integer(int(c)) for c in reversed(q.coeffs())], var, domain="ZZ")
    return num.as_expr() / den.as_expr()


def integer_pair(f: RationalQW) -> tuple[fmpz_poly, fmpz_poly]:
    """N / D as P / Q with P, Q in Z[var] coprime (content included) and LC(Q) > 0: the
    unique such pair (the pair ``sympy.cancel`` forms, see :func:`to_sympy`)."""
    n, d = f
    if d == 0:
        raise ZeroDivisionError("integer_pair: zero denominator")
    # N/D = (num(n) den(d)) / (num(d) den(n)) with integer polynomials
    p = n.numer() * int(d.denom())
    q = d.numer() * int(n.denom())
    if p == 0:
        return p, fmpz_poly([1])
    g = p.gcd(q)
    if g != 1:
        p, q = _exact_quotient(p, g), _exact_quotient(q, g)
    if int(q[q.degree()]) < 0:
        p, q = -p, -q
    return p, q


def _exact_quotient(a: fmpz_poly, b: fmpz_poly) -> fmpz_poly:
    quo, rem = divmod(a, b)
    if rem != 0:          # b is a gcd of a: a nonzero remainder would be a flint bug
        raise ArithmeticError("to_sympy: the gcd does not divide")
    return quo


def to_sympy_by_cancel(f: RationalQW, var: sympy.Symbol) -> sympy.Expr:
    """The reference for :func:`to_sympy`: SymPy's ``cancel`` of N / D (N, D first reduced
    by their gcd in flint)."""
    n, d = f
    g = n.gcd(d)
    if g != 1 and g != 0:
        n, d = n / g, d / g
    num = sympy.Poly([sympy.Rational(int(c.p), int(c.q)) for c in reversed(n.coeffs())] or [0], var, domain="QQ")
    den = sympy.Poly([sympy.Rational(int(c.p), int(c.q)) for c in reversed(d.coeffs())], var, domain="QQ")
    return sympy.cancel(num.as_expr() / den.as_expr())
