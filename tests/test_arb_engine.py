"""The arb engine: every ball encloses the true w_t (checked against exact and mp values)."""
from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from flint import arb, ctx, fmpq
from gmpy2 import mpq
from helpers import derived, qf
from hypothesis import given, settings
from hypothesis import strategies as st

from relu_pointwise.numeric.arb_engine import (
    ArbPieces,
    EnclosureError,
    arb_from_rational,
    arb_trajectory,
    ball_bounds,
    contains_rational,
    run_arb,
)
from relu_pointwise.numeric.exact_engine import run_exact
from relu_pointwise.numeric.mp_engine import mp_trajectory, run_mp
from relu_pointwise.numeric.trajectory import mpf_to_mpq
from relu_pointwise.symbolic.iterate import iterate_exact, piece_forms, select_piece
from relu_pointwise.symbolic.spec import make_spec, make_training

Q = sympy.Rational
HSET = settings(max_examples=12)



def _enclosure_check(steps: int) -> None:
    d = derived("interval:-1/2,1/2")
    balls = arb_trajectory(d, Q(1), Q(0), steps)
    ms = mp_trajectory(d, Q(1), Q(0), steps, dps=50)
    assert len(balls) == len(ms) == steps + 1
    for t, (b, m) in enumerate(zip(balls, ms)):
        lo, hi = ball_bounds(b)
        v = mpf_to_mpq(m)
        assert lo <= v <= hi, (t, b, m)
    # not vacuous: the balls stay narrow (radius << the step size 1/(12 w^2) ~ 1e-4)
    assert ball_bounds(balls[-1])[1] - ball_bounds(balls[-1])[0] < mpq(1, 10**25)


def test_every_ball_contains_the_mp_value_1000_steps():
    _enclosure_check(1000)


@pytest.mark.slow
def test_every_ball_contains_the_mp_value_100000_steps():
    _enclosure_check(100_000)


@HSET
@given(target=st.sampled_from(["interval:-1/2,1/2", "interval:-1/3,1/2", "union:-3/4,-1/2;0,1/2"]),
       r=st.sampled_from(["1", "2", "3"]),
       eta=st.fractions(min_value=Fraction(1, 10), max_value=4, max_denominator=10),
       w0=st.fractions(min_value=0, max_value=3, max_denominator=7))
def test_balls_contain_the_exact_iterates(target, r, eta, w0):
    d = derived(target, r)
    it = iterate_exact(d, qf(eta), qf(w0), 30, max_digits=2000)
    balls = arb_trajectory(d, qf(eta), qf(w0), it.steps_done)
    for q, b in zip(it.ws, balls):
        assert contains_rational(b, q), (q, b)


def test_ball_bounds_are_rigorous():
    """lo <= x <= hi for the exact x; checked where x is known exactly or by an identity."""
    with ctx.workprec(100):
        for q in (mpq(1, 3), mpq(-22, 7), mpq(10**30 + 1, 3**40), mpq(5)):
            lo, hi = ball_bounds(arb_from_rational(q))
            assert lo <= q <= hi and hi - lo < abs(q) * mpq(1, 2**90) + mpq(1, 2**200)
        lo, hi = ball_bounds(arb(2).sqrt())      # sqrt(2): lo^2 <= 2 <= hi^2
        assert 0 < lo and lo * lo <= 2 <= hi * hi
        lo, hi = ball_bounds(arb.pi())           # pi: between the 40-digit truncations
        p40 = mpq(31415926535897932384626433832795028841971, 10**40)
        assert lo <= p40 + mpq(1, 10**40) and hi >= p40 and hi - lo < mpq(1, 10**25)
    with pytest.raises(EnclosureError):
        ball_bounds(arb(1) / arb(0))


@pytest.mark.parametrize("target,radius", [("interval:-1/2,1/2", mpq(1, 10**10)),
                                           ("union:-3/4,-1/2;0,1/2", mpq(1, 8))])
def test_a_ball_straddling_a_breakpoint(target, radius):
    """A ball around the breakpoint w = 1 (interval: [0,1) | [1,oo); union: [0,1) | [1,2))
    meets two pieces; the comparison is undecided, both pieces are evaluated on the
    clipped balls and the union taken.  It must contain Phi(x) = x - eta L'(x), each x
    by its own piece, at points across the ball, and be no wider than a small multiple
    of the exact image."""
    d = derived(target)
    forms = piece_forms(d)
    eta = mpq(3, 2)
    with ctx.workprec(128):
        P = ArbPieces(forms)
        ball = arb_from_rational(mpq(1)).union(arb_from_rational(1 - radius)).union(arb_from_rational(1 + radius))
        assert not P.inside(0, ball) and not P.inside(1, ball)
        out = P.step(ball, arb_from_rational(eta))
        assert P.straddles == 1
        lo, hi = ball_bounds(ball)
        images = []
        for i in range(41):
            x = lo + (hi - lo) * i / 40
            f = forms[select_piece(forms, x)]
            images.append(x - eta * f.grad_q(x))
            assert contains_rational(out, images[-1])
        olo, ohi = ball_bounds(out)
        assert ohi - olo <= 4 * (max(images) - min(images))


def test_a_trajectory_landing_on_a_breakpoint():
    """eta = 3, w0 = 1/2: w_1 = 1/2 - 3 (1/12 - 1/4) = 1 exactly, the breakpoint.  The
    ball for w_1 straddles 1 (1/12 is not a binary fraction); every later ball still
    contains the exact iterate."""
    spec = make_spec("interval:-1/2,1/2")
    tr = make_training(eta="3", w0="1/2")
    ex = run_exact(spec, tr, 12, max_digits=3000)
    assert ex.ws[1] == 1
    ab = run_arb(spec, tr, ex.steps_done)
    assert ab.meta["straddles"] >= 1
    for q, b in zip(ex.ws, ab.ws):
        assert contains_rational(b, q)
    for q, b in zip(ex.losses, ab.losses):
        assert contains_rational(b, q)


def test_non_dyadic_breakpoint_ball():
    """interval (-1/3, 1/2) has the breakpoint 6/5; arb(6/5) is a ball around it (6/5 is not
    binary), so the step must consider both neighbouring pieces."""
    d = derived("interval:-1/3,1/2")
    forms = piece_forms(d)
    with ctx.workprec(128):
        P = ArbPieces(forms)
        b = arb_from_rational(mpq(6, 5))
        out = P.step(b, arb(1))
        x = mpq(6, 5)
        assert contains_rational(out, x - forms[select_piece(forms, x)].grad_q(x))


def test_irrational_pieces_r_three_halves_contain_mp():
    """r = 3/2: square roots in every piece; sqrt(2) as arb(2).sqrt()."""
    d = derived("interval:-1/3,1/2", "3/2")
    balls = arb_trajectory(d, Q(1), Q(0), 200)
    ms = mp_trajectory(d, Q(1), Q(0), 200, dps=50)
    for b, m in zip(balls, ms):
        assert contains_rational(b, mpf_to_mpq(m))


@HSET
@given(batch=st.sampled_from(["sampled:4", "dataset:9,3", "cyclic:3", "cyclic:6"]), seed=st.integers(0, 2**31),
       r=st.sampled_from(["1", "2", "3"]), eta=st.sampled_from(["1/2", "2", "5"]))
def test_minibatch_balls_contain_exact_and_paths_do_not_decrease(batch, seed, r, eta):
    spec = make_spec("union:-3/4,-1/2;0,1/2", r=r)
    tr = make_training(eta=eta, w0="1/7", batch=batch, seed=seed)
    ex = run_exact(spec, tr, 10, max_digits=3000)
    ab = run_arb(spec, tr, ex.steps_done)
    mp = run_mp(spec, tr, ex.steps_done, dps=50)
    for q, b, m in zip(ex.ws, ab.ws, mp.ws):
        assert contains_rational(b, q) and contains_rational(b, mpf_to_mpq(m))
    for q, b in zip(ex.losses, ab.losses):
        assert contains_rational(b, q)
    # nondecreasing on the path: no ball lies wholly below its predecessor
    assert not any(bool(b < a) for a, b in zip(ab.ws, ab.ws[1:]))


def test_r1_batch_kink_is_enclosed():
    """r = 1, one point with a = 1: L_B'(w) = -1 for w < 1/2 and 0 for w >= 1/2.
    From w0 = 1/4 with eta = 1/4: w_1 = 1/2 exactly (the kink), then w stays 1/2."""
    from relu_pointwise.numeric.arb_engine import batch_step_arb

    with ctx.workprec(128):
        a = [arb(1)]
        x1 = batch_step_arb(a, arb(fmpq(1, 4)), arb(fmpq(1, 4)), Q(1))
        assert contains_rational(x1, mpq(1, 2))
        x2 = batch_step_arb(a, x1, arb(fmpq(1, 4)), Q(1))
        assert contains_rational(x2, mpq(1, 2))
        wide = batch_step_arb(a, arb(fmpq(1, 2), 1e-20), arb(fmpq(1, 4)), Q(1))
        # undecided kink: both 1/2 - 1e-20 + 1/4 (left of the kink) and 1/2 (right) enclosed
        assert contains_rational(wide, mpq(1, 2)) and contains_rational(wide, mpq(3, 4) - mpq(1, 10**20))


@pytest.mark.parametrize("target,start", [("ball:d=2,R=1/2", Q(0)), ("ball:d=3,R=1/2", Q(0)),
                                          ("ball:d=4,R=1/2", Q(2))])
def test_exact_ball_enclosures_from_w_star(target, start):
    """The exact ball: L(w) has pi (and, in d = 3, square roots of 1/4 -+ 1/(2w), whose
    derivative is singular AT w* = 2 as written: the exact one-sided limit is used there).
    Exact from 0 in d = 2, 3 (symbolic.ball_full), from w* in d = 4."""
    d = derived(target)
    assert d.exact_from == start
    balls = arb_trajectory(d, Q(1), Q(2), 150)
    ms = mp_trajectory(d, Q(1), Q(2), 150, dps=50)
    for b, m in zip(balls, ms):
        assert contains_rational(b, mpf_to_mpq(m))
    assert ms[-1] > ms[0]
    if start > 0:
        with pytest.raises(EnclosureError, match="below"):
            arb_trajectory(d, Q(1), start / 2, 3)
