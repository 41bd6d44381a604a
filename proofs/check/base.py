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
    """True / False when decided: exact values compared exactly; Arb balls are different when
    disjoint, and never decided equal (overlapping balls, however narrow, prove nothing: equality
    of irrational values is decided exactly, by :func:`agree_expr`), so None then."""
    if not isinstance(a, flint.arb) and not isinstance(b, flint.arb):
        return bool(a == b)
    A = a if isinstance(a, flint.arb) else flint.arb(flint.fmpq(int(a.numerator), int(a.denominator)))
    B = b if isinstance(b, flint.arb) else flint.arb(flint.fmpq(int(b.numerator), int(b.denominator)))
    return False if not A.overlaps(B) else None


def le(a: Any, b: Any) -> bool | None:
    if upper(a) <= lower(b):
        return True
    if lower(a) > upper(b):
        return False
    return None


def at_most(a: Any, b: Any) -> bool:
    """a <= b decided: exactly, or by disjoint balls (see :func:`same`)."""
    return same(a, b) is True or le(a, b) is True


def integer(text: Any, where: str) -> int:
    v = rational(text, where) if isinstance(text, str) else None
    if v is None or v.q != 1:
        raise Fail(f"{where}: expected an integer, got {str(text)[:30]!r}")
    return int(v)


MAX_STEP = 10 ** 40      # a step index beyond this is refused (bounded arithmetic on hostile input)


def step(text: Any, where: str) -> int:
    """A step index: an integer t with 0 <= t <= MAX_STEP (there is no step -1)."""
    t = integer(text, where)
    if not 0 <= t <= MAX_STEP:
        raise Fail(f"{where} = {str(text)[:30]}: a step index is an integer from 0 to 10^40")
    return t


def fields(d: Any, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """The claim's data has exactly the keys the checker compares: every required key, and
    none it does not know (a field the checker does not check is refused)."""
    if not isinstance(d, dict):
        raise Fail("data is not an object")
    extra = sorted(k for k in d if k not in required and k not in optional)
    missing = [k for k in required if k not in d]
    if extra or missing:
        raise Fail("data: " + "; ".join(
            ([f"fields the checker does not check: {', '.join(extra)[:120]}"] if extra else [])
            + ([f"missing {', '.join(missing)[:120]}"] if missing else [])))
    return d


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


def agree(mine: Any, theirs: Any, what: str) -> None:
    """theirs = mine (the checker's own value): Fail when they differ (decided), Undecided
    when the enclosures cannot tell."""
    s = same(mine, theirs)
    if s is False:
        raise Fail(f"{what} = {show(theirs)}, the checker finds {show(mine)}")
    if s is None:
        raise Undecided(f"{what}: {show(theirs)} and the checker's {show(mine)} overlap but are not decided equal")


def exactly_equal(a: sympy.Expr, b: sympy.Expr) -> bool:
    """a = b for exact expressions (rationals, pi, rational powers): their difference expands to 0."""
    try:
        return bool(sympy.expand(sympy.sympify(a) - sympy.sympify(b)) == 0)
    except (TypeError, ValueError):
        return False


def agree_expr(mine: sympy.Expr, theirs: sympy.Expr, what: str) -> None:
    """:func:`agree` for exact expressions: equal when the difference expands to 0, else decided
    different by Arb (Fail) or undecided."""
    if not exactly_equal(mine, theirs):
        agree(value(mine), value(theirs), what)


def at_most_expr(a: sympy.Expr, b: sympy.Expr) -> bool:
    """a <= b for exact expressions: exactly equal, or decided by Arb."""
    return exactly_equal(a, b) or le(value(a), value(b)) is True


def not_above_expr(a: sympy.Expr, b: sympy.Expr, what: str) -> None:
    """:func:`not_above` for exact expressions (equality decided exactly first)."""
    if not exactly_equal(a, b):
        not_above(value(a), value(b), what)


def not_above(a: Any, b: Any, what: str) -> None:
    """a <= b: passes when decided (or equal to 200 bits), Fail when a > b is decided, else Undecided."""
    if at_most(a, b):
        return
    if le(a, b) is False:
        raise Fail(f"{what}: {show(a)} > {show(b)}")
    raise Undecided(f"{what}: {show(a)} <= {show(b)} is not decided")
