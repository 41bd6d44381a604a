"""Spherical partial sums S_P f(x) = sum_{k in Z^d, |k| <= P} c_k exp(i pi k.x), enclosed.

c_k = c(|k|) is real and radial (:mod:`numeric.fourier_coeffs`), and the ball {|k| <= P}
is symmetric under k -> -k, so S_P f(x) = sum_{|k| <= P} c(|k|) cos(pi k.x) is real.
|k| <= P iff |k|^2 <= N = floor(P^2).  Three routes, each summing Arb balls:

* centre (:func:`centre_sums`): group k by the shell n = |k|^2,
  S_P(0) = c_0 + sum_{n=1}^{N} r_d(n) c(sqrt n); cost ~ N = P^2 coefficient evaluations
  plus the exact r_d(0..N) (:mod:`numeric.fourier_lattice`);
* the x_1 axis (:func:`axis_sums`): with x = (s, 0, ..., 0),
  S_P(x) = sum_{|k_1| <= P} cos(pi k_1 s) A(k_1),
  A(k_1) = sum_{m=0}^{N - k_1^2} r_{d-1}(m) c(sqrt(k_1^2 + m))  (r_0(m) = [m = 0]);
  cost ~ P^3 once, then ~ P per point of the ray;
* any point (:func:`point_sum`): every lattice point of the ball, cost ~ P^d, grouped by
  (n, k.x mod 2) so that each c(sqrt n) and each cos(pi k.x) is evaluated once; capped at
  MAX_LATTICE_POINTS (InputError naming ``P``).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import gcd, isqrt

import numpy as np
from flint import arb, ctx, fmpq

from relu_pointwise.symbolic.errors import EnclosureError, InputError

from .fourier_coeffs import (
    as_fmpq,
    c_zero,
    check_ball,
    radial_coefficient,
    resolve_method,
)
from .fourier_lattice import (
    MAX_SHELLS,
    ball_points,
    lattice_point_estimate,
    sum_of_squares_counts,
)

DEFAULT_PREC = 128
MAX_LATTICE_POINTS = 3_000_000
MAX_AXIS_P = 128          # the ray route costs ~P^3 Arb operations (128: ~2 x 10^6, seconds)
MAX_DENOMINATOR = 10 ** 6


def shells_of(P: object) -> int:
    """N = floor(P^2) for an exact P >= 0: |k| <= P iff |k|^2 <= N."""
    p = as_fmpq(P, "P")
    if p < 0:
        raise InputError(f"P: must be >= 0, got {p}")
    sq = p * p
    N = int(sq.p) // int(sq.q)
    if N > MAX_SHELLS:
        raise InputError(f"P: at most P^2 = {MAX_SHELLS} shells (P <= {isqrt(MAX_SHELLS)}), got P = {p}")
    return N


def _check_prec(prec: int) -> None:
    if isinstance(prec, bool) or not isinstance(prec, int) or not 32 <= prec <= 4096:
        raise InputError(f"prec: must be an integer from 32 to 4096 bits, got {prec!r}")


@dataclass(frozen=True)
class CentreSums:
    """S_P(0) at the requested radii (in increasing order), with what it was computed from."""

    d: int
    R: fmpq
    radii: tuple[fmpq, ...]
    values: tuple[arb, ...]
    shells: int                  # N = floor(max P^2)
    prec: int
    method: str                  # "closed" or "bessel"

    def pairs(self) -> list[tuple[fmpq, arb]]:
        return list(zip(self.radii, self.values))


def centre_sums(d: int, R: object, radii: Sequence[object], prec: int = DEFAULT_PREC,
                method: str = "auto") -> CentreSums:
    """Enclosures of S_P(0) = c_0 + sum_{n <= P^2} r_d(n) c(sqrt n) for every P in ``radii``.

    One pass over the shells n = 1..floor(max P^2): the partial sum is read off as n
    passes floor(P^2).  Shells with r_d(n) = 0 are skipped (they add nothing).
    """
    r = check_ball(d, R)
    _check_prec(prec)
    how = resolve_method(d, method)
    if not radii:
        raise InputError("radii: give at least one P")
    ps = sorted({as_fmpq(p, "P") for p in radii})
    N = shells_of(ps[-1])                          # the largest first: its error names it
    if N * -(-prec // DEFAULT_PREC) > MAX_SHELLS:  # Arb's cost grows about linearly in the limbs
        raise InputError(f"prec: {N} shells at {prec} bits exceed the work cap ({MAX_SHELLS} shells at "
                         f"{DEFAULT_PREC} bits); lower P or prec")
    marks = [shells_of(p) for p in ps]
    counts = sum_of_squares_counts(d, N)
    nz = np.flatnonzero(counts[1:]) + 1            # shells that hold lattice points
    values: list[arb] = []
    with ctx.workprec(prec):
        c_n = radial_coefficient(d, r, how)
        total = c_zero(d, r)
        j = 0
        for n, cnt in zip(nz.tolist(), counts[nz].tolist()):
            while j < len(marks) and marks[j] < n:
                values.append(+total)
                j += 1
            total += cnt * c_n(n)
        while j < len(marks):
            values.append(+total)
            j += 1
    if not all(v.is_finite() for v in values):
        raise EnclosureError(f"centre sum: a ball is not finite at prec {prec} (raise prec)")
    return CentreSums(d, r, tuple(ps), tuple(values), N, prec, how)


def integer_radii(P_max: object) -> list[fmpq]:
    """P = 0, 1, ..., floor(P_max), and P_max itself when it is not an integer."""
    p = as_fmpq(P_max, "P")
    shells_of(p)                                   # the cap first: never a list of 10^20 radii
    top = int(p.p) // int(p.q)
    out = [fmpq(k) for k in range(top + 1)]
    if p != top:
        out.append(p)
    return out


# ---------------------------------------------------------------------- the x_1 axis

@dataclass(frozen=True)
class AxisSums:
    """S_P(s e_1) for several P at the points s (exact rationals), Arb balls: values[i][j]
    is S_{radii[i]} at s = points[j]."""

    d: int
    R: fmpq
    radii: tuple[fmpq, ...]
    points: tuple[fmpq, ...]
    values: tuple[tuple[arb, ...], ...]
    prec: int


def axis_sums(d: int, R: object, radii: Sequence[object], points: Sequence[object],
              prec: int = DEFAULT_PREC, method: str = "auto") -> AxisSums:
    """S_P(s e_1) = sum_{|k_1| <= P} cos(pi k_1 s) A_P(k_1) (module docstring), for each P
    in ``radii`` (P <= MAX_AXIS_P) and each s in ``points``."""
    r = check_ball(d, R)
    _check_prec(prec)
    how = resolve_method(d, method)
    ps = sorted({as_fmpq(p, "P") for p in radii})
    if not ps:
        raise InputError("radii: give at least one P")
    if ps[-1] > MAX_AXIS_P:
        raise InputError(f"P: the ray sums cost ~P^3; at most P = {MAX_AXIS_P}, got {ps[-1]}")
    ss = [as_fmpq(s, "s") for s in points]
    N = shells_of(ps[-1])
    marks = [shells_of(p) for p in ps]
    lower = sum_of_squares_counts(d - 1, N).tolist() if d > 1 else [1] + [0] * N
    K = isqrt(N)
    values: list[list[arb]] = []
    with ctx.workprec(prec):
        c_n = radial_coefficient(d, r, how)
        coeff = [c_zero(d, r)] + [c_n(n) for n in range(1, N + 1)]
        # A[i][k1]: the k_1 = k1 column of the ball of radius ps[i], by cumulative sums in m
        A = [[arb(0)] * (K + 1) for _ in ps]
        for k1 in range(K + 1):
            acc = arb(0)
            base = k1 * k1
            prev = 0
            for i, Ni in enumerate(marks):
                for m in range(prev, max(prev, Ni - base + 1)):
                    if lower[m]:
                        acc += lower[m] * coeff[base + m]
                prev = max(prev, Ni - base + 1)
                A[i][k1] = +acc if Ni >= base else arb(0)
        for i, Ni in enumerate(marks):
            Ki = isqrt(Ni)
            row = []
            for s in ss:
                tot = +A[i][0]
                for k1 in range(1, Ki + 1):
                    tot += 2 * A[i][k1] * arb(s * k1).cos_pi()
                row.append(tot)
            values.append(row)
    return AxisSums(d, r, tuple(ps), tuple(ss), tuple(tuple(v) for v in values), prec)


# ---------------------------------------------------------------------- any point

def point_sum(d: int, R: object, x: Sequence[object], P: object, prec: int = DEFAULT_PREC,
              method: str = "auto", max_points: int = MAX_LATTICE_POINTS) -> arb:
    """S_P(x) by the lattice points of the ball |k| <= P (cost ~ P^d; capped).

    With q the common denominator of x, pi k.x = pi j / q with the integer j = k.(q x);
    the terms are grouped by (n, j mod 2q), exact integer counts, then summed in Arb.
    """
    r = check_ball(d, R)
    _check_prec(prec)
    how = resolve_method(d, method)
    xs = [as_fmpq(v, "x") for v in x]
    if len(xs) != d:
        raise InputError(f"x: has {len(xs)} coordinates, the ball has dimension {d}")
    N = shells_of(P)
    est = lattice_point_estimate(d, N)
    if est > max_points:
        raise InputError(f"P: the sum at a point other than the centre visits about {est} lattice points "
                         f"(cost ~P^{d}); the cap is {max_points}: lower P (the centre alone costs ~P^2)")
    q = 1
    for v in xs:
        q = q * int(v.q) // gcd(q, int(v.q))
    if q > MAX_DENOMINATOR:
        raise InputError(f"x: common denominator {q} exceeds {MAX_DENOMINATOR}")
    qx = np.array([int(v.p) * (q // int(v.q)) for v in xs], dtype=np.int64)
    mod = 2 * q
    keys = []
    for block in ball_points(d, N):
        n = (block * block).sum(axis=1)
        j = (block @ qx) % mod
        keys.append(n * mod + j)
    allk = np.concatenate(keys)
    uniq, cnt = np.unique(allk, return_counts=True)
    with ctx.workprec(prec):
        c_n = radial_coefficient(d, r, how)
        c0 = c_zero(d, r)
        coeff: dict[int, arb] = {}
        cosines: dict[int, arb] = {}
        total = arb(0)
        for key, m in zip(uniq.tolist(), cnt.tolist()):
            n, j = divmod(key, mod)
            if n not in coeff:
                coeff[n] = c0 if n == 0 else c_n(n)
            if j not in cosines:
                cosines[j] = arb(fmpq(j, q)).cos_pi()
            total += m * coeff[n] * cosines[j]
    return total


def point_sums(d: int, R: object, points: Sequence[Sequence[object]], P: object, prec: int = DEFAULT_PREC,
               method: str = "auto") -> list[arb]:
    """:func:`point_sum` at several points, with the cap applied to the total work."""
    N = shells_of(P)
    est = lattice_point_estimate(d, N) * max(1, len(points)) * -(-prec // DEFAULT_PREC)
    if est > MAX_LATTICE_POINTS:
        raise InputError(f"P: {len(points)} point(s) other than the centre need about {est} lattice-point terms "
                         f"(cost ~P^{d} each, counted per {DEFAULT_PREC} bits of precision); the cap is "
                         f"{MAX_LATTICE_POINTS}: lower P or ask fewer points")
    return [point_sum(d, R, x, P, prec, method) for x in points]
