"""Exact endpoints of Arb balls: a ball mid +/- rad, with mid and rad dyadic, read as rationals."""
from __future__ import annotations

from flint import arb
from gmpy2 import mpq

from relu_pointwise.symbolic.errors import EnclosureError


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
