"""Hypothesis strategies for property-testing the toolkit and your own variants.

    from hypothesis import given, strategies as st
    import relu_pointwise as rp
    from relu_pointwise.testing import specs, trainings, problems

    @given(st.from_type(rp.Problem))       # registered through Hypothesis' entry point
    def test_something(problem): ...

Every name returns a :class:`hypothesis.strategies.SearchStrategy` (see
:mod:`relu_pointwise.testing.strategies` for the list). This package needs Hypothesis
(``pip install 'relu-pointwise[test]'``); the rest of ``relu_pointwise`` never imports it.
The strategies themselves are loaded on first use, so that Hypothesis' start-up hook
(:func:`_hypothesis_setup_hook`, run whenever ``hypothesis`` is imported) stays cheap.
"""
from __future__ import annotations

import importlib
from typing import Any

try:
    import hypothesis  # noqa: F401  (only to fail early with a clear message)
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by tests/test_testing.py
    raise ImportError(
        "relu_pointwise.testing needs Hypothesis, which is not installed: "
        "pip install 'relu-pointwise[test]' (or: pip install hypothesis)") from exc

__all__ = ["rationals", "rational_texts", "intervals", "targets_1d", "targets_2d", "specs", "trainings",
           "points_in", "problems"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        value = getattr(importlib.import_module("relu_pointwise.testing.strategies"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'relu_pointwise.testing' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def _hypothesis_setup_hook() -> None:
    """Register :func:`problems` for :class:`relu_pointwise.Problem`, so that
    ``st.from_type(rp.Problem)`` works. Hypothesis calls this through the ``hypothesis``
    entry point in pyproject.toml. The strategy is deferred: nothing heavy (SymPy) is
    imported until a test draws a Problem."""
    from hypothesis import strategies as st

    from relu_pointwise.problem import Problem

    def _problems() -> st.SearchStrategy[Problem]:
        from relu_pointwise.testing.strategies import problems

        return problems()

    st.register_type_strategy(Problem, st.deferred(_problems))
