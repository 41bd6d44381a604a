"""One tree walker, several arithmetics: derived SymPy expressions in w as closures.

Like SymPy's printers (one printer per format), :func:`compile_expr` walks the
expression once and asks a *backend* for each leaf and operation, so the mp engine
(mpf) and the arb engine (balls) evaluate the same derived formulas by the same
walk.  Supported: w, rationals, pi, E, +, *, integer and rational powers, and the
backend's one-argument functions.  Constant sub-expressions are folded when compiled.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

import sympy

from relu_pointwise.symbolic.loss import w as W_SYM


class Backend(ABC):
    """What an arithmetic provides; ``name`` prefixes its error messages."""

    name = "engine"
    funcs: dict[str, Callable[[Any], Any]] = {}

    @abstractmethod
    def rational(self, p: int, q: int) -> Any:  # the exact rational p/q (or a ball around it)
        ...

    @abstractmethod
    def pi(self) -> Any:
        ...

    @abstractmethod
    def e(self) -> Any:
        ...

    @abstractmethod
    def zero(self) -> Any:
        ...

    @abstractmethod
    def half_power(self, v: Any, p: int) -> Any:  # v^(p/2)
        ...

    @abstractmethod
    def power(self, v: Any, p: int, q: int) -> Any:  # v^(p/q), q > 2
        ...


def compile_expr(expr: sympy.Expr, backend: Backend) -> Callable[[Any], Any]:
    """A closure x -> expr(w = x) in the backend's arithmetic."""
    extra = expr.free_symbols - {W_SYM}
    if extra:
        raise ValueError(f"{backend.name} engine: unexpected symbols {sorted(map(str, extra))}")
    f = _node(expr, backend)
    if not expr.free_symbols:
        c = f(backend.zero())
        return lambda x: c
    return f


def _node(expr: sympy.Expr, be: Backend) -> Callable[[Any], Any]:
    if expr == W_SYM:
        return lambda x: x
    if expr.is_Rational:
        c = be.rational(int(expr.p), int(expr.q))
        return lambda x: c
    if expr is sympy.pi:
        c = be.pi()
        return lambda x: c
    if expr is sympy.E:
        c = be.e()
        return lambda x: c
    if expr.is_Add or expr.is_Mul:
        fs = [compile_expr(a, be) for a in expr.args]
        if expr.is_Add:
            def add(x, fs=fs):
                s = fs[0](x)
                for f in fs[1:]:
                    s = s + f(x)
                return s
            return add

        def mul(x, fs=fs):
            s = fs[0](x)
            for f in fs[1:]:
                s = s * f(x)
            return s
        return mul
    if expr.is_Pow:
        base, e = expr.args
        if e.free_symbols:
            raise ValueError(f"{be.name} engine: variable exponent in {expr}")
        fb = compile_expr(base, be)
        if e.is_Integer:
            n = int(e)
            if n >= 0:
                return lambda x: fb(x) ** n
            return lambda x: 1 / fb(x) ** (-n)
        if e.is_Rational:
            p, q = int(e.p), int(e.q)
            if q == 2:
                return lambda x: be.half_power(fb(x), p)
            return lambda x: be.power(fb(x), p, q)
        raise ValueError(f"{be.name} engine: irrational exponent in {expr}")
    if isinstance(expr, sympy.Function):
        name = type(expr).__name__
        fn = be.funcs.get(name)
        if fn is None or len(expr.args) != 1:
            raise ValueError(f"{be.name} engine: unsupported function {name} in the derived loss")
        fa = compile_expr(expr.args[0], be)
        return lambda x: fn(fa(x))
    raise ValueError(f"{be.name} engine: cannot evaluate {type(expr).__name__} node {expr}")
