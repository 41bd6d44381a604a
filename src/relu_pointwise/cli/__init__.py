"""The ``pointwise`` command line.

Subcommands, each owned by the module that holds its mathematics:

    network     the constructed network's architecture        (here)
    derive      exact L(w), L'(w), Phi; JSON / LaTeX exports   cli.derive
    run         one engine's gradient descent trajectory       cli.run
    crosscheck  engines against each other, with bounds       cli.crosscheck
    certify     the certificate of pointwise convergence      cli.certify
    verify      check a certificate by the independent checker  cli.certify
                (``--rederive``: also re-run the prover and compare)
    report      a certificate's self-contained HTML page       cli.report
    sweep       a family of runs or certificates on Dask       cli.sweep
    fourier     spherical partial sums of the ball's Fourier   cli.fourier
                series, enclosed, beside the network

This layer parses flags and prints; the library never imports it.

Every bad input ends in one line ``pointwise: error: ...`` on stderr and exit 2; the other
exit statuses are :data:`EXIT_STATUSES`.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Sequence

from relu_pointwise.symbolic.errors import CertificateError, EnclosureError, NotExactError, PointwiseError

from .args import _Parser, add_spec_arguments, flag_message, spec_from_args


def _network_main(args: argparse.Namespace) -> int:
    spec = spec_from_args(args)
    print(f"network for target {spec.target.text} on domain {spec.domain.text()}")
    print(spec.network.describe())
    return 0


# Help texts are plain text (argparse prints them as they are): no reST markup here.
DESCRIPTION = ("Check that a constructed sparse ReLU network trained by gradient descent converges "
               "pointwise to an indicator target, at rate t^(-1/3): derive the exact loss, run the "
               "engines, cross-check them, certify and verify. Bad input ends in one line "
               "'pointwise: error: ...' and exit status 2.")
NETWORK_DESCRIPTION = ("Print the constructed network for the target: the fixed ReLU layers that compute "
                       "the level function g (widths, nonzero weights and biases, exact rationals) and the "
                       "trainable head f(w, x) = sigma(w g + 1/2) - sigma(w g - 1/2), where the slope w enters.")


EXIT_STATUSES: tuple[tuple[int, str], ...] = (
    (0, "success: the command did what it says (certify: certified; verify and report: every claim checks; "
        "crosscheck: every pair passes)"),
    (1, "a result, not an error: a certificate that is not certified, a claim that fails or cannot be "
        "established (named), a crosscheck pair that fails; report wrote a NOT VERIFIED page"),
    (2, "bad input, in one line 'pointwise: error: ...': a malformed value, flag, spec file or certificate, a "
        "limit exceeded, a file that cannot be read or written"),
    (3, "a computational limit, in one line: no exact answer exists in this regime (NotExactError), an "
        "enclosure could not decide (EnclosureError), or a value is undecidable within its limit"),
    (130, "interrupted (Ctrl-C, 128 + SIGINT); nothing half-written is left"),
    (143, "terminated (SIGTERM, 128 + SIGTERM); nothing half-written is left"),
)
"""The exit statuses of ``pointwise`` (the documentation's table; :func:`main` returns them)."""


def build_parser() -> argparse.ArgumentParser:
    from relu_pointwise import __version__

    parser = _Parser(prog="pointwise", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"pointwise (relu-pointwise) {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("network", help="print the constructed network's architecture",
                       description=NETWORK_DESCRIPTION)
    add_spec_arguments(p)
    p.set_defaults(func=_network_main)
    from . import certify, crosscheck, derive, fourier, report, run, sweep

    derive.register(sub)
    run.register(sub)
    crosscheck.register_crosscheck(sub)
    certify.register(sub)
    report.register(sub)
    sweep.register(sub)
    fourier.register(sub)
    return parser


EXIT_LIMIT = 3      # see EXIT_STATUSES


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every cleanup path for an interrupt runs (temporary
    outputs removed); exit 143 = 128 + SIGTERM, where Ctrl-C exits 130 = 128 + SIGINT."""


def _is_limit(exc: PointwiseError) -> bool:
    """NotExactError, EnclosureError, or exprio's UndecidableError (which can only have been
    raised if its module is loaded: looked up there, so ``--help`` does not import SymPy)."""
    grammar = sys.modules.get("relu_pointwise.symbolic.exprio.grammar")
    undecidable = getattr(grammar, "UndecidableError", None) if grammar is not None else None
    return isinstance(exc, (NotExactError, EnclosureError)) or (
        undecidable is not None and isinstance(exc, undecidable))


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


def _after_the_work(signum: int, frame: object) -> None:
    """A signal after the command finished (outputs complete, stdout flushed): its one line and
    128 + signum, at once (no traceback from the interpreter's shutdown, no bare -2 / -15)."""
    name = "SIGTERM" if signum == signal.SIGTERM else "SIGINT" if signum == signal.SIGINT else f"signal {signum}"
    try:
        os.write(2, f"pointwise: {name} after the command finished; its outputs are complete\n".encode())
    finally:
        os._exit(128 + signum)


def _finish_quietly() -> None:
    """The command's work is done: flush what it printed, then let a late signal end the process
    with its line and status (see :func:`_after_the_work`)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):      # a closed pipe / stream: nothing left to flush
            pass
    signal.signal(signal.SIGTERM, _after_the_work)
    signal.signal(signal.SIGINT, _after_the_work)


def _exit_now(code: int) -> None:
    """End the process at once (after an interrupt, within a second): flush, then ``os._exit``
    (the interpreter's teardown of a large run's objects takes up to a second by itself)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``pointwise`` command; return its exit code.

    Exit 2 with one line for bad input and malformed files (also for input nested too
    deeply to process, and a file that cannot be read or written), 1 for a certificate
    that fails to check, 3 for a computational limit (no exact answer exists, or an
    enclosure could not decide), 130 on Ctrl-C and 143 on SIGTERM (one line, temporary
    outputs removed); any other exception is a bug and keeps its traceback.
    """
    from relu_pointwise.symbolic.limits import regions_allowed

    from .args import max_regions

    parser = build_parser()
    if not (sys.argv[1:] if argv is None else list(argv)):     # bare `pointwise`: the usage and the commands
        parser.print_help()
        return 0
    args = parser.parse_args(argv)
    top_level = argv is None     # the `pointwise` script (sys.exit(main())): the process ends after us
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:           # not the main thread (embedded use): leave signals alone
        previous = None
        top_level = False
    try:
        n = max_regions(args)
        with regions_allowed(n) if n is not None else contextlib.nullcontext():
            return int(args.func(args) or 0)
    except CertificateError as exc:
        sys.stderr.write(f"pointwise: error: {exc}\n")
        return 2 if exc.malformed else 1
    except PointwiseError as exc:
        sys.stderr.write(f"pointwise: error: {flag_message(str(exc))}\n")
        # a computational limit is not bad input: the question has no exact answer here, or a
        # rigorous computation could not decide within its limit
        return EXIT_LIMIT if _is_limit(exc) else 2
    except BrokenPipeError:  # e.g. `pointwise derive ... | head`: the reader left; not an error of ours
        sys.stderr.close()
        return 0
    except Terminated:
        sys.stderr.write("pointwise: terminated (SIGTERM); nothing half-written was left\n")
        if top_level:           # cleanup done (temporary files, clusters): skip the interpreter's teardown
            _exit_now(143)
        return 143
    except KeyboardInterrupt:
        sys.stderr.write("pointwise: interrupted; nothing half-written was left\n")
        if top_level:
            _exit_now(130)
        return 130
    except RecursionError:
        # the readers check nesting before they recurse; this is the last line of defence
        sys.stderr.write("pointwise: error: input nested too deeply to process\n")
        return 2
    except MemoryError:
        sys.stderr.write("pointwise: error: out of memory (input too large for this machine)\n")
        return 2
    except OSError as exc:  # a file the command reads or writes, outside the guarded boundaries
        where = f" {exc.filename!r}" if exc.filename else ""
        sys.stderr.write(f"pointwise: error: cannot access{where}: {exc.strerror or _one_line(exc)}\n")
        return 2
    except Exception:
        sys.stderr.write("pointwise: internal error (a bug, not bad input): please report it with the "
                         "traceback below\n")
        raise
    finally:
        if top_level:
            _finish_quietly()
        elif previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
