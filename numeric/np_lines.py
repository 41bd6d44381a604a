"""1-D lines of the float64 engine: exact decomposition of axis-parallel lines by the
network (hidden kinks, g = 0, head kinks), and the cached 1-D cell (:class:`Pieces1D`,
:class:`Fast1D`).
"""
from __future__ import annotations

import numpy as np
import sympy

from relu_pointwise.symbolic.targets import Affine, Level, Max, Min

from .labels import sides
from .np_net import FloatNet, head_pass
from .np_rules import line_rule

__all__ = ["Fast1D", "Lines", "Pieces1D"]

_ROOT_MARGIN = 1e-13        # roots closer than this (relative) to a piece end are ignored


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


def _leaves(level: Level) -> list[Level]:
    if isinstance(level, (Min, Max)):
        return [x for c in level.args for x in _leaves(c)]
    return [level]


def _target_points(level: Level, prefix: np.ndarray) -> np.ndarray:
    """Where the target's pieces vanish on the lines x = (prefix_i, t): (n, m), NaN = none.

    An affine piece a . x + c gives t = -(a' . prefix + c) / a_d (a_d != 0).  Curved pieces
    (the exact ball's sphere) are not cut: there the float root and the network's own root
    differ by rounding, and the sliver between them made the iterated method's event search
    refine without end (d = 3); the deep ball's kinks at k / 2^N are the network's own.
    """
    n = prefix.shape[0]
    cols: list[np.ndarray] = []
    for leaf in _leaves(level):
        if isinstance(leaf, Affine):
            a = [float(sympy.Rational(c)) for c in leaf.coeffs]
            if a[-1] != 0.0:
                off = prefix @ np.array(a[:-1]) if prefix.shape[1] else np.zeros(n)
                cols.append(-(off + float(sympy.Rational(leaf.const))) / a[-1])
    return np.stack(cols, axis=1) if cols else np.empty((n, 0))


class Lines:
    """Exact decomposition of axis-parallel lines x = (prefix, t), t in [lo, hi], by the network.

    The last coordinate is the line parameter.  After construction the pieces (arrays
    of length P) carry: ``lid`` (which line), ``ta``/``tb`` (ends), ``gc`` (coefficients
    of g in s = (t - ta)/(tb - ta), shape (P, p + 1)), ``fo`` (f° on the piece, from the
    sign of g at its midpoint) and ``code`` (hash of hidden pattern and sign of g).
    """

    def __init__(self, net: FloatNet, level: Level, prefix: np.ndarray, lo: float, hi: float) -> None:
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
            Z = self._eval(lid, ta, tb, svals, lambda X, k=layer: net.preacts(X, k))  # (P, p+1, width)
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
        # the target's own boundary on the line (its affine faces):
        # where the network's zero set is the target's boundary these points are piece ends
        # already (and ignored); where it is not, f° changes inside a network piece, and the
        # cut keeps every piece's f° constant, so the rule stays exact against the target
        T = _target_points(level, prefix[lid])                                   # (P, m)
        if T.shape[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                R = (T - ta[:, None]) / (tb - ta)[:, None]
            R = np.where((R > _ROOT_MARGIN) & (R < 1.0 - _ROOT_MARGIN), R, np.nan)
            keep = ~np.isnan(R).all(axis=1)
            if keep.any():
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
        side = sides(level, mid)                 # f° from the target's geometry, not from g
        self.fo = (side + 1.0) * 0.5
        self.code = (net.pattern_code(mid) * np.int64(3) + np.sign(gm).astype(np.int64)) * np.int64(3) \
            + side.astype(np.int64)

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


class Pieces1D:
    """The cached decomposition of a 1-D cell below the head (hidden kinks and g = 0)."""

    def __init__(self, net: FloatNet, level: Level, lo: float, hi: float, weight: float, r: float) -> None:
        lines = Lines(net, level, np.zeros((1, 0)), lo, hi)
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
                bounds = ([np.zeros((T, gc.shape[0]))] + [R[..., i] for i in range(R.shape[-1])]
                          + [np.ones((T, gc.shape[0]))])
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
