"""Tests for symbolic.exprio: exact expression text, our own printer and parser."""
from __future__ import annotations

import ast
import builtins
import inspect
import random
import sys

import pytest
import sympy
import sympy.parsing.sympy_parser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sympy import Rational, S

from relu_pointwise.symbolic import exprio
from relu_pointwise.symbolic.exprio import (
    DEFAULT_SYMBOLS,
    MAX_DEPTH,
    MAX_DIGITS,
    MAX_LENGTH,
    ExprSyntaxError,
    from_text,
    rational_from_text,
    rational_to_text,
    to_text,
)

w = DEFAULT_SYMBOLS["w"]
s = DEFAULT_SYMBOLS["s"]
eta = DEFAULT_SYMBOLS["eta"]
x = DEFAULT_SYMBOLS["x"]


def roundtrip(e: sympy.Expr) -> str:
    text = to_text(e)
    back = from_text(text)
    assert back == e, (text, sympy.srepr(back), sympy.srepr(e))
    assert to_text(e) == text  # deterministic
    return text


# --------------------------------------------------------------------------- pinned examples

def test_pinned_texts_read_and_print() -> None:
    assert from_text("1/(12*w)") == 1 / (12 * w)
    assert from_text("pi/(48*w)") == sympy.pi / (48 * w)
    assert from_text("sqrt(2)*(1/2 - w)**(5/2)") == sympy.sqrt(2) * (S.Half - w) ** Rational(5, 2)
    assert from_text("(1/2 - 3*w/4)**(5/2)*sqrt(2)/15") == \
        (S.Half - 3 * w / 4) ** Rational(5, 2) * sympy.sqrt(2) / 15
    assert from_text("w + eta/(12*w**2)") == w + eta / (12 * w**2)
    assert to_text(1 / (12 * w)) == "1/(12*w)"
    assert to_text(sympy.pi / (48 * w)) == "pi/(48*w)"
    assert to_text(w + eta / (12 * w**2)) == "eta/(12*w**2) + w"
    assert to_text(sympy.sqrt(2) * (S.Half - 3 * w / 4) ** Rational(5, 2) / 15) == \
        "sqrt(2)*(1/2 - 3*w/4)**(5/2)/15"


PINNED = [
    1 / (12 * w),
    sympy.pi / (48 * w),
    sympy.sqrt(2) * (S.Half - w) ** Rational(5, 2),
    (S.Half - 3 * w / 4) ** Rational(5, 2) * sympy.sqrt(2) / 15,
    w + eta / (12 * w**2),
    S.Zero, S.One, -S.One, Rational(-7, 3), sympy.E, sympy.pi, sympy.I, 3 * sympy.I * w,
    -w, -w**2, (-w) ** Rational(3, 2), sympy.sqrt(-w), 1 / sympy.sqrt(w), s / w ** Rational(5, 2),
    (-1) ** Rational(1, 3), 2**w, w**-w, S.Half**w, w ** (w**w),
    sympy.Mul(-1, x + 1, s + 1), sympy.Mul(-1, s, x + 1), sympy.Mul(S.Half, 1 / (x + 1)),
    sympy.Mul(2, s, x + 1), sympy.Mul(-1, x + 1, 1 / w),
    sympy.exp(-w), sympy.log(w + 1), sympy.gamma(w / 3), sympy.floor(w), sympy.ceiling(w / 2),
    sympy.acos(w), sympy.asin(w / 2), sympy.atan(w), sympy.Abs(w - 1),
    sympy.Min(w, s, 2), sympy.Max(w, -s), sympy.Min(sympy.Max(w, 0), 1),
    sympy.exp(w) * sympy.pi / sympy.gamma(s), sympy.floor(sympy.pi * 10**50),
    w**10 - 3 * w**3 / 7 + Rational(22, 7),
]


@pytest.mark.parametrize("e", PINNED, ids=lambda e: str(e)[:40])
def test_pinned_roundtrip(e: sympy.Expr) -> None:
    roundtrip(e)


def test_huge_rationals_roundtrip() -> None:
    rng = random.Random(12345)
    for _ in range(5):
        p = rng.randrange(10**1999, 10**2000)
        q = rng.randrange(10**1999, 10**2000) | 1
        r = Rational(p, q) * (-1) ** rng.randrange(2)
        assert rational_from_text(rational_to_text(r)) == r
        roundtrip(r)
        roundtrip(r * w + Rational(q, p) * sympy.sqrt(3))
        roundtrip(Rational(p, q) / (w + 1))
    big = sympy.Integer(7) ** 11000  # 9297 digits, over Python's 4300-digit str limit
    assert from_text(to_text(big)) == big
    assert from_text("7**11000") == big


def test_structural_fallback_is_used_when_needed() -> None:
    # the pretty printer's text would read back as something else; the fallback must not
    e = sympy.Mul(S.Half, sympy.Pow(x + 1, -1))
    assert from_text(to_text(e)) == e


# --------------------------------------------------------------------------- Hypothesis

leaves = st.one_of(
    st.fractions(min_value=-50, max_value=50, max_denominator=12).map(
        lambda f: Rational(f.numerator, f.denominator)),
    st.integers(min_value=-(10**30), max_value=10**30).map(sympy.Integer),
    st.sampled_from([w, s, sympy.pi]),
)

small_exps = st.one_of(
    st.integers(min_value=-3, max_value=4).map(sympy.Integer),
    st.sampled_from([S.Half, Rational(-1, 2), Rational(3, 2), Rational(5, 2), Rational(1, 3),
                     Rational(-2, 3)]),
)


def _min_max(fn):
    def build(ab: tuple[sympy.Expr, sympy.Expr]) -> sympy.Expr:
        try:
            return fn(*ab)
        except ValueError:  # SymPy refuses non-real arguments such as I
            return ab[0]
    return build


def _extend(children: st.SearchStrategy[sympy.Expr]) -> st.SearchStrategy[sympy.Expr]:
    return st.one_of(
        st.tuples(children, children).map(lambda ab: ab[0] + ab[1]),
        st.tuples(children, children).map(lambda ab: ab[0] - ab[1]),
        st.tuples(children, children).map(lambda ab: ab[0] * ab[1]),
        st.tuples(children, small_exps).map(lambda be: be[0] ** be[1]),
        children.map(sympy.sqrt),
        children.map(sympy.Abs),
        children.map(lambda a: -a),
        st.tuples(children, children).map(_min_max(sympy.Min)),
        st.tuples(children, children).map(_min_max(sympy.Max)),
    )


def _finite(e: sympy.Expr) -> bool:
    return not e.has(S.ComplexInfinity, S.NaN, S.Infinity, S.NegativeInfinity)


expressions = st.recursive(leaves, _extend, max_leaves=10).filter(_finite)
# too_slow as in tests/conftest.py (listing one check replaces the profile's list), plus
# filter_too_much: the grammar's random texts are mostly not valid expressions, by design
FAST = settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@FAST
@given(expressions)
def test_roundtrip_hypothesis(e: sympy.Expr) -> None:
    canonical = exprio._canonical(e)
    if canonical == e:
        roundtrip(e)
    else:  # not stable under re-evaluation: written as itself or as a re-evaluation
        assert from_text(to_text(e)) in _reevaluations(e)
        roundtrip(canonical)


def _reevaluations(e: sympy.Expr) -> list[sympy.Expr]:
    out = [e]
    for _ in range(exprio._REEVALUATIONS):
        out.append(exprio._reevaluate(out[-1]))
    return out


def test_non_canonical_input_is_written_as_its_reevaluation() -> None:
    e = sympy.sqrt(sympy.sqrt(Rational(4, 3)))  # SymPy leaves Mul(1/9, Mul(3, sqrt(2)), ...)
    assert any(isinstance(a, sympy.Mul) for a in e.args)
    back = from_text(to_text(e))
    assert back == exprio._canonical(e) and sympy.simplify(back - e) == 0
    e = sympy.sqrt(sympy.sqrt(sympy.sqrt(-48 * sympy.pi / 5)))  # regroups when rebuilt
    back = from_text(to_text(e))
    assert back == exprio._canonical(e) and sympy.simplify(back - e) == 0
    unevaluated = sympy.Add(w, w, evaluate=False)
    assert from_text(to_text(unevaluated)) == 2 * w


@FAST
@given(expressions)
def test_structural_printer_alone_roundtrips(e: sympy.Expr) -> None:
    e = exprio._canonical(e)
    printer = exprio._Printer(structural=True)
    text = printer.p(e).text
    assert from_text(text) == e, text


@settings(max_examples=100)
@given(st.fractions(max_denominator=10**40))
def test_rational_text_roundtrip(f) -> None:
    q = Rational(f.numerator, f.denominator)
    assert rational_from_text(rational_to_text(q)) == q
    assert from_text(rational_to_text(q)) == q


# --------------------------------------------------------------------------- grammar

@pytest.mark.parametrize("text, value", [
    ("-2**2", -4), ("2**3**2", 512), ("2**-1", S.Half), ("(-2)**2", 4),
    ("-w**2", -(w**2)), ("(-w)**2", w**2), ("2*3/4*5", Rational(15, 2)), ("8/2/2", 2),
    ("1 - 2 - 3", -4), ("+w", w), ("- - w", w), ("w**2**-1", sympy.sqrt(w)),
    ("E**w", sympy.exp(w)), ("sqrt(-1)", sympy.I), (" ( w\t+\n1 ) ", w + 1),
    ("Min(w, s, 1)", sympy.Min(w, s, 1)), ("Max(w)", w), ("x1*x9", DEFAULT_SYMBOLS["x1"] * DEFAULT_SYMBOLS["x9"]),
])
def test_python_precedence(text: str, value) -> None:
    assert from_text(text) == value


def test_decimals_are_exact() -> None:
    assert from_text("0.1") == Rational(1, 10)
    assert isinstance(from_text("0.1"), sympy.Rational)
    assert from_text("0.25*w") == w / 4
    assert from_text(".5") == S.Half and from_text("3.") == 3 and from_text("1.50") == Rational(3, 2)
    assert not from_text("0.1 + 0.2 - 0.3*w").atoms(sympy.Float)


def test_default_symbols_are_real_and_custom_allow_list() -> None:
    assert set(DEFAULT_SYMBOLS) == {"w", "s", "t", "eta", "x", *(f"x{i}" for i in range(1, 10))}
    assert all(v.is_real for v in DEFAULT_SYMBOLS.values())
    assert from_text("w").is_real
    a, b = sympy.symbols("a b", positive=True)
    assert from_text("a*b + 1", {"a": a, "b": b}) == a * b + 1
    with pytest.raises(ExprSyntaxError, match="unknown name 'w' at column 1"):
        from_text("w", {"a": a})
    with pytest.raises(ValueError):
        from_text("pi", {"pi": a})
    with pytest.raises(ValueError):
        from_text("a", {"lambda": a})


def test_unknown_symbol_names_it() -> None:
    with pytest.raises(ExprSyntaxError) as info:
        from_text("w + foo*2")
    msg = str(info.value)
    assert "'foo'" in msg and "column 5" in msg and msg.startswith("expression: ")
    assert "\n" not in msg


MALICIOUS = [
    "__import__('os').system('echo hi')",
    "().__class__",
    "lambda: 1",
    "x.y",
    "a[0]",
    "1; 2",
    "open('f')",
    "w.__class__",
    "'w'",
    "w = 1",
    "w, s",
    "(w, s)",
    "[w]",
    "{w}",
    "w if s else t",
    "not w",
    "import os",
    "exec('1')",
    "eval('1')",
    "sympify('w')",
    "getattr(w, 'x')",
    "S('w')",
    "Symbol('w')",
    "w @ s",
    "w // s",
    "w % s",
    "1e5",
    "0x10",
    "1_000",
    "2w",
    "w s",
    "sqrt",
    "sqrt w",
    "sqrt()",
    "sqrt(w, s)",
    "Min()",
    "exp(w,)",
    "w +",
    "(w",
    "w)",
    "",
    "   ",
    "\u0661",  # Arabic-Indic digit one
    "w\x00",
]


@pytest.mark.parametrize("text", MALICIOUS)
def test_malicious_and_malformed_rejected(text: str, capfd) -> None:
    with pytest.raises(ExprSyntaxError) as info:
        from_text(text)
    msg = str(info.value)
    assert msg.startswith("expression: ") and "\n" not in msg
    out, err = capfd.readouterr()
    assert "hi" not in out


def test_error_message_names_part_and_column() -> None:
    with pytest.raises(ExprSyntaxError, match=r"^expression: unknown name '__import__' at column 1"):
        from_text("__import__('os').system('echo hi')")
    with pytest.raises(ExprSyntaxError, match=r"unexpected '\.' at column 2"):
        from_text("x.y")
    with pytest.raises(ExprSyntaxError, match=r"unexpected '\[' at column 2"):
        from_text("w[0]")
    with pytest.raises(ExprSyntaxError, match=r"unexpected ';' at column 2"):
        from_text("1; 2")
    with pytest.raises(ExprSyntaxError, match=r"unexpected keyword 'lambda' at column 1"):
        from_text("lambda")
    with pytest.raises(ExprSyntaxError, match=r"unexpected ',' at column 2"):
        from_text("w, s")
    with pytest.raises(ExprSyntaxError, match=r"malformed number '1e5' at column 3"):
        from_text("w*1e5")
    with pytest.raises(ExprSyntaxError, match=r"unexpected end of text at column 4"):
        from_text("w +")
    with pytest.raises(ExprSyntaxError, match="empty text"):
        from_text("")


def test_undefined_values_rejected() -> None:
    for text in ("1/0", "log(0)", "0**-1", "w/(w - w)", "gamma(0)"):
        with pytest.raises(ExprSyntaxError, match="undefined value"):
            from_text(text)


# --------------------------------------------------------------------------- no evaluation

def test_reader_never_calls_eval_or_sympify(monkeypatch) -> None:
    def forbidden(*args, **kwargs):
        raise AssertionError("forbidden call")

    sympify_module = sys.modules["sympy.core.sympify"]
    orig = sympify_module.sympify

    def no_strings(a, *args, **kwargs):  # SymPy's own constructors sympify Basic objects
        if isinstance(a, str):
            raise AssertionError("sympify called on a string")
        return orig(a, *args, **kwargs)

    monkeypatch.setattr(sympy, "sympify", forbidden)
    monkeypatch.setattr(sympy, "parse_expr", forbidden)
    monkeypatch.setattr(sympy.parsing.sympy_parser, "parse_expr", forbidden)
    monkeypatch.setattr(sympify_module, "sympify", no_strings)
    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(builtins, "compile", forbidden)
    text = "(1/2 - 3*w/4)**(5/2)*sqrt(2)/15 + pi/(48*w) + Min(w, 0.25) + exp(-s) + 7**-2"
    value = from_text(text)
    expected = ((S.Half - 3 * w / 4) ** Rational(5, 2) * sympy.sqrt(2) / 15 + sympy.pi / (48 * w)
                + sympy.Min(w, Rational(1, 4)) + sympy.exp(-s) + Rational(1, 49))
    monkeypatch.undo()
    assert value == expected


def test_module_source_has_no_eval_paths() -> None:
    tree = ast.parse(inspect.getsource(exprio))
    banned = {"eval", "exec", "compile", "sympify", "parse_expr", "__import__", "import_module",
              "getattr", "lambdify"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            assert node.id not in banned, node.id
        elif isinstance(node, ast.Attribute):
            assert node.attr not in banned - {"compile"}, node.attr  # re.compile is fine
            assert node.attr != "parsing"
        elif isinstance(node, ast.ImportFrom):
            assert node.module is None or "parsing" not in node.module
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id != "S", "S(...) sympifies its argument"


# --------------------------------------------------------------------------- limits

def test_length_limit() -> None:
    ok = "2*w" + " " * (MAX_LENGTH - 3)
    assert len(ok) == MAX_LENGTH and from_text(ok) == 2 * w
    # a text within the length limit can still ask for too many operations (the work limit)
    many = "w" + "+w" * ((MAX_LENGTH - 1) // 2)
    assert len(many) <= MAX_LENGTH
    with pytest.raises(ExprSyntaxError, match="operations"):
        from_text(many)
    assert from_text("w" + "+w" * 900) == 901 * w
    with pytest.raises(ExprSyntaxError, match=f"text has {MAX_LENGTH + 1} characters "
                                              f"\\(limit {MAX_LENGTH}\\)"):
        from_text(" " * (MAX_LENGTH + 1))


def test_depth_limit() -> None:
    assert from_text("(" * MAX_DEPTH + "w" + ")" * MAX_DEPTH) == w
    assert from_text("exp(" * MAX_DEPTH + "w" + ")" * MAX_DEPTH).has(sympy.exp)
    with pytest.raises(ExprSyntaxError, match=f"nesting deeper than {MAX_DEPTH} levels"):
        from_text("(" * (MAX_DEPTH + 1) + "w" + ")" * (MAX_DEPTH + 1))
    with pytest.raises(ExprSyntaxError, match=f"nesting deeper than {MAX_DEPTH} levels"):
        from_text("sqrt(" * (MAX_DEPTH + 1) + "w" + ")" * (MAX_DEPTH + 1))
    with pytest.raises(ExprSyntaxError, match=f"nesting deeper than {MAX_DEPTH} levels"):
        from_text("w" + "**w" * (MAX_DEPTH + 1))
    # a deep tower prints without parentheses, so it reads back within the limit
    tower = from_text("w" + "**w" * (MAX_DEPTH - 1))
    assert from_text(to_text(tower)) == tower
    # many unary minus signs are not nesting
    assert from_text("-" * 10_001 + "w") == -w


def test_digit_limit() -> None:
    assert from_text("9" * MAX_DIGITS) == 10**MAX_DIGITS - 1
    with pytest.raises(ExprSyntaxError, match=f"{MAX_DIGITS + 1} digits at column 3 "
                                              f"\\(limit {MAX_DIGITS}\\)"):
        from_text("w*" + "9" * (MAX_DIGITS + 1))
    with pytest.raises(ExprSyntaxError, match="digits"):
        from_text("0." + "1" * MAX_DIGITS)
    with pytest.raises(ExprSyntaxError, match="digits"):
        rational_from_text("1/" + "3" * (MAX_DIGITS + 1))


@pytest.mark.parametrize("text", [
    "10**10**10", "2**(10**9/3)", "(2*w)**(10**9)", "sqrt(2)**(10**9)", "exp(10**9*log(2))",
    "floor(exp(10**9))", "ceiling(-E**(10**9))", "gamma(10**6)",
    "sqrt(" + "7" * 400 + ")", "(" + "9" * 5000 + ")**3",
])
def test_expensive_numbers_refused_quickly(text: str) -> None:
    with pytest.raises(ExprSyntaxError, match="too large|larger than"):
        from_text(text)


def test_min_max_argument_limit() -> None:
    many = ", ".join(f"{k}*w" for k in range(1, exprio.MAX_MINMAX_ARGS + 1))
    assert len(from_text(f"Max({many})").args) == exprio.MAX_MINMAX_ARGS
    with pytest.raises(ExprSyntaxError, match=f"Max at column 1 would have "
                                              f"{exprio.MAX_MINMAX_ARGS + 1} arguments"):
        from_text(f"Max({many}, 100*w)")
    with pytest.raises(ExprSyntaxError, match="arguments"):  # nested ones flatten
        from_text(f"Min(Min({many}), 100*w)")


def test_printer_refuses_what_it_cannot_write() -> None:
    with pytest.raises(ValueError, match="float"):
        to_text(sympy.Float("0.5") * w)
    for e in (sympy.oo, sympy.zoo, sympy.sin(w), sympy.Symbol("a b"), sympy.Symbol("pi"),
              sympy.Integer(10) ** 10_001):
        with pytest.raises(ValueError):
            to_text(e)
    with pytest.raises(ValueError, match="two different symbols"):
        to_text(sympy.Symbol("w") + w)
    with pytest.raises(TypeError):
        to_text("w")  # type: ignore[arg-type]
    assert to_text(5) == "5"


# --------------------------------------------------------------------------- plain rationals

def test_rational_helpers() -> None:
    assert rational_from_text("-3") == -3
    assert rational_from_text("1/2") == S.Half
    assert rational_from_text(" 0.25 ") == Rational(1, 4)
    assert rational_from_text("-7/3") == Rational(-7, 3)
    assert rational_from_text("+.5") == S.Half
    assert rational_to_text(S.Half) == "1/2"
    assert rational_to_text(sympy.Integer(-3)) == "-3"
    assert rational_to_text(Rational(-7, 3)) == "-7/3"
    assert rational_to_text(4) == "4"
    for bad in ("", "w", "1/0", "1/-2", "1 / 2", "2**3", "1e3", "0x1", "--1", "1/2/3", "(1)",
                "sqrt(2)", "\u0661"):
        with pytest.raises(ExprSyntaxError, match="^rational: "):
            rational_from_text(bad)
    with pytest.raises(TypeError):
        rational_to_text(sympy.Float(0.5))  # type: ignore[arg-type]
