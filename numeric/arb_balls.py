"""Arb balls and exact rationals: a rational as a ball containing it, and a ball mid +/- rad
(mid and rad dyadic) read back as exact rational endpoints."""
from __future__ import annotations

from flint import arb, fmpq, fmpz
from gmpy2 import mpq

from relu_pointwise.symbolic.errors import EnclosureError
from relu_pointwise.symbolic.iterate import to_mpq


def _dyadic(man_exp: tuple) -> mpq:
    m, e = man_exp
    m = int(m)
    e = int(e)
    return mpq(m * 2 ** e) if e >= 0 else mpq(m, 2 ** (-e))


def ball_bounds(b: arb) -> tuple[mpq, mpq]:
    """Exact rationals lo <= hi with every point of the ball in [lo, hi].

    lo = mid - rad and hi = mid + rad, computed exactly from the midpoint and
    radius (both dyadic: man * 2^exp, read with ``man_exp``), so lo and hi are
    the ball's true endpoints, no rounding.
    """
    if not b.is_finite():
        raise EnclosureError(f"ball {b} is not finite")
    mid = _dyadic(b.mid().man_exp())
    rad = _dyadic(b.rad().man_exp())
    return mid - rad, mid + rad


def arb_from_rational(q) -> arb:
    """A ball containing the exact rational q (exact when q is dyadic and fits)."""
    q = to_mpq(q) if not isinstance(q, mpq) else q
    if q.denominator == 1:
        return arb(fmpz(int(q.numerator)))
    return arb(fmpq(int(q.numerator), int(q.denominator)))


def contains_rational(b: arb, q) -> bool:
    """Whether the exact rational q lies in the ball (decided exactly)."""
    lo, hi = ball_bounds(b)
    q = to_mpq(q)
    return lo <= q <= hi
