"""relu-pointwise: pointwise convergence of a constructed sparse ReLU network, checked.

One namespace, three layers and a command line on top:

    relu_pointwise.symbolic   targets, the network with exact weights, regions, exact L(w)
    relu_pointwise.numeric    the engines (exact, mp, arb, np) behind one interface
    relu_pointwise.proofs     lemmas, the certificate (prover) and its checker
    relu_pointwise.cli        the ``pointwise`` command (nothing imports it)

Names are imported lazily, so ``import relu_pointwise`` stays cheap.
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.2.0"

_LAZY = {
    "Problem": "relu_pointwise.problem",
    "Certificate": "relu_pointwise.problem",
    "verify": "relu_pointwise.problem",
    "get_engine": "relu_pointwise.numeric.engines",
    "Trajectory": "relu_pointwise.numeric.trajectory",
    "PointwiseError": "relu_pointwise.symbolic.errors",
    "InputError": "relu_pointwise.symbolic.errors",
    "NotExactError": "relu_pointwise.symbolic.errors",
    "EnclosureError": "relu_pointwise.symbolic.errors",
    "CertificateError": "relu_pointwise.symbolic.errors",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'relu_pointwise' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
