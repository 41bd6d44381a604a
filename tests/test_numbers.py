"""The one module of exact-number conversions (symbolic.numbers): every route agrees exactly."""
from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from gmpy2 import mpq
from hypothesis import given
from hypothesis import strategies as st

from relu_pointwise.symbolic.numbers import as_float, as_mpq, as_rational

fractions = st.fractions(max_denominator=10**30)


@given(fractions)
def test_conversions_round_trip_exactly(f: Fraction):
    q = as_mpq(f)
    assert (q.numerator, q.denominator) == (f.numerator, f.denominator)
    r = as_rational(q)
    assert (r.p, r.q) == (f.numerator, f.denominator)
    assert as_mpq(r) == q and as_mpq(str(r)) == q and as_rational(f) == r


@given(fractions)
def test_as_float_is_correctly_rounded(f: Fraction):
    """float(Fraction) rounds to nearest; as_float must give that same double from every type."""
    expected = float(f)
    assert as_float(f) == as_float(as_mpq(f)) == as_float(as_rational(f)) == expected


def test_floats_and_irrationals_are_not_exact_inputs():
    for bad in (0.5, sympy.Float(0.5), sympy.sqrt(2)):
        with pytest.raises(TypeError):
            as_mpq(bad)
    assert as_mpq(mpq(1, 3)) == mpq(1, 3) and as_mpq(7) == 7
