"""The population loss on [w*, oo): the asymptotic claim's closed form and the growth lemma.

* asymptotic: the claimed L(w) against the checker's own L(w) (:meth:`.claims.Checker.L`),
  as functions on [w*, oo). L is a Laurent polynomial in w on each piece of [w*, oo) between
  the knots w = 1/(2u) at the breaks u of the density of |g|. Where the checker has those
  pieces exactly (integer r: :meth:`.claims.Checker.L_pieces`) the claimed form minus each
  piece must cancel to 0 (:func:`pieces_identity`); otherwise, for a power sum
  sum_k a_k w^-(k+1), agreement at more rational points than the degree on every piece proves
  the identity (:func:`agree_at_points`, :func:`identity_points`); the exact ball by expanding
  the difference with the checker's own closed form of the radial integral
  (:func:`ball_asymptotic`);
* growth: with A(v) = w L(w) and B(v) = -w^2 L'(w) at v = 1/w, the bounds
  -L'(w) >= c/w^2 and L(w) <= Cbar/w on w >= w* are B(v) - c >= 0 and Cbar - A(v) >= 0 on
  [0, 1/w*], decided by real-root isolation (:mod:`.algebra`); the exact ball with odd d
  against the density bounds of |g| on the band (:func:`ball_growth`).
"""
from __future__ import annotations

from typing import Any

import sympy
from gmpy2 import mpq

from . import algebra, exactball
from .base import (
    MAX_FORM,
    Fail,
    Undecided,
    agree_expr,
    at_most_expr,
    bounded,
    exactly_equal,
    fields,
    le,
    same,
    show,
    value,
)
from .radial import OutsideRegime, density_bounds
from .read import W, expr, q_of, rational

# the claims.Checker that calls these checks (its L, L_pieces, cells, needs, ...); not imported
# here, so that claims -> asymptotic stays the only edge between the two modules
Checker = Any

IDENTITY_BUDGET = 400_000     # cell evaluations for the asymptotic identity (more: samples only, said so)


def closed_form(ck: Checker, d: dict[str, Any]) -> str:
    """The asymptotic claim: L(w) = L_asymptotic on [w*, oo) (see the module docstring), and its
    power-sum fields (coeffs of w L(w) in 1/w, C = lim w L(w), w* = 1/(2 u_1))."""
    fields(d, ("w_star", "L_asymptotic"), ("coeffs", "C", "u_1"))
    w_star = q_of(rational(d["w_star"], "asymptotic w_star"))
    if len(str(d["L_asymptotic"])) > MAX_FORM:
        raise Undecided(f"the closed form is longer than {MAX_FORM} characters")
    L = expr(d["L_asymptotic"], "asymptotic L_asymptotic")
    bounded(L)
    if w_star <= 0:
        raise Fail("w* <= 0")
    A, _ = algebra.in_v(L, W)
    try:
        mine_coeffs = sympy.Poly(A, algebra.V).all_coeffs()[::-1]
    except sympy.PolynomialError:
        mine_coeffs = None
    ball = ck._ball()
    if ball is not None:
        return ball_asymptotic(ck, d, L, w_star, ball, mine_coeffs)
    how = pieces_identity(ck, L, w_star)
    if how is None:
        how = agree_at_points(ck, L, w_star, mine_coeffs)
    if mine_coeffs is None and ("coeffs" in d or "C" in d):
        raise Fail("coeffs or C given, but the closed form is not a power sum in 1/w")
    if "coeffs" in d:
        if not isinstance(d["coeffs"], list):
            raise Fail("coeffs is not a list")
        theirs_c = [expr(c, "asymptotic coeffs") for c in d["coeffs"]]
        if len(theirs_c) != len(mine_coeffs):
            raise Fail("coeffs: not the coefficients of w L(w) in 1/w")
        for k, (a, b) in enumerate(zip(mine_coeffs, theirs_c)):
            agree_expr(a, b, f"coeffs[{k}] (of w L(w) in 1/w)")
    if "C" in d:
        agree_expr(mine_coeffs[0], expr(d["C"], "asymptotic C"), "C = lim w L(w)")
    if "u_1" in d and w_star * 2 * q_of(rational(d["u_1"], "asymptotic u_1")) != 1:
        raise Fail("w* != 1/(2 u_1)")
    return how


def pieces_identity(ck: Checker, L: sympy.Expr, w_star: Any) -> str | None:
    """The claimed form against the checker's own L on [w*, oo) as functions, where the checker
    has L there as Laurent pieces (integer r, piecewise-linear g: :meth:`.claims.Checker.L_pieces`):
    on each piece [w_a, w_b) the difference L_claimed - sum_p c_p w^p, put over one denominator
    (SymPy ``cancel``), is 0 -- then the identity holds on all of [w*, oo). A nonzero difference
    with rational coefficients vanishes at finitely many w only, so the form is false on that
    piece: Fail, naming a rational w of the piece where it differs. None (the caller samples
    points instead) where the pieces are not available or the difference is not decided."""
    try:
        pieces = ck.L_pieces(w_star)
    except Undecided:
        return None
    if pieces is None:
        return None
    for w_a, w_b, lau in pieces:
        if not all(isinstance(c, (int, mpq)) for c in lau.values()):
            return None
        mine = sum((sympy.Rational(int(mpq(c).numerator), int(mpq(c).denominator)) * W ** p
                    for p, c in lau.items()), sympy.Integer(0))
        diff = sympy.cancel(L - mine)
        if diff == 0:
            continue
        witness = _differs_at(diff, mpq(w_a), None if w_b is None else mpq(w_b))
        if witness is None:
            return None
        end = "oo" if w_b is None else show(w_b)
        gap = q_of(diff.subs(W, _sym(witness)))
        raise Fail(f"on [{show(w_a)}, {end}) the checker's L(w) is {str(mine)[:80]} (its Laurent piece); the "
                   f"closed form differs from it, e.g. at w = {show(witness)} by {show(gap)}")
    return (f"the closed form equals the checker's own L(w) identically on [w*, oo) = [{show(w_star)}, oo): on "
            f"each of its {len(pieces)} pieces between the knots w = 1/(2u) (u the breaks of the checker's "
            "density of |g|) the difference with the checker's Laurent polynomial cancels to 0")


def _sym(x: Any) -> sympy.Rational:
    return sympy.Rational(int(x.numerator), int(x.denominator))


def _differs_at(diff: sympy.Expr, w_a: Any, w_b: Any) -> Any:
    """A rational w in [w_a, w_b) (w_b None: oo) where the rational function ``diff`` (rational
    coefficients) is defined and nonzero; None when ``diff`` is not such a function. Its
    numerator and denominator have n + m roots at most, so n + m + 1 distinct points hold one."""
    num, den = sympy.fraction(sympy.together(diff))
    try:
        P, D = sympy.Poly(num, W), sympy.Poly(den, W)
    except sympy.PolynomialError:
        return None
    if P.is_zero or not (P.domain.is_QQ or P.domain.is_ZZ) or not (D.domain.is_QQ or D.domain.is_ZZ):
        return None
    n = P.degree() + max(D.degree(), 0) + 1
    for j in range(n):
        w = w_a + (j if w_b is None else (w_b - w_a) * mpq(j, n))
        if P.eval(_sym(w)) != 0 and D.eval(_sym(w)) != 0:
            return w
    return None


def agree_at_points(ck: Checker, L: sympy.Expr, w_star: Any, mine_coeffs: list[Any] | None) -> str:
    """The claimed form against the checker's own L(w) at rational points of [w*, oo): fixed
    samples, plus (:func:`identity_points`) enough points per piece to prove the identity."""
    pieces = identity_points(ck, w_star, mine_coeffs)
    ws = sorted({w_star, w_star + mpq(1, 16), w_star + mpq(1, 2), 3 * w_star / 2 + mpq(1, 3),
                 2 * w_star + 1, 5 * w_star + mpq(7, 3), 100 * w_star + 1} | set(pieces or ()))
    for w in ws:
        exact = ck.exact_L(w, False)
        if exact is not None and exactly_equal(exact, L.subs(W, sympy.Rational(int(w.numerator),
                                                                               int(w.denominator)))):
            continue          # equal as exact radicals (1-D, non-integer r)
        mine = ck.L(w)
        theirs = value(L, w)
        agree_ = same(mine, theirs)
        if agree_ is False:
            raise Fail(f"L({w}) = {show(mine)} by the checker's integral of |f(w,x) - f°(x)|^r, "
                       f"the closed form gives {show(theirs)}")
        if agree_ is None:
            raise Undecided(f"L({w}): the enclosures overlap but are too wide to decide")
    how = (f"the closed form equals the checker's own integral of the network's error at {len(ws)} rational "
           f"w >= w* = {w_star} (exactly)")
    if pieces is not None:
        return how + (": on each piece of [w*, oo) between the knots w = 1/(2u) at the breaks u of the "
                      "checker's density of |g| both sides are Laurent polynomials of bounded degree, sampled "
                      "at more points than that degree, so the identity holds on all of [w*, oo)")
    return how + ("; not a power sum in 1/w" if mine_coeffs is None else "") + (
        " (samples, not an identity proof: too many knots for the budget)" if mine_coeffs is not None
        and ck._ball() is None else "")


def ball_asymptotic(ck: Checker, d: dict[str, Any], L: sympy.Expr, w_star: Any, ball: tuple[Any, ...],
                    coeffs: list[Any] | None) -> str:
    """The exact ball: the claimed form against the checker's own closed form of the radial
    integral (:func:`.exactball.radial_symbolic`, valid on [w_reg, oo)), decided by expanding
    their difference; where they differ, a disagreement at a sample point refutes it."""
    lam, R2, dim, m2 = ball
    start = exactball.regime_start(lam, R2, m2)
    if ck.r.denominator != 1 or start is None:
        raise Undecided("the exact ball: the checker's radial integral needs integer r and the band inside the box")
    if w_star < start:
        raise Undecided(f"w* = {show(w_star)} is below {show(start)}, where the checker's radial integral starts")
    mine = exactball.radial_symbolic(lam, R2, dim, ck.r, ck.density, W)
    if not exactly_equal(mine, L):
        for w in (w_star, w_star + 1, 3 * w_star + mpq(1, 3)):
            if same(ck.L(w), value(L, w)) is False:
                raise Fail(f"L({w}) = {show(ck.L(w))} by the checker's radial integral, the closed form "
                           f"gives {show(value(L, w))}")
        raise Undecided("the closed form is not shown identical to the checker's radial integral")
    if coeffs is not None and "coeffs" in d:
        theirs = [expr(c, "asymptotic coeffs") for c in d["coeffs"]]
        if len(theirs) != len(coeffs):
            raise Fail("coeffs: not the coefficients of w L(w) in 1/w")
        for k, (a, b) in enumerate(zip(coeffs, theirs)):
            agree_expr(a, b, f"coeffs[{k}] (of w L(w) in 1/w)")
    if "C" in d:
        if coeffs is None:
            raise Fail("C given, but the closed form is not a power sum in 1/w")
        agree_expr(coeffs[0], expr(d["C"], "asymptotic C"), "C = lim w L(w)")
    if "u_1" in d and w_star * 2 * q_of(rational(d["u_1"], "asymptotic u_1")) != 1:
        raise Fail("w* != 1/(2 u_1)")
    return (f"the closed form is identical (its difference with the checker's own closed form of the radial "
            f"integral expands to 0) for every w >= {show(start)}, where the band lies inside the box and "
            f"off the centre; w* = {show(w_star)}")


def knot_points(ck: Checker, cells: list[Any]) -> tuple[list[Any], int] | None:
    """(the w = 1/(2u) at the breaks u of the density of |g|, sorted; the cost of one L(w) in cell
    evaluations), or None. With the checker's closed form of L (one Laurent polynomial per piece
    between the density's breaks, when it has one) those breaks; with Kuhn cells the values
    1/(2|g(v)|) at their vertices (where the volume of {|g| < u} on a simplex changes polynomial)."""
    forms = getattr(ck, "_forms", None)
    if ck._ball() is None and ck.exact_L(mpq(1), False) is not None:   # 1-D, non-integer r: Kuhn cells
        cells = ck.__dict__["_cells_1d"]
    elif forms is not None and ck.r.denominator == 1:
        return sorted({1 / (2 * b) for b in forms()[0].breaks if b > 0}), 1
    if not cells or not hasattr(cells[0], "simplex"):
        return None
    return sorted({1 / (2 * abs(g)) for c in cells for g in c.g if g != 0}), len(cells)


def identity_points(ck: Checker, w_star: Any, coeffs: list[Any] | None) -> list[Any] | None:
    """Points of [w*, oo) at which agreement of L with the closed form sum_k a_k w^-(k+1) (k < D)
    proves the identity, or None when that is not affordable (IDENTITY_BUDGET) or not applicable.

    Between consecutive knots 1/(2|g(v)|) (v the vertices of the checker's cells, where the
    density of |g| has its breaks), the band integral is sum_k p_k w^-(k+1) (k < d) plus, for
    integer r, a polynomial in w of degree <= r; beyond the last knot only the first part. So
    w^m (L - closed form), m = max(d, D), is a polynomial of degree <= m + r on an interior
    piece and of degree <= m - 1 in 1/w on the last: m + r + 1 (resp. m) points decide it."""
    if coeffs is None or ck._ball() is not None:
        return None          # (the coefficients may be irrational constants: every comparison is exact)
    found = knot_points(ck, ck.cells())
    if found is None:
        return None
    knots = [k for k in found[0] if k > w_star]
    if knots and ck.r.denominator != 1:
        return None
    m = max(ck.cert.spec.dim, len(coeffs))
    per = m + int(ck.r) + 2
    if (len(knots) * per + m + 1) * found[1] > IDENTITY_BUDGET:
        return None
    ends = [w_star, *knots]
    out = [a + (b - a) * mpq(j, per + 1) for a, b in zip(ends, ends[1:]) for j in range(1, per + 1)]
    return out + [ends[-1] + j for j in range(1, m + 2)]


def growth(ck: Checker, d: dict[str, Any]) -> str:
    """The growth lemma's bounds on w >= w*: -L'(w) >= c/w^2 and L(w) <= Cbar/w, with c > 0."""
    fields(d, ("w_star", "eta", "c", "Cbar", "3_eta_c"))
    asym = ck.needs("asymptotic")
    w_star = rational(d["w_star"], "growth w_star")
    if w_star != rational(asym["w_star"], "asymptotic w_star"):
        raise Fail("w* differs from the asymptotic claim's")
    if rational(d["eta"], "growth eta") != ck.cert.training.eta:
        raise Fail("eta differs from the inputs")
    L = expr(asym["L_asymptotic"], "asymptotic L_asymptotic")
    bounded(L)
    c, Cbar = expr(d["c"], "growth c"), expr(d["Cbar"], "growth Cbar")
    agree_expr(3 * ck.cert.training.eta * c, expr(d["3_eta_c"], "growth 3_eta_c"), "3_eta_c (3 eta c)")
    positive = le(value(c), mpq(0))
    if positive is True:
        raise Fail(f"c = {d['c']} is not > 0")
    if positive is None:
        raise Undecided(f"c = {d['c']} > 0 is not decided")
    if not algebra.cube_identity():
        raise Fail("the cube identity does not expand")
    A, B = algebra.in_v(L, W)
    V = sympy.Integer(1) / w_star
    for what, poly in (("-L'(w) >= c/w^2", B - c), ("L(w) <= Cbar/w", Cbar - A)):
        rp = algebra.rational_poly(sympy.expand(poly))
        if rp is None and ck._ball() is not None:
            return ball_growth(ck, d, c, Cbar, q_of(w_star))
        if rp is None:
            raise Undecided(f"{what}: the closed form is not a polynomial in v = 1/w "
                            "(rational coefficients times one constant)")
        P, kappa = rp
        sign = le(value(kappa), mpq(0))
        if sign is None:
            raise Undecided(f"{what}: the sign of {kappa} is undecided")
        if not algebra.nonnegative_on(-P if sign else P, sympy.Integer(0), V):
            raise Fail(f"{what} is false somewhere on w >= w* = {w_star} (real-root isolation in v = 1/w)")
    return (f"B(v) - c >= 0 and Cbar - A(v) >= 0 on [0, 1/w*] by real-root isolation (SymPy Poly), "
            f"the cube identity by expansion; c = {d['c']}, Cbar = {d['Cbar']}")


def ball_growth(ck: Checker, d: dict[str, Any], c: sympy.Expr, Cbar: sympy.Expr, w_star: Any) -> str:
    """The exact ball when L is not a power sum (odd d): c and Cbar against the density bounds."""
    ball = ck._ball()
    if ball is None:
        raise Undecided("not the exact ball")
    lam, R2, dim, m2 = ball
    try:
        low, high = density_bounds(lam, R2, dim, m2, w_star, ck.r, ck.density)   # the regime's test
    except OutsideRegime as exc:
        raise Undecided(str(exc)) from None
    ends = exactball.density_ends(lam, R2, dim, w_star, ck.r, ck.density)     # the same, exactly
    first_lower = exactly_equal(*ends) or le(value(ends[0]), value(ends[1])) is True
    lo_e, hi_e = ends if first_lower else ends[::-1]
    if not at_most_expr(c, lo_e) or not at_most_expr(hi_e, Cbar):
        raise Undecided(f"c = {d['c']} <= kappa min rho and Cbar = {d['Cbar']} >= kappa max rho = "
                        f"[{show(low)}, {show(high)}] (the checker's density of |g| on the band) are not shown")
    return ("c <= kappa min rho and Cbar >= kappa max rho, rho the density of |g| = lam|R^2 - |x|^2| "
            "on the band (monotone: its ends), compared exactly")
