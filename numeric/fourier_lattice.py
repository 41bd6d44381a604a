"""Lattice points for the spherical partial sums: r_d(n) and the points of Z^d in a ball.

Sums of squares.  r_d(n) = #{k in Z^d : |k|^2 = n} is the n-th coefficient of
theta(q)^d, theta(q) = sum_{j in Z} q^(j^2) = 1 + 2 sum_{j >= 1} q^(j^2).  Hence
r_1 = theta and r_{e+1}(n) = sum_{j in Z} r_e(n - j^2)
                          = r_e(n) + 2 sum_{j >= 1, j^2 <= n} r_e(n - j^2),
one sparse convolution with theta per dimension: about 2 sqrt(N) vector additions of
length <= N + 1, exact in int64 (the counts are integers; :func:`sum_of_squares_counts`
refuses sizes where int64 could overflow).

Lattice points of a ball.  :func:`ball_points` yields the k in Z^d with |k|^2 <= N
slab by slab (first coordinate fixed), so memory stays ~ (2 sqrt(N) + 1)^(d-1); the
number of points grows like vol(B_sqrt(N)) = omega_d N^(d/2), which is why the sums
away from the centre cost ~ P^d (callers cap it, :func:`lattice_point_estimate`).
"""
from __future__ import annotations

from collections.abc import Iterator
from math import gamma, isqrt, pi

import numpy as np

from relu_pointwise.symbolic.errors import InputError

MAX_DIM = 8
MAX_SHELLS = 4_000_000          # n <= N: arrays of N + 1 int64 (32 MB); P <= 2000
_INT64_SAFE = 2 ** 62


def _check(d: int, N: int) -> None:
    if isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= MAX_DIM:
        raise InputError(f"d: must be an integer from 1 to {MAX_DIM}, got {d!r}")
    if isinstance(N, bool) or not isinstance(N, int) or N < 0:
        raise InputError(f"N: must be a non-negative integer, got {N!r}")
    if N > MAX_SHELLS:
        raise InputError(f"N: at most {MAX_SHELLS} shells (P <= {isqrt(MAX_SHELLS)}), got {N}")
    # r_d(n) <= (2 sqrt(n) + 1)^d: the box count bounds every coefficient (and every partial sum)
    if (2 * isqrt(N) + 3) ** d >= _INT64_SAFE:
        raise InputError(f"N: r_{d}(n) for n <= {N} could overflow int64; lower N")


def theta_coefficients(N: int) -> np.ndarray:
    """theta(q) = 1 + 2 sum_{j >= 1} q^(j^2), coefficients of q^0..q^N (int64): r_1."""
    _check(1, N)
    t = np.zeros(N + 1, dtype=np.int64)
    t[0] = 1
    j = np.arange(1, isqrt(N) + 1, dtype=np.int64)
    t[j * j] = 2
    return t


def times_theta(r: np.ndarray) -> np.ndarray:
    """Coefficients of theta(q) * sum_n r[n] q^n up to the length of ``r`` (exact, int64):
    out[n] = r[n] + 2 sum_{j >= 1, j^2 <= n} r[n - j^2]."""
    N = len(r) - 1
    out = r.copy()
    twice = 2 * r
    for j in range(1, isqrt(N) + 1):
        s = j * j
        out[s:] += twice[: N + 1 - s]
    return out


def sum_of_squares_counts(d: int, N: int) -> np.ndarray:
    """r_d(0..N): the number of k in Z^d with |k|^2 = n (int64 array of length N + 1).

    d = 2 starts from a direct count of the pairs (a, b) with a^2 + b^2 <= N (one
    ``np.bincount`` over the (2 sqrt(N) + 1)^2 pairs), which is theta^2; each further
    dimension is one :func:`times_theta`.
    """
    _check(d, N)
    if d == 1:
        return theta_coefficients(N)
    # int32 halves the memory traffic of the shifted additions; safe while the box bound
    # (2 sqrt(N) + 3)^d on every coefficient stays below 2^31
    dtype = np.int32 if (2 * isqrt(N) + 3) ** d < 2 ** 31 else np.int64
    m = isqrt(N)
    a = np.arange(-m, m + 1, dtype=np.int64) ** 2
    sums = np.add.outer(a, a).ravel()
    out = np.bincount(sums[sums <= N], minlength=N + 1).astype(dtype)
    for _ in range(d - 2):
        out = times_theta(out)
    return out.astype(np.int64)


def ball_volume_float(d: int, radius: float) -> float:
    """omega_d radius^d, omega_d = pi^(d/2) / Gamma(d/2 + 1) (floats: only for cost estimates)."""
    return pi ** (d / 2) / gamma(d / 2 + 1) * radius ** d


def lattice_point_estimate(d: int, N: int) -> int:
    """An upper estimate of #{k in Z^d : |k|^2 <= N}: vol(B_{sqrt(N) + sqrt(d)/2})
    (every unit cube centred at such a k lies in that ball), rounded up."""
    return int(ball_volume_float(d, N ** 0.5 + d ** 0.5 / 2)) + 1


def ball_points(d: int, N: int) -> Iterator[np.ndarray]:
    """The points k in Z^d with |k|^2 <= N, as int64 arrays of shape (m, d), one slab
    (fixed k_1) at a time; every point exactly once."""
    _check(d, N)
    m = isqrt(N)
    axis = np.arange(-m, m + 1, dtype=np.int64)
    for k1 in range(-m, m + 1):
        rest_N = N - k1 * k1
        if d == 1:
            yield np.array([[k1]], dtype=np.int64)
            continue
        mr = isqrt(rest_N)
        sub = axis[(axis >= -mr) & (axis <= mr)]
        grids = np.meshgrid(*([sub] * (d - 1)), indexing="ij")
        rest = np.stack([g.ravel() for g in grids], axis=1)
        keep = (rest * rest).sum(axis=1) <= rest_N
        rest = rest[keep]
        first = np.full((len(rest), 1), k1, dtype=np.int64)
        yield np.concatenate([first, rest], axis=1)
