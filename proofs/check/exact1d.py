"""L(w) and L'(w) in 1-D for any rational r, exactly (SymPy radicals), on the checker's own cells.

On a cell [x0, x1] of length l the network's |g| is affine from u0 to u1 (the cells are cut at
every kink and at g = 0), so with s = 1/2 - w u and s_+ = max(s, 0):

    int_cell (1/2 - w|g|)_+^r dx = l/(u1 - u0) [F(u1) - F(u0)],   F(u) = -s_+^(r+1) / ((r+1) w),
    int_cell r (1/2 - w|g|)_+^(r-1) |g| dx = l/(u1 - u0) r [G(u1) - G(u0)],
                                  G(u) = -(s_+^r/(2r) - s_+^(r+1)/(r+1)) / w^2

(both antiderivatives continuous through s = 0), and l phi(u0) when u0 = u1. So L(w) and
L'(w) = -r int (1/2 - w|g|)_+^(r-1) |g| dmu are finite sums of rationals times rational powers
of rationals: SymPy keeps them as exact radicals, and two such values are equal when their
difference expands to 0 (a decision, never a rounding)."""
from __future__ import annotations

from typing import Any

import sympy


def _q(v: Any) -> sympy.Rational:
    return sympy.Rational(int(v.numerator), int(v.denominator))


def loss_1d(cells: list[Any], w: Any, r: Any, density: Any, derivative: bool = False) -> sympy.Expr:
    """L(w) (or L'(w)) exactly: ``cells`` the checker's Kuhn cells in 1-D (``simplex``, ``g`` at its ends)."""
    W, R, total = _q(w), _q(r), sympy.Integer(0)
    half = sympy.Rational(1, 2)

    def s_plus(u: sympy.Rational) -> sympy.Rational:
        return max(half - W * u, sympy.Integer(0))

    def F(u: sympy.Rational) -> sympy.Expr:
        if derivative:
            s = s_plus(u)
            return -(s ** R / (2 * R) - s ** (R + 1) / (R + 1)) / W ** 2
        return -s_plus(u) ** (R + 1) / ((R + 1) * W)

    for c in cells:
        (x0,), (x1,) = c.simplex
        length = abs(_q(x1) - _q(x0))
        u0, u1 = abs(_q(c.g[0])), abs(_q(c.g[1]))
        if u0 == u1 == 0:       # g = 0 on the cell: f = 1/2 = f° there, no error
            continue
        if u0 == u1:
            s = s_plus(u0)
            part = length * (R * s ** (R - 1) * u0 if derivative else s ** R)
        else:
            part = length / (u1 - u0) * (F(u1) - F(u0)) * (R if derivative else 1)
        total += part
    out = _q(density) * total
    return sympy.expand(-out if derivative else out)


def equal(a: sympy.Expr, b: sympy.Expr) -> bool:
    """a = b decided exactly: their difference expands to 0 (SymPy's canonical radicals)."""
    return sympy.expand(a - b) == 0
