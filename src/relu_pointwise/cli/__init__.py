"""The ``pointwise`` command line.

Subcommands, each owned by the module that holds its mathematics:

    network     the constructed network's architecture        (here)
    derive      exact L(w), L'(w), Phi; JSON / LaTeX exports   cli.derive
    run         one engine's gradient descent trajectory       cli.run
    crosscheck  engines against each other, with bounds       cli.crosscheck
    certify     the certificate of pointwise convergence      cli.certify
    verify      re-derive and compare a certificate           cli.certify

This layer parses flags and prints; the library never imports it.

Every bad input ends in one line ``pointwise: error: ...`` on stderr and exit 2.
"""
from __future__ import annotations

import argparse
import sys
from typing import Sequence

from relu_pointwise.symbolic.errors import CertificateError, PointwiseError

from .args import _Parser, add_spec_arguments, spec_from_args


def _network_main(args: argparse.Namespace) -> int:
    spec = spec_from_args(args)
    print(f"network for target {spec.target.text} on domain {spec.domain.text()}")
    print(spec.network.describe())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="pointwise", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("network", help="print the constructed network's architecture")
    add_spec_arguments(p)
    p.set_defaults(func=_network_main)
    from . import certify, crosscheck, derive, fourier, run

    derive.register(sub)
    run.register(sub)
    crosscheck.register_crosscheck(sub)
    certify.register(sub)
    fourier.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``pointwise`` command; return its exit code.

    Exit 2 with one line for bad input and malformed files, 1 for a certificate
    that fails to check; any other exception is a bug and keeps its traceback.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CertificateError as exc:
        sys.stderr.write(f"pointwise: error: {exc}\n")
        return 2 if exc.malformed else 1
    except PointwiseError as exc:
        sys.stderr.write(f"pointwise: error: {exc}\n")
        return 2
    except BrokenPipeError:  # e.g. `pointwise derive ... | head`: the reader left; not an error of ours
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        sys.stderr.write("pointwise: interrupted\n")
        return 130
    except Exception:
        sys.stderr.write("pointwise: internal error (a bug, not bad input): please report it with the "
                         "traceback below\n")
        raise


if __name__ == "__main__":
    sys.exit(main())
