"""Texts a user reads (issue 20): the LaTeX power sum, the certify summary's T(x) line and N(x) table."""
from __future__ import annotations

import re

import sympy
from hypothesis import given
from hypothesis import strategies as st

from relu_pointwise.cli.certify import summary_text
from relu_pointwise.symbolic.export_latex import power_sum

rationals = st.fractions(max_denominator=1000).map(lambda f: sympy.Rational(f.numerator, f.denominator))


@given(st.lists(rationals, min_size=1, max_size=6))
def test_power_sum_has_each_sign_once_and_reads_back(coeffs):
    text = power_sum(coeffs)
    assert "+ -" not in text and "- -" not in text and "+ +" not in text
    nonzero = [c for c in coeffs if c != 0]
    assert text == "0" if not nonzero else text.count("w^{") == len(nonzero)
    # read back: the LaTeX of each term is \frac{p}{q} or an integer, then \, w^{-k}
    total = sympy.Integer(0)
    w = sympy.Symbol("w")
    for sign, num, k in re.findall(r"(^|[+-]) ?(\\frac\{\d+\}\{\d+\}|\d+)\\, w\^\{-(\d+)\}", text):
        m = re.fullmatch(r"\\frac\{(\d+)\}\{(\d+)\}", num)
        value = sympy.Rational(int(m.group(1)), int(m.group(2))) if m else sympy.Integer(int(num))
        total += (-1 if sign == "-" else 1) * value * w ** -int(k)
    assert sympy.expand(total - sum(c * w ** -(i + 1) for i, c in enumerate(coeffs))) == 0


def test_the_issue_example():
    """The deep ball N = 2 in d = 2: L(w) = 2/(27 w) - 1/(45 w^2) from w* on."""
    text = power_sum([sympy.Rational(2, 27), sympy.Rational(-1, 45)])
    assert text == r"\frac{2}{27}\, w^{-1} - \frac{1}{45}\, w^{-2}"


def _cert(n_points: int, deep: bool = False) -> dict:
    pts = [{"id": f"pointwise:x={i}", "status": "enclosed", "data": {"T_lo": str(i), "T_hi": str(i)}}
           for i in range(n_points)]
    claims = [{"id": "rate", "status": "proved", "data": {}}, *pts]
    if deep:
        claims.append({"id": "deep_ball_depth", "status": "proved", "data": {"R2": "1/4", "table": [
            {"x": ["0", "0"], "norm2": "0", "side": "inside", "N": "1"},
            {"x": ["1/2", "0"], "norm2": "1/4", "side": "sphere", "N": "none"}]}})
    return {"inputs": {"spec": {"target": "t", "domain": "-1,1", "r": "2", "measure": "probability"}, "eta": "1",
                       "w0": "0", "batch": "full", "seed": "none", "steps": "10"},
            "claims": claims, "verdict": "certified", "reason": "r", "scope": "s"}


def test_the_summary_says_how_many_points_it_shows():
    few = summary_text(_cert(5))
    assert "T(x): x=0: 0; x=1: 1; x=2: 2; x=3: 3; x=4: 4" in few
    many = summary_text(_cert(17))
    shown = re.search(r"T\(x\) at (\d+) of 17 points: (.*)", many)
    assert shown and int(shown.group(1)) == shown.group(2).count("x=") < 17


def test_the_summary_prints_the_n_of_x_table_for_a_deep_ball():
    text = summary_text(_cert(2, deep=True))
    assert "N(x), the depth from which the deep target equals the ball's indicator" in text
    assert re.search(r"\(0,0\)\s+0\s+inside\s+1", text) and re.search(r"\(1/2,0\)\s+1/4\s+sphere\s+none", text)
    assert "N(x)" not in summary_text(_cert(2))
