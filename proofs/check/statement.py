"""The checker's own reading of the statement: the target, the domain, r and the measure.

The statement is read twice.  The shared parser (``symbolic.targets`` / ``symbolic.spec``)
builds the objects every claim is checked against; a bug there would fool the prover and
the checker alike.  This module is a second, small reader of the same text, written for
targets and domains with rational numbers only, and the checker compares the two readings:
a mismatch refuses the certificate; text this reader does not know is "undecided" (never
accepted).  It imports none of the shared parsing code.

Its grammar (the README's target grammar, rationals only: ``-?digits(/digits)?``)::

    expr  := term ("|" term)*          union: g = max of the terms' level functions
    term  := atom ("&" atom)*          intersection: g = min
    atom  := "(" expr ")" | basic
    basic := interval:A,B | union:A,B;A,B;... | box:A1,B1;... | halfspace:a1,...,ad,c
           | polytope:face;face;... (face a1,...,ad,c) | ball:d=D,R=R[,N=N]

Reading: a tree of level functions, g > 0 on the target.  ``("aff", a, c)`` is
g = a . x + c (an interval A,B is min(x - A, B - x); a face a,c is {a . x < c}, g = c - a . x);
``("min", ...)`` / ``("max", ...)``; ``("ball", R^2, d)`` is g = R^2 - |x|^2 and
``("deep", R^2, d, N)`` g = R^2 - sum_i q_N(|x_i|).  Readings are compared after
flattening nested min/min and max/max and sorting the children (both orders mean the same set).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from relu_pointwise.symbolic.batch_kinds import BatchKind, batch_kind
from relu_pointwise.symbolic.targets import Affine, DeepBall, ExactBall, Max, Min

NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(/[1-9][0-9]*)?")
MAX_TEXT = 20_000
MAX_DEPTH = 64


class Unreadable(Exception):
    """Text outside this reader's grammar: the statement is undecided."""


class Invalid(Exception):
    """Text inside the grammar that states no valid target (the shared parser should refuse it)."""


Node = tuple[Any, ...]


@dataclass(frozen=True)
class Reading:
    """The checker's reading of the statement."""

    tree: Node
    dim: int
    lo: tuple[Fraction, ...]
    hi: tuple[Fraction, ...]
    r: Fraction
    measure: str
    eta: Fraction
    w0: Fraction
    batch: tuple[BatchKind, tuple[int, ...]]


BATCH = re.compile(r"(full)|(cyclic|sampled):([1-9][0-9]*)|(dataset):([1-9][0-9]*),([1-9][0-9]*)")


def read_batch(text: str) -> tuple[BatchKind, tuple[int, ...]]:
    """``full`` | ``cyclic:K`` | ``sampled:M`` | ``dataset:N,M`` as (the registered kind, its integers)."""
    m = BATCH.fullmatch(text)
    if m is None:
        raise Unreadable(f"batch {text[:30]!r}")
    name = next(g for g in (m.group(1), m.group(2), m.group(4)) if g)
    ints = tuple(int(g) for g in m.groups()[2:] if g and g.isdigit())
    return batch_kind(name), ints


def number(text: str) -> Fraction:
    t = text.strip()
    if not NUMBER.fullmatch(t):
        raise Unreadable(f"{t[:40]!r} is not a rational written p/q")
    return Fraction(t)


def _numbers(text: str) -> list[Fraction]:
    return [number(p) for p in text.split(",")]


def _interval(a: Fraction, b: Fraction) -> Node:
    if not a < b:
        raise Invalid(f"interval {a},{b}: needs A < B")
    return ("min", ("aff", (Fraction(1),), -a), ("aff", (Fraction(-1),), b))


def _basic(text: str) -> tuple[Node, int]:
    kind, sep, body = text.strip().partition(":")
    if not sep:
        raise Unreadable(f"{text.strip()[:40]!r} is not KIND:ARGS")
    if kind in ("interval", "union", "box"):
        pairs = []
        for piece in body.split(";"):
            nums = _numbers(piece)
            if len(nums) != 2:
                raise Unreadable(f"{kind}: {piece.strip()[:40]!r} is not A,B")
            pairs.append((nums[0], nums[1]))
        if kind == "interval":
            if len(pairs) != 1:
                raise Unreadable("interval: one piece A,B")
            return _interval(*pairs[0]), 1
        if kind == "union":
            pairs.sort()
            if any(not b0 < a1 for (_, b0), (a1, _) in zip(pairs, pairs[1:])):
                raise Invalid("union: pieces overlap or touch")
            return ("max", *(_interval(a, b) for a, b in pairs)), 1
        d = len(pairs)
        faces: list[Node] = []
        for i, (a, b) in enumerate(pairs):
            if not a < b:
                raise Invalid(f"box: side {i + 1} needs A < B")
            e = [Fraction(0)] * d
            e[i] = Fraction(1)
            faces.append(("aff", tuple(e), -a))
            e = [Fraction(0)] * d
            e[i] = Fraction(-1)
            faces.append(("aff", tuple(e), b))
        return ("min", *faces), d
    if kind in ("halfspace", "polytope"):
        pieces = body.split(";")
        if kind == "halfspace" and len(pieces) != 1:
            raise Unreadable("halfspace: one face")
        out: list[Node] = []
        dims = set()
        for piece in pieces:
            nums = _numbers(piece)
            if len(nums) < 2:
                raise Unreadable(f"{kind}: a face is a1,...,ad,c")
            normal_, c = nums[:-1], nums[-1]
            if all(v == 0 for v in normal_):
                raise Invalid(f"{kind}: a face with normal 0")
            dims.add(len(normal_))
            out.append(("aff", tuple(-v for v in normal_), c))
        if len(dims) != 1:
            raise Invalid(f"{kind}: faces of different dimensions")
        return ("min", *out), dims.pop()
    if kind == "ball":
        fields: dict[str, Fraction] = {}
        for item in body.split(","):
            key, eq, val = item.partition("=")
            if not eq or key.strip() not in ("d", "R", "N") or key.strip() in fields:
                raise Unreadable(f"ball: {item.strip()[:40]!r}")
            fields[key.strip()] = number(val)
        if "d" not in fields or "R" not in fields:
            raise Unreadable("ball: needs d= and R=")
        dq, R = fields["d"], fields["R"]
        if dq.denominator != 1 or dq < 1 or not 0 < R < 1:
            raise Invalid("ball: d a positive integer, 0 < R < 1")
        if "N" in fields:
            N = fields["N"]
            if N.denominator != 1 or N < 1:
                raise Invalid("ball: N a positive integer")
            return ("deep", R * R, int(dq), int(N)), int(dq)
        return ("ball", R * R, int(dq)), int(dq)
    raise Unreadable(f"unknown target kind {kind[:30]!r}")


class _Reader:
    def __init__(self, text: str) -> None:
        self.text, self.pos, self.depth = text, 0, 0

    def peek(self) -> str:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def combine(self, op: str, items: list[tuple[Node, int]]) -> tuple[Node, int]:
        if len(items) == 1:
            return items[0]
        dims = {d for _, d in items}
        if len(dims) != 1:
            raise Invalid(f"'{op}' of targets of different dimensions")
        return ("max" if op == "|" else "min", *(n for n, _ in items)), dims.pop()

    def expr(self) -> tuple[Node, int]:
        items = [self.term()]
        while self.peek() == "|":
            self.pos += 1
            items.append(self.term())
        return self.combine("|", items)

    def term(self) -> tuple[Node, int]:
        items = [self.atom()]
        while self.peek() == "&":
            self.pos += 1
            items.append(self.atom())
        return self.combine("&", items)

    def atom(self) -> tuple[Node, int]:
        if self.peek() == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise Unreadable(f"parentheses nested deeper than {MAX_DEPTH}")
            self.pos += 1
            inner = self.expr()
            if self.peek() != ")":
                raise Unreadable("missing ')'")
            self.pos += 1
            self.depth -= 1
            return inner
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in "|&()":
            self.pos += 1
        return _basic(self.text[start:self.pos])


def read_target(text: str) -> tuple[Node, int]:
    """The target text as (tree, dimension) in this module's reading."""
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        raise Unreadable("empty or too long")
    rd = _Reader(text)
    out = rd.expr()
    if rd.peek():
        raise Unreadable(f"unexpected {rd.text[rd.pos:rd.pos + 20]!r}")
    return out


def read_domain(text: str, dim: int) -> tuple[tuple[Fraction, ...], tuple[Fraction, ...]]:
    """``LO,HI`` for every coordinate, or ``LO1,HI1;...;LOd,HId``."""
    pieces = text.split(";")
    if len(pieces) not in (1, dim):
        raise Invalid(f"domain: {len(pieces)} intervals for dimension {dim}")
    bounds = []
    for p in pieces:
        nums = _numbers(p)
        if len(nums) != 2 or not nums[0] < nums[1]:
            raise Invalid(f"domain: {p.strip()[:40]!r} is not LO,HI with LO < HI")
        bounds.append((nums[0], nums[1]))
    bounds = bounds * dim if len(bounds) == 1 else bounds
    return tuple(a for a, _ in bounds), tuple(b for _, b in bounds)


def read(inputs: dict[str, Any]) -> Reading:
    """The checker's reading of the inputs: the spec (target, domain, r, measure), eta, w0, batch."""
    spec_text = inputs["spec"]
    tree, dim = read_target(spec_text["target"])
    lo, hi = read_domain(spec_text["domain"], dim)
    r = number(spec_text["r"])
    if r < 1:
        raise Invalid("r < 1")
    if spec_text["measure"] not in ("probability", "lebesgue"):
        raise Unreadable(f"measure {spec_text['measure'][:30]!r}")
    eta, w0 = number(inputs["eta"]), number(inputs["w0"])
    if not eta > 0 or w0 < 0:
        raise Invalid("eta > 0 and w0 >= 0")
    return Reading(normal(tree), dim, lo, hi, r, spec_text["measure"], eta, w0, read_batch(inputs["batch"]))


# ---------------------------------------------------------------- comparison

def normal(node: Node) -> Node:
    """Flatten min-of-min and max-of-max, drop one-child nodes, sort children (same set)."""
    if node[0] not in ("min", "max"):
        return node
    kids: list[Node] = []
    for k in node[1:]:
        k = normal(k)
        kids.extend(k[1:] if k[0] == node[0] else (k,))
    if len(kids) == 1:
        return kids[0]
    return (node[0], *sorted(kids, key=repr))


def _frac(v: Any) -> Fraction:
    return Fraction(int(v.p), int(v.q)) if hasattr(v, "p") else Fraction(v)


def of_level(level: Any) -> Node:
    """The shared parser's level tree (symbolic.targets objects, read by kind) as a Node."""
    if isinstance(level, Affine):
        return ("aff", tuple(_frac(a) for a in level.coeffs), _frac(level.const))
    if isinstance(level, (Min, Max)):
        return ("min" if isinstance(level, Min) else "max", *(of_level(a) for a in level.args))
    if isinstance(level, ExactBall):
        return ("ball", _frac(level.R2), int(level.dim))
    if isinstance(level, DeepBall):
        return ("deep", _frac(level.R2), int(level.dim), int(level.N))
    raise Unreadable(f"the shared parser's target has a node {type(level).__name__} this reader does not know")


def _batch_of(training: Any) -> tuple[BatchKind, tuple[int, ...]]:
    b = training.batch
    return b.kind, tuple(int(v) for v in b.ints())


def differences(mine: Reading, spec: Any, training: Any) -> list[str]:
    """Where the shared parser's Spec and Training differ from this reading (empty when they agree)."""
    out = []
    if (_frac(training.eta), _frac(training.w0)) != (mine.eta, mine.w0):
        out.append(f"eta, w0: {training.eta}, {training.w0} against {mine.eta}, {mine.w0}")
    if _batch_of(training) != mine.batch:
        out.append(f"batch: {_batch_of(training)} against {mine.batch}")
    if normal(of_level(spec.target.level)) != mine.tree:
        out.append(f"target: the shared parser reads {show(normal(of_level(spec.target.level)))[:200]}, "
                   f"the checker reads {show(mine.tree)[:200]}")
    if spec.dim != mine.dim:
        out.append(f"dimension: {spec.dim} against {mine.dim}")
    lo, hi = tuple(map(_frac, spec.domain.lo)), tuple(map(_frac, spec.domain.hi))
    if (lo, hi) != (mine.lo, mine.hi):
        out.append(f"domain: {box(lo, hi)} against {box(mine.lo, mine.hi)}")
    if _frac(spec.r) != mine.r:
        out.append(f"r: {spec.r} against {mine.r}")
    if spec.measure != mine.measure:
        out.append(f"measure: {spec.measure} against {mine.measure}")
    return out


# ---------------------------------------------------------------- printing

def _linear(a: tuple[Fraction, ...]) -> str:
    parts = []
    for i, v in enumerate(a, start=1):
        if v == 0:
            continue
        mag = "" if abs(v) == 1 else f"{abs(v)} "
        sign = "-" if v < 0 else "+"
        parts.append((sign, f"{mag}x{i}"))
    text = "".join(f" {s} {t}" for s, t in parts).strip()
    return text[2:] if text.startswith("+ ") else "-" + text[2:]


def show(node: Node) -> str:
    """The target as inequalities: g > 0 of each affine piece as a . x > -c (or < when a <= 0)."""
    kind = node[0]
    if kind == "aff":
        a, c = node[1], node[2]
        first = next(v for v in a if v != 0)
        if first > 0:
            return f"{_linear(a)} > {-c}"
        return f"{_linear(tuple(-v for v in a))} < {c}"
    if kind == "ball":
        return f"|x|^2 < {node[1]}"
    if kind == "deep":
        return (f"{node[1]} - sum_i q_{node[3]}(|x_i|) > 0 (q_N: the depth-N chord interpolant of u^2, "
                f"the ball |x|^2 < {node[1]} in the limit)")
    joiner = " and " if kind == "min" else " or "
    return joiner.join(s if k[0] in ("aff", "ball", "deep") else f"({s})" for k in node[1:] for s in [show(k)])


def box(lo: tuple[Fraction, ...], hi: tuple[Fraction, ...]) -> str:
    return " x ".join(f"[{a}, {b}]" for a, b in zip(lo, hi))
