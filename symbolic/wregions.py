"""Linear regions of the FULL network (hidden layers and head) in 1-D, as functions of w.

The hidden layers cut the domain into cells [a_i, b_i] (:func:`symbolic.regions.linear_regions`)
on which g(x) = c_i x + d_i.  The head

    f(w, x) = sigma(w g + 1/2) - sigma(w g - 1/2)        (w > 0)

adds the kinks where w g(x) = +1/2 or -1/2, i.e.

    x_+(w) = (1/(2w) - d_i) / c_i,      x_-(w) = (-1/(2w) - d_i) / c_i      (c_i != 0),

whenever they fall inside the cell.  Each full region carries a hidden pattern (its
cell's) and a head pattern (activity of the two head neurons):

    (1, 1)  "on"      w g >= 1/2:        f = 1, error 0 (g > 0 there, f° = 1);
    (1, 0)  "linear"  |w g| < 1/2:       f = w g + 1/2, error 1/2 - w |g|;
    (0, 0)  "off"     w g <= -1/2:       f = 0, error 0 (g < 0 there, f° = 0).

"on" and "off" are the saturated patterns.  A kink x_+-(w) crosses an end of its cell
exactly when w |g(v)| = 1/2 at that end v; so the region structure (which kinks lie in
which cell, and the head patterns) is constant on each open w-interval between the
consecutive values

    {ends of the derivation's pieces} U {1/(2|g(v)|) : v a cell end, g(v) != 0}.

These w-intervals refine the derivation's pieces (the pieces' breaks are
1/(2 u_j) for the breaks u_j of rho_|g|, a subset of the |g(v)|; a hidden cell
boundary at which g does not kink, e.g. an identity carried as sigma(u) - sigma(-u),
gives a structural break that L(w) does not see).  On the closed w-interval the
region ends below are exact expressions in w (rationals, or rational functions of
the form (s/(2w) - d)/c); at an interval's end some regions shrink to length 0.

The output on each region is an expression in (w, x) built from the network's own
head parameters (``head_bias``, ``head_out``), not from the closed form above.
"""
from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import sympy

from .exprio import as_basic
from .loss import Derivation, w
from .regions import Cell

Q = sympy.Rational
HALF = Q(1, 2)
x = sympy.Symbol("x", real=True)

HEAD_NAMES = {(1, 1): "on", (1, 0): "linear", (0, 0): "off"}


@dataclass(frozen=True)
class WRegion:
    """One linear region of the full network for w in its :class:`WStructure`'s interval.

    ``lo``/``hi`` are exact expressions in w (possibly constants); ``cell`` indexes the
    hidden cell (in domain order); ``g`` = c x + d and ``output`` = f(w, x) on the
    region; ``error`` = |f - f°| there: 0 when saturated, 1/2 - w |g| when linear.
    """

    lo: sympy.Expr
    hi: sympy.Expr
    cell: int
    hidden_pattern: tuple[tuple[int, ...], ...]
    head_pattern: tuple[int, int]
    g: sympy.Expr
    output: sympy.Expr

    @property
    def head(self) -> str:
        return HEAD_NAMES[self.head_pattern]

    @property
    def saturated(self) -> bool:
        return self.head_pattern != (1, 0)

    @property
    def error(self) -> sympy.Expr:
        """|f(w,x) - f°(x)| on the region (x off g = 0): 0, or 1/2 - w |g(x)|."""
        return Q(0) if self.saturated else HALF - w * sympy.Abs(self.g)

    def ends_at(self, wv: sympy.Rational) -> tuple[sympy.Expr, sympy.Expr]:
        return as_basic(self.lo).subs(w, wv), as_basic(self.hi).subs(w, wv)


@dataclass(frozen=True)
class WStructure:
    """The regions valid for w in [w_lo, w_hi] (w_hi may be oo); ``piece`` is the index
    of the derivation's loss piece containing this w-interval."""

    w_lo: sympy.Expr
    w_hi: sympy.Expr
    piece: int
    regions: tuple[WRegion, ...]

    def contains(self, wv) -> bool:
        return self.w_lo <= wv and (self.w_hi == sympy.oo or wv <= self.w_hi)


def sorted_cells(cells: Sequence[Cell]) -> list[Cell]:
    """1-D hidden cells in domain order."""
    return sorted(cells, key=lambda c: c.interval()[0])


def structural_breaks(derivation: Derivation) -> list[sympy.Expr]:
    """Sorted w-values where the 1-D region structure may change (module docstring)."""
    out = {Q(derivation.exact_from)}
    for p in derivation.pieces:
        for b in (p.w_lo, p.w_hi):
            if b != sympy.oo:
                out.add(b)
    for c in derivation.cells:
        for v in c.interval():
            gv = c.g_at((v,))
            if gv != 0:
                out.add(1 / (2 * abs(gv)))
    return sorted(b for b in out if b >= derivation.exact_from)


def _head_pattern(u: sympy.Rational, head_bias) -> tuple[int, int]:
    """Activity of sigma(u + b_k) for the two head neurons (sigma'(0) = 0: 0 is inactive)."""
    return tuple(1 if u + b > 0 else 0 for b in head_bias)  # type: ignore[return-value]


def _cell_regions(index: int, cell: Cell, ws: sympy.Rational, net) -> list[WRegion]:
    lo, hi = cell.interval()
    c, d = cell.g_coeffs[0], cell.g_const
    g = c * x + d
    points: list[tuple[sympy.Expr, sympy.Rational]] = [(lo, lo)]
    if c != 0:
        kinks = []
        for s in (1, -1):
            expr = (Q(s) / (2 * w) - d) / c
            at = expr.subs(w, ws)
            if lo < at < hi:
                kinks.append((sympy.together(expr), at))
        points += sorted(kinks, key=lambda t: t[1])
    points.append((hi, hi))
    out = []
    for (e0, a0), (e1, a1) in itertools.pairwise(points):
        mid = (a0 + a1) / 2
        pat = _head_pattern(ws * (c * mid + d), net.head_bias)
        if pat not in HEAD_NAMES:
            raise AssertionError(f"head pattern {pat} impossible for w > 0")
        output = sum((o * (w * g + b) for o, b, a in zip(net.head_out, net.head_bias, pat) if a), Q(0))
        out.append(WRegion(e0, e1, index, cell.pattern, pat, sympy.expand(g), sympy.expand(output)))
    return out


def w_regions(derivation: Derivation) -> list[WStructure]:
    """The full network's linear regions as functions of w, for a 1-D derivation."""
    if derivation.spec.dim != 1:
        raise ValueError("w-dependent regions are computed for 1-D targets only")
    if not derivation.cells:
        raise ValueError("the derivation has no polytope cells (curved level sets)")
    net = derivation.spec.network
    cells = sorted_cells(derivation.cells)
    breaks = structural_breaks(derivation)
    bounds = list(itertools.pairwise(breaks)) + [(breaks[-1], sympy.oo)]
    out = []
    for a, b in bounds:
        ws = a + 1 if b == sympy.oo else (a + b) / 2
        piece = next(i for i, p in enumerate(derivation.pieces)
                     if p.w_lo <= ws and (p.w_hi == sympy.oo or ws < p.w_hi))
        regions: list[WRegion] = []
        for i, cell in enumerate(cells):
            regions += _cell_regions(i, cell, ws, net)
        out.append(WStructure(a, b, piece, tuple(regions)))
    return out


def regions_at(structures: Sequence[WStructure], wv) -> list[tuple[sympy.Rational, sympy.Rational, WRegion]]:
    """The regions at one exact w > 0 as (lo, hi, region), in order, empty ones dropped."""
    wv = Q(wv)
    for s in structures:
        if s.contains(wv):
            out = []
            for r in s.regions:
                lo, hi = r.ends_at(wv)
                if hi > lo:
                    out.append((lo, hi, r))
            return out
    raise ValueError(f"w = {wv} is outside the derived range")
