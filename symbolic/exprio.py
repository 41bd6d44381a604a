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
``gamma`` of a number beyond 5000 in size, ``floor``/``ceiling`` of a number
beyond 10**4000 in size and a ``Min``/``Max`` of more than 16 arguments (after
SymPy flattens nested ones) are refused, and a result that is undefined
(``1/0``, ``log(0)``) is an error.  Anything else -- attribute access ``.``,
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

import keyword
import math
import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Callable, Iterator, Mapping, NoReturn

import sympy
from sympy import S

from .errors import SpecError

__all__ = [
    "DEFAULT_SYMBOLS",
    "ExprSyntaxError",
    "MAX_DEPTH",
    "MAX_DIGITS",
    "MAX_LENGTH",
    "from_text",
    "rational_from_text",
    "rational_to_text",
    "to_text",
]

MAX_LENGTH = 100_000
"""Longest text :func:`from_text` accepts, in characters."""
MAX_DEPTH = 200
"""Deepest nesting of parentheses, call arguments and ``**`` exponents."""
MAX_DIGITS = 10_000
"""Most digits in one numeric literal."""
MAX_NUMBER_BITS = 40_000
"""Rough bound, in bits, on an exact number the reader will compute."""
MAX_RADICAL_BITS = 1_000
"""Rough bound, in bits, on a number under a fractional power (SymPy factors it)."""
MAX_GAMMA_ARG = 5000
"""Largest ``|x|`` for ``gamma(x)`` of a rational ``x`` (it evaluates to a factorial)."""
MAX_MINMAX_ARGS = 16
"""Most arguments of one ``Min``/``Max`` after flattening (SymPy compares all pairs)."""
MAX_FLOOR_MAGNITUDE = sympy.Float(10) ** 4000
"""Largest numeric part for ``floor``/``ceiling`` (they compute its integer part)."""

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


class ExprSyntaxError(SpecError):
    """Text that is not a valid expression; a one-line message naming the bad part.

    A :class:`ValueError` (through :class:`~symbolic.errors.SpecError`, so the
    CLI reports it like any other bad input).
    """


# ---------------------------------------------------------------------------
# integers <-> decimal text without Python's 4300-digit conversion limit

_CHUNK = 3000  # digits; well under sys.get_int_max_str_digits()'s default


def _digits_to_int(digits: str) -> int:
    """Exact ``int`` of an ASCII digit string of any length."""
    if len(digits) <= _CHUNK:
        return int(digits)
    k = len(digits) // 2
    return _digits_to_int(digits[:-k]) * 10**k + _digits_to_int(digits[-k:])


def _int_to_digits(n: int) -> str:
    """Decimal text of an ``int`` of any size."""
    if n < 0:
        return "-" + _int_to_digits(-n)
    if n.bit_length() <= 3 * _CHUNK:  # < 2**9000 < 10**2710
        return str(n)
    k = int(n.bit_length() * 0.30103) // 2
    hi, lo = divmod(n, 10**k)
    return _int_to_digits(hi) + _int_to_digits(lo).rjust(k, "0")


# ---------------------------------------------------------------------------
# tokenizer

@dataclass(frozen=True)
class _Tok:
    kind: str  # "num", "name", "op", "end"
    text: str
    col: int  # 1-based


_NUM_RUN = re.compile(r"[0-9.][0-9A-Za-z_.]*")
_NUM_OK = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPACE = frozenset(" \t\r\n")
_DIGITS = frozenset("0123456789")
_OPS = ("**", "*", "/", "+", "-", "(", ")", ",")


def _show(text: str) -> str:
    """Quote a bad fragment for an error message, shortened if long."""
    if len(text) > 30:
        text = text[:27] + "..."
    return repr(text)


def _fail(where: str, message: str) -> NoReturn:
    raise ExprSyntaxError(f"{where}: {message}")


def _tokenize(text: str, where: str) -> Iterator[_Tok]:
    """Yield tokens lazily, so the leftmost problem is the one reported."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in _SPACE:
            i += 1
            continue
        if c in _DIGITS or (c == "." and i + 1 < n and text[i + 1] in _DIGITS):
            m = _NUM_RUN.match(text, i)
            assert m is not None
            run = m.group()
            if not _NUM_OK.fullmatch(run):
                _fail(where, f"malformed number {_show(run)} at column {i + 1}")
            ndigits = len(run) - run.count(".")
            if ndigits > MAX_DIGITS:
                _fail(where, f"numeric literal with {ndigits} digits at column {i + 1} "
                             f"(limit {MAX_DIGITS})")
            yield _Tok("num", run, i + 1)
            i = m.end()
            continue
        m = _NAME.match(text, i)
        if m:
            yield _Tok("name", m.group(), i + 1)
            i = m.end()
            continue
        for op in _OPS:
            if text.startswith(op, i):
                yield _Tok("op", op, i + 1)
                i += len(op)
                break
        else:
            _fail(where, f"unexpected {_show(c)} at column {i + 1}")
    yield _Tok("end", "", n + 1)


def _number(tok: _Tok) -> sympy.Rational:
    whole, _, frac = tok.text.partition(".")
    if not frac:
        return sympy.Integer(_digits_to_int(whole or "0"))
    return sympy.Rational(_digits_to_int((whole + frac).lstrip("0") or "0"), 10 ** len(frac))


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
# parser

class _Parser:
    def __init__(self, text: str, symbols: Mapping[str, sympy.Symbol], where: str) -> None:
        self.where = where
        self.symbols = symbols
        self.tokens = _tokenize(text, where)
        self.cur = next(self.tokens)

    # -- token helpers --------------------------------------------------------
    def fail(self, message: str) -> NoReturn:
        _fail(self.where, message)

    def peek(self) -> _Tok:
        return self.cur

    def take(self) -> _Tok:
        tok = self.cur
        if tok.kind != "end":
            self.cur = next(self.tokens)
        return tok

    def unexpected(self, tok: _Tok) -> NoReturn:
        if tok.kind == "end":
            self.fail(f"unexpected end of text at column {tok.col}")
        self.fail(f"unexpected {_show(tok.text)} at column {tok.col}")

    def expect(self, op: str) -> _Tok:
        tok = self.take()
        if tok.kind != "op" or tok.text != op:
            self.unexpected(tok)
        return tok

    def deeper(self, depth: int, tok: _Tok) -> int:
        if depth + 1 > MAX_DEPTH:
            self.fail(f"nesting deeper than {MAX_DEPTH} levels at column {tok.col}")
        return depth + 1

    def is_op(self, *ops: str) -> bool:
        return self.cur.kind == "op" and self.cur.text in ops

    # -- SymPy construction, guarded ------------------------------------------
    def build(self, tok: _Tok, fn: Callable[..., sympy.Expr], *args: sympy.Expr) -> sympy.Expr:
        try:
            value = fn(*args)
        except ExprSyntaxError:
            raise
        except Exception as exc:  # any SymPy failure is bad input, reported in one line
            detail = (str(exc).splitlines() or [""])[0][:80]
            self.fail(f"cannot evaluate {_show(tok.text)} at column {tok.col} "
                      f"({type(exc).__name__}: {detail})")
        for part in (value, *value.args):
            if part in _UNDEFINED:
                self.fail(f"{_show(tok.text)} at column {tok.col} gives an undefined value, "
                          f"{_UNDEFINED[part]}")
        return value

    def too_big(self, tok: _Tok, what: str) -> NoReturn:
        self.fail(f"{what} at column {tok.col} would be too large an exact number "
                  f"(limit about {MAX_NUMBER_BITS} bits)")

    def add(self, tok: _Tok, terms: list[sympy.Expr]) -> sympy.Expr:
        num = den = 0.0
        for term in terms:
            c = term.as_coeff_Mul()[0]
            if c.is_Rational:
                num = max(num, _lg(c.p))
                den += _lg(c.q)
        if num + den > MAX_NUMBER_BITS:
            self.too_big(tok, "sum")
        return self.build(tok, sympy.Add, *terms)

    def mul(self, tok: _Tok, factors: list[sympy.Expr]) -> sympy.Expr:
        if sum(_num_bits(f) for f in factors) > MAX_NUMBER_BITS:
            self.too_big(tok, "product")
        # equal-exponent radicals merge (sqrt(a)*sqrt(b) -> sqrt(a*b)), then SymPy factors
        if sum(_raw_bits(f) for f in factors if _is_radical(f)) > MAX_RADICAL_BITS:
            self.too_big_radical(tok, "product of radicals")
        return self.build(tok, sympy.Mul, *factors)

    def too_big_radical(self, tok: _Tok, what: str) -> NoReturn:
        self.fail(f"{what} at column {tok.col} has too large a number under the root "
                  f"(limit about {MAX_RADICAL_BITS} bits)")

    def check_power(self, tok: _Tok, base: sympy.Expr, exp: sympy.Expr) -> None:
        if not exp.is_Rational:
            return
        if not exp.is_Integer and sum(_raw_bits(f) for f in sympy.Mul.make_args(base)) \
                > MAX_RADICAL_BITS:
            self.too_big_radical(tok, "fractional power")
        if abs(exp) > 1:
            bits = sum(_num_bits(f) for f in sympy.Mul.make_args(base))
            if bits * abs(float(exp)) > MAX_NUMBER_BITS:
                self.too_big(tok, "power")

    def pow(self, tok: _Tok, base: sympy.Expr, exp: sympy.Expr) -> sympy.Expr:
        self.check_power(tok, base, exp)
        return self.build(tok, sympy.Pow, base, exp)

    def neg(self, tok: _Tok, value: sympy.Expr) -> sympy.Expr:
        return self.build(tok, lambda v: -v, value)

    def call(self, tok: _Tok, name: str, args: list[sympy.Expr]) -> sympy.Expr:
        arg = args[0]
        if name == "sqrt":
            self.check_power(tok, arg, S.Half)
        elif name == "exp":
            # exp(k*log(b)) evaluates to b**k
            for term in sympy.Add.make_args(arg):
                factors = sympy.Mul.make_args(term)
                logs = [f for f in factors if isinstance(f, sympy.log)]
                if len(logs) == 1:
                    k = sympy.Mul(*[f for f in factors if f is not logs[0]])
                    self.check_power(tok, logs[0].args[0], k)
        elif name in _VARIADIC:
            cls = _FUNCTIONS[name]
            count = sum(len(a.args) if type(a) is cls else 1 for a in args)
            if count > MAX_MINMAX_ARGS:
                self.fail(f"{name} at column {tok.col} would have {count} arguments "
                          f"(limit {MAX_MINMAX_ARGS})")
        elif name == "gamma":
            if arg.is_Rational and abs(arg) > MAX_GAMMA_ARG:
                self.fail(f"gamma argument at column {tok.col} is larger than {MAX_GAMMA_ARG}")
        elif name in ("floor", "ceiling"):
            numeric = [t for t in sympy.Add.make_args(arg) if t.is_number]
            if numeric:
                approx = self.build(tok, lambda: sympy.Add(*numeric).evalf(15))
                for part in approx.as_real_imag():
                    if part.is_Float and abs(part) > MAX_FLOOR_MAGNITUDE:
                        self.fail(f"{name} argument at column {tok.col} is too large "
                                  f"(limit 10**4000)")
        return self.build(tok, _FUNCTIONS[name], *args)

    # -- grammar -----------------------------------------------------------------
    def parse(self) -> sympy.Expr:
        if self.peek().kind == "end":
            self.fail("empty text")
        value = self.sum(0)
        tok = self.peek()
        if tok.kind != "end":
            self.unexpected(tok)
        return value

    def sum(self, depth: int) -> sympy.Expr:
        """sum := product {("+"|"-") product};  product := factor {("*"|"/") factor}.

        Both loops live in one function to keep Python recursion at three
        frames per nesting level.
        """
        first = prod_tok = self.peek()
        terms: list[sympy.Expr] = []
        term_op: _Tok | None = None  # the "+"/"-" before the current product
        factors = [self.factor(depth)]
        while True:
            tok = self.peek()
            if tok.kind == "op" and tok.text in ("*", "/"):
                self.take()
                f = self.factor(depth)
                factors.append(f if tok.text == "*" else self.pow(tok, f, S.NegativeOne))
                continue
            product = factors[0] if len(factors) == 1 else self.mul(prod_tok, factors)
            if term_op is not None and term_op.text == "-":
                product = self.neg(term_op, product)
            terms.append(product)
            if tok.kind == "op" and tok.text in ("+", "-"):
                term_op = self.take()
                prod_tok = self.peek()
                factors = [self.factor(depth)]
                continue
            break
        return terms[0] if len(terms) == 1 else self.add(first, terms)

    def factor(self, depth: int) -> sympy.Expr:
        """factor := {"+"|"-"} power;  power := primary ["**" factor]  (iterative)."""
        chain: list[tuple[list[_Tok], sympy.Expr, _Tok | None]] = []
        level = depth
        while True:
            signs = []
            while self.is_op("+", "-"):
                signs.append(self.take())
            value = self.primary(level)
            if self.is_op("**"):
                op = self.take()
                level = self.deeper(level, op)
                chain.append((signs, value, op))
                continue
            chain.append((signs, value, None))
            break
        result: sympy.Expr | None = None
        for signs, value, op in reversed(chain):
            result = value if result is None else self.pow(op, value, result)
            for sign in reversed(signs):
                if sign.text == "-":
                    result = self.neg(sign, result)
        assert result is not None
        return result

    def primary(self, depth: int) -> sympy.Expr:
        tok = self.take()
        if tok.kind == "num":
            return _number(tok)
        if tok.kind == "op" and tok.text == "(":
            value = self.sum(self.deeper(depth, tok))
            self.expect(")")
            return value
        if tok.kind != "name":
            self.unexpected(tok)
        name = tok.text
        if name in _FUNCTIONS:
            if not self.is_op("("):
                self.fail(f"function {name!r} at column {tok.col} must be called, "
                          f"as {name}(...)")
            inner = self.deeper(depth, self.take())
            args = [self.sum(inner)]
            while self.is_op(","):
                self.take()
                args.append(self.sum(inner))
            self.expect(")")
            if name not in _VARIADIC and len(args) != 1:
                self.fail(f"{name} at column {tok.col} takes 1 argument, got {len(args)}")
            return self.call(tok, name, args)
        if name in _CONSTANTS:
            return _CONSTANTS[name]
        if keyword.iskeyword(name):
            self.fail(f"unexpected keyword {name!r} at column {tok.col}")
        symbol = self.symbols.get(name)
        if symbol is None:
            allowed = ["E", "pi", *sorted(self.symbols)]
            shown = ", ".join(allowed[:14]) + (", ..." if len(allowed) > 14 else "")
            self.fail(f"unknown name {_show(name)} at column {tok.col} (allowed: {shown})")
        return symbol


def _check_symbols(symbols: Mapping[str, sympy.Symbol]) -> None:
    for name, sym in symbols.items():
        if not isinstance(name, str) or not _IDENT.fullmatch(name) or name in _RESERVED:
            raise ValueError(f"symbol name {name!r} is not an identifier free for symbols "
                             "(function names, pi, E and Python keywords are reserved)")
        if not isinstance(sym, sympy.Symbol):
            raise TypeError(f"symbol {name!r} maps to {type(sym).__name__}, not a sympy.Symbol")


def from_text(text: str, symbols: Mapping[str, sympy.Symbol] | None = None) -> sympy.Expr:
    """Read an exact expression written in the module grammar, without evaluating code.

    ``symbols`` is the allow-list of names that may appear (default
    :data:`DEFAULT_SYMBOLS`: ``w, s, t, eta, x, x1..x9``, all real); ``pi`` and
    ``E`` are the only constants.  Raises :class:`ExprSyntaxError` (a
    ``ValueError``) with a one-line message naming the bad part and column.
    """
    where = "expression"
    if not isinstance(text, str):
        raise ExprSyntaxError(f"{where}: expected text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        _fail(where, f"text has {len(text)} characters (limit {MAX_LENGTH})")
    if symbols is None:
        symbols = DEFAULT_SYMBOLS
    else:
        _check_symbols(symbols)
    try:
        return _Parser(text, symbols, where).parse()
    except RecursionError:
        _fail(where, "too deeply nested to evaluate")


# ---------------------------------------------------------------------------
# printer

_ADD, _MUL, _NEG, _POW, _ATOM = 1, 2, 3, 4, 5


@dataclass(frozen=True)
class _Out:
    """Printed form: ``text`` binds at ``prec``; ``neg`` means text is ``"-" + body``
    for a body ``body`` of precedence ``body_prec`` (used after a binary minus)."""

    text: str
    prec: int
    neg: bool = False
    body: str = ""
    body_prec: int = _ATOM


def _wrap(out: _Out, prec: int) -> str:
    return out.text if out.prec >= prec else f"({out.text})"


class _Printer:
    def __init__(self, structural: bool) -> None:
        self.structural = structural
        self.names: dict[str, sympy.Symbol] = {}

    def p(self, e: sympy.Basic) -> _Out:
        if e.is_Integer:
            s = _int_to_digits(abs(e.p))
            if e.p < 0:
                return _Out(f"(-{s})", _ATOM) if self.structural else _Out("-" + s, _NEG, True, s)
            return _Out(s, _ATOM)
        if e.is_Rational:
            s = f"{_int_to_digits(abs(e.p))}/{_int_to_digits(e.q)}"
            if self.structural:
                return _Out(f"({'-' if e.p < 0 else ''}{s})", _ATOM)
            if e.p < 0:
                return _Out("-" + s, _MUL, True, s, _MUL)
            return _Out(s, _MUL)
        if e.is_Symbol:
            name = e.name
            if not _IDENT.fullmatch(name) or name in _RESERVED:
                raise ValueError(f"to_text: symbol name {name!r} cannot be written "
                                 "(not an identifier, or a reserved name)")
            if self.names.setdefault(name, e) != e:
                raise ValueError(f"to_text: two different symbols are named {name!r}")
            return _Out(name, _ATOM)
        if e is S.Pi:
            return _Out("pi", _ATOM)
        if e is S.Exp1:
            return _Out("E", _ATOM)
        if e is S.ImaginaryUnit:
            return _Out("sqrt(-1)", _ATOM)
        if e.is_Add:
            return self.add(e)
        if e.is_Mul:
            return self.mul(e)
        if e.is_Pow:
            return self.pow(e)
        for name, fn in _FUNCTIONS.items():
            if name != "sqrt" and type(e) is fn:
                args = ", ".join(self.p(a).text for a in e.args)
                return _Out(f"{name}({args})", _ATOM)
        if e.is_Float:
            raise ValueError(f"to_text: floats are not exact ({e}); use a Rational")
        raise ValueError(f"to_text: unsupported expression type {type(e).__name__}")

    def add(self, e: sympy.Add) -> _Out:
        if self.structural:
            return _Out("(" + " + ".join(self.p(a).text for a in e.args) + ")", _ATOM)
        parts: list[str] = []
        for i, term in enumerate(e.as_ordered_terms()):
            out = self.p(term)
            if i == 0:
                parts.append(out.text)
            elif out.neg:
                parts.append(" - " + (out.body if out.body_prec > _ADD else f"({out.body})"))
            else:
                parts.append(" + " + _wrap(out, _ADD + 1))
        return _Out("".join(parts), _ADD)

    def mul(self, e: sympy.Mul) -> _Out:
        args = list(e.args)
        if self.structural:
            return _Out("(" + "*".join(self.p(a).text for a in args) + ")", _ATOM)
        coeff = args.pop(0) if args[0].is_Rational else S.One
        neg = coeff < 0
        coeff = abs(coeff)
        num: list[sympy.Expr] = [sympy.Integer(coeff.p)] if coeff.p != 1 else []
        den: list[sympy.Expr] = [sympy.Integer(coeff.q)] if coeff.q != 1 else []
        for f in args:
            if f.is_Pow and f.exp.is_Rational and f.exp.is_negative:
                den.append(sympy.Pow(f.base, -f.exp))
            else:
                num.append(f)
        # keep an Add off the front: "-(x + 1)*y" would read as (-(x + 1))*y
        num.sort(key=lambda f: f.is_Add)
        num_outs = [self.p(f) for f in num]
        num_text = "*".join(_wrap(o, _POW) for o in num_outs) or "1"
        if neg and num and num[0].is_Add:
            num_text = "1*" + num_text
        den_texts = [_wrap(self.p(f), _POW) for f in den]
        if not den_texts:
            body = num_text
        elif len(den_texts) == 1:
            body = f"{num_text}/{den_texts[0]}"
        elif len(den) == 2 and any(f.is_Add for f in den):
            # "/(2*(x + 1))" would read as 1/(2*x + 2)
            body = f"{num_text}/" + "/".join(den_texts)
        else:
            body = f"{num_text}/({'*'.join(den_texts)})"
        if body == num_text and len(num_outs) == 1 and not num_text.startswith("1*"):
            body_prec = max(num_outs[0].prec, _POW)  # wrapped below _POW, so an atom
        else:
            body_prec = _MUL
        if neg:
            return _Out("-" + body, min(_NEG, body_prec), True, body, body_prec)
        return _Out(body, body_prec)

    def pow(self, e: sympy.Pow) -> _Out:
        base, exp = e.args
        if self.structural:
            return _Out(f"({self.p(base).text}**{self.p(exp).text})", _ATOM)
        if exp is S.Half:
            return _Out(f"sqrt({self.p(base).text})", _ATOM)
        if exp.is_Rational and exp.is_negative:
            inv = self.p(sympy.Pow(base, -exp))
            return _Out(f"1/{_wrap(inv, _POW)}", _MUL)
        # ** groups to the right, so a power needs no parentheses as an exponent
        return _Out(f"{_wrap(self.p(base), _ATOM)}**{_wrap(self.p(exp), _POW)}", _POW)


_REEVALUATIONS = 8


def _reevaluate(e: sympy.Basic) -> sympy.Basic:
    """``e`` rebuilt bottom-up with normal evaluation."""
    if not e.args:
        return e
    return e.func(*[_reevaluate(a) for a in e.args])


def _canonical(e: sympy.Basic) -> sympy.Basic:
    """Re-evaluate until SymPy's evaluation is stable: the form :func:`to_text` writes.

    Usually ``e`` itself; SymPy's merging of radicals is not always idempotent
    (``sqrt(sqrt(sqrt(-48*pi/5)))`` changes when rebuilt), nor is an
    ``evaluate=False`` expression stable.
    """
    for _ in range(_REEVALUATIONS):
        again = _reevaluate(e)
        if again == e:
            break
        e = again
    return e


def as_basic(value: object) -> sympy.Basic:
    """An in-memory number or expression as a SymPy object (ints, Fractions, mpq,
    Rationals, expressions).  Text is refused: text is read only by :func:`from_text`."""
    if isinstance(value, sympy.Basic):
        return value
    if isinstance(value, bool) or isinstance(value, (str, bytes)):
        raise TypeError(f"as_basic: refusing {type(value).__name__}")
    if isinstance(value, int):
        return sympy.Integer(value)
    if hasattr(value, "numerator") and hasattr(value, "denominator"):
        return sympy.Rational(int(value.numerator), int(value.denominator))
    raise TypeError(f"as_basic: cannot convert {type(value).__name__}")


def to_text(expr: sympy.Expr) -> str:
    """Canonical text of ``expr`` in the module grammar; ``from_text`` reads it back.

    Deterministic.  The result is verified before it is returned:
    ``from_text(to_text(e), names) == e`` (structural SymPy equality), where
    ``names`` maps each free symbol's name to that symbol, for every ``e`` in
    SymPy's evaluated form built from integers, rationals, ``pi``, ``E``, ``I``,
    symbols, ``+``, ``*``, ``**`` and the grammar's functions.  An expression
    not in stable evaluated form (built with ``evaluate=False``, or one of the
    nested products or radical groupings SymPy occasionally leaves, e.g.
    ``sqrt(sqrt(4/3))``) is written as its bottom-up re-evaluation, repeated
    until stable -- the same value -- and reads back as that.

    Raises ``ValueError`` for what the grammar cannot express exactly (floats,
    infinities, other functions, symbol names that are not plain identifiers
    or are reserved, literals over :data:`MAX_DIGITS` digits, text over the
    reader's limits) and ``TypeError`` for non-expressions.
    """
    if isinstance(expr, bool) or not isinstance(expr, (int, sympy.Expr)):
        raise TypeError(f"to_text: expected a sympy expression, got {type(expr).__name__}")
    if isinstance(expr, int):
        expr = sympy.Integer(expr)
    last_error: ExprSyntaxError | None = None
    target: sympy.Basic = expr
    for _ in range(_REEVALUATIONS):
        for structural in (False, True):
            printer = _Printer(structural)
            text = printer.p(target).text
            try:
                if from_text(text, printer.names) == target:
                    return text
            except ExprSyntaxError as exc:
                last_error = exc
        again = _reevaluate(target)
        if again == target:
            break
        target = again
    reason = f": {last_error}" if last_error else ""
    raise ValueError(f"to_text: cannot write {type(expr).__name__} expression so that it "
                     f"reads back exactly{reason}")


# ---------------------------------------------------------------------------
# plain rationals

_RATIONAL = re.compile(r"([+-]?)(?:([0-9]+)/([0-9]+)|([0-9]+(?:\.[0-9]*)?|\.[0-9]+))")


def rational_from_text(text: str) -> sympy.Rational:
    """Read a plain exact number: ``-3``, ``1/2``, ``-7/3``, ``0.25`` (= 1/4 exactly).

    Grammar: ``[ "+" | "-" ] ( digits "/" digits | number )`` with ``number`` as
    in the module grammar, surrounding whitespace allowed.  Anything else, a
    zero denominator, or more than :data:`MAX_DIGITS` digits in a literal is
    an :class:`ExprSyntaxError`.
    """
    where = "rational"
    if not isinstance(text, str):
        raise ExprSyntaxError(f"{where}: expected text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        _fail(where, f"text has {len(text)} characters (limit {MAX_LENGTH})")
    s = text.strip(" \t\r\n")
    m = _RATIONAL.fullmatch(s)
    if not m:
        _fail(where, f"expected an integer, p/q or a decimal, got {_show(s)}")
    sign, p, q, dec = m.groups()
    for part in (p, q, dec):
        if part and len(part) - part.count(".") > MAX_DIGITS:
            _fail(where, f"literal with more than {MAX_DIGITS} digits")
    if dec is not None:
        value = _number(_Tok("num", dec, 1))
    else:
        den = _digits_to_int(q)
        if den == 0:
            _fail(where, f"zero denominator in {_show(s)}")
        value = sympy.Rational(_digits_to_int(p), den)
    return -value if sign == "-" else value


def rational_to_text(q: sympy.Rational | int) -> str:
    """Text of an exact rational: ``"1/2"``, ``"-3"`` (``rational_from_text`` reads it)."""
    if isinstance(q, bool) or not isinstance(q, (int, sympy.Rational)):
        raise TypeError(f"rational_to_text: expected a Rational or int, got {type(q).__name__}")
    q = sympy.Integer(q) if isinstance(q, int) else q
    if q.q == 1:
        return _int_to_digits(q.p)
    return f"{_int_to_digits(q.p)}/{_int_to_digits(q.q)}"
