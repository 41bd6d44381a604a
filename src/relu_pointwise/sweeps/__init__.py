"""Sweeps: families of problems, step sizes and seeds at once, on Dask.

    >>> from relu_pointwise.sweeps import run_sweep, load_results
    >>> res = run_sweep("sweep.toml", "out")        # a LocalCluster, one worker per core
    >>> print(res.line())                           # N tasks: A ok, B not certified, ...
    >>> df = load_results("out")                    # pandas, indexed by the axes

A sweep file (:mod:`.sweepfile`) names a base spec, axes of values and the task each
grid point runs; :mod:`.tasks` computes one task; :mod:`.store` keeps one atomic record
per task and the consolidated Parquet dataset; :mod:`.runner` drives Dask;
:mod:`.summary` writes quantiles over seeds, fitted rate exponents and heat maps.
"""
from __future__ import annotations

from .runner import DEFAULT_CHUNK, SweepResult, run_sweep
from .store import load_results
from .summary import summarize
from .sweepfile import SweepPlan, plan_sweep

__all__ = ["DEFAULT_CHUNK", "SweepPlan", "SweepResult", "load_results", "plan_sweep", "run_sweep", "summarize"]
