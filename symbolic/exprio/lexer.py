"""The tokenizer, and integers <-> decimal text without Python's 4300-digit conversion limit."""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NoReturn

import sympy

from .grammar import MAX_DIGITS, ExprSyntaxError

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

