"""Exact linear algebra over Q with ``gmpy2.mpq``: conversions, dot products, canonical
half-spaces, bitmask helpers, rank, square solves and null directions (Gaussian elimination,
no rounding anywhere)."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import gmpy2
from gmpy2 import mpq, mpz

from .numbers import as_mpq

__all__ = [
    "ONE",
    "ZERO",
    "affine_rank",
    "bits",
    "compress",
    "dot",
    "normalize",
    "null_direction",
    "rank",
    "solve",
    "to_mpq",
    "vec",
]

_MPQ = type(mpq(0))
ZERO = mpq(0)
ONE = mpq(1)
_ZERO, _ONE = ZERO, ONE


to_mpq = as_mpq    # the one converter: symbolic.numbers.as_mpq


def vec(a: Iterable) -> tuple:
    return tuple(to_mpq(x) for x in a)


def dot(a: Sequence, x: Sequence) -> mpq:
    s = _ZERO
    for ai, xi in zip(a, x):
        if ai:
            s += ai * xi
    return s


def normalize(a: tuple, c: mpq) -> tuple[tuple, mpq]:
    """Scale (a, c) by a positive rational so that all entries are coprime integers.

    The half-space {a.x <= c} is unchanged; the representation becomes canonical.
    """
    den = mpz(1)
    for q in a:
        den = gmpy2.lcm(den, q.denominator)
    den = gmpy2.lcm(den, c.denominator)
    nums = [q.numerator * (den // q.denominator) for q in a]
    cn = c.numerator * (den // c.denominator)
    g = mpz(0)
    for n in nums:
        g = gmpy2.gcd(g, n)
    g = gmpy2.gcd(g, cn)
    if g == 0:
        return a, c
    return tuple(mpq(n // g) for n in nums), mpq(cn // g)


def bits(mask: int) -> list[int]:
    """Indices of set bits of ``mask`` (ascending)."""
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


def compress(mask: int, kept: Sequence[int]) -> int:
    """Re-index a bitmask: bit kept[i] of ``mask`` becomes bit i of the result."""
    out = 0
    for i, j in enumerate(kept):
        if (mask >> j) & 1:
            out |= 1 << i
    return out


def rank(rows: list[list]) -> int:
    """Exact rank of a rational matrix (rows are copied)."""
    m = [list(r) for r in rows]
    if not m:
        return 0
    ncol = len(m[0])
    rank = 0
    for col in range(ncol):
        piv = None
        for r in range(rank, len(m)):
            if m[r][col] != 0:
                piv = r
                break
        if piv is None:
            continue
        m[rank], m[piv] = m[piv], m[rank]
        pr = m[rank]
        for r in range(rank + 1, len(m)):
            f = m[r][col]
            if f:
                f = f / pr[col]
                m[r] = [x - f * y for x, y in zip(m[r], pr)]
        rank += 1
        if rank == len(m):
            break
    return rank


def affine_rank(points: list[tuple]) -> int:
    """Dimension of the affine hull of a non-empty list of points."""
    if len(points) <= 1:
        return 0
    p0 = points[0]
    return rank([[x - y for x, y in zip(p, p0)] for p in points[1:]])


def solve(A: list[list], b: list) -> list | None:
    """Exact solution of the square system A x = b, or None if singular."""
    n = len(A)
    m = [list(A[i]) + [b[i]] for i in range(n)]
    for col in range(n):
        piv = None
        for r in range(col, n):
            if m[r][col] != 0:
                piv = r
                break
        if piv is None:
            return None
        m[col], m[piv] = m[piv], m[col]
        pr = m[col]
        inv = 1 / pr[col]
        for r in range(n):
            if r != col and m[r][col]:
                f = m[r][col] * inv
                m[r] = [x - f * y for x, y in zip(m[r], pr)]
    return [m[i][n] / m[i][i] for i in range(n)]


def null_direction(rows: list[tuple], d: int) -> list | None:
    """A non-zero y with rows . y = 0 when the rows have rank exactly d-1, else None."""
    m = [list(r) for r in rows]
    pivcols = []
    rank = 0
    for col in range(d):
        piv = None
        for r in range(rank, len(m)):
            if m[r][col] != 0:
                piv = r
                break
        if piv is None:
            continue
        m[rank], m[piv] = m[piv], m[rank]
        pr = m[rank]
        inv = 1 / pr[col]
        m[rank] = pr = [x * inv for x in pr]
        for r in range(len(m)):
            if r != rank and m[r][col]:
                f = m[r][col]
                m[r] = [x - f * y for x, y in zip(m[r], pr)]
        pivcols.append(col)
        rank += 1
    if rank != d - 1:
        return None
    free = next(j for j in range(d) if j not in pivcols)
    y = [_ZERO] * d
    y[free] = _ONE
    for r, col in enumerate(pivcols):
        y[col] = -m[r][free]
    return y
