"""The asymptotic claim decided as an identity of functions on [w*, oo).

For integer r and a piecewise-linear g the checker has its own L on [w*, oo) as Laurent
polynomials, one per piece between the knots w = 1/(2u) (u the breaks of the density of |g|):
``Checker.L_pieces``. A claimed closed form is compared with each piece symbolically (the
difference, over one denominator, is 0); a nonzero difference with rational coefficients has
finitely many roots, so the form is false on that piece. Where the pieces are not available the
checker samples points (enough per piece for the degree: the fallback, tested here too)."""
from __future__ import annotations

import copy

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from relu_pointwise.proofs.check import asymptotic, check_certificate
from relu_pointwise.proofs.check.base import Fail
from relu_pointwise.proofs.check.claims import Checker
from relu_pointwise.proofs.check.read import read_certificate
from relu_pointwise.symbolic.exprio import to_text

W = sympy.Symbol("w", positive=True)
# the seven points at which the checker used to sample L (w* = 1): a form equal to L exactly there
SAMPLES = [sympy.Rational(r) for r in ("1", "17/16", "3/2", "11/6", "3", "22/3", "101")]


@pytest.fixture(scope="module")
def interval() -> dict:
    """Full batch on (-1/2, 1/2) in [-1, 1], r = 2: L(w) = 1/(12 w) on w >= w* = 1."""
    from relu_pointwise.proofs.certificate import certify
    from relu_pointwise.symbolic.spec import make_spec, make_training

    return certify(make_spec("interval:-1/2,1/2"), make_training(), grid=5, steps=400)


@pytest.fixture(scope="module")
def checker(interval: dict) -> Checker:
    return Checker(read_certificate(copy.deepcopy(interval)))


def _claim(doc: dict, form: sympy.Expr) -> dict:
    """The asymptotic claim's data with the closed form ``form`` (canonical text; the power-sum
    fields dropped, so only the form is judged)."""
    d = copy.deepcopy(next(c for c in doc["claims"] if c["id"] == "asymptotic")["data"])
    d["L_asymptotic"] = to_text(form)
    d.pop("coeffs", None)
    d.pop("C", None)
    return d


def test_the_true_form_is_an_identity_on_the_pieces(interval, checker):
    """1/(12 w) is the checker's own L on [1, oo): accepted as an identity (no sampling)."""
    assert checker.L_pieces(1) is not None
    reason = asymptotic.closed_form(checker, _claim(interval, 1 / (12 * W)))
    assert "identically" in reason


def test_a_form_equal_to_L_only_at_the_sample_points_is_refused(interval, checker, monkeypatch):
    """1/(12 w) + 10^-8 prod_i (w - w_i)/w^8 equals L at the seven sample points only: refused on the
    Laurent pieces, and, with the pieces unavailable, by the point route's identity points."""
    form = 1 / (12 * W) + sympy.Rational(1, 10 ** 8) * sympy.Mul(*(W - r for r in SAMPLES)) / W ** 8
    with pytest.raises(Fail, match="Laurent piece"):
        asymptotic.closed_form(checker, _claim(interval, form))
    monkeypatch.setattr(Checker, "L_pieces", lambda self, w_lo: None)
    with pytest.raises(Fail, match=r"^L\("):
        asymptotic.closed_form(checker, _claim(interval, form))


def test_the_catalog_forgery_is_refused_by_the_mathematics():
    """The forgery suite's "asymptotic form equal to L only at the sample points" (the bump above,
    with c, Cbar, C and coeffs recomputed for it) is well formed and fails the asymptotic claim on
    the Laurent pieces (not refused as malformed text)."""
    import forgery_families  # noqa: F401  (registers it)
    from forgery_catalog import FORGERIES

    forged = next(f for f in FORGERIES if f.name == "asymptotic form equal to L only at the sample points")
    report = check_certificate(forged.make())
    asym = next(c for c in report.checks if c.id == "asymptotic")
    assert not report.ok and asym.status == "failed" and "Laurent piece" in asym.reason


@settings(max_examples=15)
@given(roots=st.lists(st.fractions(min_value=1, max_value=200, max_denominator=50), min_size=1, max_size=8),
       eps=st.fractions(min_value=-1, max_value=1, max_denominator=10 ** 9).filter(lambda f: f != 0))
def test_every_perturbation_vanishing_at_finitely_many_points_is_refused(interval, checker, roots, eps):
    """1/(12 w) + eps prod_i (w - r_i)/w^(n+1), eps != 0, r_i >= w* = 1 (any n roots, any size):
    not L on [1, oo) (a nonzero rational function on an interval), so always refused."""
    bump = sympy.Rational(eps.numerator, eps.denominator) * sympy.Mul(
        *(W - sympy.Rational(r.numerator, r.denominator) for r in roots)) / W ** (len(roots) + 1)
    with pytest.raises(Fail):
        asymptotic.closed_form(checker, _claim(interval, 1 / (12 * W) + bump))
