"""The mp engine: the derived map at dps digits, and the independent quadrature route."""
from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
import sympy
from gmpy2 import mpq
from helpers import derived, qf
from hypothesis import given, settings
from hypothesis import strategies as st

from relu_pointwise.numeric.exact_engine import run_exact
from relu_pointwise.numeric.mp_engine import (
    MpPieces,
    compile_mp,
    mp_gradient,
    mp_gradient_quadrature,
    mp_loss,
    mp_trajectory,
    run_mp,
)
from relu_pointwise.numeric.trajectory import mpf_to_mpq
from relu_pointwise.symbolic.errors import InputError
from relu_pointwise.symbolic.iterate import iterate_exact, piece_forms
from relu_pointwise.symbolic.loss import derive, w
from relu_pointwise.symbolic.spec import make_spec, make_training

Q = sympy.Rational
HSET = settings(max_examples=12)



def mp_of(q: mpq) -> mpmath.mpf:
    return mpmath.mpf(int(q.numerator)) / int(q.denominator)


targets_1d = st.sampled_from(["interval:-1/2,1/2", "interval:-1/3,1/2", "union:-3/4,-1/2;0,1/2",
                              "interval:-1,1/4"])


@HSET
@given(target=targets_1d, r=st.sampled_from(["1", "2", "3"]),
       eta=st.fractions(min_value=Fraction(1, 10), max_value=3, max_denominator=10),
       w0=st.fractions(min_value=0, max_value=3, max_denominator=7), dps=st.sampled_from([20, 50]))
def test_mp_agrees_with_exact_on_the_exact_steps(target, r, eta, w0, dps):
    d = derived(target, r)
    it = iterate_exact(d, qf(eta), qf(w0), 40, max_digits=3000)
    ms = mp_trajectory(d, qf(eta), qf(w0), it.steps_done, dps=dps)
    assert it.steps_done >= 3
    with mpmath.workdps(dps + 20):
        tol = mpmath.mpf(10) ** (-(dps - 3))
        for q, m in zip(it.ws, ms):
            assert abs(mp_of(q) - m) <= tol * max(1, abs(m)), (q, m)


@HSET
@given(target=targets_1d, r=st.sampled_from(["1", "2", "3", "3/2", "5/2"]),
       wv=st.fractions(min_value=0, max_value=12, max_denominator=97))
def test_derived_gradient_equals_quadrature_gradient_1d(target, r, wv):
    """L'(w) from the derived pieces vs -int r (1/2 - w|g|)_+^(r-1) |g| dmu by quadrature
    with g from the network's forward pass: to 1e-25."""
    spec = make_spec(target, r=r)
    d = derived(target, r)
    a = mp_gradient(d, qf(wv), dps=40)
    b = mp_gradient_quadrature(spec, qf(wv), dps=40)
    with mpmath.workdps(60):
        assert abs(a - b) < mpmath.mpf("1e-25"), (a, b)


@pytest.mark.parametrize("target,r", [("box:-1/2,1/2;-1/2,1/2", "2"), ("halfspace:1,1,0", "3"),
                                      ("polytope:1,0,1/2;0,1,1/2;-1,-1,1/2", "2")])
def test_quadrature_route_in_2d(target, r):
    spec = make_spec(target, r=r)
    d = derived(target, r)
    for wv in (Q(0), Q(2, 7), Q(3, 2), Q(9)):
        a = mp_gradient(d, wv, dps=30)
        b = mp_gradient_quadrature(spec, wv, dps=30)
        la, lb = mp_loss(d, wv, dps=30), mp_gradient_quadrature(spec, wv, dps=30, what="loss")
        with mpmath.workdps(50):
            assert abs(a - b) < mpmath.mpf("1e-25") and abs(la - lb) < mpmath.mpf("1e-25")


def test_quadrature_reference_value():
    """interval (-1/2, 1/2), r = 2: L(w) = 1/(12 w) for w >= 1, so L'(3) = -1/108; and
    L(1/2) = 1/4 - 1/8 + 1/48 = 7/48."""
    spec = make_spec("interval:-1/2,1/2")
    with mpmath.workdps(40):
        assert abs(mp_gradient_quadrature(spec, 3, dps=30) + mpmath.mpf(1) / 108) < mpmath.mpf("1e-28")
        loss = mp_gradient_quadrature(spec, Q(1, 2), dps=30, what="loss")
        assert abs(loss - mpmath.mpf(7) / 48) < mpmath.mpf("1e-28")


def test_quadrature_box_cells_in_3d_and_refusal_otherwise():
    """halfspace x1 < 1/3 in [-1,1]^3: one box cell.  g = 1/3 - x1 is uniform on
    [-2/3, 4/3] (density 1/2), so L'(w) = -int 2 (1/2 - w|s|)_+ |s| (1/2) ds; for
    w >= 3/4 both band halves are inside: -2 * int_0^{1/(2w)} (1/2 - w s) s ds = -1/(24 w^2)."""
    spec = make_spec("halfspace:1,0,0,1/3")
    with mpmath.workdps(40):
        v = mp_gradient_quadrature(spec, 2, dps=30)
        assert abs(v + mpmath.mpf(1) / 96) < mpmath.mpf("1e-28")
    # an oblique half-space is still one box cell (no hidden splits): kinks through the corners
    spec3 = make_spec("halfspace:1,1,1,0")
    d3 = derive(spec3)
    for wv in (Q(1, 5), Q(2)):
        with mpmath.workdps(40):
            assert abs(mp_gradient(d3, wv, dps=30) - mp_gradient_quadrature(spec3, wv, dps=30)) < mpmath.mpf("1e-25")
    with pytest.raises(InputError, match="box"):
        mp_gradient_quadrature(make_spec("box:-1/2,1/2;-1/2,1/2;-1/2,1/2"), 1, dps=20)


@settings(max_examples=25)
@given(wv=st.fractions(min_value=Fraction(1, 100), max_value=20, max_denominator=1000))
def test_tree_walker_matches_sympy_evalf(wv):
    """The mpmath closures built from the sympy tree (r = 3/2: square roots) vs sympy's evalf,
    on the piece that contains w (the engine never evaluates a piece elsewhere)."""
    forms = piece_forms(derived("interval:-1/3,1/2", "3/2"))
    x = qf(wv)
    with mpmath.workdps(50):
        for f in forms:
            if f.rational or x < f.w_lo or (f.w_hi is not None and x >= f.w_hi):
                continue
            for expr in (f.loss, f.grad):
                got = compile_mp(expr)(mpmath.mpf(x.p) / x.q)
                ref = sympy.N(expr.subs(w, x), 60)
                assert abs(got - mpmath.mpf(str(ref))) < mpmath.mpf("1e-40") * max(1, abs(got))


def test_piece_selection_is_exact_at_a_non_dyadic_breakpoint():
    """interval (-1/3, 1/2): breakpoints 3/4, 1, 6/5 (6/5 is not a binary fraction)."""
    d = derived("interval:-1/3,1/2")
    forms = piece_forms(d)
    k = [f.w_lo for f in forms].index(Q(6, 5))
    with mpmath.workdps(30):
        P = MpPieces(forms)
        lo = mpmath.mpf(mpmath.libmp.from_rational(6, 5, mpmath.mp.prec, "f"))
        hi = mpmath.mpf(mpmath.libmp.from_rational(6, 5, mpmath.mp.prec, "c"))
        assert mpf_to_mpq(lo) < mpq(6, 5) < mpf_to_mpq(hi)
        assert P.index(hi) == k and P.index(lo) == k - 1
        assert P.index(mpmath.mpf(1)) == [f.w_lo for f in forms].index(1)


@HSET
@given(batch=st.sampled_from(["sampled:4", "dataset:9,3", "cyclic:3"]), seed=st.integers(0, 2**31),
       r=st.sampled_from(["1", "2", "3"]))
def test_minibatch_mp_agrees_with_exact(batch, seed, r):
    spec = make_spec("union:-3/4,-1/2;0,1/2", r=r)
    tr = make_training(eta="3/2", w0="1/5", batch=batch, seed=seed)
    ex = run_exact(spec, tr, 8, max_digits=4000)
    mp = run_mp(spec, tr, ex.steps_done, dps=40)
    with mpmath.workdps(60):
        for q, m in zip(ex.ws, mp.ws):
            assert abs(mp_of(q) - m) < mpmath.mpf("1e-36") * max(1, abs(m))
        for q, m in zip(ex.losses, mp.losses):
            assert abs(mp_of(q) - m) < mpmath.mpf("1e-36")
    assert all(b >= a for a, b in zip(mp.ws, mp.ws[1:]))


def test_bad_dps_is_a_spec_error():
    spec = make_spec("interval:-1/2,1/2")
    with pytest.raises(InputError, match="^dps: "):
        run_mp(spec, make_training(), 3, dps=2)


def test_exact_ball_reference_gradient():
    """ball d = 2, R = 1/2 in [-1,1]^2 (probability measure, density 1/4): s = |x|^2 has
    area element pi d(s), so g = 1/4 - s has density pi/4 on both sides of 0 and
    L(w) = (pi/4 + pi/4)/2 * 2^-2 / 3 / w = pi / (48 w) for w >= 2; L'(3) = -pi/432.
    The exact engine refuses the map (pi is not rational)."""
    d = derived("ball:d=2,R=1/2")
    with mpmath.workdps(60):
        assert abs(mp_gradient(d, 3, dps=50) + mpmath.pi / 432) < mpmath.mpf("1e-48")
        assert abs(mp_loss(d, Q(5, 2), dps=50) - mpmath.pi / 120) < mpmath.mpf("1e-48")
    with pytest.raises(InputError, match="pi"):
        iterate_exact(d, Q(1), Q(2), 2)
