"""The checker's own batch generator: the counter-based stream of docs/mathematics.md, section 4.1,
in pure Python (integers and gmpy2.mpq; no float arithmetic, nothing of numpy or the prover).

* Philox4x64-10 (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as 1, 2, 3",
  SC11; the Random123 reference): a 256-bit counter (c0, c1, c2, c3) and a 128-bit key (k0, k1);
  ten rounds of ``(c0, c1, c2, c3) <- (hi(M1 c2) ^ c1 ^ k0, lo(M1 c2), hi(M0 c0) ^ c3 ^ k1, lo(M0 c0))``
  with the key bumped by the Weyl constants between rounds.
* Word n of stream s of a seed: lane n mod 4 of Philox4x64-10(counter = floor(n/4), key = (seed, s)).
* U_n = (Z_n >> 11) / 2^53, point j coordinate i: clip(fl(lo_i + fl(s_i U_{j d + i})), lo_i, hi_i)
  with lo_i, hi_i the domain ends rounded inward to binary64 and s_i = fl(hi_i - lo_i); fl is
  IEEE 754 binary64 round-to-nearest-even, done here exactly on rationals (:func:`binary64`).
* Epoch e of a dataset of N rows: the rows sorted by (Z_{e N + i} of stream 1, i).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gmpy2 import mpq

MASK64 = (1 << 64) - 1
M0, M1 = 0xD2E7470EE14C6C93, 0xCA5A826395121157
W0, W1 = 0x9E3779B97F4A7C15, 0xBB67AE8584CAA73B
STREAM_POINTS, STREAM_SHUFFLE = 0, 1


def philox4x64_10(ctr: Sequence[int], key: Sequence[int]) -> tuple[int, int, int, int]:
    """One block: four 64-bit words from a 4-word counter and a 2-word key."""
    c0, c1, c2, c3 = ctr
    k0, k1 = key
    for rnd in range(10):
        if rnd:
            k0 = (k0 + W0) & MASK64
            k1 = (k1 + W1) & MASK64
        p0 = M0 * c0
        p1 = M1 * c2
        c0, c1, c2, c3 = (p1 >> 64) ^ c1 ^ k0, p1 & MASK64, (p0 >> 64) ^ c3 ^ k1, p0 & MASK64
    return c0, c1, c2, c3


def words(seed: int, stream: int, n0: int, count: int) -> list[int]:
    """Words Z_{n0} .. Z_{n0 + count - 1} of stream ``stream`` of ``seed``."""
    out: list[int] = []
    key = (seed & MASK64, stream & MASK64)
    block, lane = divmod(n0, 4)
    while len(out) < count:
        ctr = [(block >> (64 * i)) & MASK64 for i in range(4)]
        out.extend(philox4x64_10(ctr, key)[lane:])
        block += 1
        lane = 0
    return out[:count]


def uniform(z: int) -> mpq:
    """U = (z >> 11) / 2^53, an exact dyadic in [0, 1)."""
    return mpq(z >> 11, 1 << 53)


def _mpq(v: Any) -> mpq:
    """An exact rational as mpq (sympy Rationals by their numerator and denominator)."""
    if hasattr(v, "p") and hasattr(v, "q"):
        return mpq(int(v.p), int(v.q))
    return mpq(v)


def binary64(q: Any, mode: str = "nearest") -> mpq:
    """q rounded to IEEE 754 binary64 (``nearest``: ties to even; ``up``; ``down``), exactly.

    With 2^e <= |q| < 2^(e+1) the quantum is 2^max(e - 52, -1074) (subnormals included);
    |q| >= 2^1024 is refused (no domain end or point comes near it).
    """
    q = _mpq(q)
    if q == 0:
        return mpq(0)
    neg = q < 0
    a = -q if neg else q
    n, d = int(a.numerator), int(a.denominator)
    e = n.bit_length() - d.bit_length()
    if (n << max(0, -e)) < (d << max(0, e)):
        e -= 1
    if e >= 1024:
        raise ValueError("binary64: overflow")
    qe = max(e - 52, -1074)
    num, den = (n, d << qe) if qe >= 0 else (n << -qe, d)
    m, rem = divmod(num, den)
    if mode == "nearest":
        if 2 * rem > den or (2 * rem == den and m & 1):
            m += 1
    elif rem and ((mode == "up") != neg):    # away from zero: up for q > 0, down for q < 0
        m += 1
    v = mpq(m) * (mpq(2) ** qe if qe >= 0 else mpq(1, 1 << -qe))
    return -v if neg else v


def inner_bounds(lo: Sequence[Any], hi: Sequence[Any]) -> tuple[list[mpq], list[mpq], list[mpq]]:
    """(lo', hi', span): the domain ends rounded inward to binary64, span = fl(hi' - lo')."""
    lo_f = [binary64(a, "up") for a in lo]
    hi_f = [binary64(b, "down") for b in hi]
    return lo_f, hi_f, [binary64(b - a) for a, b in zip(lo_f, hi_f)]


class Stream:
    """The points of one seed in one domain (module docstring), exact."""

    def __init__(self, seed: int, lo: Sequence[Any], hi: Sequence[Any]) -> None:
        self.seed = int(seed)
        self.lo, self.hi, self.span = inner_bounds(lo, hi)
        self.d = len(self.lo)

    def coordinate(self, z: int, i: int) -> mpq:
        x = binary64(self.lo[i] + binary64(self.span[i] * uniform(z)))
        return min(max(x, self.lo[i]), self.hi[i])

    def points(self, start: int, count: int) -> list[tuple[mpq, ...]]:
        """Stream points start .. start + count - 1."""
        d = self.d
        z = words(self.seed, STREAM_POINTS, start * d, count * d)
        return [tuple(self.coordinate(z[j * d + i], i) for i in range(d)) for j in range(count)]

    def order(self, epoch: int, N: int) -> list[int]:
        """The visiting order of a dataset of N rows in epoch ``epoch``."""
        keys = words(self.seed, STREAM_SHUFFLE, epoch * N, N)
        return sorted(range(N), key=lambda i: (keys[i], i))
