"""JSON export of a derivation, and its safe reader.

Schema ``"relu-pointwise/derivation"``, version 1.  Every exact expression is a
string in the grammar of :mod:`symbolic.exprio` (``+ - * / **``, parentheses,
integers, ``p/q``, decimals, ``sqrt``, ``Abs``, ``Min``, ``Max``, ``log``,
``exp``, ``gamma``, ..., the constants ``pi`` and ``E``; see that module's
docstring for the full EBNF).  Plain rationals are ``"p/q"`` or ``"n"``.
``null`` in a ``w_hi`` means +infinity.  The reader parses every string with
``exprio.from_text`` / ``exprio.rational_from_text`` against an allow-list of
symbols; nothing is evaluated as code.

Symbols (all exact, as in :mod:`symbolic.loss`):
``w`` the trained slope (positive), ``eta`` the step size (positive),
``x`` the input coordinate in 1-D (real).

Top-level keys::

    schema            "relu-pointwise/derivation"
    version           1
    spec              {target, domain, dim, r, measure}        target text in the
                      target grammar, domain "LO,HI[;LO,HI...]", r rational
    network           Network.to_json(): features, hidden [{weight, bias}],
                      readout, readout_bias, head_bias, head_out (rationals);
                      the head is f(w,x) = sum_k head_out[k] sigma(w g + head_bias[k])
    regions           the hidden layers' linear regions (cells), each
                      {interval: [lo, hi]} (1-D) or {vertices: [[x1, ..., xd], ...]}
                      (d-D; counter-clockwise in 2-D; 1-D cells in domain order), pattern (0/1 activity per
                      hidden layer and neuron), g: {coeffs: [...], const}
                      meaning g(x) = coeffs . x + const on the cell
    w_regions         (1-D only, else null) the full network's regions as functions
                      of w: [{w_lo, w_hi, piece, regions: [{lo, hi, cell, head,
                      head_pattern, g, output}]}]; lo/hi expressions in w, g in x,
                      output f(w, x) in (w, x); head is "on" (f = 1), "linear"
                      (f = w g + 1/2) or "off" (f = 0); valid for w in [w_lo, w_hi],
                      piece = index into pieces, cell = index into regions
                      (see symbolic.wregions)
    densities         {signed, abs}: PiecewisePoly.to_json() of the pushforward
                      density of g and of |g|: {breaks: [...], coeffs: [[c0, c1, ...]]},
                      density sum_k c_k u^k on (breaks[j], breaks[j+1])
    exact_from        rational; the pieces cover [exact_from, oo)
    pieces            [{w_lo, w_hi, L, dL, Phi}]: on w_lo <= w <= w_hi,
                      L(w) = L, L'(w) = dL, Phi(w) = w - eta L'(w) = Phi (in w, eta)
    w_star            the asymptotic threshold (expression, usually rational)
    asymptotic        {form, threshold, coefficients, leading_constant}: for
                      w >= threshold (= w_star), L(w) = form = sum_k coefficients[k]
                      w^-(k+1) (coefficients may be empty when the form is not a
                      finite power sum); leading_constant C = lim w L(w)
    notes             list of strings

:func:`read_derivation_json` validates the schema, version, keys and types and
returns the same structure with every expression a sympy object (``w_hi`` null
read as ``sympy.oo``); a bad document raises :class:`InputError` naming the key.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sympy

from .errors import InputError
from .exprio import as_basic, from_text, rational_from_text, to_text
from .loss import Derivation, eta, w
from .numbers import as_rational, rational_text
from .wregions import sorted_cells, w_regions, x

SCHEMA = "relu-pointwise/derivation"
VERSION = 1
Q = sympy.Rational

SYM_W = {"w": w}
SYM_PHI = {"w": w, "eta": eta}
SYM_WX = {"w": w, "x": x}
SYM_X = {"x": x}
SYM_NONE: dict = {}


_q = as_rational


def _end(v) -> str | None:
    return None if v == sympy.oo else to_text(as_basic(v))


def _cell_json(cell, dim: int) -> dict:
    out: dict[str, Any] = {}
    if dim == 1:
        lo, hi = cell.interval()
        out["interval"] = [rational_text(lo), rational_text(hi)]
    else:
        verts = cell.poly.ordered_vertices_2d() if dim == 2 else sorted(cell.poly.vertices)
        out["vertices"] = [[rational_text(_q(c)) for c in v] for v in verts]
    out["pattern"] = [list(layer) for layer in cell.pattern]
    out["g"] = {"coeffs": [rational_text(c) for c in cell.g_coeffs], "const": rational_text(cell.g_const)}
    return out


def _w_regions_json(derivation: Derivation) -> list[dict] | None:
    if derivation.spec.dim != 1 or not derivation.cells:
        return None
    out = []
    for s in w_regions(derivation):
        out.append({
            "w_lo": _end(s.w_lo), "w_hi": _end(s.w_hi), "piece": s.piece,
            "regions": [{"lo": to_text(as_basic(r.lo)), "hi": to_text(as_basic(r.hi)),
                         "cell": r.cell, "head": r.head, "head_pattern": list(r.head_pattern),
                         "g": to_text(r.g), "output": to_text(r.output)} for r in s.regions],
        })
    return out


def _density_json(d) -> Any:
    return d.to_json() if hasattr(d, "to_json") else None


def derivation_to_json(derivation: Derivation) -> dict:
    """The schema-versioned JSON document (a dict) for ``derivation``; see the module docstring."""
    spec = derivation.spec
    phis = derivation.gd_map(eta)
    pieces = [{"w_lo": _end(p.w_lo), "w_hi": _end(p.w_hi), "L": to_text(p.expr),
               "dL": to_text(p.derivative), "Phi": to_text(phi)}
              for p, (_, _, phi) in zip(derivation.pieces, phis)]
    return {
        "schema": SCHEMA,
        "version": VERSION,
        "spec": {"target": spec.target.text, "domain": spec.domain.text(), "dim": spec.dim,
                 "r": rational_text(spec.r), "measure": spec.measure},
        "network": spec.network.to_json(),
        "regions": [_cell_json(c, spec.dim) for c in
                    (sorted_cells(derivation.cells) if spec.dim == 1 else derivation.cells)],
        "w_regions": _w_regions_json(derivation),
        "densities": {"signed": _density_json(derivation.density), "abs": _density_json(derivation.abs_density)},
        "exact_from": rational_text(derivation.exact_from),
        "pieces": pieces,
        "w_star": to_text(as_basic(derivation.w_star)),
        "asymptotic": {"form": to_text(derivation.asymptotic),
                       "threshold": to_text(as_basic(derivation.w_star)),
                       "coefficients": [to_text(as_basic(c)) for c in derivation.asymptotic_coeffs],
                       "leading_constant": to_text(as_basic(derivation.leading_constant))},
        "notes": list(derivation.notes),
    }


def _dump(v: Any, indent: int) -> str:
    """JSON text: objects and lists of containers one item a line, lists of scalars inline."""
    pad, inner = " " * indent, " " * (indent + 1)
    if isinstance(v, Mapping) and v:
        items = [f"{inner}{json.dumps(k)}: {_dump(val, indent + 1)}" for k, val in v.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(v, list) and any(isinstance(e, (Mapping, list)) for e in v):
        return "[\n" + ",\n".join(inner + _dump(e, indent + 1) for e in v) + "\n" + pad + "]"
    return json.dumps(v)


def dumps(derivation: Derivation) -> str:
    """The document as JSON text (standard JSON; compact lists of numbers)."""
    return _dump(derivation_to_json(derivation), 0) + "\n"


# ------------------------------------------------------------------ reader

TOP_KEYS = ("schema", "version", "spec", "network", "regions", "w_regions", "densities",
            "exact_from", "pieces", "w_star", "asymptotic", "notes")


class _Reader:
    def __init__(self) -> None:
        pass

    @staticmethod
    def fail(where: str, message: str):
        raise InputError(f"derivation JSON {where}: {message}")

    def obj(self, v, where: str, keys: tuple[str, ...], optional: tuple[str, ...] = ()) -> Mapping:
        if not isinstance(v, Mapping):
            self.fail(where, f"expected an object, got {type(v).__name__}")
        for k in v:
            if k not in keys and k not in optional:
                self.fail(where, f"unknown key {k!r}")
        for k in keys:
            if k not in v:
                self.fail(where, f"missing key {k!r}")
        return v

    def lst(self, v, where: str) -> list:
        if not isinstance(v, list):
            self.fail(where, f"expected a list, got {type(v).__name__}")
        return v

    def string(self, v, where: str) -> str:
        if not isinstance(v, str):
            self.fail(where, f"expected a string, got {type(v).__name__}")
        return v

    def integer(self, v, where: str) -> int:
        if isinstance(v, bool) or not isinstance(v, int):
            self.fail(where, f"expected an integer, got {type(v).__name__}")
        return v

    def expr(self, v, where: str, symbols: Mapping) -> sympy.Expr:
        try:
            return from_text(self.string(v, where), symbols)
        except InputError as exc:
            self.fail(where, str(exc))

    def end(self, v, where: str, symbols: Mapping) -> sympy.Expr:
        return sympy.oo if v is None else self.expr(v, where, symbols)

    def rational(self, v, where: str) -> sympy.Rational:
        try:
            return rational_from_text(self.string(v, where))
        except InputError as exc:
            self.fail(where, str(exc))

    def rationals(self, v, where: str) -> list[sympy.Rational]:
        return [self.rational(c, f"{where}[{i}]") for i, c in enumerate(self.lst(v, where))]

    def bits(self, v, where: str) -> list[int]:
        out = []
        for i, b in enumerate(self.lst(v, where)):
            if self.integer(b, f"{where}[{i}]") not in (0, 1):
                self.fail(f"{where}[{i}]", "activation must be 0 or 1")
            out.append(b)
        return out


def _read_network(rd: _Reader, v) -> dict:
    n = rd.obj(v, "network", ("features", "hidden", "readout", "readout_bias", "head_bias", "head_out"))
    hidden = []
    for i, layer in enumerate(rd.lst(n["hidden"], "network.hidden")):
        where = f"network.hidden[{i}]"
        layer = rd.obj(layer, where, ("weight", "bias"))
        hidden.append({"weight": [rd.rationals(row, f"{where}.weight[{j}]")
                                  for j, row in enumerate(rd.lst(layer["weight"], f"{where}.weight"))],
                       "bias": rd.rationals(layer["bias"], f"{where}.bias")})
    return {"features": [rd.string(f, f"network.features[{i}]")
                         for i, f in enumerate(rd.lst(n["features"], "network.features"))],
            "hidden": hidden,
            "readout": rd.rationals(n["readout"], "network.readout"),
            "readout_bias": rd.rational(n["readout_bias"], "network.readout_bias"),
            "head_bias": rd.rationals(n["head_bias"], "network.head_bias"),
            "head_out": rd.rationals(n["head_out"], "network.head_out")}


def _read_density(rd: _Reader, v, where: str):
    if v is None:
        return None
    d = rd.obj(v, where, ("breaks", "coeffs"))
    return {"breaks": rd.rationals(d["breaks"], f"{where}.breaks"),
            "coeffs": [rd.rationals(c, f"{where}.coeffs[{j}]")
                       for j, c in enumerate(rd.lst(d["coeffs"], f"{where}.coeffs"))]}


def read_derivation_json(source: str | Path | Mapping) -> dict:
    """Read and validate a derivation document (a path to a JSON file, or the parsed dict).

    Returns a dict with the module docstring's keys, every expression parsed by
    :func:`symbolic.exprio.from_text` into sympy (symbols ``w``, ``eta`` positive,
    ``x`` real: the very symbols of :mod:`symbolic.loss` and :mod:`symbolic.wregions`),
    every rational a ``sympy.Rational`` and ``w_hi = null`` as ``sympy.oo``.
    Raises :class:`InputError` (one line, naming the key) on anything malformed.
    """
    if isinstance(source, Mapping):
        doc = source
    else:
        from .jsonio import read_json

        doc = read_json(Path(source), what="derivation JSON")
    rd = _Reader()
    doc = rd.obj(doc, "document", TOP_KEYS)
    if doc["schema"] != SCHEMA:
        rd.fail("schema", f"expected {SCHEMA!r}, got {doc['schema']!r}")
    if doc["version"] != VERSION or isinstance(doc["version"], bool):
        rd.fail("version", f"expected {VERSION}, got {doc['version']!r}")
    s = rd.obj(doc["spec"], "spec", ("target", "domain", "dim", "r", "measure"))
    dim = rd.integer(s["dim"], "spec.dim")
    if dim < 1:
        rd.fail("spec.dim", "must be >= 1")
    spec = {"target": rd.string(s["target"], "spec.target"), "domain": rd.string(s["domain"], "spec.domain"),
            "dim": dim, "r": rd.rational(s["r"], "spec.r"), "measure": rd.string(s["measure"], "spec.measure")}
    regions = []
    for i, c in enumerate(rd.lst(doc["regions"], "regions")):
        where = f"regions[{i}]"
        c = rd.obj(c, where, ("pattern", "g"), ("interval", "vertices"))
        cell: dict[str, Any] = {}
        if dim == 1:
            if "interval" not in c:
                rd.fail(where, "missing key 'interval'")
            iv = rd.rationals(c["interval"], f"{where}.interval")
            if len(iv) != 2 or not iv[0] < iv[1]:
                rd.fail(f"{where}.interval", "expected [lo, hi] with lo < hi")
            cell["interval"] = iv
        else:
            if "vertices" not in c:
                rd.fail(where, "missing key 'vertices'")
            verts = [rd.rationals(v, f"{where}.vertices[{j}]")
                     for j, v in enumerate(rd.lst(c["vertices"], f"{where}.vertices"))]
            if any(len(v) != dim for v in verts):
                rd.fail(f"{where}.vertices", f"every vertex needs {dim} coordinates")
            cell["vertices"] = verts
        cell["pattern"] = [rd.bits(layer, f"{where}.pattern[{j}]")
                           for j, layer in enumerate(rd.lst(c["pattern"], f"{where}.pattern"))]
        g = rd.obj(c["g"], f"{where}.g", ("coeffs", "const"))
        coeffs = rd.rationals(g["coeffs"], f"{where}.g.coeffs")
        if len(coeffs) != dim:
            rd.fail(f"{where}.g.coeffs", f"expected {dim} coefficients")
        cell["g"] = {"coeffs": coeffs, "const": rd.rational(g["const"], f"{where}.g.const")}
        regions.append(cell)
    wreg = None
    if doc["w_regions"] is not None:
        wreg = []
        for i, st in enumerate(rd.lst(doc["w_regions"], "w_regions")):
            where = f"w_regions[{i}]"
            st = rd.obj(st, where, ("w_lo", "w_hi", "piece", "regions"))
            regs = []
            for j, r in enumerate(rd.lst(st["regions"], f"{where}.regions")):
                wj = f"{where}.regions[{j}]"
                r = rd.obj(r, wj, ("lo", "hi", "cell", "head", "head_pattern", "g", "output"))
                head = rd.string(r["head"], f"{wj}.head")
                if head not in ("on", "linear", "off"):
                    rd.fail(f"{wj}.head", f"expected on, linear or off, got {head!r}")
                regs.append({"lo": rd.expr(r["lo"], f"{wj}.lo", SYM_W), "hi": rd.expr(r["hi"], f"{wj}.hi", SYM_W),
                             "cell": rd.integer(r["cell"], f"{wj}.cell"), "head": head,
                             "head_pattern": rd.bits(r["head_pattern"], f"{wj}.head_pattern"),
                             "g": rd.expr(r["g"], f"{wj}.g", SYM_X),
                             "output": rd.expr(r["output"], f"{wj}.output", SYM_WX)})
            wreg.append({"w_lo": rd.expr(st["w_lo"], f"{where}.w_lo", SYM_NONE),
                         "w_hi": rd.end(st["w_hi"], f"{where}.w_hi", SYM_NONE),
                         "piece": rd.integer(st["piece"], f"{where}.piece"), "regions": regs})
    dens = rd.obj(doc["densities"], "densities", ("signed", "abs"))
    pieces = []
    for i, item in enumerate(rd.lst(doc["pieces"], "pieces")):
        where = f"pieces[{i}]"
        pc = rd.obj(item, where, ("w_lo", "w_hi", "L", "dL", "Phi"))
        pieces.append({"w_lo": rd.expr(pc["w_lo"], f"{where}.w_lo", SYM_NONE),
                       "w_hi": rd.end(pc["w_hi"], f"{where}.w_hi", SYM_NONE),
                       "L": rd.expr(pc["L"], f"{where}.L", SYM_W),
                       "dL": rd.expr(pc["dL"], f"{where}.dL", SYM_W),
                       "Phi": rd.expr(pc["Phi"], f"{where}.Phi", SYM_PHI)})
    if not pieces:
        rd.fail("pieces", "empty")
    a = rd.obj(doc["asymptotic"], "asymptotic", ("form", "threshold", "coefficients", "leading_constant"))
    notes = [rd.string(n, f"notes[{i}]") for i, n in enumerate(rd.lst(doc["notes"], "notes"))]
    return {
        "schema": SCHEMA, "version": VERSION, "spec": spec,
        "network": _read_network(rd, doc["network"]),
        "regions": regions, "w_regions": wreg,
        "densities": {"signed": _read_density(rd, dens["signed"], "densities.signed"),
                      "abs": _read_density(rd, dens["abs"], "densities.abs")},
        "exact_from": rd.rational(doc["exact_from"], "exact_from"),
        "pieces": pieces,
        "w_star": rd.expr(doc["w_star"], "w_star", SYM_NONE),
        "asymptotic": {"form": rd.expr(a["form"], "asymptotic.form", SYM_W),
                       "threshold": rd.expr(a["threshold"], "asymptotic.threshold", SYM_NONE),
                       "coefficients": [rd.expr(c, f"asymptotic.coefficients[{i}]", SYM_NONE)
                                        for i, c in enumerate(rd.lst(a["coefficients"], "asymptotic.coefficients"))],
                       "leading_constant": rd.expr(a["leading_constant"], "asymptotic.leading_constant", SYM_NONE)},
        "notes": notes,
    }
