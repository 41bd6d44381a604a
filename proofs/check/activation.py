"""The checker's own activation regions: the domain box split, neuron by neuron, into exact
convex polytopes on which every neuron's activation is fixed, then by g = 0 and by the
target's faces (own code: nothing of ``symbolic.regions`` / ``polytope``).

A region is kept in double description: its vertices (exact mpq) and, per vertex, the bit
set of the hyperplanes it lies on (box faces 0 .. 2d-1, then one bit per cutting hyperplane).
Cutting by h(x) = a . x + c (affine on the region) when vertices of both strict signs exist:

* the new vertices are the points z = u + t (v - u), t = h(u)/(h(u) - h(v)), on the edges
  [u, v] with h(u) > 0 > h(v). Two vertices u, v are joined by an edge iff the face
  F = {x in P : every inequality tight at both u and v is tight} contains no third vertex
  (F is the smallest face holding u and v: the inequalities tight at the midpoint are those
  tight at both; a face with two vertices is their segment). So: |T(u) & T(v)| >= d - 1 and
  no other vertex w has T(w) >= T(u) & T(v) (bit sets, any valid inequalities);
* {h >= 0}: the vertices with h >= 0 and the new ones; {h <= 0} likewise; the new bit is set
  on every vertex with h = 0 (there the hyperplane is tight).
When no vertex has a strict sign change the hyperplane misses the open region (it is then a
valid inequality: its bit is still set on the vertices where h = 0).

The pre-activation of neuron j of a layer is affine on a region once the earlier neurons are
fixed: z_j = sum_k W_jk h_k + b_j with h_k = z_k (active: z_k >= 0 on the region) or 0.
Regions are visited depth first (an explicit stack): memory is that of one branch, not of
every region. Caps are checked before and during the work (:class:`TooLarge`).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from gmpy2 import mpq

Point = tuple[Any, ...]
Affine = list[Any]            # [a_1, ..., a_d, c]: x -> a . x + c

MAX_REGIONS = 60_000
MAX_DIM = 8                   # 2^d box vertices and up to d! simplices per region: refused above
MAX_VERTICES = 4_000          # vertices of one region
ZERO = mpq(0)


class TooLarge(Exception):
    """A cap was reached (the checks that need the cells are then undecided, never passed)."""


@dataclass
class Region:
    """A convex polytope: vertices and their tight-hyperplane bit sets."""

    verts: list[Point]
    masks: list[int]


def box(lo: Sequence[Any], hi: Sequence[Any]) -> Region:
    """The box prod [lo_i, hi_i]: 2^d vertices, bit 2i on x_i = lo_i, bit 2i + 1 on x_i = hi_i."""
    d = len(lo)
    verts, masks = [], []
    for k in range(2 ** d):
        v = tuple(hi[i] if k >> i & 1 else lo[i] for i in range(d))
        verts.append(v)
        masks.append(sum(1 << (2 * i + (k >> i & 1)) for i in range(d)))
    return Region(verts, masks)


def evaluate(aff: Affine, verts: Sequence[Point]) -> list[Any]:
    """a . v + c at every vertex (only the nonzero a_i are multiplied)."""
    c = aff[-1]
    nz = [(i, a) for i, a in enumerate(aff[:-1]) if a]
    return [sum((a * v[i] for i, a in nz), c) for v in verts]


def cut(reg: Region, vals: Sequence[Any], bit: int) -> tuple[Region, Region] | None:
    """({h >= 0}, {h <= 0}) when h (values ``vals`` at the vertices) changes strict sign on the
    region, else None (after setting ``bit`` on the vertices where h = 0)."""
    flag = 1 << bit
    pos = [i for i, v in enumerate(vals) if v > 0]
    neg = [i for i, v in enumerate(vals) if v < 0]
    zero = [i for i, v in enumerate(vals) if v == 0]
    if not pos or not neg:
        for i in zero:
            reg.masks[i] |= flag
        return None
    d = len(reg.verts[0])
    masks = reg.masks
    n = len(masks)
    new_v: list[Point] = []
    new_m: list[int] = []
    for i in pos:
        mi, vi, hi = masks[i], reg.verts[i], vals[i]
        for j in neg:
            common = mi & masks[j]
            if common.bit_count() < d - 1:
                continue
            if any(k != i and k != j and masks[k] & common == common for k in range(n)):
                continue
            vj = reg.verts[j]
            t = hi / (hi - vals[j])
            new_v.append(tuple(a + t * (b - a) for a, b in zip(vi, vj)))
            new_m.append(common | flag)
    zv = [reg.verts[i] for i in zero]
    zm = [masks[i] | flag for i in zero]
    up = Region([reg.verts[i] for i in pos] + zv + new_v, [masks[i] for i in pos] + zm + new_m)
    down = Region([reg.verts[i] for i in neg] + list(zv) + list(new_v),
                  [masks[i] for i in neg] + list(zm) + list(new_m))
    if len(up.verts) > MAX_VERTICES or len(down.verts) > MAX_VERTICES:
        raise TooLarge(f"a region with more than {MAX_VERTICES} vertices")
    return up, down


def interior(reg: Region) -> Point:
    """The vertex average: interior to a full-dimensional region."""
    n = len(reg.verts)
    return tuple(sum((v[i] for v in reg.verts), ZERO) / n for i in range(len(reg.verts[0])))


# ------------------------------------------------------------------ the network's regions

def _combine(terms: Sequence[tuple[int, Any]], const: Any, h: Sequence[Affine | None], d: int) -> Affine | None:
    """sum_k w_k h_k + const for affine h_k (None = 0); None when no h_k contributes."""
    acc: Affine | None = None
    for k, wk in terms:
        hk = h[k]
        if hk is None:
            continue
        if acc is None:
            acc = [wk * y for y in hk]
        else:
            for m, y in enumerate(hk):
                if y:
                    acc[m] += wk * y
    if acc is not None:
        acc[d] += const
    return acc


def activation_regions(net: Any, lo: Sequence[Any], hi: Sequence[Any],
                       progress: Callable[[int], None] | None = None) -> Iterator[tuple[Region, Affine]]:
    """Every activation region of the hidden layers with g's affine map on it, depth first.

    ``net``: the checker's exact network (:class:`cells.Net`). Raises :class:`TooLarge` past
    :data:`MAX_DIM` (before any work) or :data:`MAX_REGIONS`."""
    d = len(lo)
    if d > MAX_DIM:
        raise TooLarge(f"the domain has d = {d} > {MAX_DIM} dimensions: the checker's exact regions start "
                       f"from the box's 2^{d} = {2 ** d} vertices and triangulate a region into up to d! simplices")
    layers = [[([(k, w) for k, w in enumerate(row) if w], b) for row, b in zip(weight, bias)]
              for weight, bias in net.layers]
    readout = [(k, w) for k, w in enumerate(net.readout) if w]
    ident: list[Affine | None] = [[mpq(1) if i == j else ZERO for j in range(d)] + [ZERO] for i in range(d)]
    bits = 2 * d
    first_bit = [bits + sum(len(lay) for lay in layers[:m]) for m in range(len(layers))]
    # a work item: (region, layer, neuron, the layer's inputs, its pre-activations, states so far)
    stack: list[tuple[Region, int, int, list[Affine | None], list[Affine | None] | None, tuple[int, ...]]] = [
        (box(lo, hi), 0, 0, ident, None, ())]
    count = 0
    while stack:
        reg, m, j, h, pre, states = stack.pop()
        if m == len(layers):
            count += 1
            if count > MAX_REGIONS:
                raise TooLarge(f"more than {MAX_REGIONS} activation regions")
            if progress is not None:
                progress(count)
            g = _combine(readout, net.readout_bias, h, d)
            yield reg, (g if g is not None else [ZERO] * d + [net.readout_bias])
            continue
        if pre is None:
            pre = [_combine(terms, b, h, d) for terms, b in layers[m]]
        if j == len(layers[m]):
            stack.append((reg, m + 1, 0, [p if s else None for p, s in zip(pre, states)], None, ()))
            continue
        aff = pre[j]
        if aff is None or not any(aff[:d]):
            const = layers[m][j][1] if aff is None else aff[d]
            stack.append((reg, m, j + 1, h, pre, states + (1 if const > 0 else 0,)))
            continue
        vals = evaluate(aff, reg.verts)
        parts = cut(reg, vals, first_bit[m] + j)
        if parts is None:
            stack.append((reg, m, j + 1, h, pre, states + (1 if any(v > 0 for v in vals) else 0,)))
        else:
            stack.append((parts[1], m, j + 1, h, pre, states + (0,)))
            stack.append((parts[0], m, j + 1, h, pre, states + (1,)))


Face = Affine | Callable[[Point], Affine]


def refine(reg: Region, faces: Sequence[Face], first_bit: int) -> list[Region]:
    """``reg`` cut by each face in turn; a face is an affine map, or a function giving its affine
    map on a piece from an interior point of the piece (piecewise affine faces, affine on every
    piece once the earlier faces are cut). An axis-aligned face x_i = t cuts a piece iff t lies
    strictly between the piece's least and greatest x_i (read off the vertices, once per piece);
    otherwise it is skipped (a valid inequality left out of the description: allowed)."""
    d = len(reg.verts[0])
    axis: list[tuple[int, Any] | None] = []
    for face in faces:
        nz = [] if callable(face) else [i for i in range(d) if face[i]]
        axis.append((nz[0], -face[d] / face[nz[0]]) if len(nz) == 1 and not callable(face) else None)
    pieces = [(reg, None)]
    for k, face in enumerate(faces):
        out: list[tuple[Region, Any]] = []
        for p, bounds in pieces:
            ax = axis[k]
            if ax is not None:
                if bounds is None:
                    bounds = [(min(v[i] for v in p.verts), max(v[i] for v in p.verts)) for i in range(d)]
                lo, hi = bounds[ax[0]]
                if not lo < ax[1] < hi:
                    out.append((p, bounds))
                    continue
            aff = face(interior(p)) if callable(face) else face
            parts = cut(p, evaluate(aff, p.verts), first_bit + k)
            out += [(p, bounds)] if parts is None else [(parts[0], None), (parts[1], None)]
        pieces = out
    return [p for p, _ in pieces]
