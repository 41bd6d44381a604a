"""The checker's own rendering of the published templates (the schema file's x-statements,
x-scope, x-reason), so that no text in a certificate is taken on trust: every statement, the
scope and the reason must equal what this module renders from the data.

Independent of the prover's writer (:mod:`proofs.lemmas.text`): the two share the templates
through the published schema file only.  The rules (the schema's description): ``{f}`` is
the field's string, a list of strings as ``[a, b]``; ``{f|point}`` a point as in claim ids;
``{#f}`` a list's length; ``{{`` and ``}}`` literal braces; the first variant whose ``when``
holds (``has`` every field, ``values`` these strings, ``equal`` two fields) is used.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_TOKEN = re.compile(r"\{\{|\}\}|\{(#?)([A-Za-z0-9_]+)(\|point)?\}")


class TemplateError(ValueError):
    """The data does not fill the template (a missing field, a value of the wrong shape)."""


def point_id(x: list[str]) -> str:
    """A point as written in claim ids: ``-1/4`` in 1-D, ``(1/4,-1/2)`` in d-D."""
    return x[0] if len(x) == 1 else "(" + ",".join(x) + ")"


def fill(template: str, values: Mapping[str, Any]) -> str:
    def one(m: re.Match) -> str:
        if m.group(0) in ("{{", "}}"):
            return m.group(0)[0]
        count, name, point = m.groups()
        if name not in values:
            raise TemplateError(f"the template needs the field {name}")
        v = values[name]
        if count:
            if not isinstance(v, list):
                raise TemplateError(f"{name} is not a list")
            return str(len(v))
        if isinstance(v, str):
            if point:
                raise TemplateError(f"{name} is not a point")
            return v
        if not isinstance(v, list) or not all(isinstance(a, str) for a in v) or (point and not v):
            raise TemplateError(f"{name} is not a string or a list of strings")
        return point_id(v) if point else "[" + ", ".join(v) + "]"
    return _TOKEN.sub(one, template)


def _fits(when: Mapping[str, Any], data: Mapping[str, Any]) -> bool:
    if any(k not in data for k in when.get("has", ())):
        return False
    if any(data.get(k) != v for k, v in when.get("values", {}).items()):
        return False
    eq = when.get("equal")
    return not eq or (eq[0] in data and eq[1] in data and data[eq[0]] == data[eq[1]])


def statement(schema: Mapping[str, Any], cid: str, data: Mapping[str, Any]) -> str:
    """The statement the published templates give claim ``cid`` with this data."""
    kind = "pointwise" if cid.startswith("pointwise:") else cid
    for variant in schema["x-statements"].get(kind, ()):
        if _fits(variant.get("when", {}), data):
            return fill(variant["text"], data)
    raise TemplateError(f"no template of the claim kind {kind} fits its data")


def scope(schema: Mapping[str, Any], inputs: Mapping[str, Any]) -> str:
    return fill(schema["x-scope"][inputs["batch"].partition(":")[0]], inputs)


def reason(schema: Mapping[str, Any], cert: Mapping[str, Any]) -> str:
    """The reason's case (the schema's description) and its rendering."""
    by_id = {c["id"]: c for c in cert["claims"]}
    weak = [f"{i} ({by_id[i]['status']})" for i in cert["rests_on"]
            if by_id[i]["status"] not in ("proved", "enclosed")]
    dataset = cert["inputs"]["batch"].startswith("dataset:")
    if cert["verdict"] == "certified":
        case = "certified"
    elif dataset:
        case = "dataset_weak" if weak else "dataset"
    else:
        case = "weak"
    stall = by_id.get("dataset_stall")
    values = {"n": str(len(cert["rests_on"])), "weak": ", ".join(weak),
              "stall": stall["statement"] if stall else ""}
    return fill(schema["x-reason"][case], values)
