"""The exact engine: rational iteration of the derived GD map, and exact mini-batches."""
from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from gmpy2 import mpq
from helpers import derived
from hypothesis import given, settings
from hypothesis import strategies as st

from relu_pointwise.numeric.exact_engine import batch_gradient_exact, run_exact
from relu_pointwise.symbolic.errors import InputError, NotExactError
from relu_pointwise.symbolic.iterate import digits, iterate_exact
from relu_pointwise.symbolic.loss import Derivation, LossPiece, w
from relu_pointwise.symbolic.spec import make_spec, make_training

Q = sympy.Rational
HSET = settings(max_examples=15)



def test_first_steps_by_hand():
    """interval (-1/2, 1/2) in [-1, 1], r = 2, eta = 1, w0 = 0.

    g(x) = 1/2 - |x| is uniform on [-1/2, 1/2] under the probability measure on
    [-1, 1], so |g| has density 2 on [0, 1/2] and for 0 <= w <= 1 (the whole band
    inside)
        L(w) = int_0^{1/2} 2 (1/2 - w u)^2 du = 1/4 - w/4 + w^2/12,
        L'(w) = -1/4 + w/6.
    w_1 = 0 - (-1/4) = 1/4;
    w_2 = w_1 + 1/4 - w_1/6 = 1/4 + 1/4 - 1/24 = 11/24;
    w_3 = 11/24 + 1/4 - 11/144 = (66 + 36 - 11)/144 = 91/144.
    For w >= 1, L(w) = 1/(12 w), L'(w) = -1/(12 w^2): from w = 2,
    w_1 = 2 + 1/48 = 97/48.
    """
    it = iterate_exact(derived("interval:-1/2,1/2"), Q(1), Q(0), 3)
    assert it.ws == [mpq(0), mpq(1, 4), mpq(11, 24), mpq(91, 144)]
    assert it.complete and it.pieces == [0, 0, 0]
    it2 = iterate_exact(derived("interval:-1/2,1/2"), Q(1), Q(2), 1)
    assert it2.ws == [mpq(2), mpq(97, 48)] and it2.pieces == [1]


def test_digits_triple_and_the_run_stops_at_max_digits():
    """In the regime w >= 1, Phi(w) = w + 1/(12 w^2): a denominator q becomes ~ 12 q^3."""
    it = iterate_exact(derived("interval:-1/2,1/2"), Q(1), Q(0), 100, max_digits=5000)
    assert not it.complete and it.steps_done < 100
    assert "max_digits" in it.reason
    assert max(it.num_digits + it.den_digits) <= 5000
    growth = it.digit_growth()[-3:]
    assert all(2.9 < g < 3.1 for g in growth), growth
    # the digit counts are the true ones
    assert it.den_digits[-1] == len(str(int(it.ws[-1].denominator)))
    assert digits(10**7) == 8 and digits(10**7 - 1) == 7 and digits(0) == 1


def test_irrational_maps_are_refused_with_the_reason():
    with pytest.raises(InputError, match=r"r = 3/2.*sqrt"):
        iterate_exact(derived("interval:-1/2,1/2", "3/2"), Q(1), Q(0), 3)
    # a loss with pi, such as the exact ball's pi / (48 w) for w >= 2
    spec = make_spec("interval:-1/2,1/2")
    fake = Derivation(spec, [], None, None, [LossPiece(Q(2), sympy.oo, sympy.pi / (48 * w))], Q(2), ())
    with pytest.raises(InputError, match="pi"):
        iterate_exact(fake, Q(1), Q(3), 2)
    # a rational loss known only from w = 2 on: w0 = 1 is refused
    part = Derivation(spec, [], None, None, [LossPiece(Q(2), sympy.oo, 1 / (12 * w))], Q(2), (), exact_from=Q(2))
    assert iterate_exact(part, Q(1), Q(3), 1).ws[1] == mpq(3) + mpq(1, 108)
    with pytest.raises(NotExactError, match="below 2"):     # not derived there, not bad input
        iterate_exact(part, Q(1), Q(1), 2)


targets_1d = st.sampled_from(["interval:-1/2,1/2", "interval:-1/3,1/2", "union:-3/4,-1/2;0,1/2",
                              "interval:-1,1/4"])
small_pos = st.fractions(min_value=Fraction(1, 16), max_value=4, max_denominator=16)


@HSET
@given(target=targets_1d, r=st.sampled_from(["1", "2", "3"]), eta=small_pos,
       w0=st.fractions(min_value=0, max_value=3, max_denominator=8))
def test_exact_steps_follow_the_symbolic_gradient(target, r, eta, w0):
    """w_{t+1} = w_t - eta L'(w_t) with L' from Derivation.gradient (sympy, piece_at)."""
    d = derived(target, r)
    e, x0 = Q(eta.numerator, eta.denominator), Q(w0.numerator, w0.denominator)
    it = iterate_exact(d, e, x0, 3)
    x = x0
    for t in range(3):
        x = x - e * d.gradient(x)
        assert it.ws[t + 1] == mpq(int(x.p), int(x.q))
    assert all(b >= a for a, b in zip(it.ws, it.ws[1:]))  # monotone: L' <= 0


def test_exact_loss_column_is_the_derived_loss():
    spec = make_spec("interval:-1/3,1/2", r="3")
    tr = make_training(eta="2", w0="1/3")
    traj = run_exact(spec, tr, 4, derivation=derived("interval:-1/3,1/2", "3"))
    d = derived("interval:-1/3,1/2", "3")
    for x, l in zip(traj.ws, traj.losses):
        ref = d.loss(Q(int(x.numerator), int(x.denominator)))
        assert l == mpq(int(ref.p), int(ref.q))


def test_batch_gradient_exact_by_hand():
    """a = (1/4, 1, 0), r = 2, w = 1: terms (1/2 - 1/4) * 1/4 = 1/16, (1/2 - 1)_+ = 0, 0;
    L_B' = -(2/3)(1/16) = -1/24.  r = 1 at the kink w a = 1/2 (w = 1/2, a = 1): no gradient."""
    a = (mpq(1, 4), mpq(1), mpq(0))
    assert batch_gradient_exact(a, mpq(1), 2) == mpq(-1, 24)
    assert batch_gradient_exact((mpq(1),), mpq(1, 2), 1) == 0
    assert batch_gradient_exact((mpq(1),), mpq(1, 3), 1) == -1


@HSET
@given(batch=st.sampled_from(["sampled:3", "dataset:8,3", "cyclic:3", "cyclic:5"]),
       seed=st.integers(0, 2**31), r=st.sampled_from(["1", "2", "3"]),
       eta=st.sampled_from(["1/2", "1", "3"]), w0=st.sampled_from(["0", "1/3", "2"]))
def test_minibatch_paths_are_nondecreasing(batch, seed, r, eta, w0):
    spec = make_spec("interval:-1/3,1/2", r=r)
    tr = make_training(eta=eta, w0=w0, batch=batch, seed=seed)
    traj = run_exact(spec, tr, 6, max_digits=3000)
    assert traj.steps_done >= 2
    assert all(b >= a for a, b in zip(traj.ws, traj.ws[1:]))
    assert all(l >= 0 for l in traj.losses)


def test_batches_use_the_networks_exact_level_at_the_shared_points():
    """The exact engine's a_i are |g| of Fraction(float point), through the network."""
    from relu_pointwise.numeric.batches import BatchSchedule
    from relu_pointwise.numeric.trajectory import StepSource

    spec = make_spec("union:-3/4,-1/2;0,1/2")
    tr = make_training(batch="sampled:4", seed=7)
    src = StepSource(spec, tr, 3)
    pts = BatchSchedule(spec, tr, 4).points(2)
    a = src.batch(2).a
    for x, ai in zip(pts, a):
        fx = Fraction(float(x[0]))
        gx = min(fx + Fraction(3, 4), Fraction(-1, 2) - fx)   # the first piece
        gx = max(gx, min(fx, Fraction(1, 2) - fx))             # union: max
        assert ai == mpq(abs(gx))


def test_cyclic_slab_away_from_the_boundary():
    """cyclic:8 on the box target: slab x1 in [-1, -3/4] has |g| >= 1/4, so its loss
    is 0 for w >= 2 (derived through the padded density)."""
    spec = make_spec("box:-1/2,1/2;-1/2,1/2")
    tr = make_training(batch="cyclic:8", w0="3")
    traj = run_exact(spec, tr, 2, max_digits=2000)
    assert traj.losses[0] == 0          # slab 0 at w = 3
    assert traj.ws[1] == traj.ws[0]     # no gradient there
    assert traj.ws[2] > traj.ws[1]      # slab 1 touches the boundary


def test_cyclic_scale_under_lebesgue_measure():
    """interval (-1/2, 1/2), Lebesgue measure on [-1, 1], cyclic:2, eta = 1, w0 = 0.

    Slab [-1, 0]: g = x + 1/2 is uniform on [-1/2, 1/2], so the slab's probability
    mean is L_p(w) = 1/4 - w/4 + w^2/12 (as for the full domain).  The step's loss is
    K * integral over the slab of phi dx = 2 * 1 * L_p(w), so w_1 = 0 - 2 L_p'(0) = 1/2;
    the full-batch Lebesgue loss is also 2 L_p: w_1 = 1/2.  With the probability
    measure both give w_1 = 1/4."""
    for batch in ("cyclic:2", "full"):
        leb = run_exact(make_spec("interval:-1/2,1/2", measure="lebesgue"), make_training(batch=batch), 1)
        prob = run_exact(make_spec("interval:-1/2,1/2"), make_training(batch=batch), 1)
        assert leb.ws[1] == mpq(1, 2) and prob.ws[1] == mpq(1, 4)
        assert leb.losses[0] == mpq(1, 2) and prob.losses[0] == mpq(1, 4)
