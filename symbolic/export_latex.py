"""A standalone LaTeX document for a derivation (``article`` class, ``amsmath`` only).

Sections: the problem (target, domain, r, measure); the network (a layer table and
its exact weights when small); the hidden layers' linear regions (intervals in 1-D,
vertex lists in d-D) and, in 1-D, the full network's regions as functions of w;
the exact L(w) piecewise, L'(w), the gradient-descent map Phi(w) = w - eta L'(w) with
eta a symbol, and the asymptotic form with its threshold w*.  Every expression is
typeset by ``sympy.latex``; user text (the target) is escaped.  The result compiles
with plain ``pdflatex`` (packages amsmath and geometry, both in Debian's
texlive-latex-base; tests/test_latex_compiles.py compiles it).

Long piecewise definitions break across lines and pages: each piece is its own row of
an ``align*`` under ``\allowdisplaybreaks`` (a ``cases`` block is one unbreakable box,
which for the deep ball's dozens of pieces ran off the page), and a long sum is broken
after every few top-level terms (:func:`_broken`).
"""
from __future__ import annotations

import sympy

from .derivation import LossPiece, gd_piece
from .exprio import as_basic
from .loss import Derivation, eta
from .numbers import as_rational
from .parallel import pmap
from .wregions import sorted_cells, w_regions

Q = sympy.Rational
MAX_MATRIX = 10        # print a layer's weight matrix when both sizes are at most this (amsmath MaxMatrixCols)
MAX_CELLS = 120        # list at most this many cells in d-D
LINE_CHARS = 90        # break a sum whose LaTeX source is longer than this into lines of at most this

_ESCAPES = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
            "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
            "^": r"\textasciicircum{}", "|": r"$|$", "<": r"$<$", ">": r"$>$"}


def escape(text: str) -> str:
    """Text for LaTeX's text mode: special characters escaped."""
    return "".join(_ESCAPES.get(c, c) for c in str(text))


def _l(e) -> str:
    return sympy.latex(as_basic(e))


_q = as_rational


def _range(lo, hi, closed: bool = False) -> str:
    if hi == sympy.oo:
        return rf"w \ge {_l(lo)}"
    rel = r"\le" if closed else "<"
    return rf"{_l(lo)} \le w {rel} {_l(hi)}"


def _broken(e) -> list[str]:
    """``e`` typeset as one or more lines: a sum longer than LINE_CHARS is cut between its
    top-level terms (each later line starts with the term's sign)."""
    expr = as_basic(e)
    whole = sympy.latex(expr)
    if len(whole) <= LINE_CHARS or not isinstance(expr, sympy.Add):
        return [whole]
    lines: list[str] = []
    cur = ""
    for k, term in enumerate(expr.as_ordered_terms()):
        if k == 0:
            piece = sympy.latex(term)
        elif term.could_extract_minus_sign():
            piece = " - " + sympy.latex(-term)
        else:
            piece = " + " + sympy.latex(term)
        if cur and len(cur) + len(piece) > LINE_CHARS:
            lines.append(cur)
            cur = piece.lstrip()
        else:
            cur += piece
    lines.append(cur)
    return lines


def _cases(name: str, rows: list[tuple[sympy.Expr, sympy.Expr, sympy.Expr]]) -> str:
    """A piecewise definition as an ``align*``: per piece a row with its range of w, then the
    expression, broken into lines when long (rows may break across pages)."""
    return _cases_typeset(name, [(lo, hi, _broken(e)) for lo, hi, e in rows])


def _cases_typeset(name: str, rows: list[tuple[sympy.Expr, sympy.Expr, list[str]]]) -> str:
    """:func:`_cases` with every expression already typeset by :func:`_broken`."""
    out = ["\\begin{align*}"]
    for i, (lo, hi, parts) in enumerate(rows):
        end = "," if i < len(rows) - 1 else "."
        out.append(rf"  &\text{{for }} {_range(lo, hi)}\colon \\")
        lead = rf"  &\quad {name} = "
        for j, part in enumerate(parts):
            last = j == len(parts) - 1
            prefix = lead if j == 0 else r"  &\qquad "   # later parts start with their sign
            out.append(prefix + part + (end if last else "") + ("" if (last and i == len(rows) - 1) else r" \\"))
    out.append("\\end{align*}")
    return "\n".join(out) + "\n"


def _matrix(rows) -> str:
    return "\\begin{pmatrix}" + " \\\\ ".join(" & ".join(_l(v) for v in row) for row in rows) + "\\end{pmatrix}"


def _feature(name: str) -> str:
    if name == "sqnorm":
        return r"$|x|^2$ (the fixed variable transformation)"
    if name[:1] == "x" and name[1:].isdigit():
        return f"$x_{{{name[1:]}}}$"
    return f"\\texttt{{{escape(name)}}}"


def _network(derivation: Derivation) -> list[str]:
    net = derivation.spec.network
    out = ["\\section*{The network}",
           "Input features: " + ", ".join(_feature(f) for f in net.features)
           + ". All fixed weights are exact rationals; only the slope $w$ is trained.",
           "", "\\begin{center}", "\\begin{tabular}{lrrr}",
           r"layer & width & nonzero weights & nonzero biases \\", "\\hline"]
    prev = len(net.features)
    for k, layer in enumerate(net.hidden, start=1):
        nzb = sum(1 for b in layer.bias if b != 0)
        out.append(rf"{k} (ReLU) & {layer.width} & {layer.nonzero_weights()} of {layer.width * prev} & {nzb} \\")
        prev = layer.width
    nzr = sum(1 for v in net.readout if v != 0)
    out.append(rf"readout $g$ & 1 & {nzr} of {prev} & {int(net.readout_bias != 0)} \\")
    out.append(r"head (ReLU) & 2 & 2 (both $= w$) & 2 \\")
    out += ["\\end{tabular}", "\\end{center}", ""]
    for k, layer in enumerate(net.hidden, start=1):
        if layer.width <= MAX_MATRIX and len(layer.weight[0]) <= MAX_MATRIX:
            out.append(f"\\[ W_{{{k}}} = {_matrix(layer.weight)}, \\quad "
                       f"b_{{{k}}} = {_matrix([[b] for b in layer.bias])} \\]")
    L = len(net.hidden)
    g = sum((v * sympy.Symbol(f"h_{{{L},{i + 1}}}") for i, v in enumerate(net.readout) if v != 0),
            as_basic(net.readout_bias))
    what = f"the outputs of layer {L}" if L else "the input features"
    out.append(rf"Level readout ($h_{{{L},i}}$ {what}): \[ g = {_l(g)}. \]")
    out.append(r"Head (the trainable slope $w$ enters both head neurons):"
               r" \[ f(w,x) = \sigma\bigl(w\,g(x) + \tfrac12\bigr) - \sigma\bigl(w\,g(x) - \tfrac12\bigr)"
               r" = \min\bigl(1, \max(0, w\,g(x) + \tfrac12)\bigr). \]")
    return out


def _regions(derivation: Derivation) -> list[str]:
    spec = derivation.spec
    out = ["\\section*{Linear regions}"]
    if not derivation.cells:
        return out + ["The level function is not piecewise linear; no polytope cells."]
    if spec.dim == 1:
        out.append("Cells of the hidden layers (activation pattern per layer; $g$ affine on each):")
        out.append("\\begin{itemize}")
        for i, c in enumerate(sorted_cells(derivation.cells)):
            lo, hi = c.interval()
            pat = "/".join("".join(str(b) for b in layer) for layer in c.pattern)
            g = c.g_coeffs[0] * sympy.Symbol("x") + c.g_const
            out.append(rf"\item cell {i}: $[{_l(lo)}, {_l(hi)}]$, pattern \texttt{{{pat}}}, $g(x) = {_l(g)}$")
        out.append("\\end{itemize}")
        out.append("Regions of the full network (the head adds the kinks $w\\,g(x) = \\pm\\tfrac12$); "
                   "head \\emph{on}: $f = 1$, \\emph{linear}: $f = w g + \\tfrac12$, error $\\tfrac12 - w|g|$, "
                   "\\emph{off}: $f = 0$; saturated regions have error $0$.")
        for s in w_regions(derivation):
            out.append(f"\\paragraph{{For ${_range(s.w_lo, s.w_hi, closed=True)}$:}}")
            out.append("\\begin{itemize}")
            for r in s.regions:
                out.append(rf"\item $[{_l(r.lo)}, {_l(r.hi)}]$ (cell {r.cell}, {r.head}): $f = {_l(r.output)}$")
            out.append("\\end{itemize}")
        return out
    cells = derivation.cells
    out.append(f"{len(cells)} cells of the hidden layers (vertices; $g$ affine on each):")
    out.append("\\begin{itemize}")
    xs = sympy.symbols(f"x1:{spec.dim + 1}")
    for i, c in enumerate(cells[:MAX_CELLS]):
        verts = c.poly.ordered_vertices_2d() if spec.dim == 2 else sorted(c.poly.vertices)
        vt = ", ".join("(" + ", ".join(_l(_q(v)) for v in vert) + ")" for vert in verts)
        g = sum((a * xi for a, xi in zip(c.g_coeffs, xs)), c.g_const)
        out.append(rf"\item cell {i}: vertices ${vt}$; $g = {_l(g)}$")
    out.append("\\end{itemize}")
    if len(cells) > MAX_CELLS:
        out.append(f"({len(cells) - MAX_CELLS} further cells omitted; see the JSON export.)")
    return out


def power_sum(coeffs) -> str:
    """``sum_k c_k w^-(k+1)`` typeset with each sign once (``a\\, w^{-1} - b\\, w^{-2}``, never ``+ -``);
    zero coefficients are left out (``0`` if all are zero)."""
    out = ""
    for i, c in enumerate(coeffs):
        if c == 0:
            continue
        neg = bool(c.could_extract_minus_sign()) if isinstance(c, sympy.Basic) else c < 0
        term = rf"{_l(-c if neg else c)}\, w^{{-{i + 1}}}"
        out += (("- " if neg else "") + term) if not out else ((" - " if neg else " + ") + term)
    return out or "0"


#: typeset the pieces in a process pool from this many pieces on (symbolic.parallel)
PARALLEL_PIECES = 48


def _piece_lines(item: tuple[LossPiece, sympy.Rational]) -> tuple[list[str], list[str], list[str]]:
    """One piece's L(w), L'(w) and Phi(w) = w - eta L'(w) typeset (:func:`_broken`); Phi is
    :meth:`Derivation.gd_map`'s expression for this piece."""
    p, r = item
    return _broken(p.expr), _broken(p.derivative), _broken(gd_piece(p, eta, r))


def derivation_to_latex(derivation: Derivation) -> str:
    """The complete LaTeX document (text) for ``derivation``."""
    spec = derivation.spec
    pieces = derivation.pieces
    lines = [
        "\\documentclass{article}",
        "\\usepackage{amsmath}",
        "\\usepackage[margin=2cm]{geometry}",
        "\\allowdisplaybreaks   % long piecewise definitions may break across pages",
        "\\begin{document}",
        "\\section*{Exact derivation for a pointwise-convergence network}",
        f"Target \\texttt{{{escape(spec.target.text)}}} on the domain "
        + "$" + r" \times ".join(f"[{_l(a)}, {_l(b)}]" for a, b in zip(spec.domain.lo, spec.domain.hi))
        + f"$; loss exponent $r = {_l(spec.r)}$; measure: {escape(spec.measure)}.",
        "",
        r"Loss: $L(w) = \int_\Omega |f(w,x) - f^\circ(x)|^r \, d\mu(x)$, with $f^\circ = 1$ on $g > 0$,"
        r" $0$ on $g < 0$, $\tfrac12$ on $g = 0$.",
        "",
    ]
    lines += _network(derivation)
    lines += [""] + _regions(derivation)
    lines += ["", "\\section*{The loss, its derivative and the gradient-descent map}"]
    if derivation.exact_from != 0:
        lines.append(f"The exact loss is derived for $w \\ge {_l(derivation.exact_from)}$.")
    # per piece L, L', Phi typeset: independent SymPy work (diff, cancel, latex), over the cores
    typeset = pmap(_piece_lines, [(p, derivation.spec.r) for p in pieces], min_items=PARALLEL_PIECES)
    lines.append(_cases_typeset("L(w)", [(p.w_lo, p.w_hi, t[0]) for p, t in zip(pieces, typeset)]))
    lines.append(_cases_typeset("L'(w)", [(p.w_lo, p.w_hi, t[1]) for p, t in zip(pieces, typeset)]))
    lines.append(r"With step size $\eta$, $\Phi(w) = w - \eta L'(w)$:")
    lines.append(_cases_typeset(r"\Phi(w)", [(p.w_lo, p.w_hi, t[2]) for p, t in zip(pieces, typeset)]))
    lines += ["\\section*{Asymptotic regime}",
              f"For $w \\ge w^* = {_l(derivation.w_star)}$:",
              f"\\[ L(w) = {_l(derivation.asymptotic)}, \\qquad "
              f"C = \\lim_{{w\\to\\infty}} w L(w) = {_l(derivation.leading_constant)}. \\]"]
    if derivation.asymptotic_coeffs:
        lines.append(f"As a power sum: \\[ L(w) = {power_sum(derivation.asymptotic_coeffs)}. \\]")
    if derivation.notes:
        lines += ["\\section*{Notes}", "\\begin{itemize}"]
        lines += [f"\\item {escape(n)}" for n in derivation.notes]
        lines.append("\\end{itemize}")
    lines.append("\\end{document}")
    return "\n".join(lines) + "\n"
