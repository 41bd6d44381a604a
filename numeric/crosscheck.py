"""The cross-check of the four engines (docs/mathematics.md, section 5).

``crosscheck(spec, training, steps)`` runs the exact, mp, arb and np engines on the
same spec, training and batches (:mod:`numeric.batches`; the exact/mp/arb engines
share one :class:`numeric.trajectory.StepSource` as INPUT) and compares them pair by
pair.  Every pair states the largest discrepancy, the bound it was held to, how that
bound was derived, and pass/fail.  ``pointwise crosscheck`` prints the report (JSON)
and exits 0 only if every pair passes.

The parts: :mod:`relu_pointwise.numeric.float_error` (the a priori bound on the np
gradient's float64 error), :mod:`relu_pointwise.numeric.crosscheck_pairs` (each pair,
its bound and how it is derived) and this module (running the engines through the
engine interface, :func:`relu_pointwise.numeric.engines.get_engine`, on one shared
input, and collecting the report).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from relu_pointwise.symbolic.errors import InputError
from relu_pointwise.symbolic.limits import CROSSCHECK_STEPS_MAX, DPS_MAX, RECORD_BYTES, check_at_most, check_int
from relu_pointwise.symbolic.spec import Spec, Training

from .crosscheck_pairs import (
    DerivedStep,
    float_trajectory,
    pair_arb_mp,
    pair_exact_mp,
    pair_gradient,
    pair_mp_np,
    pairs_jax,
    quadrature_pair,
)
from .engines import get_engine
from .float_error import FloatErrorModel, U, n_terms_fn
from .float_error import abs_forward_bound as _abs_forward_bound  # noqa: F401  (tests read it here)
from .trajectory import PointStep, StepSource

__all__ = ["crosscheck", "FloatErrorModel", "CachingSource", "U", "default_np_runner"]

DEFAULT_BATCH_EXACT_STEPS = 25  # exact engine on point batches: digits grow linearly, cap the steps
_CACHE_VALUES = 2_000_000       # cache at most this many exact |g(x_i)| in CachingSource


class CachingSource(StepSource):
    """A :class:`StepSource` that keeps the exact |g(x_i)| of point batches (bounded),
    so the exact, mp and arb engines and the cross-check's bound read each step's
    levels once.  Shared INPUT, not results (trajectory module docstring)."""

    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        self._batches: dict[int, PointStep] = {}
        self._cached_values = 0

    def batch(self, t: int) -> PointStep:
        b = self._batches.get(t)
        if b is None:
            b = super().batch(t)
            if self._cached_values + len(b.a) <= _CACHE_VALUES:
                self._batches[t] = b
                self._cached_values += len(b.a)
        return b



def default_np_runner(spec: Spec, training: Training, steps: int, source: StepSource) -> Sequence[float]:
    """The np engine's trajectory w_0..w_T on the shared batch plan (``source.schedule``): the
    plain NumPy reference path (``fused=False``; numeric/np_fused.py bounds the fused path against it)."""
    return get_engine("np", fused=False).run(spec, training, steps, source=source, population=False, record_every=1).ws


def crosscheck(spec: Spec, training: Training, steps: int, dps: int = 50, *, prec: int = 128,
               data: Any = None, max_digits: int = 20_000, exact_steps: int | None = None,
               np_runner: Callable[..., Sequence[float]] | None = None,
               progress: Callable[[str, int], Callable[[int], None] | None] | None = None) -> dict[str, Any]:
    """Run the four engines and compare them (module docstring).  Returns a JSON-ready report
    with ``report["pass"]`` True iff every checked pair passes.

    Every engine runs through the engine interface (``get_engine(name, **options).run``)
    and reads one shared INPUT, a :class:`CachingSource` (the batch plan and each step's
    exact levels): no engine reads another's result.

    ``np_runner(spec, training, steps, source) -> w_0..w_T`` replaces the np engine's run
    (the tests pass deliberately wrong ones; ``source.schedule`` is the shared batch plan);
    ``exact_steps`` caps the exact engine (default: all steps for full/cyclic, where
    ``max_digits`` stops it, and 25 for point batches). ``progress(label, total)`` (total: the
    steps that stage runs) may return a per-step callback.
    """
    if steps < 1:
        raise InputError(f"steps: the cross-check needs at least 1 step, got {steps}")
    check_int(dps, "dps", 10, DPS_MAX)
    check_at_most("steps", steps, CROSSCHECK_STEPS_MAX)
    # every step of every engine is kept and compared: refuse, before any step, what would not fit
    per_step = sum(get_engine(n, **o).row_bytes() for n, o in (("mp", {"dps": dps}), ("arb", {"prec": prec}),
                                                                ("np", {})))
    if (steps + 1) * per_step > RECORD_BYTES.value:
        raise InputError(f"steps: the cross-check keeps every step of every engine, about {(steps + 1) * per_step} "
                         f"bytes for {steps} steps at dps {dps} and prec {prec}, over the limit "
                         f"{RECORD_BYTES.value} bytes (fewer --steps, or a lower --dps/--prec)", field="steps")
    prog = progress if progress is not None else (lambda label, total: None)
    t_all = time.perf_counter()
    source = CachingSource(spec, training, steps, data=data)
    kind = training.batch.kind
    points = kind.uses_points
    timings: dict[str, float] = {}
    engines: dict[str, Any] = {}

    # ---- exact (first steps)
    n_exact = exact_steps if exact_steps is not None else (DEFAULT_BATCH_EXACT_STEPS if points else steps)
    n_exact = max(0, min(steps, n_exact))
    t0 = time.perf_counter()
    exact, note = None, ""
    try:
        exact = get_engine("exact", max_digits=max_digits).run(
            spec, training, n_exact, source=source, progress=prog("exact", n_exact), population=False, record_every=1)
        note = (f"exact engine did {exact.steps_done} of {n_exact} requested steps"
                + (f" ({exact.meta.get('reason')})" if exact.meta.get("reason") else ""))
        engines["exact"] = {"steps": exact.steps_done, "requested": n_exact, "max_digits": max_digits,
                            "reason": exact.meta.get("reason") or None,
                            "last_digits": (exact.meta.get("num_digits") or [None])[-1]}
    except InputError as exc:
        note = f"exact engine cannot run: {exc}"
        engines["exact"] = {"steps": 0, "reason": str(exc)}
    timings["exact"] = time.perf_counter() - t0

    # ---- mp, arb
    t0 = time.perf_counter()
    mp = get_engine("mp", dps=dps).run(spec, training, steps, source=source, progress=prog("mp", steps),
                                       population=False, record_every=1)
    timings["mp"] = time.perf_counter() - t0
    engines["mp"] = {"steps": mp.steps_done, "dps": dps, "backend": mp.meta.get("backend")}
    t0 = time.perf_counter()
    arb = get_engine("arb", prec=prec).run(spec, training, steps, source=source, progress=prog("arb", steps),
                                           population=False, record_every=1)
    timings["arb"] = time.perf_counter() - t0
    engines["arb"] = {"steps": arb.steps_done, "prec": prec, "max_rad": arb.meta.get("max_rad")}

    # ---- np
    t0 = time.perf_counter()
    runner = np_runner if np_runner is not None else default_np_runner
    np_w = float_trajectory(runner(spec, training, steps, source))
    timings["np"] = time.perf_counter() - t0
    engines["np"] = {"steps": int(np_w.shape[0]) - 1, "dtype": "float64",
                     "runner": "run_np" if np_runner is None else getattr(np_runner, "__name__", "custom")}

    # ---- pairs
    t0 = time.perf_counter()
    n_terms, method, n_neurons = n_terms_fn(spec)
    model = FloatErrorModel.for_spec(spec, method, n_neurons)
    np_info = {"n_terms": n_terms, "method": method}
    derived = DerivedStep(spec, source, model)
    pairs = [pair_exact_mp(exact, mp, dps, note)]
    p_arb, diam = pair_arb_mp(arb, mp)
    pairs.append(p_arb)
    pairs.append(pair_mp_np(spec, training, steps, mp, np_w, diam, derived, model, np_info, prog("bound", steps)))
    pairs.append(pair_gradient(spec, training, steps, np_w, source, derived, model, np_info, dps))
    pairs.extend(pairs_jax(spec, training, steps, mp, np_w, diam, derived, model, np_info, source,
                           pairs[2], engines, timings))
    pairs.append(quadrature_pair(spec, training, mp.ws, dps))   # the mp engine's independent route
    timings["compare"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - t_all
    passed = all(p["pass"] is True for p in pairs if p.get("status") != "skipped")
    return {
        "command": "crosscheck",
        "spec": spec.describe(), "training": training.describe(), "steps": steps,
        "dps": dps, "prec": prec,
        "engines": engines,
        "pairs": pairs,
        "seconds": {k: round(v, 3) for k, v in timings.items()},
        "pass": passed,
    }
