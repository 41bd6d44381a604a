"""Exact convex-polytope geometry in R^d with rational arithmetic.

A :class:`Polytope` is a bounded, full-dimensional convex polytope

    P = {x in R^d : a_j . x <= c_j,  j = 0, ..., m-1}

stored in *double description*: the irredundant H-representation (every
stored constraint defines a facet) together with the vertex list and, for
each vertex v, the set T(v) of constraints tight at v (kept as a bitmask).
All numbers are ``gmpy2.mpq``; inputs may be ``int``, ``fractions.Fraction``,
``sympy.Rational``, ``gmpy2.mpz``/``mpq`` or strings such as ``"1/3"``
(floats are rejected, to keep everything exact).

Splitting by a hyperplane {a . x = c} is one double-description step: the
new vertices are exactly the points where edges [u, w] with
a.u < c < a.w cross the hyperplane.  Two vertices u, w are adjacent iff the
face  F(u, w) = intersection of the facets in T(u) & T(w)  contains no other
vertex; for d <= 4 this reduces to |T(u) & T(w)| >= d - 1 (the intersection
of >= d - 1 distinct facets of a d-polytope, d <= 4, is a face of dimension
<= 1, because a ridge lies in exactly two facets).

The module also provides the exact pushforward of the Lebesgue measure on
P under an affine map g(x) = a . x + b: :func:`affine_cdf_pieces` returns
the piecewise-polynomial V(s) = vol{x in P : g(x) <= s} and
:func:`affine_density_pieces` its derivative.
"""

from __future__ import annotations

import itertools
import math
import numbers
from fractions import Fraction
from typing import Iterable, Optional, Sequence

import gmpy2
from gmpy2 import mpq, mpz

__all__ = [
    "Polytope",
    "to_mpq",
    "affine_cdf_pieces",
    "affine_density_pieces",
    "poly_eval",
    "pieces_eval",
]

_MPQ = type(mpq(0))
_ZERO = mpq(0)
_ONE = mpq(1)



# ---------------------------------------------------------------------------
# scalar helpers
# ---------------------------------------------------------------------------

def to_mpq(x) -> mpq:
    """Convert an exact rational number to ``gmpy2.mpq``.

    Accepts int (incl. numpy integers), Fraction, sympy.Rational/Integer,
    gmpy2.mpz/mpq and any other ``numbers.Rational``, and strings like
    ``"3/7"``.  Floats (python, numpy, sympy.Float) raise ``TypeError``.
    """
    if type(x) is _MPQ:
        return x
    if isinstance(x, int):
        return mpq(x)
    if isinstance(x, Fraction):
        return mpq(x.numerator, x.denominator)
    if getattr(x, "is_Rational", False):  # sympy.Rational / Integer
        return mpq(int(x.p), int(x.q))
    if isinstance(x, numbers.Integral):
        return mpq(int(x))
    if isinstance(x, numbers.Rational):
        return mpq(int(x.numerator), int(x.denominator))
    if isinstance(x, str):
        return mpq(x)
    raise TypeError(
        f"cannot convert {x!r} of type {type(x).__name__} to an exact rational "
        "(floats are rejected; use Fraction or sympy.Rational)"
    )


def _vec(a: Iterable) -> tuple:
    return tuple(to_mpq(x) for x in a)


def _dot(a: Sequence, x: Sequence) -> mpq:
    s = _ZERO
    for ai, xi in zip(a, x):
        if ai:
            s += ai * xi
    return s


def _normalize(a: tuple, c: mpq) -> tuple[tuple, mpq]:
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


def _bits(mask: int) -> list[int]:
    """Indices of set bits of ``mask`` (ascending)."""
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


def _compress(mask: int, kept: Sequence[int]) -> int:
    """Re-index a bitmask: bit kept[i] of ``mask`` becomes bit i of the result."""
    out = 0
    for i, j in enumerate(kept):
        if (mask >> j) & 1:
            out |= 1 << i
    return out


def _rank(rows: list[list]) -> int:
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


def _affine_rank(points: list[tuple]) -> int:
    """Dimension of the affine hull of a non-empty list of points."""
    if len(points) <= 1:
        return 0
    p0 = points[0]
    return _rank([[x - y for x, y in zip(p, p0)] for p in points[1:]])


def _solve(A: list[list], b: list) -> Optional[list]:
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


def _null_direction(rows: list[tuple], d: int) -> Optional[list]:
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


# ---------------------------------------------------------------------------
# volume (recursive facet decomposition)
# ---------------------------------------------------------------------------

def _order_polygon(masks: Sequence[int]) -> list[int]:
    """Cyclic order of the vertices of a polygon from its vertex-facet incidences.

    Each vertex mask must have exactly two bits (its two edges) and each edge
    exactly two vertices; the walk vertex -> edge -> other vertex -> other edge
    visits the boundary once.
    """
    n = len(masks)
    edge_vertices: dict[int, list[int]] = {}
    for i, m in enumerate(masks):
        while m:
            low = m & -m
            edge_vertices.setdefault(low, []).append(i)
            m ^= low
    order = [0]
    cur = 0
    f = masks[0] & -masks[0]
    for _ in range(n - 1):
        ends = edge_vertices[f]
        nxt = ends[1] if ends[0] == cur else ends[0]
        order.append(nxt)
        f = masks[nxt] ^ f
        cur = nxt
    return order


def _shoelace(pts: Sequence[tuple]) -> mpq:
    """Twice the signed area of a polygon given in cyclic order."""
    s = _ZERO
    n = len(pts)
    for i in range(n):
        x0, y0 = pts[i]
        x1, y1 = pts[(i + 1) % n]
        s += x0 * y1 - x1 * y0
    return s


def _volume_rec(d: int, verts: Sequence[tuple], masks: Sequence[int],
                cons: Optional[Sequence[tuple]]) -> mpq:
    """Exact d-volume of a full-dimensional polytope given in double description.

    d = 1: length.  d = 2: shoelace on the vertex cycle.  d >= 3:
        vol_d(P) = (1/d) sum_F (c_F - a_F . p0) / |a_{F,k}| * vol_{d-1}(proj_k F),
    the cone decomposition from p0 (a vertex) over the facets F, where the
    facet area is vol_{d-1}(proj_k F) * |a_F| / |a_{F,k}| and the height is
    (c_F - a_F.p0) / |a_F|; proj_k drops coordinate k (a_{F,k} != 0), so no
    square roots appear.
    """
    if d == 1:
        xs = [v[0] for v in verts]
        return max(xs) - min(xs)
    if d == 2:
        order = _order_polygon(masks)
        return abs(_shoelace([verts[i] for i in order])) / 2
    assert cons is not None
    p0 = verts[0]
    m0 = masks[0]
    n = len(verts)
    total = _ZERO
    for j, (a, c) in enumerate(cons):
        bit = 1 << j
        if m0 & bit:
            continue  # facet through p0: zero-height cone
        h = c - _dot(a, p0)
        idx = [i for i in range(n) if masks[i] & bit]
        # facets of the face F_j: other facets G meeting F_j in a (d-2)-face
        count: dict[int, int] = {}
        for i in idx:
            for g in _bits(masks[i] & ~bit):
                count[g] = count.get(g, 0) + 1
        sub = sorted(g for g, cnt in count.items() if cnt >= d - 1)
        if d >= 5:  # d-1 vertices need not span a (d-2)-flat any more
            sub = [g for g in sub
                   if _affine_rank([verts[i] for i in idx if masks[i] >> g & 1]) == d - 2]
        k = max(range(d), key=lambda t: abs(a[t]))
        ak = a[k]
        sub_verts = [verts[i][:k] + verts[i][k + 1:] for i in idx]
        sub_masks = [_compress(masks[i], sub) for i in idx]
        sub_cons = None
        if d - 1 >= 3:
            sub_cons = []
            rest = a[:k] + a[k + 1:]
            for g in sub:
                ag, cg = cons[g]
                f = ag[k] / ak
                sub_cons.append((tuple(x - f * y for x, y in zip(ag[:k] + ag[k + 1:], rest)),
                                 cg - f * c))
        total += h / abs(ak) * _volume_rec(d - 1, sub_verts, sub_masks, sub_cons)
    return total / d


# ---------------------------------------------------------------------------
# Polytope
# ---------------------------------------------------------------------------

class Polytope:
    """Bounded full-dimensional convex polytope {x : a_j . x <= c_j} in R^d, exact.

    Invariants: the constraint list is irredundant (each constraint is a
    facet, normalised to coprime integer coefficients); ``vertices`` are the
    extreme points; ``_masks[i]`` has bit j set iff a_j . v_i = c_j.

    Construct with :meth:`box` or :meth:`from_halfspaces` and refine with
    :meth:`split`.  The raw constructor trusts its arguments.
    """

    __slots__ = ("_d", "_cons", "_verts", "_masks", "_vol", "_box")

    def __init__(self, constraints: Sequence[tuple], vertices: Sequence[tuple],
                 masks: Sequence[int], *, _box=None):
        self._cons = tuple(constraints)
        self._verts = tuple(vertices)
        self._masks = tuple(masks)
        self._d = len(self._verts[0])
        self._vol: Optional[mpq] = None
        self._box = _box  # None = unknown, False = not a box, (lo, hi) = box

    # -- constructors -------------------------------------------------------

    @classmethod
    def box(cls, lo: Sequence, hi: Sequence) -> "Polytope":
        """The box prod_i [lo_i, hi_i] (requires lo_i < hi_i).

        Constraint 2i is x_i <= hi_i, constraint 2i+1 is -x_i <= -lo_i.
        """
        lo = _vec(lo)
        hi = _vec(hi)
        d = len(lo)
        if d == 0 or len(hi) != d:
            raise ValueError("lo and hi must be non-empty and of equal length")
        if any(l >= h for l, h in zip(lo, hi)):
            raise ValueError("box must have lo < hi in every coordinate")
        cons = []
        for i in range(d):
            e = tuple(_ONE if t == i else _ZERO for t in range(d))
            cons.append(_normalize(e, hi[i]))
            cons.append(_normalize(tuple(-x for x in e), -lo[i]))
        verts, masks = [], []
        for choice in itertools.product((0, 1), repeat=d):
            verts.append(tuple(hi[i] if ch else lo[i] for i, ch in enumerate(choice)))
            masks.append(sum(1 << (2 * i + (0 if ch else 1)) for i, ch in enumerate(choice)))
        return cls(cons, verts, masks, _box=(lo, hi))

    @classmethod
    def from_halfspaces(cls, constraints: Iterable[tuple[Sequence, object]]) -> "Polytope":
        """Polytope {x : a . x <= c for (a, c) in constraints}, by brute force.

        Vertices are found by solving every d-subset of constraints (O(C(m, d))),
        redundant constraints are dropped (a constraint is a facet iff its tight
        vertices span a (d-1)-flat).  Raises ValueError if the set is empty,
        lower-dimensional or unbounded.  Intended for construction and testing;
        use :meth:`split` for incremental refinement.
        """
        cons = []
        seen = set()
        for a, c in constraints:
            a = _vec(a)
            c = to_mpq(c)
            if not any(a):
                if c < 0:
                    raise ValueError("empty polytope (0 <= c with c < 0)")
                continue
            key = _normalize(a, c)
            if key not in seen:
                seen.add(key)
                cons.append(key)
        if not cons:
            raise ValueError("no constraints: unbounded")
        d = len(cons[0][0])
        # boundedness: the cone {y : a_j . y <= 0} must be {0}; a non-zero pointed
        # cone has an extreme ray cut out by d-1 independent constraints
        normals = [a for a, _ in cons]
        for sub in itertools.combinations(range(len(cons)), d - 1):
            y = _null_direction([normals[j] for j in sub], d)
            if y is None:
                continue
            for sgn in (1, -1):
                if all(_dot(a, y) * sgn <= 0 for a in normals):
                    raise ValueError("unbounded polyhedron")
        verts: list[tuple] = []
        vset = set()
        for sub in itertools.combinations(range(len(cons)), d):
            x = _solve([list(cons[j][0]) for j in sub], [cons[j][1] for j in sub])
            if x is None:
                continue
            x = tuple(x)
            if x in vset:
                continue
            if all(_dot(a, x) <= c for a, c in cons):
                vset.add(x)
                verts.append(x)
        if len(verts) < d + 1 or _affine_rank(verts) < d:
            raise ValueError("polytope is empty or not full-dimensional")
        masks = [sum(1 << j for j, (a, c) in enumerate(cons) if _dot(a, v) == c) for v in verts]
        kept = [j for j in range(len(cons))
                if _affine_rank([v for v, m in zip(verts, masks) if m >> j & 1]) == d - 1]
        return cls([cons[j] for j in kept], verts, [_compress(m, kept) for m in masks])

    # -- accessors ------------------------------------------------------------

    @property
    def dim(self) -> int:
        """Ambient dimension d."""
        return self._d

    @property
    def vertices(self) -> tuple:
        """Vertices, a tuple of d-tuples of mpq (no particular order)."""
        return self._verts

    @property
    def constraints(self) -> tuple:
        """Irredundant facet inequalities, a tuple of (a, c) meaning a . x <= c."""
        return self._cons

    def tight_sets(self) -> tuple[frozenset, ...]:
        """For each vertex, the frozenset of indices of constraints tight at it."""
        return tuple(frozenset(_bits(m)) for m in self._masks)

    def interior_point(self) -> tuple:
        """The vertex centroid (1/n) sum_i v_i, a point of the interior (exact)."""
        n = len(self._verts)
        return tuple(sum(col, _ZERO) / n for col in zip(*self._verts))

    def contains(self, x: Sequence, strict: bool = False) -> bool:
        """Whether a . x <= c for every facet (a . x < c if ``strict``)."""
        x = _vec(x)
        if strict:
            return all(_dot(a, x) < c for a, c in self._cons)
        return all(_dot(a, x) <= c for a, c in self._cons)

    def is_box(self) -> bool:
        """Whether P is an axis-parallel box (every facet normal is +-e_i)."""
        return self._box_bounds() is not None

    def _box_bounds(self):
        if self._box is None:
            d = self._d
            if len(self._cons) != 2 * d:
                self._box = False
            else:
                lo = [None] * d
                hi = [None] * d
                ok = True
                for a, c in self._cons:
                    nz = [i for i in range(d) if a[i]]
                    if len(nz) != 1:
                        ok = False
                        break
                    i = nz[0]
                    if a[i] > 0:
                        hi[i] = c / a[i]
                    else:
                        lo[i] = c / a[i]
                ok = ok and None not in lo and None not in hi
                self._box = (tuple(lo), tuple(hi)) if ok else False
        return self._box or None

    def __repr__(self) -> str:
        return f"Polytope(dim={self._d}, facets={len(self._cons)}, vertices={len(self._verts)})"

    # -- geometry -----------------------------------------------------------

    def volume(self) -> mpq:
        """Exact d-dimensional volume (cached); see :func:`_volume_rec`."""
        if self._vol is None:
            bb = self._box_bounds()
            if bb is not None:
                v = _ONE
                for l, h in zip(*bb):
                    v *= h - l
                self._vol = v
            else:
                self._vol = _volume_rec(self._d, self._verts, self._masks, self._cons)
        return self._vol

    def ordered_vertices_2d(self) -> tuple:
        """Vertices in counter-clockwise order (d = 2 only)."""
        if self._d != 2:
            raise ValueError("ordered_vertices_2d requires d = 2")
        pts = [self._verts[i] for i in _order_polygon(self._masks)]
        if _shoelace(pts) < 0:
            pts.reverse()
        return tuple(pts)

    def split(self, a: Sequence, c) -> tuple[Optional["Polytope"], Optional["Polytope"]]:
        """Cut P by the hyperplane a . x = c.

        Returns (P & {a.x <= c}, P & {a.x >= c}), with None for a part that is
        empty or has zero volume.  If the hyperplane misses the interior of P
        the non-None part is ``self``.  a = 0 is allowed when c != 0 (then one
        side is everything); a = 0, c = 0 raises ValueError.

        Double-description step: with s(v) = a.v - c, the left part has the
        vertices with s <= 0 plus one new vertex on every edge [u, w] with
        s(u) < 0 < s(w), namely u + s(u)/(s(u)-s(w)) (w - u), whose tight set
        is T(u) & T(w) plus the new facet.  An old facet survives on the left
        iff it has a vertex with s < 0.
        """
        a = _vec(a)
        c = to_mpq(c)
        d = self._d
        if len(a) != d:
            raise ValueError(f"normal has length {len(a)}, expected {d}")
        verts = self._verts
        s = [_dot(a, v) - c for v in verts]
        neg = [i for i, si in enumerate(s) if si < 0]
        pos = [i for i, si in enumerate(s) if si > 0]
        if not pos:
            if not neg:
                raise ValueError("degenerate hyperplane 0 . x = 0")
            return self, None
        if not neg:
            return None, self
        masks = self._masks
        # new vertices on crossing edges
        need = d - 1
        general = d >= 5
        new_pts = []
        new_masks = []
        for i in neg:
            mi = masks[i]
            si = s[i]
            vi = verts[i]
            for j in pos:
                m = mi & masks[j]
                if m.bit_count() < need:
                    continue
                if general and any((masks[k] & m) == m for k in range(len(verts))
                                   if k != i and k != j):
                    continue
                t = si / (si - s[j])
                new_pts.append(tuple(x + t * (y - x) if y != x else x
                                     for x, y in zip(vi, verts[j])))
                new_masks.append(m)
        an, cn = _normalize(a, c)
        left = self._side(neg, s, new_pts, new_masks, (an, cn), -1)
        right = self._side(pos, s, new_pts, new_masks,
                           (tuple(-x for x in an), -cn), 1)
        return left, right

    def _side(self, strict_idx, s, new_pts, new_masks, newcon, sign) -> "Polytope":
        keep_bits = 0
        for i in strict_idx:
            keep_bits |= self._masks[i]
        m = len(self._cons)
        full = (1 << m) - 1
        if keep_bits == full:
            kept = None
            cons = list(self._cons)
            nb = 1 << m
        else:
            kept = _bits(keep_bits)
            cons = [self._cons[j] for j in kept]
            nb = 1 << len(kept)
        cons.append(newcon)
        verts = []
        masks = []
        for i, (v, mi) in enumerate(zip(self._verts, self._masks)):
            si = s[i]
            if si * sign < 0:
                continue
            mm = mi if kept is None else _compress(mi, kept)
            if not si:
                mm |= nb
            verts.append(v)
            masks.append(mm)
        for p, mi in zip(new_pts, new_masks):
            verts.append(p)
            masks.append((mi if kept is None else _compress(mi, kept)) | nb)
        return Polytope(cons, verts, masks)


# ---------------------------------------------------------------------------
# pushforward of the uniform measure under an affine map
# ---------------------------------------------------------------------------

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


def _interpolate(xs: Sequence[mpq], ys: Sequence[mpq]) -> list[mpq]:
    """Monomial coefficients of the unique polynomial of degree < n through n points."""
    n = len(xs)
    coef = list(ys)
    for j in range(1, n):
        for i in range(n - 1, j - 1, -1):
            coef[i] = (coef[i] - coef[i - 1]) / (xs[i] - xs[i - j])
    poly = [coef[n - 1]]
    for i in range(n - 2, -1, -1):
        new = [_ZERO] * (len(poly) + 1)
        xi = xs[i]
        for k, ck in enumerate(poly):
            new[k + 1] += ck
            new[k] -= ck * xi
        new[0] += coef[i]
        poly = new
    return poly


def _check_level(P: Polytope, a, b):
    a = _vec(a)
    b = to_mpq(b)
    if len(a) != P.dim:
        raise ValueError(f"coefficient vector has length {len(a)}, expected {P.dim}")
    if not any(a):
        raise ValueError("level function is constant on a region")
    return a, b


def _general_cdf_pieces(P: Polytope, a: tuple, b: mpq) -> list[tuple]:
    d = P.dim
    br = sorted({_dot(a, v) + b for v in P.vertices})
    vol = P.volume()
    cache = {br[0]: _ZERO, br[-1]: vol}

    def V(s):
        r = cache.get(s)
        if r is None:
            left, _ = P.split(a, s - b)
            r = _ZERO if left is None else left.volume()
            cache[s] = r
        return r

    out = []
    for lo, hi in zip(br, br[1:]):
        h = (hi - lo) / d
        xs = [lo + h * i for i in range(d)] + [hi]
        out.append((lo, hi, tuple(_interpolate(xs, [V(x) for x in xs]))))
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
    for lo_s, hi_s in zip(br, br[1:]):
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
    on [s_k, s_{k+1}].  Each piece is found by exact interpolation from d+1
    values V(s_k + i (s_{k+1}-s_k)/d), each computed by clipping and
    :meth:`Polytope.volume`; boxes use the closed inclusion-exclusion formula.

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
    return [(lo, hi, tuple(co[i] * i for i in range(1, len(co))))
            for lo, hi, co in affine_cdf_pieces(P, a, b)]
