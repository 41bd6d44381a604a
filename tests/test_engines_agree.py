"""The engines against the derivation, and the mini-batch phenomena of docs/mathematics.md, section 4."""
from __future__ import annotations

import numpy as np
import pytest
import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from relu_pointwise.numeric.batches import BatchSchedule
from relu_pointwise.numeric.np_engine import np_gradient, run_np
from relu_pointwise.numeric.stall import dataset_stall
from relu_pointwise.symbolic.loss import derive
from relu_pointwise.symbolic.spec import make_spec, make_training

Q = sympy.Rational
HSET = settings(max_examples=15)


def rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


@st.composite
def targets_1d(draw):
    """Intervals and two-piece unions with ends k/16 inside [-1, 1]."""
    ends = sorted(draw(st.sets(st.integers(-15, 15), min_size=2, max_size=4)))
    if len(ends) == 4 and ends[2] > ends[1]:
        return f"union:{ends[0]}/16,{ends[1]}/16;{ends[2]}/16,{ends[3]}/16"
    return f"interval:{ends[0]}/16,{ends[-1]}/16"


@HSET
@given(target=targets_1d(), r=st.sampled_from(["1", "3/2", "2", "3"]),
       wq=st.fractions(min_value=1 / 8, max_value=200, max_denominator=8))
def test_np_backprop_gradient_equals_the_derived_gradient(target, r, wq):
    """Issue 3: the float64 forward/backward gradient equals the exact L'(w) to 1e-12 relative."""
    spec = make_spec(target, r=r)
    wv = Q(wq.numerator, wq.denominator)
    exact = float(derive(spec).gradient(wv))
    assume(exact != 0)   # a relative error needs a nonzero reference
    assert rel(np_gradient(spec, float(wv)), exact) <= 1e-12


@pytest.mark.parametrize("target", ["box:-1/2,1/2;-1/4,3/4", "polytope:1,1,1/2;-1,0,1/2;0,-1,1/2",
                                    "ball:d=2,R=1/2,N=2", "box:-1/2,1/2;-1/2,1/2;-1/2,1/2"])
@pytest.mark.parametrize("wv", [Q(3), Q(50), Q(1000)])
def test_np_gradient_in_d_dimensions_resolves_the_thin_band(target, wv):
    """Issue 5: in d = 2 and 3 the band |g| < 1/(2w) is ~1/w wide; the np quadrature
    must still agree with the derived L'(w) to 1e-9 relative up to w = 10^3."""
    spec = make_spec(target)
    assert rel(np_gradient(spec, float(wv)), float(derive(spec).gradient(wv))) <= 1e-9


def test_fixed_dataset_stalls_and_fails_pointwise():
    """docs/mathematics.md, section 4: with a fixed dataset and r = 2, w_t increases towards
    theta = 1/(2 min_i |g(x_i)|) and stays below it; the data errors go to 0, but at
    a point nearer the boundary than every data point the error stays >= 1/4
    (eta = 20 keeps each step below theta: the contraction factor near theta is
    1 - 2 eta m^2 / N > 0 with m = min |g(x_i)|).  Seed 0's data have m ~ 0.017 (the
    Philox stream), so the factor 1 - 2 eta m^2/N ~ 1 - 1/1000 makes 40000 steps close theta
    to 1e-3 (a seed with m ~ 0.002 would need 100 times more steps)."""
    spec = make_spec("interval:-1/2,1/2")
    training = make_training(eta="20", batch="dataset:12,12", seed=0)
    steps = 40000
    res = run_np(spec, training, steps, record_every=100)
    ws = res.w[:, 0]
    assert np.all(np.diff(ws) >= 0)
    points = BatchSchedule(spec, training, steps).data
    rep = dataset_stall(spec, points, float(ws[-1]))
    theta = float(rep["theta"])
    assert np.all(ws < theta)
    assert theta - ws[-1] < 1e-3 * theta                     # converges to theta
    assert float(rep["max_data_error"]) < 1e-3               # the network fits the data
    assert float(rep["witness_error"]) >= 0.25               # ... but not the target near the boundary
    assert float(rep["witness_error_limit_lower"]) >= 0.25


def _fitted_exponent(spec_text: str, batch: str, steps: int) -> float:
    spec = make_spec(spec_text)
    res = run_np(spec, make_training(eta="1", batch=batch, seed=11), steps, record_every=100)
    t = np.asarray(res.t, dtype=float)
    w = res.w[:, 0]
    keep = t >= steps / 10
    slope, _ = np.polyfit(np.log(t[keep]), np.log(w[keep]), 1)
    return float(slope)


@pytest.mark.slow
def test_sampled_batches_grow_like_t_to_the_third_1d():
    """Issue 3: with fresh samples w_t^3 ~ 3 eta C t, so log w_t has slope 1/3 in log t."""
    assert abs(_fitted_exponent("interval:-1/2,1/2", "sampled:64", 100_000) - 1 / 3) <= 0.05


@pytest.mark.slow
def test_sampled_batches_grow_like_t_to_the_third_2d():
    """Issue 5: the same growth for the square in d = 2."""
    assert abs(_fitted_exponent("box:-1/2,1/2;-1/2,1/2", "sampled:64", 100_000) - 1 / 3) <= 0.05
