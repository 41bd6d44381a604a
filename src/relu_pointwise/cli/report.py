"""``pointwise report CERTIFICATE.json -o report.html``: the certificate's self-contained report page.

The page (:mod:`relu_pointwise.proofs.report_page`) runs the independent checker first; it says
VERIFIED only when every claim checks and the verdict is certified, NOT VERIFIED otherwise.
Exit status: 0 for a verified page, 1 when the page says NOT VERIFIED (it is still written),
2 when FILE is malformed (a NOT VERIFIED page is still written) and for bad input (a missing
file, an -o that pointwise did not write).
"""
from __future__ import annotations

import argparse
from pathlib import Path


def default_output(cert: str) -> Path:
    """report.html beside the certificate."""
    return Path(cert).parent / "report.html"


def report_main(args: argparse.Namespace) -> int:
    from relu_pointwise.proofs.report_page import write_report

    out = Path(args.output) if args.output is not None else default_output(args.file)
    page = write_report(args.file, out, force=args.force)
    print(f"{'VERIFIED' if page.verified else 'NOT VERIFIED'} (checker: {page.summary})")
    print(f"wrote {out}")
    return 0 if page.verified else 2 if page.malformed else 1


def register(sub) -> None:
    """Add ``pointwise report`` to the CLI."""
    from relu_pointwise.cli.args import add_limit_arguments

    p = sub.add_parser("report", help="write a certificate's self-contained HTML report page (checked first)",
                       description="Check FILE by the independent checker and write one self-contained HTML page "
                                   "(no network access when opened): the problem, the verify result with its date "
                                   "and version, the formulas (MathML), the proved numbers, the claims and the "
                                   "plots found beside FILE. A certificate that does not check gives a page that "
                                   "says NOT VERIFIED at the top, and exit status 1 (2 when FILE is malformed).")
    p.add_argument("file", help="certificate.json written by pointwise certify")
    p.add_argument("-o", "--output", default=None, help="the page to write (default: report.html beside FILE)")
    p.add_argument("--force", action="store_true", help="overwrite an -o file that pointwise did not write")
    add_limit_arguments(p)
    p.set_defaults(func=report_main)
