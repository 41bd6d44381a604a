"""``pointwise run`` (and the place where ``pointwise crosscheck`` is registered).

    pointwise run --target SPEC --engine exact|mp|arb|np --steps T [--eta E] [--w0 W]
                  [--batch full|cyclic:K|sampled:M|dataset:N,M] [--seed S] [--dps D]
                  [--prec BITS] [--max-digits N] [--data FILE] [-o FILE.csv|FILE.json]
                  [--record-every K] [--progress]

writes the trajectory (t, w_t, L(w_t) the population loss, and for mini-batch runs
the batch loss) and prints the last row, labelled.  A progress counter goes to stderr when stderr is a terminal (or
with --progress).  Bad input: one line ``pointwise: error: ...``, exit 2.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any

from relu_pointwise.symbolic.errors import InputError
from relu_pointwise.symbolic.fileout import check_overwrite, staged
from relu_pointwise.symbolic.limits import DPS_MAX, EXACT_DIGITS_MAX, PREC_MAX, RUN_STEPS_MAX

from .args import Progress, _int_setting

RUN_SIGNATURES = (b'"engine": ',)
"""The first bytes of a trajectory this tool wrote (CSV header comment or JSON): ours to replace."""


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _show(traj, v) -> str:
    """A value as the engine's format prints it; long exact rationals as 40 digits plus their size."""
    if v is None:
        return "n/a"
    s = traj.value_text(v)
    if len(s) <= 80 or not hasattr(v, "denominator"):
        return s
    import mpmath

    with mpmath.workdps(40):
        return (mpmath.nstr(mpmath.mpf(int(v.numerator)) / int(v.denominator), 40)
                + f" (exact: {len(str(v.numerator))}/{len(str(v.denominator))} digits)")


def last_row_text(traj) -> str:
    """``t=T  w_t=...  L(w_t)=...`` and, for a mini-batch run, ``batch_loss=...``.

    L(w_t) is the population loss; the batch loss is the mean over step t's batch (or
    the slab's normalized loss for cyclic batches).
    """
    t, wv, _ = traj.last()
    text = f"t={t}  w_t={_show(traj, wv)}  L(w_t)={_show(traj, traj.L[-1])}"
    if traj.batch_loss is not None:
        text += f"  batch_loss={_show(traj, traj.batch_loss[-1])}"
    return text


def _run_main(args: argparse.Namespace) -> int:
    from relu_pointwise.cli.args import settings, spec_from_args, training_from_args

    s = settings(args)
    if "steps" not in s and args.steps is None:
        raise InputError("--steps: required (the number of gradient-descent steps)")
    steps = _int_setting(args.steps if args.steps is not None else s["steps"], "--steps", 0, RUN_STEPS_MAX.value)
    dps = _int_setting(args.dps if args.dps is not None else s.get("dps", 50), "--dps", 5, DPS_MAX.value)
    prec = _int_setting(args.prec if args.prec is not None else 128, "--prec", 16, PREC_MAX.value)
    max_digits = (None if args.max_digits is None
                  else _int_setting(args.max_digits, "--max-digits", 1, EXACT_DIGITS_MAX.value))
    every = None if args.record_every is None else _int_setting(args.record_every, "--record-every", 1, 10**9)
    if args.output is not None and not args.output.lower().endswith((".csv", ".json")):
        raise InputError(f"-o: {args.output!r} must end in .csv or .json")
    if args.output is not None:
        check_overwrite(args.output, what="-o", force=args.force, signatures=RUN_SIGNATURES)
    spec = spec_from_args(args)
    training = training_from_args(args)
    bar = Progress(steps, f"run --engine {args.engine}", args.progress or sys.stderr.isatty())
    from relu_pointwise.numeric.engines import engine_options, get_engine

    try:
        # the flags the chosen engine takes (its factory's parameters), never a table of engine names
        flags: dict[str, Any] = {"max_digits": max_digits, "dps": dps, "prec": prec}
        options = {k: v for k, v in flags.items() if k in engine_options(args.engine)}
        engine = get_engine(args.engine, **options)
        traj = engine.run(spec, training, steps, data=args.data, progress=bar, record_every=every)
    except ArithmeticError as exc:   # e.g. a removable singularity hit in floating arithmetic
        raise InputError(f"run --engine {args.engine}: {type(exc).__name__}: {exc}") from None
    finally:
        bar.close()
    if not traj.meta.get("complete", True):
        sys.stderr.write(f"pointwise: note: exact engine did {traj.steps_done} of {steps} steps "
                         f"({traj.meta.get('reason')})\n")
    if args.output is not None:
        check_overwrite(args.output, what="-o", force=args.force, signatures=RUN_SIGNATURES)
        with staged(args.output, what="-o") as tmp:
            traj.write(tmp)
    print(last_row_text(traj))
    if training.batch.kind.fixed_dataset:
        from relu_pointwise.numeric.batches import BatchSchedule
        from relu_pointwise.numeric.stall import dataset_stall, stall_text

        points = BatchSchedule(spec, training, max(steps, 1), data=args.data).data
        if points is None:   # a dataset schedule always holds its points: a bug
            raise TypeError("run: a dataset schedule without data")
        print(stall_text(dataset_stall(spec, points, float(traj.ws[-1])), spec.r))
    return 0


class _EngineChoices:
    """argparse ``choices`` read from the engine registry when a command line is checked, so that
    ``pointwise --help`` loads no engine (nor SymPy)."""

    def _names(self) -> tuple[str, ...]:
        from relu_pointwise.numeric.engines import known_engine_names

        return known_engine_names()

    def __contains__(self, name: object) -> bool:
        return name in self._names()

    def __iter__(self):
        return iter(self._names())


def register(subparsers) -> None:
    """Add ``run`` (and, below, ``crosscheck``) to the ``pointwise`` CLI."""
    from relu_pointwise.cli.args import add_spec_arguments, add_training_arguments

    p = subparsers.add_parser(
        "run", help="one engine's gradient-descent trajectory (t, w_t, L(w_t))",
        description="Run gradient descent on the slope w with one engine and print the last row: t, w_t, the "
                    "population loss L(w_t) and, for a mini-batch run, the batch loss. -o FILE.csv or "
                    "FILE.json writes the kept rows (--record-every). With --batch dataset:N,M it also reports "
                    "where w_t stalls.")
    add_spec_arguments(p)
    add_training_arguments(p)
    p.add_argument("--engine", required=True, choices=_EngineChoices(), metavar="ENGINE",
                   help="a registered engine (relu_pointwise.numeric.engines: exact rationals, mpmath --dps, "
                        "rigorous Arb balls --prec, float64 backprop, optional jax); a wrong name lists them")
    p.add_argument("--steps", default=None, help="number of steps T (required; or 'steps' in --spec)")
    p.add_argument("--dps", default=None, help="mp engine: decimal digits (default 50)")
    p.add_argument("--prec", default=None, help="arb engine: working precision in bits (default 128)")
    p.add_argument("--max-digits", dest="max_digits", default=None,
                   help="exact engine: stop when a numerator/denominator exceeds this many digits (default 100000)")
    p.add_argument("--data", default=None, help=".npy or .csv file of points (with --batch dataset:N,M)")
    p.add_argument("-o", "--output", default=None, help="write the trajectory to FILE.csv or FILE.json")
    p.add_argument("--record-every", dest="record_every", default=None,
                   help="keep rows t = 0, K, 2K, ... and the last (default: the smallest of 1, 2, 5, 10, 20, ... "
                        "that keeps at most 10000 rows); memory grows with the rows kept, not the steps")
    p.add_argument("--force", action="store_true", help="overwrite an -o file that pointwise did not write")
    p.add_argument("--progress", action="store_true",
                   help="show the progress counter even when stderr is not a terminal")
    p.set_defaults(func=_run_main)
