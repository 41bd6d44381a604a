"""Consistent forgeries of real certificates (the adversary's toolkit for the checker's tests).

A *consistent forgery* starts from a certificate the prover really issued and changes it
so that it states something mathematically false, while every number that depends on
the change is recomputed (thresholds, T(x) from the same enclosed path, the growth
constants in the rate claim, rests_on and the verdict's reason, the statement text), so
that no cheap bookkeeping check can catch it: only the mathematics can.

Everything here goes through a few small helpers (:func:`claim`, :func:`data`,
:func:`set_T`, :func:`replace_text`, :func:`finish`, :func:`as_version`), so that a change
of the certificate schema (version 3: /work/wt/notes/SCHEMA.md) is a few lines here.

The base certificates are built once per process (:func:`base`), with small step counts.
"""
from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sympy
from gmpy2 import mpq

Q = sympy.Rational
Doc = dict[str, Any]


# ====================================================================== the base certificates

@dataclass(frozen=True)
class BaseSpec:
    target: str
    training: dict[str, Any]
    kwargs: dict[str, Any]


def _pts(*rows: Sequence[Any]) -> list[tuple[sympy.Rational, ...]]:
    return [tuple(Q(v) for v in r) for r in rows]


BASES: dict[str, BaseSpec] = {
    # the default target with its default 17-point grid (the worst case)
    "interval": BaseSpec("interval:-1/2,1/2", {}, {"steps": 400}),
    "union": BaseSpec("union:-3/4,-1/4;0,1/2", {}, {"grid": 5, "steps": 400}),
    "box": BaseSpec("box:-1/2,1/2;-1/2,1/2", {}, {"grid": 3, "steps": 60}),
    "halfspace": BaseSpec("halfspace:1,1,1/2", {}, {"grid": 3, "steps": 100}),
    "polytope": BaseSpec("polytope:1,0,1/2;0,1,1/2;-1,-1,1/2", {}, {"grid": 3, "steps": 100}),
    "ball": BaseSpec("ball:d=2,R=1/2", {}, {"grid": 3, "steps": 400}),
    "deep": BaseSpec("ball:d=2,R=1/2,N=1", {},
                     {"points": _pts((-1, -1), (0, 0), ("1/4", "1/4"), (1, 0)), "steps": 100}),
    "interval_r3/2": BaseSpec("interval:-1/2,1/2", {}, {"grid": 5, "steps": 300, "r": "3/2"}),
    "ball3": BaseSpec("ball:d=3,R=1/2", {}, {"points": _pts((0, 0, 0), ("1/4", 0, 0), (1, 1, 1)), "steps": 200}),
    "cyclic_r3/2": BaseSpec("interval:-1/2,1/2", {"batch": "cyclic:4"}, {"grid": 5, "steps": 100, "r": "3/2"}),
    "cyclic": BaseSpec("interval:-1/2,1/2", {"batch": "cyclic:4"}, {"grid": 5, "steps": 100}),
    "cyclic3": BaseSpec("interval:-1/2,1/2", {"batch": "cyclic:3"}, {"grid": 9, "steps": 200}),
    "sampled": BaseSpec("interval:-1/2,1/2", {"batch": "sampled:8"}, {"grid": 3, "steps": 30}),
    "dataset": BaseSpec("interval:-1/2,1/2", {"batch": "dataset:8,4"}, {"grid": 3, "steps": 30}),
}


@functools.cache
def build(name: str) -> Any:
    """The prover's Build (certificate, path, ...) of BASES[name], made once per process."""
    from relu_pointwise.proofs.certificate import build as _build
    from relu_pointwise.symbolic.spec import make_spec, make_training

    b = BASES[name]
    kwargs = dict(b.kwargs)
    r = kwargs.pop("r", "2")
    return _build(make_spec(b.target, r=r), make_training(**b.training), **kwargs)


def base(name: str) -> Doc:
    """A fresh deep copy of the real certificate BASES[name]."""
    return copy.deepcopy(build(name).cert)


def path_lo(name: str, t: int) -> mpq:
    """The prover's lower bound of w_t on the base path (a value <= the true w_t)."""
    return mpq(build(name).path.lo[t])


def path_hi(name: str, t: int) -> mpq:
    return mpq(build(name).path.hi[t])


def first_reach(name: str, theta: Any) -> int:
    """The first t with the prover's lower bound lo[t] >= theta (the prover's T(x))."""
    lo = build(name).path.lo
    return next(t for t, v in enumerate(lo) if v >= theta)


# ====================================================================== small edits

def claim(doc: Doc, cid: str) -> dict[str, Any]:
    return next(c for c in doc["claims"] if c["id"] == cid)


def data(doc: Doc, cid: str) -> dict[str, Any]:
    return claim(doc, cid)["data"]


def point_ids(doc: Doc, moving: bool = False) -> list[str]:
    """The T(x) claims; ``moving``: only those with g != 0 (T(x) > 0 possible)."""
    return [c["id"] for c in doc["claims"] if c["id"].startswith("pointwise:")
            and (not moving or c["data"].get("g") != "0")]


def q(text: str) -> mpq:
    return mpq(Q(text).p, Q(text).q)


def ex(v: Any) -> str:
    """Exact text p/q of a rational (the certificate's number form)."""
    v = mpq(v)
    return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"


def replace_text(doc: Doc, cid: str, old: str, new: str) -> None:
    """Keep the claim's statement in step with its data: every ``old`` becomes ``new``."""
    c = claim(doc, cid)
    c["statement"] = c["statement"].replace(old, new)


def set_T(doc: Doc, cid: str, T_lo: Any, T_hi: Any = None, bound: Any = "same") -> None:
    """T_lo, T_hi (and T_bound_proved, when present) of a point, the statement's T(x) with them."""
    d = data(doc, cid)
    T_hi = T_lo if T_hi is None else T_hi
    old = d.get("T_hi")
    d["T_lo"], d["T_hi"] = str(T_lo), str(T_hi)
    if "T_bound_proved" in d:
        d["T_bound_proved"] = str(T_hi) if bound == "same" else str(bound)
    c = claim(doc, cid)
    c["statement"] = re.sub(r"T\(x\) = \d+", f"T(x) = {T_hi}", c["statement"])
    if old is not None:
        c["statement"] = c["statement"].replace(f"w_{old}", f"w_{T_hi}")


def drop_claims(doc: Doc, keep: Callable[[dict[str, Any]], bool]) -> None:
    doc["claims"] = [c for c in doc["claims"] if keep(c)]


def finish(doc: Doc, verdict: str = "certified") -> Doc:
    """rests_on = every claim marked proved or enclosed; the verdict and its reason recomputed;
    every text re-rendered from the data where the writer renders texts (schema v3)."""
    doc["rests_on"] = [c["id"] for c in doc["claims"] if c["status"] in ("proved", "enclosed")]
    doc["verdict"] = verdict
    if verdict == "certified":
        doc["reason"] = f"all {len(doc['rests_on'])} claims it rests on are proved or enclosed"
    return rerender(doc)


def rerender(doc: Doc) -> Doc:
    """Statements, scope and reason as the writer renders them from the data (schema v3:
    ``proofs.certificate.render_texts``), so that only the mathematics can refuse a forgery;
    a no-op for a writer that does not render (v2). Forgeries whose point is text that
    contradicts the data edit the text after this."""
    try:
        from relu_pointwise.proofs.certificate import render_texts  # type: ignore[attr-defined]
    except ImportError:
        return doc
    try:
        render_texts(doc)
    except (KeyError, TypeError, ValueError):    # data the templates cannot render: the text stays
        pass
    return doc


def update_present(d: dict[str, Any], **values: Any) -> None:
    """Set only the keys the data already has (fields a schema version dropped stay absent)."""
    for k, v in values.items():
        if k in d:
            d[k] = v


def writer_version() -> int:
    from relu_pointwise.proofs.certificate import VERSION

    return int(VERSION)


def as_version(doc: Doc, version: int) -> Doc:
    """The same content labelled as an older schema version (1: no weights in the file)."""
    doc["version"] = version
    if version < 2:
        data(doc, "construction").pop("network", None)
    return doc


def set_growth_constant(doc: Doc, key: str, value: str, eta: Any = None) -> None:
    """growth.c or growth.Cbar := value, and what depends on it (3 eta c, the rate claim's copy)."""
    g = data(doc, "growth")
    eta = q(doc["inputs"]["eta"]) if eta is None else eta
    old = g[key]
    g[key] = value
    replace_text(doc, "growth", f"{key} = {old}", f"{key} = {value}")
    r = data(doc, "rate")
    r[key] = value
    if key == "c" and re.fullmatch(r"-?[0-9]+(/[0-9]+)?", value):   # rational c: 3 eta c here
        new3 = ex(3 * eta * q(value))
        replace_text(doc, "rate", r["3_eta_c"], new3)
        g["3_eta_c"] = r["3_eta_c"] = new3
    replace_text(doc, "rate", old, value)


def pointwise_for(doc: Doc, cid_from: str, x_text: list[str]) -> dict[str, Any]:
    """A copy of claim ``cid_from`` (its data) under the id of the point ``x_text``."""
    c = copy.deepcopy(claim(doc, cid_from))
    c["id"] = "pointwise:x=" + (x_text[0] if len(x_text) == 1 else "(" + ",".join(x_text) + ")")
    return c


# ====================================================================== the suite's format

@dataclass(frozen=True)
class Forgery:
    """One forgery: ``edit`` turns a fresh copy of base ``base`` into a false certificate."""

    name: str
    base: str
    reason: str                      # one line: why the forged certificate is mathematically false
    edit: Callable[[Doc], Any]
    files: tuple[str, ...] = ()      # names of files to write beside the certificate (empty content)

    def make(self) -> Doc:
        doc = base(self.base)
        out = self.edit(doc)
        return doc if out is None else out

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for name in self.files:
            (folder / name).write_bytes(b"")
        path = folder / "certificate.json"
        path.write_text(json.dumps(self.make(), indent=1), encoding="utf-8")
        return path


def verify_exit(path: Path) -> tuple[int, str]:
    """``pointwise verify PATH --quiet`` in-process: (exit code, stdout + stderr).

    An exception escaping ``main`` (a traceback) is returned as exit code -1."""
    import contextlib
    import io

    from relu_pointwise.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(["verify", str(path), "--quiet"])
        except SystemExit as exc:            # argparse
            rc = int(exc.code or 0)
        except Exception as exc:             # noqa: BLE001  (a traceback: reported, not raised)
            return -1, f"TRACEBACK {type(exc).__name__}: {exc}"
    return rc, out.getvalue() + err.getvalue()
