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
    piece_forms,
    require_rational,
    select_piece,
    to_mpq,
)
from relu_pointwise.symbolic.limits import RECORD_BYTES
from relu_pointwise.symbolic.loss import Derivation
from relu_pointwise.symbolic.numbers import rational_text
from relu_pointwise.symbolic.spec import Spec, Training

from .trajectory import CellStep, PointStep, StepSource, Trajectory
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


def _step_loss(step: CellStep | PointStep, piece: Any, x: mpq, r: int | None) -> mpq:
    """Step t's loss at x: the cell's scale times its piece's L, or the batch mean."""
    if isinstance(step, CellStep):
        return step.scale * _rational(piece.loss_q)(x)
    return batch_loss_exact(step.a, x, int(r or 0))


def run_exact(spec: Spec, training: Training, steps: int, *, data: Any = None,
              max_digits: int = DEFAULT_MAX_DIGITS, derivation: Derivation | None = None,
              source: StepSource | None = None,
              progress: Callable[[int], None] | None = None, record_every: int = 1) -> Trajectory:
    """Exact gradient descent for up to ``steps`` steps (fewer if the numbers outgrow ``max_digits``,
    or the kept rows outgrow :data:`~relu_pointwise.symbolic.limits.RECORD_BYTES`).

    Rows t = 0, record_every, ..., and the last step done; the loss is computed at those rows only.
    """
    if steps < 0:
        raise InputError(f"steps: must be >= 0, got {steps}")
    every = max(1, int(record_every))
    eta = exact_eta(training.eta)
    src = source if source is not None else StepSource(spec, training, steps, data=data, derivation=derivation)
    meta: dict[str, Any] = {"max_digits": max_digits, "steps_requested": steps}
    if training.batch.kind.population:
        d = src.full_derivation()
        if not all(f.rational for f in piece_forms(d)) and d.spec.r.is_integer:
            # pi, atan, square roots (the exact ball): exact closed forms instead of rationals
            from .exact_symbolic import SymbolicFormat, iterate_symbolic

            ws_s, losses_s, meta_s = iterate_symbolic(d, training.eta, training.w0, steps)
            meta.update(meta_s)
            rows = [t for t in range(len(ws_s)) if t % every == 0 or t == len(ws_s) - 1]
            return Trajectory("exact", spec, training, rows, [ws_s[t] for t in rows], [losses_s[t] for t in rows],
                              meta, SymbolicFormat())
    x = to_mpq(training.w0)
    ts: list[int] = []
    ws: list[mpq] = []
    losses: list[mpq] = []
    nd_list: list[int] = []
    dd_list: list[int] = []
    nd, dd = digits(x.numerator), digits(x.denominator)
    kept_bytes = 0
    forms_of: dict[Any, Any] = {}
    r_int = _integer_r(spec) if src.points else None
    complete, reason = True, ""
    piece: Any = None
    for t in range(steps + 1):
        step = src.step(t)
        if isinstance(step, CellStep):
            forms = forms_of.get(step.key)
            if forms is None:
                forms = forms_of[step.key] = require_rational(step.derivation, step.forms)
            piece = forms[select_piece(forms, x)]
        elif r_int is None:   # a point batch from a source that announced none: a bug
            raise TypeError("exact engine: a point batch without integer r")
        keep = t % every == 0 or t == steps
        if keep:
            lv = _step_loss(step, piece, x, r_int)
            ts.append(t)
            ws.append(x)
            losses.append(lv)
            nd_list.append(nd)
            dd_list.append(dd)
            kept_bytes += 2 * (nd + dd) + digits(lv.numerator) + digits(lv.denominator) + 200
            if kept_bytes > RECORD_BYTES.value and t < steps:
                complete = False
                reason = f"the kept rows reached {kept_bytes} bytes, over the limit {RECORD_BYTES.value} bytes"
                break
        if t == steps:
            break
        if isinstance(step, CellStep):
            y = x - eta * step.scale * _rational(piece.grad_q)(x)
        else:
            y = x - eta * batch_gradient_exact(step.a, x, int(r_int or 0))
        ynd, ydd = digits(y.numerator), digits(y.denominator)
        if ynd > max_digits or ydd > max_digits:
            complete = False
            reason = f"w_{t + 1} would have {ynd} / {ydd} digits, over max_digits = {max_digits}"
            if not keep:     # the last step done is always a row
                ts.append(t)
                ws.append(x)
                losses.append(_step_loss(step, piece, x, r_int))
                nd_list.append(nd)
                dd_list.append(dd)
            break
        x, nd, dd = y, ynd, ydd
        if progress is not None:
            progress(t + 1)
    meta.update(complete=complete, reason=reason, num_digits=nd_list, den_digits=dd_list)
    return Trajectory("exact", spec, training, ts, ws, losses, meta, ExactFormat())
