"""Iterated integration of the float64 engine over a box (curved boundaries: the |x|^2
feature): exact along the last coordinate (:class:`Lines`), Gauss-Legendre between events
outside.
"""
from __future__ import annotations

import itertools

import numpy as np

from relu_pointwise.symbolic.targets import Level

from .np_lines import Lines
from .np_net import FloatNet
from .np_rules import _cos_rule, line_rule

__all__ = ["Iterated"]


class Iterated:
    """Iterated integration over a box: exact along the last coordinate, GL between events outside."""

    def __init__(self, net: FloatNet, level: Level, lo, hi, weight: float, r: float, rtol: float = 1e-12,
                 n_outer: int = 12, grid: int = 65, max_depth: int = 40) -> None:
        self.net = net
        self.level = level
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
        return Lines(self.net, self.level, prefix, self.lo[-1], self.hi[-1])

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
        sl_l: list[int] = []
        xa_l: list[float] = []
        xb_l: list[float] = []
        for s in range(S):
            bnd = np.concatenate([[a], ev[s], [b]])
            for u, v in itertools.pairwise(bnd):
                if v > u:
                    sl_l.append(s)
                    xa_l.append(u)
                    xb_l.append(v)
        sl = np.array(sl_l, dtype=np.int64)
        xa = np.array(xa_l, dtype=np.float64)
        xb = np.array(xb_l, dtype=np.float64)
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
