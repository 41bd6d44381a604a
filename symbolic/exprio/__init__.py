"""A safe text format for exact SymPy expressions: our own printer and parser.

Certificates and JSON exports store exact expressions (``1/(12*w)``,
``pi/(48*w)``, ``sqrt(2)*(1/2 - 3*w/4)**(5/2)/15``, ``eta/(12*w**2) + w``)
as text.  :func:`to_text` prints one, :func:`from_text` reads it back.  The
reader is a hand-written tokenizer plus recursive-descent parser that builds
SymPy objects directly (``Add``, ``Mul``, ``Pow``, ``Integer``, ``Rational``,
the allow-listed symbols, constants and functions).  It never calls
``eval``, ``exec``, ``sympify``, ``parse_expr`` or anything in
``sympy.parsing``, so reading a file cannot run code.

Grammar (EBNF; whitespace -- space, tab, CR, LF -- may separate tokens)::

    expression := sum
    sum        := product { ( "+" | "-" ) product }
    product    := factor { ( "*" | "/" ) factor }
    factor     := { "+" | "-" } power               (* unary sign *)
    power      := primary [ "**" factor ]           (* right-associative *)
    primary    := number | constant | symbol | call | "(" sum ")"
    call       := function "(" sum { "," sum } ")"
    number     := digit { digit } [ "." { digit } ] | "." digit { digit }
    constant   := "pi" | "E"
    function   := "sqrt" | "Abs" | "Min" | "Max" | "log" | "exp"
                | "acos" | "asin" | "atan" | "gamma" | "floor" | "ceiling"
    symbol     := identifier that is a key of the symbol allow-list
    identifier := ( letter | "_" ) { letter | digit | "_" }    (* ASCII *)

Precedence is Python's: ``**`` binds tightest and groups to the right, then
unary ``-``/``+`` (so ``-w**2`` is ``-(w**2)`` and ``2**-w`` is allowed),
then ``*``/``/``, then ``+``/``-``.  ``Min`` and ``Max`` take one or more
arguments, every other function exactly one.

Meaning:

* A number is an exact ``Integer``, or for a decimal the exact ``Rational``
  (``0.1`` is 1/10); a float is never formed.  No exponent notation.
* ``a - b`` is ``a + (-b)``, ``a / b`` is ``a * b**-1``, ``-a`` is SymPy's
  negation.  A whole chain ``t1 + t2 - t3`` is built as one
  ``Add(t1, t2, -t3)`` and a chain ``f1 * f2 / f3`` as one
  ``Mul(f1, f2, f3**-1)``, with normal evaluation (``evaluate=True``).
  (Python would build ``(f1*f2)*f3``; the n-ary form avoids SymPy's
  two-factor rule ``2*(x + 1) -> 2*x + 2`` firing on a partial product, and
  is what lets the printer's output read back to the identical expression.)
* The default symbols are ``w, s, t, eta, x, x1, ..., x9``, all real
  (:data:`DEFAULT_SYMBOLS`); a caller may pass its own allow-list.

Limits, each an :class:`ExprSyntaxError`: text at most 100_000 characters;
nesting (parentheses, call arguments, ``**`` exponents) at most 200 deep; a
numeric literal at most 10_000 digits; and -- so that a short text cannot make
SymPy compute for a very long time -- an exact numeric power, product or sum
is refused once its result would exceed about 40_000 bits, a fractional power
of a number over about 1_000 bits (SymPy factors it) is refused,
``gamma`` of a number beyond 5000 in size and a ``Min``/``Max`` of more than 16 arguments (after
SymPy flattens nested ones) are refused, and a result that is undefined
(``1/0``, ``log(0)``) is an error.  Every number the reader builds (no free
symbols) is enclosed by Arb at 64 bits first (:mod:`.guards`): one whose
magnitude is over ``2**40000``, nonzero under ``2**-40000``, or not finitely
enclosable (``exp(exp(exp(100)))``, ``exp(-exp(exp(100)))``), or that is a
tower of ``exp``/``log``/non-rational powers over 3 high, is refused before
SymPy is asked anything else about it.  ``floor``/``ceiling`` of a number is
decided by Arb at doubling precision up to 4096 bits, never by SymPy's
unbounded ``evalf``; when no precision up to the cap decides it (an integer
that SymPy did not simplify, such as ``log(8)/log(2)``) the reader raises
:class:`UndecidableError`, "undecidable within the limit".  The limits live in
:mod:`relu_pointwise.symbolic.limits`.  Anything else -- attribute access ``.``,
brackets, strings, ``=``, ``;``, keywords, unknown names, a comma outside a
call -- is an :class:`ExprSyntaxError` whose one-line message names the bad
part and its 1-based column, e.g. ``expression: unknown name '__import__' at
column 1 (allowed: E, pi, eta, s, t, w, x, x1, ...)``.

The printer writes exactly this grammar: ``**`` for powers, ``sqrt(..)`` for
square roots, ``p/q`` for rationals (parenthesised where precedence needs it),
``sqrt(-1)`` for the imaginary unit, no floats.  Its output is deterministic
and is checked by reading it back; if the pretty form would not read back to
the identical expression a fully parenthesised form is used, and if neither
does (or the text would break a limit) :func:`to_text` raises ``ValueError``.
Expressions not in SymPy's (stable) evaluated form are written as their
re-evaluation.
"""
from __future__ import annotations

from .grammar import (
    DEFAULT_SYMBOLS,
    MAX_DEPTH,
    MAX_DIGITS,
    MAX_EXP_HEIGHT,
    MAX_FLOOR_PREC,
    MAX_GAMMA_ARG,
    MAX_LENGTH,
    MAX_MINMAX_ARGS,
    MAX_NUMBER_BITS,
    MAX_RADICAL_BITS,
    ExprSyntaxError,
    UndecidableError,
)

# private names kept importable from here: the tests of the printer use them
from .lexer import _digits_to_int as _digits_to_int
from .lexer import _int_to_digits as _int_to_digits
from .parser import from_text, rational_from_text
from .printer import _REEVALUATIONS as _REEVALUATIONS
from .printer import _canonical as _canonical
from .printer import _Printer as _Printer
from .printer import _reevaluate as _reevaluate
from .printer import as_basic, rational_to_text, to_text

__all__ = [
    "DEFAULT_SYMBOLS",
    "MAX_DEPTH",
    "MAX_DIGITS",
    "MAX_EXP_HEIGHT",
    "MAX_FLOOR_PREC",
    "MAX_GAMMA_ARG",
    "MAX_LENGTH",
    "MAX_MINMAX_ARGS",
    "MAX_NUMBER_BITS",
    "MAX_RADICAL_BITS",
    "ExprSyntaxError",
    "UndecidableError",
    "as_basic",
    "from_text",
    "rational_from_text",
    "rational_to_text",
    "to_text",
]

