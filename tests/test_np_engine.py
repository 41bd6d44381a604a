"""The float64 engine (forward/backward passes, per-region quadrature) and the shared batches."""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from relu_pointwise.numeric.batches import BatchSchedule, philox
from relu_pointwise.numeric.np_engine import (
    FloatNet,
    batch_gradient,
    batch_loss,
    engine_for,
    np_gradient,
    np_gradient_error,
    np_loss,
    run_np,
)
from relu_pointwise.symbolic.errors import InputError
from relu_pointwise.symbolic.spec import make_spec, make_training
from relu_pointwise.symbolic.targets import level_value

INTERVAL = make_spec("interval:-1/2,1/2")
BOX = make_spec("box:-1/2,1/2;-1/2,1/2")
BALL2 = make_spec("ball:d=2,R=1/2")
FAST = settings(max_examples=25)


def rel(a, b):
    return abs(a - b) / abs(b)


# ---------------------------------------------------------------- the float network
@pytest.mark.parametrize("target", ["interval:-1/2,1/2", "union:-3/4,-1/2;0,1/4;1/2,3/4",
                                    "box:-1/2,1/2;-1/4,3/4", "ball:d=2,R=1/2,N=3", "ball:d=2,R=1/2",
                                    "ball:d=3,R=1/2,N=2", "polytope:1,1,1/2;-1,0,1/2;0,-1,1/2"])
def test_float_forward_pass_matches_the_tree(target):
    spec = make_spec(target)
    net = FloatNet(spec.network)
    rng = np.random.default_rng(1)
    X = rng.integers(-64, 65, size=(200, spec.dim)) / 64.0
    exact = [float(level_value(spec.target.level, [sympy.Rational(Fraction(v)) for v in x])) for x in X]
    assert np.allclose(net.level(X), exact, rtol=0, atol=1e-14)


# ---------------------------------------------------------------- gradients
def test_interval_reference_values():
    """Interval (-1/2, 1/2) in [-1, 1], mu = dx/2, r = 2.

    g(x) = min(x + 1/2, 1/2 - x) = 1/2 - |x|, so |f - f°| = (1/2 - w|g|)_+ off g = 0.
    Substituting s = g(x): each value s in (-1/2, 1/2) is taken at two points x with
    |g'| = 1, so the pushforward density of mu is rho(s) = 2 * (1/2) = 1 on (-1/2, 1/2) and
    L(w) = int_{-1/2}^{1/2} ((1/2 - w|s|)_+)^2 ds = 2 int_0^{min(1/2, 1/(2w))} (1/2 - w s)^2 ds.
    For w >= 1 the band ends inside: L = (2/w) int_0^{1/2} u^2 du = 1/(12 w), L' = -1/(12 w^2).
    For 0 <= w <= 1: L = 2 [ (1/4) s - (w/2) s^2 + (w^2/3) s^3 ]_{s=1/2}
                      = 1/4 - w/4 + w^2/12, L' = -1/4 + w/6.
    """
    for w in [0.0, 0.25, 0.5, 0.9, 1.0]:
        assert rel(np_gradient(INTERVAL, w), -0.25 + w / 6) <= 1e-12
        assert rel(np_loss(INTERVAL, w), 0.25 - w / 4 + w * w / 12) <= 1e-12
    for w in [1.0, 1.5, 3.0, 10.0, 1000.0]:
        assert rel(np_gradient(INTERVAL, w), -1.0 / (12 * w * w)) <= 1e-12
        assert rel(np_loss(INTERVAL, w), 1.0 / (12 * w)) <= 1e-12


@FAST
@given(st.floats(min_value=0.0, max_value=1.0))
def test_interval_gradient_below_one(w):
    assert rel(np_gradient(INTERVAL, w), -0.25 + w / 6) <= 1e-12


@FAST
@given(st.floats(min_value=1.0, max_value=1000.0))
def test_interval_gradient_above_one(w):
    assert rel(np_gradient(INTERVAL, w), -1.0 / (12 * w * w)) <= 1e-12


def test_noninteger_r_interval():
    """r = 3/2: for w >= 1, L(w) = 2 int_0^{1/(2w)} (1/2 - w s)^r ds = 2^-r / ((r+1) w)."""
    spec = make_spec("interval:-1/2,1/2", r="3/2")
    for w in [1.0, 7.0, 1000.0]:
        c = 2 ** -1.5 / 2.5
        assert rel(np_loss(spec, w), c / w) <= 1e-11
        assert rel(np_gradient(spec, w), -c / w ** 2) <= 1e-11


@pytest.mark.parametrize("w", [3.0, 10.0, 1000.0])
def test_box_reference_values(w):
    """Box (-1/2,1/2)^2 in [-1,1]^2, r = 2: L(w) = 1/(12 w) for w >= 1 (so L' = -1/(12 w^2))."""
    assert rel(np_loss(BOX, w), 1.0 / (12 * w)) <= 1e-9
    assert rel(np_gradient(BOX, w), -1.0 / (12 * w * w)) <= 1e-9


@pytest.mark.parametrize("w", [2.0, 10.0, 1000.0])
def test_exact_ball_reference_values(w):
    """Exact ball d = 2, R = 1/2 (curved boundaries, iterated quadrature): L = pi/(48 w), w >= 2."""
    assert rel(np_loss(BALL2, w), math.pi / (48 * w)) <= 1e-9
    g, err = np_gradient_error(BALL2, w)
    assert rel(g, -math.pi / (48 * w * w)) <= 1e-9
    assert err <= 1e-9 * abs(g)


def test_two_independent_quadratures_agree():
    """Simplicial splitting vs iterated line integration on a deep ball (piecewise-linear g)."""
    spec = make_spec("ball:d=2,R=1/2,N=2")
    for w in [0.7, 40.0]:
        a = np_gradient(spec, w, method="simplices")
        b = np_gradient(spec, w, method="iterated")
        assert rel(a, b) <= 1e-11


TARGETS_FD = ["interval:-1/2,1/2", "union:-3/4,-1/2;0,1/4;1/2,3/4", "box:-1/2,1/2;-1/4,3/4",
              "ball:d=2,R=1/2,N=2"]


@pytest.mark.parametrize("target", TARGETS_FD)
@settings(max_examples=6)
@given(w=st.floats(min_value=0.05, max_value=60.0))
def test_backprop_gradient_equals_finite_difference(target, w):
    spec = make_spec(target)
    h = 1e-5 * max(1.0, w)
    fd = (np_loss(spec, w + h) - np_loss(spec, w - h)) / (2 * h)
    g = np_gradient(spec, w)
    assert abs(g - fd) <= 1e-6 * abs(g) + 1e-13


def test_batch_gradient_equals_finite_difference():
    rng = np.random.default_rng(5)
    pts = rng.uniform(-1, 1, size=(500, 2))
    for w in [0.3, 2.0, 17.0]:
        h = 1e-6 * max(1.0, w)
        fd = (batch_loss(BOX, [w + h], pts)[0] - batch_loss(BOX, [w - h], pts)[0]) / (2 * h)
        g = batch_gradient(BOX, [w], pts)[0]
        assert abs(g - fd) <= 1e-6 * abs(g) + 1e-12


# ---------------------------------------------------------------- runs
BATCHES = ["full", "cyclic:3", "sampled:64", "dataset:40,8"]


@pytest.mark.parametrize("batch", BATCHES)
@settings(max_examples=5)
@given(seed=st.integers(min_value=0, max_value=2**32), eta=st.sampled_from(["1/2", "1", "7"]))
def test_w_is_nondecreasing(batch, seed, eta):
    for spec in (INTERVAL, BOX):
        tr = make_training(eta=eta, w0="0", batch=batch, seed=seed)
        steps = 60 if spec.dim == 1 else 20
        res = run_np(spec, tr, steps)
        assert res.w.shape == (steps + 1, 1)
        assert np.all(np.diff(res.w[:, 0]) >= 0)
        assert np.all(res.loss >= 0)


def test_vectorized_trajectories_match_single_runs():
    tr = make_training(batch="sampled:32", seed=4)
    w0 = np.array([0.0, 0.5, 3.0])
    eta = np.array([1.0, 2.0, 0.5])
    res = run_np(INTERVAL, tr, 50, w0=w0, eta=eta, record_every=7)
    assert list(res.t) == [0, 7, 14, 21, 28, 35, 42, 49, 50]
    for i in range(3):
        one = run_np(INTERVAL, tr, 50, w0=w0[i], eta=eta[i], record_every=7)
        assert np.array_equal(one.w[:, 0], res.w[:, i])
    full = run_np(INTERVAL, make_training(), 100, w0=w0, eta=eta)
    for i in range(3):
        one = run_np(INTERVAL, make_training(), 100, w0=w0[i], eta=eta[i])
        assert np.allclose(one.w[:, 0], full.w[:, i], rtol=1e-12, atol=0)


def test_full_batch_growth_rate():
    """w_t^3 ~ 3 eta C t with C = 1/12 for the interval (evidence, not a proof)."""
    res = run_np(INTERVAL, make_training(eta="1"), 20000, record_every=20000)
    w = res.w[-1, 0]
    assert abs(w ** 3 / (3 * (1 / 12) * 20000) - 1) < 0.01


# ---------------------------------------------------------------- batches
def test_batches_reproducible_and_shared():
    for batch in ["sampled:100", "dataset:50,7"]:
        tr = make_training(batch=batch, seed=11)
        a = BatchSchedule(BOX, tr, 30)
        b = BatchSchedule(BOX, tr, 30)
        for t in [0, 1, 5, 29, 3, 1000]:
            assert np.array_equal(a.points(t), b.points(t))
        other = BatchSchedule(BOX, make_training(batch=batch, seed=12), 30)
        assert not np.array_equal(a.points(0), other.points(0))


def test_sampled_points_are_the_seeded_stream_inside_the_domain():
    spec = make_spec("box:-1/2,1/2;-1/4,1/4", domain="-1,1;-1/3,2/3")
    tr = make_training(batch="sampled:1000", seed=3)
    s = BatchSchedule(spec, tr, 10)
    u = np.random.Generator(philox(3, 0, 0)).random((3000, 2))    # stream 0 of seed 3 from word 0
    lo, hi = np.array([-1.0, float(Fraction(-1, 3))]), np.array([1.0, float(Fraction(2, 3))])
    assert np.allclose(s.points(2), lo + (hi - lo) * u[2000:3000], rtol=0, atol=1e-15)
    blk = s.points_block(0, 3).reshape(-1, 2)
    assert np.array_equal(blk[1000:2000], s.points(1))
    for x in s.points(2)[:200]:
        assert Fraction(-1) <= Fraction(float(x[0])) <= 1
        assert Fraction(-1, 3) <= Fraction(float(x[1])) <= Fraction(2, 3)


def test_dataset_epochs():
    tr = make_training(batch="dataset:10,3", seed=2)
    s = BatchSchedule(INTERVAL, tr, 100)
    assert s.per_epoch == 3                           # last partial batch dropped
    for e in range(4):
        idx = np.concatenate([s.indices(3 * e + b) for b in range(3)])
        assert len(set(idx.tolist())) == 9
        assert set(idx.tolist()) <= set(range(10))
    # the dataset is the first N points of the sampled stream
    samp = BatchSchedule(INTERVAL, make_training(batch="sampled:10", seed=2), 1)
    assert np.array_equal(s.data, samp.points(0))


@settings(max_examples=20)
@given(K=st.integers(min_value=1, max_value=40))
def test_cyclic_slabs_equal_measure_and_cover(K):
    spec = make_spec("box:-1/2,1/2;-1/2,1/2", domain="-1,3/2;-1,1")
    s = BatchSchedule(spec, make_training(batch=f"cyclic:{K}"), 1)
    bounds = [s.slab_bounds(k) for k in range(K)]
    assert bounds[0][0] == spec.domain.lo[0] and bounds[-1][1] == spec.domain.hi[0]
    widths = {b - a for a, b in bounds}
    assert widths == {(spec.domain.hi[0] - spec.domain.lo[0]) / K}
    assert all(bounds[k][1] == bounds[k + 1][0] for k in range(K - 1))
    assert s.slab(K + 2) == bounds[2 % K]
    # the normalized slab losses average to the full loss
    eng = engine_for(spec)
    full = eng.full([2.5])[1][0]
    cells = [eng.full([2.5], *s.cell(t), weight=float(K))[1][0] for t in range(K)]
    assert abs(np.mean(cells) - full) <= 1e-12 * full


def test_bad_data_files(tmp_path):
    tr = make_training(batch="dataset:4,2")
    good = np.array([[0.1, 0.2], [0.3, -0.4], [1.0, -1.0], [0.0, 0.0]])
    np.save(tmp_path / "good.npy", good)
    assert np.array_equal(BatchSchedule(BOX, tr, 1, data=tmp_path / "good.npy").data, good)
    cases = {}
    np.save(tmp_path / "shape.npy", good[:, :1])
    cases["shape.npy"] = "shape"
    bad = good.copy()
    bad[2, 1] = np.nan
    np.save(tmp_path / "nan.npy", bad)
    cases["nan.npy"] = "row 3"
    bad = good.copy()
    bad[1, 0] = 1.0000000000000002
    np.save(tmp_path / "out.npy", bad)
    cases["out.npy"] = "row 2"
    np.save(tmp_path / "count.npy", good[:3])
    cases["count.npy"] = "3 rows"
    (tmp_path / "text.csv").write_text("0.1,0.2\n0.3,abc\n0,0\n0,0\n")
    cases["text.csv"] = "row 2"
    (tmp_path / "cols.csv").write_text("0.1,0.2\n0.3\n0,0\n0,0\n")
    cases["cols.csv"] = "row 2"
    (tmp_path / "far.csv").write_text("0.1,0.2\n0.3,0.2\n0,0\n0,7\n")
    cases["far.csv"] = "row 4"
    (tmp_path / "pick.npy").write_bytes(b"not an npy file")
    cases["pick.npy"] = "pick.npy"
    (tmp_path / "x.txt").write_text("0,0")
    cases["x.txt"] = ".npy or .csv"
    cases["missing.npy"] = "not found"
    for name, needle in cases.items():
        with pytest.raises(InputError) as exc:
            BatchSchedule(BOX, tr, 1, data=tmp_path / name)
        msg = str(exc.value)
        assert "\n" not in msg and name in msg and needle in msg, msg


# ---------------------------------------------------------------- slow checks (3-D)
@pytest.mark.slow
@pytest.mark.parametrize("w", [3.0, 1000.0])
def test_cube_reference_values(w):
    """Cube (-1/2,1/2)^3 in [-1,1]^3, r = 2: rho(s) = (3/4)(1 - 2s)^2, so
    L = 1/(16 w) + 1/(160 w^3) and L' = -1/(16 w^2) - 3/(160 w^4) for w >= 1."""
    spec = make_spec("box:-1/2,1/2;-1/2,1/2;-1/2,1/2")
    assert rel(np_loss(spec, w), 1 / (16 * w) + 1 / (160 * w ** 3)) <= 1e-9
    assert rel(np_gradient(spec, w), -1 / (16 * w * w) - 3 / (160 * w ** 4)) <= 1e-9


@pytest.mark.slow
@pytest.mark.parametrize("w", [2.5, 1000.0])
def test_exact_ball_3d(w):
    """Exact ball d = 3, R = 1/2: rho(s) = (pi/4) sqrt(R^2 - s); reference by mpmath quadrature."""
    import mpmath

    mpmath.mp.dps = 30

    def L(v):
        return mpmath.quad(lambda u: (mpmath.mpf(1) / 2 - abs(u)) ** 2
                           * mpmath.pi / 4 * mpmath.sqrt(mpmath.mpf(1) / 4 - u / v), [-0.5, 0, 0.5]) / v

    spec = make_spec("ball:d=3,R=1/2")
    assert rel(np_gradient(spec, w), float(mpmath.diff(L, mpmath.mpf(w)))) <= 1e-9
    assert rel(np_loss(spec, w), float(L(mpmath.mpf(w)))) <= 1e-9


# ---------------------------------------------------------------- f° from the target's geometry (issue 9)
LABEL_TARGETS = ["interval:-1/2,1/2", "union:-3/4,-1/2;0,1/4;1/2,3/4", "box:-1/2,1/2;-1/4,3/4",
                 "polytope:1,1,1/3;-1,0,1/2;0,-3,1/2", "ball:d=2,R=1/2", "ball:d=2,R=1/2,N=3",
                 "ball:d=3,R=3/5,N=2", "halfspace:1/3,1/7,1/5"]


@pytest.mark.parametrize("target", LABEL_TARGETS)
@settings(max_examples=10)
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_labels_are_the_exact_geometric_sides(target, seed):
    """labels() (float with an error filter) equals the exact rational side on every point,
    including points placed exactly on the boundary pieces (coordinates k/16, ties)."""
    from relu_pointwise.numeric.labels import labels
    from relu_pointwise.symbolic.targets import side

    spec = make_spec(target)
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.uniform(-1, 1, size=(40, spec.dim)),
                        rng.integers(-16, 17, size=(40, spec.dim)) / 16.0])
    fo = labels(spec.target.level, X)
    exact = [(side(spec.target.level, [Fraction(float(v)) for v in x]) + 1) / 2 for x in X]
    assert fo.tolist() == exact


def test_q_interp_is_the_interpolant_of_u_squared():
    """q_interp(u, N) (by interpolation) equals u^2 at the nodes k/2^N, lies in
    [u^2, u^2 + 4^(-N-1)] between them (the chord of a convex parabola over a cell of width
    h = 2^-N exceeds it by at most h^2/4), and equals the tent-map construction q_deep
    (a different route: composed tents) at every dyadic point of a finer grid."""
    from relu_pointwise.symbolic.targets import q_deep, q_interp

    for N in (1, 2, 3, 5):
        for k in range(2 ** N + 1):
            u = Fraction(k, 2 ** N)
            assert q_interp(u, N) == u * u
        for j in range(2 ** (N + 3) + 1):
            u = Fraction(j, 2 ** (N + 3))
            q = q_interp(u, N)
            assert u * u <= q <= u * u + Fraction(1, 4 ** (N + 1))
            assert sympy.Rational(q.numerator, q.denominator) == q_deep(sympy.Rational(j, 2 ** (N + 3)), N)


def _mutated_interval():
    """interval (-1/2, 1/2) with hidden neuron 0's bias 1/2 -> 1/2 + 1/64: the network's
    g = sigma(x + 33/64) - sigma(-x - 1/2) - sigma(2x) has its zero set at -129/256 and
    33/64 instead of -1/2 and 1/2 (one weight changed; the target is unchanged)."""
    import dataclasses

    from relu_pointwise.symbolic.spec import Spec

    spec = make_spec("interval:-1/2,1/2")
    net = spec.network
    l0 = net.hidden[0]
    bias = list(l0.bias)
    bias[0] = bias[0] + sympy.Rational(1, 64)
    mnet = dataclasses.replace(net, hidden=(dataclasses.replace(l0, bias=tuple(bias)),) + net.hidden[1:])
    ms = Spec(spec.target, spec.domain, spec.r, spec.measure)
    ms.__dict__["network"] = mnet                 # the cached network, swapped
    return spec, ms


def test_moved_zero_set_changes_np_gradient_not_the_derivation():
    """With f° from the target's geometry the np engine sees the moved zero set: its L'(w)
    differs from the derivation's L' of the mutated network (which reads f° from that
    network's own g) by 1e-6 or more (10^6 times the tolerance), while for the true network they agree to
    1e-12.  (With f° = sign(g) of the same forward pass they would agree for both.)"""
    from relu_pointwise.symbolic.loss import derive

    spec, ms = _mutated_interval()
    assert ms.network != spec.network
    d_true, d_mut = derive(spec), derive(ms)
    for w in (0.5, 3.0, 20.0):
        assert rel(np_gradient(spec, w), float(d_true.gradient(sympy.Rational(w)))) <= 1e-12
        assert rel(np_gradient(ms, w), float(d_mut.gradient(sympy.Rational(w)))) >= 1e-6


@pytest.mark.parametrize("batch", ["full", "sampled:64"])
def test_crosscheck_np_pairs_catch_a_moved_zero_set(batch):
    """pointwise crosscheck's np pairs fail, by name, on the mutated network, and pass on the true one."""
    from relu_pointwise.numeric.crosscheck import crosscheck

    spec, ms = _mutated_interval()
    tr = make_training(batch=batch)
    bad = {p["pair"]: p["pass"] for p in crosscheck(ms, tr, 5)["pairs"]}
    good = {p["pair"]: p["pass"] for p in crosscheck(spec, tr, 5)["pairs"]}
    assert bad["mp-np"] is False and bad["np-gradient"] is False
    assert good["mp-np"] is True and good["np-gradient"] is True


# ---------------------------------------------------------------- the fast mini-batch path
@pytest.mark.parametrize("domain", [None, "-1/3,2/7", "-5/7,1/9;-1,1/1000"])
def test_points_drawn_in_place_are_the_shared_stream(domain):
    """draw_block (in place, clip skipped when it provably cannot act) gives exactly the
    stream points of points(t) (the cached, clipped route), for consecutive and jumping starts."""
    target = "interval:-1/4,1/4" if domain is None or ";" not in domain else "box:-1/4,0;-1/2,0"
    spec = make_spec(target, domain=domain)
    sched = BatchSchedule(spec, make_training(batch="sampled:37", seed=11), 400)
    for t0, t1 in [(0, 5), (5, 9), (200, 203), (7, 8), (0, 2)]:
        buf = np.empty((t1 - t0, 37, spec.dim))
        sched.draw_block(t0, t1, buf)
        assert np.array_equal(buf, np.stack([sched.points(t) for t in range(t0, t1)]))


@settings(max_examples=30)
@given(w=st.sampled_from([0.0, 1.0, -1.0, 2.5, 1e-3, 7.0]), seed=st.integers(0, 2**32))
def test_fused_head_pass_equals_the_unfused_backward_pass(w, seed):
    """BatchHead's fused standard-head delta equals, bit for bit, head_pass's unfused
    forward/backward (f = sigma(pre_0) - sigma(pre_1), dL/dpre_k with sigma'(0) = 0), also at
    kinks (w g = +-1/2 exactly) and for labels that disagree with the sign of g."""
    from relu_pointwise.numeric.np_net import BatchHead, head_pass

    net = FloatNet(INTERVAL.network)
    rng = np.random.default_rng(seed)
    g = np.concatenate([rng.uniform(-1, 1, 60), [0.5, -0.5, 0.25, -0.25, 0.0, 2.0]])
    fo = rng.choice([0.0, 0.5, 1.0], size=g.shape[0])
    head = BatchHead(net, 2.0, 1, g.shape[0])
    A, S, D, *rest = head._rows[0]
    head._delta(w, g, fo, A, S, D, rest[:2], rest[2:4], rest[4])
    dl, _ = head_pass(net, w, g, fo, 2.0)
    assert np.array_equal(2.0 * A * g, dl)


@settings(max_examples=200)
@given(lo=st.floats(-1e6, 1e6), span=st.floats(1e-9, 1e6), k=st.integers(1, 2**20))
def test_clip_is_skipped_only_when_it_cannot_act(lo, span, k):
    """_needs_clip(lo, hi) == False promises fl(lo + fl((hi - lo) u)) <= hi for every double u in
    [0, 1); checked at u = 1 - k 2^-53 (the largest doubles below 1, where a point could overshoot)."""
    from relu_pointwise.numeric.batches import _needs_clip

    lo_f, hi_f = np.array([lo]), np.array([lo + span])
    u = 1.0 - k * 2.0 ** -53
    x = lo_f + (hi_f - lo_f) * u
    if not _needs_clip(lo_f, hi_f):
        assert x[0] <= hi_f[0]


def test_moved_zero_set_np_loss_is_the_loss_against_the_target():
    """The mutated interval network (hidden bias 1/2 -> 33/64, see _mutated_interval) at w = 3,
    r = 2, mu = dx/2 on [-1, 1], against f° = 1 on (-1/2, 1/2) (the TARGET).  By hand:
    g = x + 1/2 on [-1, -33/64], 2x + 65/64 on [-33/64, -1/2], x + 33/64 on [-1/2, 0],
    33/64 - x on [0, 1]; f = clamp(3g + 1/2, 0, 1).  The error |f - f°| is affine on
        (-2/3, -33/64): 3x + 2            (f° = 0)
        (-33/64, -1/2): 6x + 227/64       (f° = 0; g > 0 on (-65/128, -1/2): outside the target)
        (-1/2, -67/192): -3x - 67/64      (f° = 1, f < 1)
        (67/192, 1/2):  3x - 67/64        (f° = 1, f < 1)
        (1/2, 131/192): 131/64 - 3x       (f° = 0: on (1/2, 33/64) g > 0 but x is outside)
    (continuous: 29/64 at -33/64, 35/64 at -1/2) and 0 elsewhere; L = (1/2) sum of the
    integrals of the squares.  The np engine cuts its
    pieces at the target's ends too, so its quadrature is exact against the target."""
    from fractions import Fraction as F

    def sq_int(al, be, a, b):                    # integral_a^b (al x + be)^2 dx
        P = lambda x: (al * x + be) ** 3 / (3 * al)  # noqa: E731
        return P(b) - P(a)

    pieces = [(3, 2, F(-2, 3), F(-33, 64)), (6, F(227, 64), F(-33, 64), F(-1, 2)),
              (-3, F(-67, 64), F(-1, 2), F(-67, 192)), (3, F(-67, 64), F(67, 192), F(1, 2)),
              (-3, F(131, 64), F(1, 2), F(131, 192))]
    exact = sum((sq_int(F(al), F(be), a, b) for al, be, a, b in pieces), F(0)) / 2
    _, ms = _mutated_interval()
    assert rel(np_loss(ms, 3.0), float(exact)) <= 1e-14


def test_threads_sharing_the_cached_engine_get_their_own_results():
    """The np engine is cached per spec and shared; two threads running it at once (as in a
    threaded Dask worker) must each get exactly the single-threaded trajectory. Found by
    the sweep tests: shared forward-pass buffers gave negative, non-monotone w_t."""
    from concurrent.futures import ThreadPoolExecutor

    spec = make_spec("ball:d=2,R=1/2,N=2")
    trainings = [make_training(batch="sampled:256", seed=s) for s in range(6)]
    alone = [run_np(spec, tr, 60).w[:, 0] for tr in trainings]
    for _ in range(3):
        with ThreadPoolExecutor(max_workers=3) as pool:
            together = list(pool.map(lambda tr: run_np(spec, tr, 60).w[:, 0], trainings))
        for a, b in zip(alone, together):
            assert np.array_equal(a, b)
