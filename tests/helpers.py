"""Shared by the engine tests: cached derivations and exact conversions."""
from __future__ import annotations

from fractions import Fraction
from functools import cache

import sympy

from relu_pointwise.symbolic.loss import derive
from relu_pointwise.symbolic.spec import make_spec


@cache
def derived(target: str, r: str = "2"):
    """derive(make_spec(target, r=r)), once per (target, r) in a test session."""
    return derive(make_spec(target, r=r))


def qf(f: Fraction) -> sympy.Rational:
    return sympy.Rational(f.numerator, f.denominator)
