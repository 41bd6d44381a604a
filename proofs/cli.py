"""The ``pointwise`` command line.

Subcommands, each owned by the module that holds its mathematics:

    network     the constructed network's architecture        (here)
    derive      exact L(w), L'(w), Phi; JSON / LaTeX exports   symbolic.commands
    run         one engine's gradient descent trajectory       numeric.commands
    crosscheck  engines against each other, with bounds       numeric.commands
    certify     the certificate of pointwise convergence      proofs.commands
    verify      re-derive and compare a certificate           proofs.commands

Every bad input ends in one line ``pointwise: error: ...`` on stderr and exit 2.
"""
from __future__ import annotations

import argparse
import re
import sys
from typing import Sequence

from symbolic.errors import SpecError


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # "-1,1", "-1/2", "-1,1;-1/2,1": values, not options (argparse's default
        # matcher knows only plain negative numbers)
        self._negative_number_matcher = re.compile(r"^-[\d./]+([,;][-\d./,;]*)?$")

    def error(self, message: str) -> None:  # one line, exit 2 (argparse prints usage too)
        sys.stderr.write(f"pointwise: error: {message}\n")
        raise SystemExit(2)


def add_spec_arguments(p: argparse.ArgumentParser, default_target: bool = True) -> None:
    """--target, --domain, --r, --measure, --spec: the problem (symbolic.spec)."""
    p.add_argument("--target", default=None,
                   help="target, e.g. interval:-1/2,1/2 (default), 'box:-1/2,1/2;-1/2,1/2', ball:d=2,R=1/2,N=3")
    p.add_argument("--domain", default=None, help="LO,HI or LO1,HI1;LO2,HI2;... (default [-1,1]^d)")
    p.add_argument("--r", default=None, help="loss exponent r >= 1, exact (default 2)")
    p.add_argument("--measure", default=None, choices=None, help="probability (default) or lebesgue")
    p.add_argument("--spec", default=None, help="TOML or JSON file with the same settings (flags override it)")


def add_training_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--eta", default=None, help="step size, exact (default 1)")
    p.add_argument("--w0", default=None, help="initial slope w_0 >= 0 (default 0)")
    p.add_argument("--batch", default=None, help="full (default) | cyclic:K | sampled:M | dataset:N,M")
    p.add_argument("--seed", default=None, help="seed for sampled batches and reshuffling (default 0)")


def settings(args: argparse.Namespace) -> dict:
    """Merge a --spec file with flags (flags win)."""
    from symbolic.spec import load_spec_file

    out = load_spec_file(args.spec) if getattr(args, "spec", None) else {}
    for key in ("target", "domain", "r", "measure", "eta", "w0", "batch", "seed"):
        v = getattr(args, key, None)
        if v is not None:
            out[key] = v
    return out


def spec_from_args(args: argparse.Namespace):
    """The Spec named by the flags / spec file (validated; SpecError on bad input)."""
    from symbolic.spec import DEFAULT_TARGET, make_spec

    s = settings(args)
    return make_spec(s.get("target", DEFAULT_TARGET), s.get("domain"), s.get("r", "2"),
                     s.get("measure", "probability"))


def training_from_args(args: argparse.Namespace):
    from symbolic.spec import make_training

    s = settings(args)
    return make_training(s.get("eta", "1"), s.get("w0", "0"), s.get("batch", "full"), s.get("seed", 0))


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
    for module in ("symbolic.commands", "numeric.commands", "proofs.commands"):
        try:
            mod = __import__(module, fromlist=["register"])
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        mod.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SpecError as exc:
        sys.stderr.write(f"pointwise: error: {exc}\n")
        return 2
    except ValueError as exc:  # e.g. ExprSyntaxError from a file: still one line, no traceback
        sys.stderr.write(f"pointwise: error: {' '.join(str(exc).split())}\n")
        return 2
    except BrokenPipeError:  # e.g. `pointwise derive ... | head`: the reader left; not an error of ours
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        sys.stderr.write("pointwise: interrupted\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())
