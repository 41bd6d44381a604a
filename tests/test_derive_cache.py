"""The engines' derivation cache (symbolic.derive_cache): derived once per spec, bounded,
never serving a derivation across an injected prover bug, and never used by certify."""
from __future__ import annotations

import sys

import pytest
import sympy

from relu_pointwise.numeric.engines import get_engine
from relu_pointwise.proofs import certificate as C
from relu_pointwise.proofs.check import check_certificate
from relu_pointwise.symbolic import derive_cache, loss
from relu_pointwise.symbolic.spec import make_spec, make_training

Q = sympy.Rational
INTERVAL = "interval:-1/2,1/2"


def test_derived_once_per_spec_and_equal_to_derive() -> None:
    derive_cache.clear()
    a = derive_cache.derived(make_spec(INTERVAL))
    b = derive_cache.derived(make_spec(INTERVAL))          # an equal spec, a new object
    assert a is b
    fresh = loss.derive(make_spec(INTERVAL))
    assert [(p.w_lo, p.w_hi, p.expr) for p in a.pieces] == [(p.w_lo, p.w_hi, p.expr) for p in fresh.pieces]
    assert derive_cache.derived(make_spec(INTERVAL, r="3")) is not a


def test_bounded_least_recently_used_first(monkeypatch: pytest.MonkeyPatch) -> None:
    derive_cache.clear()
    monkeypatch.setattr(derive_cache, "MAXSIZE", 2)
    s1, s2, s3 = (make_spec(INTERVAL, r=r) for r in ("1", "2", "3"))
    d1 = derive_cache.derived(s1)
    derive_cache.derived(s2)
    assert derive_cache.derived(s1) is d1                   # s1 used last: s2 is the oldest
    derive_cache.derived(s3)
    assert len(derive_cache._cache) == 2
    assert derive_cache.derived(s1) is d1
    misses = derive_cache.stats["misses"]
    derive_cache.derived(s2)                                # evicted: derived again
    assert derive_cache.stats["misses"] == misses + 1


def _inject_wrong_density(mp: pytest.MonkeyPatch) -> None:
    """As tests/test_checker_mutations.py: the density of g 11/10 too large, in every module."""
    orig = loss.signed_density
    for m in list(sys.modules.values()):
        if getattr(m, "__name__", "").startswith("relu_pointwise") and getattr(m, "signed_density", None) is orig:
            mp.setattr(m, "signed_density", lambda cells, density: orig(cells, density * Q(11, 10)))


def test_a_warm_cache_does_not_hide_an_injected_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    """Engines run first (the cache holds the correct derivation), then a prover bug is injected:
    the engines' cache derives anew (its key holds the prover functions' identities), and certify's
    certificate carries the wrong coefficients, which the checker rejects."""
    spec = make_spec(INTERVAL)
    get_engine("arb").run(spec, make_training(), 5)
    get_engine("mp").run(spec, make_training(batch="cyclic:2"), 5)
    good = derive_cache.derived(spec)
    with monkeypatch.context() as mp:
        _inject_wrong_density(mp)
        bad = derive_cache.derived(spec)
        assert bad is not good and bad.asymptotic_coeffs != good.asymptotic_coeffs
        cert = C.certify(spec, make_training(), points=[(Q(1, 4),)], steps=300)
    report = check_certificate(cert)
    assert not report.ok
    assert any(c.id.startswith("asymptotic") for c in report.checks if c.status == "failed")
    assert derive_cache.derived(spec) is good              # the injection undone: the old key again


@pytest.mark.parametrize("batch", ["full", "cyclic:2", "sampled:8"])
def test_certify_never_reads_the_cache(monkeypatch: pytest.MonkeyPatch, batch: str) -> None:
    calls: list[object] = []

    def refuse(spec: object) -> None:
        calls.append(spec)       # recorded (certify may turn an exception into a failed claim)
        raise AssertionError("certify read the engines' derivation cache")

    orig = derive_cache.derived
    for m in list(sys.modules.values()):
        if getattr(m, "__name__", "").startswith("relu_pointwise") and getattr(m, "derived", None) is orig:
            monkeypatch.setattr(m, "derived", refuse)
    cert = C.certify(make_spec(INTERVAL), make_training(batch=batch), points=[(Q(1, 4),)], steps=200)
    assert calls == []
    assert all(c["status"] != "failed" for c in cert["claims"])
