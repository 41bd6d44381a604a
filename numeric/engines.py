"""One interface for every engine: ``engine.run(spec, training, steps) -> Trajectory``.

    exact   exact rational iteration of the derived map Phi(w) = w - eta L'(w)
            (stops when numerators/denominators outgrow ``max_digits``)
    mp      mpmath at ``dps`` decimal digits
    arb     rigorous Arb balls at ``prec`` bits (python-flint)
    np      float64, gradients only by forward/backward passes through the network
    jax     float64, gradients by ``jax.grad`` (optional extra ``[jax]``)

Every engine reads the same :class:`~relu_pointwise.symbolic.spec.Spec` and the same
batch plan (:class:`~relu_pointwise.numeric.batches.BatchSchedule`), and returns one
:class:`~relu_pointwise.numeric.trajectory.Trajectory`: native values, a float view,
the step's loss and, for mini-batch runs, the population loss L(w_t) by the engine's
own route (exact/mp/arb from the derivation where it exists, np by its own
quadrature of the network's forward pass). Options are Python parameters; a bad one
raises :class:`~relu_pointwise.symbolic.errors.InputError` naming it.

Like CVXPY's solvers, engines are interchangeable objects: shared code calls the
interface and never branches on an engine's name.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from relu_pointwise.symbolic.errors import InputError
from relu_pointwise.symbolic.limits import DPS_MAX, EXACT_DIGITS_MAX, PREC_MAX
from relu_pointwise.symbolic.spec import Spec, Training

from .engine_base import Engine, Progress, _int_option
from .trajectory import StepSource, Trajectory

__all__ = ["Engine", "ExactEngine", "MpEngine", "ArbEngine", "NumpyEngine", "get_engine",
           "engine_names", "known_engine_names", "engine_factory", "engine_options", "engine_trait", "register_engine"]

class ExactEngine(Engine):
    """Exact rationals (gmpy2 mpq); stops early when digits exceed ``max_digits``."""

    name = "exact"
    summary = "exact rationals, first steps"
    rigorous = True

    def __init__(self, max_digits: int | None = None) -> None:
        from relu_pointwise.symbolic.iterate import DEFAULT_MAX_DIGITS

        self.max_digits = DEFAULT_MAX_DIGITS if max_digits is None else _int_option(
            max_digits, "max_digits", 1, EXACT_DIGITS_MAX)

    def options(self) -> dict[str, Any]:
        return {"max_digits": self.max_digits}

    def _run(self, spec: Spec, training: Training, steps: int, *, data: Any,
             progress: Progress | None, record_every: int = 1, source: StepSource | None = None) -> Trajectory:
        from .exact_engine import run_exact

        return run_exact(spec, training, steps, data=data, max_digits=self.max_digits, progress=progress,
                         source=source, record_every=record_every)

    def population_loss(self, spec: Spec, ws: list[Any]) -> list[Any]:
        from relu_pointwise.symbolic.derive_cache import derived as derive
        from relu_pointwise.symbolic.iterate import require_rational, select_piece

        forms = require_rational(derive(spec))
        return [_rational_loss(forms[select_piece(forms, x)])(x) for x in ws]


class MpEngine(Engine):
    """mpmath at ``dps`` decimal digits."""

    name = "mp"
    summary = "mpmath, --dps"

    def __init__(self, dps: int = 50) -> None:
        self.dps = _int_option(dps, "dps", 5, DPS_MAX)

    def options(self) -> dict[str, Any]:
        return {"dps": self.dps}

    def _run(self, spec: Spec, training: Training, steps: int, *, data: Any,
             progress: Progress | None, record_every: int = 1, source: StepSource | None = None) -> Trajectory:
        from .mp_engine import run_mp

        return run_mp(spec, training, steps, dps=self.dps, data=data, progress=progress, source=source,
                      record_every=record_every)

    def row_bytes(self) -> int:
        # three mpf values: about dps digits each as text, dps * 0.42 bytes of mantissa in memory
        return 3 * (2 * self.dps + 100)

    def population_loss(self, spec: Spec, ws: list[Any]) -> list[Any]:
        import mpmath

        from relu_pointwise.symbolic.derive_cache import derived as derive
        from relu_pointwise.symbolic.iterate import piece_forms

        from .mp_engine import MpPieces, working_dps

        forms = piece_forms(derive(spec))
        with mpmath.workdps(working_dps(forms, self.dps)):
            P = MpPieces(forms)
            return [P.loss(x) for x in ws]


class ArbEngine(Engine):
    """Rigorous Arb balls at ``prec`` bits."""

    name = "arb"
    summary = "rigorous balls, --prec"
    rigorous = True

    def __init__(self, prec: int = 128) -> None:
        self.prec = _int_option(prec, "prec", 16, PREC_MAX)

    def options(self) -> dict[str, Any]:
        return {"prec": self.prec}

    def _run(self, spec: Spec, training: Training, steps: int, *, data: Any,
             progress: Progress | None, record_every: int = 1, source: StepSource | None = None) -> Trajectory:
        from .arb_engine import run_arb

        return run_arb(spec, training, steps, prec=self.prec, data=data, progress=progress, source=source,
                       record_every=record_every)

    def row_bytes(self) -> int:
        # three balls, each printed at 0.3 prec digits and bounded by two exact dyadic
        # rationals (numerator and denominator of about 0.3 prec digits each)
        return 3 * (2 * self.prec + 200)

    def population_loss(self, spec: Spec, ws: list[Any]) -> list[Any]:
        from flint import ctx

        from relu_pointwise.symbolic.derive_cache import derived as derive
        from relu_pointwise.symbolic.iterate import piece_forms

        from .arb_engine import ArbPieces

        forms = piece_forms(derive(spec))
        with ctx.workprec(self.prec):
            P = ArbPieces(forms)
            return [P.loss(x) for x in ws]


class NumpyEngine(Engine):
    """float64 by forward/backward passes through the layered network (NumPy)."""

    name = "np"
    vectorized = True
    summary = "float64 backprop"

    #: the quadrature routes of the full-batch gradient (numeric.np_engine.NpEngine)
    METHODS = ("auto", "lines", "simplices", "iterated")

    def __init__(self, method: str = "auto", fused: bool | None = None) -> None:
        if method not in self.METHODS:     # checked when the engine is made, not at its first run
            raise InputError(f"method: must be one of {', '.join(self.METHODS)}, got {method!r}", field="method")
        if fused is not None and not isinstance(fused, bool):
            raise InputError(f"fused: must be True, False or None, got {fused!r}", field="fused")
        self.method = method
        # mini-batch steps: None = the numba kernel when installed (numeric/np_fused.py), False = NumPy reference
        self.fused = fused

    def options(self) -> dict[str, Any]:
        return {"method": self.method, **({"fused": self.fused} if self.fused is not None else {})}

    def _run(self, spec: Spec, training: Training, steps: int, *, data: Any,
             progress: Progress | None, record_every: int = 1, source: StepSource | None = None) -> Trajectory:
        from .np_engine import run_np
        from .values import FloatFormat

        # the float engine reads the shared batch plan only (its levels come from its own forward pass)
        schedule = None if source is None else source.schedule
        res = run_np(spec, training, steps, data=data, method=self.method, schedule=schedule,
                     record_every=record_every, fused=self.fused)
        if progress is not None:
            progress(steps)
        return Trajectory("np", spec, training, [int(t) for t in res.t], [float(v) for v in res.w[:, 0]],
                          [float(v) for v in res.loss[:, 0]], {"dtype": "float64"}, FloatFormat())

    def population_loss(self, spec: Spec, ws: list[Any]) -> list[Any]:
        import numpy as np

        from .np_engine import engine_for

        eng = engine_for(spec, self.method)
        _, lv = eng.full(np.asarray(ws, dtype=np.float64), None, None, 1.0, grad=False, loss=True)
        return [float(v) for v in lv]


_REGISTRY: dict[str, Callable[..., Engine]] = {
    "exact": ExactEngine, "mp": MpEngine, "arb": ArbEngine, "np": NumpyEngine,
}
_OPTIONAL = {"jax": ("relu_pointwise.numeric.jax_engine", "JaxEngine", "jax")}


def register_engine(name: str, factory: Callable[..., Engine]) -> None:
    """Make ``get_engine(name, ...)`` build engines with ``factory`` (for extension engines)."""
    _REGISTRY[name] = factory


def engine_names() -> tuple[str, ...]:
    """The engines available here (optional ones only where their extra is installed)."""
    extra = tuple(n for n, (mod, _, req) in _OPTIONAL.items()
                  if n not in _REGISTRY and _optional_importable(req) and _optional_importable(mod))
    return tuple(_REGISTRY) + extra


def _optional_importable(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def known_engine_names() -> tuple[str, ...]:
    """Every registered engine name, optional ones included whether or not their extra is installed
    (choosing one without its extra is an InputError naming the extra)."""
    return tuple(_REGISTRY) + tuple(n for n in _OPTIONAL if n not in _REGISTRY)


def engine_trait(name: str, trait: str) -> bool:
    """A class flag of the engine called ``name`` (``rigorous``, ``vectorized``) without making one."""
    return bool(getattr(engine_factory(name), trait, False))


def engine_options(name: str) -> tuple[str, ...]:
    """The keyword options the engine called ``name`` takes (its factory's parameters)."""
    import inspect

    return tuple(inspect.signature(engine_factory(name)).parameters)


def get_engine(name: str | Engine, **options: Any) -> Engine:
    """The engine called ``name`` with its options (dps=, prec=, max_digits=, method=)."""
    if isinstance(name, Engine):
        if options:
            raise InputError("engine: options go with an engine name, not an engine object", field="engine")
        return name
    factory = engine_factory(name)
    try:
        return factory(**options)
    except TypeError as exc:
        raise InputError(f"engine: {name} does not take these options: {exc}", field="engine") from None


def engine_factory(name: str) -> Callable[..., Engine]:
    """The registered factory (usually the Engine class) of ``name``; its class attributes
    (``rigorous``, ``vectorized``, ``summary``) describe the engine without making one."""
    factory = _REGISTRY.get(name)
    if factory is None and name in _OPTIONAL:
        import importlib

        mod, cls, _ = _OPTIONAL[name]
        try:
            factory = getattr(importlib.import_module(mod), cls)
        except ImportError as exc:
            raise InputError(f"engine: {name!r} needs the optional extra: pip install 'relu-pointwise[{name}]' "
                             f"({exc})", field="engine") from None
    if factory is None:
        raise InputError(f"engine: unknown engine {name!r} (one of {', '.join(engine_names())})", field="engine")
    return factory


def _rational_loss(piece: Any) -> Any:
    """A piece's exact loss L = N/D; ``require_rational`` checked that every piece has one,
    so None here is a bug in that check (not bad input)."""
    if piece.loss_q is None:
        raise TypeError("exact engine: a piece passed require_rational without a rational form")
    return piece.loss_q
