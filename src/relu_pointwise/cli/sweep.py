"""The ``pointwise sweep`` subcommand: a family of tasks from a sweep file, on Dask.

    pointwise sweep FILE.toml --out DIR [--scheduler ADDRESS] [--workers N] [--dashboard]

Progress goes to stderr; stdout ends with exactly one line
``N tasks: A ok, B not certified, C failed, D skipped``.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from relu_pointwise.symbolic.errors import InputError

_FLAGS = {"scheduler": "--scheduler", "workers": "--workers", "chunk": "--chunk", "out": "--out"}


def _sweep_main(args: argparse.Namespace) -> int:
    from relu_pointwise.sweeps import run_sweep

    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers: must be >= 1, got {args.workers}")
    if args.chunk is not None and args.chunk < 1:
        raise InputError(f"--chunk: must be >= 1, got {args.chunk}")
    try:
        res = run_sweep(args.file, args.out, scheduler=args.scheduler, workers=args.workers,
                        dashboard=args.dashboard, chunk=args.chunk, retry_failed=args.retry_failed,
                        plots=not args.no_plots, progress=sys.stderr, echo=lambda s: print(s, flush=True))
    except InputError as exc:
        flag = _FLAGS.get(str(exc.field))
        if flag is not None and str(exc).startswith(f"{exc.field}:"):
            raise InputError(flag + str(exc)[len(str(exc.field)):], field=flag) from None
        raise
    print(f"dataset: {res.dataset}")
    for p in res.plots:
        print(f"wrote {p}")
    for line in _seed_lines(res.out):
        print(line)
    print(res.line())
    return 0


def _seed_lines(out: Path) -> list[str]:
    """One line per seed group of summary.json: the fitted exponent over seeds, the median ratio."""
    try:
        groups = json.loads((out / "summary.json").read_text()).get("seeds", [])
    except (OSError, ValueError):
        return []
    lines = []
    for g in groups:
        label = ", ".join(f"{k}={v}" for k, v in g["group"].items()) or "all"
        e = g["rate_exponent"]
        if e.get("mean") is None:
            continue
        ratio = g.get("w_over_t13", {}).get("q50", [None])[-1]
        tail = f"; median w_T / T^(1/3) = {ratio:.4f}" if ratio is not None else ""
        lines.append(f"seeds ({label}): rate exponent of w_t {e['mean']:.4f} +- {e['std']:.4f} over {g['seeds']} "
                     f"seeds (theory 1/3){tail}")
    return lines


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``pointwise sweep`` to the CLI."""
    p = subparsers.add_parser("sweep", help="run a family of tasks (axes of specs, step sizes, seeds) on Dask",
                              description="Run a family of tasks from a sweep file (a base spec, axes of "
                                          "targets, step sizes, seeds, ...) on Dask, one record per task; "
                                          "rerunning into the same --out skips finished tasks.")
    p.add_argument("file", help="the sweep file (.toml or .json): task, [base], [axes], mode")
    p.add_argument("--out", required=True, help="output folder (rerunning into it skips finished tasks)")
    p.add_argument("--scheduler", default=None,
                   help="address of an existing Dask scheduler (default: Dask's configuration, else a local "
                        "cluster of processes; 'sync' runs in this process without Dask)")
    p.add_argument("--workers", type=int, default=None, help="local cluster: worker processes (default: one per core)")
    p.add_argument("--dashboard", action="store_true", help="start and print the address of Dask's dashboard")
    p.add_argument("--chunk", type=int, default=None, help="np run tasks: seeds per Dask task")
    p.add_argument("--retry-failed", action="store_true", help="rerun tasks whose record is an error")
    p.add_argument("--no-plots", action="store_true", help="skip summary.json and the plots")
    p.set_defaults(func=_sweep_main)
