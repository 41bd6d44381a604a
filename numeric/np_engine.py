"""The float64 engine: gradient descent by forward and backward passes (docs/mathematics.md, section 5).

Like a deep-learning framework, the engine never uses a formula for L(w) or L'(w):
it converts the network's exact weights to float64 once and computes, at every
point it needs, the forward pass

    x -> features h_0 -> hidden ReLU layers -> g -> head pre_k = w g + b_k -> f

and the backward pass of the per-point loss phi(|f - f°|), phi(s) = s^r, through the
head layer (sigma'(0) = 0):

    dL/df     = r |e|^(r-1) sign(e),            e = f - f°(x),
    dL/dpre_k = dL/df * head_out[k] * 1[pre_k > 0],
    dL/dw     = sum_k dL/dpre_k * g             (w is shared by both head rows).

f°(x) comes from the target's geometric definition (:mod:`numeric.labels`: interval ends,
box faces, half-spaces, |x|^2 < R^2, the deep ball's interpolant), never from the sign of
the g the network computes: a network whose zero set misses the target trains towards the
wrong set, and its loss and gradient then differ from the derivation's (issue 9).
Only w is trained, so the backward pass stops at the head; it is written for a
generic head layer (any number of rows, any biases/output weights).

Full batch (the population loss, or the normalized loss of a cyclic slab) is a
quadrature of the per-point loss and gradient with breakpoints the engine finds
itself from the network (see :class:`Lines` and :class:`Simplices`):

* d = 1 and piecewise-linear g (no |x|^2 feature): the hidden kinks are found layer
  by layer: on each current piece every preactivation of the next layer is affine
  (the lower layers have a constant pattern there), its values at the piece's ends
  come from the float forward pass, and its zero is solved for.  The readout g = 0
  and, per step, the head kinks w g + b_k = 0 are added.  On every final piece the
  integrand is a polynomial of degree <= r in x (integer r), so n = ceil((r+1)/2)
  Gauss-Legendre nodes are exact up to rounding; for non-integer r a composite rule
  graded geometrically towards both ends of each piece (where |e| -> 0) is used.
  With |x|^2 as a feature (exact ball) the preactivations are quadratic on each
  piece (three forward evaluations give the quadratic, its roots are solved).
* d = 2, 3 with piecewise-linear g: the domain box is cut into simplices (Kuhn
  triangulation) and every simplex is split along the zero set of every hidden
  preactivation, layer by layer (the values at the vertices come from the forward
  pass, the preactivation is affine on the simplex, the new vertices are its zeros on
  the crossing edges), then along g = 0, and per step along the head kinks.  On each
  final simplex the integrand is a polynomial: collapsed (Duffy) tensor
  Gauss-Legendre, exact up to rounding (no band-resolution error at any w).
* d = 2, 3 with the |x|^2 feature (curved boundaries): iterated integration.  The
  innermost coordinate is done exactly along lines as in d = 1; the outer
  coordinates by Gauss-Legendre between "events" (values of the outer coordinate at
  which the combinatorial structure of the inner decomposition changes: tangencies,
  crossings, boundary hits), located by bisection on that structure; a cosine map
  removes the square-root endpoint behaviour; an n-versus-2n comparison gives the
  error estimate and triggers bisection (depth-capped).

  Lines with a quadratic g are also cut at g's stationary point, so |e| is monotone
  on every piece.  d = 3 with non-integer r also uses this method (graded simplicial
  splitting multiplies the simplices too fast there).

Accuracy measured against closed forms / mpmath (relative, w in [0.7, 1000]):
1-D <= 3e-14 (r = 2), <= 2e-13 (r = 3/2); square, cube, polytopes, deep balls
(simplices) <= 6e-14, and simplices vs iterated agree to <= 5e-14 where both run;
exact ball d = 2 <= 1e-13 (r = 2), <= 5e-13 (r = 3/2); exact ball d = 3 <= 2e-13.
Cost: simplicial precomputation grows like the number of linear regions (deep ball
N = 8 in d = 2: 7.5e5 simplices, 8 s; N = 4 in d = 3: 7e5, 11 s; N >= 5 in d = 3 does
not fit in memory); iterated: 0.02-0.05 s (d = 2), 2-15 s (d = 3) per evaluation.

Mini-batches: the mean of the per-point loss/gradient over the step's shared points
(:mod:`numeric.batches`).  The hidden layers do not depend on w, so their forward pass
for the points of a block of future steps is one vectorized call
(:meth:`FloatNet.forward_g`, caching g and f° per point); each step then runs the head's
forward and backward pass on its M cached g values (:class:`BatchHead`: preallocated
buffers, in-place operations).  Recorded losses are forward passes at the recorded w_t,
computed lazily and vectorized over the recorded steps (``run_np(..., losses=False)``
skips them).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import np_fused
from .batches import BatchSchedule
from .labels import labels
from .np_iterated import Iterated
from .np_lines import Fast1D, Lines, Pieces1D
from .np_net import BatchHead, FloatNet, _f, batch_losses, head_pass
from .np_rules import line_rule, simplex_rule
from .np_simplices import Simplices, split_simplices

__all__ = [
    "BatchHead",
    "Fast1D",
    "FloatNet",
    "Iterated",
    "Lines",
    "NpEngine",
    "Pieces1D",
    "RunResult",
    "Simplices",
    "batch_gradient",
    "batch_loss",
    "batch_losses",
    "engine_for",
    "head_pass",
    "line_rule",
    "np_gradient",
    "np_gradient_error",
    "np_loss",
    "run_np",
    "simplex_rule",
    "split_simplices",
    "trajectory_params",
]


# ====================================================================== the engine
def _float_box(lo, hi):
    return [_f(a) for a in lo], [_f(b) for b in hi]


class NpEngine:
    """Float64 engine for one spec: cached decompositions of cells, full-batch and batch passes."""

    def __init__(self, spec, method: str = "auto") -> None:
        self.spec = spec
        self.net = FloatNet(spec.network)
        self.level = spec.target.level
        self.r = float(_f(spec.r))
        self.density = _f(spec.density)
        self.d = spec.dim
        if method == "auto":
            # d >= 3 with non-integer r: the graded simplicial split grows too fast; lines instead
            curved = self.net.sqnorm or (self.d >= 3 and not self.r.is_integer())
            method = "lines" if self.d == 1 else ("iterated" if curved else "simplices")
        self.method = method
        self._cells: dict = {}

    def cell_integrator(self, lo=None, hi=None, weight: float = 1.0):
        """The (cached) integrator of ``weight * density * integral over the box [lo, hi]``."""
        dom = self.spec.domain
        lo = tuple(dom.lo) if lo is None else tuple(lo)
        hi = tuple(dom.hi) if hi is None else tuple(hi)
        key = (lo, hi, weight)
        it = self._cells.get(key)
        if it is None:
            flo, fhi = _float_box(lo, hi)
            fac = weight * self.density
            if self.method == "lines":
                it = Pieces1D(self.net, self.level, flo[0], fhi[0], fac, self.r)
            elif self.method == "simplices":
                it = Simplices(self.net, self.level, flo, fhi, fac, self.r)
            elif self.method == "iterated":
                it = Iterated(self.net, self.level, flo, fhi, fac, self.r)
            else:
                raise ValueError(f"unknown method {self.method!r}")
            if len(self._cells) > 4096:
                self._cells.clear()
            self._cells[key] = it
        return it

    def full(self, w, lo=None, hi=None, weight: float = 1.0, grad: bool = True, loss: bool = True):
        """(L'(w), L(w)) over a cell for an array of w (T,) -> arrays (T,)."""
        it = self.cell_integrator(lo, hi, weight)
        w = np.atleast_1d(np.asarray(w, dtype=np.float64))
        if isinstance(it, Pieces1D):
            step = max(1, (1 << 15) // max(1, it.gc.shape[0] * it.x.shape[0]))
            if w.shape[0] <= step:
                return it.integrate(w, grad=grad, loss=loss)
            parts = [it.integrate(w[a:a + step], grad=grad, loss=loss) for a in range(0, w.shape[0], step)]
            return (np.concatenate([p[0] for p in parts]) if grad else None,
                    np.concatenate([p[1] for p in parts]) if loss else None)
        og = np.empty(w.shape[0])
        ol = np.empty(w.shape[0])
        cache: dict = {}
        for i, wi in enumerate(w.tolist()):
            if wi not in cache:
                cache[wi] = it.integrate(wi, grad=grad, loss=loss)
            og[i], ol[i] = cache[wi]
        return (og if grad else None), (ol if loss else None)

    def batch(self, w, g: np.ndarray, fo: np.ndarray, grad: bool = True, loss: bool = True):
        """Mean per-point (dL/dw, L) over the points whose level values are g (M,), for w (T,)."""
        w = np.atleast_1d(np.asarray(w, dtype=np.float64))
        T, M = w.shape[0], g.shape[0]
        step = max(1, (1 << 16) // max(1, M))          # trajectories per chunk: keep temporaries in cache
        if T <= step:
            dl, ll = head_pass(self.net, w[:, None], g[None, :], fo[None, :], self.r, grad=grad, loss=loss)
            return (dl.mean(1) if grad else None), (ll.mean(1) if loss else None)
        og = np.empty(T)
        ol = np.empty(T)
        for a in range(0, T, step):
            dl, ll = head_pass(self.net, w[a:a + step, None], g[None, :], fo[None, :], self.r, grad=grad, loss=loss)
            if grad:
                og[a:a + step] = dl.mean(1)
            if loss:
                ol[a:a + step] = ll.mean(1)
        return (og if grad else None), (ol if loss else None)


_ENGINES: dict = {}


def engine_for(spec, method: str = "auto") -> NpEngine:
    try:
        key = (spec, spec.network, method)         # the network too: a test may swap it
        hash(key)
    except TypeError:
        key = (id(spec), id(spec.network), method)
    eng = _ENGINES.get(key)
    if eng is None:
        if len(_ENGINES) > 32:
            _ENGINES.clear()
        eng = NpEngine(spec, method)
        _ENGINES[key] = eng
    return eng


def np_gradient(spec, w: float, method: str = "auto") -> float:
    """Full-batch L'(w) by forward/backward passes and per-region quadrature."""
    g, _ = engine_for(spec, method).full([float(w)], loss=False)
    return float(g[0])


def np_loss(spec, w: float, method: str = "auto") -> float:
    """Full-batch L(w) by forward passes and per-region quadrature."""
    _, l = engine_for(spec, method).full([float(w)], grad=False)
    return float(l[0])


def np_gradient_error(spec, w: float) -> tuple[float, float]:
    """(L'(w), error estimate).  The estimate is 0 for the exact per-region rules
    (rounding only) and the n-versus-2n difference for the iterated (curved) method."""
    eng = engine_for(spec)
    g = np_gradient(spec, w)
    it = eng.cell_integrator()
    return g, float(getattr(it, "error", 0.0))


def batch_gradient(spec, w, points: np.ndarray) -> np.ndarray:
    """Mean per-point dL/dw over ``points`` (M, d) for w (T,) -> (T,): the hidden forward pass
    (:meth:`FloatNet.forward_g`) and the head pass :class:`BatchHead`, as in :func:`run_np`."""
    eng = engine_for(spec)
    g = eng.net.forward_g(np.asarray(points, dtype=np.float64))
    w = np.atleast_1d(np.asarray(w, dtype=np.float64))
    out = np.empty(w.shape[0])
    fo = labels(eng.level, points)
    return BatchHead(eng.net, eng.r, w.shape[0], g.shape[0]).grad(w[:, None], g, fo, out)


def batch_loss(spec, w, points: np.ndarray) -> np.ndarray:
    """Mean per-point loss |f(w, x) - f°(x)|^r over ``points`` (M, d) for w (T,) -> (T,)."""
    eng = engine_for(spec)
    g = eng.net.forward_g(np.asarray(points, dtype=np.float64))
    return eng.batch(w, g, labels(eng.level, points), grad=False, loss=True)[1]


# ====================================================================== runs
@dataclass
class RunResult:
    """A run of gradient descent: w_t and the step losses at the recorded steps.

    ``t`` (n_rec,) the recorded steps (0, k, 2k, ..., and always ``steps``); ``w`` and
    ``loss`` (n_rec, n_traj).  ``loss[i]`` is the loss of step t[i]'s batch at w_{t[i]}:
    the population loss (full), the slab's normalized loss (cyclic), the batch mean
    (sampled, dataset); for t = steps, the batch that step ``steps`` would use.
    """

    t: np.ndarray
    w: np.ndarray
    loss: np.ndarray
    batch: str
    eta: np.ndarray
    w0: np.ndarray
    extra: dict = field(default_factory=dict)


def trajectory_params(training, w0, eta):
    """(base training, w0 (T,), eta (T,)) for T trajectories stepping together on one batch plan:
    one Training, or a list sharing batch and seed; ``w0`` / ``eta`` override (float64, broadcast)."""
    if isinstance(training, (list, tuple)):
        trs = list(training)
        if not trs:
            raise ValueError("run_np: empty list of trainings")
        first = trs[0]
        for tr in trs[1:]:
            if tr.batch != first.batch or tr.seed != first.seed:
                raise ValueError("run_np: trajectories stepping together must share batch and seed")
        w0a = np.array([_f(tr.w0, "w0") for tr in trs])
        etaa = np.array([_f(tr.eta, "eta") for tr in trs])
        base = first
    else:
        base = training
        w0a = np.atleast_1d(np.asarray(_f(training.w0, "w0") if w0 is None else w0, dtype=np.float64))
        etaa = np.atleast_1d(np.asarray(_f(training.eta, "eta") if eta is None else eta, dtype=np.float64))
    if w0 is not None and isinstance(training, (list, tuple)):
        w0a = np.atleast_1d(np.asarray(w0, dtype=np.float64))
    if eta is not None and isinstance(training, (list, tuple)):
        etaa = np.atleast_1d(np.asarray(eta, dtype=np.float64))
    w0a, etaa = np.broadcast_arrays(w0a, etaa)
    return base, w0a.astype(np.float64).copy(), etaa.astype(np.float64).copy()


def run_np(spec, training, steps: int, *, w0=None, eta=None, record_every: int = 1,
           data: Any = None, schedule: BatchSchedule | None = None, method: str = "auto",
           losses: bool = True, fused: bool | None = None) -> RunResult:
    """Float64 gradient descent w_{t+1} = w_t - eta * (step t's batch gradient at w_t).

    ``training``: a :class:`symbolic.spec.Training` (its w0/eta, or the arrays ``w0``,
    ``eta`` of shape (n_traj,), broadcast together) or a list of Trainings sharing batch
    and seed.  All trajectories step together on the same batches.

    The steps compute gradients only (forward and backward passes).  The loss of a
    recorded step (``record_every``) is the forward pass at the recorded w_t on that
    step's batch; it is computed lazily, vectorized over the recorded steps (after each
    block of mini-batch steps; after the run for 1-D full batch and cyclic slabs, whose
    quadrature takes many w at once), and not at all with ``losses=False`` (the loss
    column is then NaN).

    Mini-batches: the hidden layers do not depend on w, so the hidden forward pass of a
    block of future steps' points is one vectorized call (:meth:`FloatNet.forward_g`),
    caching g and f° per point; each step then runs only the head's forward and
    backward pass on its M cached g values (:class:`BatchHead`, preallocated buffers).
    ``fused`` (default: when numba is installed): one trajectory with the standard head
    runs each block's steps in one compiled loop (:mod:`numeric.np_fused`; same per-point
    arithmetic, another summation order, bounded there); ``fused=False`` is the reference.
    """
    base, w, etaa = trajectory_params(training, w0, eta)
    steps = int(steps)
    record_every = max(1, int(record_every))
    eng = engine_for(spec, method)
    sched = schedule if schedule is not None else BatchSchedule(spec, base, steps + 1, data=data)
    kind = sched.kind
    rec_t = list(range(0, steps + 1, record_every))
    if rec_t[-1] != steps:
        rec_t.append(steps)
    rec_set = set(rec_t)
    T = w.shape[0]
    W = np.empty((len(rec_t), T))
    Lr = np.full((len(rec_t), T), np.nan)
    ri = 0

    if not kind.uses_points:
        fast = None
        if kind.population and eng.method == "lines" and T == 1 and eng.net.p == 1 \
                and len(eng.net.hb) == 2 and eng.r.is_integer():
            fast = Fast1D(eng.cell_integrator())
        # 1-D cells (Pieces1D) integrate many w in one vectorized pass: losses after the run
        lazy = losses and eng.method == "lines"
        rows_by_cell: dict = {}
        for t in range(steps + 1):
            if kind.population:
                lo = hi = None
                weight = 1.0
            else:
                lo, hi = sched.cell(t)
                weight = float(sched.K)
            rec = t in rec_set
            if rec:
                W[ri] = w
                if lazy:
                    rows_by_cell.setdefault((lo, hi), []).append(ri)
            eager = rec and losses and not lazy
            if t == steps:
                if eager:
                    Lr[ri] = eng.full(w, lo, hi, weight, grad=False, loss=True)[1]
                ri += 1
                break
            if fast is not None and not eager:
                gv = np.array([fast.grad(float(w[0]))])
            else:
                gv, lv = eng.full(w, lo, hi, weight, grad=True, loss=eager)
                if eager:
                    Lr[ri] = lv
            if rec:
                ri += 1
            w = w - etaa * gv
        if lazy:
            weight = 1.0 if kind.population else float(sched.K)
            for (lo, hi), rows in rows_by_cell.items():
                _, lv = eng.full(W[rows].ravel(), lo, hi, weight, grad=False, loss=True)
                Lr[rows] = lv.reshape(len(rows), T)
    else:
        ri = _run_points(eng, sched, steps, w, etaa, rec_t, W, Lr, losses, fused)
    return RunResult(np.array(rec_t), W, Lr, sched.batch.text(), etaa, trajectory_params(training, w0, eta)[1])


def _run_points(eng: NpEngine, sched: BatchSchedule, steps: int, w: np.ndarray, etaa: np.ndarray,
                rec_t: list[int], W: np.ndarray, Lr: np.ndarray, losses: bool, fused: bool | None = None) -> int:
    """The mini-batch loop of :func:`run_np` (sampled, dataset); fills W, Lr; returns the rows filled.

    Per block of B future steps (B M ~ 2^16 points), into buffers allocated once: the
    points drawn in place (:meth:`BatchSchedule.draw_block`), their hidden forward pass
    (:meth:`FloatNet.forward_g`) and their f° from the target's geometry
    (:func:`numeric.labels.labels`); then per step only the head pass (:class:`BatchHead`).
    """
    net = eng.net
    M, T = sched.M, w.shape[0]
    kind = sched.kind
    head = BatchHead(net, eng.r, T, M)
    block = max(1, min(steps + 1, (1 << 16) // max(1, M)))    # steps per block: ~64K cached g
    Gb = np.empty((block, M))
    FOb = np.empty((block, M))
    if kind.stochastic:
        Xb = np.empty((block, M, sched.dim))
    else:
        data = sched.dataset_points()
        gdata = net.forward_g(data)
        fodata = labels(eng.level, data)
    wcol = w[:, None]                                          # a view: updated in place below
    gv = np.empty(T)
    tmp = np.empty(T)
    one = T == 1
    fuse = np_fused.usable(head, T) if fused is None else (bool(fused) and np_fused.usable(head, T))
    wblk = np.empty((block + 1, T))
    etac = np.ascontiguousarray(etaa, dtype=np.float64)
    wf, ef = float(w[0]), float(etaa[0])
    ri = 0
    n_rec = len(rec_t)
    t = 0
    while t <= steps:
        n = min(steps + 1, t + block) - t
        G, FO = Gb[:n], FOb[:n]
        if kind.stochastic:
            X = sched.draw_block(t, t + n, Xb[:n])
            net.forward_g(X, out=G)                            # hidden forward pass, (n, M)
            labels(eng.level, X, out=FO)                       # f° from the target's geometry
        else:
            idx = sched.index_block(t, t + n)
            np.take(gdata, idx, out=G)
            np.take(fodata, idx, out=FO)
        rows: list[int] = []
        r0 = ri
        nxt = rec_t[ri] if ri < n_rec else -1
        if fuse:                                               # one compiled loop over the block's steps
            m = min(n, steps - t)                              # steps taken in this block
            np_fused.fused_block(head, w, etac, G, FO, m, wblk)   # w updated in place
            while ri < n_rec and rec_t[ri] < t + n:             # rows of this block (the last: t + m = steps)
                i = rec_t[ri] - t
                W[ri] = wblk[i]
                rows.append(i)
                ri += 1
        elif one:                                              # the same arithmetic on floats
            grad1 = head.grad1
            for i in range(n):
                tt = t + i
                if tt == nxt:
                    W[ri, 0] = wf
                    ri += 1
                    rows.append(i)
                    nxt = rec_t[ri] if ri < n_rec else -1
                if tt == steps:
                    break
                wf = wf - ef * grad1(wf, G[i], FO[i])
            w[0] = wf
        else:
            for i in range(n):
                tt = t + i
                if tt == nxt:
                    W[ri] = w
                    ri += 1
                    rows.append(i)
                    nxt = rec_t[ri] if ri < n_rec else -1
                if tt == steps:
                    break
                head.grad(wcol, G[i], FO[i], gv)
                np.multiply(etaa, gv, out=tmp)
                np.subtract(w, tmp, out=w)
        if losses and rows:
            Lr[r0:ri] = batch_losses(net, eng.r, W[r0:ri], G[rows], FO[rows])
        t += n
    return ri
