"""S_P(x) at any rational point, for every radius up to P_max, by exact lattice-point counts.

S_P(x) = sum_{k in Z^d, |k|^2 <= P^2} c(|k|) cos(pi k.x)   (c radial and real,
:mod:`numeric.fourier_coeffs`).  With q the common denominator of x and a = q x in Z^d,
cos(pi k.x) = cos(pi j / q) with j = k.a mod 2q, so

    S_P(x) = c_0 + sum_{n=1}^{N} c(sqrt n) sum_{j=0}^{q} C(n, j) cos(pi j / q),   N = floor(P^2),

where C(n, j) = #{k : |k|^2 = n, k.a = +-j mod 2q} is an exact integer: the lattice points
of every shell, counted by the phase they carry.  The counts are the coefficients of a
product over the coordinates,

    sum_k q^(|k|^2) z^(k.a) = prod_i theta_(a_i)(q, z),   theta_a = sum_(k_i in Z) q^(k_i^2) z^(a k_i),

in the ring Z[q]/(q^(N+1)) [z]/(z^(2q) - 1): one sparse convolution per coordinate (2 sqrt(N) + 1
shifted additions of an (N+1) x 2q integer array), exact in int64.  This enumerates every
lattice point of the ball once, by its (shell, phase) class, and uses the symmetries of the
lattice and of the point (the signed permutations fixing x):

* k_i -> -k_i: theta_(a_i) pairs the terms k_i and -k_i (one shift, two phases);
* coordinates with x_i = 0 (sign changes fix x there) collapse to r_m(n) in the phase 0
  (:func:`numeric.fourier_lattice.sum_of_squares_counts`), with no phase column;
* j -> 2q - j (the point symmetry k -> -k): cos(pi j/q) is even, so the phases are folded
  to j = 0..q before any Arb operation.

Cost: ~ d sqrt(N) N q integer additions and ~ N (q + 1) Arb multiply-adds, for every
P <= P_max at once (the partial sums are read off as n passes floor(P^2)), against ~ P^d
lattice points visited one by one (:func:`numeric.fourier_sums.point_sum`, kept as the
independent route the tests compare with).  Every c(sqrt n), every cosine and every partial
sum is an Arb ball; the counts are exact.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import gcd, isqrt
from typing import Any

import numpy as np
from flint import arb, ctx, fmpq

from relu_pointwise.symbolic.errors import EnclosureError, InputError

from .fourier_coeffs import as_fmpq, c_zero, check_ball, radial_coefficient, resolve_method
from .fourier_lattice import _check, lattice_point_estimate, sum_of_squares_counts
from .fourier_sums import DEFAULT_PREC, _check_prec, shells_of

MAX_CELLS = 6_000_000      # (N + 1) * 2q integers per array (48 MB in int64)
MAX_WORK = 4_000_000_000   # d sqrt(N) N 2q integer additions (~a minute of numpy at worst)
MAX_ARB = 20_000_000       # N (q + 1) Arb multiply-adds
MAX_ENUM_POINTS = 300_000_000   # lattice points visited by the enumeration (about a minute)
MAX_DENOMINATOR = 10_000


def denominator_of(xs: Sequence[fmpq]) -> int:
    q = 1
    for v in xs:
        q = q * int(v.q) // gcd(q, int(v.q))
    return q


def _times_theta_phase(C: np.ndarray, a: int, mod: int) -> np.ndarray:
    """C * theta_a: out[n, j] = sum_k C[n - k^2, j - a k mod mod] over k in Z, k^2 <= n."""
    N = C.shape[0] - 1
    out = C.copy()
    for k in range(1, isqrt(N) + 1):
        s = k * k
        sh = (a * k) % mod
        block = C[: N + 1 - s]
        dst = out[s:]
        # k and -k: the phases +a k and -a k, as cyclic shifts done by two slice additions
        # each (in place: no rolled copy of the block)
        for t in (sh, (mod - sh) % mod):
            if t == 0:
                dst += block
            else:
                dst[:, t:] += block[:, : mod - t]
                dst[:, :t] += block[:, mod - t:]
    return out


def phase_counts(d: int, N: int, a: Sequence[int], q: int) -> np.ndarray:
    """C(n, j), n = 0..N, j = 0..q (module docstring): an int64 array of shape (N + 1, q + 1)."""
    _check(d, N)
    if len(a) != d:
        raise InputError(f"x: has {len(a)} coordinates, the ball has dimension {d}")
    mod = 2 * q
    nonzero = [int(v) % mod for v in a if int(v) % mod != 0]
    zeros = d - len(nonzero)
    cells = (N + 1) * mod
    if cells > MAX_CELLS:
        raise InputError(f"x: (P^2 + 1) * 2q = {cells} phase cells (q = {q}, the common denominator of x) "
                         f"exceed {MAX_CELLS}: lower P or use a point with a smaller denominator", field="x")
    work = len(nonzero) * (2 * isqrt(N) + 1) * cells
    if work > MAX_WORK:
        raise InputError(f"P: the exact phase counts need about {work} integer additions (cap {MAX_WORK}); "
                         f"lower P", field="P")
    C = np.zeros((N + 1, mod), dtype=np.int64)
    if zeros:
        C[:, 0] = sum_of_squares_counts(zeros, N)
    else:
        C[0, 0] = 1
    for ai in nonzero:
        C = _times_theta_phase(C, ai, mod)
    folded = np.zeros((N + 1, q + 1), dtype=np.int64)
    folded[:, 0] = C[:, 0]
    folded[:, q] = C[:, q]
    if q > 1:
        folded[:, 1:q] = C[:, 1:q] + C[:, mod - 1:q:-1]
    return folded


def _rest_grid(m: int, r: int) -> np.ndarray:
    """All points of {-m..m}^r as an int64 array of shape (M, r)."""
    axis = np.arange(-m, m + 1, dtype=np.int64)
    if r == 0:
        return np.zeros((1, 0), dtype=np.int64)
    grids = np.meshgrid(*([axis] * r), indexing="ij")
    return np.stack([g.ravel() for g in grids], axis=1)


def enumerated_phase_counts(d: int, N: int, a: Sequence[int], q: int) -> np.ndarray:
    """The same C(n, j) as :func:`phase_counts`, by visiting the lattice points one by one.

    The point symmetry k -> -k (it maps j to 2q - j, the same folded phase) halves the
    work: only k_1 >= 0 is visited, with weight 2 for k_1 > 0.  The points are visited in
    slabs (the first ``lead`` coordinates fixed, the rest a box masked to the ball), each
    aggregated by one ``np.bincount`` over the keys n (q + 1) + min(j, 2q - j).
    """
    _check(d, N)
    mod = 2 * q
    m = isqrt(N)
    av = np.array([int(v) % mod for v in a], dtype=np.int64)
    lead = 1
    while d - lead > 0 and (2 * m + 1) ** (d - lead) > 400_000:
        lead += 1
    rest = _rest_grid(m, d - lead)
    rest_n = (rest * rest).sum(axis=1)
    rest_j = (rest @ av[lead:]) % mod
    order = np.argsort(rest_n, kind="stable")
    rest_n, rest_j = rest_n[order], rest_j[order]
    size = (N + 1) * (q + 1)
    out = np.zeros(size, dtype=np.int64)
    heads = _rest_grid(m, lead - 1)
    for k1 in range(0, m + 1):
        weight = 2 if k1 > 0 else 1
        for h in heads:
            n0 = k1 * k1 + int((h * h).sum())
            if n0 > N:
                continue
            j0 = (int(av[0]) * k1 + int(h @ av[1:lead])) % mod
            cut = int(np.searchsorted(rest_n, N - n0, side="right"))
            n = rest_n[:cut] + n0
            j = (rest_j[:cut] + j0) % mod
            j = np.minimum(j, mod - j)
            out += weight * np.bincount(n * (q + 1) + j, minlength=size)
    return out.reshape(N + 1, q + 1)


ROUTES = ("auto", "convolve", "enumerate")
# measured on the shared machine: ~3 ns per integer addition of the convolution, ~150 ns
# per visited lattice point of the enumeration
_ENUM_PER_POINT = 50


def route_for(d: int, N: int, a: Sequence[int], q: int) -> str:
    """The cheaper exact route for C(n, j): ``convolve`` or ``enumerate`` (by estimated cost);
    InputError when neither fits its cap."""
    mod = 2 * q
    nonzero = sum(1 for v in a if int(v) % mod)
    conv = nonzero * (2 * isqrt(N) + 1) * (N + 1) * mod
    conv_ok = (N + 1) * mod <= MAX_CELLS and conv <= MAX_WORK
    points = lattice_point_estimate(d, N) // 2
    enum_ok = points <= MAX_ENUM_POINTS
    if conv_ok and (not enum_ok or conv <= _ENUM_PER_POINT * points):
        return "convolve"
    if enum_ok:
        return "enumerate"
    raise InputError(f"P: S_P(x) at this point needs either ~{conv} integer additions (phase convolution, "
                     f"cap {MAX_WORK}, q = {q}) or ~{points} lattice points (enumeration, cap "
                     f"{MAX_ENUM_POINTS}); lower P or use a point with a smaller denominator", field="P")


def counts_by(route: str, d: int, N: int, a: Sequence[int], q: int) -> np.ndarray:
    if route == "convolve":
        return phase_counts(d, N, a, q)
    if route == "enumerate":
        return enumerated_phase_counts(d, N, a, q)
    raise InputError(f"route: must be one of {', '.join(ROUTES)}, got {route!r}")


def check_point_cost(d: int, x: Sequence[object], P: object) -> str:
    """The route :func:`point_curve` would take for S_P(x) up to P; InputError (before any
    work) when the point's denominator or the cost exceeds the caps."""
    xs = [as_fmpq(v, "x") for v in x]
    if len(xs) != d:
        raise InputError(f"x: has {len(xs)} coordinates, the ball has dimension {d}", field="x")
    q = denominator_of(xs)
    if q > MAX_DENOMINATOR:
        raise InputError(f"x: common denominator {q} exceeds {MAX_DENOMINATOR}", field="x")
    return route_for(d, shells_of(P), [int(v.p) * (q // int(v.q)) for v in xs], q)


def target_at(x: Sequence[Any], R: Any) -> Any:
    """f°(x) for the ball |x| < R: 1 inside, 1/2 on the sphere, 0 outside (exact: sympy Rationals in,
    a sympy Rational out)."""
    import sympy

    inside = sum(sympy.Rational(c) ** 2 for c in x)
    R2 = sympy.Rational(R) ** 2
    return sympy.Rational(1) if inside < R2 else sympy.Rational(0) if inside > R2 else sympy.Rational(1, 2)


@dataclass(frozen=True)
class PointSums:
    """S_P(x) at the requested radii (increasing), Arb balls, for one point x."""

    d: int
    R: fmpq
    x: tuple[fmpq, ...]
    radii: tuple[fmpq, ...]
    values: tuple[arb, ...]
    shells: int
    prec: int
    method: str

    def pairs(self) -> list[tuple[fmpq, arb]]:
        return list(zip(self.radii, self.values))


def point_curve(d: int, R: object, x: Sequence[object], radii: Sequence[object], prec: int = DEFAULT_PREC,
                method: str = "auto", route: str = "auto") -> PointSums:
    """Enclosures of S_P(x) for every P in ``radii`` (module docstring); ``route`` picks how the
    exact counts C(n, j) are made (``auto``: the cheaper of ``convolve`` and ``enumerate``)."""
    r = check_ball(d, R)
    _check_prec(prec)
    how = resolve_method(d, method)
    xs = tuple(as_fmpq(v, "x") for v in x)
    if len(xs) != d:
        raise InputError(f"x: has {len(xs)} coordinates, the ball has dimension {d}", field="x")
    if not radii:
        raise InputError("radii: give at least one P")
    ps = sorted({as_fmpq(p, "P") for p in radii})
    N = shells_of(ps[-1])
    marks = [shells_of(p) for p in ps]
    q = denominator_of(xs)
    if q > MAX_DENOMINATOR:
        raise InputError(f"x: common denominator {q} exceeds {MAX_DENOMINATOR}", field="x")
    a = [int(v.p) * (q // int(v.q)) for v in xs]
    counts = counts_by(route_for(d, N, a, q) if route == "auto" else route, d, N, a, q)
    if N * (q + 1) * -(-prec // DEFAULT_PREC) > MAX_ARB:
        raise InputError(f"P: {N} shells x {q + 1} phases at {prec} bits exceed the Arb work cap {MAX_ARB}; "
                         f"lower P, prec or the denominator of x", field="P")
    values: list[arb] = []
    with ctx.workprec(prec):
        cosines = [arb(fmpq(j, q)).cos_pi() for j in range(q + 1)]
        c_n = radial_coefficient(d, r, how)
        total = c_zero(d, r) * int(counts[0, 0])
        rows = np.flatnonzero(counts[1:].any(axis=1)) + 1
        j = 0
        for n in rows.tolist():
            while j < len(marks) and marks[j] < n:
                values.append(+total)
                j += 1
            row = counts[n]
            inner = arb(0)
            for ph in np.flatnonzero(row).tolist():
                inner += int(row[ph]) * cosines[ph]
            total += c_n(n) * inner
        while j < len(marks):
            values.append(+total)
            j += 1
    if not all(v.is_finite() for v in values):
        raise EnclosureError(f"point sum: a ball is not finite at prec {prec} (raise prec)")
    return PointSums(d, r, xs, tuple(ps), tuple(values), N, prec, how)
