"""The ``pointwise crosscheck`` subcommand."""
from __future__ import annotations

import argparse
import json
import sys

from relu_pointwise.symbolic.errors import InputError
from relu_pointwise.symbolic.fileout import check_overwrite, write_atomic
from relu_pointwise.symbolic.limits import CROSSCHECK_STEPS_MAX, DPS_MAX, EXACT_DIGITS_MAX, PREC_MAX

REPORT_SIGNATURES = (b'"command": "crosscheck"',)
"""The first bytes of a report this tool wrote: an existing -o file with them is ours to replace."""


def _crosscheck_main(args: argparse.Namespace) -> int:
    from relu_pointwise.cli.args import Progress, _int_setting, settings, spec_from_args, training_from_args

    s = settings(args)
    if args.steps is None and "steps" not in s:
        raise InputError("--steps: required (the number of gradient-descent steps)")
    steps = _int_setting(args.steps if args.steps is not None else s["steps"], "--steps", 1, CROSSCHECK_STEPS_MAX.value)
    dps = _int_setting(args.dps if args.dps is not None else s.get("dps", 50), "--dps", 10, DPS_MAX.value)
    prec = _int_setting(args.prec if args.prec is not None else 128, "--prec", 16, PREC_MAX.value)
    max_digits = _int_setting(args.max_digits if args.max_digits is not None else 20_000, "--max-digits", 1,
                              EXACT_DIGITS_MAX.value)
    exact_steps = None if args.exact_steps is None else _int_setting(args.exact_steps, "--exact-steps", 0,
                                                                   CROSSCHECK_STEPS_MAX.value)
    if args.output is not None:
        check_overwrite(args.output, what="-o", force=args.force, signatures=REPORT_SIGNATURES)
    spec = spec_from_args(args)
    training = training_from_args(args)
    show = args.progress or sys.stderr.isatty()
    bars: list[Progress] = []

    def progress(label: str, total: int):
        for b in bars:
            b.close()
        bars.clear()
        bar = Progress(total, f"crosscheck {label}", show)
        bars.append(bar)
        return bar

    try:
        from relu_pointwise.numeric.crosscheck import crosscheck  # lazy: the engines load only when run

        report = crosscheck(spec, training, steps, dps, prec=prec, data=args.data, max_digits=max_digits,
                            exact_steps=exact_steps, progress=progress)
    except ArithmeticError as exc:
        raise InputError(f"crosscheck: {type(exc).__name__}: {exc}") from None
    finally:
        for b in bars:
            b.close()
    text = json.dumps(report, indent=1)
    if args.output is not None:
        check_overwrite(args.output, what="-o", force=args.force, signatures=REPORT_SIGNATURES)
        write_atomic(args.output, text + "\n", what="-o")
    print(text)
    return 0 if report["pass"] else 1


def register_crosscheck(subparsers) -> None:
    """Add ``pointwise crosscheck`` to the CLI."""
    from relu_pointwise.cli.args import add_spec_arguments, add_training_arguments

    p = subparsers.add_parser(
        "crosscheck", help="run the exact, mp, arb and np engines and compare them pair by pair "
                           "(JSON report; exit 0 only if every pair passes)",
        description="Run the exact, mp, arb and np engines on the same spec and batches and compare them pair by "
                    "pair: exact vs mp, the mp value inside every Arb ball, mp vs np within a bound derived from "
                    "float64's unit roundoff, and the np gradient against the derived L'(w). Prints a JSON report "
                    "(each pair's largest difference, its bound and how it was derived); exit 0 only if every "
                    "pair passes.")
    add_spec_arguments(p)
    add_training_arguments(p)
    p.add_argument("--steps", default=None, help="number of steps T (required; or 'steps' in --spec)")
    p.add_argument("--dps", default=None, help="mp engine: decimal digits (default 50)")
    p.add_argument("--prec", default=None, help="arb engine: working precision in bits (default 128)")
    p.add_argument("--max-digits", dest="max_digits", default=None,
                   help="exact engine: stop when a numerator/denominator exceeds this many digits (default 20000)")
    p.add_argument("--exact-steps", dest="exact_steps", default=None,
                   help="exact engine: at most this many steps (default: all for full/cyclic, 25 for point batches)")
    p.add_argument("--data", default=None, help=".npy or .csv file of points (with --batch dataset:N,M)")
    p.add_argument("-o", "--output", default=None, help="also write the JSON report to FILE")
    p.add_argument("--force", action="store_true", help="overwrite an -o file that pointwise did not write")
    p.add_argument("--progress", action="store_true", help="progress counters on stderr even when it is not a terminal")
    p.set_defaults(func=_crosscheck_main)
