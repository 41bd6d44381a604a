"""The float network and the head pass of the float64 engine.

:class:`FloatNet` holds the network's exact weights as float64 arrays with the forward
pass; :func:`head_pass` and :class:`BatchHead` the head's forward and backward pass
(the only part that depends on the trained weight w).
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import sympy

__all__ = ["BatchHead", "FloatNet", "batch_losses", "head_pass", "target_of"]


def _f(q) -> float:
    q = sympy.Rational(q)
    return float(Fraction(int(q.p), int(q.q)))


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

    def forward_g(self, X: np.ndarray, chunk: int = 8192) -> np.ndarray:
        """g at points X (..., d): the same forward pass as :meth:`level`, for many points.

        The points are taken ``chunk`` at a time in the transposed layout (one row per
        neuron, one column per point), so every layer is one small matmul (or, for a
        single input feature, one broadcast product) plus bias and ReLU in place on a
        buffer that stays in cache:  h_0 = features(x)^T,  h_{k+1} = max(W_k h_k + b_k, 0),
        g = v . h_L + c.  This is the hidden forward pass of a whole block of future
        mini-batch steps at once (the hidden layers do not depend on w).
        """
        X = np.asarray(X, dtype=np.float64)
        lead = X.shape[:-1]
        X2 = X.reshape(-1, X.shape[-1])
        N = X2.shape[0]
        out = np.empty(N)
        bufs: dict = {}
        for a in range(0, N, chunk):
            x = X2[a:a + chunk]
            n = x.shape[0]
            h = self.features(x).T
            if h.shape[0] > 1:
                h = np.ascontiguousarray(h)
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
            np.matmul(self.v, h, out=out[a:a + n])
        out += self.c
        return out.reshape(lead)

    def pattern_code(self, X: np.ndarray) -> np.ndarray:
        """A 64-bit hash of the hidden activation pattern at X (for structure comparisons)."""
        h = self.features(X)
        code = np.zeros(X.shape[:-1], dtype=np.int64)
        for k in range(self.n_layers):
            z = h @ self.WT[k] + self.b[k]
            code = code * np.int64(1000003) + (z > 0).astype(np.int64) @ self._code_w[k]
            h = np.maximum(z, 0.0)
        return code


def target_of(g: np.ndarray) -> np.ndarray:
    """f° from the sign of g: 1 on g > 0, 0 on g < 0, 1/2 on g = 0, i.e. (sign(g) + 1) / 2 (exact)."""
    fo = np.sign(np.asarray(g, dtype=np.float64))
    fo += 1.0
    fo *= 0.5
    return fo


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
    return (dldf * dpre) * g, out_l                               # dL/dpre_k = dL/df * head_out[k] * 1[pre_k > 0]; d pre_k / dw = g


class BatchHead:
    """The head's forward and backward pass on one step's cached level values, T trajectories.

    Same computation as :func:`head_pass` (per point: pre_k = w g + b_k, f = sum_k
    head_out[k] sigma(pre_k), e = f - f°, dL/df = r |e|^(r-1) sign(e), dL/dpre_k = dL/df *
    head_out[k] * 1[pre_k > 0] with sigma'(0) = 0, dL/dw = sum_k dL/dpre_k * g), then the
    mean over the M points:

        L_B'(w) = (r / M) sum_i delta_i g_i,   delta_i = |e_i|^(r-1) sign(e_i) sum_k head_out[k] 1[pre_ik > 0],

    arranged for a loop of many steps: every array is preallocated and every operation
    writes in place, so a step creates no arrays.  The standard head (two rows, biases
    b_0 >= b_1, head_out = (1, -1)) has pre_0 >= pre_1 (also in float), so
    1[pre_0 > 0] - 1[pre_1 > 0] is 1 where the two indicators differ and 0 where they agree:
    delta is e with the entries where they agree set to 0 (the ReLU backward as a mask);
    r = 2 needs no power.  The sum over the points is one dot product per trajectory
    (``np.dot(delta_j, g)``), so a trajectory's gradient does not depend on how many
    others step with it.  ``r / M`` is applied as one exact factor when it is a power of
    two (then eta (r/M) s = (eta r/M) s exactly), else as * r then / M.
    """

    def __init__(self, net: FloatNet, r: float, T: int, M: int) -> None:
        self.hb = [float(b) for b in net.hb]
        self.ho = [float(o) for o in net.ho]
        self.std = len(self.hb) == 2 and self.ho == [1.0, -1.0] and self.hb[0] >= self.hb[1]
        self.r = float(r)
        self.M = M
        self.T = T
        shape = (T, M)
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

    def _delta(self, wb, g: np.ndarray, fo: np.ndarray, A, S, D, P, B, Bx) -> None:
        """delta (see the class docstring) into A; ``wb`` is w (a float, 1-D buffers) or w[:, None]."""
        mul, maximum, greater = np.multiply, np.maximum, np.greater
        mul(g, wb, out=A)                                      # w g: both head rows carry w
        for bk, Pk in zip(self.hb, P):
            np.add(A, bk, out=Pk)                              # pre_k = w g + b_k
        # forward: f = sum_k head_out[k] sigma(pre_k)
        if self.std:
            maximum(P[0], 0.0, out=A)
            maximum(P[1], 0.0, out=S)
            np.subtract(A, S, out=A)
        else:
            A.fill(0.0)
            for ok, Pk in zip(self.ho, P):
                maximum(Pk, 0.0, out=S)
                S *= ok
                A += S
        np.subtract(A, fo, out=A)                              # e = f - f°
        # backward: dL/df / r = |e|^(r-1) sign(e)
        r = self.r
        if r == 1.0:
            np.sign(A, out=A)
        elif r != 2.0:
            np.abs(A, out=S)
            np.power(S, r - 1.0, out=S)
            np.sign(A, out=A)
            A *= S
        # times sum_k head_out[k] sigma'(pre_k), sigma'(0) = 0
        for Pk, Bk in zip(P, B):
            greater(Pk, 0.0, out=Bk)
        if self.std:
            np.equal(B[0], B[1], out=Bx)
            np.copyto(A, 0.0, where=Bx)
        else:
            D.fill(0.0)
            for ok, Bk in zip(self.ho, B):
                mul(Bk, ok, out=S)
                D += S
            mul(A, D, out=A)

    def grad1(self, w: float, g: np.ndarray, fo: np.ndarray) -> float:
        """L_B'(w) of one trajectory (T = 1 buffers; w a float)."""
        A, S, D, *rest = self._rows[0]
        n = len(self.hb)
        self._delta(w, g, fo, A, S, D, rest[:n], rest[n:2 * n], rest[2 * n])
        return self.scale(float(np.dot(A, g)))                 # d pre_k / dw = g

    def grad(self, wcol: np.ndarray, g: np.ndarray, fo: np.ndarray, out: np.ndarray) -> np.ndarray:
        """L_B'(w) for w = wcol[:, 0] (T,) on levels g (M,) with f° = fo (M,), written into out (T,)."""
        self._delta(wcol, g, fo, self.A, self.S, self.D, self.P, self.B, self.Bx)
        dot = np.dot
        A = self.A
        for j in range(self.T):
            out[j] = dot(A[j], g)
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
