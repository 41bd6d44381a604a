"""The numba-fused mini-batch kernel (numeric/np_fused.py) against the NumPy reference head pass.

Every fused step must equal the reference step from the same w up to the bound
:func:`np_fused.step_bound` (the two paths sum the same terms in another order).
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from relu_pointwise.numeric import np_fused
from relu_pointwise.numeric.batches import BatchSchedule
from relu_pointwise.numeric.labels import labels
from relu_pointwise.numeric.np_engine import engine_for, run_np
from relu_pointwise.numeric.np_net import BatchHead
from relu_pointwise.symbolic.spec import make_spec, make_training

pytestmark = pytest.mark.skipif(not np_fused.AVAILABLE, reason="numba is not installed (the 'fast' extra)")

INTERVAL = make_spec("interval:-1/2,1/2")


def _one_step(head: BatchHead, w: float, eta: float, g: np.ndarray, fo: np.ndarray) -> tuple[float, float]:
    """(fused, reference) w after one step from w."""
    out = np.empty((2, 1))
    fast = np_fused.fused_block(head, np.array([w]), np.array([eta]), g[None, :].copy(), fo[None, :].copy(), 1, out)
    assert out[0, 0] == w
    return float(fast[0]), w - eta * head.grad1(w, g, fo)


@given(M=st.integers(1, 5000), seed=st.integers(0, 2**32 - 1), w=st.floats(-50, 50),
       eta=st.sampled_from([1.0, 0.3, 7.0]), r=st.sampled_from([1.0, 2.0, 1.5, 3.0]),
       spread=st.integers(0, 30))
def test_one_step_within_bound(M: int, seed: int, w: float, eta: float, r: float, spread: int) -> None:
    """Levels over ~2^spread magnitudes (where summation order matters most), labels in {0, 1}."""
    rng = np.random.default_rng(seed)
    g = rng.standard_normal(M) * np.exp2(rng.integers(-spread, 1, size=M)) * 0.3
    fo = (rng.random(M) < 0.5).astype(np.float64)
    head = BatchHead(engine_for(INTERVAL).net, r, 1, M)
    assert np_fused.usable(head, 1)
    fast, ref = _one_step(head, w, eta, g, fo)
    assert abs(fast - ref) <= np_fused.step_bound(head, w, eta, g, fo)


@pytest.mark.parametrize("target, M, steps", [("interval:-1/2,1/2", 1024, 300), ("ball:d=2,R=1/2,N=4", 4096, 40)])
def test_trajectory_steps_within_bound(target: str, M: int, steps: int) -> None:
    """Along the fused run_np trajectory, every step is the reference step from the same w_t
    (on the same batch) up to the one-step bound; and the fused run records exactly what it is asked."""
    spec = make_spec(target)
    tr = make_training(batch=f"sampled:{M}", seed=3)
    fast = run_np(spec, tr, steps, fused=True, losses=False)
    ref = run_np(spec, tr, steps, fused=False, losses=False)
    wf = fast.w[:, 0]
    eng = engine_for(spec)
    head = BatchHead(eng.net, eng.r, 1, M)
    sched = BatchSchedule(spec, tr, steps + 1)
    buf = np.empty((1, M, spec.dim))
    eta = float(fast.eta[0])
    for t in range(steps):
        X = sched.draw_block(t, t + 1, buf)[0]
        g = eng.net.forward_g(X)
        fo = labels(eng.level, X)
        step_ref = wf[t] - eta * head.grad1(float(wf[t]), g, fo)
        assert abs(wf[t + 1] - step_ref) <= np_fused.step_bound(head, float(wf[t]), eta, g, fo), t
    # the trajectories themselves stay close (the descent is contracting here); not a bound, a sanity check
    assert np.abs(wf - ref.w[:, 0]).max() < 1e-9
    # a trajectory steps alike alone and in a bundle (a sweep reruns single tasks of bundles)
    both = run_np(spec, [tr, make_training(eta="1/2", batch=f"sampled:{M}", seed=3)], steps, fused=True, losses=False)
    assert np.array_equal(both.w[:, 0], wf)
    sub = run_np(spec, tr, steps, fused=True, losses=False, record_every=7)
    assert list(sub.t) == sorted(set(range(0, steps + 1, 7)) | {steps})
    assert np.array_equal(sub.w[:, 0], wf[sub.t])
