"""Where a sweep's results live, written so that a resume trusts only whole records.

    OUT/sweep.json            the sweep as read (canonical JSON), for reference
    OUT/tasks/<task_id>.json  one record per finished task
    OUT/certificates/<id>/    each certify task's certificate
    OUT/results.parquet       the consolidated dataset: one row per task, indexed by the axes

Safety: a record is written to a temporary file in the same folder, then renamed onto
``<task_id>.json`` (``os.replace`` is atomic on POSIX), so a reader sees either no
record or a whole one; a writer killed mid-write leaves at most a ``.tmp-*`` file,
which nothing reads.  A record is trusted only if it parses, names its own task_id and
has an outcome, so a damaged file (e.g. an unsynced one after an OS crash) is rerun,
never believed.  The Parquet file is rebuilt from the records, fsync'ed and renamed
into place the same way.

Why Parquet (through pandas and pyarrow) and not xarray + Zarr: a task's record is a
row of mixed types (the outcome and error text, the verdict, a certificate path,
numbers, the recorded path as list columns), which is what a columnar table holds
natively with nulls; ``mode = "zip"`` sweeps are not grids, and a table holds grids and
lists alike; one Parquet file is renamed into place atomically, and every tool a
cluster user has (pandas, polars, DuckDB, Spark) reads it.  The labelled N-d view
is one call away: ``load_results(out).to_xarray()`` (pandas' MultiIndex on the axes).
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from relu_pointwise.symbolic.fileout import file_mode

__all__ = ["RESULTS", "TaskStore", "load_results"]

RESULTS = "results.parquet"
MAX_RECORD_BYTES = 1 << 22


def atomic_write(path: Path, data: bytes, *, durable: bool = False) -> None:
    """Write ``data`` to ``path``: a temporary file in the same folder, renamed into place.

    The rename is atomic for every other process: a reader sees the old file or the
    whole new one, and a writer killed before the rename leaves only its ``.tmp-*``
    file.  ``durable`` adds an fsync before the rename (survives an OS crash too); task
    records skip it (it cost 8.5 ms per record here, more than a short task): after an
    OS crash an unsynced record can be empty or torn, and :meth:`TaskStore.read` then
    rejects it, so the task is rerun, never trusted.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".tmp-{path.name}-")
    try:
        os.fchmod(fd, file_mode())          # mkstemp's 0600 -> the umask's mode, as open() would give
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


class TaskStore:
    """The per-task records of one output folder."""

    def __init__(self, out: str | Path) -> None:
        self.out = Path(out)
        self.tasks = self.out / "tasks"

    def prepare(self) -> None:
        self.tasks.mkdir(parents=True, exist_ok=True)

    def path(self, tid: str) -> Path:
        return self.tasks / f"{tid}.json"

    def write(self, rec: Mapping[str, Any]) -> None:
        """Write one task's record atomically (NaN is written as JSON null); a certify
        task's files first, into ``certificates/<task_id>/`` (a temporary folder renamed
        into place), so a record never points at a half-written certificate."""
        tid = str(rec["task_id"])
        files = rec.get("_files")
        if files:
            self._write_files(tid, files)
        clean = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in rec.items() if k != "_files"}
        atomic_write(self.path(str(rec["task_id"])), json.dumps(clean, sort_keys=True).encode())

    def _write_files(self, tid: str, files: Mapping[str, str]) -> None:
        import shutil

        root = self.out / "certificates"
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=root, prefix=f".tmp-{tid}-"))
        for name, text in files.items():
            if "/" in name or name.startswith("."):
                raise ValueError(f"certificate file name {name!r}")   # a bug upstream, not input
            atomic_write(tmp / name, text.encode("utf-8"))
        final = root / tid
        if final.exists():     # left by an attempt that never wrote its record: not trusted
            shutil.rmtree(final)
        os.replace(tmp, final)

    def read(self, tid: str) -> dict[str, Any] | None:
        """The task's record if a whole, matching one is there; else None (it will be rerun)."""
        p = self.path(tid)
        try:
            if p.stat().st_size > MAX_RECORD_BYTES:
                return None
            rec = json.loads(p.read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(rec, dict) or rec.get("task_id") != tid or rec.get("outcome") not in (
                "ok", "not certified", "error"):
            return None
        return rec

    def finished(self, tids: Iterable[str], retry_failed: bool = False) -> set[str]:
        """The tasks a resume skips: those with a trusted record (a task's own error too,
        unless ``retry_failed``; never a ``transient`` record of a lost Dask task)."""
        present = {p.stem for p in self.tasks.glob("*.json")} if self.tasks.is_dir() else set()
        out = set()
        for tid in set(tids) & present:
            rec = self.read(tid)
            if rec is None or rec.get("transient") or (retry_failed and rec["outcome"] == "error"):
                continue    # rerun: lost with its Dask task (e.g. KilledWorker), or asked to retry
            out.add(tid)
        return out


def consolidate(store: TaskStore, rows: list[tuple[dict[str, Any], str]], axes: list[str]) -> Path:
    """The one dataset: a row per task (its axis labels, then its record), as Parquet.

    ``rows`` are (labels, task_id) in sweep order; a task without a trusted record gets
    outcome ``missing``.  Written to a temporary file and renamed into place.
    """
    import pandas as pd

    records = []
    cache: dict[str, dict[str, Any] | None] = {}
    for labels, tid in rows:
        if tid not in cache:
            cache[tid] = store.read(tid)
        rec = cache[tid] or {"task_id": tid, "outcome": "missing"}
        records.append({**{f"{k}": _label(v) for k, v in labels.items()}, **rec})
    df = pd.DataFrame.from_records(records)
    if "outcome" in df:
        df["outcome"] = df["outcome"].astype("category")
    from .tasks import NUMBER_FIELDS

    for col in df.columns:   # numbers stay float columns even where every task has none (null -> NaN)
        if col in NUMBER_FIELDS or col in ("seconds", "cpu_seconds") or str(col).startswith("T(x="):
            df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    path = store.out / RESULTS
    fd, tmp = tempfile.mkstemp(dir=store.out, prefix=f".tmp-{RESULTS}-")
    os.fchmod(fd, file_mode())
    os.close(fd)
    try:
        df.to_parquet(tmp, index=False)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    meta = {"axes": axes, "rows": len(records)}
    atomic_write(store.out / "results.meta.json", json.dumps(meta).encode())
    return path


def _label(v: Any) -> Any:
    """Axis labels as written in the sweep file (numbers given as text stay text)."""
    return v


def load_results(out: str | Path, *, index: bool = True) -> Any:
    """The sweep's dataset as a pandas DataFrame, indexed by the axes (``.to_xarray()``
    gives the labelled N-d view of a product sweep)."""
    import pandas as pd

    out = Path(out)
    df = pd.read_parquet(out / RESULTS)
    if index:
        try:
            axes = json.loads((out / "results.meta.json").read_text())["axes"]
        except (OSError, ValueError, KeyError):
            axes = []
        if axes:
            df = df.set_index(axes)
    return df
