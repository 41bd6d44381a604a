"""Linear regions of the level subnetwork, derived from its layers.

Starting from the domain box, each hidden layer's neurons split every current
cell by the hyperplane {preactivation = 0}; on each resulting cell the
activation pattern is constant, so every neuron's output, and g, is affine:

    preact_j(x) = sum_i W_ji h_i(x) + b_j,   h_j = preact_j on the active side, 0 else.

A neuron whose preactivation is identically zero on a cell counts as inactive
(sigma'(0) = 0; its value is 0 either way).  Cells are exact polytopes
(:mod:`symbolic.polytope`); in 1-D they are intervals.  Only piecewise-linear
level functions have polytope cells: the exact ball's feature |x|^2 is handled
by :mod:`symbolic.ball`.
"""
from __future__ import annotations

from dataclasses import dataclass
from operator import mul

import sympy
from gmpy2 import mpq

from .limits import check_regions
from .linalg import ONE as _ONE
from .linalg import ZERO as _ZERO
from .linalg import to_mpq
from .network import Network
from .numbers import as_rational
from .polytope import Polytope
from .targets import Domain

Q = sympy.Rational


@dataclass(frozen=True)
class Cell:
    """A linear region: polytope ``poly``, activation ``pattern`` per hidden layer,
    and g(x) = g_coeffs . x + g_const on it (exact)."""

    poly: Polytope
    pattern: tuple[tuple[int, ...], ...]
    g_coeffs: tuple[sympy.Rational, ...]
    g_const: sympy.Rational

    def interval(self) -> tuple[sympy.Rational, sympy.Rational]:
        """The cell as [lo, hi] (1-D only)."""
        xs = [Q(int(v[0].numerator), int(v[0].denominator)) for v in self.poly.vertices]
        return min(xs), max(xs)

    def g_at(self, x) -> sympy.Rational:
        return sum((a * Q(xi) for a, xi in zip(self.g_coeffs, x)), Q(0)) + self.g_const


_q = as_rational


def _sparse_layer(layer) -> list[tuple[list[tuple[int, mpq]], mpq]]:
    """Each neuron's nonzero incoming weights [(input index, weight)] and its bias, as mpq.

    The constructed networks are sparse: reading the nonzeros once per layer, instead of
    comparing every dense entry with 0 on every cell, is what keeps wide 1-D layers fast."""
    return [([(j, to_mpq(wij)) for j, wij in enumerate(row) if wij != 0], to_mpq(b))
            for row, b in zip(layer.weight, layer.bias)]


def _affine_combination(terms, const: mpq, h: list) -> list | None:
    """sum_j w_j h_j + const for affine maps h_j = [a_1, ..., a_d, c] (None = identically 0).

    Returns [a_1, ..., a_d, c], or None when no h_j contributes (the result is ``const``)."""
    acc = None
    for j, wj in terms:
        hj = h[j]
        if hj is None:
            continue
        if acc is None:
            acc = [wj * y for y in hj]
        else:
            for k, y in enumerate(hj):
                if y:
                    acc[k] += wj * y
    if acc is not None:
        acc[-1] += const
    return acc


def _side_of(poly: Polytope, aff: list) -> int | None:
    """1 if a.x + c >= 0 on all of P, 0 if <= 0 on all of P (one of them strictly somewhere),
    None if the hyperplane a.x + c = 0 crosses P's interior (vertices strictly on both sides);
    ``aff`` = [a_1, ..., a_d, c]."""
    neg = pos = False
    c = aff[-1]
    for v in poly.vertices:
        s = sum(map(mul, aff, v), c)       # zip stops at d: the constant is the start value
        if s > 0:
            if neg:
                return None
            pos = True
        elif s < 0:
            if pos:
                return None
            neg = True
    return 1 if pos else 0


def linear_regions(network: Network, domain: Domain) -> list[Cell]:
    """Partition of the domain into the network's linear regions (hidden layers only).

    Exact ``gmpy2.mpq`` throughout (SymPy Rationals only in the returned cells); a neuron
    whose hyperplane misses a cell's interior (all vertices on one side) sets its state
    without a split.  Cells come out in the order of splitting neuron by neuron, the
    active side first.  Raises ``ValueError`` if the network uses the non-affine feature
    |x|^2.
    """
    if "sqnorm" in network.features:
        raise ValueError("linear regions in x need a piecewise-linear level function")
    d = network.dim
    ident = [[_ONE if i == j else _ZERO for j in range(d)] + [_ZERO] for i in range(d)]
    # A work item: (polytope, pattern so far, affine map [a, c] of each current output, None = 0)
    work: list[tuple[Polytope, tuple, list]] = [(Polytope.box(domain.lo, domain.hi), (), ident)]
    for layer in network.hidden:
        rows = _sparse_layer(layer)
        nxt: list[tuple[Polytope, tuple, list]] = []
        for poly, pattern, h in work:
            pre = [_affine_combination(terms, b, h) for terms, b in rows]
            # split by every neuron of this layer in turn; states: +1 active, 0 inactive
            pieces: list[tuple[Polytope, tuple[int, ...]]] = [(poly, ())]
            for aff, (_, b) in zip(pre, rows):
                out = []
                if aff is None or not any(aff[:d]):
                    const = b if aff is None else aff[d]
                    on = 1 if const > 0 else 0
                    pieces = [(p, states + (on,)) for p, states in pieces]
                    continue
                for p, states in pieces:
                    side = _side_of(p, aff)
                    if side is not None:
                        out.append((p, states + (side,)))
                        continue
                    # a.x + c >= 0  <=>  (-a).x <= c
                    neg, pos = p.split(aff[:d], -aff[d])
                    if pos is not None:
                        out.append((pos, states + (1,)))
                    if neg is not None:
                        out.append((neg, states + (0,)))
                pieces = out
                check_regions(len(nxt) + len(pieces), "linear regions", estimated=False)
            for p, states in pieces:
                hnew = [aff if on else None for aff, on in zip(pre, states)]
                nxt.append((p, pattern + (states,), hnew))
        work = nxt
    readout = [(j, to_mpq(v)) for j, v in enumerate(network.readout) if v != 0]
    bias = to_mpq(network.readout_bias)
    cells = []
    for poly, pattern, h in work:
        aff = _affine_combination(readout, bias, h)
        a = aff[:d] if aff is not None else [_ZERO] * d
        c = aff[d] if aff is not None else bias
        cells.append(Cell(poly, pattern, tuple(_q(x) for x in a), _q(c)))
    return cells
