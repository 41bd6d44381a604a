"""Trajectories of gradient descent, and what each step's loss is.

A :class:`Trajectory` records one engine's run: the rows (t, w_t, L(w_t)), where
L is the loss of step t's batch at w_t (the convention of :mod:`numeric.np_engine`):

* ``full``: the population loss L(w) = integral phi(|f(w,x) - f°(x)|) dmu, from the
  derivation;
* ``cyclic:K``: the normalized loss of slab t mod K, K * integral over the slab
  (the derivation of ``spec.restricted(slab)``, times vol(Omega) for Lebesgue mu);
* ``sampled:M``, ``dataset:N,M``: the batch mean (1/M) sum_i phi(|f(w,x_i) - f°(x_i)|)
  = (1/M) sum_i (1/2 - w |g(x_i)|)_+^r  (w >= 0; a point with g = 0 contributes
  (1/2)^r for every w).

The last row t = T uses the batch that step T would use.  Values keep each
engine's own type: ``exact`` gmpy2.mpq, ``mp`` mpmath.mpf, ``arb`` flint.arb,
``np`` float.  Writers: CSV and JSON; exact values are written ``p/q``, mp values
as decimal strings at the run's dps, arb values as ``[mid +/- rad]`` plus exact
rational bounds ``lo`` and ``hi`` (lo <= true value <= hi), np values by repr.

:class:`StepSource` is the batch plan the exact, mp and arb engines share as
INPUT (not as results): for full/cyclic steps it gives the derivation (pieces of
L, L', L''), for point batches the exact |g(x_i)|, computed by the network's own
exact forward pass ``spec.network.level`` at the float64 points of
:class:`numeric.batches.BatchSchedule` read exactly as rationals.
"""
from __future__ import annotations

import base64
import csv
import html
import io
import json
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import sympy
from gmpy2 import mpq

from relu_pointwise.symbolic.derive_cache import derived
from relu_pointwise.symbolic.errors import InputError
from relu_pointwise.symbolic.iterate import PieceForms, piece_forms, to_mpq
from relu_pointwise.symbolic.loss import Derivation, derive
from relu_pointwise.symbolic.spec import Spec, Training
from relu_pointwise.symbolic.targets import Domain

from .batches import BatchSchedule
from .values import FloatFormat, ValueFormat, format_mpq

# ====================================================================== derivations of cells

def derive_cell(spec: Spec, cache: bool = True) -> Derivation:
    """derive(spec) for one cell of a batch plan (``cache``: through
    :func:`symbolic.derive_cache.derived`, once per spec in a process).

    A cyclic slab away from the target's boundary has |g| >= u_0 > 0 there;
    :func:`symbolic.loss.derive` then pads rho_|g| with a zero piece on [0, u_0),
    so L(w) = 0 for w >= 1/(2 u_0).
    """
    return derived(spec) if cache else derive(spec)


# ====================================================================== the batch plan

@dataclass(frozen=True)
class CellStep:
    """A full or cyclic step: the loss is ``scale`` * (the derivation's L)."""

    key: Any
    derivation: Derivation
    forms: tuple[PieceForms, ...]
    scale: mpq


@dataclass(frozen=True)
class PointStep:
    """A point batch: a_i = |g(x_i)| exact, M = len(a)."""

    key: Any
    a: tuple[mpq, ...]


class StepSource:
    """Step t's loss for the exact, mp and arb engines (see the module docstring)."""

    def __init__(self, spec: Spec, training: Training, steps: int, data: Any = None,
                 derivation: Derivation | None = None, cache: bool = True) -> None:
        # cache=False: every derivation afresh (certification: see symbolic.derive_cache)
        self.spec = spec
        self.cache = cache
        self.training = training
        self.kind = training.batch.kind
        self.schedule = BatchSchedule(spec, training, steps + 1, data=data)
        self._cells: dict[Any, CellStep] = {}
        self._g_rows: dict[int, mpq] = {}
        if self.kind.population:
            d = derivation if derivation is not None else derive_cell(spec, cache)
            self._cells[0] = CellStep(0, d, tuple(piece_forms(d)), mpq(1))

    @property
    def points(self) -> bool:
        return self.kind.uses_points

    def full_derivation(self) -> Derivation:
        return self._cells[0].derivation

    def cell(self, t: int) -> CellStep:
        """The derivation used at step t (full / cyclic)."""
        if self.kind.population:
            return self._cells[0]
        if not self.kind.slabs:
            raise ValueError(f"cell(): batch {self.kind} uses points")
        k = self.schedule.slab_index(t)
        c = self._cells.get(k)
        if c is None:
            lo, hi = self.schedule.cell(t)
            sub = self.spec.restricted(Domain(tuple(lo), tuple(hi)))
            d = derive_cell(sub, self.cache)
            # K * integral over the slab of phi dmu: the slab's probability mean for
            # probability mu, vol(Omega) times it for Lebesgue mu
            scale = mpq(1) if self.spec.measure == "probability" else to_mpq(self.spec.domain.volume)
            c = CellStep(k, d, tuple(piece_forms(d)), scale)
            self._cells[k] = c
        return c

    def _level(self, x) -> mpq:
        """|g(x)| exactly, by the network's forward pass at the exact rational x."""
        xs = [sympy.Rational(Fraction(float(v)).numerator, Fraction(float(v)).denominator) for v in x]
        return abs(to_mpq(self.spec.network.level(xs)))

    def batch(self, t: int) -> PointStep:
        """The exact |g(x_i)| of step t's points (sampled / dataset)."""
        if self.kind.fixed_dataset:
            idx = self.schedule.indices(t)
            data = self.schedule.data
            if data is None:   # a dataset schedule always holds its points: a bug
                raise TypeError("StepSource: a dataset schedule without data")
            out = []
            for i in idx.tolist():
                v = self._g_rows.get(i)
                if v is None:
                    v = self._level(data[i])
                    self._g_rows[i] = v
                out.append(v)
            return PointStep((self.kind.name, t), tuple(out))
        if self.kind.stochastic:
            pts = self.schedule.points(t)
            return PointStep((self.kind.name, t), tuple(self._level(x) for x in pts))
        raise ValueError(f"batch(): batch {self.kind} has no points")

    def step(self, t: int) -> CellStep | PointStep:
        return self.batch(t) if self.points else self.cell(t)


# ====================================================================== which rows are kept

DEFAULT_RECORD_ROWS = 10_000
"""Rows a run keeps by default: ``record_every`` is then the smallest of 1, 2, 5, 10, 20, ...
with at most this many rows (plus the last), so the output stays small at any step count."""


def default_record_every(steps: int) -> int:
    """The smallest k in 1, 2, 5, 10, 20, 50, ... with steps / k <= :data:`DEFAULT_RECORD_ROWS`."""
    scale = 1
    while True:
        for k in (scale, 2 * scale, 5 * scale):
            if steps <= DEFAULT_RECORD_ROWS * k:
                return k
        scale *= 10


def recorded_rows(steps: int, every: int) -> int:
    """How many rows t = 0, every, 2 every, ... and the last step T = ``steps`` make."""
    return steps // every + 1 + (1 if steps % every else 0)


def is_recorded(t: int, steps: int, every: int) -> bool:
    """Whether row t is kept: t a multiple of ``every``, or the last step."""
    return t % every == 0 or t == steps


# ====================================================================== exact rational bounds

def mpf_to_mpq(x) -> mpq:
    """An mpmath mpf (a dyadic rational) exactly as mpq."""
    import mpmath

    sign, man, exp, _ = x._mpf_
    if not man:
        if x._mpf_ != mpmath.libmp.fzero:
            raise ValueError(f"not a finite number: {x}")
        return mpq(0)
    v = mpq(int(man)) * (mpq(2) ** exp if exp >= 0 else mpq(1, 2 ** (-exp)))
    return -v if sign else v


# ====================================================================== the record

@dataclass(repr=False)
class Trajectory:
    """One engine's run, the one result type of every engine.

    Rows t = ``ts[i]`` with the engine's native values (``fmt`` prints, floats and,
    for rigorous types, bounds them):

    * ``ws[i]``: w_t;
    * ``losses[i]``: the loss of step t's batch at w_t (module docstring): the
      population loss for full batch, the slab's normalized loss (cyclic), the batch
      mean (sampled, dataset);
    * ``L``: the population loss ``L(w_t) = integral phi(|f(w_t,x) - f°(x)|) dmu`` at every
      row (``population``; ``None`` at a row where the engine has no answer, such as
      the exact ball below w*); for a full batch it is ``losses`` itself;
    * ``batch_loss``: ``losses`` for a mini-batch run, ``None`` for a full batch.

    ``meta`` holds engine facts (dps, prec, exact digit counts, stop reason, ...).
    """

    engine: str
    spec: Spec
    training: Training
    ts: list[int]
    ws: list[Any]
    losses: list[Any]
    meta: dict[str, Any] = field(default_factory=dict)
    fmt: ValueFormat = field(default_factory=FloatFormat)
    population: list[Any] | None = None

    def __len__(self) -> int:
        return len(self.ts)

    @property
    def steps_done(self) -> int:
        return self.ts[-1] if self.ts else 0

    def last(self) -> tuple[int, Any, Any]:
        return self.ts[-1], self.ws[-1], self.losses[-1]

    @property
    def minibatch(self) -> bool:
        return not self.training.batch.kind.population

    @property
    def L(self) -> list[Any]:
        """The population loss L(w_t) at every row (None where not available)."""
        if not self.minibatch:
            return self.losses
        return self.population if self.population is not None else [None] * len(self.ts)

    @property
    def batch_loss(self) -> list[Any] | None:
        """Step t's mini-batch (or slab) loss at w_t; None for a full-batch run."""
        return self.losses if self.minibatch else None

    # ---------------------------------------------------------- float view
    @property
    def t_array(self) -> np.ndarray:
        return np.asarray(self.ts, dtype=np.int64)

    @property
    def w_float(self) -> np.ndarray:
        return np.array([self.fmt.to_float(v) for v in self.ws], dtype=np.float64)

    @property
    def L_float(self) -> np.ndarray:
        return np.array([self.fmt.to_float(v) for v in self.L], dtype=np.float64)

    @property
    def batch_loss_float(self) -> np.ndarray | None:
        bl = self.batch_loss
        return None if bl is None else np.array([self.fmt.to_float(v) for v in bl], dtype=np.float64)

    def subsample(self, every: int) -> Trajectory:
        """The rows t = 0, every, 2 every, ... and always the last one."""
        every = int(every)
        if every <= 1 or not self.ts:
            return self
        keep = [i for i, t in enumerate(self.ts) if t % every == 0 or i == len(self.ts) - 1]
        pop = None if self.population is None else [self.population[i] for i in keep]
        return Trajectory(self.engine, self.spec, self.training, [self.ts[i] for i in keep],
                          [self.ws[i] for i in keep], [self.losses[i] for i in keep], dict(self.meta),
                          self.fmt, pop)

    # ---------------------------------------------------------- text
    def value_text(self, v: Any) -> str:
        return self.fmt.text(v)

    def _series(self) -> list[tuple[str, list[Any]]]:
        out = [("w", self.ws), ("L", self.L)]
        bl = self.batch_loss
        if bl is not None:
            out.append(("batch_loss", bl))
        return out

    def columns(self) -> list[str]:
        cols = ["t"]
        for name, _ in self._series():
            cols.append(name)
            if self.fmt.rigorous_bounds:
                cols += [name + "_lo", name + "_hi"]
        return cols

    def row(self, i: int) -> dict[str, str]:
        out = {"t": str(self.ts[i])}
        for name, values in self._series():
            v = values[i]
            out[name] = self.fmt.text(v)
            if self.fmt.rigorous_bounds:
                lo, hi = self.fmt.bounds(v) if v is not None else ("", "")
                out[name + "_lo"] = "" if v is None else format_mpq(lo)
                out[name + "_hi"] = "" if v is None else format_mpq(hi)
        return out

    def header(self) -> dict[str, Any]:
        return {"engine": self.engine, "spec": self.spec.describe(), "training": self.training.describe(),
                "meta": {k: (v if isinstance(v, (int, float, str, bool, list, type(None))) else str(v))
                         for k, v in self.meta.items()}}

    def to_json(self) -> dict[str, Any]:
        out = self.header()
        out["columns"] = self.columns()
        out["rows"] = [self.row(i) for i in range(len(self.ts))]
        return out

    def _summary(self) -> list[tuple[str, str]]:
        """(label, text) of the last row: t, w_t, L(w_t) and, for a mini-batch run, the batch loss."""
        t, wv, _ = self.last()
        lv = self.L[-1]
        out = [("engine", self.engine), ("target", self.spec.target.text), ("batch", self.training.batch.text()),
               ("t", str(t)), ("w_t", self.fmt.text(wv)),
               ("L(w_t)", "n/a" if lv is None else self.fmt.text(lv))]
        bl = self.batch_loss
        if bl is not None:
            out.append(("batch loss", self.fmt.text(bl[-1])))
        return out

    def __repr__(self) -> str:
        return (f"<Trajectory {len(self.ts)} rows: "
                + ", ".join(f"{k}={v}" for k, v in self._summary()) + ">")

    def plot(self, ax: Any = None) -> Any:
        """L(w_t) against t on log-log axes (t >= 1; ball midpoints for rigorous engines) with the
        reference slope t^(-1/3). Draws on ``ax`` if given; returns the matplotlib Figure (without
        ``ax``: a :class:`~relu_pointwise.numeric.figure.PlotFigure`, which Jupyter shows as a PNG by itself)."""
        from .figure import PlotFigure

        fig = PlotFigure(figsize=(4.8, 3.2), dpi=90) if ax is None else ax.figure
        ax = fig.subplots() if ax is None else ax
        t = self.t_array.astype(np.float64)
        lv = np.array([np.nan if v is None else self.fmt.to_float(v) for v in self.L], dtype=np.float64)
        keep = (t >= 1) & np.isfinite(lv) & (lv > 0)
        ax.loglog(t[keep], lv[keep], label=f"L(w_t), {self.engine}")
        if keep.sum() >= 2:
            t0, l0 = t[keep][0], lv[keep][0]
            ax.loglog(t[keep], l0 * (t[keep] / t0) ** (-1.0 / 3.0), "--", color="0.5", label="slope -1/3")
        ax.set_xlabel("t")
        ax.set_ylabel("L(w_t)")
        ax.legend(fontsize=8)
        fig.tight_layout()
        return fig

    def _repr_html_(self) -> str:
        """Jupyter: the last row as a table, and the loss curve when there are enough rows."""
        rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>" for k, v in self._summary())
        out = f"<table>{rows}</table>"
        if len(self.ts) >= 3:
            from .figure import png_bytes

            png = png_bytes(self.plot())
            out += f'<img src="data:image/png;base64,{base64.b64encode(png).decode()}"/>'
        return out

    def write_csv(self, path: str | Path) -> None:
        cols = self.columns()
        with open(path, "w", newline="", encoding="utf-8") as fh:
            fh.write("# " + json.dumps(self.header(), sort_keys=True) + "\n")
            wr = csv.DictWriter(fh, fieldnames=cols)
            wr.writeheader()
            for i in range(len(self.ts)):
                wr.writerow(self.row(i))

    def write_json(self, path: str | Path) -> None:
        """The document of :meth:`to_json`, written row by row (no second copy of the rows in memory)."""
        head = self.header()
        head["columns"] = self.columns()
        text = json.dumps(head, indent=1)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text[:text.rstrip().rindex("}")].rstrip() + ',\n "rows": [')
            for i in range(len(self.ts)):
                fh.write(("\n  " if i == 0 else ",\n  ") + json.dumps(self.row(i)))
            fh.write("\n ]\n}\n")

    def write(self, path: str | Path) -> None:
        """CSV or JSON by the file's suffix."""
        p = Path(path)
        suffix = p.suffix.lower()
        try:
            if suffix == ".csv":
                self.write_csv(p)
            elif suffix == ".json":
                self.write_json(p)
            else:
                raise InputError(f"-o: {p.name} must end in .csv or .json")
        except OSError as exc:
            raise InputError(f"-o: cannot write {str(p)!r}: {exc.strerror}") from None


def read_csv_rows(path: str | Path) -> list[dict[str, str]]:
    """Rows of a trajectory CSV written by :meth:`Trajectory.write_csv` (header comment skipped)."""
    text = Path(path).read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if not ln.startswith("#")]
    return list(csv.DictReader(io.StringIO("\n".join(lines))))
