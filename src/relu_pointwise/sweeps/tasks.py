"""One sweep task: its canonical identity, and what it computes.

A task is known by ``task_id`` = the first 20 hex digits of SHA-256 of its canonical
spec: the JSON (sorted keys) of the normalized spec (target, domain, r, measure as the
toolkit's readers print them), the training (eta, w0, batch, seed), steps, points,
the task kind and, for run tasks, the engine.  Two spellings of one problem
(``eta = 0.5`` and ``eta = "1/2"``) are one task.

Every task's record is a flat dict (:data:`NUMBER_FIELDS` and the outcome); it is
written by :mod:`relu_pointwise.sweeps.store` atomically, one file per task.

What each task computes:

* ``run``: w_t by the engine (np: many trajectories at once, see :func:`run_np_group`),
  w_T, L(w_T) = the population loss at w_T by the engine's own route, w* of the exact
  derivation, t* = min{t : w_t >= w*} and T(x) = min{t : w_t >= 1/(2|g(x)|)} read off
  the computed path (float evidence, w_t is nondecreasing), the path at ``record``
  log-spaced steps.  c and Cbar are certificate constants (certify tasks).
* ``certify``: the certificate (:meth:`relu_pointwise.problem.Problem.certify`), saved
  under ``certificates/<task_id>/``; w*, t*, c, Cbar, T(x) and the verdict are read
  from its claims; outcome ok iff the verdict is ``certified``.
* ``crosscheck``: every engine against every other; outcome ok iff it passes.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import numpy as np

from relu_pointwise.symbolic.errors import PointwiseError
from relu_pointwise.symbolic.numbers import rational_text
from relu_pointwise.symbolic.spec import Spec, Training, make_spec, make_training

__all__ = ["NUMBER_FIELDS", "OUTCOMES", "canonical", "execute_chunk", "point_label", "task_id"]

OUTCOMES = ("ok", "not certified", "error")
NUMBER_FIELDS = ("w_T", "L_T", "w_star", "t_star", "c", "Cbar")
ID_VERSION = 1

Record = dict[str, Any]


@lru_cache(maxsize=64)
def _spec(target: str, domain: str | None, r: str, measure: str) -> Spec:
    return make_spec(target, domain, r, measure)


@lru_cache(maxsize=4096)
def _training(eta: str, w0: str, batch: str, seed: int) -> Training:
    return make_training(eta, w0, batch, seed)


def spec_of(s: Mapping[str, Any]) -> Spec:
    return _spec(s["target"], s["domain"], str(s["r"]), s["measure"])


def training_of(s: Mapping[str, Any]) -> Training:
    return _training(str(s["eta"]), str(s["w0"]), s["batch"], int(s["seed"]))


@lru_cache(maxsize=256)
def _points(text: str | None, spec: Spec) -> tuple[tuple[Any, ...], ...]:
    if text is None:
        return ()
    from relu_pointwise.proofs.certificate import parse_points

    return tuple(parse_points(text, spec))


def points_of(s: Mapping[str, Any]) -> tuple[tuple[Any, ...], ...]:
    return _points(s.get("points"), spec_of(s))


def point_label(p: Sequence[Any]) -> str:
    """The column name of T(x) at point p: ``T(x=1/4)``, ``T(x=1/4,0)``."""
    return "T(x=" + ",".join(rational_text(v) for v in p) + ")"


def canonical(kind: str, s: Mapping[str, Any], record: int) -> dict[str, Any]:
    """The normalized settings that identify a task (see the module docstring)."""
    spec, tr = spec_of(s), training_of(s)
    out: dict[str, Any] = {"v": ID_VERSION, "task": kind, **spec.describe(), **tr.describe(),
                           "steps": int(s["steps"]), "record": int(record),
                           "points": [[rational_text(v) for v in p] for p in points_of(s)]}
    if kind == "run":
        out["engine"] = s["engine"]
    for k in ("dps", "prec"):
        if s.get(k) is not None:
            out[k] = int(s[k])
    return out


def task_id(kind: str, s: Mapping[str, Any], record: int) -> str:
    text = json.dumps(canonical(kind, s, record), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


# ---------------------------------------------------------------- records

def _blank(tid: str, kind: str, s: Mapping[str, Any]) -> Record:
    rec: Record = {"task_id": tid, "task": kind, "outcome": "error", "message": "", "verdict": "",
                   "certificate": "", "seconds": math.nan, "cpu_seconds": math.nan,
                   "worker": f"{os.uname().nodename}:{os.getpid()}", "t": [], "w": []}
    for f in NUMBER_FIELDS:
        rec[f] = math.nan
    for p in points_of(s):
        rec[point_label(p)] = math.nan
    return rec


def _error(rec: Record, exc: BaseException) -> Record:
    """A failed task: outcome error, one-line message (a bug's message keeps its type and place)."""
    rec["outcome"] = "error"
    if isinstance(exc, PointwiseError):
        rec["message"] = str(exc)
    else:
        tb = traceback.extract_tb(exc.__traceback__)
        where = f" at {os.path.basename(tb[-1].filename)}:{tb[-1].lineno}" if tb else ""
        rec["message"] = " ".join(f"{type(exc).__name__}: {exc}{where}".split())[:500]
    return rec


def record_steps(steps: int, n: int) -> np.ndarray:
    """About n log-spaced steps in [0, steps], always 0, 1 and steps."""
    if steps <= 0:
        return np.array([0])
    ts = np.unique(np.round(np.geomspace(1, steps, max(2, n - 1))).astype(np.int64))
    return np.concatenate([[0], ts])


def _first_at_least(ts: np.ndarray, ws: np.ndarray, threshold: float) -> float:
    """min{t : w_t >= threshold} on a nondecreasing path (NaN if never reached)."""
    if not math.isfinite(threshold):
        return math.nan
    i = int(np.searchsorted(ws, threshold, side="left"))
    return float(ts[i]) if i < len(ws) else math.nan


@lru_cache(maxsize=64)
def _w_star(spec: Spec) -> float:
    """w* of the exact derivation (the asymptotic regime's start); NaN where there is none."""
    from relu_pointwise.symbolic.loss import derive

    try:
        return float(derive(spec).w_star)
    except (PointwiseError, TypeError):
        return math.nan


def _thresholds(spec: Spec, points: Sequence[Sequence[Any]]) -> list[float]:
    """1/(2|g(x)|) at each point by the float forward pass (inf on g = 0: never reached)."""
    if not points:
        return []
    from relu_pointwise.numeric.np_engine import engine_for

    X = np.array([[float(v) for v in p] for p in points], dtype=np.float64)
    g = np.abs(engine_for(spec).net.level(X))
    with np.errstate(divide="ignore"):
        return [float(v) for v in 1.0 / (2.0 * g)]


def _fill_path(rec: Record, spec: Spec, points: Sequence[Sequence[Any]], ts: np.ndarray, ws: np.ndarray,
               record: int) -> None:
    """w_T, w*, t*, T(x) and the recorded path from a full path (ts every step, ws nondecreasing)."""
    rec["w_T"] = float(ws[-1])
    ws_star = _w_star(spec)
    rec["w_star"] = ws_star
    rec["t_star"] = _first_at_least(ts, ws, ws_star)
    for p, thr in zip(points, _thresholds(spec, points)):
        rec[point_label(p)] = _first_at_least(ts, ws, thr)
    keep = np.searchsorted(ts, record_steps(int(ts[-1]), record))
    rec["t"] = [int(v) for v in ts[keep]]
    rec["w"] = [float(v) for v in ws[keep]]


# ---------------------------------------------------------------- run tasks

def run_np_group(items: Sequence[tuple[str, Mapping[str, Any]]], record: int) -> list[Record]:
    """np run tasks sharing spec, batch, seed and steps: ONE vectorized ``run_np`` call,
    one trajectory per (eta, w0), all stepping on the same batches."""
    from relu_pointwise.numeric.engines import get_engine
    from relu_pointwise.numeric.np_engine import run_np

    s0 = items[0][1]
    spec, steps = spec_of(s0), int(s0["steps"])
    trainings = [training_of(s) for _, s in items]
    recs = [_blank(tid, "run", s) for tid, s in items]
    t0, c0 = time.perf_counter(), time.process_time()
    res = run_np(spec, trainings, steps, record_every=1, losses=False)
    ts = np.asarray(res.t, dtype=np.int64)
    wT = [float(v) for v in res.w[-1]]
    L = get_engine("np").population_loss(spec, wT)
    points = points_of(s0)
    for j, rec in enumerate(recs):
        _fill_path(rec, spec, points, ts, np.asarray(res.w[:, j]), record)
        rec["L_T"] = float(L[j])
        rec["outcome"] = "ok"
    dt = (time.perf_counter() - t0) / len(recs)
    dc = (time.process_time() - c0) / len(recs)
    for rec in recs:
        rec["seconds"], rec["cpu_seconds"] = dt, dc
    return recs


def run_engine(tid: str, s: Mapping[str, Any], record: int) -> Record:
    """A run task on any engine through the engine interface."""
    from relu_pointwise.numeric.engines import engine_options, get_engine

    rec = _blank(tid, "run", s)
    t0, c0 = time.perf_counter(), time.process_time()
    spec, tr = spec_of(s), training_of(s)
    opts = {k: int(s[k]) for k in ("dps", "prec") if s.get(k) is not None and k in engine_options(s["engine"])}
    traj = get_engine(s["engine"], **opts).run(spec, tr, int(s["steps"]), record_every=1)   # every step: T(x)
    ts, ws = np.asarray(traj.t_array, dtype=np.int64), np.asarray(traj.w_float, dtype=np.float64)
    _fill_path(rec, spec, points_of(s), ts, ws, record)
    rec["L_T"] = float(np.asarray(traj.L_float, dtype=np.float64)[-1])
    rec["outcome"] = "ok"
    rec["seconds"], rec["cpu_seconds"] = time.perf_counter() - t0, time.process_time() - c0
    return rec


# ---------------------------------------------------------------- certify / crosscheck

def _claim_data(data: Mapping[str, Any], cid: str) -> Mapping[str, Any]:
    for c in data.get("claims", []):
        if c.get("id") == cid:
            return c.get("data") or {}
    return {}


def _num(v: Any) -> float:
    """A certificate's exact number (``p/q`` text) as a float; NaN if absent."""
    if v is None:
        return math.nan
    from fractions import Fraction

    try:
        return float(Fraction(str(v)))
    except (ValueError, ZeroDivisionError):
        return math.nan


def certify_task(tid: str, s: Mapping[str, Any], record: int) -> Record:
    """The certificate; its files travel in the record (``_files``: name -> text) so that
    only the sweep's client writes into the output folder (no shared filesystem needed)."""
    import tempfile

    from relu_pointwise.problem import Problem

    rec = _blank(tid, "certify", s)
    t0, c0 = time.perf_counter(), time.process_time()
    spec, tr = spec_of(s), training_of(s)
    points = points_of(s)
    texts = [[rational_text(v) for v in p] for p in points]
    cert = Problem.from_spec(spec, tr).certify(points=texts or None, steps=int(s["steps"]), prec=s.get("prec"))
    data = cert.data
    with tempfile.TemporaryDirectory(prefix="pointwise-cert-") as tmp:
        cert.save(tmp, plots=False)
        rec["_files"] = {p.name: p.read_text(encoding="utf-8") for p in sorted(Path(tmp).iterdir()) if p.is_file()}
    rec["certificate"] = f"certificates/{tid}/certificate.json"
    rec["verdict"] = cert.verdict
    rec["outcome"] = "ok" if cert.certified else "not certified"
    if not cert.certified:
        rec["message"] = " ".join(str(data.get("reason", "")).split())[:500]
    asym, growth, entry = (_claim_data(data, k) for k in ("asymptotic", "growth", "entry"))
    rec["w_star"] = _num(asym.get("w_star", growth.get("w_star")))
    rec["c"] = _num(growth.get("c"))
    rec["Cbar"] = _num(growth.get("Cbar"))
    rec["t_star"] = _num(entry.get("t_star"))
    path = _claim_data(data, "path")
    if path:   # mini-batch certificates enclose the realized path's end w_n in [lo, hi]
        rec["w_T"] = (_num(path.get("w_n_lo")) + _num(path.get("w_n_hi"))) / 2
    for p in points:
        d = _claim_data(data, "pointwise:x=" + ",".join(rational_text(v) for v in p))
        lo, hi = _num(d.get("T_lo")), _num(d.get("T_hi"))
        rec[point_label(p)] = lo if lo == hi else math.nan
    rec["seconds"], rec["cpu_seconds"] = time.perf_counter() - t0, time.process_time() - c0
    return rec


def crosscheck_task(tid: str, s: Mapping[str, Any], record: int) -> Record:
    from relu_pointwise.problem import Problem

    rec = _blank(tid, "crosscheck", s)
    t0, c0 = time.perf_counter(), time.process_time()
    report = Problem.from_spec(spec_of(s), training_of(s)).crosscheck(int(s["steps"]), dps=int(s.get("dps") or 50),
                                                                      prec=int(s.get("prec") or 128))
    ok = bool(report.get("pass"))
    rec["verdict"] = "pass" if ok else "fail"
    rec["outcome"] = "ok" if ok else "not certified"
    rec["seconds"], rec["cpu_seconds"] = time.perf_counter() - t0, time.process_time() - c0
    return rec


# ---------------------------------------------------------------- a chunk of tasks (one Dask task)

def execute_chunk(kind: str, items: Sequence[tuple[str, Mapping[str, Any]]], record: int) -> list[Record]:
    """Run a chunk of tasks (one Dask task); one failing task records its error and the
    others go on.  Returns one record per task.

    np run tasks are grouped by (spec, batch, seed, steps, points): each group is one
    vectorized ``run_np`` over its (eta, w0) values.
    """
    out: list[Record] = []
    todo: list[tuple[str, Mapping[str, Any], Callable[[], Record]]]
    from relu_pointwise.numeric.engines import engine_trait

    if kind == "run":
        groups: dict[tuple, list[tuple[str, Mapping[str, Any]]]] = {}
        singles: list[tuple[str, Mapping[str, Any]]] = []
        for tid, s in items:
            if engine_trait(s["engine"], "vectorized"):   # one vectorized call per group (run_np_group)
                key = (s["target"], s["domain"], str(s["r"]), s["measure"], s["batch"], s["seed"], s["steps"],
                       s.get("points"))
                groups.setdefault(key, []).append((tid, s))
            else:
                singles.append((tid, s))
        for group in groups.values():
            try:
                out.extend(run_np_group(group, record))
            except Exception:       # noqa: BLE001 -- retry one by one so that only the bad task fails
                for tid, s in group:
                    out.append(_guarded(partial(_one_np, tid, s, record), tid, kind, s))
        todo = [(tid, s, partial(run_engine, tid, s, record)) for tid, s in singles]
    elif kind == "certify":
        todo = [(tid, s, partial(certify_task, tid, s, record)) for tid, s in items]
    else:
        todo = [(tid, s, partial(crosscheck_task, tid, s, record)) for tid, s in items]
    for tid, s, fn in todo:
        out.append(_guarded(fn, tid, kind, s))
    return out


def _one_np(tid: str, s: Mapping[str, Any], record: int) -> Record:
    return run_np_group([(tid, s)], record)[0]


def _guarded(fn: Callable[[], Record], tid: str, kind: str, s: Mapping[str, Any]) -> Record:
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 -- a task's failure is its record, not the sweep's
        return _error(_blank(tid, kind, s), exc)
