"""`pointwise derive`, the JSON/LaTeX exports, and the 1-D full-network regions.

Reference values are derived by hand in the docstrings; the property tests compare
the symbolic derivation with an independent mpmath quadrature of the network's
actual output, whose breakpoints are found from exact forward evaluations of the
network (never from the derivation's regions or density).
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from functools import lru_cache

import mpmath
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from relu_pointwise.cli import main
from relu_pointwise.symbolic.errors import InputError
from relu_pointwise.symbolic.export_json import SCHEMA, derivation_to_json, dumps, read_derivation_json
from relu_pointwise.symbolic.export_latex import derivation_to_latex
from relu_pointwise.symbolic.loss import derive, eta, w
from relu_pointwise.symbolic.spec import make_spec
from relu_pointwise.symbolic.wregions import regions_at, w_regions, x

Q = sympy.Rational
HSET = settings(max_examples=40)
R_VALUES = ("1", "3/2", "2", "3")


def run(argv, capsys):
    """(exit code, stdout, stderr) of the CLI; argparse errors arrive as SystemExit."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


# ----------------------------------------------------------------- strategies

@st.composite
def targets_1d(draw):
    """(target text, pieces) with 1..3 disjoint, non-touching pieces, ends n/q in [-1, 1]."""
    q = draw(st.sampled_from([1, 2, 3, 4, 5, 6, 8]))
    k = draw(st.integers(1, min(3, q)))
    ends = draw(st.lists(st.integers(-q, q), min_size=2 * k, max_size=2 * k, unique=True))
    ends = sorted(Q(n, q) for n in ends)
    pieces = [(ends[2 * i], ends[2 * i + 1]) for i in range(k)]
    body = ";".join(f"{a},{b}" for a, b in pieces)
    kind = "interval" if k == 1 and draw(st.booleans()) else "union"
    return f"{kind}:{body}", pieces


domains = st.sampled_from([None, "-1,1", "-1,3/2", "-3/2,1"])
measures = st.sampled_from(["probability", "lebesgue"])
w_values = st.integers(1, 10).flatmap(lambda q: st.builds(lambda p: Q(p, q), st.integers(1, 20 * q)))


def f_circ(pieces, xv):
    """The normalized indicator, straight from the drawn pieces."""
    for a, b in pieces:
        if a < xv < b:
            return Q(1)
        if xv in (a, b):
            return Q(1, 2)
    return Q(0)


# ----------------------------------------------------------------- pins

def test_interval_w3_prints_one_36(capsys):
    """interval (-1/2, 1/2) on [-1, 1], r = 2, w = 3 >= 1: every x with |g(x)| >= 1/6 has error 0;
    the error band is |g| < 1/(2w) = 1/6 around x = -1/2 and x = 1/2.  Near x = 1/2,
    g = 1/2 - x, error 1/2 - 3|u| (u = x - 1/2), so one band contributes
    (1/2) * 2 * int_0^{1/6} (1/2 - 3u)^2 du = int_0^{1/6} (1/2 - 3u)^2 du = (1/3)(1/2)^3 / 3 = 1/72;
    two bands: 1/36."""
    code, out, err = run(["derive", "--target", "interval:-1/2,1/2", "--w", "3"], capsys)
    assert (code, out, err) == (0, "1/36\n", "")


def test_irrational_value_r_3_2(capsys):
    """r = 3/2, w = 3: each band gives int_0^{1/6} (1/2 - 3u)^{3/2} du = (1/3)(2/5)(1/2)^{5/2}
    = sqrt(2)/60 (the factor 2 of the two sides of a boundary point cancels the
    probability density 1/2); two boundary points: sqrt(2)/30."""
    code, out, err = run(["derive", "--target", "interval:-1/2,1/2", "--r", "3/2", "--w", "3"], capsys)
    assert (code, out.strip(), err) == (0, "sqrt(2)/30", "")


def test_json_asymptotic_and_first_piece(capsys, tmp_path):
    """interval (-1/2, 1/2) on [-1, 1], r = 2, mu = dx/2; g = min(x + 1/2, 1/2 - x).

    Error (docs/mathematics.md, section 3): e(x) = (1/2 - w|g(x)|)_+.  For 0 < w <= 1, |g| <= 1/2 on [-1, 1]
    so w|g| <= 1/2 and e = 1/2 - w|g| everywhere.  g is even, so
        L(w) = 2 * (1/2) int_0^1 (1/2 - w|1/2 - x|)^2 dx      (u = x - 1/2)
             = 2 int_0^{1/2} (1/2 - w u)^2 du
             = 2 [u/4 - w u^2/2 + w^2 u^3/3]_0^{1/2}
             = 2 (1/8 - w/8 + w^2/24) = 1/4 - w/4 + w^2/12,
    L'(w) = -1/4 + w/6, Phi(w) = w - eta (w/6 - 1/4).
    For w >= 1 each of the two boundary points x = +-1/2 has a full band
    |u| < 1/(2w): L = 2 * (1/2) * 2 int_0^{1/(2w)} (1/2 - w u)^2 du = 2 (1/2)^3/(3w) = 1/(12 w);
    so the asymptotic form is 1/(12 w) from the threshold w* = 1.
    """
    out = tmp_path / "d.json"
    code, stdout, err = run(["derive", "--target", "interval:-1/2,1/2", "--format", "json", "-o", str(out)], capsys)
    assert code == 0 and err == ""
    doc = read_derivation_json(out)
    raw = json.loads(out.read_text())
    assert raw["schema"] == SCHEMA and raw["version"] == 1
    assert doc["asymptotic"]["form"] == 1 / (12 * w)
    assert doc["asymptotic"]["threshold"] == 1 and doc["w_star"] == 1
    assert doc["asymptotic"]["leading_constant"] == Q(1, 12)
    first = doc["pieces"][0]
    assert (first["w_lo"], first["w_hi"]) == (0, 1)
    assert sympy.expand(first["L"] - (Q(1, 4) - w / 4 + w**2 / 12)) == 0
    assert sympy.expand(first["dL"] - (-Q(1, 4) + w / 6)) == 0
    assert sympy.expand(first["Phi"] - (w - eta * (w / 6 - Q(1, 4)))) == 0
    last = doc["pieces"][-1]
    assert (last["w_lo"], last["w_hi"], last["L"]) == (1, sympy.oo, 1 / (12 * w))


def test_summary(capsys):
    code, out, err = run(["derive", "--target", "interval:-1/2,1/2"], capsys)
    assert code == 0 and err == ""
    assert "w**2/12 - w/4 + 1/4" in out and "L = 1/(12*w)" in out
    assert "w* = 1" in out and "C = lim w L(w) = 1/12" in out
    # Phi = w - L'(w) with eta = 1: on w >= 1, w + 1/(12 w^2) = (12 w^3 + 1)/(12 w^2)
    assert "Phi = (12*w**3 + 1)/(12*w**2)" in out


def test_stdout_json_and_output_errors(capsys, tmp_path):
    code, out, _ = run(["derive", "--target", "union:-3/4,-1/4;0,1/2", "--format", "json"], capsys)
    assert code == 0 and json.loads(out)["spec"]["target"] == "union:-3/4,-1/4;0,1/2"
    code, _, err = run(["derive", "--format", "json", "-o", str(tmp_path / "no" / "x.json")], capsys)
    assert code == 2 and err.startswith("pointwise: error: -o:") and err.count("\n") == 1
    code, _, err = run(["derive", "--format", "json", "--w", "2"], capsys)
    assert code == 2 and "--w" in err


# ----------------------------------------------------------------- independent quadrature

def _collinear(F, a, b, pts) -> bool:
    fa, fb = F(a), F(b)
    return all(F(p) == fa + (fb - fa) * (p - a) / (b - a) for p in pts)


def _linear_on(F, a, b) -> bool:
    """F agrees with its chord at n interior points at most 1/24 apart (odd offsets, so
    a kink never sits on a sample by accident).  A nonlinear F that matches its chord
    at all of them needs a whole bump between two samples; the network's output has
    no feature narrower than the drawn targets' pieces and gaps (>= 1/8)."""
    n = max(2, int((b - a) * 24) + 1)
    return _collinear(F, a, b, [a + (b - a) * Q(1000 * j + 371, 1000 * n + 743) for j in range(n)])


def _splits(F, a, b, depth=0) -> list:
    """Points of (a, b) between which F (piecewise linear, exact) is linear: a kink is
    located as the meeting point of the end lines and verified; otherwise bisect."""
    if _linear_on(F, a, b):
        return []
    assert depth < 80, "kink search did not converge"
    h = (b - a) / 1024
    sl, sr = (F(a + h) - F(a)) / h, (F(b) - F(b - h)) / h
    if sl != sr:
        xk = (F(b) - F(a) + sl * a - sr * b) / (sl - sr)
        if a < xk < b and _linear_on(F, a, xk) and _linear_on(F, xk, b):
            return [xk]
    m = (a + b) / 2
    return _splits(F, a, m, depth + 1) + [m] + _splits(F, m, b, depth + 1)


def quadrature_loss(spec, pieces, wv) -> mpmath.mpf:
    """int |Network.output(w, x) - f°(x)|^r dmu by tanh-sinh (mp.dps = 40), split at the
    kinks of x -> output (found from exact forward passes) and at the target's ends.
    Between split points the output is affine (verified at two interior points), so
    the integrand is |affine|^r, smooth inside each piece."""
    net = spec.network
    F = lru_cache(maxsize=None)(lambda xv: net.output(wv, (xv,)))
    lo, hi = spec.domain.lo[0], spec.domain.hi[0]
    pts = {lo, hi} | set(_splits(F, lo, hi)) | {e for ab in pieces for e in ab if lo < e < hi}
    pts = sorted(pts)
    r = spec.r
    with mpmath.workdps(40):
        rm = mpmath.mpf(r.p) / r.q
        total = mpmath.mpf(0)
        for p, q in zip(pts, pts[1:]):
            assert _linear_on(F, p, q)
            t = f_circ(pieces, (p + q) / 2)
            e0, e1 = F(p) - t, F(q) - t
            a0, slope = mpmath.mpf(e0.p) / e0.q, (mpmath.mpf(e1.p) / e1.q - mpmath.mpf(e0.p) / e0.q)
            pm, qm = mpmath.mpf(p.p) / p.q, mpmath.mpf(q.p) / q.q
            def err(s, a0=a0, slope=slope, pm=pm, qm=qm):
                return abs(a0 + slope * (s - pm) / (qm - pm)) ** rm

            total += mpmath.quad(err, [pm, qm])
        dens = spec.density
        return total * dens.p / dens.q


@HSET
@given(targets_1d(), st.sampled_from(R_VALUES), w_values, domains, measures)
def test_loss_matches_independent_quadrature(target, r, wv, domain, measure):
    text, pieces = target
    spec = make_spec(text, domain, r, measure)
    exact = derive(spec).loss(wv)
    quad = quadrature_loss(spec, pieces, wv)
    with mpmath.workdps(50):
        value = mpmath.mpf(str(sympy.N(exact, 50)))
        assert value > 0
        assert abs(value - quad) <= mpmath.mpf(10) ** -30 * value, (text, r, wv, exact, quad)


# ----------------------------------------------------------------- w-regions

@HSET
@given(targets_1d(), w_values, domains)
def test_w_regions_partition_and_output(target, wv, domain):
    text, pieces = target
    spec = make_spec(text, domain)
    net = spec.network
    d = derive(spec)
    structures = w_regions(d)
    # the structures tile [0, oo) in w and refine the derivation's pieces
    assert structures[0].w_lo == 0 and structures[-1].w_hi == sympy.oo
    for s0, s1 in zip(structures, structures[1:]):
        assert s0.w_hi == s1.w_lo
    for s in structures:
        p = d.pieces[s.piece]
        assert p.w_lo <= s.w_lo and (p.w_hi == sympy.oo or (s.w_hi != sympy.oo and s.w_hi <= p.w_hi))
    regs = regions_at(structures, wv)
    assert regs[0][0] == spec.domain.lo[0] and regs[-1][1] == spec.domain.hi[0]
    for (_, hi0, _), (lo1, _, _) in zip(regs, regs[1:]):
        assert hi0 == lo1                       # no gap, no overlap
    for lo, hi, reg in regs:
        assert hi > lo
        for t in (Q(1, 3), Q(1, 2), Q(2, 3)):
            xv = lo + (hi - lo) * t
            out = net.output(wv, (xv,))
            assert reg.output.subs({w: wv, x: xv}) == out
            err = abs(out - f_circ(pieces, xv))
            if net.level((xv,)) != 0:           # on g = 0 the network gives 1/2 = f°
                assert reg.error.subs({w: wv, x: xv}) == err
            assert reg.saturated == (err == 0 and net.level((xv,)) != 0)


# ----------------------------------------------------------------- JSON round trip

@settings(max_examples=12)
@given(targets_1d(), st.sampled_from(R_VALUES))
def test_json_reads_back_to_same_expressions(target, r):
    text, _ = target
    d = derive(make_spec(text, None, r))
    back = read_derivation_json(json.loads(dumps(d)))
    assert back["spec"]["r"] == Q(r) and back["spec"]["target"] == d.spec.target.text
    assert len(back["pieces"]) == len(d.pieces)
    for got, p, (_, _, phi) in zip(back["pieces"], d.pieces, d.gd_map(eta)):
        assert (got["w_lo"], got["w_hi"]) == (p.w_lo, p.w_hi)
        assert got["L"] == p.expr and got["dL"] == p.derivative and got["Phi"] == phi
    assert back["w_star"] == d.w_star and back["exact_from"] == d.exact_from
    assert back["asymptotic"]["form"] == d.asymptotic
    assert back["asymptotic"]["coefficients"] == [sympy.sympify(c) for c in d.asymptotic_coeffs]
    assert back["asymptotic"]["leading_constant"] == d.leading_constant
    assert back["densities"]["abs"]["breaks"] == list(d.abs_density.breaks)
    assert back["densities"]["signed"]["coeffs"] == [list(c) for c in d.density.coeffs]
    structures = w_regions(d)
    assert len(back["w_regions"]) == len(structures)
    for got, s in zip(back["w_regions"], structures):
        assert (got["w_lo"], got["w_hi"], got["piece"]) == (s.w_lo, s.w_hi, s.piece)
        for gr, r_ in zip(got["regions"], s.regions):
            assert (gr["lo"], gr["hi"], gr["output"], gr["g"]) == (r_.lo, r_.hi, r_.output, r_.g)
            assert tuple(gr["head_pattern"]) == r_.head_pattern
    cells = back["regions"]
    assert [c["interval"][0] for c in cells] == sorted(c["interval"][0] for c in cells)
    assert cells[0]["interval"][0] == -1 and cells[-1]["interval"][1] == 1


def test_json_2d_regions_roundtrip():
    d = derive(make_spec("box:-1/2,1/2;-1/2,1/2"))
    back = read_derivation_json(json.loads(dumps(d)))
    assert back["w_regions"] is None and len(back["regions"]) == len(d.cells)
    assert back["asymptotic"]["form"] == 1 / (12 * w) and back["w_star"] == 1
    for c, _cell in zip(back["regions"], d.cells):
        # g on the cell, evaluated at each listed vertex, equals the network's level there
        for v in c["vertices"]:
            g = sum((a * xi for a, xi in zip(c["g"]["coeffs"], v)), c["g"]["const"])
            assert g == d.spec.network.level(v)


@pytest.mark.parametrize("mutate, part", [
    (lambda doc: doc.update(schema="other"), "schema"),
    (lambda doc: doc.update(version=2), "version"),
    (lambda doc: doc.update(extra=1), "unknown key 'extra'"),
    (lambda doc: doc["pieces"][0].update(L="__import__('os').system('true')"), "pieces[0].L"),
    (lambda doc: doc["pieces"][0].update(L="x + 1"), "pieces[0].L"),       # x not allowed in L
    (lambda doc: doc["asymptotic"].update(form=12), "asymptotic.form"),
    (lambda doc: doc.pop("notes"), "missing key 'notes'"),
])
def test_reader_rejects_bad_documents(mutate, part):
    doc = derivation_to_json(derive(make_spec("interval:-1/2,1/2")))
    mutate(doc)
    with pytest.raises(InputError) as info:
        read_derivation_json(doc)
    msg = str(info.value)
    assert part in msg and "\n" not in msg


# ----------------------------------------------------------------- LaTeX

LATEX_CASES = [("interval:-1/2,1/2", "2"), ("union:-3/4,-1/4;0,1/2", "3/2"),
               ("box:-1/2,1/2;-1/2,1/2 | box:0,3/4;0,3/4", "3")]


def _check_document(text: str) -> None:
    assert text.startswith("\\documentclass{article}\n")
    assert re.findall(r"\\usepackage(?:\[[^]]*\])?\{([^}]*)\}", text) == ["amsmath", "geometry"]
    assert text.count("\\begin{document}") == 1 and text.rstrip().endswith("\\end{document}")
    stack = []
    for kind, name in re.findall(r"\\(begin|end)\{([^}]*)\}", text):
        if kind == "begin":
            stack.append(name)
        else:
            assert stack and stack.pop() == name, name
    assert stack == []
    depth = 0
    for i, ch in enumerate(text):
        if ch in "{}" and (i == 0 or text[i - 1] != "\\"):
            depth += 1 if ch == "{" else -1
            assert depth >= 0
    assert depth == 0
    assert text.count("\\[") == text.count("\\]")


@pytest.mark.parametrize("target, r", LATEX_CASES)
def test_latex_is_complete_document(target, r, capsys):
    code, out, err = run(["derive", "--target", target, "--r", r, "--format", "latex"], capsys)
    assert code == 0 and err == ""
    _check_document(out)
    assert "\\begin{align*}" in out and "\\allowdisplaybreaks" in out
    assert "L(w) =" in out and "\\Phi(w) =" in out and "w^* =" in out


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed (no TeX installation)")
@pytest.mark.parametrize("target, r", LATEX_CASES[1:])
def test_latex_compiles(target, r, tmp_path):
    (tmp_path / "d.tex").write_text(derivation_to_latex(derive(make_spec(target, None, r))))
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "d.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert (tmp_path / "d.pdf").stat().st_size > 1000
