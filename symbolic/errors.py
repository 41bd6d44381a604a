"""The one error type a user sees for bad input.

Every message is a single line that names the bad part (``target: ...``,
``--r: ...``, ``spec file key 'foo': ...``); the CLI prints it and exits 2.
"""
from __future__ import annotations


class SpecError(ValueError):
    """Bad user input: a one-line message naming the offending part."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))
