"""The command line's help texts are plain text, describe every subcommand, and state the
defaults the code uses."""
from __future__ import annotations

import re

import pytest

from relu_pointwise.cli import build_parser
from relu_pointwise.proofs.certificate import default_grid
from relu_pointwise.symbolic.spec import make_spec

SUBCOMMANDS = ["network", "derive", "run", "crosscheck", "certify", "verify", "sweep", "fourier"]


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
    m = re.search(r"default (\d+) in 1-D, (\d+) in 2-D, (\d+) up to 5-D, (\d+) above", text)
    assert m, text
    specs = [make_spec("interval:-1/2,1/2"), make_spec("box:-1/2,1/2;-1/2,1/2"),
             make_spec(";".join(["box:-1/2,1/2"] + ["-1/2,1/2"] * 4)),
             make_spec(";".join(["box:-1/2,1/2"] + ["-1/2,1/2"] * 5))]
    assert [int(g) for g in m.groups()] == [default_grid(s) for s in specs]
