"""Mutation suite: inject a bug into the prover (monkeypatch), certify, and require the
independent checker (relu_pointwise.proofs.check) to reject the certificate, naming the claim.

Each mutation makes the prover's own pipeline self-consistent but wrong, so re-deriving
(``proofs.verify``) would reproduce the same wrong claims; the checker's routes differ.
"""
from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from typing import Any

import pytest
import sympy

from relu_pointwise.proofs import certificate as C
from relu_pointwise.proofs import lemmas
from relu_pointwise.proofs.check import check_certificate
from relu_pointwise.proofs.lemmas import path as path_lemmas
from relu_pointwise.symbolic import iterate, loss, network, targets
from relu_pointwise.symbolic.spec import make_spec, make_training

Q = sympy.Rational
INTERVAL = "interval:-1/2,1/2"
UNION = "union:-3/4,-1/4;0,1/2"
POINTS = [(Q(-7, 8),), (Q(-1, 2) + Q(1, 128),), (Q(-1, 4),), (Q(0),), (Q(3, 8),)]


def _everywhere(mp: pytest.MonkeyPatch, module: Any, name: str, new: Any) -> Any:
    """Replace ``module.name`` in every relu_pointwise module that holds the same object (the
    prover imports some functions by name), so the injected bug is the prover's everywhere."""
    orig = getattr(module, name)
    for m in list(sys.modules.values()):
        if getattr(m, "__name__", "").startswith("relu_pointwise") and getattr(m, name, None) is orig:
            mp.setattr(m, name, new)
    return orig


def _certify(target: str) -> dict[str, Any]:
    spec = make_spec(target)
    return C.certify(spec, make_training(), points=POINTS, steps=300)


def _wrong_coefficient(mp: pytest.MonkeyPatch) -> None:
    """The pushforward density of g taken 11/10 too large: every coefficient of L, consistently."""
    orig = loss.signed_density
    _everywhere(mp, loss, "signed_density", lambda cells, density: orig(cells, density * Q(11, 10)))


def _dL_factor(mp: pytest.MonkeyPatch) -> None:
    """L'(w) twice the derivative of L in the forms every path engine iterates."""
    orig = iterate.piece_forms

    def doubled(derivation: Any) -> list[Any]:
        out = []
        for f in orig(derivation):
            g = sympy.cancel(2 * f.grad) if f.grad_q is not None else 2 * f.grad
            out.append(dataclasses.replace(f, grad=g, grad_q=iterate.RationalFunction.from_expr(g)
                                           if f.grad_q is not None else None))
        return out

    from relu_pointwise.numeric import arb_engine, trajectory  # noqa: F401  (loaded, so patched too)

    _everywhere(mp, iterate, "piece_forms", doubled)       # every engine the prover iterates with


def _w_star_early(mp: pytest.MonkeyPatch) -> None:
    """The density of |g| loses its first breakpoint: w* = 1/(2 u_2), one region too early."""
    orig = loss.abs_density

    def merged(signed: Any) -> Any:
        rho = orig(signed)
        if len(rho.coeffs) < 2:
            return rho
        return type(rho)((rho.breaks[0],) + tuple(rho.breaks[2:]), (rho.coeffs[0],) + tuple(rho.coeffs[2:]))

    _everywhere(mp, loss, "abs_density", merged)


def _T_off_by_one(mp: pytest.MonkeyPatch) -> None:
    """The first index with w_t >= theta reported one step late."""
    orig = path_lemmas._first_at_least
    _everywhere(mp, path_lemmas, "_first_at_least",
                lambda seq, theta: None if (i := orig(seq, theta)) is None else i + 1)


def _moved_zero_set(mp: pytest.MonkeyPatch) -> None:
    """One weight (the readout bias) off by 1/64: g's zero set misses the target's ends by 1/64;
    and the prover's construction check compares the network with itself (f° = sign(g))."""
    orig = network.build_network

    def moved(level: Any, dim: int) -> Any:
        net = orig(level, dim)
        return dataclasses.replace(net, readout_bias=net.readout_bias - Q(1, 64))

    _everywhere(mp, network, "build_network", moved)
    _everywhere(mp, targets, "level_value", lambda level, x: moved(level, len(x)).level(x))


def _wrong_c(mp: pytest.MonkeyPatch) -> None:
    """The growth lemma's c = min B taken 3/2 too large."""
    orig = lemmas.poly_extremum

    def bigger(coeffs: Any, b: Any, lower: bool) -> Any:
        v, exact = orig(coeffs, b, lower)
        return (v * Q(3, 2) if lower else v), exact

    _everywhere(mp, lemmas, "poly_extremum", bigger)


# (name, injection, target, the claim the checker must name)
MUTATIONS: list[tuple[str, Callable[[pytest.MonkeyPatch], None], str, str]] = [
    ("wrong asymptotic coefficient", _wrong_coefficient, INTERVAL, "asymptotic"),
    ("L' off by a factor", _dL_factor, INTERVAL, "entry"),
    ("w* one region too early", _w_star_early, UNION, "asymptotic"),
    ("T(x) off by one", _T_off_by_one, INTERVAL, "pointwise:"),
    ("weight moves the zero set by 1/64", _moved_zero_set, INTERVAL, "construction"),
    ("wrong c in the growth lemma", _wrong_c, INTERVAL, "growth"),
]


@pytest.mark.parametrize("name, inject, target, claim", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_checker_catches_injected_prover_bug(monkeypatch: pytest.MonkeyPatch, name: str,
                                             inject: Callable[[pytest.MonkeyPatch], None],
                                             target: str, claim: str) -> None:
    with monkeypatch.context() as mp:
        inject(mp)
        cert = _certify(target)
    claimed = {c["id"] for c in cert["claims"] if c["status"] in ("proved", "enclosed")}
    assert any(i.startswith(claim) for i in claimed), f"{name}: the mutated prover did not claim {claim}"
    report = check_certificate(cert)
    assert not report.ok
    named = [c.id for c in report.checks if c.status == "failed"]
    assert any(i.startswith(claim) for i in named), f"{name}: checker failed {named}, expected {claim}"


def test_unmutated_prover_passes_the_checker() -> None:
    """The control: the same certificates without a mutation check (so a catch is a catch)."""
    for target in (INTERVAL, UNION):
        report = check_certificate(_certify(target))
        assert report.ok, report.lines()
