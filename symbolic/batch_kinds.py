"""The registry of batch kinds (gradient-descent variants, docs/mathematics.md section 4).

Each kind is one small class stating the properties shared code asks about, plus how its
settings read and print; one instance is registered by name.  Shared code asks these
properties (``batch.kind.uses_points``, ``batch.kind.slabs`` ...) and never compares a
kind's name.  A new batch kind is one new class here (or in its own module) plus one
``register_batch_kind`` call.

- ``full``: every step is the population loss L(w) = E_mu[(f_w - f)^2] (cells, no seed);
- ``cyclic:K``: K slabs of equal mu-measure along x_1; step t uses slab t mod K (cells);
- ``sampled:M``: M fresh mu-points per step (points, stochastic);
- ``dataset:N,M``: N fixed mu-points drawn once, reshuffled each epoch, batches of M
  (points, a fixed dataset).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from .errors import InputError
from .limits import BATCH_POINTS, Limit, exceeded
from .numbers import parse_number


def _positive_int(text: str, what: str, limit: Limit | int) -> int:
    v = parse_number(text, what)
    if not v.is_integer or v < 1:
        raise InputError(f"{what}: must be a positive integer, got {text.strip()!r}")
    if v > int(limit):
        raise exceeded(what, text.strip(), limit)
    return int(v)


class BatchKind(ABC):
    """One batch kind.  Instances are singletons compared by identity; comparing a kind
    with a string is a programming error (it raises) so that no name comparison survives."""

    name: ClassVar[str] = ""
    syntax: ClassVar[str] = ""
    #: each step's loss is the population loss (no batches at all)
    population: ClassVar[bool] = False
    #: steps use sample points (``Batch.M`` per step) rather than cells of the partition
    uses_points: ClassVar[bool] = False
    #: the domain is cut into ``Batch.K`` slabs along x_1, visited in turn (period K)
    slabs: ClassVar[bool] = False
    #: every step draws fresh points from mu (a stochastic process: almost-sure claims)
    stochastic: ClassVar[bool] = False
    #: a fixed dataset of ``Batch.N`` points is drawn once and reused
    fixed_dataset: ClassVar[bool] = False

    @property
    def seeded(self) -> bool:
        """The run depends on the seed (points are drawn)."""
        return self.uses_points

    @abstractmethod
    def text(self, b: Batch) -> str:
        """The batch as the grammar writes it (``cyclic:4``)."""

    @abstractmethod
    def parse(self, arg: str, text: str) -> Batch:
        """The Batch for the text after ``name:`` (``arg``); ``text`` is the whole field."""

    def ints(self, b: Batch) -> tuple[int, ...]:
        """The integer settings, in the order the text lists them."""
        return ()

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<batch kind {self.name}>"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            raise TypeError(f"batch kind {self.name} compared with the string {other!r}: "
                            "ask its properties instead")
        return self is other

    def __hash__(self) -> int:
        return id(self)

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        # pickled (worker processes, Dask) and copied kinds come back as the registered singleton
        return (batch_kind, (self.name,))


def _batch(kind: BatchKind, **ints: int) -> Batch:
    return Batch(kind, **ints)


class Full(BatchKind):
    name = "full"
    syntax = "full"
    population = True

    def text(self, b: Batch) -> str:
        return "full"

    def parse(self, arg: str, text: str) -> Batch:
        if arg:
            raise InputError(f"batch: full takes no argument, got {text!r}")
        return _batch(self)


class Cyclic(BatchKind):
    name = "cyclic"
    syntax = "cyclic:K"
    slabs = True

    def text(self, b: Batch) -> str:
        return f"cyclic:{b.K}"

    def parse(self, arg: str, text: str) -> Batch:
        return _batch(self, K=_positive_int(arg, "batch cyclic:K", 10**6))

    def ints(self, b: Batch) -> tuple[int, ...]:
        return (b.K,)


class Sampled(BatchKind):
    name = "sampled"
    syntax = "sampled:M"
    uses_points = True
    stochastic = True

    def text(self, b: Batch) -> str:
        return f"sampled:{b.M}"

    def parse(self, arg: str, text: str) -> Batch:
        return _batch(self, M=_positive_int(arg, "batch sampled:M", BATCH_POINTS))

    def ints(self, b: Batch) -> tuple[int, ...]:
        return (b.M,)


class Dataset(BatchKind):
    name = "dataset"
    syntax = "dataset:N,M"
    uses_points = True
    fixed_dataset = True

    def text(self, b: Batch) -> str:
        return f"dataset:{b.N},{b.M}"

    def parse(self, arg: str, text: str) -> Batch:
        parts = arg.split(",")
        if len(parts) != 2:
            raise InputError(f"batch dataset: expected dataset:N,M, got {text!r}")
        n = _positive_int(parts[0], "batch dataset N", BATCH_POINTS)
        m = _positive_int(parts[1], "batch dataset M", BATCH_POINTS)
        if m > n:
            raise InputError(f"batch dataset: batch size M={m} exceeds dataset size N={n}")
        return _batch(self, N=n, M=m)

    def ints(self, b: Batch) -> tuple[int, ...]:
        return (b.N, b.M)


_REGISTRY: dict[str, BatchKind] = {}


def register_batch_kind(kind: BatchKind) -> BatchKind:
    """Register ``kind`` under ``kind.name``; returns it."""
    if not kind.name or kind.name in _REGISTRY:
        raise ValueError(f"batch kind {kind.name!r}: empty or already registered")
    _REGISTRY[kind.name] = kind
    return kind


FULL = register_batch_kind(Full())
CYCLIC = register_batch_kind(Cyclic())
SAMPLED = register_batch_kind(Sampled())
DATASET = register_batch_kind(Dataset())


@dataclass(frozen=True)
class Batch:
    """A gradient-descent variant (docs/mathematics.md, section 4; this module).

    ``kind`` is the registered BatchKind (a name is looked up on construction);
    ``full``: the population loss; ``cyclic:K``: K slabs of equal measure along x_1,
    step t uses slab t mod K; ``sampled:M``: M fresh mu-points per step;
    ``dataset:N,M``: N fixed points, reshuffled each epoch, batches of M.
    """

    kind: BatchKind = FULL  # a registered kind's name is looked up
    K: int = 0
    M: int = 0
    N: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", batch_kind(self.kind))

    def text(self) -> str:
        return self.kind.text(self)

    def ints(self) -> tuple[int, ...]:
        """The integer settings in text order (K; M; N, M; none for full)."""
        return self.kind.ints(self)



def batch_kind_names() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def batch_kind(name: str | BatchKind) -> BatchKind:
    """The registered kind called ``name`` (InputError naming the choices otherwise)."""
    if isinstance(name, BatchKind):
        return name
    try:
        return _REGISTRY[str(name).strip()]
    except KeyError:
        raise InputError(f"batch: unknown variant {name!r} ("
                         + ", ".join(k.syntax for k in _REGISTRY.values()) + ")", field="batch") from None


def parse_batch(text: str) -> Batch:
    """Read ``name`` or ``name:args`` into a Batch."""
    name, _, arg = str(text).partition(":")
    if name.strip() not in _REGISTRY:
        raise InputError(f"batch: unknown variant {text!r} ("
                         + ", ".join(k.syntax for k in _REGISTRY.values()) + ")", field="batch")
    return _REGISTRY[name.strip()].parse(arg, str(text))
