"""The jax engine: gradients by jax.grad of the network's forward loss (an autodiff route
independent of the np engine's hand-written backward pass)."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("jax", reason="the jax engine is an optional extra: pip install '.[jax]'")

from relu_pointwise.numeric.crosscheck import crosscheck
from relu_pointwise.numeric.engines import get_engine
from relu_pointwise.numeric.jax_engine import jax_batch_gradient, run_jax
from relu_pointwise.numeric.np_engine import batch_gradient, run_np
from relu_pointwise.symbolic.errors import InputError
from relu_pointwise.symbolic.spec import make_spec, make_training

INTERVAL = make_spec("interval:-1/2,1/2")


def test_batch_gradient_reference_value():
    """Interval (-1/2, 1/2): g(x) = 1/2 - |x|.  Points x = 0, 1/4, 3/4 have g = 1/2, 1/4, -1/4
    and f° = 1, 1, 0.  At w = 1: w g = 1/2, 1/4, -1/4, so f = clamp(w g + 1/2, 0, 1) = 1, 3/4, 1/4.
    The first point sits on the upper kink (pre_1 = 0, sigma'(0) = 0: both head units give
    derivative 1 - 0 = 1, and e = 0), the others are inside the band:
    e = 0, -1/4, 1/4;  dL/dw = (2/3) sum e_i g_i = (2/3)(0 - 1/16 - 1/16) = -1/12."""
    pts = np.array([[0.0], [0.25], [0.75]])
    assert jax_batch_gradient(INTERVAL, 1.0, pts)[0] == pytest.approx(-1.0 / 12, rel=1e-15)
    assert batch_gradient(INTERVAL, np.array([1.0]), pts)[0] == pytest.approx(-1.0 / 12, rel=1e-15)


def test_relu_derivative_at_zero_is_zero():
    """x = 0 (g = 1/2, f° = 1) at w = -1: pre_0 = w g + 1/2 = 0 exactly.  With sigma'(0) = 0
    the point contributes nothing (jax.nn.relu); a max(u, 0) that splits the tie would give
    2 e (1/2) g = 2 (-1)(1/2)(1/2) = -1/2.  np agrees (its mask)."""
    pts = np.array([[0.0]])
    assert jax_batch_gradient(INTERVAL, -1.0, pts)[0] == 0.0
    assert batch_gradient(INTERVAL, np.array([-1.0]), pts)[0] == 0.0


@pytest.mark.parametrize("target,batch", [("interval:-1/2,1/2", "sampled:256"),
                                          pytest.param("ball:d=2,R=1/2,N=3", "sampled:128", marks=pytest.mark.slow),
                                          pytest.param("ball:d=2,R=1/2", "dataset:512,64", marks=pytest.mark.slow)])
def test_jax_and_np_trajectories_agree(target, batch):
    """Same shared points, same labels, independent gradients: the trajectories agree to a
    few units of rounding (the crosscheck's np-jax pair holds them to a derived bound)."""
    spec, tr = make_spec(target), make_training(batch=batch, seed=5, eta="1/2")
    a = run_np(spec, tr, 200, record_every=10)
    b = run_jax(spec, tr, 200, record_every=10)
    assert a.t.tolist() == b.t.tolist()
    assert np.max(np.abs(a.w - b.w)) <= 1e-13 * max(1.0, float(np.abs(a.w).max()))
    assert np.allclose(a.loss, b.loss, rtol=1e-12, atol=1e-15)
    v = run_jax(spec, tr, 20, w0=np.array([0.0, 1.0]), eta=np.array([1.0, 0.25]))
    u = run_np(spec, tr, 20, w0=np.array([0.0, 1.0]), eta=np.array([1.0, 0.25]))
    assert np.max(np.abs(u.w - v.w)) <= 1e-13


def test_full_batch_is_refused_by_name():
    with pytest.raises(InputError, match="batch: the jax engine runs mini-batches only"):
        run_jax(INTERVAL, make_training(), 5)


def test_engine_interface():
    traj = get_engine("jax").run(INTERVAL, make_training(batch="sampled:64", seed=3), 10, record_every=5)
    assert traj.ts == [0, 5, 10] and traj.batch_loss is not None
    assert "population_note" in traj.meta                     # no population loss by its own route
    ref = get_engine("np").run(INTERVAL, make_training(batch="sampled:64", seed=3), 10, record_every=5)
    assert np.max(np.abs(traj.w_float - ref.w_float)) <= 1e-14


def test_crosscheck_has_np_jax_pair():
    rep = crosscheck(INTERVAL, make_training(batch="sampled:64", seed=1), 40)
    pairs = {p["pair"]: p for p in rep["pairs"]}
    assert pairs["np-jax"]["pass"] is True and pairs["mp-jax"]["pass"] is True
    assert pairs["np-jax"]["max_difference"] <= pairs["np-jax"]["bound"] < 1e-10
    assert rep["pass"] is True


def test_engine_reads_a_shared_source():
    """Engine.run(source=...) (the crosscheck's shared input): the jax engine reads the
    source's batch plan, so it steps on the same points as np given the same source."""
    from relu_pointwise.numeric.trajectory import StepSource

    tr = make_training(batch="sampled:64", seed=9)
    src = StepSource(INTERVAL, tr, 12)
    a = get_engine("jax").run(INTERVAL, tr, 12, source=src, population=False)
    b = get_engine("np").run(INTERVAL, tr, 12, source=src, population=False)
    assert np.max(np.abs(a.w_float - b.w_float)) <= 1e-14
