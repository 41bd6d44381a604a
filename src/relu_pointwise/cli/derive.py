"""The ``pointwise derive`` subcommand: the exact symbolic derivation and its exports.

    pointwise derive --target SPEC [--domain D] [--r R] [--measure M] [--spec FILE]
        (no further flag)       a short summary: the pieces of L(w), w*, the asymptotic
                                form, and Phi(w) = w - eta L'(w) for eta = 1
        --w W                   the exact value L(W) on one line (W rational > 0)
        --format json|latex     the JSON document (symbolic.export_json) or the LaTeX
        [-o FILE]               document (symbolic.export_latex), to stdout or FILE

Every expression is printed with :func:`symbolic.exprio.to_text`.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from relu_pointwise.symbolic.errors import InputError
from relu_pointwise.symbolic.fileout import check_overwrite, write_atomic

if TYPE_CHECKING:  # SymPy loads only when a command runs: `pointwise --help` stays fast
    import sympy

FORMATS = ("json", "latex")
OUTPUT_SIGNATURES = (b'"schema": "relu-pointwise/derivation"',
                     b"\\section*{Exact derivation for a pointwise-convergence network}")
"""The first bytes of what derive writes: an existing -o file with one of them is ours to replace."""


def register(subparsers) -> None:
    """Add ``derive`` to the ``pointwise`` command line."""
    from relu_pointwise.cli.args import add_spec_arguments

    p = subparsers.add_parser(
        "derive", help="exact L(w), L'(w), Phi; JSON / LaTeX exports",
        description="Derive, from the network's own linear regions, the exact loss L(w), its derivative "
                    "L'(w) and the gradient-descent map Phi(w) = w - eta L'(w). Without --w or --format: "
                    "a summary (the pieces of L(w), w*, the asymptotic form). --w W prints L(W) exactly; "
                    "--format json or latex writes the whole derivation.")
    add_spec_arguments(p)
    p.add_argument("--w", default=None, help="print the exact L(W) for this rational W > 0")
    p.add_argument("--format", default=None, choices=FORMATS, help="export format: json or latex")
    p.add_argument("-o", "--output", default=None, help="write the export to this file (default stdout)")
    p.add_argument("--force", action="store_true", help="overwrite an -o file that pointwise did not write")
    p.set_defaults(func=derive_main)


def parse_w(text: str) -> sympy.Rational:
    """--w: an exact rational > 0."""
    from relu_pointwise.symbolic.numbers import parse_number, rational_text

    wv = parse_number(text, "--w")
    if wv <= 0:
        raise InputError(f"--w: must be a rational > 0, got {rational_text(wv)}")
    return wv


def _derive(spec):
    from relu_pointwise.symbolic.loss import derive

    try:
        return derive(spec)
    except ModuleNotFoundError as exc:  # an engine part not installed: a clear line, not a traceback
        if exc.name and exc.name.startswith("symbolic."):
            raise InputError(f"target {spec.target.text}: its derivation needs {exc.name}, "
                            "which is not available") from None
        raise


def _range_text(lo, hi, to_text) -> str:
    import sympy

    from relu_pointwise.symbolic.exprio import as_basic

    return f"w >= {to_text(as_basic(lo))}" if hi == sympy.oo else \
        f"{to_text(as_basic(lo))} <= w < {to_text(as_basic(hi))}"


def summary(derivation) -> str:
    """A short human summary of a derivation (every expression via exprio.to_text)."""
    import sympy

    from relu_pointwise.symbolic.exprio import as_basic, to_text
    from relu_pointwise.symbolic.numbers import rational_text

    spec = derivation.spec
    lines = [f"target {spec.target.text} on domain {spec.domain.text()}, r = {rational_text(spec.r)}, "
             f"measure {spec.measure}",
             f"{len(derivation.cells)} linear regions of the hidden layers; "
             f"L(w) exact for w >= {rational_text(derivation.exact_from)}",
             "L(w), piecewise:"]
    rows = [(_range_text(p.w_lo, p.w_hi, to_text), to_text(p.expr)) for p in derivation.pieces]
    width = max(len(r) for r, _ in rows)
    lines += [f"  {r.ljust(width)}   L = {e}" for r, e in rows]
    lines.append(f"w* = {to_text(as_basic(derivation.w_star))}  (start of the asymptotic regime)")
    lines.append(f"asymptotic: L(w) = {to_text(derivation.asymptotic)} for w >= "
                 f"{to_text(as_basic(derivation.w_star))}; C = lim w L(w) = "
                 f"{to_text(as_basic(derivation.leading_constant))}")
    lines.append("GD map for eta = 1, Phi(w) = w - L'(w):")
    phis = [(_range_text(lo, hi, to_text), to_text(e)) for lo, hi, e in derivation.gd_map(sympy.Integer(1))]
    lines += [f"  {r.ljust(width)}   Phi = {e}" for r, e in phis]
    lines += [f"note: {n}" for n in derivation.notes]
    return "\n".join(lines)


def derive_main(args: argparse.Namespace) -> int:
    """Handler of ``pointwise derive`` (exit 0; InputError for bad input)."""
    from relu_pointwise.cli.args import announce_regions, spec_from_args
    from relu_pointwise.symbolic.exprio import to_text
    from relu_pointwise.symbolic.numbers import rational_text

    if args.w is not None and args.format is not None:
        raise InputError("--w: cannot be combined with --format (one output at a time)")
    if args.output is not None and args.format is None:
        raise InputError("-o: needs --format json or --format latex")
    wv = parse_w(args.w) if args.w is not None else None
    if args.output is not None:        # before the work: refuse to clobber a file of the user's
        check_overwrite(args.output, what="-o", force=args.force, signatures=OUTPUT_SIGNATURES)
    spec = spec_from_args(args)
    with announce_regions(spec):
        derivation = _derive(spec)
    if wv is not None:
        if wv < derivation.exact_from:
            raise InputError(f"--w: the exact loss is derived for w >= {rational_text(derivation.exact_from)}, "
                            f"got {rational_text(wv)}")
        print(to_text(derivation.loss(wv)))
        return 0
    if args.format is None:
        print(summary(derivation))
        return 0
    if args.format == "json":
        from relu_pointwise.symbolic.export_json import dumps

        text = dumps(derivation)
    else:
        from relu_pointwise.symbolic.export_latex import derivation_to_latex

        text = derivation_to_latex(derivation)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    path = Path(args.output)
    check_overwrite(path, what="-o", force=args.force, signatures=OUTPUT_SIGNATURES)
    write_atomic(path, text, what="-o")
    print(f"wrote {path} ({args.format})")
    return 0
