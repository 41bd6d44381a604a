"""Size guards: keep a short text from asking SymPy for a gigantic number or an endless evaluation."""
from __future__ import annotations

import math

import flint
import sympy
from flint import acb, arb, fmpq
from sympy import S

from .grammar import MAX_FLOOR_PREC, MAX_NUMBER_BITS

DEFAULT_PREC = 64
"""Arb precision, in bits, of the magnitude check on every number the reader builds."""

# ---------------------------------------------------------------------------
# size guards: keep a short text from asking SymPy for a gigantic number

def _lg(n: int) -> float:
    n = abs(n)
    if n <= 1:
        return 0.0
    return math.log2(n) if n.bit_length() < 1000 else float(n.bit_length())


def _raw_bits(e: sympy.Expr) -> float:
    """Rough size in bits of the rationals in a factor (bases of radicals included)."""
    if e.is_Rational:
        return _lg(e.p) + _lg(e.q)
    if e.is_Pow and e.base.is_Rational:
        return _lg(e.base.p) + _lg(e.base.q)
    if e.is_Mul:
        return sum(_raw_bits(a) for a in e.args)
    return 0.0


def _is_radical(e: sympy.Expr) -> bool:
    return bool(e.is_Pow and e.base.is_Rational and e.exp.is_Rational and not e.exp.is_Integer)


def _num_bits(e: sympy.Expr) -> float:
    """Rough size in bits of the exact numbers a factor contributes to a product."""
    if e.is_Rational:
        return _lg(e.p) + _lg(e.q)
    if e.is_Pow and e.base.is_Rational and e.exp.is_Rational:
        return (_lg(e.base.p) + _lg(e.base.q)) * abs(float(e.exp))
    if e.is_Mul:
        return sum(_num_bits(a) for a in e.args)
    return 0.0



# ---------------------------------------------------------------------------
# bounded numeric evaluation (Arb): magnitude of every number, floor/ceiling decided

class Unsupported(Exception):
    """A node the Arb evaluator does not know (the caller then leaves SymPy's result alone)."""


def _fmpq(q: sympy.Rational) -> acb:
    return acb(arb(fmpq(int(q.p), int(q.q))))


def _acb_of(e: sympy.Basic, memo: dict[sympy.Basic, acb]) -> acb:
    """Complex ball of the numeric expression ``e`` at the current ``flint.ctx.prec``.

    The tree is walked with an explicit stack (no recursion), each node once (``memo``).
    Non-finite balls are kept (Arb returns ``[+/- inf]`` for an overflow; the caller refuses them).
    """
    stack: list[tuple[sympy.Basic, bool]] = [(e, False)]
    while stack:
        node, ready = stack.pop()
        if node in memo:
            continue
        if not ready and node.args and not node.is_Rational:
            stack.append((node, True))
            stack.extend((a, False) for a in node.args if a not in memo)
            continue
        memo[node] = _acb_node(node, [memo[a] for a in node.args] if node.args and not node.is_Rational else [])
    return memo[e]


def _acb_node(node: sympy.Basic, args: list[acb]) -> acb:
    if node.is_Rational:
        return _fmpq(node)
    if node is S.Pi:
        return acb(arb.pi())
    if node is S.Exp1:
        return acb(arb.const_e())
    if node is S.ImaginaryUnit:
        return acb(0, 1)
    if node.is_Add:
        total = acb(0)
        for a in args:
            total += a
        return total
    if node.is_Mul:
        prod = acb(1)
        for a in args:
            prod *= a
        return prod
    if node.is_Pow:
        ex = node.args[1]
        if ex.is_Integer and abs(int(ex)) <= 2**20:
            return args[0] ** int(ex)
        if ex is S.Half:
            return args[0].sqrt()
        return args[0] ** args[1]
    unary = {sympy.exp: "exp", sympy.log: "log", sympy.acos: "acos", sympy.asin: "asin",
             sympy.atan: "atan", sympy.gamma: "gamma"}
    fn = unary.get(type(node))
    if fn is not None:
        return getattr(args[0], fn)()
    if isinstance(node, sympy.Abs):
        return acb(abs(args[0]))
    if isinstance(node, (sympy.floor, sympy.ceiling)):
        z = args[0]
        part = (lambda b: b.floor()) if isinstance(node, sympy.floor) else (lambda b: b.ceil())
        return acb(part(z.real), part(z.imag))
    if isinstance(node, (sympy.Min, sympy.Max)):
        if any(not a.imag.is_zero() for a in args):
            raise Unsupported(type(node).__name__)
        out = args[0].real
        for a in args[1:]:
            out = out.min(a.real) if isinstance(node, sympy.Min) else out.max(a.real)
        return acb(out)
    raise Unsupported(type(node).__name__)


def numeric_ball(e: sympy.Basic, prec: int, memo: dict[int, dict[sympy.Basic, acb]] | None = None) -> acb:
    """``e`` (a number: no free symbols) as an Arb complex ball at ``prec`` bits.

    ``memo`` keeps the balls of subexpressions per precision across calls (one parse).
    ``flint.ctx.prec`` is restored afterwards (other engines set it too).
    """
    old = flint.ctx.prec
    flint.ctx.prec = prec
    try:
        return _acb_of(e, {} if memo is None else memo.setdefault(prec, {}))
    finally:
        flint.ctx.prec = old


_HUGE = arb(2) ** MAX_NUMBER_BITS
_TINY = arb(2) ** -MAX_NUMBER_BITS


def magnitude_problem(e: sympy.Basic, memo: dict[int, dict[sympy.Basic, acb]]) -> str | None:
    """Why the number ``e`` (no free symbols) is out of range, or None.

    Refused: an enclosure that is not finite (Arb overflowed: ``exp(exp(exp(100)))``),
    an upper bound on ``|v|`` over ``2**MAX_NUMBER_BITS``, or a nonzero upper bound
    under ``2**-MAX_NUMBER_BITS`` (``exp(-exp(100))``: deciding anything about such a
    number costs precision in proportion to ``log |v|``).
    """
    prec = DEFAULT_PREC
    z = numeric_ball(e, prec, memo)
    while not z.is_finite() and prec < MAX_FLOOR_PREC:   # cancellation near 0 in a divisor, or overflow
        prec *= 4
        z = numeric_ball(e, prec, memo)
    if not z.is_finite():
        return f"too large or undefined (Arb finds no finite bound at {prec} bits: overflow, or a division by ~0)"
    up = z.abs_upper()
    if up > _HUGE:
        return f"too large (over 2**{MAX_NUMBER_BITS} in magnitude, the limit)"
    if not z.is_zero() and up < _TINY:
        return f"too small (nonzero and under 2**-{MAX_NUMBER_BITS} in magnitude, the limit)"
    return None


def decide_round(arg: sympy.Expr, up: bool, memo: dict[int, dict[sympy.Basic, acb]]) -> sympy.Expr | None:
    """``floor(arg)`` (``ceiling`` when ``up``) of a number, by Arb at doubling precision.

    From :data:`DEFAULT_PREC` bits up to :data:`MAX_FLOOR_PREC` bits: the first
    precision at which the enclosure's floor (ceiling) is one integer, for the real
    and imaginary parts (SymPy's convention: ``floor(a + b*I) = floor(a) + floor(b)*I``),
    gives the answer.  None when no precision up to the cap decides it (an integer
    value that SymPy did not simplify, or a number within ``2**-cap`` of an integer).
    """
    prec = DEFAULT_PREC
    while prec <= MAX_FLOOR_PREC:
        z = numeric_ball(arg, prec, memo)
        with flint.ctx.workprec(prec):           # floor rounds to the context precision too
            parts = [_unique_round(b, up) for b in (z.real, z.imag)]
        if None not in parts:
            re_part, im_part = parts
            return sympy.Integer(re_part) + sympy.Integer(im_part) * S.ImaginaryUnit
        prec *= 2
    return None


def _unique_round(b: arb, up: bool) -> int | None:
    if b.is_zero():
        return 0
    n = (b.ceil() if up else b.floor()).unique_fmpz()
    return None if n is None else int(n)


_TOWER = (sympy.exp, sympy.log)


def exp_height(e: sympy.Basic, memo: dict[sympy.Basic, int]) -> int:
    """Height of the tower of ``exp``, ``log`` and non-rational powers in ``e`` (no recursion)."""
    stack: list[tuple[sympy.Basic, bool]] = [(e, False)]
    while stack:
        node, ready = stack.pop()
        if node in memo:
            continue
        if not ready and node.args:
            stack.append((node, True))
            stack.extend((a, False) for a in node.args if a not in memo)
            continue
        inner = max((memo[a] for a in node.args), default=0)
        tower = isinstance(node, _TOWER) or (node.is_Pow and not node.args[1].is_Rational)
        memo[node] = inner + 1 if tower else inner
    return memo[e]
