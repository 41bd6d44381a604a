"""The pushforward of mu under |g|, from the checker's own regions, and L, L' in closed form.

* Triangulation of a region (own code): a face F of dimension k with k + 1 vertices is a
  simplex; otherwise F is the union of the cones from one of its vertices p (the one with the
  largest index) over the facets of F not through p, each facet triangulated the same way.
  The facets of F are the inclusion-maximal proper sets F & {vertices on hyperplane b} (every
  facet of F is cut out by one hyperplane of the region's description, and every such set is
  a face of F). Volumes: |det(v_1 - v_0, ..., v_d - v_0)| / d!, exact.
* On a simplex S with g-values t_0 <= ... <= t_d (t_0 < t_d), g(X) for X uniform on S has the
  B-spline density M_t with knots t (Curry-Schoenberg):
      M_(i,i+1) = 1/(t_(i+1) - t_i) on [t_i, t_(i+1)],
      M_(i,j) = k/((k - 1)(t_j - t_i)) ((s - t_i) M_(i,j-1) + (t_j - s) M_(i+1,j)),  k = j - i,
  with M_(i,j) = 0 where t_i = t_j (a point mass, always multiplied by a factor vanishing
  there). So the density of g under Lebesgue on S is vol(S) M_t; a region where g is constant
  gives an atom. The density of |g| folds s -> -s (a piece across 0 split there first).
* With rho the density of |g| under mu (piecewise polynomial on 0 = b_0 < ... < b_n, plus
  atoms), for w > 0 and U = 1/(2w) (the band |g| < U):
      L(w)  = integral_0^U (1/2 - w u)^r rho(u) du,
      L'(w) = -r integral_0^U (1/2 - w u)^(r-1) u rho(u) du.
  For integer r and U in (b_m, b_(m+1)] both are Laurent polynomials in w: with
  (1/2 - w u)^e = sum_i C(e,i) 2^(i-e) (-w)^i u^i and rho = sum_k c_k u^k on a piece,
      integral_a^b u^(i+q+k) du = (b^p - a^p)/p,  p = i + q + k + 1,
  full pieces j < m give powers w^0..w^e, the partial piece [b_m, U] in addition
  U^p = (2w)^(-p), i.e. w^(-(q+k+1)). One Laurent polynomial per w-piece, built once:
  each L'(w) is then a bisection and a few exact operations.
"""
from __future__ import annotations

from collections.abc import Sequence
from math import comb, factorial
from typing import Any

from gmpy2 import mpq

from .activation import Region, TooLarge

ZERO = mpq(0)
MAX_SIMPLICES = 6_000_000


def _members(s: int) -> list[int]:
    out = []
    while s:
        low = s & -s
        out.append(low.bit_length() - 1)
        s ^= low
    return out


def _facets(face: int, planes: Sequence[int], dim: int) -> list[int]:
    """The facets of a face (a vertex bit set) of dimension ``dim``, as vertex bit sets;
    ``planes[b]`` is the set of the region's vertices on hyperplane b."""
    cands = set()
    for on in planes:
        s = face & on
        if s != face and s.bit_count() >= dim:
            cands.add(s)
    kept: list[int] = []        # larger sets first: a non-maximal set lies in a kept one
    for s in sorted(cands, key=int.bit_count, reverse=True):
        if not any(s & t == s for t in kept):
            kept.append(s)
    return kept


def _reduce(basis: list[tuple[int, list[Any]]], row: list[Any]) -> tuple[int, list[Any]] | None:
    """``row`` minus its components along the echelon rows of ``basis``: (pivot column, row),
    or None when it is a combination of them."""
    for col, b in basis:
        f = row[col]
        if f:
            f /= b[col]
            row = [x - f * y for x, y in zip(row, b)]
    col = next((c for c, x in enumerate(row) if x), -1)
    return None if col < 0 else (col, row)


def simplices(reg: Region, budget: int = MAX_SIMPLICES) -> list[tuple[tuple[int, ...], Any]]:
    """A triangulation of the region, [(vertex indices, volume)] (module docstring). The volume
    |det(v_1 - v_0, ..., v_d - v_0)| / d! is eliminated row by row along the recursion (each
    apex adds one row v - v_0), so siblings share the elimination of their common rows.
    Raises :class:`TooLarge` past ``budget`` simplices (memory stays bounded)."""
    d = len(reg.verts[0])
    verts = reg.verts
    bits = 0
    for m in reg.masks:
        bits |= m
    planes = []
    for b in _members(bits):
        on = 0
        for i, m in enumerate(reg.masks):
            if m >> b & 1:
                on |= 1 << i
        planes.append(on)
    memo: dict[int, list[int]] = {}
    scale = mpq(1, factorial(d))
    out: list[tuple[tuple[int, ...], Any]] = []

    class Rows:
        """Rows v_i - v_0 reduced against the apex rows chosen so far; each level reduces a
        parent's (cached) row by its own apex row once, shared by all its descendants."""

        __slots__ = ("cache", "parent", "piv", "v0")

        def __init__(self, parent: Rows | None, piv: tuple[int, list[Any]] | None, v0: Any) -> None:
            self.parent, self.piv, self.v0 = parent, piv, v0
            self.cache: dict[int, list[Any]] = {}

        def get(self, i: int) -> list[Any]:
            row = self.cache.get(i)
            if row is None:
                if self.parent is None:
                    row = [x - y for x, y in zip(verts[i], self.v0)]
                else:
                    row = self.parent.get(i)
                    col, b = self.piv  # type: ignore[misc]
                    if row[col]:
                        k = row[col] / b[col]
                        row = [x - k * y for x, y in zip(row, b)]
                self.cache[i] = row
            return row

    def leaf(ids: list[int], chosen: tuple[int, ...], rows: Rows, det: Any) -> None:
        local: list[tuple[int, list[Any]]] = []
        for i in ids:
            if not chosen and i == ids[0]:
                continue
            red = _reduce(local, list(rows.get(i)))
            if red is None:
                return
            local.append(red)
            det = det * red[1][red[0]]
        out.append(((*chosen, *ids), abs(det) * scale))

    def rec(face: int, dim: int, chosen: tuple[int, ...], rows: Rows | None, pivots: frozenset[int],
            det: Any, around: Sequence[int]) -> None:
        if face.bit_count() == dim + 1:
            ids = _members(face)
            leaf(ids, chosen, rows if rows is not None else Rows(None, None, verts[ids[0]]), det)
            if len(out) > budget:
                raise TooLarge(f"more than {MAX_SIMPLICES} simplices in the triangulated regions")
            return
        apex = face.bit_length() - 1
        if rows is None:                      # the region's own apex is v_0: no row
            rows = Rows(None, None, verts[apex])
        else:
            r = rows.get(apex)
            col = next((c for c, x in enumerate(r) if x), -1)
            if col < 0:
                return
            det = det * r[col]
            rows, pivots = Rows(rows, (col, r), None), pivots | {col}
        facets = memo.get(face)
        if facets is None:
            # a facet of this face (a ridge of its parent) is its intersection with another of the
            # parent's facets (``around``): fewer candidates than every hyperplane
            facets = memo[face] = _facets(face, around, dim)
        chosen = (*chosen, apex)
        if dim == 2:
            # a polygon: the fan from the apex over its edges; each triangle's determinant is
            # the pivots so far times a 2 x 2 minor of two reduced rows
            c1, c2 = (c for c in range(d) if c not in pivots)
            for f in facets:
                if f >> apex & 1:
                    continue
                ea, eb = _members(f)
                ra, rb = rows.get(ea), rows.get(eb)
                minor = ra[c1] * rb[c2] - ra[c2] * rb[c1]
                if minor:
                    out.append(((*chosen, ea, eb), abs(det * minor) * scale))
            if len(out) > budget:
                raise TooLarge(f"more than {MAX_SIMPLICES} simplices in the triangulated regions")
            return
        for f in facets:
            if not f >> apex & 1:
                rec(f, dim - 1, chosen, rows, pivots, det, facets)

    rec((1 << len(verts)) - 1, d, (), None, frozenset(), mpq(1), planes)
    return out


def det_volume(pts: Sequence[tuple[Any, ...]]) -> Any:
    """|det(v_1 - v_0, ..., v_d - v_0)| / d! by Gaussian elimination (exact)."""
    d = len(pts) - 1
    v0 = pts[0]
    m = [[a - b for a, b in zip(p, v0)] for p in pts[1:]]
    det = mpq(1)
    for c in range(d):
        piv = next((r for r in range(c, d) if m[r][c]), None)
        if piv is None:
            return ZERO
        if piv != c:
            m[c], m[piv] = m[piv], m[c]
        row = m[c]
        p = row[c]
        det *= p
        for r in range(c + 1, d):
            f = m[r][c]
            if f:
                f /= p
                m[r] = [x - f * y for x, y in zip(m[r], row)]
    return abs(det) / factorial(d)


def bspline(t: Sequence[Any]) -> list[tuple[Any, Any, list[Any]]]:
    """The B-spline M_t (mass 1) as [(lo, hi, coefficients in s)] on the distinct knot gaps."""
    d = len(t) - 1
    br = sorted(set(t))
    pos = [br.index(x) for x in t]
    level: list[dict[int, list[Any]]] = []
    for i in range(d):
        level.append({iv: [1 / (t[i + 1] - t[i])] for iv in range(pos[i], pos[i + 1])} if t[i] < t[i + 1] else {})
    for k in range(2, d + 1):
        nxt: list[dict[int, list[Any]]] = []
        for i in range(d + 1 - k):
            j = i + k
            if t[i] == t[j]:
                nxt.append({})
                continue
            f = mpq(k, k - 1) / (t[j] - t[i])
            out: dict[int, list[Any]] = {}
            for iv, co in level[i].items():           # (s - t_i) co
                acc = out.setdefault(iv, [ZERO] * k)
                for n, c in enumerate(co):
                    acc[n + 1] += f * c
                    acc[n] -= f * c * t[i]
            for iv, co in level[i + 1].items():       # (t_j - s) co
                acc = out.setdefault(iv, [ZERO] * k)
                for n, c in enumerate(co):
                    acc[n] += f * c * t[j]
                    acc[n + 1] -= f * c
            nxt.append(out)
        level = nxt
    return [(br[iv], br[iv + 1], co) for iv, co in sorted(level[0].items())]


def _fold(pieces: list[tuple[Any, Any, list[Any]]]) -> list[tuple[Any, Any, list[Any]]]:
    """Density pieces of g -> of |g|: a piece on s <= 0 moves to u = -s (coefficient k times
    (-1)^k); a piece across 0 is split there first."""
    out = []
    for lo, hi, co in pieces:
        if lo < 0 < hi:
            out += [(ZERO, hi, co), (ZERO, -lo, [c if k % 2 == 0 else -c for k, c in enumerate(co)])]
        elif hi <= 0:
            out.append((-hi, -lo, [c if k % 2 == 0 else -c for k, c in enumerate(co)]))
        else:
            out.append((lo, hi, co))
    return out


class Pushforward:
    """Accumulates the density of |g| (Lebesgue measure) region by region."""

    def __init__(self) -> None:
        self.masses: dict[tuple[Any, ...], Any] = {}   # sorted vertex g-values -> total volume
        self.atoms: dict[Any, Any] = {}
        self.n_simplices = 0
        self.volume = ZERO

    def add(self, reg: Region, gvals: Sequence[Any]) -> None:
        """Region ``reg`` with g's values at its vertices (g affine on it)."""
        d = len(reg.verts[0])
        constant = all(v == gvals[0] for v in gvals)
        total = ZERO
        for s, vol in simplices(reg, MAX_SIMPLICES - self.n_simplices):
            self.n_simplices += 1
            total += vol
            if not constant:
                key = tuple(sorted(gvals[i] for i in s))
                self.masses[key] = self.masses.get(key, ZERO) + vol
        if constant:
            u = abs(gvals[0])
            self.atoms[u] = self.atoms.get(u, ZERO) + total
        self.volume += total
        if d == 0:
            raise TooLarge("zero-dimensional domain")

    def density(self) -> tuple[list[Any], list[list[Any]], dict[Any, Any]]:
        """(breaks 0 = b_0 < ... < b_n, coefficients of rho per piece, atoms) for |g|."""
        delta: dict[Any, list[Any]] = {ZERO: []}
        for u in self.atoms:
            delta.setdefault(u, [])
        for key, vol in self.masses.items():
            for lo, hi, co in _fold(bspline(key)):
                for sign, at in ((1, lo), (-1, hi)):
                    acc = delta.setdefault(at, [])
                    if len(acc) < len(co):
                        acc += [ZERO] * (len(co) - len(acc))
                    for n, c in enumerate(co):
                        acc[n] += sign * vol * c
        breaks = sorted(delta)
        coeffs: list[list[Any]] = []
        run: list[Any] = []
        for b in breaks[:-1]:
            dl = delta[b]
            if len(run) < len(dl):
                run += [ZERO] * (len(dl) - len(run))
            run = [x + (dl[n] if n < len(dl) else ZERO) for n, x in enumerate(run)]
            coeffs.append(list(run))
        return breaks, coeffs, dict(self.atoms)


Laurent = dict[int, Any]        # power of w -> coefficient


class ClosedForm:
    """L(w) (or -L'(w)/r) as one Laurent polynomial per w-piece: the integral of
    (1/2 - w u)^e u^q rho(u) over 0 <= u < U = 1/(2w) (module docstring); integer e >= 0."""

    def __init__(self, breaks: Sequence[Any], coeffs: Sequence[Sequence[Any]], atoms: dict[Any, Any],
                 e: int, q: int, scale: Any) -> None:
        self.breaks = list(breaks)
        kern = [comb(e, i) * mpq(1, 2 ** (e - i)) * (-1) ** i for i in range(e + 1)]   # of w^i u^i
        pieces: list[Laurent] = []
        full: list[Any] = [ZERO] * (e + 1)
        n = len(self.breaks) - 1
        for m in range(n + 1):
            b = self.breaks[m]
            if b in atoms and (q == 0 or b != 0):
                for i in range(e + 1):
                    full[i] += scale * atoms[b] * kern[i] * b ** (i + q)
            lau: Laurent = dict(enumerate(full))
            if m < n:
                nxt = self.breaks[m + 1]
                for k, c in enumerate(coeffs[m]):
                    if not c:
                        continue
                    for i in range(e + 1):
                        p = i + q + k + 1
                        ci = scale * c * kern[i] / p
                        lau[i] -= ci * b ** p                                    # lower end b_m
                        lau[-(q + k + 1)] = lau.get(-(q + k + 1), ZERO) + ci / 2 ** p   # U^p = (2w)^-p
                        full[i] += ci * (nxt ** p - b ** p)
            pieces.append(lau)
        self.pieces = pieces

    def __call__(self, w: Any) -> Any:
        if w == 0:
            return self.pieces[-1].get(0, ZERO)
        U = 1 / (2 * w)
        lo, hi = 0, len(self.breaks)        # the first break >= U (bisection): b_m < U <= b_(m+1)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.breaks[mid] < U:
                lo = mid + 1
            else:
                hi = mid
        m = min(lo - 1, len(self.pieces) - 1)
        lau = self.pieces[m]
        inv = 1 / w
        total = ZERO
        for p, c in lau.items():
            if c:
                total += c * (w ** p if p >= 0 else inv ** -p)
        return total


def w_pieces(form: ClosedForm, w_lo: Any) -> list[tuple[Any, Any, Laurent]]:
    """The closed form on [w_lo, oo) as [(w_a, w_b, {power: coefficient})], w_b = None for oo:
    piece m holds for U = 1/(2w) in (b_m, b_(m+1)], i.e. w in [1/(2 b_(m+1)), 1/(2 b_m))."""
    out = []
    n = len(form.breaks) - 1
    for m, lau in enumerate(form.pieces):
        a = 1 / (2 * form.breaks[m + 1]) if m < n else mpq(0)
        b = None if m == 0 else 1 / (2 * form.breaks[m])
        if b is not None and b <= w_lo:
            continue
        out.append((max(a, w_lo), b, {p: c for p, c in lau.items() if c}))
    return out


def closed_forms(push: Pushforward, r: int, density: Any) -> tuple[ClosedForm, ClosedForm]:
    """(L, -L'/r) for integer r >= 1 under mu = density * Lebesgue."""
    breaks, coeffs, atoms = push.density()
    return (ClosedForm(breaks, coeffs, atoms, r, 0, density),
            ClosedForm(breaks, coeffs, atoms, r - 1, 1, density))
