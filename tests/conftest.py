"""Hypothesis profiles for the whole suite (the one place they are set).

* ``ci`` (the default, so the README's ``python -m pytest -q`` is the same run every
  time): derandomized -- each test draws from a seed fixed by its own name -- and no
  example database, so a result never depends on an earlier run or on the machine.
* ``dev``: random draws and the local example database, to explore; run it as
  ``HYPOTHESIS_PROFILE=dev python -m pytest -q``.

Both have no deadline: the toolkit's exact (SymPy) work per example takes from
milliseconds to seconds, depending on the drawn target and on the machine's load, so a
per-example time limit measures the machine, not the code. For the same reason the
``too_slow`` health check (a slow *generation* warning) is off; the filter health checks
stay on: strategies construct valid inputs instead of filtering them.
Individual tests set only ``max_examples`` (their share of the suite's time budget).
"""
from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", parent=settings.get_profile("dev"), derandomize=True, database=None,
                          print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
