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
from relu_pointwise.symbolic.errors import CertificateError
from relu_pointwise.symbolic.spec import make_spec, make_training

Q = sympy.Rational
INTERVAL = "interval:-1/2,1/2"
UNION = "union:-3/4,-1/4;0,1/2"
POLYTOPE = "polytope:1,0,1/2;0,1,1/2;-1,-1,1/2"
CYCLIC = "interval:-1/2,1/2@cyclic:3"
DEEP = "ball:d=2,R=1/2,N=1"
POINTS = [(Q(-7, 8),), (Q(-1, 2) + Q(1, 128),), (Q(-1, 4),), (Q(0),), (Q(3, 8),)]
POINTS_2D = [(Q(0), Q(0)), (Q(1, 4), Q(1, 4)), (Q(-1), Q(1, 2)), (Q(1, 3), Q(-1, 5))]


def _everywhere(mp: pytest.MonkeyPatch, module: Any, name: str, new: Any) -> Any:
    """Replace ``module.name`` in every relu_pointwise module that holds the same object (the
    prover imports some functions by name), so the injected bug is the prover's everywhere."""
    orig = getattr(module, name)
    for m in list(sys.modules.values()):
        if getattr(m, "__name__", "").startswith("relu_pointwise") and getattr(m, name, None) is orig:
            mp.setattr(m, name, new)
    return orig


def _certify(target: str) -> dict[str, Any]:
    """The mutated prover's certificate: ``target`` or ``target@batch``; 1-D and 2-D points."""
    target, _, batch = target.partition("@")
    spec = make_spec(target)
    pts = POINTS if spec.dim == 1 else POINTS_2D
    return C.certify(spec, make_training(batch=batch or "full"), points=pts, steps=300 if not batch else 100)


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


def _T_early(mp: pytest.MonkeyPatch) -> None:
    """The first index with w_t >= theta reported one step early (T(x) and t* too small)."""
    orig = path_lemmas._first_at_least
    _everywhere(mp, path_lemmas, "_first_at_least",
                lambda seq, theta: None if (i := orig(seq, theta)) is None else max(0, i - 1))


def _ceil_one_short(mp: pytest.MonkeyPatch) -> None:
    """max(0, ceil(x)) taken one too small: the entry bound t* <= ceil((w* - w0)/(eta (-L'(w*)))) short."""
    orig = path_lemmas._ceil_pos
    _everywhere(mp, path_lemmas, "_ceil_pos", lambda x: max(0, orig(x) - 1))


def _w_t0_above(mp: pytest.MonkeyPatch) -> None:
    """The rate's anchor w_t0_lower rounded up instead of down (above the enclosure of w_t0)."""
    from gmpy2 import mpq

    _everywhere(mp, path_lemmas, "nice_below", lambda v, floor_at, digits=15: mpq(v) + mpq(1, 1000))


def _gain_10pct(mp: pytest.MonkeyPatch) -> None:
    """The rate's gain 3 eta c taken 10% too large (the growth claim keeps the right c)."""
    from relu_pointwise.proofs.lemmas import fullbatch

    orig = fullbatch.Growth.gain_for
    mp.setattr(fullbatch.Growth, "gain_for", lambda self, eta: orig(self, eta) * Q(11, 10))


def _Cbar_small(mp: pytest.MonkeyPatch) -> None:
    """The growth lemma's Cbar = max A taken 9/10 of its value (too small)."""
    orig = lemmas.poly_extremum

    def smaller(coeffs: Any, b: Any, lower: bool) -> Any:
        v, exact = orig(coeffs, b, lower)
        return (v if lower else v * Q(9, 10)), exact

    _everywhere(mp, lemmas, "poly_extremum", smaller)


def _r_plus_one(mp: pytest.MonkeyPatch) -> None:
    """The loss derived for the exponent r + 1 (the certificate's inputs keep r)."""
    orig = loss.derive
    _everywhere(mp, loss, "derive", lambda spec: orig(dataclasses.replace(spec, r=spec.r + 1)))


def _sign_of_a_term(mp: pytest.MonkeyPatch) -> None:
    """The second coefficient of the density of |g| with the wrong sign (L's 1/w^2 term flips)."""
    orig = loss.abs_density

    def flipped(signed: Any) -> Any:
        rho = orig(signed)
        c0 = rho.coeffs[0]
        new = (tuple(c0[:1]) + tuple(-v for v in c0[1:]),) + tuple(rho.coeffs[1:])
        return type(rho)(rho.breaks, new)

    _everywhere(mp, loss, "abs_density", flipped)


def _cyclic_shifted(mp: pytest.MonkeyPatch) -> None:
    """cyclic:K schedule shifted by one step: step t uses slab (t + 1) mod K."""
    from relu_pointwise.numeric import batches

    orig = batches.BatchSchedule.slab_index
    mp.setattr(batches.BatchSchedule, "slab_index", lambda self, t: (orig(self, t) + 1) % self.K)


def _cyclic_c_big(mp: pytest.MonkeyPatch) -> None:
    """Each slab's growth constant c_k taken 11/10 too large (cyclic growth lemma)."""
    from relu_pointwise.proofs.lemmas import cyclic

    orig = cyclic.growth_claim

    def bigger(d: Any, eta: Any) -> Any:
        cl, gr = orig(d, eta)
        return cl, dataclasses.replace(gr, c=gr.c * Q(11, 10))

    mp.setattr(cyclic, "growth_claim", bigger)


def _cyclic_increment(mp: pytest.MonkeyPatch) -> None:
    """The slab gradients L_k'(W*) 3/2 too steep: the per-cycle increment below W* overstated."""
    from relu_pointwise.symbolic import derivation

    orig = derivation.Derivation.gradient
    mp.setattr(derivation.Derivation, "gradient", lambda self, wv: orig(self, wv) * Q(3, 2))


def _deep_N_small(mp: pytest.MonkeyPatch) -> None:
    """The deep-ball depth table's N(x) one too small (at least 1) in every row."""
    from relu_pointwise.proofs import deep

    orig = deep.depth_claim

    def smaller(spec: Any, points: Any) -> Any:
        res = orig(spec, points)
        for row in res.get("table", []):
            if isinstance(row.get("N"), int):
                row["N"] = max(1, row["N"] - 1)
                row["N_exact"] = min(row["N_exact"], row["N"])
        return res

    mp.setattr(deep, "depth_claim", smaller)


def _hidden_bias(mp: pytest.MonkeyPatch) -> None:
    """A hidden neuron's bias off by 1/64 (a union piece's end moves); the prover compares g with itself."""
    orig = network.build_network

    def moved(level: Any, dim: int) -> Any:
        net = orig(level, dim)
        lay = net.hidden[0]
        bias = (lay.bias[0] + Q(1, 64),) + tuple(lay.bias[1:])
        return dataclasses.replace(net, hidden=(dataclasses.replace(lay, bias=bias),) + tuple(net.hidden[1:]))

    _everywhere(mp, network, "build_network", moved)
    _everywhere(mp, targets, "level_value", lambda level, x: moved(level, len(x)).level(x))


def _path_shifted(mp: pytest.MonkeyPatch) -> None:
    """The enclosed path read one step ahead: bounds of w_(t+1) reported as those of w_t."""
    orig = path_lemmas.merge_paths

    def ahead(exact: Any, enclosure: Any) -> Any:
        p, problems = orig(exact, enclosure)
        if p is None:
            return p, problems
        return path_lemmas.PathBounds(p.lo[1:] + p.lo[-1:], p.hi[1:] + p.hi[-1:], p.source, p.exact_steps), problems

    _everywhere(mp, path_lemmas, "merge_paths", ahead)


def _rate_t0_early(mp: pytest.MonkeyPatch) -> None:
    """The rate claim anchored one step before the entry step (t0 = t* - 1, where w < w*), and
    its consistency check against the enclosed losses skipped."""
    orig = path_lemmas.rate_claim

    def early(derivation: Any, training: Any, growth: Any, entry: Any, losses: Any, *a: Any) -> Any:
        return orig(derivation, training, growth, dataclasses.replace(entry, t0=max(0, entry.t0 - 1)), None, *a)

    _everywhere(mp, path_lemmas, "rate_claim", early)


def _g_at_shifted_point(mp: pytest.MonkeyPatch) -> None:
    """T(x) computed with g at x + 1/64 but reported for x (a coordinate slip)."""
    orig = path_lemmas.pointwise_claim

    def slipped(spec: Any, x: Any, *args: Any, **kw: Any) -> Any:
        y = tuple(v + Q(1, 64) for v in x)
        cl, s = orig(spec, y, *args, **kw)
        cl.data["x"] = [lemmas.ex(v) for v in x]
        return dataclasses.replace(cl, id=f"pointwise:x={path_lemmas.point_text(x)}"), s

    _everywhere(mp, path_lemmas, "pointwise_claim", slipped)


def _level_sign(mp: pytest.MonkeyPatch) -> None:
    """f°(x) read with the wrong convention at one point: the pointwise target value 1 - f°."""
    orig = path_lemmas.pointwise_claim

    def flipped(spec: Any, x: Any, *args: Any, **kw: Any) -> Any:
        cl, s = orig(spec, x, *args, **kw)
        if cl.data.get("target") in ("0", "1") and x == (Q(0),):
            cl.data["target"] = "1" if cl.data["target"] == "0" else "0"
        return cl, s

    _everywhere(mp, path_lemmas, "pointwise_claim", flipped)


def _deep_rows_dropped(mp: pytest.MonkeyPatch) -> None:
    """The deep-ball claim's N(x) table loses its rows (the claim still says it covers every point)."""
    from relu_pointwise.proofs import deep

    orig = deep.depth_claim

    def dropped(spec: Any, points: Any) -> Any:
        res = orig(spec, points)
        res["table"] = []
        return res

    mp.setattr(deep, "depth_claim", dropped)


def _claims_for_other_points(mp: pytest.MonkeyPatch) -> None:
    """Each T(x) claim made (honestly) for x + 1/64 instead of the requested x."""
    orig = path_lemmas.pointwise_claim
    _everywhere(mp, path_lemmas, "pointwise_claim",
                lambda spec, x, *a, **kw: orig(spec, tuple(v + Q(1, 64) for v in x), *a, **kw))


def _entry_gstar(mp: pytest.MonkeyPatch) -> None:
    """-L'(w*) in the entry claim from the closed form at w* taken 10% too large."""
    orig = path_lemmas.entry_claim

    def steeper(derivation: Any, training: Any, path: Any) -> Any:
        cl, e = orig(derivation, training, path)
        g = sympy.sympify(cl.data["minus_dL_at_w_star"]) * Q(11, 10)
        cl.data["minus_dL_at_w_star"] = lemmas.ex(g)
        return cl, e

    _everywhere(mp, path_lemmas, "entry_claim", steeper)


# (name, injection, target, the claim the checker must name)
MUTATIONS: list[tuple[str, Callable[[pytest.MonkeyPatch], None], str, str]] = [
    ("wrong asymptotic coefficient", _wrong_coefficient, INTERVAL, "asymptotic"),
    ("L' off by a factor", _dL_factor, INTERVAL, "entry"),
    ("w* one region too early", _w_star_early, UNION, "asymptotic"),
    ("T(x) off by one", _T_off_by_one, INTERVAL, "pointwise:"),
    ("weight moves the zero set by 1/64", _moved_zero_set, INTERVAL, "construction"),
    ("wrong c in the growth lemma", _wrong_c, INTERVAL, "growth"),
    ("T(x) one step early", _T_early, INTERVAL, "pointwise:"),
    ("entry bound one too small", _ceil_one_short, INTERVAL, "entry|pointwise:"),
    ("rate anchor above the enclosure", _w_t0_above, INTERVAL, "rate"),
    ("rate constant 10% too large", _gain_10pct, INTERVAL, "rate"),
    ("Cbar 10% too small", _Cbar_small, POLYTOPE, "growth"),
    ("loss derived for r + 1", _r_plus_one, UNION, "asymptotic"),
    ("sign of a term of L", _sign_of_a_term, POLYTOPE, "asymptotic"),
    ("cyclic schedule shifted by one step", _cyclic_shifted, CYCLIC, "pointwise:"),
    ("cyclic slab constant 10% too large", _cyclic_c_big, CYCLIC, "cyclic_growth"),
    ("cyclic increment overstated", _cyclic_increment, CYCLIC, "entry"),
    ("deep-ball depth one too small", _deep_N_small, DEEP, "deep_ball_depth"),
    ("hidden bias off by 1/64", _hidden_bias, UNION, "construction"),
    ("path read one step ahead", _path_shifted, INTERVAL, "entry"),
    ("rate anchored one step early", _rate_t0_early, INTERVAL, "rate"),
    ("g at a shifted point", _g_at_shifted_point, INTERVAL, "pointwise:"),
    ("target value flipped", _level_sign, INTERVAL, "pointwise:x=0"),
    ("-L'(w*) 10% too large", _entry_gstar, INTERVAL, "entry"),
    ("deep-ball table rows dropped", _deep_rows_dropped, DEEP, "deep_ball_depth"),
    ("T(x) claims for other points than requested", _claims_for_other_points, INTERVAL, "pointwise:|claims"),
]


@pytest.mark.parametrize("name, inject, target, claim", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_checker_catches_injected_prover_bug(monkeypatch: pytest.MonkeyPatch, name: str,
                                             inject: Callable[[pytest.MonkeyPatch], None],
                                             target: str, claim: str) -> None:
    with monkeypatch.context() as mp:
        inject(mp)
        cert = _certify(target)
    claimed = {c["id"] for c in cert["claims"] if c["status"] in ("proved", "enclosed")}
    assert any(i.startswith(tuple(claim.split("|"))) for i in claimed), f"{name}: the prover did not claim {claim}"
    try:
        report = check_certificate(cert)
    except CertificateError as exc:     # refused before any claim: the published schema names the field
        assert exc.malformed and "/claims/" in str(exc), f"{name}: {exc}"
        ids = [c["id"] for c in cert["claims"]]
        k = int(str(exc).split("/claims/", 1)[1].split("/", 1)[0])
        assert ids[k].startswith(tuple(claim.split("|"))), f"{name}: refused at {ids[k]}, expected {claim}"
        return
    assert not report.ok
    # named: failed, or undecided when the mutated claim happens to be true but does not follow
    # (e.g. an entry bound one short that still exceeds the real t*); "a|b": either name
    named = [c.id for c in report.checks if c.status in ("failed", "undecided")]
    assert any(i.startswith(tuple(claim.split("|"))) for i in named), f"{name}: checker named {named}, expected {claim}"


def test_unmutated_prover_passes_the_checker() -> None:
    """The control: the same certificates without a mutation check (so a catch is a catch)."""
    for target in (INTERVAL, UNION, POLYTOPE, CYCLIC, DEEP):
        report = check_certificate(_certify(target))
        assert report.ok, report.lines()


def test_a_parser_bug_shared_by_both_sides_is_caught_by_the_statement_reader() -> None:
    """The target grammar's parser (symbolic.targets, shared by prover and checker) reads
    "interval:-1/2,1/2" as the interval (-1/2, 5/8) but keeps the text: with the bug active
    while certifying AND checking, both sides agree on the wrong interval; only the checker's
    own reading of the statement (read twice, issue 16) can refuse it, naming "statement"."""
    orig = targets.parse_target

    def misread(text: str) -> Any:
        if text.replace(" ", "") == INTERVAL:
            wrong = orig("interval:-1/2,5/8")
            return dataclasses.replace(wrong, text=orig(text).text)
        return orig(text)

    with pytest.MonkeyPatch.context() as mp:
        _everywhere(mp, targets, "parse_target", misread)
        cert = _certify(INTERVAL)
        assert cert["inputs"]["spec"]["target"] == INTERVAL
        report = check_certificate(cert)
    assert not report.ok, "a wrong interval passed: the statement was read only by the shared parser"
    named = [c.id for c in report.checks if c.status in ("failed", "undecided")]
    assert "statement" in named, named
