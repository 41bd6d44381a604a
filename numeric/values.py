"""How one engine's numbers are shown, read as floats, and bounded.

Each engine keeps its own number type (exact ``gmpy2.mpq``, ``mpmath.mpf``, Arb
``flint.arb``, float64). A :class:`ValueFormat` is the one place that knows how to
print such a value, convert it to float for a plot or a float view, and, for a
rigorous type, give exact rational bounds lo <= value <= hi. Shared code (the
trajectory writers, the CLI) asks the format, never the engine's name.
"""
from __future__ import annotations

from typing import Any

from gmpy2 import mpq

__all__ = ["ValueFormat", "ExactFormat", "MpFormat", "ArbFormat", "FloatFormat", "format_mpq"]


def format_mpq(x: Any) -> str:
    """``p/q`` (or ``p`` for an integer) of an exact rational."""
    x = mpq(x)
    return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"


class ValueFormat:
    """Text, float and (for rigorous types) exact bounds of one engine's values."""

    rigorous_bounds = False

    def text(self, v: Any) -> str:
        return "" if v is None else repr(float(v))

    def to_float(self, v: Any) -> float:
        return float("nan") if v is None else float(v)

    def bounds(self, v: Any) -> tuple[mpq, mpq]:
        """Exact rationals lo <= v <= hi (only where ``rigorous_bounds``)."""
        raise TypeError(f"{type(self).__name__} values carry no rigorous bounds")


class ExactFormat(ValueFormat):
    """Exact rationals, written ``p/q``."""

    def text(self, v: Any) -> str:
        return "" if v is None else format_mpq(v)

    def to_float(self, v: Any) -> float:
        return float("nan") if v is None else float(mpq(v))


class MpFormat(ValueFormat):
    """mpmath numbers, written with ``dps`` significant digits."""

    def __init__(self, dps: int) -> None:
        self.dps = int(dps)

    def text(self, v: Any) -> str:
        import mpmath

        return "" if v is None else mpmath.nstr(v, self.dps, strip_zeros=False)


class ArbFormat(ValueFormat):
    """Arb balls ``[mid +/- rad]``, with their exact endpoints as bounds."""

    rigorous_bounds = True

    def __init__(self, digits: int = 40) -> None:
        self.digits = int(digits)

    def text(self, v: Any) -> str:
        return "" if v is None else v.str(self.digits, radius=True, more=True)

    def to_float(self, v: Any) -> float:
        return float("nan") if v is None else float(v.mid())

    def bounds(self, v: Any) -> tuple[mpq, mpq]:
        from .arb_balls import ball_bounds

        return ball_bounds(v)


class FloatFormat(ValueFormat):
    """float64, written by ``repr`` (round-trips exactly)."""
