"""The result types of a derivation: the pieces of L(w) and the :class:`Derivation`.

``w`` and ``eta`` are the positive SymPy symbols every derived expression is written in.
Phi(w) = w - eta L'(w) is the gradient-descent map (``Derivation.gd_map``).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol

import sympy
from flint import fmpq_poly

from .errors import InputError, NotExactError
from .qfield import derivative_qw, integer_pair, rational_function, to_sympy
from .regions import Cell
from .spec import Spec

Q = sympy.Rational
w = sympy.Symbol("w", positive=True)
eta = sympy.Symbol("eta", positive=True)
HALF = Q(1, 2)



def _tidy(expr: sympy.Expr, r: sympy.Rational) -> sympy.Expr:
    """Canonical form: one fraction for rational functions of w, else expanded, unless the
    expansion is more than twice as long (closed forms with atan and square roots, the exact
    ball below w*): then the compact form as given."""
    e = sympy.expand(expr)
    if r.is_integer and e.is_rational_function(w):
        return sympy.cancel(e)
    return expr if sympy.count_ops(e) > 2 * sympy.count_ops(expr) else e


def _w_arg(value: Any) -> sympy.Expr:
    """The API's w: one rule for numbers (numbers.api_number), w >= 0."""
    from .numbers import api_number

    wv = api_number(value, "w")
    if wv.is_negative:
        raise InputError(f"w: must be >= 0, got {wv}", field="w")
    return wv


_W_PLAIN = sympy.Symbol("w")     # w without assumptions (see LossPiece.derivative)


def _integer_powers(expr: sympy.Expr) -> bool:
    return all(a.exp.is_Integer for a in expr.atoms(sympy.Pow)) and not expr.atoms(sympy.Function)


def _phi(piece: LossPiece, eta_value, r: sympy.Rational) -> sympy.Expr:
    """w - eta L'(w) in canonical form.  For a rational piece and a rational eta, computed in
    Q(w) by flint and put in SymPy's cancel form: the same expression as
    cancel(expand(w - eta L')) (:func:`_tidy`), without expanding in SymPy."""
    if r.is_integer and isinstance(eta_value, sympy.Symbol) and piece.rational is not None:
        return _phi_symbolic_eta(piece.rational, eta_value)
    lq = piece.rational if r.is_integer and isinstance(eta_value, sympy.Rational) else None
    if lq is None:
        return _tidy(w - eta_value * piece.derivative, r)
    n, d = derivative_qw(lq)
    e = rational_function(eta_value, w)
    if e is None:
        return _tidy(w - eta_value * piece.derivative, r)
    x = fmpq_poly([0, 1])
    return to_sympy((x * d * e[1] - e[0] * n, d * e[1]), w)


def _phi_symbolic_eta(lq: Any, eta_symbol: sympy.Symbol) -> sympy.Expr:
    """cancel(expand(w - eta L'(w))) for L' = P/Q in lowest terms (a rational piece, eta a
    symbol), without SymPy's expand and cancel.

    With P, Q in Z[w] coprime (content included) and LC(Q) > 0 (:func:`qfield.integer_pair`),
    w - eta P/Q = (w Q - eta P) / Q, and this pair is coprime in Z[eta, w]: a common factor
    divides the eta-free Q, so it is eta-free, so it divides the eta-coefficient P as well,
    a unit.  Q's leading coefficient in any order of (eta, w) is LC(Q) > 0, so this is the
    unique pair cancel forms (see :func:`qfield.to_sympy`), and ``num / den`` of the two
    polynomials' expressions is its result (tests compare with :func:`_tidy`, ``srepr``).
    """
    p, q = integer_pair(derivative_qw(lq))
    terms: dict[tuple[int, int], Any] = {}
    for j, c in enumerate(q.coeffs()):
        if c != 0:
            terms[(0, j + 1)] = sympy.Integer(int(c))
    for j, c in enumerate(p.coeffs()):
        if c != 0:
            terms[(1, j)] = sympy.Integer(-int(c))
    num = sympy.Poly.from_dict(terms, eta_symbol, w, domain="ZZ")
    den = sympy.Poly.from_dict({(0, j): sympy.Integer(int(c)) for j, c in enumerate(q.coeffs()) if c != 0},
                               eta_symbol, w, domain="ZZ")
    return num.as_expr() / den.as_expr()


def gd_piece(piece: LossPiece, eta_value, r: sympy.Rational) -> sympy.Expr:
    """One piece of :meth:`Derivation.gd_map`: w - eta L'(w) on ``piece``, canonical form."""
    return _phi(piece, eta_value, r)


@dataclass(frozen=True)
class LossPiece:
    """L(w) = ``expr`` for w in [w_lo, w_hi] (w_hi = oo for the last piece)."""

    w_lo: sympy.Expr
    w_hi: sympy.Expr
    expr: sympy.Expr

    @cached_property
    def derivative(self) -> sympy.Expr:
        """L'(w).  A rational piece: (N/D)' in Q(w) by python-flint, in ``sympy.cancel``'s form
        (:func:`qfield.to_sympy`; the same expression as the piece forms' L'); SymPy's ``diff``
        of a deep network's hundreds of pieces cost most of the LaTeX export.  Otherwise
        SymPy's ``diff``."""
        lq = self.rational
        if lq is not None:
            return to_sympy(derivative_qw(lq), w)
        if _integer_powers(self.expr):
            # the same tree, 3-4x faster: SymPy's assumption queries on the positive w dominate
            # diff's cost, and with integer powers only nothing in the result depends on them
            return sympy.diff(self.expr.xreplace({w: _W_PLAIN}), _W_PLAIN).xreplace({_W_PLAIN: w})
        return sympy.diff(self.expr, w)

    @cached_property
    def rational(self):
        """L as N / D in Q(w) (python-flint), or None when it is not a rational function."""
        return rational_function(self.expr, w)


class Density(Protocol):
    """A density of g (or of |g|) under mu: ``rho(u)`` exact. Piecewise-linear g gives a
    :class:`~relu_pointwise.symbolic.pushforward.PiecewisePoly`; the exact ball a
    ``ball.BallDensity`` (rho(s) = K (c -+ s)^p on a window)."""

    def __call__(self, u: Any) -> sympy.Expr: ...


@dataclass
class Derivation:
    """Everything the symbolic engine derives for a spec (exact).

    ``pieces`` cover [exact_from, oo) in w (exact_from = 0 for piecewise-linear g;
    for the exact ball the pre-asymptotic loss has no closed form here and
    exact_from = w*); ``w_star`` = 1/(2 u_1) starts the asymptotic regime;
    ``asymptotic_coeffs[k]`` is the coefficient of w^-(k+1) there (empty when the
    asymptotic form is not a finite sum of powers, e.g. the exact ball in odd d).
    """

    spec: Spec
    cells: list[Cell]
    density: Density                # signed: of g (PiecewisePoly, or the exact ball's BallDensity)
    abs_density: Density            # of |g|
    pieces: list[LossPiece]
    w_star: sympy.Rational
    asymptotic_coeffs: tuple[sympy.Expr, ...]
    exact_from: sympy.Rational = Q(0)
    notes: tuple[str, ...] = ()

    @property
    def asymptotic(self) -> sympy.Expr:
        return self.pieces[-1].expr

    def piece_at(self, wv) -> LossPiece:
        """The piece with w_lo <= wv < w_hi (the last one from w* on)."""
        for p in self.pieces:
            if p.w_lo <= wv and (p.w_hi == sympy.oo or wv < p.w_hi):
                return p
        raise NotExactError(f"w: the exact loss is derived only for w >= {self.exact_from}, got {wv}")

    def loss(self, wv) -> sympy.Expr:
        """Exact L(wv) for wv >= 0 (numbers by :func:`~relu_pointwise.symbolic.numbers.api_number`:
        a float is its shortest decimal, ``L(0.1)`` is L(1/10))."""
        wv = _w_arg(wv)
        p = self.piece_at(wv)
        if wv == 0:
            return sympy.simplify(sympy.limit(p.expr, w, 0, "+"))
        return sympy.simplify(p.expr.subs(w, wv))

    def gradient(self, wv) -> sympy.Expr:
        """Exact L'(wv), wv >= 0 (one-sided at 0)."""
        wv = _w_arg(wv)
        p = self.piece_at(wv)
        if wv == 0:
            return sympy.simplify(sympy.limit(p.derivative, w, 0, "+"))
        return sympy.simplify(p.derivative.subs(w, wv))

    def gd_map(self, eta_value) -> list[tuple[sympy.Expr, sympy.Expr, sympy.Expr]]:
        """Phi(w) = w - eta L'(w), piecewise: [(w_lo, w_hi, Phi_expr)]."""
        return [(p.w_lo, p.w_hi, _phi(p, eta_value, self.spec.r)) for p in self.pieces]

    # ---- the API's names, as in the mathematics
    def L(self, wv) -> sympy.Expr:
        """Exact L(w) (``loss``)."""
        return self.loss(wv)

    def dL(self, wv) -> sympy.Expr:
        """Exact L'(w) (``gradient``)."""
        return self.gradient(wv)

    def Phi(self, wv, eta_value=1) -> sympy.Expr:
        """Exact Phi(w) = w - eta L'(w)."""
        from .numbers import api_number

        wv = _w_arg(wv)
        e = api_number(eta_value, "eta")
        if not e > 0:
            raise InputError(f"eta: must be > 0, got {e}", field="eta")
        return sympy.simplify(wv - e * self.gradient(wv))

    def __repr__(self) -> str:
        """Short and readable (the whole derivation: ``summary()``, ``_repr_latex_`` in Jupyter)."""
        from .exprio import as_basic, to_text

        def short(e: Any) -> str:
            t = to_text(as_basic(e))
            return t if len(t) <= 60 else t[:57] + "..."

        return (f"<Derivation {self.spec.target.text}: L(w) in {len(self.pieces)} piece(s) on {len(self.cells)} "
                f"linear region(s); w* = {short(self.w_star)}; L(w) = {short(self.asymptotic)} for w >= w*>")

    def _repr_latex_(self) -> str:
        rows = r" \\ ".join(
            f"{sympy.latex(p.expr)} & {sympy.latex(p.w_lo)} \\le w"
            + ("" if p.w_hi == sympy.oo else f" < {sympy.latex(p.w_hi)}")
            for p in self.pieces)
        return f"$L(w) = \\begin{{cases}} {rows} \\end{{cases}},\\quad w^* = {sympy.latex(self.w_star)}$"

    @property
    def leading_constant(self) -> sympy.Expr:
        """C with L(w) ~ C / w: (rho(0+) + rho(0-))/2 * 2^-r / (r+1)."""
        return sympy.limit(w * self.asymptotic, w, sympy.oo)


