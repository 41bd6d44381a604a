"""Exact numbers: read from user text, and converted between the libraries that hold them.

Grammar (our own, no eval, no sympify)::

    number   := sign? ( integer | integer "/" integer | decimal )
    decimal  := digits "." digits? | "." digits      (read as an exact decimal)

``0.25`` is the rational 1/4 exactly; ``1/3`` is one third; a float is never
formed.  A denominator of zero, an empty string, exponents (``1e3``) and
anything else are rejected with a :class:`InputError` naming the field.
"""
from __future__ import annotations

import numbers
import re
from fractions import Fraction
from typing import Any

import sympy
from gmpy2 import mpq

from .errors import InputError
from .limits import NUMBER_CHARS

# [0-9], never \d: \d also matches Arabic-Indic, full-width and other Unicode digits. The same
# shapes as exprio's reader (which decides); checked here first only to name the error plainly.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+/[0-9]+|[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_MAX_DIGITS = NUMBER_CHARS.value


def parse_number(text: str, what: str) -> sympy.Rational:
    """Read ``text`` as an exact rational; ``what`` names the field in errors.

    The one grammar of plain numbers is :func:`symbolic.exprio.rational_from_text` (the
    certificate reader uses it too, so whatever a command accepts, verify reads); here its
    syntax errors become :class:`InputError` naming the field, after the length limit for
    user-supplied numbers."""
    from .exprio import ExprSyntaxError, rational_from_text

    if not isinstance(text, str):
        raise InputError(f"{what}: expected a number as text, got {type(text).__name__}")
    s = text.strip(" \t\r\n")
    if len(s) > _MAX_DIGITS:
        raise InputError(f"{what}: a number of {len(s)} characters exceeds the limit {_MAX_DIGITS} characters")
    if not s or not _NUMBER.fullmatch(s):
        raise InputError(f"{what}: malformed number {text!r} (use an integer, p/q or a decimal)")
    try:
        return rational_from_text(s)
    except ExprSyntaxError as exc:
        detail = str(exc).split(": ", 1)[-1]
        raise InputError(f"{what}: {detail}" if "zero denominator" in detail
                         else f"{what}: malformed number {text!r} ({detail})") from None


def number_from_value(value: object, what: str) -> sympy.Rational:
    """Exact rational from a spec-file value: text, an int, or a float read by its shortest repr.

    A float from JSON/TOML (``0.1``) is taken as the decimal it was written as
    (``repr`` is the shortest string that reads back to the same double), so
    ``r = 1.5`` in a TOML file means exactly 3/2.
    """
    if isinstance(value, bool):
        raise InputError(f"{what}: expected a number, got a boolean")
    if isinstance(value, int):
        return sympy.Integer(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise InputError(f"{what}: not a finite number")
        text = repr(value)
        if "e" in text or "E" in text:
            value = Fraction(text)
            return sympy.Rational(value.numerator, value.denominator)
        return parse_number(text, what)
    if isinstance(value, str):
        return parse_number(value, what)
    raise InputError(f"{what}: expected a number, got {type(value).__name__}")


def api_number(value: object, what: str) -> sympy.Expr:
    """The Python API's one rule for numbers (``Problem(eta=...)``, ``d.L(w)``, ``d.Phi(w, eta)``, points).

    Exact values stay exact: ``int``, ``fractions.Fraction``, ``numbers.Rational`` (gmpy2 ``mpq``),
    SymPy rationals and exact real SymPy numbers (``sympy.pi / 4``); text is read by
    :func:`parse_number` (``"1/4"``, ``"0.25"``). A ``float`` is read as the shortest decimal that
    round-trips to it (its ``repr``): ``0.1`` is exactly 1/10, never the binary double
    3602879701896397/36028797018963968. Anything else (``"abc"``, ``None``, a complex, NaN, a
    boolean) raises :class:`InputError` naming ``what``.
    """
    if isinstance(value, sympy.Basic):
        if value.is_Rational:
            return value
        if value.is_number and value.is_real and not value.atoms(sympy.Float):
            return value
        raise InputError(f"{what}: expected an exact real number, got {value}", field=what)
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    if isinstance(value, numbers.Rational) and not isinstance(value, (bool, int)):
        return sympy.Rational(int(value.numerator), int(value.denominator))
    if isinstance(value, (bool, int, float, str)):
        return number_from_value(value, what)
    raise InputError(f"{what}: expected a number (int, Fraction, text such as '1/4', or a float read as its "
                     f"shortest decimal), got {type(value).__name__}", field=what)


def rational_text(q: sympy.Rational) -> str:
    """Canonical text of an exact rational: ``-3``, ``1/2``."""
    q = sympy.Rational(q)
    return str(q.p) if q.q == 1 else f"{q.p}/{q.q}"


# ---------------------------------------------------------------- conversions (the one place)
# Exact rationals live as sympy.Rational (derivations), gmpy2.mpq (fast exact arithmetic) and
# fractions.Fraction (the float64 batch points read exactly); floats are never exact inputs.

_MPQ = type(mpq(0))


def as_mpq(x: Any) -> Any:
    """An exact rational (int, Fraction, sympy Rational, mpz/mpq, ``numbers.Rational``,
    text ``"p/q"``) as gmpy2.mpq; a float or an irrational SymPy number raises TypeError."""
    if type(x) is _MPQ:
        return x
    if isinstance(x, int):
        return mpq(x)
    if isinstance(x, Fraction):
        return mpq(x.numerator, x.denominator)
    if getattr(x, "is_Rational", False):  # sympy.Rational / Integer
        return mpq(int(x.p), int(x.q))
    if isinstance(x, numbers.Integral):
        return mpq(int(x))
    if isinstance(x, numbers.Rational):
        return mpq(int(x.numerator), int(x.denominator))
    if isinstance(x, str):
        return mpq(x)
    raise TypeError(f"cannot convert {x!r} of type {type(x).__name__} to an exact rational "
                    "(floats are rejected; use Fraction or sympy.Rational)")


def as_rational(x: Any) -> sympy.Rational:
    """An exact rational (mpq, Fraction, int, sympy Rational) as sympy.Rational."""
    if isinstance(x, sympy.Rational):
        return x
    q = as_mpq(x)
    return sympy.Rational(int(q.numerator), int(q.denominator))


def as_float(x: Any, what: str = "number") -> float:
    """The float64 nearest to an exact rational (correctly rounded, via Fraction).

    A rational beyond float64's range (|x| >= 2^1024) is bad input for whatever wants a double
    (the float engines, the batch points): one :class:`InputError` naming ``what``.
    """
    q = as_mpq(x) if not isinstance(x, sympy.Basic) or x.is_Rational else None
    try:
        if q is None:
            return float(x)
        return float(Fraction(int(q.numerator), int(q.denominator)))
    except OverflowError:
        raise InputError(f"{what}: {_short_text(q if q is not None else x)} is beyond float64's range "
                         f"(about 1.8e308); the float engines and batch points cannot hold it", field=what) from None


def _short_text(x: Any) -> str:
    s = str(x)
    return s if len(s) <= 40 else f"{s[:20]}...({len(s)} characters)"

