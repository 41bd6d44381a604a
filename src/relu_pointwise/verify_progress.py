"""verify's progress line on a terminal, for the CLI and :func:`relu_pointwise.verify`.

The checker reports its running counts to the hook
:class:`relu_pointwise.proofs.check.partition.check_progress` and prints nothing itself;
this module draws them (stderr, a terminal only)."""
from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator


class CheckProgress:
    """verify's progress line on stderr (a terminal only): the claims done, the checker's cells
    against the certificate's region count, the enclosed steps; redrawn at most ten times a second."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.state: dict[str, tuple[int, int | None]] = {}
        self.last = 0.0
        self.drawn = False

    def __call__(self, what: str, done: int, estimate: int | None) -> None:
        if not self.enabled:
            return
        self.state[what] = (done, estimate)
        now = time.monotonic()
        if now - self.last < 0.1:
            return
        self.last = now
        parts = []
        for key, unit in (("claims", "claims"), ("cells", "cells"), ("steps", "steps")):
            if key in self.state:
                n, est = self.state[key]
                tail = "" if est is None else (f" of about {est}" if key == "cells" else f"/{est}")
                parts.append(f"{unit} {n}{tail}")
        sys.stderr.write("\rverify: " + ", ".join(parts) + "\x1b[K")
        sys.stderr.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            sys.stderr.write("\n")
            sys.stderr.flush()


@contextlib.contextmanager
def announce_check(enabled: bool | None = None) -> Iterator[None]:
    """On a terminal, the checker's progress line while the block runs (the library prints nothing:
    it reports to the hook :class:`relu_pointwise.proofs.check.partition.check_progress`)."""
    from relu_pointwise.proofs.check.partition import check_progress

    bar = CheckProgress(sys.stderr.isatty() if enabled is None else enabled)
    with check_progress(bar if bar.enabled else None):
        try:
            yield
        finally:
            bar.close()
