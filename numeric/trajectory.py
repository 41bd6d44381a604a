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

import csv
import io
import json
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import sympy
from gmpy2 import mpq

from relu_pointwise.symbolic.errors import SpecError
from relu_pointwise.symbolic.iterate import PieceForms, piece_forms, to_mpq
from relu_pointwise.symbolic.loss import Derivation, derive
from relu_pointwise.symbolic.spec import Spec, Training
from relu_pointwise.symbolic.targets import Domain

from .batches import BatchSchedule

ENGINES = ("exact", "mp", "arb", "np")


# ====================================================================== derivations of cells

def derive_cell(spec: Spec) -> Derivation:
    """derive(spec) for one cell of a batch plan.

    A cyclic slab away from the target's boundary has |g| >= u_0 > 0 there;
    :func:`symbolic.loss.derive` then pads rho_|g| with a zero piece on [0, u_0),
    so L(w) = 0 for w >= 1/(2 u_0).
    """
    return derive(spec)


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
                 derivation: Derivation | None = None) -> None:
        self.spec = spec
        self.training = training
        self.kind = training.batch.kind
        self.schedule = BatchSchedule(spec, training, steps + 1, data=data)
        self._cells: dict[Any, CellStep] = {}
        self._g_rows: dict[int, mpq] = {}
        if self.kind == "full":
            d = derivation if derivation is not None else derive(spec)
            self._cells[0] = CellStep(0, d, tuple(piece_forms(d)), mpq(1))

    @property
    def points(self) -> bool:
        return self.kind in ("sampled", "dataset")

    def full_derivation(self) -> Derivation:
        return self._cells[0].derivation

    def cell(self, t: int) -> CellStep:
        """The derivation used at step t (full / cyclic)."""
        if self.kind == "full":
            return self._cells[0]
        if self.kind != "cyclic":
            raise ValueError(f"cell(): batch {self.kind} uses points")
        k = self.schedule.slab_index(t)
        c = self._cells.get(k)
        if c is None:
            lo, hi = self.schedule.cell(t)
            sub = self.spec.restricted(Domain(tuple(lo), tuple(hi)))
            d = derive_cell(sub)
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
        if self.kind == "dataset":
            idx = self.schedule.indices(t)
            data = self.schedule.data
            out = []
            for i in idx.tolist():
                v = self._g_rows.get(i)
                if v is None:
                    v = self._level(data[i])
                    self._g_rows[i] = v
                out.append(v)
            return PointStep(("dataset", t), tuple(out))
        if self.kind == "sampled":
            pts = self.schedule.points(t)
            return PointStep(("sampled", t), tuple(self._level(x) for x in pts))
        raise ValueError(f"batch(): batch {self.kind} has no points")

    def step(self, t: int) -> CellStep | PointStep:
        return self.batch(t) if self.points else self.cell(t)


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


def format_mpq(x: mpq) -> str:
    x = mpq(x)
    return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"


# ====================================================================== the record

@dataclass
class Trajectory:
    """One engine's run: rows (t, w_t, L(w_t)) with engine-native values.

    ``meta`` holds engine facts (dps, prec, exact digit counts, stop reason, ...).
    """

    engine: str
    spec: Spec
    training: Training
    ts: list[int]
    ws: list[Any]
    losses: list[Any]
    meta: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ts)

    @property
    def steps_done(self) -> int:
        return self.ts[-1] if self.ts else 0

    def last(self) -> tuple[int, Any, Any]:
        return self.ts[-1], self.ws[-1], self.losses[-1]

    # ---------------------------------------------------------- text
    def value_text(self, v: Any) -> str:
        if v is None:
            return ""
        if self.engine == "exact":
            return format_mpq(v)
        if self.engine == "mp":
            import mpmath

            return mpmath.nstr(v, int(self.meta.get("dps", 50)), strip_zeros=False)
        if self.engine == "arb":
            return v.str(int(self.meta.get("digits", 40)), radius=True, more=True)
        return repr(float(v))

    def columns(self) -> list[str]:
        if self.engine == "arb":
            return ["t", "w", "w_lo", "w_hi", "loss", "loss_lo", "loss_hi"]
        return ["t", "w", "loss"]

    def row(self, i: int) -> dict[str, str]:
        t, wv, lv = self.ts[i], self.ws[i], self.losses[i]
        out = {"t": str(t), "w": self.value_text(wv), "loss": self.value_text(lv)}
        if self.engine == "arb":
            from .arb_balls import ball_bounds

            lo, hi = ball_bounds(wv)
            out["w_lo"], out["w_hi"] = format_mpq(lo), format_mpq(hi)
            lo, hi = ball_bounds(lv)
            out["loss_lo"], out["loss_hi"] = format_mpq(lo), format_mpq(hi)
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

    def write_csv(self, path: str | Path) -> None:
        cols = self.columns()
        with open(path, "w", newline="", encoding="utf-8") as fh:
            fh.write("# " + json.dumps(self.header(), sort_keys=True) + "\n")
            wr = csv.DictWriter(fh, fieldnames=cols)
            wr.writeheader()
            for i in range(len(self.ts)):
                wr.writerow(self.row(i))

    def write_json(self, path: str | Path) -> None:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(self.to_json(), fh, indent=1)
            fh.write("\n")

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
                raise SpecError(f"-o: {p.name} must end in .csv or .json")
        except OSError as exc:
            raise SpecError(f"-o: cannot write {str(p)!r}: {exc.strerror}") from None


def read_csv_rows(path: str | Path) -> list[dict[str, str]]:
    """Rows of a trajectory CSV written by :meth:`Trajectory.write_csv` (header comment skipped)."""
    text = Path(path).read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if not ln.startswith("#")]
    return list(csv.DictReader(io.StringIO("\n".join(lines))))
