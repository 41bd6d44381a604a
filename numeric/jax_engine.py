"""The JAX engine (optional extra ``pip install '.[jax]'``): float64 gradient descent with
gradients by ``jax.grad`` of the network's loss.

An autodiff route independent of the np engine's hand-written backward pass: the engine
writes down only the FORWARD computation, from the spec's exact weights (converted to
float64 here, not taken from the np engine):

    h_0 = x (and |x|^2 for the exact ball),  h_k = relu(W_k h_(k-1) + b_k),  g = v . h_L + c,
    f(w, x) = sum_k head_out[k] relu(w g(x) + head_bias[k]),
    L_B(w) = (1/M) sum_i |f(w, x_i) - f°(x_i)|^r

and JAX differentiates it (``jax.value_and_grad``; ``jax.nn.relu`` has derivative 0 at 0,
the sigma'(0) = 0 convention of docs/mathematics.md, section 1; ``jnp.maximum`` would split a tie).
float64 throughout (``jax_enable_x64``).  The steps run jit-compiled inside ``lax.scan``
over a block of B steps (B M ~ 2^17 points); each step recomputes the whole network on
its M points, as a framework does.

Shared input, not results: the points are the float64 points every engine reads
(:class:`numeric.batches.BatchSchedule`), and f° at them comes from the target's geometric
definition (:func:`numeric.labels.labels`), like the labels of a dataset.

Mini-batch variants only (``sampled:M``, ``dataset:N,M``).  The population loss needs a
quadrature with breakpoints from the network; doing it here would either copy the np
engine's decomposition (not independent) or use a fixed rule (not exact at the kinks), so
``full`` and ``cyclic`` raise :class:`InputError`.
"""
from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from relu_pointwise.symbolic.errors import InputError, NotExactError
from relu_pointwise.symbolic.numbers import as_float

from .batches import BatchSchedule
from .engine_base import Engine, Progress
from .labels import labels
from .np_engine import RunResult, trajectory_params
from .trajectory import StepSource, Trajectory
from .values import FloatFormat

try:
    import jax
    import jax.numpy as jnp
    from jax import lax
except ImportError as exc:           # pragma: no cover - exercised where jax is absent
    raise ImportError("the jax engine needs jax: pip install 'relu-pointwise[jax]'") from exc

jax.config.update("jax_enable_x64", True)

__all__ = ["JaxEngine", "JaxNet", "jax_batch_gradient", "run_jax"]

_BLOCK_POINTS = 1 << 17


_f = as_float


class JaxNet:
    """The network's exact weights as float64 JAX arrays, with the forward pass and the loss."""

    def __init__(self, network: Any, r: Any) -> None:
        self.sqnorm = "sqnorm" in network.features
        self.W = [jnp.asarray(np.array([[_f(v) for v in row] for row in layer.weight], dtype=np.float64)
                              .reshape(layer.width, -1)) for layer in network.hidden]
        self.b = [jnp.asarray(np.array([_f(v) for v in layer.bias], dtype=np.float64)) for layer in network.hidden]
        self.v = jnp.asarray(np.array([_f(v) for v in network.readout], dtype=np.float64))
        self.c = _f(network.readout_bias)
        self.hb = [_f(v) for v in network.head_bias]
        self.ho = [_f(v) for v in network.head_out]
        self.r = _f(r)

    def level(self, X: jax.Array) -> jax.Array:
        """g at the rows of X (M, d): the hidden layers and the readout."""
        h = X
        if self.sqnorm:
            h = jnp.concatenate([X, jnp.sum(X * X, axis=-1, keepdims=True)], axis=-1)
        for W, b in zip(self.W, self.b):
            h = jax.nn.relu(h @ W.T + b)
        return h @ self.v + self.c

    def loss(self, w: jax.Array, X: jax.Array, fo: jax.Array) -> jax.Array:
        """L_B(w) = mean_i |f(w, x_i) - f°_i|^r (w a scalar)."""
        g = self.level(X)
        f = sum(o * jax.nn.relu(w * g + b) for o, b in zip(self.ho, self.hb))
        e = f - fo
        if self.r == 2.0:
            return jnp.mean(e * e)
        return jnp.mean(jnp.abs(e) ** self.r)

    def losses(self, w: jax.Array, X: jax.Array, fo: jax.Array) -> jax.Array:
        """L_B(w_j) for a vector of trajectories w (T,)."""
        return jax.vmap(self.loss, in_axes=(0, None, None))(w, X, fo)


def _steps_fn(net: JaxNet):
    """The jit-compiled block of steps: scan over (X_i, f°_i), carry w (T,)."""
    def total(w, X, fo):
        ls = net.losses(w, X, fo)
        return jnp.sum(ls), ls                      # trajectories are independent: d/dw_j of the sum

    vg = jax.value_and_grad(total, has_aux=True)

    @partial(jax.jit)
    def block(w, eta, X, FO):
        def body(wc, xs):
            x, fo = xs
            (_, ls), gr = vg(wc, x, fo)
            return wc - eta * gr, (wc, ls)
        w_end, (ws, ls) = lax.scan(body, w, (X, FO))
        return w_end, ws, ls

    return block


_NETS: dict = {}


def _net_for(spec: Any) -> tuple[JaxNet, Any]:
    key = (spec, spec.network)
    hit = _NETS.get(key)
    if hit is None:
        net = JaxNet(spec.network, spec.r)
        hit = (net, _steps_fn(net))
        if len(_NETS) > 16:
            _NETS.clear()
        _NETS[key] = hit
    return hit


def jax_batch_gradient(spec: Any, w: Any, points: np.ndarray) -> np.ndarray:
    """L_B'(w) by ``jax.grad`` at the points (M, d), for w (T,) -> (T,)."""
    net, _ = _net_for(spec)
    X = jnp.asarray(np.asarray(points, dtype=np.float64))
    fo = jnp.asarray(labels(spec.target.level, np.asarray(points, dtype=np.float64)))
    w = jnp.atleast_1d(jnp.asarray(np.asarray(w, dtype=np.float64)))
    return np.asarray(_grad_fn(net)(w, X, fo))


_GRADS: dict = {}


def _grad_fn(net: JaxNet):
    """jit(grad of sum_j L_B(w_j)) for one network (cached: one compile per shape)."""
    fn = _GRADS.get(id(net))
    if fn is None:
        fn = jax.jit(jax.grad(lambda ww, X, fo: jnp.sum(net.losses(ww, X, fo))))
        if len(_GRADS) > 16:
            _GRADS.clear()
        _GRADS[id(net)] = fn
    return fn


def run_jax(spec: Any, training: Any, steps: int, *, w0: Any = None, eta: Any = None, record_every: int = 1,
            data: Any = None, schedule: BatchSchedule | None = None, losses: bool = True) -> RunResult:
    """Float64 gradient descent w_{t+1} = w_t - eta * jax.grad(L_B)(w_t), mirroring
    :func:`numeric.np_engine.run_np` (same arguments, same :class:`RunResult`): all
    trajectories step together on the shared batches.  The recorded loss of step t is the
    batch loss at w_t that ``value_and_grad`` computes anyway (``losses`` is accepted for
    the same signature; the column is always filled).
    """
    base, w, etaa = trajectory_params(training, w0, eta)
    steps = int(steps)
    record_every = max(1, int(record_every))
    sched = schedule if schedule is not None else BatchSchedule(spec, base, steps + 1, data=data)
    kind = sched.kind
    if not kind.uses_points:
        raise InputError(f"batch: the jax engine runs mini-batches only (sampled:M, dataset:N,M), "
                         f"not {sched.batch.text()}")
    _, block_fn = _net_for(spec)
    rec_t = list(range(0, steps + 1, record_every))
    if rec_t[-1] != steps:
        rec_t.append(steps)
    T = w.shape[0]
    W = np.empty((len(rec_t), T))
    Lr = np.full((len(rec_t), T), np.nan)
    M, d = sched.M, sched.dim
    B = max(1, min(1024, _BLOCK_POINTS // max(1, M)))     # fixed (not from steps): one compile per (spec, M, T)
    level = spec.target.level
    if kind.fixed_dataset:
        data = sched.dataset_points()
        fodata = labels(level, data)
    wj = jnp.asarray(w)
    ej = jnp.asarray(etaa)
    rec = np.array(rec_t)
    t = 0
    while t <= steps:
        n = min(steps + 1, t + B) - t
        X = np.zeros((B, M, d))                         # a fresh buffer: JAX may alias it
        FO = np.zeros((B, M))
        if kind.stochastic:
            sched.draw_block(t, t + n, X[:n])
        else:
            idx = sched.index_block(t, t + n)
            X[:n] = data[idx]
            FO[:n] = fodata[idx]
        if kind.stochastic:
            FO[:n] = labels(level, X[:n])
        # a short last block is padded with zero points: the steps past ``steps`` are computed
        # and discarded, so one compiled block serves the whole run
        w_end, ws, ls = block_fn(wj, ej, jnp.asarray(X), jnp.asarray(FO))
        ws, ls = np.asarray(ws), np.asarray(ls)
        sel = np.flatnonzero((rec >= t) & (rec < t + n))
        W[sel] = ws[rec[sel] - t]
        Lr[sel] = ls[rec[sel] - t]
        wj = w_end
        t += n
    return RunResult(np.array(rec_t), W, Lr, sched.batch.text(), etaa, trajectory_params(training, w0, eta)[1])


class JaxEngine(Engine):
    """float64 by ``jax.grad`` of the network's loss (optional extra ``[jax]``); mini-batches only."""

    name = "jax"
    summary = "float64 autodiff; optional extra"

    def _run(self, spec: Any, training: Any, steps: int, *, data: Any,
             progress: Progress | None, record_every: int = 1, source: StepSource | None = None) -> Trajectory:
        # a shared source is INPUT: the float engines read its batch plan only
        schedule = None if source is None else source.schedule
        res = run_jax(spec, training, steps, data=data, schedule=schedule, record_every=record_every)
        if progress is not None:
            progress(steps)
        return Trajectory("jax", spec, training, [int(t) for t in res.t], [float(v) for v in res.w[:, 0]],
                          [float(v) for v in res.loss[:, 0]], {"dtype": "float64"}, FloatFormat())

    def population_loss(self, spec: Any, ws: list[Any]) -> list[Any]:
        raise NotExactError("jax engine: no population loss L(w) by its own route (mini-batches only; "
                            "the np engine integrates it)")
