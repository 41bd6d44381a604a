"""The pushforward of mu under |g|: a piecewise-polynomial density.

On a linear region P where g(x) = a . x + b, the function
V_P(s) = mu{x in P : g(x) <= s} is piecewise polynomial of degree <= d in s,
with breaks only at the values of g at P's vertices; its derivative is the
density of g's pushforward restricted to P.  Summing over regions and folding
s -> |s| gives the density rho_|g|(u) = rho(u) + rho(-u), u > 0, which is all
the loss depends on (docs/mathematics.md, section 3, band formula):

    L(w) = integral_0^{1/(2w)} (1/2 - w u)^r rho_|g|(u) du      (w > 0).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sympy
from gmpy2 import mpq

from .polytope import affine_density_pieces, to_mpq
from .regions import Cell

Q = sympy.Rational
_MPQ = type(mpq(0))
_ZERO = mpq(0)


def _q(v) -> sympy.Rational:
    return v if isinstance(v, sympy.Rational) else Q(int(v.numerator), int(v.denominator))


@dataclass(frozen=True)
class PiecewisePoly:
    """sum_k coeffs[j][k] u^k on (breaks[j], breaks[j+1]); zero outside."""

    breaks: tuple[sympy.Rational, ...]
    coeffs: tuple[tuple[sympy.Rational, ...], ...]

    def __call__(self, u: sympy.Rational) -> sympy.Rational:
        for j in range(len(self.coeffs)):
            if self.breaks[j] <= u < self.breaks[j + 1]:
                return sum((c * Q(u) ** k for k, c in enumerate(self.coeffs[j])), Q(0))
        return Q(0)

    def mass(self) -> sympy.Rational:
        """integral of the density (the measure of the domain)."""
        total = Q(0)
        for j, cs in enumerate(self.coeffs):
            a, b = self.breaks[j], self.breaks[j + 1]
            total += sum((c * (b ** (k + 1) - a ** (k + 1)) / (k + 1) for k, c in enumerate(cs)), Q(0))
        return total

    def to_json(self) -> dict:
        from .numbers import rational_text

        return {"breaks": [rational_text(b) for b in self.breaks],
                "coeffs": [[rational_text(c) for c in cs] for cs in self.coeffs]}


def _trim(cs: Sequence) -> tuple:
    cs = list(cs)
    while cs and cs[-1] == 0:
        cs.pop()
    return tuple(cs)


def _mpq(v) -> mpq:
    return v if isinstance(v, _MPQ) else to_mpq(v)


def _merge(pieces: Iterable[tuple[object, object, tuple]]) -> PiecewisePoly:
    """Sum overlapping polynomial pieces into one piecewise polynomial; merge equal neighbours.

    A sweep over the sorted breaks: each piece adds its coefficients where it starts
    and subtracts them where it ends, and the running sum is the polynomial between
    consecutive breaks.  Exact ``gmpy2.mpq`` throughout; sympy Rationals only in the
    result (O(P log P) for P pieces, instead of comparing every piece with every gap).
    """
    exact = [(_mpq(a), _mpq(b), tuple(_mpq(c) for c in cs)) for a, b, cs in pieces]
    exact = [(a, b, cs) for a, b, cs in exact if b > a]
    breaks = sorted({p for a, b, _ in exact for p in (a, b)})
    where = {b: i for i, b in enumerate(breaks)}
    delta: list[list] = [[] for _ in breaks]
    for a, b, cs in exact:
        for sgn, at in ((1, where[a]), (-1, where[b])):
            acc = delta[at]
            if len(acc) < len(cs):
                acc += [_ZERO] * (len(cs) - len(acc))
            for k, c in enumerate(cs):
                acc[k] += sgn * c
    sums = []
    run: list = []
    for j in range(len(breaks) - 1):
        d = delta[j]
        if len(run) < len(d):
            run += [_ZERO] * (len(d) - len(run))
        for k, c in enumerate(d):
            run[k] += c
        sums.append(_trim(run))
    out_b = [breaks[0]] if breaks else []
    out_c: list[tuple] = []
    for j, cs in enumerate(sums):
        if out_c and out_c[-1] == cs:
            out_b[-1] = breaks[j + 1]
        else:
            out_c.append(cs)
            out_b.append(breaks[j + 1])
    return PiecewisePoly(tuple(_q(b) for b in out_b), tuple(tuple(_q(c) for c in cs) for cs in out_c))


def signed_density(cells: Sequence[Cell], mu_density: sympy.Rational) -> PiecewisePoly:
    """Density of g's pushforward of mu, from the regions (mu = mu_density * Lebesgue)."""
    dens = to_mpq(mu_density)
    pieces = []
    for cell in cells:
        if all(a == 0 for a in cell.g_coeffs):
            raise ValueError("the level function is constant on a region of positive measure")
        for lo, hi, cs in affine_density_pieces(cell.poly, cell.g_coeffs, cell.g_const):
            pieces.append((lo, hi, tuple(dens * c for c in cs)))
    return _merge(pieces)


def _reflect(cs: Sequence[sympy.Rational]) -> tuple[sympy.Rational, ...]:
    return tuple(c * (-1) ** k for k, c in enumerate(cs))


def abs_density(signed: PiecewisePoly) -> PiecewisePoly:
    """rho_|g|(u) = rho(u) + rho(-u) on u > 0."""
    pieces = []
    for j, cs in enumerate(signed.coeffs):
        a, b = signed.breaks[j], signed.breaks[j + 1]
        if b > 0:
            pieces.append((max(a, Q(0)), b, cs))
        if a < 0:
            pieces.append((max(-b, Q(0)), -a, _reflect(cs)))
    return _merge(pieces)
