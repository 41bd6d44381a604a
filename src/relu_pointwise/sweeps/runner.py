"""Run a sweep on Dask (``dask.distributed``): a local cluster by default, or an existing one.

The client (this process) plans the sweep, skips the tasks whose records are already
in the output folder, submits the rest in chunks, and writes every record it gets
back atomically (:class:`~relu_pointwise.sweeps.store.TaskStore`): only the client
writes, so workers need no shared filesystem.  If a worker dies, Dask reruns its
chunk elsewhere (up to ``distributed.scheduler.allowed-failures`` times); records are
keyed by task_id, so a rerun task is still one record.

Chunks: np run tasks that differ only in seed, eta and w0 go together; the (eta, w0)
values of one seed step as one vectorized trajectory bundle, the seeds of a chunk one
after the other (a seed is its own batch sequence).  A chunk amortizes Dask's per-task
cost and the per-process set-up (the spec, the float network, the quadrature engine);
:data:`DEFAULT_CHUNK` seeds per chunk was the fastest in ``benchmarks/bench_sweep.py``.
"""
from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from relu_pointwise.symbolic.errors import InputError

from .store import TaskStore, atomic_write, consolidate
from .sweepfile import SweepPlan, plan_sweep
from .tasks import execute_chunk, task_id

__all__ = ["DEFAULT_CHUNK", "SweepResult", "make_chunks", "run_sweep"]

DEFAULT_CHUNK = 32
Chunk = list[tuple[str, Mapping[str, Any]]]


@dataclass
class SweepResult:
    """What a sweep did: counts per outcome (rows of the dataset) and where it is."""

    out: Path
    total: int = 0
    ok: int = 0
    not_certified: int = 0
    failed: int = 0
    skipped: int = 0
    dataset: Path | None = None
    dashboard: str | None = None
    plots: list[Path] = field(default_factory=list)
    seconds: float = 0.0
    chunks: int = 0          # Dask tasks submitted

    def line(self) -> str:
        return (f"{self.total} tasks: {self.ok} ok, {self.not_certified} not certified, "
                f"{self.failed} failed, {self.skipped} skipped")

    def results(self) -> Any:
        """The dataset as a DataFrame indexed by the axes."""
        from .store import load_results

        return load_results(self.out)


def _need_dask() -> None:
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        raise InputError("scheduler: sweeps run on Dask: pip install 'relu-pointwise[sweep]' "
                         "(dask[distributed], pandas, pyarrow)", field="scheduler") from None


def make_chunks(kind: str, pending: Sequence[tuple[str, Mapping[str, Any]]], chunk: int) -> list[Chunk]:
    """Chunks of about ``chunk`` tasks: only np run tasks that differ in seed, eta, w0 share one,
    and a seed's tasks are never split (a seed with more than ``chunk`` tasks is one chunk)."""
    from relu_pointwise.numeric.engines import engine_trait

    if kind != "run":
        return [[item] for item in pending]
    groups: dict[tuple, Chunk] = {}
    out: list[Chunk] = []
    for tid, s in pending:
        if not engine_trait(s["engine"], "vectorized"):
            out.append([(tid, s)])
            continue
        key = (s["target"], s["domain"], str(s["r"]), s["measure"], s["batch"], s["steps"], s.get("points"))
        groups.setdefault(key, []).append((tid, s))
    for items in groups.values():
        # whole seeds per chunk: a seed's (eta, w0) values are one vectorized run
        by_seed: dict[int, Chunk] = {}
        for it in items:
            by_seed.setdefault(int(it[1]["seed"]), []).append(it)
        cur: Chunk = []
        for seed in sorted(by_seed):
            if cur and len(cur) + len(by_seed[seed]) > chunk:
                out.append(cur)
                cur = []
            cur.extend(by_seed[seed])
        if cur:
            out.append(cur)
    return out


class _Progress:
    """A text progress bar on stderr: tasks done / total, elapsed and time left."""

    def __init__(self, total: int, stream: TextIO | None, width: int = 30) -> None:
        self.total, self.stream, self.width = total, stream, width
        self.done = 0
        self.t0 = time.monotonic()
        self.tty = bool(stream is not None and getattr(stream, "isatty", lambda: False)())
        self._last = -1.0

    def update(self, n: int) -> None:
        self.done += n
        if self.stream is None or self.total == 0:
            return
        now = time.monotonic()
        if not self.tty and now - self._last < 5 and self.done < self.total:
            return
        self._last = now
        el = now - self.t0
        left = el / self.done * (self.total - self.done) if self.done else math.nan
        fill = int(self.width * self.done / self.total)
        text = (f"[{'#' * fill}{'.' * (self.width - fill)}] {self.done}/{self.total} tasks  "
                f"{_hms(el)} elapsed  ~{_hms(left)} left")
        self.stream.write(("\r" + text) if self.tty else (text + "\n"))
        if self.tty and self.done >= self.total:
            self.stream.write("\n")
        self.stream.flush()


def _hms(s: float) -> str:
    if not math.isfinite(s):
        return "?"
    n = round(s)
    return f"{n // 3600}:{n // 60 % 60:02d}:{n % 60:02d}"


def _client(scheduler: str | None, workers: int | None, dashboard: bool) -> tuple[Any, Any]:
    """A Dask client: ``scheduler`` (an address), else Dask's configuration
    (``scheduler-address``, e.g. DASK_SCHEDULER_ADDRESS), else a LocalCluster of
    processes, one single-threaded worker per core."""
    import dask
    from dask.distributed import Client, LocalCluster

    address = scheduler or dask.config.get("scheduler-address", None)
    if address:
        try:
            return Client(address, timeout="20s"), None
        except (OSError, TimeoutError) as exc:
            raise InputError(f"scheduler: cannot connect to {address!r}: {exc}", field="scheduler") from None
    n = workers if workers is not None else len(os.sched_getaffinity(0))
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InputError(f"workers: must be a positive integer, got {workers!r}", field="workers")
    # the workers ignore SIGINT (inherited through fork/exec): a Ctrl-C reaches the whole process
    # group, and only this process should answer it, by shutting the cluster down; and they log
    # nothing short of critical (a cancelled task, a worker stopped: not the user's business)
    import logging
    import signal
    import threading

    main_thread = threading.current_thread() is threading.main_thread()
    before = signal.signal(signal.SIGINT, signal.SIG_IGN) if main_thread else None
    try:
        with dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}):
            _forkserver_preload()
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                   dashboard_address=":8787" if dashboard else ":0", silence_logs=logging.CRITICAL)
    finally:
        if before is not None:
            signal.signal(signal.SIGINT, before)
    return Client(cluster), cluster


#: imported once by the forkserver that forks the local cluster's workers (see :func:`_forkserver_preload`)
PRELOAD = ("distributed", "numpy", "sympy", "relu_pointwise.sweeps.tasks", "relu_pointwise.numeric.np_engine",
           "relu_pointwise.numeric.engines", "relu_pointwise.symbolic.loss")


def _forkserver_preload() -> None:
    """Worker processes forked from one forkserver that has imported Dask and the package once.

    With Dask's default ``spawn`` every worker is a fresh interpreter that imports Dask, NumPy,
    SymPy and the package on its own (about 2 s each on two busy cores) before its first task;
    a forkserver imports them once and forks each worker from that state (copy-on-write).  The
    workers are still separate processes (mpmath's and Arb's process-wide precision stay
    per worker).  The forkserver is started from the clean state of a new interpreter, not
    forked from this one, so it holds no threads or locks of the client.
    """
    import multiprocessing

    from distributed.utils import get_mp_context

    get_mp_context()                    # Dask sets its own preload list once; ours replaces it (same start)
    multiprocessing.get_context("forkserver").set_forkserver_preload(list(PRELOAD))


def run_sweep(source: str | Path | Mapping[str, Any], out: str | Path, *, scheduler: str | None = None,
              workers: int | None = None, client: Any = None, dashboard: bool = False, chunk: int | None = None,
              retry_failed: bool = False, plots: bool = True, progress: TextIO | None = None,
              echo: Callable[[str], None] | None = None) -> SweepResult:
    """Run the sweep ``source`` (a .toml/.json path or a dict) into the folder ``out``.

    ``scheduler``: a Dask scheduler address, or ``"sync"`` to run in this process
    without Dask (for debugging); ``workers``: processes of the local cluster (default
    one per core); ``client``: an existing ``dask.distributed.Client``; ``chunk``: np
    seeds per Dask task (default: the sweep file's ``chunk``, else DEFAULT_CHUNK);
    ``retry_failed``: rerun tasks whose record is an error.  Rerunning skips every task
    with a trusted record.  Returns the counts; the dataset is ``out/results.parquet``.
    """
    t_start = time.perf_counter()
    plan = plan_sweep(source)
    out = Path(out)
    store = TaskStore(out)
    try:
        store.prepare()
    except OSError as exc:
        raise InputError(f"out: cannot create {str(out)!r}: {exc.strerror}", field="out") from None
    import json

    atomic_write(out / "sweep.json", json.dumps({"task": plan.task, "mode": plan.mode, "axes": plan.axes,
                                                 "record": plan.record}, sort_keys=True, indent=1).encode())
    rows = [(dict(t.labels), task_id(plan.task, t.settings, plan.record)) for t in plan.tasks]
    unique: dict[str, Mapping[str, Any]] = {}
    for t, (_, tid) in zip(plan.tasks, rows):
        unique.setdefault(tid, t.settings)
    done = store.finished(unique, retry_failed=retry_failed)
    pending = [(tid, s) for tid, s in unique.items() if tid not in done]
    size = chunk if chunk is not None else (plan.chunk or DEFAULT_CHUNK)
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise InputError(f"chunk: must be a positive integer, got {size!r}", field="chunk")
    result = SweepResult(out)
    outcomes: dict[str, str] = {}
    bar = _Progress(len(pending), progress)
    try:
        if pending and scheduler == "sync":
            for ch in make_chunks(plan.task, pending, size):
                _take(store, execute_chunk(plan.task, ch, plan.record), outcomes, bar)
        elif pending:
            _run_dask(plan, pending, size, store, outcomes, bar, result, client, scheduler, workers, dashboard,
                      echo)
    except KeyboardInterrupt:
        consolidate(store, rows, list(plan.axes))    # what finished is kept; a rerun resumes
        raise
    result.total = len(rows)
    for _, tid in rows:
        if tid in done:
            result.skipped += 1
            continue
        o = outcomes.get(tid, "error")
        if o == "ok":
            result.ok += 1
        elif o == "not certified":
            result.not_certified += 1
        else:
            result.failed += 1
    result.dataset = consolidate(store, rows, list(plan.axes))
    if plots:
        from .summary import summarize

        result.plots = summarize(out)
    result.seconds = time.perf_counter() - t_start
    return result


def _take(store: TaskStore, recs: list[dict[str, Any]], outcomes: dict[str, str], bar: _Progress) -> None:
    for rec in recs:
        store.write(rec)
        outcomes[str(rec["task_id"])] = str(rec["outcome"])
    bar.update(len(recs))


def _run_dask(plan: SweepPlan, pending: list[tuple[str, Mapping[str, Any]]], size: int, store: TaskStore,
              outcomes: dict[str, str], bar: _Progress, result: SweepResult, client: Any, scheduler: str | None,
              workers: int | None, dashboard: bool, echo: Callable[[str], None] | None) -> None:
    _need_dask()
    from dask.distributed import as_completed

    own = client is None
    cluster = None
    if own:
        client, cluster = _client(scheduler, workers, dashboard)
    try:
        if dashboard:
            result.dashboard = str(client.dashboard_link)
            if echo is not None:
                import importlib.util

                note = "" if importlib.util.find_spec("bokeh") else \
                    " (Dask serves it only with bokeh: pip install bokeh)"
                echo(f"dashboard: {result.dashboard}{note}")
        try:
            info = client.scheduler_info(n_workers=-1)    # newer distributed lists only some workers by default
        except TypeError:
            info = client.scheduler_info()
        nw = max(1, len(info.get("workers", {})) or (workers or 1))
        # at least ~4 chunks per worker, so that the last chunks do not leave workers idle
        eff = max(1, min(size, math.ceil(len(pending) / (4 * nw))))
        chunks = make_chunks(plan.task, pending, eff)
        result.chunks = len(chunks)
        futures = {}
        for ch in chunks:
            f = client.submit(execute_chunk, plan.task, ch, plan.record, pure=False,
                              key=f"pointwise-sweep-{ch[0][0]}-{len(ch)}")
            futures[f] = ch
        try:
            for fut in as_completed(list(futures)):
                ch = futures.pop(fut)
                try:
                    recs = fut.result()
                except Exception as exc:  # noqa: BLE001 -- e.g. KilledWorker: these tasks failed, the sweep goes on
                    from .tasks import _blank, _error

                    recs = [_error(_blank(tid, plan.task, s), exc) for tid, s in ch]
                    for r in recs:   # not the task's own failure: recorded, and rerun by the next resume
                        r["message"] = f"chunk lost: {r['message']}"
                        r["transient"] = True
                _take(store, recs, outcomes, bar)
        except BaseException:
            for f in futures:
                f.cancel()
            raise
    except BaseException:
        if own:     # interrupted: the busy workers cannot finish their task; stop them now, quietly
            _stop_now(client, cluster)
        raise
    else:
        if own:
            client.close()
            if cluster is not None:
                cluster.close()


def _stop_now(client: Any, cluster: Any) -> None:
    """Shut an own local cluster down at once: its worker processes killed (they are busy with a
    task they cannot abandon), then client and cluster closed, every complaint swallowed."""
    import contextlib
    import logging

    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    for w in list(getattr(cluster, "workers", {}).values()):
        proc = getattr(getattr(getattr(w, "process", None), "process", None), "_process", None)
        with contextlib.suppress(Exception):
            if proc is not None:
                proc.kill()
    with contextlib.suppress(Exception):
        client.close(timeout=2)
    if cluster is not None:
        with contextlib.suppress(Exception):
            cluster.close(timeout=2)


