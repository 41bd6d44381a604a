"""relu-pointwise: pointwise convergence of a constructed sparse ReLU network, checked.

One namespace, three layers and a command line on top:

    relu_pointwise.symbolic   targets, the network with exact weights, regions, exact L(w)
    relu_pointwise.numeric    the engines (exact, mp, arb, np) behind one interface
    relu_pointwise.proofs     lemmas, the certificate (prover) and its checker
    relu_pointwise.cli        the ``pointwise`` command (nothing imports it)

Names are imported lazily, so ``import relu_pointwise`` stays cheap.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:   # static tools see the real names and types; at run time they load lazily
    from relu_pointwise.numeric.engines import Engine, engine_names, get_engine, register_engine
    from relu_pointwise.numeric.trajectory import Trajectory
    from relu_pointwise.problem import Certificate, Problem, verify
    from relu_pointwise.proofs.check.report import VerifyReport
    from relu_pointwise.symbolic.errors import (
        CertificateError,
        EnclosureError,
        InputError,
        NotExactError,
        PointwiseError,
    )
    from relu_pointwise.symbolic.spec import Spec, Training

__version__ = "0.2.0"

_LAZY = {
    "Problem": "relu_pointwise.problem",
    "VerifyReport": "relu_pointwise.proofs.check.report",
    "Spec": "relu_pointwise.symbolic.spec",
    "Training": "relu_pointwise.symbolic.spec",
    "Engine": "relu_pointwise.numeric.engines",
    "register_engine": "relu_pointwise.numeric.engines",
    "engine_names": "relu_pointwise.numeric.engines",
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

__all__ = ["__version__", "Problem", "VerifyReport", "Spec", "Training", "Engine", "register_engine", "engine_names",
           "Certificate", "verify", "get_engine", "Trajectory", "PointwiseError", "InputError", "NotExactError",
           "EnclosureError", "CertificateError"]


def __getattr__(name: str) -> object:
    import importlib

    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'relu_pointwise' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


del TYPE_CHECKING


def __dir__() -> list[str]:
    """The public surface only (``__all__``), not the module's machinery."""
    return sorted(__all__)
