"""What every check shares: the outcome types and exact-or-Arb comparisons of values."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import flint
import sympy
from gmpy2 import mpq

from .read import W, q_of, rational, to_arb

CHECKED, FAILED, UNDECIDED, NOT_CLAIMED = "checked", "failed", "undecided", "not claimed"


class Fail(Exception):
    """The claim is false, or does not follow from what the checker established."""


class Undecided(Exception):
    """The checker cannot establish the claim (says why); never a pass."""


@dataclass(frozen=True)
class ClaimCheck:
    """The checker's verdict on one claim: ``status`` checked | failed | undecided | not claimed."""

    id: str
    status: str
    reason: str


def show(v: Any) -> str:
    v = mpq(v) if not isinstance(v, (str, flint.arb)) else v
    s = str(v)
    if len(s) <= 40:
        return s
    if isinstance(v, flint.arb):
        return s[:40]
    import gmpy2  # not float(): v may lie beyond a double's range (eta = 10^300 and more)

    return "~" + format(gmpy2.mpfr(v, 64), ".12g")


def lower(v: Any) -> Any:
    """An exact rational <= v (v an mpq or an Arb ball)."""
    if isinstance(v, flint.arb):
        m, e = v.lower().mid().man_exp()
        return mpq(int(m)) * mpq(2) ** int(e)
    return v


def upper(v: Any) -> Any:
    if isinstance(v, flint.arb):
        m, e = v.upper().mid().man_exp()
        return mpq(int(m)) * mpq(2) ** int(e)
    return v


def value(e: sympy.Expr, w: Any = None) -> Any:
    """An exact mpq when e is rational, else an Arb ball (at 256 bits)."""
    if w is not None:
        e = e.subs(W, sympy.Rational(int(w.numerator), int(w.denominator)))
    if e.is_Rational:
        return q_of(e)
    try:
        return to_arb(e)
    except ValueError as exc:
        raise Undecided(f"cannot evaluate {str(e)[:60]}: {exc}") from None


def same(a: Any, b: Any) -> bool | None:
    """True / False when decided; for Arb balls: overlap with both radii below 2^-200 (equality
    to 200 bits, said so in the report), False when disjoint, None otherwise."""
    if not isinstance(a, flint.arb) and not isinstance(b, flint.arb):
        return bool(a == b)
    A = a if isinstance(a, flint.arb) else flint.arb(flint.fmpq(int(a.numerator), int(a.denominator)))
    B = b if isinstance(b, flint.arb) else flint.arb(flint.fmpq(int(b.numerator), int(b.denominator)))
    if not A.overlaps(B):
        return False
    return True if (A.rad() < flint.arb(2) ** -200 and B.rad() < flint.arb(2) ** -200) else None


def le(a: Any, b: Any) -> bool | None:
    if upper(a) <= lower(b):
        return True
    if lower(a) > upper(b):
        return False
    return None


def at_most(a: Any, b: Any) -> bool:
    """a <= b decided: exactly, by disjoint balls, or equal to 200 bits (see :func:`same`)."""
    return same(a, b) is True or le(a, b) is True


def integer(text: Any, where: str) -> int:
    v = rational(text, where) if isinstance(text, str) else None
    if v is None or v.q != 1:
        raise Fail(f"{where}: expected an integer, got {str(text)[:30]!r}")
    return int(v)


MAX_DEGREE = 64
MAX_FORM = 4000          # characters of a closed form (SymPy's cancel on it must stay quick)


def bounded(L: sympy.Expr) -> None:
    """Refuse a closed form whose powers of w exceed MAX_DEGREE (bounded time in Poly and Sturm)."""
    for p in L.atoms(sympy.Pow):
        if p.exp.is_Number and abs(p.exp) > MAX_DEGREE:
            raise Undecided(f"the closed form has a power {p.exp} beyond {MAX_DEGREE}")
    if len(L.free_symbols - {W}) > 0:
        raise Fail("the closed form has symbols other than w")


def point_text(x: tuple[Any, ...]) -> str:
    return "(" + ", ".join(str(v) for v in x) + ")" if len(x) > 1 else str(x[0])
