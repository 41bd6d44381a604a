"""The command line's help texts are plain text, describe every subcommand, and state the
defaults the code uses."""
from __future__ import annotations

import re

import pytest

from relu_pointwise.cli import build_parser
from relu_pointwise.proofs.certificate import default_grid
from relu_pointwise.symbolic.spec import make_spec

SUBCOMMANDS = ["network", "derive", "run", "crosscheck", "certify", "verify", "report", "sweep", "fourier"]


def _helps() -> dict[str, str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    out = {"": parser.format_help()}
    out.update({name: p.format_help() for name, p in sub.choices.items()})
    return out


def test_every_subcommand_is_there():
    assert sorted(k for k in _helps() if k) == sorted(SUBCOMMANDS)


@pytest.mark.parametrize("name", ["", *SUBCOMMANDS])
def test_help_is_plain_text(name):
    text = _helps()[name]
    for markup in ("``", ":func:", ":mod:", ":class:", ":meth:", ":attr:"):
        assert markup not in text, (name, markup)


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_every_subcommand_has_a_description(name):
    """Between the usage block and the first section (options, positional arguments)
    there is a paragraph of prose."""
    text = _helps()[name]
    body = text.split("\n\n", 1)[1]
    first = body.split("\n\n", 1)[0]
    assert not first.startswith(("options:", "positional arguments:")), (name, first)
    assert len(first.split()) >= 8, (name, first)


def test_certify_help_states_the_grid_default_the_code_uses():
    text = " ".join(_helps()["certify"].split())
    m = re.search(r"default (\d+) in 1-D, (\d+) in 2-D, (\d+) up to (\d+)-D, (\d+) above", text)
    assert m, text
    one, two, mid, upto, above = (int(g) for g in m.groups())
    stated = {1: one, 2: two, **{d: mid for d in range(3, upto + 1)}, upto + 1: above, upto + 2: above}
    for d, k in stated.items():
        spec = make_spec("box:" + ";".join(["-1/2,1/2"] * d))
        assert default_grid(spec) == k, (d, k)


def test_help_needs_no_sympy():
    """The CLI loads SymPy and the engines only when a command runs: ``pointwise --help``
    stays fast (a top-level import of a SymPy-backed module in cli/ would undo that)."""
    import subprocess
    import sys

    code = ("import sys\nfrom relu_pointwise.cli import build_parser\nbuild_parser().format_help()\n"
            "print('sympy' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.stdout.strip() == "False", r.stdout + r.stderr
