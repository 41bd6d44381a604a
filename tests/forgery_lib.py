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


# ====================================================================== edits the catalogs share

TINY = mpq(1, 10 ** 30)        # far below every gap between a true constant and a false one
MARGIN = mpq(1, 10 ** 6)       # widens an enclosure of the base path outward


def theta_of(d: dict[str, Any]) -> mpq:
    """The threshold 1/(2|g(x)|) of a T(x) claim's data (the w at which x's error vanishes)."""
    return 1 / (2 * abs(q(d["g"])))


def claim_index(doc: Doc, cid: str) -> int:
    """The position of claim ``cid`` in the claim list."""
    return next(k for k, c in enumerate(doc["claims"]) if c["id"] == cid)


def depth_row(doc: Doc, x: list[str]) -> dict[str, Any]:
    """The row of point ``x`` in the deep-ball N(x) table."""
    return next(r for r in data(doc, "deep_ball_depth")["table"] if r["x"] == x)


def set_data(doc: Doc, cid: str, **values: Any) -> Doc:
    """Claim ``cid``'s data keys := values (in order), then :func:`finish`."""
    data(doc, cid).update(values)
    return finish(doc)


def set_spec(doc: Doc, **values: Any) -> Doc:
    """The inputs' spec fields := values (the claims stay those of the old spec), then :func:`finish`."""
    doc["inputs"]["spec"].update(values)
    return finish(doc)


def set_eta(doc: Doc, eta: str, three_eta_c: str) -> Doc:
    """The inputs' eta and every claim's copy of it (growth, entry, rate; 3 eta c with it)."""
    doc["inputs"]["eta"] = eta
    for k in ("growth", "entry", "rate"):
        data(doc, k)["eta"] = eta
    for k in ("growth", "rate"):
        data(doc, k)["3_eta_c"] = three_eta_c
    return finish(doc)


def t_early(doc: Doc, cid: str, name: str, by: int = 1) -> Doc:
    """T(x) of claim ``cid`` lowered by ``by`` steps (false: w_(T-1) < 1/(2|g|) on the base path)."""
    T = int(data(doc, cid)["T_lo"])
    set_T(doc, cid, T - by)
    return finish(doc)


def negative_t0(doc: Doc, name: str, T_new: Any = 0) -> Doc:
    """Entry at the horizon (t* = steps, true: w_steps >= w*), the rate anchored at t0 = -1 with
    w_{-1} >= w_steps; then every T(x) that w_steps passes is lowered to T_new."""
    steps = int(doc["inputs"]["steps"])
    kind = "W_star" if "W_star" in data(doc, "entry") else "w_star"
    e = data(doc, "entry")
    old_t = e.get("t_star")
    e.update(t_star=str(steps), w_t_star_lo=ex(path_lo(name, steps) - MARGIN),
             w_t_star_hi=ex(path_hi(name, steps) + MARGIN))
    if "t_star_exact" in e:
        e["t_star_exact"] = "no"
    if old_t is not None:
        replace_text(doc, "entry", f"t* = {old_t}", f"t* = {steps}")
    r = data(doc, "rate")
    W0 = path_lo(name, steps) - MARGIN
    replace_text(doc, "rate", f"t >= {r['t0']}", "t >= -1")
    r.update(t0="-1", w_t0_lower=ex(W0))
    assert W0 >= q(e[kind])
    for cid in point_ids(doc, moving=True):
        if theta_of(data(doc, cid)) <= W0:
            set_T(doc, cid, T_new)
    return finish(doc)


def set_power_law(doc: Doc, C: Any, minus_dL_at_w_star: Any) -> Doc:
    """A false closed form L(w) = C/w (C a SymPy constant) and everything that follows from it:
    coeffs and C (w L = C), the growth polynomials A = B = C, c = Cbar = C, 3 eta c = 3 C (eta = 1),
    and the entry's -L'(w*)."""
    from relu_pointwise.symbolic.exprio import to_text

    w = sympy.Symbol("w", positive=True)
    a = data(doc, "asymptotic")
    a["L_asymptotic"] = to_text(C / w)
    update_present(a, coeffs=[to_text(C)], C=to_text(C))
    update_present(data(doc, "growth"), C=to_text(C), A_poly_v=[to_text(C)], B_poly_v=[to_text(C)])
    for k in ("growth", "rate"):
        update_present(data(doc, k), c=to_text(C), Cbar=to_text(C), **{"3_eta_c": to_text(3 * C)})
    data(doc, "entry")["minus_dL_at_w_star"] = to_text(minus_dL_at_w_star)
    return finish(doc)


def set_slab_c(doc: Doc, c: Any, text: Callable[[Any], str] = ex) -> None:
    """cyclic:K: every slab's c_k := c, their sum K c and the gain per cycle 3 eta K c (the rate's
    3 eta c), written by ``text``."""
    g = data(doc, "cyclic_growth")
    for s in g["slabs"]:
        s["c"] = text(c)
    K = len(g["slabs"])
    g["sum_c"] = text(K * c)
    gain = 3 * q(doc["inputs"]["eta"]) * K          # 3 eta K, exact
    if isinstance(c, sympy.Basic):                  # a SymPy constant: the factor as a SymPy Rational
        gain = Q(int(gain.numerator), int(gain.denominator))
    g["gain_per_cycle"] = data(doc, "rate")["3_eta_c"] = text(gain * c)


def scaled_build(factor: Any, target: str = "interval:-1/2,1/2", grid: int = 5) -> Doc:
    """A real prover run whose network computes factor * g (every number recomputed for it)."""
    import dataclasses
    import sys

    from relu_pointwise.proofs.certificate import build as _build
    from relu_pointwise.symbolic import network, targets
    from relu_pointwise.symbolic.spec import make_spec, make_training

    orig_build, orig_level = network.build_network, targets.level_value

    def scaled(level: Any, dim: int) -> Any:
        net = orig_build(level, dim)
        return dataclasses.replace(net, readout=tuple(factor * v for v in net.readout),
                                   readout_bias=factor * net.readout_bias)

    def level(lv: Any, x: Any) -> Any:
        return factor * orig_level(lv, x)

    patched = []
    for m in list(sys.modules.values()):
        if not getattr(m, "__name__", "").startswith("relu_pointwise"):
            continue
        for nm, new, old in (("build_network", scaled, orig_build), ("level_value", level, orig_level)):
            if getattr(m, nm, None) is old:
                setattr(m, nm, new)
                patched.append((m, nm, old))
    try:
        doc = _build(make_spec(target), make_training(), grid=grid, steps=400).cert
    finally:
        for m, nm, old in patched:
            setattr(m, nm, old)
    # the prover's own comparison with the true level function fails: the forger says it holds
    c = claim(doc, "construction")
    c["status"] = "proved"
    c["statement"] = c["statement"].split(" at the ")[0] + " everywhere on the domain"
    return finish(doc)


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
