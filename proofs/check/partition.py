"""The checker's partition of the domain: its own activation regions (:mod:`.activation`) cut by
g = 0 and by the target's faces, each cell with g's affine map, f° and one interior point,
and the pushforward of Lebesgue measure under |g| accumulated on the way from the (uncut)
activation regions (:mod:`.density`).

On each open cell g is affine with one strict sign (or identically 0) and f° is constant, so
sign(g) = sign(target) at the cell's interior point decides the whole open cell; the cells
partition the domain up to their boundaries (measure zero), so their volumes sum to the
domain's (checked: :attr:`Partition.volume`).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .activation import MAX_REGIONS, TooLarge, activation_regions, evaluate, interior, refine
from .cells import Net, q, target_faces, target_value
from .density import Pushforward

Point = tuple[Any, ...]

ProgressHook = Callable[[str, int, "int | None"], None]
_HOOK: list[ProgressHook | None] = [None]


class check_progress:  # noqa: N801 (used as a context manager, like symbolic.limits.region_progress)
    """Within the block, ``callback(what, done, estimate)`` hears the checker's running counts:
    ("cells", regions so far, the certificate's region count as the estimate or None),
    ("steps", enclosed steps so far, the steps needed) and ("claims", claims done, claims in all).
    The CLI draws them on a terminal; the library prints nothing."""

    def __init__(self, callback: ProgressHook | None) -> None:
        self.callback = callback
        self.saved: ProgressHook | None = None

    def __enter__(self) -> check_progress:
        self.saved, _HOOK[0] = _HOOK[0], self.callback
        return self

    def __exit__(self, *exc: object) -> None:
        _HOOK[0] = self.saved


def report_progress(what: str, done: int, estimate: int | None) -> None:
    callback = _HOOK[0]
    if callback is not None:
        callback(what, done, estimate)


@dataclass
class Cell:
    """One open cell: g(x) = a . x + c on it (``affine`` = [a, c]), f° there, an interior point;
    ``simplex`` holds the vertices (kept in d <= 2 only: the 1-D slab formulas read them) and
    ``g`` g's values there."""

    affine: list[Any]
    fo: Any
    interior: Point
    n_vertices: int
    simplex: tuple[Point, ...] = ()
    g: tuple[Any, ...] = ()

    @property
    def points(self) -> tuple[Point, ...]:
        """Where sign(g) = sign(target) is checked: the interior point decides the open cell."""
        return (self.interior,)


@dataclass
class Partition:
    cells: list[Cell]
    push: Pushforward
    regions: int

    @property
    def volume(self) -> Any:
        return self.push.volume


def partition(net: Net, level: Any, lo: Sequence[Any], hi: Sequence[Any], estimate: int | None = None) -> Partition:
    """The cells and the pushforward (module docstring). Raises :class:`TooLarge` at a cap."""
    if net.sqnorm:
        raise TooLarge("the exact-ball feature |x|^2 is not piecewise linear")
    lo_q, hi_q = [q(v) for v in lo], [q(v) for v in hi]
    faces = target_faces(level, lo_q, hi_q)
    if faces is None:
        raise TooLarge("the target's boundary is curved (exact ball)")
    if estimate is not None and estimate > MAX_REGIONS:
        raise TooLarge(f"the certificate counts {estimate} linear regions, over the checker's cap of {MAX_REGIONS}")
    d = len(lo_q)
    first = 2 * d + sum(len(b) for _, b in net.layers)
    push = Pushforward()
    cells: list[Cell] = []
    regions = 0

    def tick(n: int) -> None:
        if n % 64 == 0:
            report_progress("cells", n, estimate)

    for reg, g in activation_regions(net, lo_q, hi_q, tick):
        regions += 1
        push.add(reg, evaluate(g, reg.verts))
        for piece in refine(reg, [g, *faces], first):
            gv = evaluate(g, piece.verts)
            x = interior(piece)
            keep = d <= 2
            cells.append(Cell(g, target_value(level, x), x, len(piece.verts),
                              tuple(piece.verts) if keep else (), tuple(gv) if keep else ()))
    report_progress("cells", regions, estimate)
    return Partition(cells, push, regions)
