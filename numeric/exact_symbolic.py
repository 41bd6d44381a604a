"""The exact engine where Phi is not rational: gradient descent in exact closed forms.

For the exact ball the loss carries pi, atan and square roots, so w_t is no rational; it is
still an exact real number, the value of a closed-form expression.  This iterates

    w_{t+1} = Phi(w_t) = w_t - eta L'(w_t)

with w_t kept as a SymPy expression (pi, atan, square roots of rationals and of earlier
iterates), the piece of L chosen by a certified sign of w_t - cut (an Arb enclosure of the
closed form at 128, 256, ... bits that excludes 0; an undecided sign stops the run and says
so).  The expressions grow quickly (w_2 holds atan of a square root of w_1, ...), so the run
stops once an iterate exceeds ``max_ops`` operations; the Trajectory's meta says how many
steps were done.  The values print as SymPy text; ``to_float`` evaluates them.
"""
from __future__ import annotations

from typing import Any

import sympy

from relu_pointwise.symbolic.derivation import w as W
from relu_pointwise.symbolic.loss import Derivation

from .values import ValueFormat

MAX_OPS = 4_000


class SymbolicFormat(ValueFormat):
    """Exact closed forms (SymPy expressions), written in SymPy's text."""

    def text(self, v: Any) -> str:
        return "" if v is None else sympy.sstr(v)

    def to_float(self, v: Any) -> float:
        return float("nan") if v is None else float(sympy.N(v, 20))


def _sign(e: sympy.Expr) -> int | None:
    """The sign of a real closed form, certified by an Arb enclosure (at 128, 256, ..., 2048 bits)
    that excludes 0; 0 only for an exact zero; None when no precision decides."""
    from flint import arb, ctx

    from .arb_engine import compile_arb

    if e == 0:
        return 0
    if e.is_Rational:
        return 1 if e > 0 else -1
    f = compile_arb(e)
    for prec in (128, 256, 512, 1024, 2048):
        with ctx.workprec(prec):
            b = f(arb(0))
        if b.is_finite():
            if b > 0:
                return 1
            if b < 0:
                return -1
    return None


def _piece(derivation: Derivation, x: sympy.Expr) -> tuple[Any, str]:
    for p in derivation.pieces:
        lo = _sign(x - p.w_lo)
        hi = 1 if p.w_hi == sympy.oo else _sign(p.w_hi - x)
        if lo is None or hi is None:
            return None, f"the sign of w_t - {p.w_lo} or {p.w_hi} - w_t is not decided"
        if lo >= 0 and hi > 0:
            return p, ""
    return None, "w_t lies below the derived pieces"


def iterate_symbolic(derivation: Derivation, eta: sympy.Rational, w0: sympy.Rational, steps: int,
                     max_ops: int = MAX_OPS) -> tuple[list, list, dict]:
    """(w_0..w_k, L(w_0)..L(w_k), meta) with k <= steps (module docstring)."""
    x: sympy.Expr = sympy.Rational(w0)
    ws, losses = [x], []
    meta: dict[str, Any] = {"mode": "closed forms (pi, atan, square roots): Phi is not rational",
                            "max_ops": max_ops, "steps_requested": steps, "complete": True, "reason": ""}
    for t in range(steps + 1):
        piece, why = _piece(derivation, x)
        if piece is None:
            meta.update(complete=False, reason=f"step {t}: {why}")
            break
        if x == 0:
            losses.append(derivation.loss(0))
            grad = derivation.gradient(0)
        else:
            losses.append(piece.expr.subs(W, x))
            grad = piece.derivative.subs(W, x)
        if t == steps:
            break
        y = x - eta * grad
        if sympy.count_ops(y) > max_ops:
            meta.update(complete=False, reason=f"w_{t + 1} would have {sympy.count_ops(y)} operations, over "
                                               f"max_ops = {max_ops}")
            break
        ws.append(y)
        x = y
    if len(losses) > len(ws):
        losses = losses[: len(ws)]
    meta["steps_done"] = len(ws) - 1
    return ws, losses, meta
