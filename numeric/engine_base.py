"""The engine interface: :class:`Engine` (``engine.run(spec, training, steps) -> Trajectory``).

Its own module so that an engine module (the optional jax engine among them) imports the
interface without importing the registry in :mod:`numeric.engines`, which names it.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from relu_pointwise.symbolic.errors import InputError, PointwiseError
from relu_pointwise.symbolic.limits import RECORD_BYTES, RUN_STEPS_MAX, Limit, check_int
from relu_pointwise.symbolic.spec import Spec, Training

from .trajectory import StepSource, Trajectory, default_record_every, recorded_rows

__all__ = ["Engine", "Progress"]

Progress = Callable[[int], None]


def _int_option(value: Any, name: str, lo: int, hi: Limit | int) -> int:
    """The one range check (symbolic.limits.check_int): the same limits as the CLI's flags."""
    return check_int(value, name, lo, hi)


def _check_steps(steps: Any) -> int:
    return _int_option(steps, "steps", 0, RUN_STEPS_MAX)


class Engine(ABC):
    """An engine of gradient descent on the constructed network's slope w.

    ``run`` iterates w_{t+1} = w_t - eta * (step t's batch gradient at w_t) for
    ``steps`` steps and records rows t = 0, record_every, 2 record_every, ..., T.
    ``rigorous`` says whether its values enclose the true trajectory; ``vectorized`` that
    runs differing only in (eta, w0) may go as one vectorized call (``run_group``, the
    sweeps group such tasks); ``summary`` is the one line the CLI's help shows.
    """

    name: str = ""
    rigorous: bool = False
    vectorized: bool = False
    summary: str = ""

    def run(self, spec: Spec, training: Training, steps: int, *, record_every: int | None = None,
            data: Any = None, progress: Progress | None = None, population: bool = True,
            source: StepSource | None = None) -> Trajectory:
        """Run ``steps`` steps, keeping rows t = 0, k, 2k, ... and the last (k = ``record_every``;
        None: :func:`~relu_pointwise.numeric.trajectory.default_record_every`, at most about
        10^4 rows); ``population`` adds L(w_t) at the kept rows of a mini-batch run.

        Memory is bounded by the rows kept, not the steps taken: the engines iterate in
        constant memory and compute a batch loss only at a kept row.  A run whose kept
        rows would exceed :data:`~relu_pointwise.symbolic.limits.RECORD_BYTES` (estimated by
        :meth:`row_bytes`) is refused before it starts, naming the estimate.

        ``source`` is shared INPUT: a :class:`~relu_pointwise.numeric.trajectory.StepSource`
        (the batch plan and each step's exact levels |g(x_i)|) that several engines may read,
        so that a cross-check compares them on the very same batches. It holds no engine's
        result. Without it each engine builds its own from ``spec``, ``training`` and ``data``.
        """
        steps = _check_steps(steps)
        every = default_record_every(steps) if record_every is None else _int_option(
            record_every, "record_every", 1, RUN_STEPS_MAX)
        self.check_record(steps, every)
        shared = {} if source is None else {"source": source}   # engines without the keyword still run alone
        traj = self._run(spec, training, steps, data=data, progress=progress, record_every=every, **shared)
        traj.meta["record_every"] = every
        if population and traj.minibatch:
            try:
                traj.population = self.population_loss(spec, traj.ws)
            except PointwiseError as exc:     # e.g. no exact L below w* for the exact ball
                traj.meta["population_note"] = str(exc)
        return traj

    def row_bytes(self) -> int:
        """Estimated bytes of one kept row (in memory and as text): t, w_t, L(w_t), batch loss."""
        return 200

    def check_record(self, steps: int, every: int) -> None:
        """Refuse, before any step, kept rows whose estimated size exceeds ``RECORD_BYTES``."""
        rows = recorded_rows(steps, every)
        size = rows * self.row_bytes()
        if size > RECORD_BYTES.value:
            fit = max(1, RECORD_BYTES.value // self.row_bytes() - 2)
            raise InputError(f"record_every: {rows} rows of about {self.row_bytes()} bytes ({self.name} engine) "
                             f"would keep about {size} bytes, over the limit {RECORD_BYTES.value} bytes "
                             f"(keep fewer rows: --record-every {-(-steps // fit)} or more)", field="record_every")

    @abstractmethod
    def _run(self, spec: Spec, training: Training, steps: int, *, data: Any,
             progress: Progress | None, record_every: int = 1, source: StepSource | None = None) -> Trajectory:
        """The kept rows (t = 0, record_every, ..., and ``steps``) of the engine's own loop,
        reading ``source`` when given; no other row is stored nor its loss computed."""

    @abstractmethod
    def population_loss(self, spec: Spec, ws: list[Any]) -> list[Any]:
        """L(w) = integral phi(|f(w,x) - f°(x)|) dmu at each w, in the engine's number type."""

    def options(self) -> dict[str, Any]:
        return {}

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options().items())
        return f"{type(self).__name__}({opts})"
