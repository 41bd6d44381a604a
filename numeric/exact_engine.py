"""The exact engine: gradient descent in exact rationals (first steps only).

* ``full``: w_{t+1} = Phi(w_t) = w_t - eta L'(w_t), the derived GD map iterated by
  :func:`symbolic.iterate.iterate_exact` (piece chosen by exact comparison).
* ``cyclic:K``: the same with the derivation of slab t mod K (times its scale,
  see :mod:`numeric.trajectory`).
* ``sampled:M`` / ``dataset:N,M``: the batch gradient, exact for integer r:

      L_B(w)  = (1/M) sum_i (1/2 - w a_i)_+^r,             a_i = |g(x_i)| (exact),
      L_B'(w) = -(r/M) sum_i (1/2 - w a_i)_+^(r-1) a_i      (w >= 0),

  with the convention (0)_+^0 = 0 for r = 1 (a point exactly at its kink
  w a_i = 1/2 contributes no gradient, as backprop with sigma'(0) = 0 and
  sign(0) = 0 gives).

The run stops as soon as a numerator or denominator of w_{t+1} would exceed
``max_digits`` decimal digits; the trajectory's meta says how many steps were
done and how the digits grew (about threefold per step in the asymptotic regime).
Non-integer r (or pi in the loss) makes the map irrational: a InputError says so.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gmpy2 import mpq

from relu_pointwise.symbolic.errors import InputError
from relu_pointwise.symbolic.iterate import (
    DEFAULT_MAX_DIGITS,
    RationalFunction,
    digits,
    exact_eta,
    iterate_exact,
    piece_forms,
    require_rational,
    select_piece,
    to_mpq,
)
from relu_pointwise.symbolic.loss import Derivation
from relu_pointwise.symbolic.numbers import rational_text
from relu_pointwise.symbolic.spec import Spec, Training

from .trajectory import CellStep, StepSource, Trajectory
from .values import ExactFormat

HALF = mpq(1, 2)


def batch_loss_exact(a: tuple[mpq, ...], x: mpq, r: int) -> mpq:
    """(1/M) sum_i (1/2 - x a_i)_+^r over a_i = |g(x_i)| > 0, exactly (a point with
    g = 0 has f = 1/2 = f°: error 0)."""
    s = mpq(0)
    for ai in a:
        if ai == 0:
            continue
        e = HALF - x * ai
        if e > 0:
            s += e ** r
    return s / len(a)


def batch_gradient_exact(a: tuple[mpq, ...], x: mpq, r: int) -> mpq:
    """-(r/M) sum_i (1/2 - x a_i)_+^(r-1) a_i, exactly ((0)_+^0 = 0)."""
    s = mpq(0)
    for ai in a:
        e = HALF - x * ai
        if e > 0:
            s += e ** (r - 1) * ai
    return -r * s / len(a)


def _integer_r(spec: Spec) -> int:
    if not spec.r.is_integer:
        raise InputError(f"exact engine: the batch loss (1/2 - w|g|)^r with r = {rational_text(spec.r)} "
                        f"is not rational in w; use --engine mp or arb")
    return int(spec.r)


def _rational(fn: RationalFunction | None) -> RationalFunction:
    """A piece's rational form; ``require_rational`` has checked that every piece has one,
    so None here is a bug in that check (not bad input)."""
    if fn is None:
        raise TypeError("exact engine: a piece passed require_rational without a rational form")
    return fn


def run_exact(spec: Spec, training: Training, steps: int, *, data: Any = None,
              max_digits: int = DEFAULT_MAX_DIGITS, derivation: Derivation | None = None,
              source: StepSource | None = None,
              progress: Callable[[int], None] | None = None) -> Trajectory:
    """Exact gradient descent for up to ``steps`` steps (fewer if the numbers outgrow ``max_digits``)."""
    if steps < 0:
        raise InputError(f"steps: must be >= 0, got {steps}")
    eta = exact_eta(training.eta)
    kind = training.batch.kind
    src = source if source is not None else StepSource(spec, training, steps, data=data, derivation=derivation)
    meta: dict[str, Any] = {"max_digits": max_digits, "steps_requested": steps}
    if kind == "full":
        d = src.full_derivation()
        if not all(f.rational for f in piece_forms(d)) and d.spec.r.is_integer:
            # pi, atan, square roots (the exact ball): exact closed forms instead of rationals
            from .exact_symbolic import SymbolicFormat, iterate_symbolic

            ws_s, losses_s, meta_s = iterate_symbolic(d, training.eta, training.w0, steps)
            meta.update(meta_s)
            return Trajectory("exact", spec, training, list(range(len(ws_s))), ws_s, losses_s, meta,
                              SymbolicFormat())
        it = iterate_exact(d, eta, training.w0, steps, max_digits=max_digits, progress=progress)
        forms = require_rational(d)
        ws = it.ws
        losses: list[mpq] = [_rational(forms[select_piece(forms, x)].loss_q)(x) for x in ws]
        meta.update(complete=it.complete, reason=it.reason, num_digits=it.num_digits,
                    den_digits=it.den_digits, pieces=it.pieces)
        return Trajectory("exact", spec, training, list(range(len(ws))), ws, losses, meta, ExactFormat())

    x = to_mpq(training.w0)
    ws = [x]
    losses = []
    nd_list, dd_list = [digits(x.numerator)], [digits(x.denominator)]
    r_int = _integer_r(spec) if src.points else None
    complete, reason = True, ""
    for t in range(steps + 1):
        step = src.step(t)
        if isinstance(step, CellStep):
            forms = require_rational(step.derivation, step.forms)
            piece = forms[select_piece(forms, x)]
            losses.append(step.scale * _rational(piece.loss_q)(x))
            if t == steps:
                break
            y = x - eta * step.scale * _rational(piece.grad_q)(x)
        else:
            if r_int is None:   # a point batch from a source that announced none: a bug
                raise TypeError("exact engine: a point batch without integer r")
            losses.append(batch_loss_exact(step.a, x, r_int))
            if t == steps:
                break
            y = x - eta * batch_gradient_exact(step.a, x, r_int)
        nd, dd = digits(y.numerator), digits(y.denominator)
        if nd > max_digits or dd > max_digits:
            complete = False
            reason = f"w_{t + 1} would have {nd} / {dd} digits, over max_digits = {max_digits}"
            break
        ws.append(y)
        nd_list.append(nd)
        dd_list.append(dd)
        x = y
        if progress is not None:
            progress(t + 1)
    meta.update(complete=complete, reason=reason, num_digits=nd_list, den_digits=dd_list)
    return Trajectory("exact", spec, training, list(range(len(ws))), ws, losses, meta, ExactFormat())
