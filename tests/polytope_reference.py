"""Reference volume: the recursive facet decomposition that ``Polytope.volume`` used before
(kept verbatim for the property test that the new algorithm gives the identical exact value)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from gmpy2 import mpq

from relu_pointwise.symbolic.linalg import affine_rank as _affine_rank
from relu_pointwise.symbolic.linalg import bits as _bits
from relu_pointwise.symbolic.linalg import compress as _compress
from relu_pointwise.symbolic.linalg import dot as _dot
from relu_pointwise.symbolic.polytope import Polytope

if TYPE_CHECKING:   # an annotation only
    from relu_pointwise.symbolic.polytope import Polytope

_ZERO = mpq(0)


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
                cons: Sequence[tuple] | None) -> mpq:
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
    if cons is None:
        raise ValueError("d >= 3 needs the constraints")
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




# The CDF pieces as computed before: d+1 values V(s) by clipping and volume, interpolated.

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


