"""``pointwise run`` (and the place where ``pointwise crosscheck`` is registered).

    pointwise run --target SPEC --engine exact|mp|arb|np --steps T [--eta E] [--w0 W]
                  [--batch full|cyclic:K|sampled:M|dataset:N,M] [--seed S] [--dps D]
                  [--prec BITS] [--max-digits N] [--data FILE] [-o FILE.csv|FILE.json]
                  [--progress]

writes the trajectory (t, w_t, L(w_t)) (see :mod:`numeric.trajectory`) and prints
the last row.  A progress counter goes to stderr when stderr is a terminal (or
with --progress).  Bad input: one line ``pointwise: error: ...``, exit 2.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any

from relu_pointwise.symbolic.errors import SpecError
from relu_pointwise.symbolic.fileout import check_overwrite, staged
from relu_pointwise.symbolic.limits import DPS_MAX, PREC_MAX, RUN_STEPS_MAX

from .args import Progress, _int_setting

RUN_SIGNATURES = (b'"engine": ',)
"""The first bytes of a trajectory this tool wrote (CSV header comment or JSON): ours to replace."""

ENGINE_CHOICES = ("exact", "mp", "arb", "np")


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def last_row_text(traj) -> str:
    """``t=T  w_t=...  L(w_t)=...``: exact values as p/q when short, else a 40-digit decimal."""
    t, wv, lv = traj.last()
    if traj.engine == "exact":
        import mpmath

        def show(q):
            s = traj.value_text(q)
            if len(s) <= 80:
                return s
            with mpmath.workdps(40):
                return (mpmath.nstr(mpmath.mpf(int(q.numerator)) / int(q.denominator), 40)
                        + f" (exact: {len(str(q.numerator))}/{len(str(q.denominator))} digits)")
        return f"t={t}  w_t={show(wv)}  L(w_t)={show(lv)}"
    return f"t={t}  w_t={traj.value_text(wv)}  L(w_t)={traj.value_text(lv)}"


def run_engine(engine: str, spec, training, steps: int, *, dps: int = 50, prec: int = 128,
               max_digits: int | None = None, data: Any = None, progress=None):
    """Run one engine and return a :class:`numeric.trajectory.Trajectory`."""
    from relu_pointwise.numeric.trajectory import Trajectory

    if engine == "exact":
        from relu_pointwise.symbolic.iterate import DEFAULT_MAX_DIGITS

        from relu_pointwise.numeric.exact_engine import run_exact

        return run_exact(spec, training, steps, data=data, progress=progress,
                         max_digits=DEFAULT_MAX_DIGITS if max_digits is None else max_digits)
    if engine == "mp":
        from relu_pointwise.numeric.mp_engine import run_mp

        return run_mp(spec, training, steps, dps=dps, data=data, progress=progress)
    if engine == "arb":
        from relu_pointwise.numeric.arb_engine import run_arb

        return run_arb(spec, training, steps, prec=prec, data=data, progress=progress)
    if engine == "np":
        from relu_pointwise.numeric.np_engine import run_np

        res = run_np(spec, training, steps, data=data)
        ws = [float(v) for v in res.w[:, 0]]
        losses = [float(v) for v in res.loss[:, 0]]
        return Trajectory("np", spec, training, [int(t) for t in res.t], ws, losses, {"dtype": "float64"})
    raise SpecError(f"--engine: unknown engine {engine!r} (exact, mp, arb, np)")


def _run_main(args: argparse.Namespace) -> int:
    from relu_pointwise.cli.args import settings, spec_from_args, training_from_args

    s = settings(args)
    if "steps" not in s and args.steps is None:
        raise SpecError("--steps: required (the number of gradient-descent steps)")
    steps = _int_setting(args.steps if args.steps is not None else s["steps"], "--steps", 0, RUN_STEPS_MAX.value)
    dps = _int_setting(args.dps if args.dps is not None else s.get("dps", 50), "--dps", 5, DPS_MAX.value)
    prec = _int_setting(args.prec if args.prec is not None else 128, "--prec", 16, PREC_MAX.value)
    max_digits = None if args.max_digits is None else _int_setting(args.max_digits, "--max-digits", 1, 10**8)
    if args.output is not None and not args.output.lower().endswith((".csv", ".json")):
        raise SpecError(f"-o: {args.output!r} must end in .csv or .json")
    if args.output is not None:
        check_overwrite(args.output, what="-o", force=args.force, signatures=RUN_SIGNATURES)
    spec = spec_from_args(args)
    training = training_from_args(args)
    bar = Progress(steps, f"run --engine {args.engine}", args.progress or sys.stderr.isatty())
    try:
        traj = run_engine(args.engine, spec, training, steps, dps=dps, prec=prec,
                          max_digits=max_digits, data=args.data, progress=bar)
    except ArithmeticError as exc:   # e.g. a removable singularity hit in floating arithmetic
        raise SpecError(f"run --engine {args.engine}: {type(exc).__name__}: {exc}") from None
    finally:
        bar.close()
    if traj.engine == "exact" and not traj.meta.get("complete", True):
        sys.stderr.write(f"pointwise: note: exact engine did {traj.steps_done} of {steps} steps "
                         f"({traj.meta.get('reason')})\n")
    if args.output is not None:
        check_overwrite(args.output, what="-o", force=args.force, signatures=RUN_SIGNATURES)
        with staged(args.output, what="-o") as tmp:
            traj.write(tmp)
    print(last_row_text(traj))
    if training.batch.kind == "dataset":
        from relu_pointwise.numeric.batches import BatchSchedule
        from relu_pointwise.numeric.stall import dataset_stall, stall_text

        points = BatchSchedule(spec, training, max(steps, 1), data=args.data).data
        print(stall_text(dataset_stall(spec, points, float(traj.ws[-1])), spec.r))
    return 0


def register(subparsers) -> None:
    """Add ``run`` (and, below, ``crosscheck``) to the ``pointwise`` CLI."""
    from relu_pointwise.cli.args import add_spec_arguments, add_training_arguments

    p = subparsers.add_parser("run", help="one engine's gradient-descent trajectory (t, w_t, L(w_t))")
    add_spec_arguments(p)
    add_training_arguments(p)
    p.add_argument("--engine", required=True, choices=ENGINE_CHOICES,
                   help="exact (rationals, first steps), mp (mpmath, --dps), arb (rigorous balls, --prec), "
                        "np (float64 backprop)")
    p.add_argument("--steps", default=None, help="number of steps T (required; or 'steps' in --spec)")
    p.add_argument("--dps", default=None, help="mp engine: decimal digits (default 50)")
    p.add_argument("--prec", default=None, help="arb engine: working precision in bits (default 128)")
    p.add_argument("--max-digits", dest="max_digits", default=None,
                   help="exact engine: stop when a numerator/denominator exceeds this many digits (default 100000)")
    p.add_argument("--data", default=None, help=".npy or .csv file of points (with --batch dataset:N,M)")
    p.add_argument("-o", "--output", default=None, help="write the trajectory to FILE.csv or FILE.json")
    p.add_argument("--force", action="store_true", help="overwrite an -o file that pointwise did not write")
    p.add_argument("--progress", action="store_true", help="show the progress counter even when stderr is not a terminal")
    p.set_defaults(func=_run_main)
