"""f° at float64 points, from the target's GEOMETRIC definition (not from the network's g).

The float engines (np, jax) train the network f(w, x) = clamp(w g(x) + 1/2, 0, 1) towards
f°(x) = 1 inside the target set A, 0 outside, 1/2 on its boundary.  Taking f° from the sign
of the g that the network itself computes would hide a network whose zero set differs from
the target (issue 9): the loss would then be small for the wrong set.  Here f° is read off
the target's own pieces (:func:`relu_pointwise.symbolic.targets.side`): the interval's ends,
the box's faces, the half-spaces, |x|^2 < R^2, and for the deep ball the interpolant of
u^2 at the nodes k / 2^N, computed by interpolation (never by the ReLU layers).

Exactness.  The points are doubles, so every side is an exact rational question.  Each
piece is evaluated in float64 with an a-priori bound on its rounding error; only points
within that bound of the piece's boundary are decided by the exact rational
:func:`~relu_pointwise.symbolic.targets.side` (rare: the set is a band of width ~1e-15).

* ``Affine`` (a . x + c): with one nonzero coefficient a power of two and a double c,
  fl(a x + c) has the sign of a x + c exactly (a x is exact, and a sum of two doubles
  rounds to 0 only when it is 0), so no bound is needed.  Otherwise
  |fl(a . x + c) - (a . x + c)| <= 4 (d + 2) u (sum_i |a_i x_i| + |c|) (the coefficients'
  rounding to doubles, u each, and gamma_(d+1) for the sum; the factor 4 covers the float
  evaluation of the bound itself), u = 2^-53.
* ``ExactBall`` (R^2 - |x|^2): the same bound with the terms R^2, x_i^2.
* ``DeepBall`` (R^2 - sum_i q(|x_i|)): k = floor(2^N u) and a = k 2^-N are exact,
  a^2 and (2k + 1) 2^-N are exact, u - a is exact (Sterbenz, or a = 0); the product and
  the sums round: the same bound with the terms R^2, q_i.
* ``Min`` / ``Max``: the least / greatest side of the pieces.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy
from relu_pointwise.symbolic.targets import (
    Affine,
    DeepBall,
    ExactBall,
    Level,
    Max,
    Min,
    side,
)

__all__ = ["labels", "sides"]

U = 2.0 ** -53


def _frac(q: sympy.Rational) -> Fraction:
    q = sympy.Rational(q)
    return Fraction(int(q.p), int(q.q))


def _exact_double(q: Fraction) -> bool:
    return Fraction(float(q)) == q


def _is_power_of_two(q: Fraction) -> bool:
    a = abs(q)
    return a != 0 and a.numerator & (a.numerator - 1) == 0 and a.denominator & (a.denominator - 1) == 0 \
        and (a.numerator == 1 or a.denominator == 1)


def _leaf(level: Level, X: np.ndarray) -> np.ndarray:
    """Sides (int8) of one piece at the rows of X (n, d)."""
    d = X.shape[1]
    bound: np.ndarray | None
    if isinstance(level, Affine):
        a = [_frac(c) for c in level.coeffs]
        c = _frac(level.const)
        nz = [i for i, ai in enumerate(a) if ai != 0]
        if len(nz) == 1 and _is_power_of_two(a[nz[0]]) and _exact_double(c):
            i = nz[0]
            v = X[:, i] * float(a[i])
            v += float(c)
            bound = None
        else:
            fa = np.array([float(ai) for ai in a])
            v = X @ fa
            v += float(c)
            bound = np.abs(X) @ np.abs(fa)
            bound += abs(float(c))
    elif isinstance(level, ExactBall):
        sq = np.einsum("ij,ij->i", X, X)
        r2 = float(_frac(level.R2))
        v = r2 - sq
        bound = sq + r2
    elif isinstance(level, DeepBall):
        n = float(1 << level.N)
        u = np.abs(X)
        k = np.minimum(np.floor(u * n), n - 1.0)
        a = k / n
        q = a * a + (2.0 * k + 1.0) / n * (u - a)
        qs = q.sum(axis=1)
        r2 = float(_frac(level.R2))
        v = r2 - qs
        bound = qs + r2
    else:
        raise TypeError(f"unknown level node {level!r}")
    out = np.sign(v).astype(np.int8)
    if bound is None:
        return out
    bound *= 4.0 * (d + 2) * U
    for i in np.flatnonzero(np.abs(v) <= bound):
        out[i] = side(level, [Fraction(float(t)) for t in X[i]])
    return out


def sides(level: Level, X: np.ndarray) -> np.ndarray:
    """Exact sides (+1 in A, -1 outside, 0 on the boundary) at the rows of X (n, d), int8."""
    if isinstance(level, (Min, Max)):
        parts = [sides(c, X) for c in level.args]
        op = np.minimum if isinstance(level, Min) else np.maximum
        out = parts[0]
        for p in parts[1:]:
            op(out, p, out=out)
        return out
    return _leaf(level, X)


def labels(level: Level, X: np.ndarray) -> np.ndarray:
    """f°(x) = (side + 1) / 2 at points X (..., d) as float64 (1, 0 or 1/2, exact)."""
    X = np.asarray(X, dtype=np.float64)
    lead = X.shape[:-1]
    s = sides(level, X.reshape(-1, X.shape[-1]))
    fo = s.astype(np.float64)
    fo += 1.0
    fo *= 0.5
    return fo.reshape(lead)
