"""Proof obligations (proofs.lemmas): pinned constants, the growth identity, the exact
decision procedures, and that each lemma fails when its premise is broken."""
from __future__ import annotations

import dataclasses

import pytest
import sympy
from gmpy2 import mpq
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from relu_pointwise.proofs import lemmas as L
from relu_pointwise.symbolic.loss import LossPiece, derive, w
from relu_pointwise.symbolic.spec import make_spec, make_training
from relu_pointwise.testing import rationals

Q = sympy.Rational


def test_pinned_interval_constants():
    """interval (-1/2, 1/2) in [-1, 1], r = 2: w* = 1 and C = c = Cbar = 1/12.

    Derivation by hand: g(x) = min(x + 1/2, 1/2 - x) takes every value s in (-1/2, 1/2]
    on a set of Lebesgue measure 2 ds (two branches), and mu = dx/2 (probability on
    [-1, 1]); so the density of g is 1 on (-1/2, 1/2) and that of |g| is rho(u) = 2 on
    (0, 1/2): u_1 = 1/2, w* = 1/(2 u_1) = 1.  For w >= 1 the band |g| < 1/(2w) lies in
    (0, 1/2], and L(w) = int_0^{1/(2w)} (1/2 - w u)^2 2 du = (2/w) int_0^{1/2} v^2 dv
    = (2/w)(1/24) = 1/(12 w): a pure 1/w regime, so C = c = Cbar = 1/12, and
    -L'(w) = 1/(12 w^2) gives 3 eta c = 1/4 for eta = 1.
    """
    d = derive(make_spec("interval:-1/2,1/2"))
    claim, g = L.growth_claim(d, Q(1))
    assert claim.status == L.PROVED
    assert d.w_star == 1
    assert (g.C, g.c, g.Cbar) == (Q(1, 12), Q(1, 12), Q(1, 12))
    assert claim.data["3_eta_c"] == "1/4"
    a = L.asymptotic_claim(d)
    assert a.status == L.PROVED and a.data["C"] == "1/12" and a.data["L_asymptotic"] == "1/(12*w)"


def test_pinned_deep_ball_constants():
    """deep ball d = 2, R = 1/2, N = 2, r = 2: c = 37/540 < C = Cbar = 2/27 (not a pure 1/w regime).

    The derivation gives L(w) = (10 w - 3)/(135 w^2) = 2/(27 w) - 1/(45 w^2) for w >= w* = 8.
    With v = 1/w in (0, 1/8]: w L = 2/27 - v/45, maximal at v -> 0: Cbar = 2/27;
    w^2 (-L') = 2/27 - 2v/45, minimal at v = 1/8: c = 2/27 - 1/180 = 37/540.
    """
    d = derive(make_spec("ball:d=2,R=1/2,N=2"))
    assert d.asymptotic == (10 * w - 3) / (135 * w ** 2)
    claim, g = L.growth_claim(d, Q(1))
    assert claim.status == L.PROVED
    assert (g.c, g.Cbar, d.w_star) == (Q(37, 540), Q(2, 27), 8)


def test_growth_identity():
    """(w + b/w^2)^3 - w^3 - 3b = 3b^2/w^3 + b^3/w^6 (the step from -L' >= c/w^2 to Phi^3 - w^3 >= 3 eta c)."""
    b = sympy.Symbol("b", positive=True)
    assert sympy.expand((w + b / w ** 2) ** 3 - w ** 3 - 3 * b - 3 * b ** 2 / w ** 3 - b ** 3 / w ** 6) == 0
    d = derive(make_spec("interval:-1/2,1/2"))
    claim, _ = L.growth_claim(d, Q(1))
    assert claim.status == L.PROVED and "3b^2/w^3 + b^3/w^6" in claim.statement


SPECS_GROWTH = ["interval:-1/3,1/5", "ball:d=2,R=1/2,N=2", "union:-1,-1/2;0,1/3"]


@pytest.mark.parametrize("text", SPECS_GROWTH)
@settings(max_examples=25)
@given(wv=rationals(0, 40, 64), eta=rationals(Q(1, 8), 4, 8))
def test_growth_bounds_hold_exactly(text, wv, eta):
    """For w >= w*: -L'(w) >= c/w^2, L(w) <= Cbar/w and Phi(w)^3 - w^3 >= 3 eta c, in exact arithmetic."""
    d = _derived(text)
    _, g = L.growth_claim(d, eta)
    wv = d.w_star + abs(wv)
    assume(eta > 0)
    Lw, dL = d.loss(wv), d.gradient(wv)
    assert -dL >= g.c / wv ** 2
    assert Lw <= g.Cbar / wv
    phi = wv - eta * dL
    assert phi ** 3 - wv ** 3 >= 3 * eta * g.c


_CACHE: dict = {}


def _derived(text, r="2"):
    key = (text, r)
    if key not in _CACHE:
        _CACHE[key] = derive(make_spec(text, r=r))
    return _CACHE[key]


# ---------------------------------------------------------------- exact decision procedures

@settings(max_examples=60)
@given(roots=st.lists(rationals(-3, 3, 8), min_size=0, max_size=4),
       mult=st.lists(st.integers(1, 3), min_size=4, max_size=4),
       lead=st.sampled_from([-2, -1, 1, 3]), iv=st.tuples(rationals(-4, 4, 8), rationals(-4, 4, 8)))
def test_sign_on_interval_matches_the_factorisation(roots, mult, lead, iv):
    """P = lead * prod (v - a_i)^m_i: P >= 0 on [lo, hi] iff no root of odd total multiplicity lies
    strictly inside (else P changes sign there) and P >= 0 at one non-root point -- decided here
    from the construction and compared with the Sturm-based procedure."""
    v = sympy.Symbol("v")
    lo, hi = min(iv), max(iv)
    assume(lo < hi)
    P = sympy.Poly(lead * sympy.prod([(v - a) ** m for a, m in zip(roots, mult)]), v, domain="QQ")
    total: dict = {}
    for a, m in zip(roots, mult):
        total[a] = total.get(a, 0) + m
    inside_odd = any(lo < a < hi and m % 2 for a, m in total.items())
    probe = next(p for p in (lo + (hi - lo) * Q(k, 7) for k in range(1, 7)) if p not in total)
    expected_nonneg = (not inside_odd) and P.eval(probe) >= 0
    assert L.sign_on_interval(P, lo, hi, +1) == expected_nonneg
    assert L.sign_on_interval(-P, lo, hi, -1) == expected_nonneg


def test_sign_on_half_line():
    v = sympy.Symbol("v")
    assert L.sign_on_interval(sympy.Poly((v - 1) ** 2 * (v + 2), v), Q(-2), sympy.oo, +1)
    assert not L.sign_on_interval(sympy.Poly((v - 1) * (v + 2), v), Q(0), sympy.oo, +1)
    assert L.sign_on_interval(sympy.Poly((v - 1) * (v + 2), v), Q(1), sympy.oo, +1)


def test_radical_zero_accepts_identities_and_rejects_perturbations():
    s = sympy.sqrt(Q(1, 2) - 4 * w / 15)
    e = sympy.sqrt(2) * w * s ** 3 - sympy.sqrt(2) * w * (Q(1, 2) - 4 * w / 15) * s
    assert L.radical_zero(e, w)
    assert not L.radical_zero(e + w / 1000, w)
    assert L.radical_zero(sympy.sqrt(8 - 15 * w) / 8 - sympy.sqrt(1 - 15 * w / 8) / (2 * sympy.sqrt(2)), w)
    assert not L.radical_zero(sympy.sqrt(2) * sympy.sqrt(3) - sympy.sqrt(6) + Q(1, 10 ** 9), w)


@settings(max_examples=40)
@given(coeffs=st.lists(rationals(-2, 2, 8), min_size=1, max_size=5), b=rationals(Q(1, 8), 2, 8),
       probe=st.lists(rationals(0, 1, 64), min_size=5, max_size=5))
def test_poly_extremum_bounds_the_polynomial(coeffs, b, probe):
    """min bound <= p(v) <= max bound at every v in [0, b]; an 'attained' bound is a value of p."""
    lo, lo_att = L.poly_extremum(coeffs, b, lower=True)
    hi, hi_att = L.poly_extremum(coeffs, b, lower=False)
    p = lambda v: sum(c * v ** k for k, c in enumerate(coeffs))  # noqa: E731
    for t in probe:
        assert lo <= p(t * b) <= hi
    # the bound is the extremum up to the refinement width
    crit = [p(Q(0)), p(b)] + [p(Q(t) * b) for t in probe]
    assert lo <= min(crit) and hi >= max(crit)


# ---------------------------------------------------------------- each lemma fails when it should

def test_monotonicity_detects_a_tampered_derivation():
    """Perturbing one w-piece of L(w) breaks the exact identity L' = -r int (1/2 - wu)^(r-1) u rho."""
    d = derive(make_spec("interval:-1/3,1/5"))
    assert L.monotonicity_claim(d).status == L.PROVED
    pieces = list(d.pieces)
    pieces[0] = LossPiece(pieces[0].w_lo, pieces[0].w_hi, pieces[0].expr + w ** 2 / 1000)
    bad = dataclasses.replace(d, pieces=pieces)
    claim = L.monotonicity_claim(bad)
    assert claim.status == L.FAILED


def test_monotonicity_for_non_integer_r():
    for text in ("interval:-1/2,1/4", "union:-1,-1/2;0,1/3"):
        d = derive(make_spec(text, r="3/2"))
        claim = L.monotonicity_claim(d)
        assert claim.status == L.PROVED, claim.data     # every w-piece's identity included


def test_exact_ball_d3_growth_from_density_bounds():
    """Exact ball d = 3, R = 1/2 (no finite power sum): c < C from bounds on the density.

    rho_|g|(u) = K (sqrt(c - u) + sqrt(c + u)), K = pi/4, c = 1/4, on [0, u*], u* = 1/4
    (w* = 2); it decreases (p = 1/2 < 1), so min rho = rho(1/4) = (pi/4) sqrt(1/2) and
    max rho = rho(0) = pi/4; kappa = 2^-(r+1)/(r+1) = 1/24 for r = 2:
    c = pi sqrt(2)/192 and Cbar = C = pi/96.
    """
    d = derive(make_spec("ball:d=3,R=1/2"))
    assert L.asymptotic_claim(d).status == L.PROVED
    claim, g = L.growth_claim(d, Q(1))
    assert claim.status == L.PROVED and g.ok
    assert sympy.simplify(g.c - sympy.pi * sympy.sqrt(2) / 192) == 0
    assert sympy.simplify(g.Cbar - sympy.pi / 96) == 0 and g.c < g.C
    for wv in (Q(201, 100), Q(5, 2), Q(7), Q(100)):          # exact spot checks of the bound
        assert bool(-d.asymptotic.diff(w).subs(w, wv) * wv ** 2 >= g.c)


def test_growth_fails_without_a_power_sum_or_known_density():
    """No finite power sum and no density bound available: no constants are claimed."""
    d = derive(make_spec("interval:-1/2,1/2"))
    bad = dataclasses.replace(d, asymptotic_coeffs=())
    claim, g = L.growth_claim(bad, Q(1))
    assert claim.status == L.FAILED and not g.ok


def test_entry_bound_and_enclosed_entry_agree():
    """t* from the path (exact iteration here) never exceeds the proved bound, and is the first
    step with w_t >= w*."""
    d = derive(make_spec("interval:-1/2,1/2"))
    tr = make_training("1/3", "0")
    from relu_pointwise.symbolic.iterate import iterate_exact

    ws = iterate_exact(d, tr.eta, tr.w0, 40).ws
    path, problems = L.merge_paths(ws, None)
    assert not problems
    claim, entry = L.entry_claim(d, tr, path)
    t_star = next(t for t, v in enumerate(ws) if v >= 1)
    assert entry.t0 == t_star and claim.data["t_star_exact"] == "yes"
    assert t_star <= entry.t_star_bound == int(claim.data["t_star_bound"])
    alone, e2 = L.entry_claim(d, tr, None)
    assert alone.status == L.PROVED and e2.t0 == entry.t_star_bound


def test_merge_paths_flags_an_exact_value_outside_its_ball():
    enc = L.PathBounds([mpq(0), mpq(1, 4)], [mpq(0), mpq(3, 10)], "test")
    _, problems = L.merge_paths([mpq(0), mpq(1, 2)], enc)
    assert problems and "step 1" in problems[0]


def test_pointwise_on_the_boundary_and_beyond_the_horizon():
    spec = make_spec("interval:-1/2,1/2")
    d = derive(spec)
    tr = make_training()
    _, growth = L.growth_claim(d, tr.eta)
    _, entry = L.entry_claim(d, tr, None)
    c, s = L.pointwise_claim(spec, (Q(1, 2),), tr, growth, entry, None)
    assert c.status == L.PROVED and s["T_hi"] == 0 and c.data["target"] == "1/2"
    # x = 0.49: g = 1/100, threshold 50; proved bound t0 + ceil((50^3 - w*^3) / (1/4))
    c, s = L.pointwise_claim(spec, (Q(49, 100),), tr, growth, entry, None)
    assert c.status == L.PROVED
    assert s["T_hi"] == entry.t0 + int(sympy.ceiling((Q(50) ** 3 - 1) / Q(1, 4)))


def test_dataset_stall_witness():
    """The stall claim's witness really keeps a positive error: e = 1/2 - W|g(x)| > 0 exactly."""
    from relu_pointwise.numeric.trajectory import StepSource

    spec = make_spec("interval:-1/2,1/2")
    tr = make_training("1", "0", "dataset:16,4", 3)
    src = StepSource(spec, tr, 10)
    claim = L.dataset_stall_claim(spec, tr, src, None)
    assert claim.status == L.PROVED
    from relu_pointwise.symbolic.exprio import from_text, rational_from_text

    x = [rational_from_text(v) for v in claim.data["witness_x"]]
    W = from_text(claim.data["W"])
    g = spec.network.level(x)
    assert g != 0 and Q(1, 2) - W * abs(g) > 0


# ---------------------------------------------------------------- the flint decision in Q(w)

_small = st.fractions(min_value=-4, max_value=4, max_denominator=5)


@st.composite
def _rational_expr(draw):
    """A random rational function of w as a SymPy expression tree (sums of products of
    integer powers of polynomials), and with probability 1/2 minus an equal expression
    built another way (a common factor multiplied into numerator and denominator, then
    expanded): an identity that only exact arithmetic in Q(w) recognises."""
    def poly():
        cs = draw(st.lists(_small, min_size=1, max_size=4))
        return sum((Q(c.numerator, c.denominator) * w ** k for k, c in enumerate(cs)), Q(0))

    terms = []
    for _ in range(draw(st.integers(1, 3))):
        base = poly()
        e = draw(st.integers(-2, 2))
        power = base ** e if base != 0 or e > 0 else 1
        terms.append(Q(draw(st.integers(-3, 3))) * w ** draw(st.integers(-2, 2)) * power)
    expr = sum(terms, Q(0))
    if draw(st.booleans()):
        c = poly() + w                      # never the zero polynomial
        num, den = sympy.fraction(sympy.together(expr))
        expr = expr - sympy.expand(num * c) / sympy.expand(den * c)
        if draw(st.booleans()):             # and sometimes a small perturbation
            expr += Q(1, 7) * w ** draw(st.integers(0, 2))
    return expr


@given(_rational_expr())
@settings(max_examples=30)
def test_rational_zero_agrees_with_sympy_expand(expr):
    """The flint decision in Q(w) (used by radical_zero and the monotonicity identities)
    agrees with SymPy's own: the expanded numerator of together(expr) is 0."""
    reference = sympy.expand(sympy.fraction(sympy.together(expr))[0]) == 0
    assert L.rational_zero(expr, w) is reference
    assert L.radical_zero(expr, w) is reference


def test_rational_function_rejects_non_rational_expressions():
    """Radicals, other symbols and pi are not rational functions of w over Q: None, so the
    caller falls back to the radical reduction."""
    u = sympy.Symbol("u")
    for e in (sympy.sqrt(w), w + u, sympy.pi * w, sympy.sqrt(2) * w, 1 / (w - w)):
        assert L.rational_function(e, w) is None or e == sympy.zoo
    assert L.rational_zero(sympy.sqrt(1 - w) ** 2 - 1 + w, w) is True   # SymPy folds it to 0 first
