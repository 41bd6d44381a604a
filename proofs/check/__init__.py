"""The certificate checker: re-establishes each claim of certificate.json by its own route.

Its trusted base is this package, the published schema file (proofs/schema/, validated by
the ``jsonschema`` library), ``relu_pointwise.symbolic`` modules ``spec``, ``targets``,
``network``, ``numbers``, ``exprio``, ``errors``, ``jsonio``, ``limits`` and the field
libraries (python-flint, gmpy2, SymPy's Poly). It imports nothing of the prover.  The
statement is read twice: by the shared parser and by :mod:`.statement`, compared. Names are
imported lazily, so ``import relu_pointwise.proofs.check`` is cheap.
"""
from __future__ import annotations

import importlib
from typing import Any

_LAZY = {"check_certificate": "relu_pointwise.proofs.check.report",
         "verify_or_raise": "relu_pointwise.proofs.check.report",
         "Report": "relu_pointwise.proofs.check.report",
         "ClaimCheck": "relu_pointwise.proofs.check.report"}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'relu_pointwise.proofs.check' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
