"""The sweep file: a base spec, axes of values, and the task each point of the grid runs.

    task = "run"                  # run | certify | crosscheck
    mode = "product"              # or "zip" (the i-th values of every axis together)
    [base]                        # the spec keys of a spec file, plus engine (run tasks)
    target = "interval:-1/2,1/2"
    batch = "sampled:64"
    steps = 2000
    points = "1/4,3/4"
    [axes]
    eta = ["1", "1/2"]            # a list of values
    w0 = {start = 0, stop = 1, step = "1/4"}   # a range: start, start+step, ... < stop
    seeds = {count = 100}         # seed = 0, 1, ..., 99 (optionally start = S)

Everything is read as data (TOML or JSON; nothing is evaluated) and validated before a
single task runs: every distinct spec and training is built once with the toolkit's own
readers (:func:`~relu_pointwise.symbolic.spec.make_spec`, ``make_training``), so a bad
value stops the sweep with one :class:`~relu_pointwise.symbolic.errors.InputError`
naming the key (``axes.eta``, ``base.target``, ...).
"""
from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sympy

from relu_pointwise.symbolic.errors import InputError
from relu_pointwise.symbolic.numbers import number_from_value, rational_text
from relu_pointwise.symbolic.spec import Spec, Training, make_spec, make_training

__all__ = ["MAX_TASKS", "TASKS", "SweepPlan", "TaskSpec", "load_sweep", "plan_sweep"]

TASKS = ("run", "certify", "crosscheck")
MODES = ("product", "zip")
TOP_KEYS = ("task", "mode", "base", "axes", "chunk", "record")
BASE_KEYS = ("target", "domain", "r", "measure", "eta", "w0", "batch", "seed", "steps", "points",
             "engine", "dps", "prec")
AXIS_KEYS = ("target", "domain", "r", "measure", "eta", "w0", "batch", "seed", "steps", "engine")
TEXT_KEYS = ("target", "domain", "measure", "batch", "points", "engine")
INT_KEYS = ("seed", "steps", "dps", "prec")
NUMBER_KEYS = ("r", "eta", "w0")
DEFAULTS: dict[str, Any] = {"target": "interval:-1/2,1/2", "domain": None, "r": "2", "measure": "probability",
                            "eta": "1", "w0": "0", "batch": "full", "seed": 0, "steps": 1000,
                            "engine": "np", "points": None}
MAX_TASKS = 10**6
MAX_STEPS = 10**8
MAX_FILE_BYTES = 1 << 20


@dataclass(frozen=True)
class TaskSpec:
    """One task: its axis labels and its full settings (base overridden by the axes)."""

    labels: tuple[tuple[str, Any], ...]
    settings: Mapping[str, Any]


@dataclass
class SweepPlan:
    """The validated sweep: the task kind, the axis names (in file order) and the tasks."""

    task: str
    mode: str
    axes: dict[str, list[Any]]
    tasks: list[TaskSpec]
    chunk: int | None = None
    record: int = 64
    specs: dict[tuple, Spec] = field(default_factory=dict, repr=False)
    trainings: dict[tuple, Training] = field(default_factory=dict, repr=False)


def _err(key: str, msg: str) -> InputError:
    return InputError(f"sweep: {key}: {msg}", field=key)


def load_sweep(source: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """The sweep file (``.toml`` or ``.json``) or an already-read dict, as a dict."""
    if isinstance(source, Mapping):
        return dict(source)
    from relu_pointwise.symbolic.jsonio import read_json, read_toml

    # the toolkit's bounded readers: size checked before reading, depth bounded, duplicate
    # keys, NaN and oversized numbers refused (a sweep file may come from someone else)
    p = Path(source)
    suffix = p.suffix.lower()
    if p.is_dir():   # named as given: str(source) keeps a trailing slash that Path drops
        raise _err("file", f"{str(source)!r} is a folder, not a file (give a .toml or .json sweep file)")
    if suffix == ".toml":
        data: Any = read_toml(p, what="sweep: file", max_bytes=MAX_FILE_BYTES)
    elif suffix == ".json":
        data = read_json(p, what="sweep: file", max_bytes=MAX_FILE_BYTES)
    else:
        raise _err("file", f"{p.name} must end in .toml or .json")
    if not isinstance(data, Mapping):
        raise _err("file", f"{p.name} must hold a table")
    return dict(data)


def _check_value(key: str, where: str, value: Any) -> Any:
    """One value's type (the spec file's rules: a float such as 0.1 is read as the decimal written)."""
    if key in TEXT_KEYS:
        if not isinstance(value, str):
            raise _err(where, f"must be a string, got {value!r}")
    elif key in INT_KEYS:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _err(where, f"must be an integer, got {value!r}")
    elif key in NUMBER_KEYS and (isinstance(value, bool) or not isinstance(value, (int, float, str))):
        raise _err(where, f"must be a number or a number as text, got {value!r}")
    return value


def _canonical(key: str, where: str, value: Any) -> Any:
    """Exact numbers as canonical text (``0.5`` and ``"1/2"`` are the label ``"1/2"``)."""
    if key in NUMBER_KEYS:
        try:
            return rational_text(number_from_value(value, where))
        except InputError as exc:
            raise _err(where, str(exc).removeprefix(f"{where}: ")) from None
    return value


def _axis_values(name: str, spec: Any) -> list[Any]:
    """An axis: a list, a range {start, stop, step} (stop excluded), or {count[, start]} for seeds."""
    where = f"axes.{name}"
    key = "seed" if name == "seeds" else name
    if isinstance(spec, list):
        if not spec:
            raise _err(where, "is an empty list")
        if len(spec) > MAX_TASKS:
            raise _err(where, f"has more than {MAX_TASKS} values")
        return [_canonical(key, where, _check_value(key, where, v)) for v in spec]
    if not isinstance(spec, Mapping):
        raise _err(where, f"must be a list or a range table, got {spec!r}")
    if "count" in spec:
        if key != "seed":
            raise _err(where, "{count = N} is for the seed axis only")
        extra = set(spec) - {"count", "start"}
        if extra:
            raise _err(where, f"unknown range key {min(extra)!r} (count, start)")
        n, s0 = spec["count"], spec.get("start", 0)
        for k, v in (("count", n), ("start", s0)):
            if isinstance(v, bool) or not isinstance(v, int) or v < (1 if k == "count" else 0):
                raise _err(f"{where}.{k}", f"must be a {'positive' if k == 'count' else 'nonnegative'} integer")
        if n > MAX_TASKS:
            raise _err(f"{where}.count", f"at most {MAX_TASKS}")
        return list(range(s0, s0 + n))
    missing = [k for k in ("start", "stop", "step") if k not in spec]
    extra = set(spec) - {"start", "stop", "step"}
    if extra:
        raise _err(where, f"unknown range key {min(extra)!r} (start, stop, step)")
    if missing:
        raise _err(where, f"a range needs start, stop and step (missing {missing[0]})")
    if key in TEXT_KEYS:
        raise _err(where, "a range needs a numeric key")
    a, b, h = (number_from_value(_check_value(key, f"{where}.{k}", spec[k]), f"{where}.{k}")
               for k in ("start", "stop", "step"))
    if h <= 0:
        raise _err(f"{where}.step", "must be > 0")
    n = int(sympy.ceiling((b - a) / h))
    if n < 1:
        raise _err(where, "the range is empty (stop <= start)")
    if n > MAX_TASKS:
        raise _err(where, f"the range has more than {MAX_TASKS} values")
    vals = [a + k * h for k in range(n)]
    if key in INT_KEYS:
        if any(not v.is_integer for v in vals):
            raise _err(where, "must give integers")
        return [int(v) for v in vals]
    return [rational_text(v) for v in vals]


def plan_sweep(source: str | Path | Mapping[str, Any]) -> SweepPlan:
    """Read and validate a sweep; every task's spec and training is built once here."""
    data = load_sweep(source)
    for k in data:
        if k not in TOP_KEYS:
            raise _err(str(k), f"unknown key (allowed: {', '.join(TOP_KEYS)})")
    task = data.get("task", "run")
    if task not in TASKS:
        raise _err("task", f"must be one of {', '.join(TASKS)}, got {task!r}")
    mode = data.get("mode", "product")
    if mode not in MODES:
        raise _err("mode", f"must be product or zip, got {mode!r}")
    chunk = data.get("chunk")
    if chunk is not None and (isinstance(chunk, bool) or not isinstance(chunk, int) or not 1 <= chunk <= 10**5):
        raise _err("chunk", f"must be an integer in [1, 100000], got {chunk!r}")
    record = data.get("record", 64)
    if isinstance(record, bool) or not isinstance(record, int) or not 2 <= record <= 10**4:
        raise _err("record", f"must be an integer in [2, 10000], got {record!r}")
    base = data.get("base", {})
    if not isinstance(base, Mapping):
        raise _err("base", "must be a table")
    for k, v in base.items():
        if k not in BASE_KEYS:
            raise _err(f"base.{k}", f"unknown key (allowed: {', '.join(BASE_KEYS)})")
        _check_value(k, f"base.{k}", v)
    raw_axes = data.get("axes", {})
    if not isinstance(raw_axes, Mapping):
        raise _err("axes", "must be a table")
    axes: dict[str, list[Any]] = {}
    for name, spec in raw_axes.items():
        key = "seed" if name == "seeds" else name
        if key not in AXIS_KEYS:
            raise _err(f"axes.{name}", f"not a sweepable key (allowed: {', '.join(AXIS_KEYS)}, seeds)")
        if key in axes:
            raise _err(f"axes.{name}", "the seed axis is given twice (seed and seeds)")
        axes[key] = _axis_values(name, spec)
    settings = {**DEFAULTS, **base}
    if task != "run" and "engine" in axes:
        raise _err("axes.engine", f"engine is for run tasks, not {task}")
    names = list(axes)
    if mode == "zip" and axes:
        lens = {n: len(v) for n, v in axes.items()}
        first = names[0]
        for n in names[1:]:
            if lens[n] != lens[first]:
                raise _err(f"axes.{n}", f"mode zip needs equal lengths: {lens[n]} values, axes.{first} has "
                                        f"{lens[first]}")
        combos = list(zip(*(axes[n] for n in names)))
    else:
        total = 1
        for v in axes.values():
            total *= len(v)
        if total > MAX_TASKS:
            raise _err("axes", f"the product has {total} tasks, at most {MAX_TASKS}")
        combos = list(itertools.product(*(axes[n] for n in names)))
    plan = SweepPlan(task, mode, axes, [], chunk, record)
    for combo in combos:
        labels = tuple(zip(names, combo))
        s = dict(settings)
        s.update(labels)
        _validate(plan, s, dict(labels))
        plan.tasks.append(TaskSpec(labels, s))
    return plan


def _where(key: str, labels: Mapping[str, Any]) -> str:
    return f"axes.{key}" if key in labels else f"base.{key}"


def spec_key(s: Mapping[str, Any]) -> tuple:
    return (s["target"], s["domain"], str(s["r"]), s["measure"])


def training_key(s: Mapping[str, Any]) -> tuple:
    return (str(s["eta"]), str(s["w0"]), s["batch"], s["seed"])


def _validate(plan: SweepPlan, s: Mapping[str, Any], labels: Mapping[str, Any]) -> None:
    """Build the task's spec and training once per distinct value (errors name the key)."""
    sk = spec_key(s)
    if sk not in plan.specs:
        try:
            plan.specs[sk] = make_spec(s["target"], s["domain"], str(s["r"]), s["measure"])
        except InputError as exc:
            raise _err(_where(_field(exc, ("target", "domain", "r", "measure")), labels), str(exc)) from None
        if s.get("points") is not None:
            from relu_pointwise.proofs.certificate import parse_points

            try:
                parse_points(s["points"], plan.specs[sk])
            except InputError as exc:
                raise _err("base.points", str(exc)) from None
    tk = training_key(s)
    if tk not in plan.trainings:
        try:
            plan.trainings[tk] = make_training(str(s["eta"]), str(s["w0"]), s["batch"], s["seed"])
        except InputError as exc:
            raise _err(_where(_field(exc, ("eta", "w0", "batch", "seed")), labels), str(exc)) from None
    steps = s["steps"]
    if not 0 <= steps <= MAX_STEPS:
        raise _err(_where("steps", labels), f"must be in [0, {MAX_STEPS}], got {steps}")
    if plan.task == "run":
        from relu_pointwise.numeric.engines import engine_names

        if s["engine"] not in engine_names():
            raise _err(_where("engine", labels), f"unknown engine {s['engine']!r} (one of {', '.join(engine_names())})")
        _check_kept_rows(s, labels)


def _check_kept_rows(s: Mapping[str, Any], labels: Mapping[str, Any]) -> None:
    """A run task keeps every step (its T(x) is the first step past a threshold): refuse, before any
    task runs, one whose rows would exceed RECORD_BYTES (the engines' own estimate of a row)."""
    from relu_pointwise.numeric.engines import engine_options, get_engine
    from relu_pointwise.symbolic.limits import RECORD_BYTES

    opts = {k: int(s[k]) for k in ("dps", "prec") if s.get(k) is not None and k in engine_options(s["engine"])}
    try:
        per_row = get_engine(s["engine"], **opts).row_bytes()
    except InputError as exc:
        raise _err(_where("engine", labels), str(exc)) from None
    size = (s["steps"] + 1) * per_row
    if size > RECORD_BYTES.value:
        raise _err(_where("steps", labels), f"a run task keeps every step, about {size} bytes for {s['steps']} steps "
                                            f"({s['engine']} engine), over the limit {RECORD_BYTES.value} bytes")


def _field(exc: InputError, keys: tuple[str, ...]) -> str:
    """The spec key an InputError is about (its ``field``, else the message's first word)."""
    f = getattr(exc, "field", None)
    head = str(exc).split(":", 1)[0].split()[0] if str(exc) else ""
    for cand in (f, head):
        if cand in keys:
            return str(cand)
    return keys[0]
