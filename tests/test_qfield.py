"""symbolic.qfield.to_sympy builds sympy.cancel's form without cancel: the same expression
(srepr equal) as the reference to_sympy_by_cancel, and RationalFunction.from_qw the same
integer pair as RationalFunction.from_expr reads off that expression."""
from __future__ import annotations

import sympy
from flint import fmpq, fmpq_poly
from hypothesis import given
from hypothesis import strategies as st

from relu_pointwise.symbolic.iterate import RationalFunction, piece_forms
from relu_pointwise.symbolic.loss import derive
from relu_pointwise.symbolic.qfield import to_sympy, to_sympy_by_cancel
from relu_pointwise.symbolic.spec import make_spec

w = sympy.Symbol("w", positive=True)
_coef = st.builds(lambda p, q: fmpq(p, q), st.integers(-40, 40), st.integers(1, 24))
_poly = st.lists(_coef, min_size=1, max_size=6).map(fmpq_poly)


@st.composite
def _rational_functions(draw: st.DrawFn) -> tuple[fmpq_poly, fmpq_poly]:
    n, d = draw(_poly), draw(_poly.filter(lambda p: p != 0))
    if draw(st.booleans()):           # a common factor and a content to cancel
        n = n * d * draw(_coef)
    if draw(st.booleans()):           # a monomial denominator, as the Laurent pieces have
        d = fmpq_poly([0] * draw(st.integers(0, 4)) + [draw(_coef.filter(lambda c: c != 0))])
    return n, d


@given(_rational_functions())
def test_to_sympy_is_cancels_form(f: tuple[fmpq_poly, fmpq_poly]) -> None:
    assert sympy.srepr(to_sympy(f, w)) == sympy.srepr(to_sympy_by_cancel(f, w))


@given(_rational_functions())
def test_from_qw_is_from_expr(f: tuple[fmpq_poly, fmpq_poly]) -> None:
    assert RationalFunction.from_qw(f) == RationalFunction.from_expr(to_sympy_by_cancel(f, w), canonical=True)


def test_piece_forms_of_derivations_match_the_sympy_route() -> None:
    for target, r in (("interval:-1/2,1/2", "2"), ("ball:d=2,R=1/2,N=2", "3"), ("union:-3/4,-1/4;0,1/2", "1")):
        for f in piece_forms(derive(make_spec(target, r=r))):
            for e, rf in ((f.loss, f.loss_q), (f.grad, f.grad_q), (f.hess, f.hess_q)):
                assert rf == RationalFunction.from_expr(e, canonical=True)
                assert sympy.srepr(e) == sympy.srepr(sympy.cancel(e))


def test_phi_with_symbolic_eta_is_the_cancel_route() -> None:
    """derivation._phi's flint route for a symbolic eta against cancel(expand(w - eta L'))."""
    from relu_pointwise.symbolic import derivation as D

    for target, r in (("interval:-1/2,1/2", "2"), ("ball:d=2,R=1/2,N=3", "2"), ("union:-3/4,-1/4;0,1/2", "1"),
                      ("ball:d=2,R=1/2,N=2", "3"), ("box:-1/2,1/2;-1/4,3/4", "4")):
        d = derive(make_spec(target, r=r))
        for p in d.pieces:
            fast = D._phi(p, D.eta, d.spec.r)
            assert sympy.srepr(fast) == sympy.srepr(D._tidy(D.w - D.eta * p.derivative, d.spec.r))
