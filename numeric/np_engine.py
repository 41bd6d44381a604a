"""The float64 engine: gradient descent by forward and backward passes (DESIGN section 5).

Like a deep-learning framework, the engine never uses a formula for L(w) or L'(w):
it converts the network's exact weights to float64 once and computes, at every
point it needs, the forward pass

    x -> features h_0 -> hidden ReLU layers -> g -> head pre_k = w g + b_k -> f

and the backward pass of the per-point loss phi(|f - f°|), phi(s) = s^r, through the
head layer (sigma'(0) = 0):

    dL/df     = r |e|^(r-1) sign(e),            e = f - f°(x),
    dL/dpre_k = dL/df * head_out[k] * 1[pre_k > 0],
    dL/dw     = sum_k dL/dpre_k * g             (w is shared by both head rows).

f°(x) comes from the sign of the g of the same forward pass (1, 0, or 1/2 on g = 0).
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

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Sequence

import numpy as np
import sympy

from .batches import BatchSchedule

__all__ = ["FloatNet", "head_pass", "np_gradient", "np_loss", "np_gradient_error", "run_np",
           "RunResult", "NpEngine", "engine_for", "batch_gradient", "batch_loss", "BatchHead",
           "batch_losses"]

_ROOT_MARGIN = 1e-13        # roots closer than this (relative) to a piece end are ignored
_ZERO_TOL = 1e-13           # relative tolerance below which a vertex value counts as 0


# ====================================================================== network
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
        m, e = math.frexp(float(q))
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


# ====================================================================== 1-D rules
def _gl(n: int) -> tuple[np.ndarray, np.ndarray]:
    x, wts = np.polynomial.legendre.leggauss(n)
    return (x + 1.0) / 2.0, wts / 2.0


def _graded_rule(sigma: float = 0.15, levels: int = 16, n: int = 14) -> tuple[np.ndarray, np.ndarray]:
    """Composite GL on [0,1], cells graded geometrically towards both ends (for |e|^(r-1))."""
    left = 0.5 * np.concatenate([[0.0], sigma ** np.arange(levels, -1, -1)])
    xs, ws = [], []
    gx, gw = _gl(n)
    for a, b in zip(left[:-1], left[1:]):
        xs.append(a + (b - a) * gx)
        ws.append((b - a) * gw)
    x = np.concatenate(xs)
    wv = np.concatenate(ws)
    x = np.concatenate([x, 1.0 - x[::-1]])
    wv = np.concatenate([wv, wv[::-1]])
    return x, wv


def line_rule(r: float, p: int) -> tuple[np.ndarray, np.ndarray]:
    """The rule used on every final piece of a line: exact for degree p*r when r is an integer."""
    if float(r).is_integer():
        return _gl(max(1, math.ceil((p * int(r) + 1) / 2)))
    return _graded_rule()


# ====================================================================== lines
def _poly_values_to_coef(Z: np.ndarray, p: int) -> np.ndarray:
    """Values at s = 0, (1/2,) 1 along the last-but-one axis -> coefficients c0..cp in s."""
    if p == 1:
        z0, z1 = Z[:, 0], Z[:, 1]
        return np.stack([z0, z1 - z0], axis=1)
    z0, zm, z1 = Z[:, 0], Z[:, 1], Z[:, 2]
    return np.stack([z0, -3.0 * z0 + 4.0 * zm - z1, 2.0 * z0 - 4.0 * zm + 2.0 * z1], axis=1)


def _roots01(C: np.ndarray, p: int) -> np.ndarray:
    """Real roots in (margin, 1 - margin) of c0 + c1 s (+ c2 s^2); NaN where none.

    C has shape (..., p + 1); the result has shape (..., p).
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if p == 1:
            c0, c1 = C[..., 0], C[..., 1]
            s = -c0 / c1
            R = s[..., None]
        else:
            c0, c1, c2 = C[..., 0], C[..., 1], C[..., 2]
            disc = c1 * c1 - 4.0 * c2 * c0
            sq = np.sqrt(np.where(disc >= 0, disc, np.nan))
            q = -0.5 * (c1 + np.where(c1 >= 0, sq, -sq))
            r1 = q / c2
            r2 = c0 / q
            R = np.stack([r1, r2], axis=-1)
        ok = (R > _ROOT_MARGIN) & (R < 1.0 - _ROOT_MARGIN)
        return np.where(ok, R, np.nan)


def _split_by_roots(ta, tb, R):
    """Cut pieces [ta, tb] at the normalized roots R (P, m) (NaN = none); returns (parent, ta, tb)."""
    P, m = R.shape
    R = np.sort(R, axis=1)                                    # NaN last
    # drop near-duplicate roots
    if m > 1:
        dup = np.zeros_like(R, dtype=bool)
        dup[:, 1:] = (R[:, 1:] - R[:, :-1]) <= _ROOT_MARGIN
        R = np.where(dup, np.nan, R)
        R = np.sort(R, axis=1)
    B = np.concatenate([np.zeros((P, 1)), np.where(np.isnan(R), 1.0, R), np.ones((P, 1))], axis=1)
    lo, hi = B[:, :-1], B[:, 1:]
    valid = hi > lo
    parent = np.broadcast_to(np.arange(P)[:, None], lo.shape)[valid]
    L = (tb - ta)
    nta = ta[parent] + L[parent] * lo[valid]
    ntb = np.where(hi[valid] >= 1.0, tb[parent], ta[parent] + L[parent] * hi[valid])
    return parent, nta, ntb


class Lines:
    """Exact decomposition of axis-parallel lines x = (prefix, t), t in [lo, hi], by the network.

    The last coordinate is the line parameter.  After construction the pieces (arrays
    of length P) carry: ``lid`` (which line), ``ta``/``tb`` (ends), ``gc`` (coefficients
    of g in s = (t - ta)/(tb - ta), shape (P, p + 1)), ``fo`` (f° on the piece, from the
    sign of g at its midpoint) and ``code`` (hash of hidden pattern and sign of g).
    """

    def __init__(self, net: FloatNet, prefix: np.ndarray, lo: float, hi: float) -> None:
        self.net = net
        p = net.p
        self.p = p
        prefix = np.asarray(prefix, dtype=np.float64)
        self.prefix = prefix
        n_lines = prefix.shape[0]
        self.n_lines = n_lines
        lid = np.arange(n_lines)
        ta = np.full(n_lines, float(lo))
        tb = np.full(n_lines, float(hi))
        svals = np.array([0.0, 1.0]) if p == 1 else np.array([0.0, 0.5, 1.0])
        for layer in range(net.n_layers + 1):
            Z = self._eval(lid, ta, tb, svals, lambda X: net.preacts(X, layer))      # (P, p+1, width)
            P, _, width = Z.shape
            C = _poly_values_to_coef(Z, p)                                            # (P, p+1, width)
            R = _roots01(np.moveaxis(C, 1, 2), p).reshape(P, width * p)
            keep = ~np.isnan(R).all(axis=1)
            if not keep.any():
                continue
            parent, nta, ntb = _split_by_roots(ta[keep], tb[keep], R[keep])
            kid = np.flatnonzero(keep)[parent]
            rest = np.flatnonzero(~keep)
            lid = np.concatenate([lid[rest], lid[kid]])
            ta = np.concatenate([ta[rest], nta])
            tb = np.concatenate([tb[rest], ntb])
        if p == 2:
            # split at the stationary point of the quadratic g: |e| (affine in g on a piece) is
            # then monotone on every piece, its near-zeros sit at piece ends (graded rules)
            G = self._eval(lid, ta, tb, svals, lambda X: net.preacts(X, net.n_layers))[..., 0]
            C = _poly_values_to_coef(G, p)
            with np.errstate(divide="ignore", invalid="ignore"):
                st = -C[:, 1] / (2.0 * C[:, 2])
            st = np.where((st > _ROOT_MARGIN) & (st < 1.0 - _ROOT_MARGIN), st, np.nan)[:, None]
            keep = ~np.isnan(st[:, 0])
            if keep.any():
                parent, nta, ntb = _split_by_roots(ta[keep], tb[keep], st[keep])
                kid = np.flatnonzero(keep)[parent]
                rest = np.flatnonzero(~keep)
                lid = np.concatenate([lid[rest], lid[kid]])
                ta = np.concatenate([ta[rest], nta])
                tb = np.concatenate([tb[rest], ntb])
        order = np.lexsort((ta, lid))
        self.lid, self.ta, self.tb = lid[order], ta[order], tb[order]
        G = self._eval(self.lid, self.ta, self.tb, svals, lambda X: net.preacts(X, net.n_layers))[..., 0]
        self.gc = _poly_values_to_coef(G, p)
        mid = self._points(self.lid, self.ta, self.tb, np.array([0.5]))[:, 0, :]
        gm = net.level(mid)
        self.fo = target_of(gm)
        self.code = net.pattern_code(mid) * np.int64(3) + np.sign(gm).astype(np.int64)

    def _points(self, lid, ta, tb, s):
        t = ta[:, None] + (tb - ta)[:, None] * s[None, :]
        pre = np.broadcast_to(self.prefix[lid][:, None, :], t.shape + (self.prefix.shape[1],))
        return np.concatenate([pre, t[..., None]], axis=-1)

    def _eval(self, lid, ta, tb, s, fn):
        X = self._points(lid, ta, tb, s)
        return fn(X)

    # ------------------------------------------------------------ head stage
    def head_split(self, w: float):
        """Sub-pieces after the head kinks g = -b_k / w: (piece index, s_lo, s_hi)."""
        net = self.net
        P = self.ta.shape[0]
        if w == 0.0:
            R = np.full((P, 1), np.nan)
        else:
            Rs = []
            for bk in net.hb:
                C = self.gc.copy()
                C[:, 0] += bk / w
                Rs.append(_roots01(C, self.p))
            R = np.concatenate(Rs, axis=1)
        parent, s0, s1 = _split_by_roots(np.zeros(P), np.ones(P), R)
        return parent, s0, s1

    def integrate(self, w: float, r: float, rule, grad=True, loss=True):
        """Per line: (integral of dL/dw dt, integral of L dt)."""
        parent, s0, s1 = self.head_split(w)
        x, wt = rule
        s = s0[:, None] + (s1 - s0)[:, None] * x[None, :]
        gc = self.gc[parent]
        g = gc[:, 0:1] + s * gc[:, 1:2] if self.p == 1 else gc[:, 0:1] + s * (gc[:, 1:2] + s * gc[:, 2:3])
        dl, ll = head_pass(self.net, w, g, self.fo[parent][:, None], r, grad=grad, loss=loss)
        scale = (s1 - s0) * (self.tb - self.ta)[parent]
        lid = self.lid[parent]
        outg = np.bincount(lid, weights=(dl @ wt) * scale, minlength=self.n_lines) if grad else None
        outl = np.bincount(lid, weights=(ll @ wt) * scale, minlength=self.n_lines) if loss else None
        return outg, outl

    def signatures(self, w: float) -> list[tuple]:
        """Per line, the sequence of (hidden, sign g, head) pattern codes along it."""
        parent, s0, s1 = self.head_split(w)
        gc = self.gc[parent]
        sm = 0.5 * (s0 + s1)
        gmid = gc[:, 0] + sm * gc[:, 1] if self.p == 1 else gc[:, 0] + sm * (gc[:, 1] + sm * gc[:, 2])
        hcode = np.zeros(parent.shape[0], dtype=np.int64)
        for bk in self.net.hb:
            hcode = hcode * 2 + ((w * gmid + bk) > 0)
        codes = self.code[parent] * np.int64(7) + hcode
        lid = self.lid[parent]
        out: list[list] = [[] for _ in range(self.n_lines)]
        for l, c in zip(lid.tolist(), codes.tolist()):
            seq = out[l]
            if not seq or seq[-1] != c:
                seq.append(c)
        return [tuple(s) for s in out]


# ====================================================================== 1-D fast path
class Pieces1D:
    """The cached decomposition of a 1-D cell below the head (hidden kinks and g = 0)."""

    def __init__(self, net: FloatNet, lo: float, hi: float, weight: float, r: float) -> None:
        lines = Lines(net, np.zeros((1, 0)), lo, hi)
        self.net = net
        self.p = lines.p
        self.gc = lines.gc                                  # (P, p+1)
        self.fo = lines.fo                                  # (P,)
        self.length = (lines.tb - lines.ta) * weight        # measure factor folded in
        self.ta, self.tb = lines.ta, lines.tb
        self.r = float(r)
        self.x, self.wt = line_rule(self.r, self.p)
        self.n_levels = len(net.hb)

    def integrate(self, w: np.ndarray, grad: bool = True, loss: bool = False):
        """Vectorized over trajectories: w (T,) -> (dL/dw (T,), L (T,))."""
        net, p = self.net, self.p
        T = w.shape[0]
        gc = self.gc
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            inv = 1.0 / w                                                  # (T,)
            if p == 1:
                # head kinks: g = -b_k / w, g = c0 + c1 s on the piece
                c0, c1 = gc[:, 0], gc[:, 1]
                ic1 = 1.0 / c1
                S = [(-(bk * inv)[:, None] - c0[None, :]) * ic1[None, :] for bk in net.hb]   # (T, P)
                S = [np.fmin(np.fmax(s, 0.0), 1.0) for s in S]
                if len(S) == 2:
                    a, b = np.minimum(S[0], S[1]), np.maximum(S[0], S[1])
                    bounds = [np.zeros_like(a), a, b, np.ones_like(a)]
                else:
                    bounds = [np.zeros((T, gc.shape[0]))] + sorted_list(S) + [np.ones((T, gc.shape[0]))]
            else:
                Rs = []
                for bk in net.hb:
                    C = np.broadcast_to(gc, (T,) + gc.shape).copy()
                    C[..., 0] += (bk * inv)[:, None]
                    Rs.append(_roots01(C, 2))
                R = np.sort(np.concatenate(Rs, axis=-1), axis=-1)
                R = np.where(np.isnan(R), 1.0, R)
                bounds = [np.zeros((T, gc.shape[0]))] + [R[..., i] for i in range(R.shape[-1])] + [np.ones((T, gc.shape[0]))]
        Bl = np.stack(bounds[:-1], axis=-1)            # (T, P, S)
        Bh = np.stack(bounds[1:], axis=-1)
        Ls = Bh - Bl
        s = Bl[..., None] + Ls[..., None] * self.x      # (T, P, S, Q)
        if p == 1:
            g = gc[:, 0, None, None] + gc[:, 1, None, None] * s
        else:
            g = gc[:, 0, None, None] + s * (gc[:, 1, None, None] + s * gc[:, 2, None, None])
        dl, ll = head_pass(net, w[:, None, None, None], g, self.fo[:, None, None], self.r, grad=grad, loss=loss)
        fac = Ls * self.length[None, :, None]           # (T, P, S)
        og = np.einsum("tpsq,q,tps->t", dl, self.wt, fac) if grad else None
        ol = np.einsum("tpsq,q,tps->t", ll, self.wt, fac) if loss else None
        return og, ol


def sorted_list(S):
    A = np.sort(np.stack(S, axis=-1), axis=-1)
    return [A[..., i] for i in range(A.shape[-1])]


class Fast1D:
    """Per-step 1-D full-batch gradient for ONE trajectory, p = 1, integer r: minimal numpy calls.

    Same computation as :meth:`Pieces1D.integrate` (head kinks recomputed per step from
    the cached piecewise-affine g, GL at the nodes, head forward/backward), arranged
    to keep the number of array operations per step small.
    """

    def __init__(self, pieces: Pieces1D) -> None:
        net = pieces.net
        self.net = net
        gc = pieces.gc
        self.c0 = gc[:, 0].copy()
        self.c1 = gc[:, 1].copy()
        with np.errstate(divide="ignore"):
            self.ic1 = 1.0 / self.c1
        self.fo = pieces.fo
        self.len = pieces.length
        self.x, self.wt = pieces.x, pieces.wt
        self.r = pieces.r
        self.hb = net.hb
        self.P = gc.shape[0]
        # node layout (3 sub-pieces x Q nodes per piece)
        self.fo3 = np.repeat(self.fo, 3 * self.x.shape[0])

    def grad(self, w: float) -> float:
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = np.divide(1.0, w)                                      # w = 0: inf, as in Pieces1D
            c0, ic1 = self.c0, self.ic1
            sa = np.fmin(np.fmax((-self.hb[0] * inv - c0) * ic1, 0.0), 1.0)
            sb = np.fmin(np.fmax((-self.hb[1] * inv - c0) * ic1, 0.0), 1.0)
        lo = np.minimum(sa, sb)
        hi = np.maximum(sa, sb)
        B = np.empty((self.P, 4))
        B[:, 0] = 0.0
        B[:, 1] = lo
        B[:, 2] = hi
        B[:, 3] = 1.0
        Ls = B[:, 1:] - B[:, :-1]                                        # (P, 3)
        s = B[:, :-1, None] + Ls[:, :, None] * self.x                   # (P, 3, Q)
        g = (self.c0[:, None, None] + self.c1[:, None, None] * s).ravel()
        dl, _ = head_pass(self.net, w, g, self.fo3, self.r)
        fac = (Ls * self.len[:, None])[:, :, None] * self.wt            # (P, 3, Q)
        return float(dl @ fac.ravel())


# ====================================================================== simplices
def _kuhn(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    import itertools

    d = lo.shape[0]
    out = []
    for perm in itertools.permutations(range(d)):
        v = lo.copy()
        verts = [v.copy()]
        for k in perm:
            v = v.copy()
            v[k] = hi[k]
            verts.append(v)
        out.append(verts)
    return np.array(out, dtype=np.float64)


def split_simplices(S: np.ndarray, A: np.ndarray, s: np.ndarray, tol: float):
    """Split simplices S (n, d+1, d) along the zero set of an affine function with vertex values s.

    ``A`` (n, d+1, m) are attributes affine on each simplex (interpolated onto new
    vertices).  Values |s| <= tol count as 0.  Returns (S, A, s) of the pieces; every
    piece has s >= 0 at all vertices or s <= 0 at all vertices.
    """
    s = np.where(np.abs(s) <= tol, 0.0, s)
    outS, outA, outs = [], [], []
    while S.shape[0]:
        pos = s > 0
        neg = s < 0
        cross = pos.any(1) & neg.any(1)
        if not cross.all():
            nc = ~cross
            outS.append(S[nc]); outA.append(A[nc]); outs.append(s[nc])
        if not cross.any():
            break
        S, A, s = S[cross], A[cross], s[cross]
        pos, neg = pos[cross], neg[cross]
        n = S.shape[0]
        rows = np.arange(n)
        i = np.argmax(pos, axis=1)
        j = np.argmax(neg, axis=1)
        si, sj = s[rows, i], s[rows, j]
        lam = si / (si - sj)
        m = S[rows, i] + lam[:, None] * (S[rows, j] - S[rows, i])
        am = A[rows, i] + lam[:, None] * (A[rows, j] - A[rows, i])
        S1, A1, s1 = S.copy(), A.copy(), s.copy()
        S1[rows, i] = m; A1[rows, i] = am; s1[rows, i] = 0.0
        S2, A2, s2 = S.copy(), A.copy(), s.copy()
        S2[rows, j] = m; A2[rows, j] = am; s2[rows, j] = 0.0
        S = np.concatenate([S1, S2]); A = np.concatenate([A1, A2]); s = np.concatenate([s1, s2])
    if not outS:
        return np.empty((0,) + S.shape[1:]), np.empty((0,) + A.shape[1:]), np.empty((0, S.shape[1]))
    return np.concatenate(outS), np.concatenate(outA), np.concatenate(outs)


def simplex_rule(d: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Collapsed (Duffy) tensor Gauss-Legendre on the d-simplex: barycentric nodes (Q, d+1), weights sum 1.

    x_1 = u_1, x_2 = (1 - u_1) u_2, x_3 = (1 - u_1)(1 - u_2) u_3, Jacobian prod_k (1 - u_k)^(d-1-k):
    exact for polynomials of total degree <= 2n - d.
    """
    import itertools

    gx, gw = _gl(n)
    lams, wts = [], []
    for idx in itertools.product(range(n), repeat=d):
        u = gx[list(idx)]
        x = np.empty(d)
        rem, jac = 1.0, 1.0
        for k in range(d):
            x[k] = rem * u[k]
            jac *= (1.0 - u[k]) ** (d - 1 - k)
            rem *= 1.0 - u[k]
        lams.append(np.concatenate([[1.0 - x.sum()], x]))
        wts.append(float(np.prod(gw[list(idx)])) * jac)
    wt = np.array(wts)
    return np.array(lams), wt / wt.sum()


def _volumes(S: np.ndarray) -> np.ndarray:
    E = S[:, 1:, :] - S[:, :1, :]
    d = S.shape[-1]
    return np.abs(np.linalg.det(E)) / math.factorial(d) if d > 1 else np.abs(E[:, 0, 0])


class Simplices:
    """Cached simplicial decomposition of a box cell (piecewise-linear g, d >= 1).

    Every simplex has a constant hidden pattern and a constant sign of g; ``G`` holds g
    at its vertices (from the float forward pass; g is affine on the simplex).
    """

    def __init__(self, net: FloatNet, lo: Sequence[float], hi: Sequence[float], weight: float, r: float) -> None:
        if net.sqnorm:
            raise ValueError("Simplices needs a piecewise-linear g")
        lo = np.asarray(lo, dtype=np.float64)
        hi = np.asarray(hi, dtype=np.float64)
        self.net = net
        self.d = d = lo.shape[0]
        S = _kuhn(lo, hi)
        for layer in range(net.n_layers + 1):
            Z = net.preacts(S, layer)                                 # (n, d+1, width)
            tol = _ZERO_TOL * max(1.0, float(np.abs(Z).max()) if Z.size else 1.0)
            for j in range(Z.shape[-1]):
                S, Z, _ = split_simplices(S, Z, Z[:, :, j], tol)
        G = net.level(S)                                              # (n, d+1)
        vol = _volumes(S)
        keep = vol > 0
        self.weight = weight
        self.S, self.G, self.vol = S[keep], G[keep], vol[keep] * weight
        self.gmin, self.gmax = self.G.min(1), self.G.max(1)
        self.gc = self.G.mean(1)
        # g has one sign on each simplex (vertices on g = 0 carry rounding residues): read it at the centroid
        self.sgn = np.sign(self.gc)
        self.fo = target_of(self.sgn)
        self.r = float(r)
        self.gtol = _ZERO_TOL * max(1.0, float(np.abs(self.G).max()))
        if self.r.is_integer():
            self.rule = simplex_rule(d, max(1, math.ceil((int(self.r) + d) / 2)))
            self.graded = False
        else:
            self.rule = simplex_rule(d, 14 if d <= 2 else 12)
            self.graded = True

    def integrate(self, w: float, grad: bool = True, loss: bool = True) -> tuple[float, float]:
        net = self.net
        w = float(w)
        levels = [-bk / w for bk in net.hb] if w != 0.0 else []
        cand = np.zeros(self.gc.shape[0], dtype=bool)
        for L in levels:
            cand |= (self.gmin < L - self.gtol) & (self.gmax > L + self.gtol)
        S, G, vol, fo = self.S[cand], self.G[cand], self.vol[cand], self.fo[cand]
        for L in levels:
            S, A, _ = split_simplices(S, np.concatenate([G[..., None], fo[:, None, None].repeat(S.shape[1], 1)], -1),
                                      G - L, self.gtol)
            G, fo = A[..., 0], A[:, 0, 1]
        vol = _volumes(S) * self.weight
        # every piece: centroid pattern of the head decides the polynomial degree of the integrand
        Gs = np.concatenate([self.G[~cand], G])
        Ss_vol = np.concatenate([self.vol[~cand], vol])
        fos = np.concatenate([self.fo[~cand], fo])
        gcen = Gs.mean(1)
        slope = 0.0
        for bk, ok in zip(net.hb, net.ho):
            slope = slope + ok * ((w * gcen + bk) > 0)
        active = (slope * w) != 0.0
        tg = tl = 0.0
        # saturated pieces: e is constant, the integrand affine in x -> the centroid rule is exact
        sat = ~active
        if sat.any():
            dl, ll = head_pass(net, w, gcen[sat], fos[sat], self.r, grad=grad, loss=loss)
            if grad:
                tg += float(dl @ Ss_vol[sat])
            if loss:
                tl += float(ll @ Ss_vol[sat])
        if active.any():
            Ga, fa, va = Gs[active], fos[active], Ss_vol[active]
            if self.graded:
                Ga, fa, va = self._grade(w, Ga, fa, va)
            lam, wt = self.rule
            g = Ga @ lam.T                                           # (n, Q): g is affine on the simplex
            dl, ll = head_pass(net, w, g, fa[:, None], self.r, grad=grad, loss=loss)
            if grad:
                tg += float((dl @ wt) @ va)
            if loss:
                tl += float((ll @ wt) @ va)
        return tg, tl

    def _grade(self, w, G, fo, vol, sigma=0.15, levels=16):
        """Split active simplices along level sets |e| = sigma^j / 2 (e affine on each)."""
        net = self.net
        d = self.d
        # the head with the centroid pattern frozen: e is affine in g on the simplex
        gcen = G.mean(1)
        slope = 0.0
        off = 0.0
        for bk, ok in zip(net.hb, net.ho):
            on = (w * gcen + bk) > 0
            slope = slope + ok * on * w
            off = off + ok * on * bk
        E = np.abs(slope[:, None] * G + off[:, None] - fo[:, None])       # |e| at the vertices
        # barycentric bookkeeping: split in barycentric coordinates of the parent
        bary = np.broadcast_to(np.eye(d + 1), (G.shape[0], d + 1, d + 1)).copy()
        A = np.concatenate([G[..., None], E[..., None], fo[:, None, None].repeat(d + 1, 1),
                            vol[:, None, None].repeat(d + 1, 1)], -1)
        for j in range(1, levels + 1):
            L = 0.5 * sigma ** j
            bary, A, _ = split_simplices(bary, A, A[..., 1] - L, 1e-300)
        v = _volumes(bary[:, :, 1:]) * math.factorial(d) if d > 1 else np.abs(bary[:, 1, 1] - bary[:, 0, 1])
        return A[..., 0], A[:, 0, 2], v * A[:, 0, 3]


# ====================================================================== iterated (curved)
def _cos_rule(n: int):
    """GL in u on [0,1] pushed through x = (1 - cos(pi u)) / 2 (square-root ends become smooth)."""
    u, wu = _gl(n)
    x = 0.5 * (1.0 - np.cos(np.pi * u))
    wx = wu * 0.5 * np.pi * np.sin(np.pi * u)
    return x, wx


class Iterated:
    """Iterated integration over a box: exact along the last coordinate, GL between events outside."""

    def __init__(self, net: FloatNet, lo, hi, weight: float, r: float, rtol: float = 1e-12,
                 n_outer: int = 12, grid: int = 65, max_depth: int = 40) -> None:
        self.net = net
        self.lo = np.asarray(lo, dtype=np.float64)
        self.hi = np.asarray(hi, dtype=np.float64)
        self.d = self.lo.shape[0]
        self.weight = weight
        self.r = float(r)
        self.rule = line_rule(self.r, net.p)
        self.rtol = rtol
        self.n_outer = n_outer
        self.grid = grid
        self.max_depth = max_depth
        self.error = 0.0
        self._rule_outer = _cos_rule(n_outer)

    # -- level k: prefixes (S, k) fixed; integrate coordinates k .. d-1
    def _lines(self, prefix: np.ndarray, w: float) -> Lines:
        return Lines(self.net, prefix, self.lo[-1], self.hi[-1])

    def _sig(self, prefix: np.ndarray, w: float, k: int) -> list:
        """Structure signatures of the slices {x_0..x_{k-1} = prefix}."""
        if k == self.d - 1:
            return self._lines(prefix, w).signatures(w)
        ev = self._events(prefix, w, k)
        mids_pre, owner = [], []
        for sidx, e in enumerate(ev):
            b = np.concatenate([[self.lo[k]], e, [self.hi[k]]])
            m = 0.5 * (b[:-1] + b[1:])
            mids_pre.append(np.column_stack([np.repeat(prefix[sidx:sidx + 1], m.shape[0], 0), m]))
            owner.extend([sidx] * m.shape[0])
        sub = self._sig(np.concatenate(mids_pre), w, k + 1)
        out: list[list] = [[] for _ in range(prefix.shape[0])]
        for o, sg in zip(owner, sub):
            if not out[o] or out[o][-1] != sg:
                out[o].append(sg)
        return [tuple(x) for x in out]

    def _events(self, prefix: np.ndarray, w: float, k: int) -> list[np.ndarray]:
        """Per slice, the sorted values of x_k where the structure of the deeper slices changes."""
        S = prefix.shape[0]
        a, b = self.lo[k], self.hi[k]
        xs = np.linspace(a, b, self.grid)
        pre = np.column_stack([np.repeat(prefix, self.grid, 0), np.tile(xs, S)])
        sig = self._sig(pre, w, k + 1)
        brackets = []          # (slice, xa, xb, sa, sb)
        for s in range(S):
            row = sig[s * self.grid:(s + 1) * self.grid]
            for i in range(self.grid - 1):
                if row[i] != row[i + 1]:
                    brackets.append((s, xs[i], xs[i + 1], row[i], row[i + 1]))
        events: list[list] = [[] for _ in range(S)]
        scale = max(abs(a), abs(b), b - a)
        while brackets:
            small = [br for br in brackets if br[2] - br[1] <= 8e-16 * scale]
            for br in small:
                events[br[0]].append(0.5 * (br[1] + br[2]))
            brackets = [br for br in brackets if br[2] - br[1] > 8e-16 * scale]
            if not brackets:
                break
            mids = np.array([0.5 * (br[1] + br[2]) for br in brackets])
            stuck = (mids <= np.array([br[1] for br in brackets])) | (mids >= np.array([br[2] for br in brackets]))
            if stuck.any():                                   # no double strictly inside: done
                for br in (br for br, st in zip(brackets, stuck) if st):
                    events[br[0]].append(0.5 * (br[1] + br[2]))
                brackets = [br for br, st in zip(brackets, stuck) if not st]
                if not brackets:
                    break
                mids = mids[~stuck]
            pre = np.column_stack([prefix[[br[0] for br in brackets]], mids])
            sm = self._sig(pre, w, k + 1)
            nxt = []
            for br, m, sgm in zip(brackets, mids, sm):
                s, xa, xb, sa, sb = br
                if sgm == sa:
                    nxt.append((s, m, xb, sgm, sb))
                elif sgm == sb:
                    nxt.append((s, xa, m, sa, sgm))
                else:
                    nxt.append((s, xa, m, sa, sgm))
                    nxt.append((s, m, xb, sgm, sb))
            brackets = nxt
        return [np.array(sorted(e)) for e in events]

    def _values(self, prefix: np.ndarray, w: float, k: int):
        """(integral of dL/dw, integral of L) over coordinates k.. of each slice, arrays (S,)."""
        if k == self.d - 1:
            return self._lines(prefix, w).integrate(w, self.r, self.rule)
        return self._integrate_level(prefix, w, k)

    def _quad(self, prefix, sl, xa, xb, w, k):
        """n-node cosine-mapped GL of the level-(k+1) values over [xa, xb] for slices sl."""
        x, wx = self._rule_outer
        X = xa[:, None] + (xb - xa)[:, None] * x[None, :]
        pre = np.column_stack([np.repeat(prefix[sl], x.shape[0], 0), X.ravel()])
        gg, ll = self._values(pre, w, k + 1)
        q = x.shape[0]
        return gg.reshape(-1, q) @ wx * (xb - xa), ll.reshape(-1, q) @ wx * (xb - xa)

    def _integrate_level(self, prefix: np.ndarray, w: float, k: int):
        """Adaptive GL over x_k between the events; each interval's value is checked against
        the sum over its two halves (reused when the interval is split further)."""
        S = prefix.shape[0]
        ev = self._events(prefix, w, k)
        a, b = self.lo[k], self.hi[k]
        sl, xa, xb = [], [], []
        for s in range(S):
            bnd = np.concatenate([[a], ev[s], [b]])
            for u, v in zip(bnd[:-1], bnd[1:]):
                if v > u:
                    sl.append(s); xa.append(u); xb.append(v)
        sl = np.array(sl, dtype=np.int64)
        xa = np.array(xa, dtype=np.float64)
        xb = np.array(xb, dtype=np.float64)
        cg, cl = self._quad(prefix, sl, xa, xb, w, k)          # coarse values
        depth = np.zeros(sl.shape[0], dtype=np.int64)
        totg = np.zeros(S)
        totl = np.zeros(S)
        err = np.zeros(S)
        # scale of each slice (for the relative tolerance): the coarse total
        scale_g = np.zeros(S)
        scale_l = np.zeros(S)
        np.add.at(scale_g, sl, np.abs(cg))
        np.add.at(scale_l, sl, np.abs(cl))
        while sl.shape[0]:
            xm = 0.5 * (xa + xb)
            lg, ll_ = self._quad(prefix, sl, xa, xm, w, k)
            rg, rl = self._quad(prefix, sl, xm, xb, w, k)
            fg, fl = lg + rg, ll_ + rl
            eg, el = np.abs(fg - cg), np.abs(fl - cl)
            ok = (eg <= self.rtol * scale_g[sl]) & (el <= self.rtol * scale_l[sl])
            ok |= depth >= self.max_depth
            np.add.at(totg, sl[ok], fg[ok])
            np.add.at(totl, sl[ok], fl[ok])
            np.add.at(err, sl[ok], eg[ok])
            bad = ~ok
            sl = np.concatenate([sl[bad], sl[bad]])
            xa, xb = np.concatenate([xa[bad], xm[bad]]), np.concatenate([xm[bad], xb[bad]])
            cg, cl = np.concatenate([lg[bad], rg[bad]]), np.concatenate([ll_[bad], rl[bad]])
            depth = np.concatenate([depth[bad], depth[bad]]) + 1
        self.error_last = err
        return totg, totl

    def integrate(self, w: float, grad: bool = True, loss: bool = True) -> tuple[float, float]:
        w = float(w)
        gg, ll = self._integrate_level(np.zeros((1, 0)), w, 0)
        self.error = float(self.error_last[0]) * self.weight
        return float(gg[0]) * self.weight, float(ll[0]) * self.weight


# ====================================================================== the engine
def _float_box(lo, hi):
    return [_f(a) for a in lo], [_f(b) for b in hi]


class NpEngine:
    """Float64 engine for one spec: cached decompositions of cells, full-batch and batch passes."""

    def __init__(self, spec, method: str = "auto") -> None:
        self.spec = spec
        self.net = FloatNet(spec.network)
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
                it = Pieces1D(self.net, flo[0], fhi[0], fac, self.r)
            elif self.method == "simplices":
                it = Simplices(self.net, flo, fhi, fac, self.r)
            elif self.method == "iterated":
                it = Iterated(self.net, flo, fhi, fac, self.r)
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
        og = np.empty(w.shape[0]) if grad else None
        ol = np.empty(w.shape[0]) if loss else None
        cache: dict = {}
        for i, wi in enumerate(w.tolist()):
            if wi not in cache:
                cache[wi] = it.integrate(wi, grad=grad, loss=loss)
            gv, lv = cache[wi]
            if grad:
                og[i] = gv
            if loss:
                ol[i] = lv
        return og, ol

    def batch(self, w, g: np.ndarray, grad: bool = True, loss: bool = True, fo: np.ndarray | None = None):
        """Mean per-point (dL/dw, L) over the points whose level values are g (M,), for w (T,)."""
        w = np.atleast_1d(np.asarray(w, dtype=np.float64))
        if fo is None:
            fo = target_of(g)
        T, M = w.shape[0], g.shape[0]
        step = max(1, (1 << 16) // max(1, M))          # trajectories per chunk: keep temporaries in cache
        if T <= step:
            dl, ll = head_pass(self.net, w[:, None], g[None, :], fo[None, :], self.r, grad=grad, loss=loss)
            return (dl.mean(1) if grad else None), (ll.mean(1) if loss else None)
        og = np.empty(T) if grad else None
        ol = np.empty(T) if loss else None
        for a in range(0, T, step):
            dl, ll = head_pass(self.net, w[a:a + step, None], g[None, :], fo[None, :], self.r, grad=grad, loss=loss)
            if grad:
                og[a:a + step] = dl.mean(1)
            if loss:
                ol[a:a + step] = ll.mean(1)
        return og, ol


_ENGINES: dict = {}


def engine_for(spec, method: str = "auto") -> NpEngine:
    try:
        key = (spec, method)
        hash(key)
    except TypeError:
        key = (id(spec), method)
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
    return BatchHead(eng.net, eng.r, w.shape[0], g.shape[0]).grad(w[:, None], g, target_of(g), out)


def batch_loss(spec, w, points: np.ndarray) -> np.ndarray:
    """Mean per-point loss |f(w, x) - f°(x)|^r over ``points`` (M, d) for w (T,) -> (T,)."""
    eng = engine_for(spec)
    g = eng.net.forward_g(np.asarray(points, dtype=np.float64))
    return eng.batch(w, g, grad=False, loss=True)[1]


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


def _trajectory_params(training, w0, eta):
    if isinstance(training, (list, tuple)):
        trs = list(training)
        if not trs:
            raise ValueError("run_np: empty list of trainings")
        first = trs[0]
        for tr in trs[1:]:
            if tr.batch != first.batch or tr.seed != first.seed:
                raise ValueError("run_np: trajectories stepping together must share batch and seed")
        w0a = np.array([_f(tr.w0) for tr in trs])
        etaa = np.array([_f(tr.eta) for tr in trs])
        base = first
    else:
        base = training
        w0a = np.atleast_1d(np.asarray(_f(training.w0) if w0 is None else w0, dtype=np.float64))
        etaa = np.atleast_1d(np.asarray(_f(training.eta) if eta is None else eta, dtype=np.float64))
    if w0 is not None and isinstance(training, (list, tuple)):
        w0a = np.atleast_1d(np.asarray(w0, dtype=np.float64))
    if eta is not None and isinstance(training, (list, tuple)):
        etaa = np.atleast_1d(np.asarray(eta, dtype=np.float64))
    w0a, etaa = np.broadcast_arrays(w0a, etaa)
    return base, w0a.astype(np.float64).copy(), etaa.astype(np.float64).copy()


def run_np(spec, training, steps: int, *, w0=None, eta=None, record_every: int = 1,
           data: Any = None, schedule: BatchSchedule | None = None, method: str = "auto",
           losses: bool = True) -> RunResult:
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
    """
    base, w, etaa = _trajectory_params(training, w0, eta)
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

    if kind in ("full", "cyclic"):
        fast = None
        if kind == "full" and eng.method == "lines" and T == 1 and eng.net.p == 1 \
                and len(eng.net.hb) == 2 and eng.r.is_integer():
            fast = Fast1D(eng.cell_integrator())
        # 1-D cells (Pieces1D) integrate many w in one vectorized pass: losses after the run
        lazy = losses and eng.method == "lines"
        rows_by_cell: dict = {}
        for t in range(steps + 1):
            if kind == "full":
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
            weight = 1.0 if kind == "full" else float(sched.K)
            for (lo, hi), rows in rows_by_cell.items():
                _, lv = eng.full(W[rows].ravel(), lo, hi, weight, grad=False, loss=True)
                Lr[rows] = lv.reshape(len(rows), T)
    else:
        net = eng.net
        M = sched.M
        head = BatchHead(net, eng.r, T, M)
        block = max(1, min(steps + 1, (1 << 16) // max(1, M)))    # steps per block: ~64K cached g
        gdata = net.forward_g(sched.data) if kind == "dataset" else None
        fodata = target_of(gdata) if kind == "dataset" else None
        w = np.ascontiguousarray(w)
        wcol = w[:, None]                                          # a view: updated in place below
        gv = np.empty(T)
        tmp = np.empty(T)
        one = T == 1
        if one:
            wf, ef = float(w[0]), float(etaa[0])
        t = 0
        while t <= steps:
            t1 = min(steps + 1, t + block)
            if kind == "sampled":
                G = net.forward_g(sched.points_block(t, t1))       # hidden forward pass, (B, M)
                FO = target_of(G)                                  # f° from the same forward pass
            else:
                idx = sched.index_block(t, t1)
                G, FO = gdata[idx], fodata[idx]
            rows: list[int] = []
            r0 = ri
            if one:                                                # the same arithmetic on floats
                grad1 = head.grad1
                for i in range(t1 - t):
                    tt = t + i
                    if tt in rec_set:
                        W[ri, 0] = wf
                        ri += 1
                        rows.append(i)
                    if tt == steps:
                        break
                    wf = wf - ef * grad1(wf, G[i], FO[i])
                w[0] = wf
            else:
                for i in range(t1 - t):
                    tt = t + i
                    if tt in rec_set:
                        W[ri] = w
                        ri += 1
                        rows.append(i)
                    if tt == steps:
                        break
                    head.grad(wcol, G[i], FO[i], gv)
                    np.multiply(etaa, gv, out=tmp)
                    np.subtract(w, tmp, out=w)
            if losses and rows:
                Lr[r0:ri] = batch_losses(net, eng.r, W[r0:ri], G[rows], FO[rows])
            t = t1
    return RunResult(np.array(rec_t), W, Lr, sched.batch.text(), etaa, _trajectory_params(training, w0, eta)[1])
