"""relu_pointwise.testing: every drawn value is valid input for the toolkit."""
from __future__ import annotations

import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from relu_pointwise.symbolic.numbers import parse_number
from relu_pointwise.symbolic.spec import make_spec
from relu_pointwise.symbolic.targets import parse_target
from relu_pointwise.testing import (
    intervals,
    points_in,
    rational_texts,
    rationals,
    specs,
    targets_1d,
    targets_2d,
    trainings,
)


@given(q=rationals(-2, 3, 5))
def test_rationals_in_range(q):
    assert isinstance(q, sympy.Rational) and -2 <= q <= 3 and q.q <= 5


@given(t=rational_texts(0, 1, 9))
def test_rational_texts_parse(t):
    assert 0 <= parse_number(t, "x") <= 1


@given(ab=intervals(-1, 1, 8, min_length=sympy.Rational(1, 4)))
def test_intervals_ordered(ab):
    a, b = ab
    assert -1 <= a < b <= 1 and b - a >= sympy.Rational(1, 4)


@settings(max_examples=60)
@given(text=targets_1d())
def test_targets_1d_parse_and_fit_the_domain(text):
    t = parse_target(text)
    assert t.dim == 1
    make_spec(text)          # the domain requirements hold (ends inside, union pieces disjoint)


@settings(max_examples=30)
@given(text=targets_2d())
def test_targets_2d_parse(text):
    assert make_spec(text).dim == 2


@settings(max_examples=20)
@given(data=st.data())
def test_specs_trainings_points_compose(data):
    spec = data.draw(specs(dim=1, r_values=("2", "3/2")))
    tr = data.draw(trainings(batches=("full", "cyclic:2", "sampled:4")))
    x = data.draw(points_in(spec))
    assert spec.r in (2, sympy.Rational(3, 2))
    assert tr.eta > 0 and tr.w0 >= 0
    assert all(lo <= v <= hi for v, lo, hi in zip(x, spec.domain.lo, spec.domain.hi))
