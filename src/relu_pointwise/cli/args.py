"""Shared argument groups of the ``pointwise`` command line: the problem (spec) and the training flags."""
from __future__ import annotations

import argparse
import contextlib
import re
import sys
import time
from typing import Any, NoReturn

from relu_pointwise.symbolic.errors import InputError
from relu_pointwise.symbolic.limits import RUN_STEPS_MAX

MAX_STEPS = RUN_STEPS_MAX.value

# Library errors name Python parameters; the command line shows them as flags.
FLAG_OF = {name: "--" + name.replace("_", "-") for name in (
    "eta", "w0", "r", "dps", "prec", "steps", "max_digits", "batch", "seed", "domain", "measure",
    "points", "grid", "w", "data", "spec", "exact_steps", "out", "format", "record_every")}
_LEADING_NAME = re.compile(r"^([a-z][a-z0-9_]*)(?=[: ])")


def flag_message(message: str) -> str:
    """``"eta: must be > 0"`` -> ``"--eta: must be > 0"`` (the message's leading parameter as its flag)."""
    m = _LEADING_NAME.match(message)
    if m and m.group(1) in FLAG_OF:
        return FLAG_OF[m.group(1)] + message[m.end():]
    return message


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # "-1,1", "-1/2", "-1,1;-1/2,1", "-1e999,1": values, not options (argparse's default
        # matcher knows only plain negative numbers; no option of ours starts with "-<digit>",
        # so a bad number reaches its own parser and gets a message naming it)
        self._negative_number_matcher = re.compile(r"^-[0-9.]")

    def parse_known_args(self, args=None, namespace=None):
        self._argv = list(sys.argv[1:] if args is None else args)   # for error()'s suggestions
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> NoReturn:  # one line, exit 2 (argparse prints usage too)
        sys.stderr.write(f"pointwise: error: {message}{suggestion(self, message)}\n")
        raise SystemExit(2)


_CHOICE = re.compile(r"invalid choice: '([^']*)' \(choose from (.*)\)$")


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def suggestion(parser: argparse.ArgumentParser, message: str) -> str:
    """``"; did you mean --target?"`` for a mistyped flag, command or choice (difflib), else ``""``."""
    import difflib

    m = _CHOICE.search(message)
    if m:
        choices = re.findall(r"'([^']*)'", m.group(2)) or [c.strip() for c in m.group(2).split(",")]
        close = difflib.get_close_matches(m.group(1), choices, n=1, cutoff=0.5)
        return f"; did you mean {close[0]!r}?" if close else ""
    argv = getattr(parser, "_argv", [])
    commands = _subparsers(parser)
    command = next((a for a in argv if a in commands), None)
    options = set(parser._option_string_actions)
    if command is not None:
        options |= set(commands[command]._option_string_actions)
    if message.startswith("unrecognized arguments: "):
        tokens = message[len("unrecognized arguments: "):].split()
    elif message.endswith("required: command"):      # `pointwise --hepl`: the flag, not the command, is wrong
        tokens = [a for a in argv if a.startswith("-") and a.split("=", 1)[0] not in options]
    else:
        return ""
    hints = []
    for token in tokens:
        if token.startswith("-"):
            close = difflib.get_close_matches(token.split("=", 1)[0], sorted(options), n=1, cutoff=0.6)
            if close:
                hints.append(f"did you mean {close[0]}?")
    return ("; " + " ".join(hints)) if hints else ""


def add_spec_arguments(p: argparse.ArgumentParser, default_target: bool = True) -> None:
    """--target, --domain, --r, --measure, --spec: the problem (symbolic.spec)."""
    p.add_argument("--target", default=None,
                   help="target, e.g. interval:-1/2,1/2 (default), 'box:-1/2,1/2;-1/2,1/2', ball:d=2,R=1/2,N=3")
    p.add_argument("--domain", default=None, help="LO,HI or LO1,HI1;LO2,HI2;... (default [-1,1]^d)")
    p.add_argument("--r", default=None, help="loss exponent r >= 1, exact (default 2)")
    p.add_argument("--measure", default=None, choices=None, help="probability (default) or lebesgue")
    p.add_argument("--spec", default=None, help="TOML or JSON file with the same settings (flags override it)")
    add_limit_arguments(p)


def add_limit_arguments(p: argparse.ArgumentParser) -> None:
    """--max-regions: the one limit a user may raise (see symbolic.limits and README "Limits")."""
    from relu_pointwise.symbolic.limits import REGIONS_MAX

    p.add_argument("--max-regions", default=None, metavar="N",
                   help=f"refuse targets with more linear regions than N (default {REGIONS_MAX.value}; "
                        "estimated before the work, counted during it)")


def max_regions(args: argparse.Namespace) -> int | None:
    """The --max-regions value (validated), or None when not given."""
    value = getattr(args, "max_regions", None)
    if value is None:
        return None
    return _int_setting(value, "--max-regions", 1, 10**9)


def add_training_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--eta", default=None, help="step size, exact (default 1)")
    p.add_argument("--w0", default=None, help="initial slope w_0 >= 0 (default 0)")
    p.add_argument("--batch", default=None, help="full (default) | cyclic:K | sampled:M | dataset:N,M")
    p.add_argument("--seed", default=None, help="seed for sampled batches and reshuffling (default 0)")


def settings(args: argparse.Namespace) -> dict:
    """Merge a --spec file with flags (flags win)."""
    from relu_pointwise.symbolic.spec import load_spec_file

    out = load_spec_file(args.spec) if getattr(args, "spec", None) else {}
    for key in ("target", "domain", "r", "measure", "eta", "w0", "batch", "seed"):
        v = getattr(args, key, None)
        if v is not None:
            out[key] = v
    return out


def spec_from_args(args: argparse.Namespace):
    """The Spec named by the flags / spec file (validated; InputError on bad input)."""
    from relu_pointwise.symbolic.spec import DEFAULT_TARGET, make_spec

    s = settings(args)
    return make_spec(s.get("target", DEFAULT_TARGET), s.get("domain"), s.get("r", "2"),
                     s.get("measure", "probability"))


def training_from_args(args: argparse.Namespace):
    from relu_pointwise.symbolic.spec import make_training

    s = settings(args)
    return make_training(s.get("eta", "1"), s.get("w0", "0"), s.get("batch", "full"), s.get("seed", 0))


def _int_setting(value: Any, what: str, lo: int, hi: int) -> int:
    if isinstance(value, bool):
        raise InputError(f"{what}: must be an integer, got {value!r}")
    from relu_pointwise.symbolic.numbers import parse_number  # lazy: `pointwise --help` needs no SymPy

    v = parse_number(value, what) if isinstance(value, str) else parse_number(str(value), what)
    if not v.is_integer:
        raise InputError(f"{what}: must be an integer, got {value!r}")
    if not lo <= int(v) <= hi:
        raise InputError(f"{what}: must be between {lo} and {hi}, got {value}")
    return int(v)


SECONDS_PER_REGION = 0.02
"""Measured on the shared 2-core machine: derive of ball:d=3,R=1/2,N=3 (4096 regions) 46 s,
of the box in d = 5 (4296 regions) 105 s: 11 to 24 ms a region."""


def announce_regions(spec, enabled: bool | None = None):
    """On a terminal, for long work: one up-front line on stderr ("about N linear regions
    (estimated), about T to derive"), and a context manager that redraws a running region count
    on that line while the regions are enumerated.  Off a terminal: nothing, and a null context."""
    import contextlib

    from relu_pointwise.symbolic.limits import region_limit, region_progress
    from relu_pointwise.symbolic.targets import estimate_regions

    if not (sys.stderr.isatty() if enabled is None else enabled):
        return contextlib.nullcontext()
    n = estimate_regions(spec.target.level, spec.dim)
    seconds = n * SECONDS_PER_REGION
    if n > region_limit() or seconds < 5:      # refused by the derivation's own check, or short
        return contextlib.nullcontext()
    when = f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"
    sys.stderr.write(f"pointwise: about {n} linear regions (estimated), about {when} to derive\n")
    sys.stderr.flush()
    bar = Progress(n, "regions", True, unit="regions")
    return _closing(region_progress(bar), bar)


@contextlib.contextmanager
def _closing(ctx, bar):
    with ctx:
        try:
            yield
        finally:
            bar.close()


class Progress:
    """A plain ``\\r`` counter on stderr, redrawn at most ten times a second."""

    def __init__(self, total: int, label: str, enabled: bool, unit: str = "step") -> None:
        self.unit = unit
        self.total = max(1, total)
        self.label = label
        self.enabled = enabled
        self.last = 0.0
        self.drawn = False

    def __call__(self, t: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.last < 0.1 and (t < self.total or self.unit != "step"):
            return
        self.last = now
        if self.unit == "step":
            sys.stderr.write(f"\r{self.label}: step {t}/{self.total} ({100 * t // self.total}%)")
        else:                     # a count against an estimate: may pass it
            sys.stderr.write(f"\r{self.label}: {t} of about {self.total} {self.unit}")
        sys.stderr.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            sys.stderr.write("\n")
            sys.stderr.flush()


class PhaseLine:
    """On a terminal: one stderr line per phase of a long command (``certify: deriving the exact loss``),
    counted phases redrawn in place (``certify: enclosing the path: step 12000 of 20000``) at most ten
    times a second. The library reports phases through :mod:`relu_pointwise.symbolic.progress`."""

    def __init__(self, command: str, enabled: bool) -> None:
        self.command = command
        self.enabled = enabled
        self.phase: str | None = None
        self.open = False
        self.last = 0.0

    def __call__(self, phase: str, k: int, n: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if phase == self.phase and n and k < n and now - self.last < 0.1:
            return
        if phase != self.phase:
            self.close()
            self.phase = phase
        self.last = now
        unit = "point" if phase == "T(x)" else "step"
        text = f"{self.command}: {phase}" + (f": {unit} {k} of {n}" if n else "")
        if n:
            sys.stderr.write(f"\r{text}")
            self.open = True
        else:
            sys.stderr.write(f"{text}\n")
        sys.stderr.flush()

    def close(self) -> None:
        if self.open:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self.open = False
