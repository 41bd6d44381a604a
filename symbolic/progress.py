"""Progress of long library work, for a listener the caller installs (the CLI's line on a terminal).

The library prints nothing. Long steps call :func:`report` with a phase name and, where it has
one, a count ``k`` of ``n``; a caller that wants to show progress wraps the work in
:func:`progress_to` (a context variable, so threads and nested calls keep their own listener).
Phases of ``certify``: ``deriving the exact loss``, ``proving the lemmas``, ``enclosing the path``
(step k of n), ``T(x)`` (point i of n), ``writing the derivation and plots``.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["Listener", "progress_to", "report", "step_counter"]

Listener = Callable[[str, int, int], None]
_LISTENER: ContextVar[Listener | None] = ContextVar("progress_listener", default=None)


@contextmanager
def progress_to(listener: Listener | None) -> Iterator[None]:
    """Within the block, ``listener(phase, k, n)`` hears every :func:`report` (``n = 0``: no count)."""
    token = _LISTENER.set(listener)
    try:
        yield
    finally:
        _LISTENER.reset(token)


def report(phase: str, k: int = 0, n: int = 0) -> None:
    """Tell the listener, if any, that ``phase`` is at ``k`` of ``n``."""
    listener = _LISTENER.get()
    if listener is not None:
        listener(phase, k, n)


def step_counter(phase: str, n: int) -> Callable[[int], None] | None:
    """A ``progress(t)`` callback for a loop of ``n`` steps reporting ``phase``; None without a listener
    (so the loop runs at full speed when nobody listens)."""
    listener = _LISTENER.get()
    if listener is None:
        return None
    return lambda t: listener(phase, t, n)
