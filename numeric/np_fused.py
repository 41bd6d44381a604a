"""A fused kernel for a block of mini-batch steps of one trajectory (numba; optional).

The reference head pass (:meth:`numeric.np_net.BatchHead.grad1`) runs about seven NumPy
calls per step; at 1024 points a step the Python overhead of those calls is most of the
step's time.  :func:`fused_block` does the same arithmetic for a whole block of steps in
one compiled loop over the steps and their points, for the standard head (two rows,
biases b_0 >= b_1, head_out = (1, -1); see :class:`BatchHead`), each trajectory of a bundle alike:

    p_i = fl(w g_i),  e_i = fl(fl(p_i + b_0) - f°_i),
    delta_i = [-b_0 < p_i <= -b_1] |e_i|^(r-1) sign(e_i),
    s = sum_i delta_i g_i   (left to right),   L_B'(w) = (r/M) s,   w <- w - eta L_B'(w).

Every per-point value is bit for bit the reference's (the same IEEE operations on the
same doubles; for r not in {1, 2} both call the C library's ``pow``, and the bound below
allows each term one ulp anyway).  Only the order of the sum differs (the reference sums
with ``np.dot`` in pieces of 8192), so, at the same w, with t_i = delta_i g_i and
gamma_n = n u / (1 - n u), u = 2^-53:

    |s_fast - s_ref| <= (2 gamma_M + 2u(1 + gamma_M)) sum_i |t_i|          (*)

(any summation order of n terms errs by at most gamma_(n-1) sum |t_i|; the 2u covers a
one-ulp difference per term).  The step then rounds (r/M) s, eta * that, and w - that
identically in both paths; :func:`step_bound` turns (*) into a bound on the difference of
one step's w_(t+1), which ``tests/test_np_fused.py`` checks step by step.  The mp-np
cross-check's own bound (:mod:`numeric.float_error`, eps_batch: the sum of M terms with
(M + k_term) u relative error) holds for any summation order, so it covers both paths.

numba is optional (the ``fast`` extra): without it :data:`AVAILABLE` is False and the
engine runs the reference path.
"""
from __future__ import annotations

import math
import os

import numpy as np

__all__ = ["AVAILABLE", "fused_block", "step_bound", "usable"]

U = 2.0 ** -53

try:                                            # optional: the reference path needs nothing of it
    if os.environ.get("RELU_POINTWISE_NO_NUMBA"):
        raise ImportError("disabled by RELU_POINTWISE_NO_NUMBA")
    from numba import njit
    AVAILABLE = True
except ImportError:                             # pragma: no cover - depends on the install
    AVAILABLE = False

    def njit(*args, **kwargs):                  # type: ignore[no-redef]
        def wrap(f):
            return f
        return wrap


@njit(cache=True, nogil=True, inline="always")
def _term(w, g, fo, nb0, nb1, b0, r):                   # pragma: no cover - compiled
    """delta g for one point (module docstring): 0 outside the band -b_0 < w g <= -b_1."""
    p = w * g
    e = (p + b0) - fo
    if r == 2.0:
        d = e
    elif r == 1.0:
        d = 1.0 if e > 0.0 else (-1.0 if e < 0.0 else 0.0)
    else:
        a = abs(e) ** (r - 1.0)
        d = a if e > 0.0 else (-a if e < 0.0 else 0.0)
    live = 1.0 if (p > nb0) & (p <= nb1) else 0.0
    return (d * live) * g


@njit(cache=True, nogil=True, fastmath=False)
def _block(w, eta, G, FO, n, b0, b1, r, fac, M, wout):       # pragma: no cover - compiled
    """Steps 0..n-1 of the block for every trajectory k (w, eta: (T,), w updated in place);
    wout[i, k] = w_k before step i (i <= n)."""
    nb0 = -b0
    nb1 = -b1
    m = G.shape[1]
    T = w.shape[0]
    for i in range(n):
        for k in range(T):
            wk = w[k]
            wout[i, k] = wk
            # four partial sums, branch-free per point (the band test as a 0/1 factor): the
            # loop pipelines; another summation order, covered by (*)
            s0 = 0.0
            s1 = 0.0
            s2 = 0.0
            s3 = 0.0
            j = 0
            while j + 4 <= m:
                s0 += _term(wk, G[i, j], FO[i, j], nb0, nb1, b0, r)
                s1 += _term(wk, G[i, j + 1], FO[i, j + 1], nb0, nb1, b0, r)
                s2 += _term(wk, G[i, j + 2], FO[i, j + 2], nb0, nb1, b0, r)
                s3 += _term(wk, G[i, j + 3], FO[i, j + 3], nb0, nb1, b0, r)
                j += 4
            while j < m:
                s0 += _term(wk, G[i, j], FO[i, j], nb0, nb1, b0, r)
                j += 1
            s = (s0 + s1) + (s2 + s3)
            if fac != 0.0:
                gr = s * fac
            else:
                gr = s * r / M
            w[k] = wk - eta[k] * gr
    for k in range(T):
        wout[n, k] = w[k]


def usable(head, T: int) -> bool:
    """Whether the fused kernel computes this run's steps: numba present and the standard head.

    Any number of trajectories T: each one's steps are the same arithmetic whether it runs
    alone or in a bundle (a sweep may rerun one task of a bundle and must get the same w)."""
    return AVAILABLE and bool(head.std)


def fused_block(head, w: np.ndarray, eta: np.ndarray, G: np.ndarray, FO: np.ndarray, n: int,
                wout: np.ndarray) -> np.ndarray:
    """n steps of gradient descent from w (T,) (updated in place) on the levels G[:n], labels FO[:n].

    ``head`` is the run's :class:`BatchHead` (its biases, r, M and the exact factor r/M);
    wout (n + 1, T) receives w before each step and after the last.
    """
    fac = head.fac if head.fac is not None else 0.0
    _block(w, eta, G, FO, int(n), head.hb[0], head.hb[1], head.r, fac, float(head.M), wout)
    return w


def gamma(n: int) -> float:
    """gamma_n = n u / (1 - n u)."""
    return n * U / (1.0 - n * U)


def step_bound(head, w: float, eta: float, g: np.ndarray, fo: np.ndarray) -> float:
    """An upper bound on |w_fast - w_ref| after one step from the same w (see (*) in the module docstring).

    sum |t_i| is computed in floats and rounded up by a relative gamma_(M+2); the factor
    (r/M) eta and the two roundings of the update (each relative u of the rounded value,
    bounded by (1 + u) times the exact one) are carried to first order with a 1e-9 margin.
    """
    p = w * g
    live = (p > -head.hb[0]) & (p <= -head.hb[1])
    e = (p + head.hb[0]) - fo
    t = np.abs(e) ** (head.r - 1.0) * np.abs(g) if head.r != 1.0 else np.abs(g)
    M = g.shape[0]
    sabs = float(np.sum(np.where(live, t, 0.0))) * (1.0 + gamma(M + 2))
    ds = (2.0 * gamma(M) + 2.0 * U * (1.0 + gamma(M))) * sabs
    # (r/M) s rounds once, eta * it once, w - it once: a difference ds in s moves w_(t+1) by
    # at most eta (r/M) ds (1 + u)^3, plus at each of the three roundings u times both
    # rounded values (|fl(x) - fl(y)| <= |x - y| + u |x| + u |y|), each <= wnext: 6 u wnext
    step = abs(eta) * head.r / M * ds * (1.0 + U) ** 3
    wnext = abs(w) + abs(eta) * head.r / M * sabs * (1.0 + U) ** 3
    return (step + 6.0 * U * wnext) * (1.0 + 1e-9) + math.ulp(wnext)
