"""Exact decision procedures: signs of polynomials on intervals, identities with radicals,
extrema of polynomials.  Each answers True only when the statement is proved exactly."""
from __future__ import annotations

from collections.abc import Sequence

import sympy
from flint import fmpq_poly

from relu_pointwise.symbolic.qfield import RationalQW, derivative_qw, rational_function

from .text import Q

__all__ = ["RationalQW", "derivative_qw", "poly_extremum", "poly_from_flint", "radical_zero", "rational_function",
           "rational_poly", "rational_zero", "sign_on_interval", "sign_poly"]

# ---------------------------------------------------------------- exact decision procedures

def sign_on_interval(P: sympy.Poly, lo: sympy.Rational, hi, s: int) -> bool:
    """True iff s * P(v) >= 0 for every v in [lo, hi] (``hi = sympy.oo`` allowed); exact.

    P = c prod f_j^(e_j) (square-free decomposition); factors of even multiplicity
    are squares, so sign(P) = sign(Q) where P != 0, Q = c prod_{e_j odd} f_j.  Q is
    square-free, hence changes sign at each of its real roots: s * P >= 0 on [lo, hi]
    iff Q has no root in the open interval (Sturm counting, ``count_roots``) and
    s * Q > 0 at one rational point inside.
    """
    if P.is_zero:
        return True
    if hi != sympy.oo and not lo < hi:
        return s * P.eval(lo) >= 0
    coeff, factors = P.sqf_list()
    odd = sympy.Poly(coeff, *P.gens, domain=P.domain)
    for f, e in factors:
        if e % 2:
            odd = odd * f
    if odd.degree() <= 0:
        return s * odd.LC() > 0
    inside = odd.count_roots(lo, None if hi == sympy.oo else hi)
    if odd.eval(lo) == 0:
        inside -= 1
    if hi != sympy.oo and odd.eval(hi) == 0:
        inside -= 1
    if inside > 0:
        return False
    probe = lo + 1 if hi == sympy.oo else (lo + hi) / 2
    return s * odd.eval(probe) > 0


def rational_poly(expr: sympy.Expr, var: sympy.Symbol) -> sympy.Poly | None:
    """``expr`` as a polynomial over QQ in ``var``, or None."""
    try:
        P = sympy.Poly(sympy.expand(expr), var)
    except sympy.PolynomialError:
        return None
    if not all(c.is_Rational for c in P.all_coeffs()):
        return None
    return sympy.Poly(P.as_expr(), var, domain="QQ")


def sign_poly(expr: sympy.Expr, var: sympy.Symbol) -> sympy.Poly | None:
    """N * D for a rational function expr = N / D over QQ (same sign as expr where D != 0)."""
    num, den = sympy.fraction(sympy.cancel(sympy.together(expr)))
    pn, pd = rational_poly(num, var), rational_poly(den, var)
    return None if pn is None or pd is None else pn * pd


def rational_zero(expr: sympy.Expr, var: sympy.Symbol) -> bool | None:
    """True / False: whether a rational function of ``var`` over Q is identically 0
    (:func:`rational_function`); None when ``expr`` is not one."""
    f = rational_function(expr, var)
    return None if f is None else f[0] == 0


def poly_from_flint(p: fmpq_poly, var: sympy.Symbol) -> sympy.Poly:
    """A python-flint polynomial as a SymPy ``Poly`` over QQ in ``var``."""
    coeffs = [Q(int(c.p), int(c.q)) for c in reversed(p.coeffs())]
    return sympy.Poly(coeffs or [0], var, domain="QQ")


def _linear_in(expr: sympy.Expr, var: sympy.Symbol) -> bool:
    """Whether ``expr`` is a polynomial of degree exactly 1 in ``var`` over Q."""
    P = rational_poly(expr, var)
    return P is not None and P.degree() == 1


def radical_zero(expr: sympy.Expr, var: sympy.Symbol, _inverted: bool = False) -> bool:
    """True only if ``expr`` (rational powers of linear forms in ``var`` -- or in 1/var --
    and of positive rationals, with rational coefficients) is identically zero where the
    bases are > 0.

    Each base k B_i(var) (k > 0) becomes s_i^D_i with s_i^D_i = B_i, each root of a
    positive rational q_j becomes t_j with t_j^D_j = q_j; the numerator is reduced
    modulo these relations (a Groebner basis under lex with s, t > var: the leading
    monomials are pairwise coprime).  Remainder 0 proves the identity; anything
    else returns False (not shown).  Bases linear in 1/var (c - 1/(2w)) are handled by
    the substitution var = 1/z (z > 0).  An expression without radicals (a rational
    function over Q) is decided directly in Q(var) by :func:`rational_zero`.
    """
    fast = rational_zero(expr, var)
    if fast is not None:
        return fast
    if not _inverted:
        nonlinear = any(a.exp.is_Rational and not a.exp.is_integer and a.base.has(var)
                        and not _linear_in(a.base, var)
                        for a in sympy.expand(expr).atoms(sympy.Pow))
        if nonlinear:
            z = sympy.Symbol("_rad_z", positive=True)
            return radical_zero(sympy.expand(expr.subs(var, 1 / z)), z, True)
    expr = sympy.expand(expr)
    if expr == 0:
        return True
    gens: list[sympy.Symbol] = []
    rels: list[sympy.Expr] = []
    bases: dict[sympy.Expr, list] = {}
    for a in expr.atoms(sympy.Pow):
        e = a.exp
        if e.is_Rational and not e.is_integer and a.base.has(var):
            P = rational_poly(a.base, var)
            if P is None or P.degree() != 1:
                return False
            k = abs(P.LC())
            bases.setdefault(sympy.expand(a.base / k), []).append((a, k, e))
    rep = {}
    for i, (b0, items) in enumerate(bases.items()):
        D = sympy.ilcm(1, *[e.q for _, _, e in items])
        s_i = sympy.Symbol(f"_rad_s{i}", positive=True)
        gens.append(s_i)
        rels.append(s_i ** D - b0)
        for a, k, e in items:
            rep[a] = k ** e * s_i ** int(e * D)
    expr = sympy.expand(expr.xreplace(rep))
    numeric: dict[sympy.Rational, list] = {}
    for a in expr.atoms(sympy.Pow):
        e = a.exp
        if e.is_Rational and not e.is_integer and a.base.is_Rational and a.base > 0:
            numeric.setdefault(a.base, []).append((a, e))
    rep = {}
    for j, (base, items) in enumerate(numeric.items()):
        D = sympy.ilcm(1, *[e.q for _, e in items])
        t_j = sympy.Symbol(f"_rad_t{j}", positive=True)
        gens.append(t_j)
        rels.append(t_j ** D - base)
        for a, e in items:
            rep[a] = t_j ** int(e * D)
    num, _ = sympy.fraction(sympy.together(expr.xreplace(rep)))
    num = sympy.expand(num)
    if num == 0:
        return True
    if not rels:
        return False
    try:
        _, rem = sympy.reduced(num, rels, *gens, var, order="lex")
    except (sympy.PolynomialError, sympy.CoercionFailed):
        return False
    return sympy.expand(rem) == 0


def _term_bound(coeffs: Sequence[sympy.Rational], a, b, lower: bool) -> sympy.Rational:
    """Bound of sum_k q_k v^k over v in [a, b] (0 <= a <= b), term by term."""
    total = Q(0)
    for k, q in enumerate(coeffs):
        lo_pow, hi_pow = a ** k, b ** k
        total += q * ((lo_pow if q >= 0 else hi_pow) if lower else (hi_pow if q >= 0 else lo_pow))
    return total


def poly_extremum(coeffs: Sequence[sympy.Rational], b: sympy.Rational, lower: bool
                  ) -> tuple[sympy.Rational, bool]:
    """(bound, attained) for min (lower) / max of p(v) = sum_k coeffs[k] v^k on [0, b].

    Candidates: p(0), p(b), p at rational critical points, and for an irrational
    critical point isolated in [a', b'] (SymPy ``intervals``, refined to width
    <= b / 2^40) the term-wise bound of p over [a', b'].  The min (max) of the
    candidates bounds p on [0, b] from below (above); ``attained`` says it is a value
    of p (so the bound is the exact extremum).
    """
    v = sympy.Symbol("v")
    P = sympy.Poly(list(reversed([Q(c) for c in coeffs])) or [0], v, domain="QQ")
    cands = [(P.eval(Q(0)), True), (P.eval(b), True)]
    dP = P.diff(v)
    if dP.degree() >= 1:
        for (a1, b1), _ in dP.intervals(inf=Q(0), sup=b):
            a1, b1 = Q(a1), Q(b1)
            if a1 == b1:
                cands.append((P.eval(a1), True))
                continue
            if b1 - a1 > b / 2 ** 40:
                a1, b1 = (Q(t) for t in dP.refine_root(a1, b1, eps=b / 2 ** 40))
            cands.append((_term_bound(coeffs, max(a1, Q(0)), min(b1, b), lower), False))
    best = (min if lower else max)(c for c, _ in cands)
    return best, any(c == best and att for c, att in cands)
