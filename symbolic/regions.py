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

import sympy

from .limits import check_regions
from .network import Network
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


def _q(v) -> sympy.Rational:
    return Q(int(v.numerator), int(v.denominator)) if not isinstance(v, sympy.Rational) else v


def linear_regions(network: Network, domain: Domain) -> list[Cell]:
    """Partition of the domain into the network's linear regions (hidden layers only).

    Raises ``ValueError`` if the network uses the non-affine feature |x|^2.
    """
    if "sqnorm" in network.features:
        raise ValueError("linear regions in x need a piecewise-linear level function")
    d = network.dim
    ident = [(tuple(Q(int(i == j)) for j in range(d)), Q(0)) for i in range(d)]
    # A work item: (polytope, pattern so far, affine map of each current output)
    work = [(Polytope.box(domain.lo, domain.hi), (), ident)]
    for layer in network.hidden:
        nxt = []
        for poly, pattern, h in work:
            pre = []
            for row, b in zip(layer.weight, layer.bias):
                a = [Q(0)] * d
                c = Q(b)
                for wij, (ai, ci) in zip(row, h):
                    if wij != 0:
                        for k in range(d):
                            a[k] += wij * ai[k]
                        c += wij * ci
                pre.append((tuple(a), c))
            # split by every neuron of this layer in turn; states: +1 active, 0 inactive
            pieces = [(poly, ())]
            for a, c in pre:
                out = []
                for p, states in pieces:
                    if all(ak == 0 for ak in a):
                        out.append((p, states + ((1 if c > 0 else 0),)))
                        continue
                    # a.x + c >= 0  <=>  (-a).x <= c
                    neg, pos = p.split(a, -c)
                    if pos is not None:
                        out.append((pos, states + (1,)))
                    if neg is not None:
                        out.append((neg, states + (0,)))
                pieces = out
                check_regions(len(nxt) + len(pieces), "linear regions", estimated=False)
            for p, states in pieces:
                hnew = [(a, c) if s else (tuple(Q(0) for _ in range(d)), Q(0))
                        for (a, c), s in zip(pre, states)]
                nxt.append((p, pattern + (states,), hnew))
        work = nxt
    cells = []
    for poly, pattern, h in work:
        a = [Q(0)] * d
        c = Q(network.readout_bias)
        for v, (ai, ci) in zip(network.readout, h):
            if v != 0:
                for k in range(d):
                    a[k] += v * ai[k]
                c += v * ci
        cells.append(Cell(poly, pattern, tuple(a), c))
    return cells
