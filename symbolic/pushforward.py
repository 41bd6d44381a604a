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

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sympy
from gmpy2 import mpq

from .linalg import ONE as _ONE
from .linalg import dot, to_mpq, vec
from .numbers import as_rational
from .parallel import pmap
from .polytope import Polytope
from .regions import Cell

Q = sympy.Rational
_MPQ = type(mpq(0))
_ZERO = mpq(0)

__all__ = ["PiecewisePoly", "abs_density", "affine_cdf_pieces", "affine_density_pieces", "pieces_eval",
           "poly_eval", "signed_density"]


# ---------------------------------------------------------------- one region: an affine g on a polytope


def poly_eval(coeffs: Sequence, s) -> mpq:
    """Evaluate sum_i coeffs[i] s^i (Horner)."""
    s = to_mpq(s)
    r = _ZERO
    for c in reversed(coeffs):
        r = r * s + c
    return r


def pieces_eval(pieces: Sequence[tuple], s, below=_ZERO, above=None) -> mpq:
    """Evaluate a piecewise polynomial [(lo, hi, coeffs), ...] at s.

    Returns ``below`` for s < first lo and ``above`` (default: value at the
    last hi) for s > last hi.
    """
    s = to_mpq(s)
    if s < pieces[0][0]:
        return to_mpq(below)
    for lo, hi, co in pieces:
        if lo <= s <= hi:
            return poly_eval(co, s)
    lo, hi, co = pieces[-1]
    return poly_eval(co, hi) if above is None else to_mpq(above)


def _check_level(P: Polytope, a, b) -> tuple[tuple, mpq]:
    a = vec(a)
    b = to_mpq(b)
    if len(a) != P.dim:
        raise ValueError(f"coefficient vector has length {len(a)}, expected {P.dim}")
    if not any(a):
        raise ValueError("level function is constant on a region")
    return a, b


def _bspline(t: Sequence[mpq], pos: Sequence[int], d: int) -> dict[int, list]:
    """Density of g on a d-simplex whose vertices have g-values t_0 <= ... <= t_d, normalised
    to mass 1 (the B-spline with knots t): {interval k: coefficients (length d) in s}.

    ``pos[i]`` is the index of t_i among the breaks; interval k is [br_k, br_{k+1}].  The
    Cox-de Boor recursion over knot ranges, for M_{i,j} (knots t_i..t_j, order k = j - i):

        M_{i,i+1} = 1/(t_{i+1} - t_i) on [t_i, t_{i+1}],
        M_{i,j}   = k/((k-1)(t_j - t_i)) [(s - t_i) M_{i,j-1} + (t_j - s) M_{i+1,j}],

    with M_{i,j} = 0 when t_i = t_j (a point mass, always multiplied by a factor vanishing
    there).  M_{0,d} is the density of sum_i lambda_i t_i for lambda uniform on the simplex,
    i.e. of g(X) for X uniform on it (t_0 < t_d because g is not constant on the simplex).
    """
    level = []
    for i in range(d):
        if t[i] < t[i + 1]:
            c = 1 / (t[i + 1] - t[i])
            level.append({k: [c] for k in range(pos[i], pos[i + 1])})
        else:
            level.append({})
    for k in range(2, d + 1):
        nxt: list[dict[int, list]] = []
        for i in range(d + 1 - k):
            j = i + k
            if t[i] == t[j]:
                nxt.append({})
                continue
            fac = mpq(k, k - 1) / (t[j] - t[i])
            out: dict[int, list] = {}
            left, right = level[i], level[i + 1]
            for iv, co in left.items():          # (s - t_i) * co
                acc = out.setdefault(iv, [_ZERO] * k)
                ti = t[i]
                for m, c in enumerate(co):
                    acc[m + 1] += c * fac
                    acc[m] -= c * ti * fac
            for iv, co in right.items():         # (t_j - s) * co
                acc = out.setdefault(iv, [_ZERO] * k)
                tj = t[j]
                for m, c in enumerate(co):
                    acc[m] += c * tj * fac
                    acc[m + 1] -= c * fac
            nxt.append(out)
        level = nxt
    return level[0]


def _general_density_pieces(P: Polytope, a: tuple, b: mpq) -> list[tuple]:
    """Density pieces of g = a . x + b on P from a triangulation (:meth:`Polytope.simplices`):
    rho = sum over the simplices S of vol(S) * B-spline of S's vertex values (:func:`_bspline`),
    polynomial of degree <= d - 1 between consecutive distinct vertex values of g on P."""
    d = P.dim
    vals = [dot(a, v) + b for v in P.vertices]
    br = sorted(set(vals))
    where = {x: k for k, x in enumerate(br)}
    mass: dict[tuple, mpq] = {}      # simplices with the same vertex values share one B-spline
    for ids, vol in P.simplices():
        t = tuple(sorted(vals[i] for i in ids))
        mass[t] = mass.get(t, _ZERO) + vol
    acc = [[_ZERO] * d for _ in range(len(br) - 1)]
    for t, vol in mass.items():
        for iv, co in _bspline(t, [where[x] for x in t], d).items():
            row = acc[iv]
            for m, c in enumerate(co):
                row[m] += vol * c
    return [(lo, hi, tuple(row)) for (lo, hi), row in zip(itertools.pairwise(br), acc)]


def _general_cdf_pieces(P: Polytope, a: tuple, b: mpq) -> list[tuple]:
    """CDF pieces from the density pieces: V(s) = V(s_k) + integral_{s_k}^s rho, V(s_0) = 0."""
    out = []
    start = _ZERO
    for lo, hi, rho in _general_density_pieces(P, a, b):
        co = [_ZERO] + [c / (m + 1) for m, c in enumerate(rho)]
        co[0] = start - poly_eval(co, lo)
        out.append((lo, hi, tuple(co)))
        start = poly_eval(co, hi)
    return out


def _box_cdf_pieces(lo: tuple, hi: tuple, a: tuple, b: mpq) -> list[tuple]:
    """Closed form for a box: with active coordinates S = {i : a_i != 0}, m = |S|,
        V(s) = prod_{i not in S}(hi_i - lo_i) / (m! prod_{i in S}|a_i|)
               * sum_{eps in {0,1}^S} (-1)^{|eps|} (s - g_eps)_+^m,
    g_eps = b + sum_i (U_i if eps_i else L_i), L_i/U_i = min/max(a_i lo_i, a_i hi_i)
    (inclusion-exclusion over the upper faces of the simplex volume
    (t - alpha.l)_+^m / (m! prod alpha))."""
    d = len(a)
    act = [i for i in range(d) if a[i]]
    m = len(act)
    const = _ONE
    for i in range(d):
        if not a[i]:
            const *= hi[i] - lo[i]
    for i in act:
        const /= abs(a[i])
    const /= math.factorial(m)
    L = [min(a[i] * lo[i], a[i] * hi[i]) for i in act]
    U = [max(a[i] * lo[i], a[i] * hi[i]) for i in act]
    terms = []
    for eps in itertools.product((0, 1), repeat=m):
        g = b + sum((U[t] if e else L[t] for t, e in enumerate(eps)), _ZERO)
        terms.append((g, -1 if sum(eps) % 2 else 1))
    br = sorted({g for g, _ in terms})
    binom = [math.comb(m, r) for r in range(m + 1)]
    out = []
    for lo_s, hi_s in itertools.pairwise(br):
        co = [_ZERO] * (d + 1)
        for g, sg in terms:
            if g <= lo_s:
                # sg * (s - g)^m = sg * sum_r C(m,r) s^r (-g)^(m-r)
                pw = _ONE
                for r in range(m, -1, -1):
                    co[r] += sg * binom[r] * pw
                    pw *= -g
        out.append((lo_s, hi_s, tuple(x * const for x in co)))
    return out


def affine_cdf_pieces(P: Polytope, a: Sequence, b) -> list[tuple[mpq, mpq, tuple]]:
    """Exact CDF pieces of g(x) = a . x + b under the Lebesgue measure on P.

    V(s) = vol{x in P : g(x) <= s} is continuous, 0 for s <= min_v g(v),
    vol(P) for s >= max_v g(v), and a polynomial of degree <= d on each
    interval between consecutive distinct vertex values s_0 < ... < s_n of g
    (the combinatorial type of P & {g <= s} does not change in between).
    Returns [(s_k, s_{k+1}, (c_0, ..., c_d)), ...] with V(s) = sum_i c_i s^i
    on [s_k, s_{k+1}].  Boxes use the closed inclusion-exclusion formula; other polytopes
    are triangulated once (:meth:`Polytope.simplices`) and each simplex contributes its
    volume times the B-spline of its vertex values (:func:`_general_density_pieces`),
    integrated from V(s_0) = 0.

    Example (pinned in the tests): P = [-1,1]^2, g = x1 + x2.  For
    s in [-2, 0] the set {g <= s} is the corner triangle with legs s+2, so
    V(s) = (s+2)^2/2 = 2 + 2s + s^2/2; for s in [0, 2] the complement is
    the opposite triangle with legs 2-s, so V(s) = 4 - (2-s)^2/2
    = 2 + 2s - s^2/2.  Output: [(-2, 0, (2, 2, 1/2)), (0, 2, (2, 2, -1/2))].

    Raises ValueError("level function is constant on a region") if a = 0.
    """
    a, b = _check_level(P, a, b)
    bb = P._box_bounds()
    if bb is not None:
        return _box_cdf_pieces(bb[0], bb[1], a, b)
    return _general_cdf_pieces(P, a, b)


def affine_density_pieces(P: Polytope, a: Sequence, b) -> list[tuple[mpq, mpq, tuple]]:
    """Density rho(s) = V'(s) of the pushforward of Lebesgue measure on P under g.

    Same intervals as :func:`affine_cdf_pieces`; coefficients (r_0, ..., r_{d-1})
    with r_i = (i+1) c_{i+1}; rho is 0 outside [s_0, s_n] and integrates to vol(P).
    """
    a, b = _check_level(P, a, b)
    bb = P._box_bounds()
    if bb is None:
        return _general_density_pieces(P, a, b)
    return [(lo, hi, tuple(co[i] * i for i in range(1, len(co))))
            for lo, hi, co in _box_cdf_pieces(bb[0], bb[1], a, b)]


# ---------------------------------------------------------------- all regions: the density of g and of |g|


_q = as_rational


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
    out_b: list = [breaks[0]] if breaks else []
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
    # the regions are independent: over the cores when there are many (symbolic.parallel)
    d = cells[0].poly.dim if cells else 1
    for per_cell in pmap(_cell_density, cells, min_items=PARALLEL_CELLS_2D if d <= 2 else PARALLEL_CELLS):
        for lo, hi, cs in per_cell:
            pieces.append((lo, hi, tuple(dens * c for c in cs)))
    return _merge(pieces)


#: a process pool for the regions' densities from this many regions on (d <= 2: cheap regions)
PARALLEL_CELLS = 96
PARALLEL_CELLS_2D = 16384


def _cell_density(cell: Cell) -> list[tuple[mpq, mpq, tuple]]:
    """The density pieces of g on one region (Lebesgue measure)."""
    if all(a == 0 for a in cell.g_coeffs):
        raise ValueError("the level function is constant on a region of positive measure")
    return affine_density_pieces(cell.poly, cell.g_coeffs, cell.g_const)


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
