"""The grammar's vocabulary and limits: functions, constants, default symbols, reserved names."""
from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType

import sympy
from sympy import S

from ..errors import InputError
from ..limits import (
    EXP_HEIGHT,
    EXPR_DEPTH,
    EXPR_DIGITS,
    EXPR_LENGTH,
    EXPR_OPERATIONS,
    FLOOR_PREC_BITS,
    POW_BITS,
)

MAX_LENGTH = EXPR_LENGTH.value
"""Longest text :func:`from_text` accepts, in characters."""
MAX_DEPTH = EXPR_DEPTH.value
"""Deepest nesting of parentheses, call arguments and ``**`` exponents."""
MAX_DIGITS = EXPR_DIGITS.value
"""Most digits in one numeric literal."""
MAX_NUMBER_BITS = POW_BITS.value
"""Rough bound, in bits, on an exact number the reader will compute; also the bound
on ``|log2 |v||`` of every numeric value (an Arb enclosure decides it)."""
MAX_OPERATIONS = EXPR_OPERATIONS.value
"""Most SymPy operations plus their arguments one expression may build (linear work bound)."""
MAX_EXP_HEIGHT = EXP_HEIGHT.value
"""Deepest nesting of ``exp``/``log``/non-rational powers (a tower is where evaluation explodes)."""
MAX_FLOOR_PREC = FLOOR_PREC_BITS.value
"""Highest Arb precision, in bits, tried when deciding ``floor``/``ceiling`` of a number."""
MAX_RADICAL_BITS = 1_000
"""Rough bound, in bits, on a number under a fractional power (SymPy factors it)."""
MAX_GAMMA_ARG = 5000
"""Largest ``|x|`` for ``gamma(x)`` of a rational ``x`` (it evaluates to a factorial)."""
MAX_MINMAX_ARGS = 16
"""Most arguments of one ``Min``/``Max`` after flattening (SymPy compares all pairs)."""

DEFAULT_SYMBOLS: Mapping[str, sympy.Symbol] = MappingProxyType(
    {name: sympy.Symbol(name, real=True)
     for name in ("w", "s", "t", "eta", "x", *(f"x{i}" for i in range(1, 10)))}
)
"""The symbols :func:`from_text` allows when the caller gives none (all real)."""


_FUNCTIONS: dict[str, Callable[..., sympy.Expr]] = {
    "sqrt": sympy.sqrt,
    "Abs": sympy.Abs,
    "Min": sympy.Min,
    "Max": sympy.Max,
    "log": sympy.log,
    "exp": sympy.exp,
    "acos": sympy.acos,
    "asin": sympy.asin,
    "atan": sympy.atan,
    "gamma": sympy.gamma,
    "floor": sympy.floor,
    "ceiling": sympy.ceiling,
}
_VARIADIC = frozenset({"Min", "Max"})
_CONSTANTS: dict[str, sympy.Expr] = {"pi": S.Pi, "E": S.Exp1}
_RESERVED = frozenset(_FUNCTIONS) | frozenset(_CONSTANTS) | frozenset(keyword.kwlist)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_UNDEFINED = {
    S.ComplexInfinity: "zoo (complex infinity)",
    S.NaN: "nan",
    S.Infinity: "oo",
    S.NegativeInfinity: "-oo",
}



class ExprSyntaxError(InputError):
    """Text that is not a valid expression; a one-line message naming the bad part.

    A :class:`ValueError` (through :class:`~symbolic.errors.InputError`, so the
    CLI reports it like any other bad input).
    """




class UndecidableError(ExprSyntaxError):
    """A question the reader must answer (``floor`` of a number) that bounded work cannot decide:
    "undecidable within the limit".  Never a hang, never a guess."""
