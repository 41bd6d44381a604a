"""Simplices of the float64 engine: Kuhn triangulation of a box cut along every
preactivation's zero set, and exact per-simplex quadrature (:class:`Simplices`).
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import sympy

from relu_pointwise.symbolic.targets import Affine, Level, Max, Min

from .labels import labels
from .np_net import FloatNet, head_pass
from .np_rules import simplex_rule

__all__ = ["Simplices", "split_simplices"]

_ZERO_TOL = 1e-13           # relative tolerance below which a vertex value counts as 0


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
            outS.append(S[nc])
            outA.append(A[nc])
            outs.append(s[nc])
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
        S1[rows, i] = m
        A1[rows, i] = am
        s1[rows, i] = 0.0
        S2, A2, s2 = S.copy(), A.copy(), s.copy()
        S2[rows, j] = m
        A2[rows, j] = am
        s2[rows, j] = 0.0
        S = np.concatenate([S1, S2])
        A = np.concatenate([A1, A2])
        s = np.concatenate([s1, s2])
    if not outS:
        return np.empty((0,) + S.shape[1:]), np.empty((0,) + A.shape[1:]), np.empty((0, S.shape[1]))
    return np.concatenate(outS), np.concatenate(outA), np.concatenate(outs)


def _volumes(S: np.ndarray) -> np.ndarray:
    E = S[:, 1:, :] - S[:, :1, :]
    d = S.shape[-1]
    return np.abs(np.linalg.det(E)) / math.factorial(d) if d > 1 else np.abs(E[:, 0, 0])


def _faces(level: Level) -> list[tuple[np.ndarray, float]]:
    """The affine pieces a . x + c of the target's level tree, as floats."""
    if isinstance(level, (Min, Max)):
        return [f for ch in level.args for f in _faces(ch)]
    if isinstance(level, Affine):
        return [(np.array([float(sympy.Rational(v)) for v in level.coeffs]), float(sympy.Rational(level.const)))]
    return []


class Simplices:
    """Cached simplicial decomposition of a box cell (piecewise-linear g, d >= 1).

    Every simplex has a constant hidden pattern and a constant sign of g; ``G`` holds g
    at its vertices (from the float forward pass; g is affine on the simplex).
    """

    def __init__(self, net: FloatNet, level: Level, lo: Sequence[float], hi: Sequence[float], weight: float,
                 r: float) -> None:
        if net.sqnorm:
            raise ValueError("Simplices needs a piecewise-linear g")
        lo_a = np.asarray(lo, dtype=np.float64)
        hi_a = np.asarray(hi, dtype=np.float64)
        self.net = net
        self.d = d = lo_a.shape[0]
        S = _kuhn(lo_a, hi_a)
        for layer in range(net.n_layers + 1):
            Z = net.preacts(S, layer)                                 # (n, d+1, width)
            tol = _ZERO_TOL * max(1.0, float(np.abs(Z).max()) if Z.size else 1.0)
            for j in range(Z.shape[-1]):
                S, Z, _ = split_simplices(S, Z, Z[:, :, j], tol)
        # the target's own faces (its affine pieces): where the network's zero set is the
        # target's boundary these are hyperplanes of the network already (no new piece);
        # where it is not, the cut keeps f° constant on every simplex (exact against the target)
        for a, c in _faces(level):
            s = S @ a + c                                             # (n, d+1)
            tol = _ZERO_TOL * max(1.0, float(np.abs(s).max()) if s.size else 1.0)
            S, _, _ = split_simplices(S, S, s, tol)
        G = net.level(S)                                              # (n, d+1)
        vol = _volumes(S)
        keep = vol > 0
        self.weight = weight
        self.S, self.G, self.vol = S[keep], G[keep], vol[keep] * weight
        self.gmin, self.gmax = self.G.min(1), self.G.max(1)
        self.gc = self.G.mean(1)
        # g has one sign on each simplex (vertices on g = 0 carry rounding residues): read it at the centroid
        self.sgn = np.sign(self.gc)
        self.fo = labels(level, self.S.mean(1))      # f° at the centroid, from the target's geometry
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
        slope = np.zeros(gcen.shape[0])
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
        slope = np.zeros(gcen.shape[0])
        off = np.zeros(gcen.shape[0])
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
