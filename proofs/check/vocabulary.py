"""The certificate's vocabulary, read from the one definition: the published schema.

``proofs/schema/certificate-v3.schema.json`` (package data) names every claim id and every
field of a claim's data (``$defs/data_<id>``, or ``data_<id>_full`` / ``data_<id>_cyclic``
where the batch kind changes the data).  The prover writes, and the checker reads, only
fields defined there; ``tests/test_vocabulary.py`` checks every data key literal in the
prover, the checker, the CLI and the sweeps against these sets.  This module lives with the
checker (it reads the schema through the checker's own reader) and imports nothing of the
prover, so the writer and the checker share the schema, not prover code.
"""
from __future__ import annotations

import functools
from typing import Any

from .read import published_schema

__all__ = ["claim_ids", "data_fields", "schema_field_names"]


def _data_defs() -> dict[str, Any]:
    return {k[len("data_"):]: v for k, v in published_schema()["$defs"].items() if k.startswith("data_")}


def _properties(node: Any) -> set[str]:
    """Every property name at any depth of a schema node (nested objects such as the network)."""
    out: set[str] = set()
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "properties" and isinstance(v, dict):
                out |= set(v)
            out |= _properties(v)
    elif isinstance(node, list):
        for v in node:
            out |= _properties(v)
    return out


@functools.cache
def data_fields(claim_id: str | None = None) -> frozenset[str]:
    """The data fields the schema defines for claim ``claim_id`` (``pointwise:x=...`` reads as
    ``pointwise``; its variants per batch kind are united), or for every claim when None."""
    defs = _data_defs()
    if claim_id is None:
        return frozenset(_properties(list(defs.values())))
    base = "pointwise" if claim_id.startswith("pointwise:") else claim_id
    chosen = [v for k, v in defs.items() if k in (base, base + "_full", base + "_cyclic")]
    if not chosen:
        raise KeyError(f"the schema defines no claim {claim_id!r}")
    return frozenset(_properties(chosen))


@functools.lru_cache(maxsize=1)
def claim_ids() -> frozenset[str]:
    """The claim ids the schema names (``pointwise`` for the per-point claims)."""
    ids = {"pointwise"}
    for k, v in published_schema()["$defs"].items():
        if k.startswith("claim_"):
            for alt in v["properties"]["id"].get("anyOf", [v["properties"]["id"]]):
                ids |= set(alt.get("enum", ()))
    return frozenset(ids)


@functools.lru_cache(maxsize=1)
def schema_field_names() -> frozenset[str]:
    """Every property name anywhere in the schema (top level, inputs, claims, their data)."""
    return frozenset(_properties(published_schema()))
