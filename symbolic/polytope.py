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

The exact linear algebra lives in :mod:`.linalg`; the pushforward of the Lebesgue
measure on P under an affine map (CDF and density pieces) is in :mod:`.pushforward`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

from gmpy2 import mpq

from .linalg import ONE as _ONE
from .linalg import ZERO as _ZERO
from .linalg import (
    affine_rank,
    bits,
    compress,
    dot,
    normalize,
    null_direction,
    solve,
    to_mpq,
    vec,
)

__all__ = ["Polytope", "to_mpq"]


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


def _ridges(masks: Sequence[int], j: int, need: int) -> list[tuple[int, int]]:
    """The facets of the facet F_j, as (g, vertex mask of F_j & F_g); ``masks`` are the
    facets' vertex masks and ``need`` = dim F_j, the least vertex count of a ridge.

    Among the intersections F_j & F_g (g != j), the facets of F_j are exactly the maximal
    ones: every proper face of F_j lies in a facet of F_j, which is F_j & F_h for the other
    facet F_h through it, and a ridge lies in exactly two facets.  Vertex sets decide
    inclusion (a face is the convex hull of its vertices), so the test is on bitmasks only,
    with no rank computation; a (d-2)-face has >= d-1 vertices, which prefilters.
    """
    vj = masks[j]
    cand = []
    for g, mg in enumerate(masks):
        if g != j:
            inter = vj & mg
            if inter.bit_count() >= need:
                cand.append((g, inter))
    if need <= 3:
        # a face of a polytope of dimension <= 4 sharing >= dim F_j vertices with F_j is a
        # ridge already (3 vertices of a 3-polytope's facet span a 2-face; 2 of a polygon's
        # span an edge): no maximality test needed
        return cand
    return [(g, m) for g, m in cand
            if not any(m != m2 and m & m2 == m for _, m2 in cand)]


def _polygon_area2(pts: dict, faces: Sequence[tuple]) -> mpq:
    """Twice the area of a polygon: its edges' vertex masks (two bits each) give the cycle."""
    ends: dict[int, list[int]] = {}
    for face in faces:
        i, k = bits(face[2])
        ends.setdefault(i, []).append(k)
        ends.setdefault(k, []).append(i)
    start = next(iter(ends))
    order = [start]
    prev, cur = start, ends[start][0]
    while cur != start:
        order.append(cur)
        a, b = ends[cur]
        prev, cur = cur, (b if a == prev else a)
    return abs(_shoelace([pts[i] for i in order]))


def _volume_faces(d: int, pts: dict, faces: Sequence[tuple]) -> mpq:
    """Exact d-volume of a full-dimensional polytope from its vertices and facets.

    ``pts`` maps vertex ids to coordinates; ``faces`` lists the facets as (a, c, vertex
    mask) with a . x <= c (a, c unused for d <= 2).  d = 1: length.  d = 2: shoelace on
    the edge cycle.  d >= 3: the cone decomposition from the vertex p0 of least id,

        vol_d(P) = (1/d) sum_{F not through p0} (c_F - a_F . p0) / |a_{F,k}| * vol_{d-1}(proj_k F),

    since the facet's area is vol_{d-1}(proj_k F) |a_F| / |a_{F,k}| and the cone's height
    is (c_F - a_F . p0) / |a_F|; proj_k drops a coordinate k with a_{F,k} != 0 (the
    largest in absolute value), so no square roots appear.  The facets of F are found by
    :func:`_ridges`, and vertices keep their ids all the way down (no re-indexing).
    """
    if d == 1:
        xs = [v[0] for v in pts.values()]
        return max(xs) - min(xs)
    if d == 2:
        return _polygon_area2(pts, faces) / 2
    p0i = min(pts)
    p0 = pts[p0i]
    masks = [f[2] for f in faces]
    total = _ZERO
    for j, (a, c, vmask) in enumerate(faces):
        if vmask >> p0i & 1:
            continue  # facet through p0: zero-height cone
        h = c - dot(a, p0)
        k = max(range(d), key=lambda t: abs(a[t]))
        ak = a[k]
        sub_pts = {i: pts[i][:k] + pts[i][k + 1:] for i in bits(vmask)}
        ridges = _ridges(masks, j, d - 1)
        if d - 1 >= 3:
            rest = a[:k] + a[k + 1:]
            sub_faces: list[tuple] = []
            for g, m in ridges:
                ag, cg, _ = faces[g]
                f = ag[k] / ak
                sub_faces.append((tuple(x - f * y for x, y in zip(ag[:k] + ag[k + 1:], rest)), cg - f * c, m))
        else:
            sub_faces = [(None, None, m) for _, m in ridges]
        total += h / abs(ak) * _volume_faces(d - 1, sub_pts, sub_faces)
    return total / d


def _pulled_simplices(d: int, pts: dict, faces: Sequence[tuple]) -> list[tuple[tuple[int, ...], mpq]]:
    """The pulling triangulation (the cone from the least vertex p0 over the triangulations of
    the facets not through p0, each face pulled at its own least vertex: a triangulation of a
    convex polytope that uses only its vertices), with every simplex's volume, by the same
    cone decomposition as :func:`_volume_faces`: the cone from p0 over a simplex T of the
    facet F (volume v_T in the coordinates without k) has volume h_F / |a_{F,k}| * v_T / d.
    A segment's length ends the recursion; no determinants."""
    if d == 1:
        i, j = bits(faces[0][2] | faces[1][2])
        return [((i, j), abs(pts[i][0] - pts[j][0]))]
    p0i = min(pts)
    p0 = pts[p0i]
    masks = [f[2] for f in faces]
    out = []
    for j, (a, c, vmask) in enumerate(faces):
        if vmask >> p0i & 1:
            continue
        h = c - dot(a, p0)
        k = max(range(d), key=lambda t: abs(a[t]))
        ak = a[k]
        sub_pts = {i: pts[i][:k] + pts[i][k + 1:] for i in bits(vmask)}
        rest = a[:k] + a[k + 1:]
        sub_faces = []
        for g, m in _ridges(masks, j, d - 1):
            ag, cg, _ = faces[g]
            f = ag[k] / ak
            sub_faces.append((tuple(x - f * y for x, y in zip(ag[:k] + ag[k + 1:], rest)), cg - f * c, m))
        scale = h / abs(ak) / d
        out += [((p0i,) + ids, scale * v) for ids, v in _pulled_simplices(d - 1, sub_pts, sub_faces)]
    return out


def _volume(d: int, verts: Sequence[tuple], masks: Sequence[int], cons: Sequence[tuple]) -> mpq:
    """Exact volume from the double description (vertex -> tight-constraint masks)."""
    vmasks = [0] * len(cons)
    for i, m in enumerate(masks):
        for j in bits(m):
            vmasks[j] |= 1 << i
    return _volume_faces(d, dict(enumerate(verts)), [(a, c, vm) for (a, c), vm in zip(cons, vmasks)])


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

    __slots__ = ("_box", "_cons", "_d", "_masks", "_verts", "_vol")

    def __init__(self, constraints: Sequence[tuple], vertices: Sequence[tuple],
                 masks: Sequence[int], *, _box=None):
        self._cons = tuple(constraints)
        self._verts = tuple(vertices)
        self._masks = tuple(masks)
        self._d = len(self._verts[0])
        self._vol: mpq | None = None
        self._box = _box  # None = unknown, False = not a box, (lo, hi) = box

    # -- constructors -------------------------------------------------------

    @classmethod
    def box(cls, lo: Sequence, hi: Sequence) -> Polytope:
        """The box prod_i [lo_i, hi_i] (requires lo_i < hi_i).

        Constraint 2i is x_i <= hi_i, constraint 2i+1 is -x_i <= -lo_i.
        """
        lo = vec(lo)
        hi = vec(hi)
        d = len(lo)
        if d == 0 or len(hi) != d:
            raise ValueError("lo and hi must be non-empty and of equal length")
        if any(l >= h for l, h in zip(lo, hi)):
            raise ValueError("box must have lo < hi in every coordinate")
        cons = []
        for i in range(d):
            e = tuple(_ONE if t == i else _ZERO for t in range(d))
            cons.append(normalize(e, hi[i]))
            cons.append(normalize(tuple(-x for x in e), -lo[i]))
        verts, masks = [], []
        for choice in itertools.product((0, 1), repeat=d):
            verts.append(tuple(hi[i] if ch else lo[i] for i, ch in enumerate(choice)))
            masks.append(sum(1 << (2 * i + (0 if ch else 1)) for i, ch in enumerate(choice)))
        return cls(cons, verts, masks, _box=(lo, hi))

    @classmethod
    def from_halfspaces(cls, constraints: Iterable[tuple[Sequence, object]]) -> Polytope:
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
            a = vec(a)
            c = to_mpq(c)
            if not any(a):
                if c < 0:
                    raise ValueError("empty polytope (0 <= c with c < 0)")
                continue
            key = normalize(a, c)
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
            y = null_direction([normals[j] for j in sub], d)
            if y is None:
                continue
            for sgn in (1, -1):
                if all(dot(a, y) * sgn <= 0 for a in normals):
                    raise ValueError("unbounded polyhedron")
        verts: list[tuple] = []
        vset = set()
        for sub in itertools.combinations(range(len(cons)), d):
            sol = solve([list(cons[j][0]) for j in sub], [cons[j][1] for j in sub])
            if sol is None:
                continue
            x = tuple(sol)
            if x in vset:
                continue
            if all(dot(a, x) <= c for a, c in cons):
                vset.add(x)
                verts.append(x)
        if len(verts) < d + 1 or affine_rank(verts) < d:
            raise ValueError("polytope is empty or not full-dimensional")
        masks = [sum(1 << j for j, (a, c) in enumerate(cons) if dot(a, v) == c) for v in verts]
        kept = [j for j in range(len(cons))
                if affine_rank([v for v, m in zip(verts, masks) if m >> j & 1]) == d - 1]
        return cls([cons[j] for j in kept], verts, [compress(m, kept) for m in masks])

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
        return tuple(frozenset(bits(m)) for m in self._masks)

    def interior_point(self) -> tuple:
        """The vertex centroid (1/n) sum_i v_i, a point of the interior (exact)."""
        n = len(self._verts)
        return tuple(sum(col, _ZERO) / n for col in zip(*self._verts))

    def contains(self, x: Sequence, strict: bool = False) -> bool:
        """Whether a . x <= c for every facet (a . x < c if ``strict``)."""
        x = vec(x)
        if strict:
            return all(dot(a, x) < c for a, c in self._cons)
        return all(dot(a, x) <= c for a, c in self._cons)

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
        """Exact d-dimensional volume (cached); see :func:`_volume_faces`."""
        if self._vol is None:
            bb = self._box_bounds()
            if bb is not None:
                v = _ONE
                for l, h in zip(*bb):
                    v *= h - l
                self._vol = v
            else:
                self._vol = _volume(self._d, self._verts, self._masks, self._cons)
        return self._vol

    def facet_vertex_masks(self) -> list[int]:
        """For each facet j, the bitmask of the vertices on it (the transpose of the
        vertex -> tight-facet masks)."""
        out = [0] * len(self._cons)
        for i, m in enumerate(self._masks):
            for j in bits(m):
                out[j] |= 1 << i
        return out

    def simplices(self) -> list[tuple[tuple[int, ...], mpq]]:
        """A triangulation of P using only its vertices, with each simplex's volume:
        [(vertex ids, volume)].  The pulling triangulation (the cone from the least vertex
        over the triangulated facets not through it, recursively); volumes from the cone
        heights (:func:`_pulled_simplices`)."""
        faces = [(a, c, m) for (a, c), m in zip(self._cons, self.facet_vertex_masks())]
        if self._d == 1:
            return [((0, 1), abs(self._verts[0][0] - self._verts[1][0]))]
        return _pulled_simplices(self._d, dict(enumerate(self._verts)), faces)

    def ordered_vertices_2d(self) -> tuple:
        """Vertices in counter-clockwise order (d = 2 only)."""
        if self._d != 2:
            raise ValueError("ordered_vertices_2d requires d = 2")
        pts = [self._verts[i] for i in _order_polygon(self._masks)]
        if _shoelace(pts) < 0:
            pts.reverse()
        return tuple(pts)

    def split(self, a: Sequence, c) -> tuple[Polytope | None, Polytope | None]:
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
        a = vec(a)
        c = to_mpq(c)
        d = self._d
        if len(a) != d:
            raise ValueError(f"normal has length {len(a)}, expected {d}")
        verts = self._verts
        s = [dot(a, v) - c for v in verts]
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
        an, cn = normalize(a, c)
        left = self._side(neg, s, new_pts, new_masks, (an, cn), -1)
        right = self._side(pos, s, new_pts, new_masks,
                           (tuple(-x for x in an), -cn), 1)
        return left, right

    def _side(self, strict_idx, s, new_pts, new_masks, newcon, sign) -> Polytope:
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
            kept = bits(keep_bits)
            cons = [self._cons[j] for j in kept]
            nb = 1 << len(kept)
        cons.append(newcon)
        verts = []
        masks = []
        for i, (v, mi) in enumerate(zip(self._verts, self._masks)):
            si = s[i]
            if si * sign < 0:
                continue
            mm = mi if kept is None else compress(mi, kept)
            if not si:
                mm |= nb
            verts.append(v)
            masks.append(mm)
        for p, mi in zip(new_pts, new_masks):
            verts.append(p)
            masks.append((mi if kept is None else compress(mi, kept)) | nb)
        return Polytope(cons, verts, masks)
