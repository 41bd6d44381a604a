"""Hypothesis strategies for property-testing the toolkit and your own variants.

Modelled on ``hypothesis.strategies``: every function returns a
:class:`hypothesis.strategies.SearchStrategy`, takes keyword bounds, and composes
with ``.map``, ``.filter``, ``st.tuples`` and ``@st.composite``.  Numbers are exact
(sympy ``Rational``) with small denominators, so the symbolic engine stays fast and
shrinking leads to short, readable counterexamples (``0``, ``1/2``, ...).

Example::

    from hypothesis import given, settings
    import relu_pointwise as rp
    from relu_pointwise.testing import specs, trainings

    @settings(max_examples=5, deadline=None)
    @given(spec=specs(dim=1), training=trainings())
    def test_roundtrip(spec, training):
        cert = rp.Problem.from_spec(spec, training).certify(grid=5)
        assert rp.verify(cert).ok

Strategies:

* :func:`rationals` -- exact rationals in [min_value, max_value];
* :func:`rational_texts` -- the same as text (``"-3/8"``), as the CLI and spec files take them;
* :func:`intervals` -- (a, b) with min_value <= a < b <= max_value, optionally of length >= min_length;
* :func:`targets_1d` -- target texts ``interval:a,b`` and ``union:a1,b1;a2,b2;...`` (disjoint,
  not touching) inside a domain;
* :func:`targets_2d` -- ``box:`` and ``halfspace:`` texts meeting [-1, 1]^2;
* :func:`specs` -- :class:`symbolic.spec.Spec` objects (``dim`` 1 or 2, r from ``r_values``);
* :func:`trainings` -- :class:`symbolic.spec.Training` objects (eta, w0, batch, seed);
* :func:`points_in` -- exact points of a spec's domain;
* :func:`problems` -- :class:`relu_pointwise.Problem` objects (a spec and a training); registered
  for ``st.from_type(relu_pointwise.Problem)``.
"""
from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import sympy
from hypothesis import strategies as st

from relu_pointwise.problem import Problem
from relu_pointwise.symbolic.numbers import rational_text
from relu_pointwise.symbolic.spec import Spec, Training, make_spec, make_training

Q = sympy.Rational

__all__ = ["rationals", "rational_texts", "intervals", "targets_1d", "targets_2d", "specs", "trainings",
           "points_in", "problems"]


def _frac(v) -> Fraction:
    v = Q(v)
    return Fraction(int(v.p), int(v.q))


def rationals(min_value=-1, max_value=1, max_denominator: int = 16) -> st.SearchStrategy[sympy.Rational]:
    """Exact rationals q with min_value <= q <= max_value and denominator <= max_denominator."""
    return st.fractions(min_value=_frac(min_value), max_value=_frac(max_value),
                        max_denominator=max_denominator).map(lambda f: Q(f.numerator, f.denominator))


def rational_texts(min_value=-1, max_value=1, max_denominator: int = 16) -> st.SearchStrategy[str]:
    """:func:`rationals` written as the toolkit reads them: ``"p/q"`` or ``"n"``."""
    return rationals(min_value, max_value, max_denominator).map(rational_text)


def intervals(min_value=-1, max_value=1, max_denominator: int = 16, min_length=0
              ) -> st.SearchStrategy[tuple[sympy.Rational, sympy.Rational]]:
    """(a, b) with min_value <= a < b <= max_value and b - a >= min_length (and > 0)."""
    lo, hi = Q(min_value), Q(max_value)
    return (st.tuples(rationals(lo, hi, max_denominator), rationals(lo, hi, max_denominator))
            .map(lambda ab: (min(ab), max(ab)))
            .filter(lambda ab: ab[1] - ab[0] > 0 and ab[1] - ab[0] >= Q(min_length)))


@st.composite
def _union(draw, lo, hi, max_pieces, max_denominator):
    k = draw(st.integers(min_value=2, max_value=max_pieces))
    ends = draw(st.lists(rationals(lo, hi, max_denominator), min_size=2 * k, max_size=2 * k, unique=True))
    ends.sort()
    pieces = [(ends[2 * i], ends[2 * i + 1]) for i in range(k)]
    return "union:" + ";".join(f"{rational_text(a)},{rational_text(b)}" for a, b in pieces)


def targets_1d(domain: tuple = (-1, 1), max_pieces: int = 3, max_denominator: int = 8,
               unions: bool = True) -> st.SearchStrategy[str]:
    """1-D target texts inside ``domain``: an interval, or a union of 2..max_pieces disjoint
    intervals that do not touch (the grammar requires a gap), ends with small denominators."""
    lo, hi = Q(domain[0]), Q(domain[1])
    one = intervals(lo, hi, max_denominator).map(lambda ab: f"interval:{rational_text(ab[0])},{rational_text(ab[1])}")
    if not unions or max_pieces < 2:
        return one
    return st.one_of(one, _union(lo, hi, max_pieces, max_denominator))


def targets_2d(max_denominator: int = 4) -> st.SearchStrategy[str]:
    """2-D target texts in [-1, 1]^2: boxes, and half-spaces a1 x1 + a2 x2 < c crossing the square."""
    box = st.tuples(intervals(-1, 1, max_denominator), intervals(-1, 1, max_denominator)).map(
        lambda p: "box:" + ";".join(f"{rational_text(a)},{rational_text(b)}" for a, b in p))
    half = st.tuples(rationals(-1, 1, max_denominator), rationals(-1, 1, max_denominator),
                     rationals(Q(-1, 2), Q(1, 2), max_denominator)).filter(
        lambda t: t[0] != 0 or t[1] != 0).map(
        lambda t: f"halfspace:{rational_text(t[0])},{rational_text(t[1])},{rational_text(t[2])}").filter(
        lambda text: _crosses(text))
    return st.one_of(box, half)


def _crosses(text: str) -> bool:
    """The half-space's boundary line meets the open square (so the target is not empty or everything)."""
    a1, a2, c = (Q(v) for v in text.split(":")[1].split(","))
    vals = [a1 * x + a2 * y - c for x in (-1, 1) for y in (-1, 1)]
    return min(vals) < 0 < max(vals)


def specs(dim: int = 1, r_values: Sequence = ("2", "1", "3"), measures: Sequence[str] = ("probability",),
          max_denominator: int = 8) -> st.SearchStrategy[Spec]:
    """:class:`Spec` objects: ``dim`` 1 (:func:`targets_1d`) or 2 (:func:`targets_2d`) on [-1, 1]^dim,
    the loss exponent drawn from ``r_values`` (exact texts), the measure from ``measures``."""
    if dim == 1:
        targets = targets_1d(max_denominator=max_denominator)
    elif dim == 2:
        targets = targets_2d(max_denominator=min(max_denominator, 4))
    else:
        raise ValueError("specs: dim must be 1 or 2")
    return st.builds(lambda t, r, m: make_spec(t, None, r, m), targets, st.sampled_from(list(r_values)),
                     st.sampled_from(list(measures)))


_ETA_RANGE = (Q(1, 4), Q(2))
_SEEDS = st.integers(min_value=0, max_value=2 ** 32)


def trainings(eta: tuple = _ETA_RANGE, w0: tuple = (0, 2), batches: Sequence[str] = ("full",),
              max_denominator: int = 8, seeds: st.SearchStrategy[int] = _SEEDS) -> st.SearchStrategy[Training]:
    """:class:`Training` objects: eta in [eta[0], eta[1]] (> 0), w0 in [w0[0], w0[1]] (>= 0), a batch
    text from ``batches`` (e.g. "full", "cyclic:3", "sampled:8", "dataset:32,8"), a seed from ``seeds``."""
    etas = rationals(eta[0], eta[1], max_denominator).filter(lambda e: e > 0)
    w0s = rationals(max(Q(w0[0]), Q(0)), w0[1], max_denominator)
    return st.builds(lambda e, w, b, s: make_training(rational_text(e), rational_text(w), b, s),
                     etas, w0s, st.sampled_from(list(batches)), seeds)


@st.composite
def points_in(draw, spec: Spec, max_denominator: int = 32) -> tuple[sympy.Rational, ...]:
    """An exact point of ``spec``'s domain (each coordinate a small-denominator rational)."""
    return tuple(draw(rationals(lo, hi, max_denominator)) for lo, hi in zip(spec.domain.lo, spec.domain.hi))


def problems(dims: Sequence[int] = (1, 2), r_values: Sequence = ("2", "1", "3"),
             batches: Sequence[str] = ("full",)) -> st.SearchStrategy[Problem]:
    """:class:`relu_pointwise.Problem` objects: a spec from :func:`specs` (``dim`` drawn from
    ``dims``) and a training from :func:`trainings`. This is the strategy behind
    ``st.from_type(relu_pointwise.Problem)``."""
    spec_strategies = [specs(dim=d, r_values=r_values) for d in dims]
    return st.builds(Problem.from_spec, st.one_of(*spec_strategies), trainings(batches=batches))
