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
* ``DeepBall`` (R^2 - sum_i q(|x_i|)), in units of 4^-N: s = 2^N u and k = floor(s)
  are exact, k^2, 2k + 1 and s - k are exact (Sterbenz, or k = 0); the product and the
  sums round: the same bound with the terms 4^N R^2, 4^N q_i.
* ``Min`` / ``Max``: the least / greatest side of the pieces.
"""
from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

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


@lru_cache(maxsize=256)
def _plan(level: Level) -> tuple:
    """The float data of one piece, converted once: ("fast", i, a_i, c) for an affine piece
    whose sign is exact in floats, ("affine", a, c), ("ball", R^2), ("deep", 2^N, 4^N R^2)."""
    if isinstance(level, Affine):
        a = [_frac(c) for c in level.coeffs]
        c = _frac(level.const)
        nz = [i for i, ai in enumerate(a) if ai != 0]
        if len(nz) == 1 and _is_power_of_two(a[nz[0]]) and _exact_double(c):
            return ("fast", nz[0], float(a[nz[0]]), float(c))
        return ("affine", np.array([float(ai) for ai in a]), float(c))
    if isinstance(level, ExactBall):
        return ("ball", float(_frac(level.R2)))
    if isinstance(level, DeepBall):
        n = float(1 << level.N)
        return ("deep", n, float(_frac(level.R2)) * n * n)      # 4^N R^2: exact (a power-of-two scaling)
    raise TypeError(f"unknown level node {level!r}")


def _leaf(level: Level, X: np.ndarray) -> np.ndarray:
    """An array with the exact side's sign at every row of X (n, d) (not the side itself):
    the piece's float value where it is farther from 0 than its rounding bound, the exact
    side (-1, 0, 1) at the few rows within the bound."""
    d = X.shape[1]
    plan = _plan(level)
    kind = plan[0]
    if kind == "fast":
        _, i, ai, c = plan
        if ai == 1.0:
            v = X[:, i] + c
        elif ai == -1.0:
            v = c - X[:, i]                                     # = fl(-x + c)
        else:
            v = X[:, i] * ai
            v += c
        return v                                                # the sign is exact (module docstring)
    if kind == "affine":
        _, fa, c = plan
        v = X @ fa
        v += c
        bound = np.abs(X) @ np.abs(fa)
        bound += abs(c)
    elif kind == "ball":
        r2 = plan[1]
        sq = np.einsum("ij,ij->i", X, X)
        v = r2 - sq
        bound = sq
        bound += r2
    else:
        # in units of 4^-N: with s = 2^N |x_i| (exact) and k = min(floor(s), 2^N - 1),
        # 4^N q = k^2 + (2k + 1)(s - k) (k^2, 2k + 1 and s - k exact; one product, one sum)
        _, n, r2 = plan
        s = np.abs(X)
        s *= n
        k = np.floor(s)
        np.minimum(k, n - 1.0, out=k)
        s -= k
        t = k * 2.0
        t += 1.0
        s *= t
        k *= k
        s += k
        qs = s[:, 0].copy()
        for i in range(1, d):
            qs += s[:, i]
        v = r2 - qs
        bound = qs
        bound += r2
    bound *= 4.0 * (d + 2) * U
    for i in np.flatnonzero(np.abs(v) <= bound):
        v[i] = side(level, [Fraction(float(t)) for t in X[i]])
    return v


def _signed(level: Level, X: np.ndarray) -> np.ndarray:
    """An array with the sign of the exact side at every row (sign(min) = min(sign) for an
    intersection, sign(max) = max(sign) for a union)."""
    if isinstance(level, (Min, Max)):
        parts = [_signed(c, X) for c in level.args]
        op = np.minimum if isinstance(level, Min) else np.maximum
        out = parts[0]
        for p in parts[1:]:
            op(out, p, out=out)
        return out
    return _leaf(level, X)


def sides(level: Level, X: np.ndarray) -> np.ndarray:
    """Exact sides (+1 in A, -1 outside, 0 on the boundary) at the rows of X (n, d), float64."""
    return np.sign(_signed(level, X))


_CHUNK = 8192       # points per piece: the temporaries stay in cache


def labels(level: Level, X: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """f°(x) = (side + 1) / 2 at points X (..., d) as float64 (1, 0 or 1/2, exact); into
    ``out`` (the shape of X without its last axis) if given."""
    X = np.asarray(X, dtype=np.float64)
    lead = X.shape[:-1]
    X2 = X.reshape(-1, X.shape[-1])
    fo = np.empty(X2.shape[0]) if out is None else out.reshape(-1)
    for a in range(0, X2.shape[0], _CHUNK):
        f = fo[a:a + _CHUNK]
        np.sign(_signed(level, X2[a:a + _CHUNK]), out=f)      # (np.heaviside is ~7x slower)
        f += 1.0
        f *= 0.5
    return fo.reshape(lead)
