"""Claim text: the :class:`Claim` record, its statuses, and exact-number rendering.

Every number in a claim's ``data`` is an exact string: a rational ``p/q`` or an expression
in :mod:`relu_pointwise.symbolic.exprio`'s grammar; statements may shorten long rationals to
directed decimals (:func:`short`), the exact value stays in ``data``.
"""
from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import gmpy2
import sympy
from gmpy2 import mpq

from relu_pointwise.symbolic.exprio import rational_to_text, to_text

Q = sympy.Rational
HALF = Q(1, 2)

PROVED, ENCLOSED, NUMERICAL, FAILED = "proved", "enclosed", "numerical", "failed"
STATUSES = (PROVED, ENCLOSED, NUMERICAL, FAILED)
_STRENGTH = {PROVED: 3, ENCLOSED: 2, NUMERICAL: 1, FAILED: 0}


# ---------------------------------------------------------------- claims and text

@dataclass
class Claim:
    """One checked statement: ``status`` says how it was established (module docstring)."""

    id: str
    statement: str
    status: str
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"claim {self.id}: unknown status {self.status!r}")

    @property
    def holds(self) -> bool:
        """Proved or enclosed: a claim a certificate may rest on."""
        return self.status in (PROVED, ENCLOSED)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "statement": self.statement, "status": self.status, "data": self.data}


def weakest(*statuses: str) -> str:
    """The weakest of several statuses (proved > enclosed > numerical > failed)."""
    return min(statuses, key=_STRENGTH.__getitem__)


def ex(value: Any) -> str:
    """Exact text of a number or expression: ``p/q`` for rationals, else :func:`to_text`."""
    if isinstance(value, bool):
        raise TypeError("ex: a boolean is not a number")
    if isinstance(value, int):
        return rational_to_text(sympy.Integer(value))
    if isinstance(value, type(mpq(0))):
        return rational_to_text(to_rat(value))
    if isinstance(value, sympy.Rational):
        return rational_to_text(value)
    if not isinstance(value, sympy.Basic):
        raise TypeError(f"ex: not an exact number or expression: {type(value).__name__}")
    return to_text(value)


def to_rat(x) -> sympy.Rational:
    """gmpy2.mpq / int / Rational as a sympy Rational."""
    if isinstance(x, sympy.Rational):
        return x
    x = mpq(x)
    return Q(int(x.numerator), int(x.denominator))


def to_q(x) -> mpq:
    """A sympy Rational (or int, mpq) as gmpy2.mpq."""
    if isinstance(x, sympy.Rational):
        return mpq(int(x.p), int(x.q))
    return mpq(x)


def _decimal_exponent(v: mpq) -> int:
    """floor(log10 |v|) for a rational v != 0, exactly (no float: v may be beyond a double's range)."""
    a = abs(mpq(v))
    e = len(str(a.numerator)) - len(str(a.denominator))
    while e > 0 and mpq(10) ** e > a or e <= 0 and mpq(1, 10 ** -e) > a:
        e -= 1
    while (mpq(10) ** (e + 1) if e + 1 >= 0 else mpq(1, 10 ** -(e + 1))) <= a:
        e += 1
    return e


def short(q, mode: str = "near", digits: int = 12) -> str:
    """Statement text of an exact rational: exact when short, else a decimal with ``digits``
    significant digits rounded ``down`` / ``up`` (still a valid lower / upper bound) or to
    the nearest (prefixed by "~").  The exact value is always in the claim's data."""
    text = ex(q) if not isinstance(q, str) else q
    if len(text) <= 24:
        return text
    v = mpq(q) if not isinstance(q, sympy.Rational) else to_q(q)
    if v == 0:
        return "0"
    e = _decimal_exponent(v)
    scale = mpq(10) ** (digits - 1 - e) if digits - 1 - e >= 0 else mpq(1, 10 ** (e - digits + 1))
    x = v * scale
    n = {"down": gmpy2.floor, "up": gmpy2.ceil}.get(mode, gmpy2.rint)(x)
    n = int(n)
    k = digits - 1 - e
    sign = "-" if n < 0 else ""
    digs = str(abs(n))
    if k > 0:
        digs = digs.rjust(k + 1, "0")
        body = digs[:-k] + "." + digs[-k:]
    else:
        body = digs + "0" * (-k)
    return ("~" if mode == "near" else "") + sign + body


def point_text(x: Sequence[sympy.Rational]) -> str:
    """``-1/4`` in 1-D, ``(1/4,-1/2)`` in d-D."""
    parts = [rational_to_text(Q(v)) for v in x]
    return parts[0] if len(parts) == 1 else "(" + ",".join(parts) + ")"


# ---------------------------------------------------------------- the published templates

SCHEMA_FILE = "certificate-v3.schema.json"
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{(#?)([A-Za-z0-9_]+)(\|point)?\}")


@functools.lru_cache(maxsize=1)
def published_schema() -> dict[str, Any]:
    """The certificate schema shipped in the package (proofs/schema/): the templates live there."""
    text = resources.files("relu_pointwise.proofs").joinpath("schema", SCHEMA_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def render(template: str, values: Mapping[str, Any]) -> str:
    """Fill ``template``: ``{f}`` the string (a list of strings as ``[a, b]``), ``{f|point}`` a point
    as in claim ids, ``{#f}`` a list's length, ``{{``/``}}`` literal braces (the schema's description)."""
    def one(m: re.Match) -> str:
        if m.group(0) in ("{{", "}}"):
            return m.group(0)[0]
        count, name, point = m.groups()
        v = values[name]
        if count:
            return str(len(v))
        if point:
            return v[0] if len(v) == 1 else "(" + ",".join(v) + ")"
        return v if isinstance(v, str) else "[" + ", ".join(v) + "]"
    return _PLACEHOLDER.sub(one, template)


def _holds(when: Mapping[str, Any], data: Mapping[str, Any]) -> bool:
    if not all(k in data for k in when.get("has", ())):
        return False
    if not all(data.get(k) == v for k, v in when.get("values", {}).items()):
        return False
    eq = when.get("equal")
    return not eq or (eq[0] in data and data.get(eq[0]) == data.get(eq[1]))


def claim_kind(cid: str) -> str:
    return "pointwise" if cid.startswith("pointwise:") else cid


def statement_of(cid: str, data: Mapping[str, Any]) -> str:
    """The statement of claim ``cid``: the first of its kind's templates whose condition holds."""
    for variant in published_schema()["x-statements"][claim_kind(cid)]:
        if _holds(variant.get("when", {}), data):
            return render(variant["text"], data)
    raise KeyError(f"no statement template fits claim {cid}")
