"""The recursive-descent parser (three Python frames per nesting level, depth checked first)."""
from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Mapping
from typing import NoReturn

import sympy
from sympy import S

from .grammar import (
    _CONSTANTS,
    _FUNCTIONS,
    _IDENT,
    _RESERVED,
    _UNDEFINED,
    _VARIADIC,
    DEFAULT_SYMBOLS,
    MAX_DEPTH,
    MAX_DIGITS,
    MAX_EXP_HEIGHT,
    MAX_FLOOR_PREC,
    MAX_GAMMA_ARG,
    MAX_LENGTH,
    MAX_MINMAX_ARGS,
    MAX_NUMBER_BITS,
    MAX_OPERATIONS,
    MAX_RADICAL_BITS,
    ExprSyntaxError,
    UndecidableError,
)
from .guards import (
    Unsupported,
    _is_radical,
    _lg,
    _num_bits,
    _raw_bits,
    decide_round,
    exp_height,
    magnitude_problem,
)
from .lexer import _digits_to_int, _fail, _number, _show, _Tok, _tokenize

# ---------------------------------------------------------------------------
# parser

class _Parser:
    def __init__(self, text: str, symbols: Mapping[str, sympy.Symbol], where: str) -> None:
        self.where = where
        self.symbols = symbols
        self.tokens = _tokenize(text, where)
        self.cur = next(self.tokens)
        self.work = 0                    # operations + arguments built so far (MAX_OPERATIONS)
        self.balls: dict = {}            # Arb balls of numeric subexpressions, per precision
        self.heights: dict = {}          # exp/log tower heights of subexpressions

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
        self.work += 1 + len(args)      # SymPy's cost grows with the operations and their arguments
        if self.work > MAX_OPERATIONS:
            self.fail(f"more than {MAX_OPERATIONS} operations and arguments by column {tok.col} "
                      f"(limit {MAX_OPERATIONS}; the toolkit's own expressions use a few hundred)")
        try:
            value = fn(*args)
        except ExprSyntaxError:
            raise
        except Exception as exc:  # noqa: BLE001 -- any SymPy failure is bad input, reported in one line
            detail = (str(exc).splitlines() or [""])[0][:80]
            self.fail(f"cannot evaluate {_show(tok.text)} at column {tok.col} "
                      f"({type(exc).__name__}: {detail})")
        for part in (value, *value.args):
            if part in _UNDEFINED:
                self.fail(f"{_show(tok.text)} at column {tok.col} gives an undefined value, "
                          f"{_UNDEFINED[part]}")
        self.bounded(tok, value)
        return value

    def bounded(self, tok: _Tok, value: sympy.Expr) -> None:
        """Refuse a number with a tower of exp/log deeper than MAX_EXP_HEIGHT, or whose Arb
        enclosure is out of range (guards.magnitude_problem): before SymPy is asked
        anything else about it."""
        if value.is_number and not value.is_Rational:
            # a symbolic tower (exp(exp(w))) is inert text; a numeric one is what evalf explodes on
            if exp_height(value, self.heights) > MAX_EXP_HEIGHT:
                self.fail(f"{_show(tok.text)} at column {tok.col}: a number with an exp/log/power tower "
                          f"higher than the limit {MAX_EXP_HEIGHT} levels")
            try:
                problem = magnitude_problem(value, self.balls)
            except Unsupported:
                return
            if problem:
                self.fail(f"the number at {_show(tok.text)} column {tok.col} is {problem}")

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
        elif name in ("floor", "ceiling") and arg.is_number and not arg.is_Rational:
            # SymPy would evalf with no bound on the work; Arb at doubling precision, capped
            try:
                decided = decide_round(arg, name == "ceiling", self.balls)
            except Unsupported:
                decided = None
            if decided is None:
                raise UndecidableError(f"{self.where}: {name} argument at column {tok.col}: undecidable within "
                                       f"the limit (Arb precision up to {MAX_FLOOR_PREC} bits)")
            return decided
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
            minus = [sign for sign in signs if sign.text == "-"]
            if len(minus) % 2:          # -(-v) is v exactly: one negation per odd run of signs
                result = self.neg(minus[0], result)
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

