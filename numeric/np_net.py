"""The float network and the head pass of the float64 engine.

:class:`FloatNet` holds the network's exact weights as float64 arrays with the forward
pass; :func:`head_pass` and :class:`BatchHead` the head's forward and backward pass
(the only part that depends on the trained weight w).
"""
from __future__ import annotations

import math
import threading
from fractions import Fraction

import numpy as np

from relu_pointwise.symbolic.numbers import as_float

__all__ = ["BatchHead", "FloatNet", "batch_losses", "chunked_dot", "head_pass"]


_f = as_float


class FloatNet:
    """The network's exact weights as float64 arrays, with the forward pass."""

    def __init__(self, network) -> None:
        self.dim = network.dim
        self.sqnorm = "sqnorm" in network.features
        self.W = [np.array([[_f(v) for v in row] for row in l.weight], dtype=np.float64).reshape(l.width, -1)
                  for l in network.hidden]
        self.b = [np.array([_f(v) for v in l.bias], dtype=np.float64) for l in network.hidden]
        self.WT = [np.ascontiguousarray(W.T) for W in self.W]
        self._bcol = [b[:, None].copy() for b in self.b]
        self.v = np.array([_f(v) for v in network.readout], dtype=np.float64)
        self.c = _f(network.readout_bias)
        self.hb = np.array([_f(v) for v in network.head_bias], dtype=np.float64)
        self.ho = np.array([_f(v) for v in network.head_out], dtype=np.float64)
        self.n_layers = len(self.W)
        self.widths = [W.shape[0] for W in self.W]
        rng = np.random.default_rng(12345)
        self._code_w = [rng.integers(1, 2**62, size=w, dtype=np.int64) for w in self.widths]
        # the polynomial degree of every preactivation along a coordinate line
        self.p = 2 if self.sqnorm else 1
        # forward_g's layer buffers, kept between calls, one set per thread: the engine is cached
        # and shared, and two threads (a threaded Dask worker) must never write one buffer
        self._fbufs: dict[int, dict] = {}

    def features(self, X: np.ndarray) -> np.ndarray:
        if self.sqnorm:
            return np.concatenate([X, np.einsum("...i,...i->...", X, X)[..., None]], axis=-1)
        return X

    def preacts(self, X: np.ndarray, layer: int) -> np.ndarray:
        """Preactivations of hidden layer ``layer`` (0-based); ``layer == n_layers`` gives g[..., None]."""
        lead = X.shape[:-1]
        if X.ndim != 2:
            X = X.reshape(-1, X.shape[-1])
            out = self.preacts(X, layer)
            return out.reshape(lead + out.shape[-1:])
        h = self.features(X)
        for k in range(layer):
            h = h @ self.WT[k]
            h += self.b[k]
            np.maximum(h, 0.0, out=h)
        if layer == self.n_layers:
            return (h @ self.v + self.c)[..., None]
        z = h @ self.WT[layer]
        z += self.b[layer]
        return z

    def level(self, X: np.ndarray) -> np.ndarray:
        """g at points X (..., d): the full hidden forward pass and the readout."""
        return self.preacts(X, self.n_layers)[..., 0]

    def forward_g(self, X: np.ndarray, chunk: int = 8192, out: np.ndarray | None = None) -> np.ndarray:
        """g at points X (..., d): the same forward pass as :meth:`level`, for many points.

        The points are taken ``chunk`` at a time in the transposed layout (one row per
        neuron, one column per point), so every layer is one small matmul (or, for a
        single input feature, one broadcast product) plus bias and ReLU in place on a
        buffer that stays in cache:  h_0 = features(x)^T,  h_{k+1} = max(W_k h_k + b_k, 0),
        g = v . h_L + c.  This is the hidden forward pass of a whole block of future
        mini-batch steps at once (the hidden layers do not depend on w).  The layer buffers
        are kept between calls (no allocation in a loop of blocks); ``out`` (the shape of
        X without its last axis) receives g if given.
        """
        X = np.asarray(X, dtype=np.float64)
        lead = X.shape[:-1]
        X2 = X.reshape(-1, X.shape[-1])
        N = X2.shape[0]
        res = np.empty(N) if out is None else out.reshape(N)
        bufs = self._fbufs.setdefault(threading.get_ident(), {})
        for a in range(0, N, chunk):
            x = X2[a:a + chunk]
            n = x.shape[0]
            if self.sqnorm or x.shape[1] > 1:
                h = bufs.get(("in", n))
                if h is None:
                    h = bufs[("in", n)] = np.empty((x.shape[1] + self.sqnorm, n))
                h[...] = (self.features(x) if self.sqnorm else x).T   # |x|^2 as in features()
            else:
                h = x.T                                             # (1, n), a view
            for k in range(self.n_layers):
                z = bufs.get((k, n))
                if z is None:
                    z = bufs[(k, n)] = np.empty((self.widths[k], n))
                if h.shape[0] == 1:
                    np.multiply(self.W[k], h, out=z)                # (width, 1) * (1, n)
                else:
                    np.matmul(self.W[k], h, out=z)
                z += self._bcol[k]
                np.maximum(z, 0.0, out=z)
                h = z
            np.matmul(self.v, h, out=res[a:a + n])
        res += self.c
        return res.reshape(lead)

    def pattern_code(self, X: np.ndarray) -> np.ndarray:
        """A 64-bit hash of the hidden activation pattern at X (for structure comparisons)."""
        h = self.features(X)
        code = np.zeros(X.shape[:-1], dtype=np.int64)
        for k in range(self.n_layers):
            z = h @ self.WT[k] + self.b[k]
            code = code * np.int64(1000003) + (z > 0).astype(np.int64) @ self._code_w[k]
            h = np.maximum(z, 0.0)
        return code


def head_pass(net: FloatNet, w, g, fo, r: float, grad: bool = True, loss: bool = False):
    """Forward and backward pass through the head at (w, g): per-point (dL/dw, L).

    ``w`` and ``g`` broadcast; ``fo`` is f° (broadcastable to g).  Returns a pair
    (dldw or None, loss or None) of arrays of the broadcast shape.
    """
    f = 0.0
    pres = []
    for bk, ok in zip(net.hb, net.ho):
        pre = w * g + bk                       # head row k: both rows carry the shared weight w
        pres.append(pre)
        f = f + ok * np.maximum(pre, 0.0)
    e = f - fo
    out_l = None
    if loss:
        out_l = e * e if r == 2.0 else np.abs(e) ** r
    if not grad:
        return None, out_l
    if r == 2.0:
        dldf = 2.0 * e
    elif r == 1.0:
        dldf = np.sign(e)
    else:
        dldf = r * np.abs(e) ** (r - 1.0) * np.sign(e)
    dpre = 0.0
    for pre, ok in zip(pres, net.ho):
        dpre = dpre + (pre > 0.0) * ok                            # sigma'(0) = 0
    # dL/dpre_k = dL/df * head_out[k] * 1[pre_k > 0]; d pre_k / dw = g
    return (dldf * dpre) * g, out_l


_CHUNK = 8192      # points per piece of a long batch: buffers stay in cache, and a dot product of
                   # <= 10^4 terms stays on OpenBLAS's single-threaded path (threads contend here)


def chunked_dot(a: np.ndarray, b: np.ndarray) -> float:
    """sum_i a_i b_i: one ``np.dot`` up to :data:`_CHUNK` terms, else the sum of the pieces' dots."""
    n = a.shape[0]
    if n <= _CHUNK:
        return float(np.dot(a, b))
    s = 0.0
    for i in range(0, n, _CHUNK):
        s += float(np.dot(a[i:i + _CHUNK], b[i:i + _CHUNK]))
    return s


class BatchHead:
    """The head's forward and backward pass on one step's cached level values, T trajectories.

    Same computation as :func:`head_pass` (per point: pre_k = w g + b_k, f = sum_k
    head_out[k] sigma(pre_k), e = f - f°, dL/df = r |e|^(r-1) sign(e), dL/dpre_k = dL/df *
    head_out[k] * 1[pre_k > 0] with sigma'(0) = 0, dL/dw = sum_k dL/dpre_k * g), then the
    mean over the M points:

        L_B'(w) = (r / M) sum_i delta_i g_i,   delta_i = |e_i|^(r-1) sign(e_i) sum_k head_out[k] 1[pre_ik > 0],

    arranged for a loop of many steps: every array is preallocated and every operation
    writes in place, so a step creates no arrays.

    The standard head (two rows, biases b_0 >= b_1, head_out = (1, -1)), fused: with
    p = fl(w g), pre_k = fl(p + b_k) > 0 exactly when p > -b_k (a sum of two doubles rounds
    to a number of the same sign, and to 0 only when it is 0), and pre_0 >= pre_1 (rounding
    is monotone).  So the two units disagree (the ReLU backward passes) exactly on
    -b_0 < p <= -b_1, and there f = sigma(pre_0) - sigma(pre_1) = pre_0 - 0 = pre_0 exactly:

        delta_i = [ -b_0 < p_i <= -b_1 ] * (|e_i|^(r-1) sign(e_i)),   e_i = fl(p_i + b_0) - f°_i,

    bit for bit the values of the unfused pass (7 array operations for r = 2 instead of
    12).  The sum over the points is one dot product per trajectory (``np.dot(delta_j, g)``),
    so a trajectory's gradient does not depend on how many others step with it; a batch of
    more than 8192 points is summed in pieces of 8192 (:func:`chunked_dot`; for one
    trajectory the whole pass runs piece by piece, in cache).  ``r / M`` is applied as one
    exact factor when it is a power of two (then eta (r/M) s = (eta r/M) s exactly), else as
    * r then / M.
    """

    def __init__(self, net: FloatNet, r: float, T: int, M: int) -> None:
        self.hb = [float(b) for b in net.hb]
        self.ho = [float(o) for o in net.ho]
        self.std = len(self.hb) == 2 and self.ho == [1.0, -1.0] and self.hb[0] >= self.hb[1]
        self.r = float(r)
        self.M = M
        self.T = T
        n = min(M, _CHUNK) if T == 1 else M
        shape = (T, n)
        self.A = np.empty(shape)
        self.S = np.empty(shape)
        self.D = np.empty(shape)
        self.P = [np.empty(shape) for _ in self.hb]
        self.B = [np.empty(shape, dtype=bool) for _ in self.hb]
        self.Bx = np.empty(shape, dtype=bool)
        q = Fraction(self.r) / M
        m, _e = math.frexp(float(q))
        self.fac = float(q) if (m == 0.5 and Fraction(float(q)) == q) else None   # r/M a power of two
        # T = 1: the 1-D row views used by grad1 (w a Python float)
        self._rows = [tuple(x[0] for x in (self.A, self.S, self.D, *self.P, *self.B, self.Bx))] if T == 1 else []

    def scale(self, s: float) -> float:
        """(r / M) s."""
        return s * self.fac if self.fac is not None else s * self.r / self.M

    def _power(self, A, S) -> None:
        """A <- |A|^(r-1) sign(A) (dL/df / r), in place."""
        r = self.r
        if r == 1.0:
            np.sign(A, out=A)
        elif r != 2.0:
            np.abs(A, out=S)
            np.power(S, r - 1.0, out=S)
            np.sign(A, out=A)
            A *= S

    def _delta(self, wb, g: np.ndarray, fo: np.ndarray, A, S, D, P, B, Bx) -> None:
        """delta (see the class docstring) into A; ``wb`` is w (a float, 1-D buffers) or w[:, None]."""
        if self.std:
            P0, (B0, B1) = P[0], B
            np.multiply(g, wb, out=P0)                         # p = w g: both head rows carry w
            np.add(P0, self.hb[0], out=A)                      # pre_0; f = pre_0 where the units disagree
            np.subtract(A, fo, out=A)                          # e = f - f°
            self._power(A, S)
            np.less_equal(P0, -self.hb[0], out=B0)             # pre_0 <= 0
            np.greater(P0, -self.hb[1], out=B1)                # pre_1 > 0
            np.logical_or(B0, B1, out=B0)                      # the units agree: sigma' terms cancel
            np.copyto(A, 0.0, where=B0)
            return
        mul, maximum, greater = np.multiply, np.maximum, np.greater
        mul(g, wb, out=A)                                      # w g: both head rows carry w
        for bk, Pk in zip(self.hb, P):
            np.add(A, bk, out=Pk)                              # pre_k = w g + b_k
        # forward: f = sum_k head_out[k] sigma(pre_k)
        A.fill(0.0)
        for ok, Pk in zip(self.ho, P):
            maximum(Pk, 0.0, out=S)
            S *= ok
            A += S
        np.subtract(A, fo, out=A)                              # e = f - f°
        self._power(A, S)                                      # dL/df / r = |e|^(r-1) sign(e)
        # times sum_k head_out[k] sigma'(pre_k), sigma'(0) = 0
        for Pk, Bk in zip(P, B):
            greater(Pk, 0.0, out=Bk)
        D.fill(0.0)
        for ok, Bk in zip(self.ho, B):
            mul(Bk, ok, out=S)
            D += S
        mul(A, D, out=A)

    def grad1(self, w: float, g: np.ndarray, fo: np.ndarray) -> float:
        """L_B'(w) of one trajectory (T = 1 buffers; w a float), in pieces of 8192 points."""
        A, S, D, *rest = self._rows[0]
        k = len(self.hb)
        P, B, Bx = rest[:k], rest[k:2 * k], rest[2 * k]
        M = g.shape[0]
        if M <= _CHUNK:
            self._delta(w, g, fo, A, S, D, P, B, Bx)
            return self.scale(float(np.dot(A, g)))             # d pre_k / dw = g
        s = 0.0
        for a in range(0, M, _CHUNK):
            n = min(_CHUNK, M - a)
            gi = g[a:a + n]
            An = A[:n]
            self._delta(w, gi, fo[a:a + n], An, S[:n], D[:n], [x[:n] for x in P], [x[:n] for x in B], Bx[:n])
            s += float(np.dot(An, gi))
        return self.scale(s)

    def grad(self, wcol: np.ndarray, g: np.ndarray, fo: np.ndarray, out: np.ndarray) -> np.ndarray:
        """L_B'(w) for w = wcol[:, 0] (T,) on levels g (M,) with f° = fo (M,), written into out (T,)."""
        if self.T == 1:
            out[0] = self.grad1(float(wcol[0, 0]), g, fo)
            return out
        self._delta(wcol, g, fo, self.A, self.S, self.D, self.P, self.B, self.Bx)
        A = self.A
        for j in range(self.T):
            out[j] = chunked_dot(A[j], g)
        if self.fac is not None:
            out *= self.fac
        else:
            out *= self.r
            out /= self.M
        return out


def batch_losses(net: FloatNet, r: float, w: np.ndarray, G: np.ndarray, FO: np.ndarray) -> np.ndarray:
    """Mini-batch losses mean_i |f(w_j, x_ij) - f°(x_ij)|^r for rows j: w (n, T), G, FO (n, M) -> (n, T).

    The head's forward pass (:func:`head_pass`), vectorized over the rows (the steps
    whose loss is recorded), in slices that keep the temporaries small.
    """
    n, T = w.shape
    M = G.shape[1]
    out = np.empty((n, T))
    step = max(1, (1 << 20) // max(1, T * M))
    for a in range(0, n, step):
        b = min(n, a + step)
        _, ll = head_pass(net, w[a:b, :, None], G[a:b, None, :], FO[a:b, None, :], r, grad=False, loss=True)
        out[a:b] = ll.mean(-1)
    return out
