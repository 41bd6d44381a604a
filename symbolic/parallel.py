"""Independent work items over the machine's cores: :func:`pmap`, a process pool that
returns exactly what the serial loop returns.

Used where the prover's work splits into items that do not depend on each other (the
pushforward density of each linear region, the LaTeX rows of each loss piece).  The
results are the serial loop's results, in the same order: each item is computed by the
same function on the same input, only in another process, and the outputs come back
by pickling (exact: integers, rationals, strings).

How.  A fresh pool per call, started by ``fork``: the workers inherit the parent's memory
as it is at the call, so the inputs are not pickled at all (the workers index the list
the parent stashed in :data:`_TASK` before forking), and whatever the parent's modules
hold at that moment is what the workers run (a function a test replaced by a wrong one
stays replaced in the workers: no pool outlives a call with stale code).

When it does not pay, or cannot work, the loop runs serially in the caller: fewer items
than ``min_items``, one worker (``RELU_POINTWISE_WORKERS=1``, or one core), no ``fork``
start method (Windows, macOS default), inside a daemonic process (a Dask or
multiprocessing worker may not start children), or once a multithreaded runtime that
forbids ``fork`` is loaded in the process (JAX: forking it can deadlock).
"""
from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: at most this many workers, whatever os.cpu_count() says (memory: each worker is a fork
#: of the prover with its derivation)
MAX_WORKERS = 8
ENV = "RELU_POINTWISE_WORKERS"
#: modules whose threads make ``fork`` unsafe once imported (the optional jax engine)
FORK_UNSAFE = ("jax",)

_TASK: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


def workers() -> int:
    """The number of worker processes :func:`pmap` would use (1: serial)."""
    env = os.environ.get(ENV, "").strip()
    if env:
        try:
            n = int(env)
        except ValueError:
            n = 1
    else:
        n = min(os.cpu_count() or 1, MAX_WORKERS)
    if n <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if multiprocessing.current_process().daemon:
        return 1
    if fork_unsafe():
        return 1
    return max(1, min(n, MAX_WORKERS))


def fork_unsafe() -> bool:
    """True once a module of :data:`FORK_UNSAFE` is loaded in this process."""
    return any(m in sys.modules for m in FORK_UNSAFE)


def _run_chunk(bounds: tuple[int, int]) -> list[Any]:
    if _TASK is None:     # forked before the stash was set: impossible in pmap
        raise RuntimeError("parallel: worker without a task")
    fn, items = _TASK
    return [fn(items[i]) for i in range(*bounds)]


def pmap(fn: Callable[[T], R], items: Sequence[T], *, min_items: int = 64, chunks_per_worker: int = 4,
         n_workers: int | None = None) -> list[R]:
    """``[fn(x) for x in items]``, spread over :func:`workers` processes when there are at
    least ``min_items`` items (the same list, in the same order)."""
    global _TASK
    items = items if isinstance(items, Sequence) else list(items)
    n = workers() if n_workers is None else n_workers
    if fork_unsafe():       # even when the caller asks for workers: a fork here can deadlock
        n = 1
    if n <= 1 or len(items) < max(2, min_items) or _TASK is not None:   # _TASK set: nested call
        return [fn(x) for x in items]
    k = min(len(items), n * chunks_per_worker)
    cuts = [len(items) * i // k for i in range(k + 1)]
    _TASK = (fn, items)
    try:
        with ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("fork")) as ex:
            parts = list(ex.map(_run_chunk, list(zip(cuts, cuts[1:]))))
    finally:
        _TASK = None
    return [y for part in parts for y in part]
