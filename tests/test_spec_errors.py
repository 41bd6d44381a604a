"""Bad input through the CLI: exit status 2, ONE line on stderr naming the bad part,
no traceback, nothing on stdout.  One test per class of bad input (issue 2)."""
from __future__ import annotations

import json

import pytest

from relu_pointwise.cli import main


def run(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse-level errors
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def check_one_line_error(argv, capsys, *parts):
    code, out, err = run(argv, capsys)
    assert code == 2, (argv, code, out, err)
    assert out == ""
    assert err.startswith("pointwise: error: ") and err.endswith("\n")
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    for part in parts:
        assert part in err, (part, err)
    return err


def derive_w(*args):
    return ["derive", *args, "--w", "1"]


@pytest.mark.parametrize("target, parts", [
    ("interval:-1/2,3/2", ("interval:-1/2,3/2", "outside the domain")),
    ("interval:-2,0", ("interval:-2,0", "outside the domain")),
    ("union:-1/2,0;1/2,5/4", ("piece 2", "outside the domain")),
])
def test_end_outside_domain(target, parts, capsys):
    check_one_line_error(derive_w("--target", target), capsys, *parts)


def test_end_outside_a_given_domain(capsys):
    check_one_line_error(derive_w("--target", "interval:-1/2,1/2", "--domain", "0,1"),
                         capsys, "interval:-1/2,1/2", "outside the domain [0, 1]")


@pytest.mark.parametrize("target", ["interval:1/2,-1/2", "interval:1/3,1/3", "union:-1/2,0;1/2,1/4"])
def test_a_not_less_than_b(target, capsys):
    check_one_line_error(derive_w("--target", target), capsys, "target", "need A < B")


@pytest.mark.parametrize("target, pieces", [
    ("union:-1/2,1/4;0,1/2", "-1/2,1/4 and 0,1/2"),        # overlapping
    ("union:0,1/2;-1/2,1/4", "-1/2,1/4 and 0,1/2"),        # overlapping, given out of order
    ("union:-1/2,0;0,1/2", "-1/2,0 and 0,1/2"),            # touching at 0
])
def test_overlapping_or_touching_union(target, pieces, capsys):
    check_one_line_error(derive_w("--target", target), capsys, "target union", pieces, "overlap or touch")


@pytest.mark.parametrize("r", ["1/2", "0.999", "0", "-2"])
def test_r_below_one(r, capsys):
    check_one_line_error(derive_w(f"--r={r}"), capsys, "--r", ">= 1")


@pytest.mark.parametrize("name, text", [
    ("bad.toml", 'target = "interval:0,1/2"\ntargt = "interval:0,1/2"\n'),
    ("bad.json", json.dumps({"target": "interval:0,1/2", "rr": 2})),
])
def test_unknown_spec_file_key(name, text, tmp_path, capsys):
    path = tmp_path / name
    path.write_text(text)
    bad = "targt" if name.endswith(".toml") else "rr"
    check_one_line_error(derive_w("--spec", str(path)), capsys, "--spec", f"unknown key '{bad}'", name)


def test_spec_file_good_values_are_used(tmp_path, capsys):
    """The same file format, valid: r = 1.5 (a TOML float read as the decimal 3/2)."""
    path = tmp_path / "ok.toml"
    path.write_text('target = "interval:-1/2,1/2"\nr = 1.5\n')
    code, out, err = run(["derive", "--spec", str(path), "--w", "3"], capsys)
    assert (code, out.strip(), err) == (0, "sqrt(2)/30", "")


@pytest.mark.parametrize("argv, parts", [
    (derive_w("--target", "interval:-1/2,abc"), ("target interval", "malformed number 'abc'")),
    (derive_w("--target", "interval:-1/2,1e-1"), ("target interval", "malformed number '1e-1'")),
    (derive_w("--target", "union:-1/2,-1/4;0,1/2.5.1"), ("target union piece 2", "malformed number")),
    (derive_w("--r", "two"), ("--r", "malformed number 'two'")),
])
def test_malformed_number(argv, parts, capsys):
    check_one_line_error(argv, capsys, *parts)


@pytest.mark.parametrize("target", ["circle:0,1", "Interval:0,1/2", "intervall:0,1/2"])
def test_unknown_target_kind(target, capsys):
    kind = target.split(":")[0]
    check_one_line_error(derive_w("--target", target), capsys, "target", f"unknown kind '{kind}'")


@pytest.mark.parametrize("domain, parts", [
    ("1,-1", ("--domain", "LO < HI")),
    ("-1", ("--domain", "LO,HI")),
    ("a,1", ("--domain", "malformed number 'a'")),
    ("-1,1;-1,1", ("--domain", "2 intervals", "dimension 1")),
])
def test_bad_domain(domain, parts, capsys):
    # "--domain=..." because argparse reads a value like "-1,1" after a space as an option
    check_one_line_error(derive_w("--target", "interval:0,1/2", f"--domain={domain}"), capsys, *parts)


@pytest.mark.parametrize("wv, parts", [
    ("0", ("--w", "> 0")),
    ("-1/2", ("--w", "> 0")),
    ("x", ("--w", "malformed number 'x'")),
    ("1/0", ("--w", "zero denominator")),
    ("1e2", ("--w", "malformed number")),
])
def test_bad_w(wv, parts, capsys):
    check_one_line_error(["derive", "--target", "interval:-1/2,1/2", f"--w={wv}"], capsys, *parts)
