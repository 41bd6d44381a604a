"""Mini-batch steps in Arb balls (sampled / dataset batches).

The batch loss of M points with exact a_i = |g(x_i)| and its derivatives in w:

    L_B(w)   = (1/M) sum_i (1/2 - w a_i)_+^r,
    L_B'(w)  = -(r/M) sum_i (1/2 - w a_i)_+^(r-1) a_i,
    L_B''(w) = (r(r-1)/M) sum_i (1/2 - w a_i)_+^(r-2) a_i^2   (r >= 2; a.e. for r = 2).

Each term is enclosed with the positive part decided by Arb (undecided: [0, upper]; for
r = 1 the term is a_i on w a_i < 1/2 and 0 on w a_i >= 1/2, undecided: [0, a_i]). The step
Phi_B(w) = w - eta L_B'(w) is the plain ball form intersected, for r >= 2, with the
mean-value form Phi_B(m) + (1 - eta L_B''(W)) (W - m), m = mid(W) (Phi_B is Lipschitz, its
a.e. derivative lies in that enclosure); both are rigorous, so is their intersection.
"""
from __future__ import annotations

from collections.abc import Sequence

import sympy
from flint import arb, fmpq

from relu_pointwise.symbolic.iterate import to_mpq

from .arb_balls import arb_from_rational


def _pos_power(e: arb, p) -> arb:
    """An enclosure of (e)_+^p for p > 0 (t -> t^p increasing on [0, oo)); p = 0: 1 if e > 0 else 0."""
    if bool(e > 0):
        return arb(1) if p == 0 else e ** p
    if bool(e <= 0):
        return arb(0)
    if p == 0:
        return arb(0).union(arb(1))
    u = e.upper()
    return arb(0).union(u ** p)


def batch_gradient_arb(a: Sequence[arb], x: arb, r: sympy.Rational) -> arb:
    """Enclosure of -(r/M) sum_i (1/2 - x a_i)_+^(r-1) a_i."""
    half = arb(fmpq(1, 2))
    p = int(r - 1) if r.is_integer else arb(fmpq(int((r - 1).p), int((r - 1).q)))
    s = arb(0)
    for ai in a:
        s = s + _pos_power(half - x * ai, p) * ai
    return -arb_from_rational(to_mpq(r)) * s / len(a)


def batch_hessian_arb(a: Sequence[arb], x: arb, r: sympy.Rational) -> arb:
    """Enclosure of (r(r-1)/M) sum_i (1/2 - x a_i)_+^(r-2) a_i^2 (r >= 2; a.e. derivative for r = 2)."""
    half = arb(fmpq(1, 2))
    p = int(r - 2) if r.is_integer else arb(fmpq(int((r - 2).p), int((r - 2).q)))
    s = arb(0)
    for ai in a:
        s = s + _pos_power(half - x * ai, p) * ai * ai
    rq = to_mpq(r)
    return arb_from_rational(rq * (rq - 1)) * s / len(a)


def batch_loss_arb(a: Sequence[arb], x: arb, r: sympy.Rational) -> arb:
    half = arb(fmpq(1, 2))
    p = int(r) if r.is_integer else arb(fmpq(int(r.p), int(r.q)))
    s = arb(0)
    for ai in a:
        if ai.is_zero():  # g(x_i) = 0: f = 1/2 = f°, error 0 (docs/mathematics.md, section 1)
            continue
        s = s + _pos_power(half - x * ai, p)
    return s / len(a)


def batch_step_arb(a: Sequence[arb], x: arb, eta: arb, r: sympy.Rational) -> arb:
    """Enclosure of Phi_B(x) = x - eta L_B'(x): plain form, intersected with the
    mean-value form when r >= 2 (Phi_B Lipschitz with a.e. derivative 1 - eta L_B'')."""
    y = x - eta * batch_gradient_arb(a, x, r)
    if r >= 2 and not x.is_exact():
        m = x.mid()
        mvf = (m - eta * batch_gradient_arb(a, m, r)) + (1 - eta * batch_hessian_arb(a, x, r)) * (x - m)
        if mvf.is_finite():
            y = y.intersection(mvf)
    return y
