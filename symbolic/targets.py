"""Targets as level functions, and the target grammar.

A target is a set A = {x in Omega : g(x) > 0}; the toolkit's target function is
the normalized indicator f°(x) = 1 on g > 0, 0 on g < 0 and 1/2 on g = 0
(docs/mathematics.md, section 1).  ``g`` is an expression tree of exact pieces:

* ``Affine(a, c)``: g = a . x + c;
* ``Min(...)`` / ``Max(...)``: intersection / union;
* ``ExactBall(R2)``: g = R^2 - |x|^2 (the exact variable transformation, fed to the
  network as the input feature |x|^2);
* ``DeepBall(R2, N)``: g_N = R^2 - sum_i q_N(|x_i|), q_N Yarotsky's depth-N ReLU
  interpolant of u^2 at the points k / 2^N.

Target grammar (parsed by hand, never evaluated)::

    expr     := term ( "|" term )*            union (max of level functions)
    term     := atom ( "&" atom )*            intersection (min)
    atom     := "(" expr ")" | basic
    basic    := "interval:" A "," B                         1-D (A, B)
              | "union:" A "," B ( ";" A "," B )*          disjoint 1-D pieces
              | "box:" A1 "," B1 ( ";" Ai "," Bi )*        prod (Ai, Bi), d = number of pieces
              | "halfspace:" a1 "," ... "," ad "," c       {a . x < c}
              | "polytope:" face ( ";" face )*             face = a1,...,ad,c : {a . x < c}
              | "ball:" "d=" D "," "R=" R ( "," "N=" N )?   exact (no N) or deep (N)

Numbers are exact (see :mod:`symbolic.numbers`).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy

from .errors import InputError
from .limits import TARGET_DEPTH, TARGET_LENGTH, exceeded
from .numbers import parse_number, rational_text

Q = sympy.Rational

MAX_DIM = 8
MAX_DEPTH_N = 8


@dataclass(frozen=True)
class Affine:
    """g(x) = coeffs . x + const."""

    coeffs: tuple[sympy.Rational, ...]
    const: sympy.Rational


@dataclass(frozen=True)
class Min:
    """g = min of the children's level functions (intersection of their sets)."""

    args: tuple[Level, ...]


@dataclass(frozen=True)
class Max:
    """g = max of the children's level functions (union of their sets)."""

    args: tuple[Level, ...]


@dataclass(frozen=True)
class ExactBall:
    """g = R^2 - |x|^2, dimension ``dim``."""

    R2: sympy.Rational
    dim: int


@dataclass(frozen=True)
class DeepBall:
    """g_N = R^2 - sum_i q_N(|x_i|), q_N(u) = u - sum_{s=1..N} t_s(u) / 4^s."""

    R2: sympy.Rational
    dim: int
    N: int


Level = Affine | Min | Max | ExactBall | DeepBall


@dataclass(frozen=True)
class Domain:
    """The box Omega = prod [lo_i, hi_i], exact ends."""

    lo: tuple[sympy.Rational, ...]
    hi: tuple[sympy.Rational, ...]

    @property
    def dim(self) -> int:
        return len(self.lo)

    @property
    def volume(self) -> sympy.Rational:
        v = Q(1)
        for a, b in zip(self.lo, self.hi):
            v *= b - a
        return v

    def text(self) -> str:
        return ";".join(f"{rational_text(a)},{rational_text(b)}" for a, b in zip(self.lo, self.hi))

    @staticmethod
    def cube(dim: int, lo: object = -1, hi: object = 1) -> Domain:
        """[lo, hi]^dim (default [-1, 1]^dim)."""
        return Domain(tuple([Q(lo)] * dim), tuple([Q(hi)] * dim))


@dataclass(frozen=True)
class Requirement:
    """What a basic target needs of the domain: ``kind`` is ``"box"`` (the pieces
    (A_i, B_i) lie in the domain), ``"ball"`` (domain inside [-1,1]^d and the ball
    inside the domain) or ``"faces"`` (the polytope meets the domain's interior)."""

    kind: str
    label: str
    data: tuple


@dataclass(frozen=True)
class Target:
    """A parsed target: its canonical text, its dimension and its level function."""

    text: str
    dim: int
    level: Level
    requirements: tuple[Requirement, ...] = ()


# ---------------------------------------------------------------- evaluation

def q_deep(u: sympy.Rational, N: int) -> sympy.Rational:
    """Yarotsky's q_N(u) = u - sum_{s=1..N} t_s(u)/4^s for u in [0, 1] (exact)."""
    def tent(v):
        return 2 * max(v, 0) - 4 * max(v - Q(1, 2), 0) + 2 * max(v - 1, 0)

    total = Q(u)
    t = Q(u)
    for s in range(1, N + 1):
        t = tent(t)
        total -= t / Q(4) ** s
    return total


def level_value(level: Level, x: Sequence[sympy.Rational]) -> sympy.Rational:
    """Exact g(x) straight from the tree (a reference independent of the network)."""
    if isinstance(level, Affine):
        return sum((a * xi for a, xi in zip(level.coeffs, x)), Q(0)) + level.const
    if isinstance(level, Min):
        return min(level_value(c, x) for c in level.args)
    if isinstance(level, Max):
        return max(level_value(c, x) for c in level.args)
    if isinstance(level, ExactBall):
        return level.R2 - sum((Q(xi) ** 2 for xi in x), Q(0))
    if isinstance(level, DeepBall):
        return level.R2 - sum((q_deep(abs(Q(xi)), level.N) for xi in x), Q(0))
    raise TypeError(f"unknown level node {level!r}")


def level_dim(level: Level) -> int:
    if isinstance(level, Affine):
        return len(level.coeffs)
    if isinstance(level, (ExactBall, DeepBall)):
        return level.dim
    return level_dim(level.args[0])


def target_value(level: Level, x: Sequence[sympy.Rational]) -> sympy.Rational:
    """f°(x): 1 if g > 0, 0 if g < 0, 1/2 on g = 0."""
    g = level_value(level, x)
    return Q(1) if g > 0 else Q(0) if g < 0 else Q(1, 2)


def q_interp(u: Fraction, N: int) -> Fraction:
    """The piecewise-linear interpolant of u^2 at the nodes k / 2^N, u in [0, 1], by
    interpolation (not by the ReLU layers): with k = floor(2^N u) (k = 2^N - 1 at u = 1) and
    a = k / 2^N, the chord from (a, a^2) to (a + 2^-N, (a + 2^-N)^2) gives
    q = a^2 + (2k + 1) 2^-N (u - a) (exact)."""
    n = 1 << N
    k = min(int(u * n), n - 1)
    a = Fraction(k, n)
    return a * a + Fraction(2 * k + 1, n) * (u - a)


def side(level: Level, x: Sequence[Fraction]) -> int:
    """The side of x from the target's geometric definition, exactly: +1 inside A, -1
    outside, 0 on the boundary (so f°(x) = (side + 1) / 2).

    A face or half-space ``Affine``: sign(a . x + c); ``ExactBall``: sign(R^2 - |x|^2);
    ``DeepBall``: sign(R^2 - sum_i q(|x_i|)), q the interpolant of u^2 at k / 2^N
    (:func:`q_interp`); ``Min`` (intersection): the least side of the pieces, ``Max``
    (union): the greatest (the sign of a min / max is the min / max of the signs).
    Independent of the network: nothing here reads its weights.
    """
    if isinstance(level, (Min, Max)):
        sides = [side(c, x) for c in level.args]
        return min(sides) if isinstance(level, Min) else max(sides)
    xs = [Fraction(v) for v in x]
    if isinstance(level, Affine):
        v = sum((_frac(a) * xi for a, xi in zip(level.coeffs, xs)), _frac(level.const))
    elif isinstance(level, ExactBall):
        v = _frac(level.R2) - sum((xi * xi for xi in xs), Fraction(0))
    elif isinstance(level, DeepBall):
        v = _frac(level.R2) - sum((q_interp(abs(xi), level.N) for xi in xs), Fraction(0))
    else:
        raise TypeError(f"unknown level node {level!r}")
    return (v > 0) - (v < 0)


def _frac(q: sympy.Rational) -> Fraction:
    q = sympy.Rational(q)
    return Fraction(int(q.p), int(q.q))


def uses_exact_ball(level: Level) -> bool:
    if isinstance(level, ExactBall):
        return True
    if isinstance(level, (Min, Max)):
        return any(uses_exact_ball(c) for c in level.args)
    return False


# ---------------------------------------------------------------- parsing

def _numbers(text: str, what: str) -> list[sympy.Rational]:
    parts = text.split(",")
    if any(p.strip() == "" for p in parts):
        raise InputError(f"{what}: empty number in {text!r}")
    return [parse_number(p, what) for p in parts]


def _pairs(text: str, what: str) -> list[tuple[sympy.Rational, sympy.Rational]]:
    out = []
    for k, piece in enumerate(text.split(";"), start=1):
        nums = _numbers(piece, f"{what} piece {k}")
        if len(nums) != 2:
            raise InputError(f"{what} piece {k}: expected two numbers A,B, got {piece.strip()!r}")
        a, b = nums
        if not a < b:
            raise InputError(f"{what} piece {k}: need A < B, got {rational_text(a)},{rational_text(b)}")
        out.append((a, b))
    return out


def _interval_level(a, b) -> Level:
    # g = min(x - a, b - x)
    return Min((Affine((Q(1),), -a), Affine((Q(-1),), b)))


def _parse_basic(text: str) -> tuple[str, int, Level, tuple[Requirement, ...]]:
    kind, sep, body = text.partition(":")
    kind = kind.strip()
    if not sep:
        raise InputError(f"target: expected KIND:ARGS, got {text.strip()!r}")
    if kind == "interval":
        (a, b), = _pairs(body, "target interval") if ";" not in body else _bad_interval(body)
        canon = f"interval:{rational_text(a)},{rational_text(b)}"
        return canon, 1, _interval_level(a, b), (Requirement("box", canon, ((a, b),)),)
    if kind == "union":
        pieces = sorted(_pairs(body, "target union"), key=lambda p: p[0])
        for (a0, b0), (a1, b1) in zip(pieces, pieces[1:]):
            if not b0 < a1:
                raise InputError(
                    f"target union: pieces {rational_text(a0)},{rational_text(b0)} and "
                    f"{rational_text(a1)},{rational_text(b1)} overlap or touch")
        canon = "union:" + ";".join(f"{rational_text(a)},{rational_text(b)}" for a, b in pieces)
        levels = [_interval_level(a, b) for a, b in pieces]
        reqs = tuple(Requirement("box", f"{canon} piece {k}", (p,)) for k, p in enumerate(pieces, start=1))
        return canon, 1, (levels[0] if len(levels) == 1 else Max(tuple(levels))), reqs
    if kind == "box":
        pieces = _pairs(body, "target box")
        d = len(pieces)
        faces = []
        for i, (a, b) in enumerate(pieces):
            e = [Q(0)] * d
            e[i] = Q(1)
            faces.append(Affine(tuple(e), -a))
            e = [Q(0)] * d
            e[i] = Q(-1)
            faces.append(Affine(tuple(e), b))
        canon = "box:" + ";".join(f"{rational_text(a)},{rational_text(b)}" for a, b in pieces)
        return canon, d, Min(tuple(faces)), (Requirement("box", canon, tuple(pieces)),)
    if kind in ("halfspace", "polytope"):
        faces_text = [body] if kind == "halfspace" else body.split(";")
        if kind == "halfspace" and ";" in body:
            raise InputError("target halfspace: one face a1,...,ad,c only (use polytope: for several)")
        faces_ac: list[tuple[list, Any]] = []   # (normal a, offset c) per face
        dim: int | None = None
        for k, ft in enumerate(faces_text, start=1):
            nums = _numbers(ft, f"target {kind} face {k}")
            if len(nums) < 2:
                raise InputError(f"target {kind} face {k}: expected a1,...,ad,c")
            a, c = nums[:-1], nums[-1]
            if dim is None:
                dim = len(a)
            elif len(a) != dim:
                raise InputError(f"target {kind} face {k}: has {len(a)} coefficients, face 1 has {dim}")
            if all(ai == 0 for ai in a):
                raise InputError(f"target {kind} face {k}: normal vector is zero")
            faces_ac.append((a, c))
        canon = f"{kind}:" + ";".join(",".join(rational_text(v) for v in (*a, c)) for a, c in faces_ac)
        levels = [Affine(tuple(-ai for ai in a), c) for a, c in faces_ac]
        req = Requirement("faces", canon, tuple((tuple(a), c) for a, c in faces_ac))
        if dim is None:   # faces_text is never empty (split gives at least one piece)
            raise InputError(f"target {kind}: no faces")
        return canon, dim, (levels[0] if len(levels) == 1 else Min(tuple(levels))), (req,)
    if kind == "ball":
        fields = {}
        for item in body.split(","):
            key, eq, val = item.partition("=")
            key = key.strip()
            if not eq or key not in ("d", "R", "N"):
                raise InputError(f"target ball: unknown or malformed field {item.strip()!r} (use d=D,R=R[,N=N])")
            if key in fields:
                raise InputError(f"target ball: field {key} given twice")
            fields[key] = val.strip()
        if "d" not in fields or "R" not in fields:
            raise InputError("target ball: needs d=D and R=R")
        d = parse_number(fields["d"], "target ball d")
        if not d.is_integer or not 1 <= d <= MAX_DIM:
            raise InputError(f"target ball d: must be an integer from 1 to {MAX_DIM}, got {fields['d']}")
        d = int(d)
        R = parse_number(fields["R"], "target ball R")
        if not 0 < R < 1:
            raise InputError(f"target ball R: must satisfy 0 < R < 1, got {fields['R']}")
        if "N" in fields:
            N = parse_number(fields["N"], "target ball N")
            if not N.is_integer or not 1 <= N <= MAX_DEPTH_N:
                raise InputError(f"target ball N: must be an integer from 1 to {MAX_DEPTH_N}, got {fields['N']}")
            N = int(N)
            canon = f"ball:d={d},R={rational_text(R)},N={N}"
            return canon, d, DeepBall(R * R, d, N), (Requirement("ball", canon, (R,)),)
        canon = f"ball:d={d},R={rational_text(R)}"
        return canon, d, ExactBall(R * R, d), (Requirement("ball", canon, (R,)),)
    raise InputError(f"target: unknown kind {kind!r} (interval, union, box, halfspace, polytope, ball)")


def _bad_interval(body):
    raise InputError(f"target interval: expected A,B, got {body.strip()!r} (use union: for several pieces)")


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    def peek(self) -> str:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expr(self):
        items = [self.term()]
        while self.peek() == "|":
            self.pos += 1
            items.append(self.term())
        return _combine(items, "|", Max)

    def term(self):
        items = [self.atom()]
        while self.peek() == "&":
            self.pos += 1
            items.append(self.atom())
        return _combine(items, "&", Min)

    def atom(self):
        if self.peek() == "(":
            self.pos += 1
            inner = self.expr()
            if self.peek() != ")":
                raise InputError(f"target: missing ')' at column {self.pos + 1}")
            self.pos += 1
            return (f"({inner[0]})",) + tuple(inner[1:])
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in "|&()":
            self.pos += 1
        piece = self.text[start:self.pos]
        if not piece.strip():
            raise InputError(f"target: expected a target at column {start + 1}")
        return _parse_basic(piece)


def _combine(items, op, node):
    if len(items) == 1:
        return items[0]
    dims = {it[1] for it in items}
    if len(dims) != 1:
        raise InputError(f"target: cannot combine targets of dimensions {sorted(dims)} with '{op}'")
    reqs = tuple(r for it in items for r in it[3])
    return (f" {op} ".join(it[0] for it in items), dims.pop(), node(tuple(it[2] for it in items)), reqs)


def paren_depth(text: str) -> int:
    """Deepest nesting of ``(`` in ``text`` (a linear scan; unbalanced text is the parser's to report)."""
    depth = deepest = 0
    for ch in text:
        if ch == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == ")":
            depth = max(0, depth - 1)
    return deepest


def parse_target(text: str) -> Target:
    """Parse the target grammar above into a :class:`Target` (errors name the bad part)."""
    if not isinstance(text, str) or not text.strip():
        raise InputError("target: empty")
    if len(text) > TARGET_LENGTH.value:
        raise exceeded("target", f"a text of {len(text)} characters", TARGET_LENGTH)
    depth = paren_depth(text)
    if depth > TARGET_DEPTH.value:      # checked before the recursive-descent parser recurses
        raise exceeded("target", f"parentheses nested {depth} deep", TARGET_DEPTH)
    p = _Parser(text)
    canon, dim, level, reqs = p.expr()
    if p.peek():
        raise InputError(f"target: unexpected {p.text[p.pos:]!r} at column {p.pos + 1}")
    return Target(canon, dim, level, reqs)


# ---------------------------------------------------------------- cost, before any work

def _leaves(level: Level) -> int:
    """Number of affine leaves under a Min/Max tree (no recursion)."""
    count, stack = 0, [level]
    while stack:
        node = stack.pop()
        if isinstance(node, (Min, Max)):
            stack.extend(node.args)
        else:
            count += 1
    return count


def estimate_regions(level: Level, dim: int) -> int:
    """A cheap a-priori estimate of the number of linear regions of the level network.

    * deep ball ``ball:d=D,R=R,N=N``: q_N(|x_i|) has 2^(N+1) linear pieces on [-1, 1] in
      each coordinate, and the regions are their products: exactly (2^(N+1))^D
      (measured: 16 for D=1,N=3; 64 for D=2,N=2; 256 for D=2,N=3; 512 for D=3,N=2;
      4096 for D=3,N=3);
    * a min/max tree of k affine pieces in d dimensions: every pairwise min/max adds a
      hyperplane across the whole domain; the box (k = 2d) measured 3, 20, 132, 700, 4296
      regions for d = 1..5, about 0.6 * 6^d, scaled by k / (2d) for more pieces;
    * the exact ball: its regions are shells in |x|^2, a handful.

    An estimate (not a bound); the enumeration also counts as it goes
    (:func:`symbolic.limits.check_regions`).
    """
    balls = []
    stack: list[Level] = [level]
    while stack:
        node = stack.pop()
        if isinstance(node, (Min, Max)):
            stack.extend(node.args)
        elif isinstance(node, DeepBall):
            balls.append((2 ** (node.N + 1)) ** node.dim)
    est = 1
    for b in balls:
        est *= b
    k = _leaves(level) - len(balls)
    if k > 1:
        est *= max(1, round(0.6 * 6 ** dim * max(1.0, k / (2 * dim))))
    return est
