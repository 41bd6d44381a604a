"""The checker's own geometry (proofs/check/activation.py, density.py, partition.py): its cells
partition the domain, g is affine with one sign on each, its closed-form L and L' equal the old
per-w simplex integral exactly, the fast path enclosure agrees with the exact iteration, caps
refuse before the work, and every certificate certify issues on the benchmark's targets verifies."""
from __future__ import annotations

import time

import pytest
from gmpy2 import mpq
from hypothesis import given, settings
from hypothesis import strategies as st

from relu_pointwise.proofs.check import cells as C
from relu_pointwise.proofs.check import check_certificate
from relu_pointwise.proofs.check.activation import MAX_DIM, TooLarge, activation_regions, evaluate, refine
from relu_pointwise.proofs.check.density import bspline, closed_forms, det_volume, simplices
from relu_pointwise.proofs.check.partition import check_progress, partition
from relu_pointwise.symbolic.spec import Spec, make_spec, make_training, parse_domain
from relu_pointwise.symbolic.targets import parse_target


def _frac(draw, lo: int, hi: int) -> mpq:
    den = draw(st.sampled_from([1, 2, 3, 4, 5, 8]))
    return mpq(draw(st.integers(lo * den, hi * den)), den)


@st.composite
def targets(draw) -> str:
    """Small targets inside (-1, 1)^d of every piecewise-linear family, d = 1..3."""
    kind = draw(st.sampled_from(["interval", "union", "box", "halfspace", "polytope", "ball"]))
    if kind == "interval":
        a = _frac(draw, -1, 0)
        b = a + draw(st.sampled_from([mpq(1, 4), mpq(1, 2), mpq(3, 4)]))
        return f"interval:{a},{b}"
    if kind == "union":
        return "union:-3/4,-1/4;1/8,5/8"
    if kind == "ball":
        d, N = draw(st.sampled_from([(2, 1), (2, 2), (3, 1)]))
        return f"ball:d={d},R=1/2,N={N}"
    d = draw(st.integers(2, 3))
    if kind == "box":
        sides = []
        for _ in range(d):
            a = _frac(draw, -1, 0) / 2
            sides.append(f"{a},{a + draw(st.sampled_from([mpq(1, 2), mpq(3, 4)]))}")
        return "box:" + ";".join(sides)

    def face() -> str:
        a = [draw(st.integers(-2, 2)) for _ in range(d - 1)] + [draw(st.sampled_from([-1, 1]))]
        return ",".join(str(v) for v in a) + f",{_frac(draw, 0, 1) / 2}"

    if kind == "halfspace":
        return "halfspace:" + face()
    return "polytope:" + ";".join(face() for _ in range(draw(st.integers(2, 3))))


def _spec(target: str) -> Spec:
    t = parse_target(target)
    return Spec(t, parse_domain("-1,1", t.dim))


def _box_volume(spec: Spec) -> mpq:
    v = mpq(1)
    for a, b in zip(spec.domain.lo, spec.domain.hi):
        v *= C.q(b) - C.q(a)
    return v


@settings(max_examples=25)
@given(targets())
def test_cells_partition_the_domain(target):
    """The triangulated cells' volumes sum to the box's, and the density of |g| (pieces plus
    atoms) carries exactly that mass."""
    spec = _spec(target)
    part = partition(C.Net.of(spec.network), spec.target.level, spec.domain.lo, spec.domain.hi)
    assert part.volume == _box_volume(spec)
    breaks, coeffs, atoms = part.push.density()
    mass = sum(atoms.values(), mpq(0))
    for (a, b), co in zip(zip(breaks, breaks[1:]), coeffs):
        mass += sum((c * (b ** (k + 1) - a ** (k + 1)) / (k + 1) for k, c in enumerate(co)), mpq(0))
    assert mass == part.volume


@settings(max_examples=20)
@given(targets(), st.randoms(use_true_random=False))
def test_the_level_function_is_affine_with_one_sign_on_each_cell(target, rnd):
    """At every vertex and at random convex combinations of the vertices of each cell, the
    network's exact forward pass equals the cell's affine map, and never takes both strict signs;
    the target's geometric sign is constant on the open cell (checked at the random points)."""
    spec = _spec(target)
    net = C.Net.of(spec.network)
    lo, hi = [C.q(v) for v in spec.domain.lo], [C.q(v) for v in spec.domain.hi]
    faces = C.target_faces(spec.target.level, lo, hi)
    first = 2 * spec.dim + sum(len(b) for _, b in net.layers)
    for reg, g in activation_regions(net, lo, hi):
        for piece in refine(reg, [g, *faces], first):
            vals = evaluate(g, piece.verts)
            assert [net.level(v) for v in piece.verts] == vals
            assert not (any(v > 0 for v in vals) and any(v < 0 for v in vals))
            signs = set()
            for _ in range(3):
                lam = [mpq(rnd.randrange(1, 50)) for _ in piece.verts]
                tot = sum(lam, mpq(0))
                x = tuple(sum((w * v[i] for w, v in zip(lam, piece.verts)), mpq(0)) / tot
                          for i in range(spec.dim))
                assert net.level(x) == evaluate(g, [x])[0]
                s = C.geometric_level(spec.target.level, x)
                signs.add((s > 0) - (s < 0))
            assert len(signs - {0}) <= 1


@settings(max_examples=10)
@given(targets(), st.integers(1, 3), st.sampled_from(["probability", "lebesgue"]),
       st.lists(st.fractions(min_value=0, max_value=12, max_denominator=17), min_size=2, max_size=2))
def test_closed_form_L_equals_the_old_per_w_integral(target, r, measure, ws):
    """The closed form from the density of |g| equals, exactly, the old route: Kuhn simplices cut by
    every neuron, g = 0 and the target's faces, then by w g = +-1/2, integrated per w."""
    t = parse_target(target)
    spec = Spec(t, parse_domain("-1,1", t.dim), r=r, measure=measure)
    net = C.Net.of(spec.network)
    density = C.q(spec.density)
    part = partition(net, t.level, spec.domain.lo, spec.domain.hi)
    L, mdL = closed_forms(part.push, r, density)
    old = C.decompose(net, t.level, spec.domain.lo, spec.domain.hi)
    for w in [mpq(0), *(mpq(f.numerator, f.denominator) for f in ws)]:
        assert -r * mdL(w) == C.loss_derivative(old, w, mpq(r), density)
        if w > 0:
            assert L(w) == C.loss_integral(old, w, mpq(r), density)


@settings(max_examples=10)
@given(targets(), st.integers(1, 3), st.fractions(min_value=0, max_value=6, max_denominator=9))
def test_w_pieces_are_the_closed_form(target, r, w):
    """The Laurent pieces cover [w_lo, oo) without gaps and each evaluates to L inside it."""
    from relu_pointwise.proofs.check.density import w_pieces
    spec = _spec(target)
    part = partition(C.Net.of(spec.network), spec.target.level, spec.domain.lo, spec.domain.hi)
    L, _ = closed_forms(part.push, r, C.q(spec.density))
    w_lo = mpq(w.numerator, w.denominator) + mpq(1, 7)
    pieces = w_pieces(L, w_lo)
    assert pieces[0][1] is None and pieces[-1][0] == w_lo          # they cover [w_lo, oo) ...
    assert all(p[0] == q[1] for p, q in zip(pieces, pieces[1:]))   # ... without gaps
    for a, b, lau in pieces:
        x = (a + b) / 2 if b is not None else a + 1
        assert sum((c * x ** p for p, c in lau.items()), mpq(0)) == L(x)


def test_bspline_and_volume_reference():
    """Hand-derived: on the triangle (0,0), (1,0), (0,1) (area 1/2) with g = x + y, the values are
    (0, 1, 1): g(X) has density 2s on [0, 1] (the level set {x + y = s} has length s sqrt 2, the
    gradient norm sqrt 2, over area 1/2). Knots (0, 0, 1) give M = 2(1 - s) (density of x + y on
    the triangle with g-values (0, 0, 1), e.g. g = y)."""
    tri = [(mpq(0), mpq(0)), (mpq(1), mpq(0)), (mpq(0), mpq(1))]
    assert det_volume(tri) == mpq(1, 2)
    assert bspline([mpq(0), mpq(1), mpq(1)]) == [(0, 1, [0, 2])]
    assert bspline([mpq(0), mpq(0), mpq(1)]) == [(0, 1, [2, -2])]


def test_a_cube_region_is_triangulated_into_d_factorial_simplices_of_equal_volume():
    """The cone-from-a-vertex triangulation of [0, 1]^3: 3! = 6 simplices, each of volume 1/6."""
    from relu_pointwise.proofs.check.activation import box
    out = simplices(box([mpq(0)] * 3, [mpq(1)] * 3))
    assert len(out) == 6 and all(v == mpq(1, 6) for _, v in out)


def test_high_dimension_is_refused_before_any_work():
    """A half-space in d = 10 (issue 21: the Kuhn route took 5.5 GB): refused up front, in
    milliseconds, with the reason."""
    d = MAX_DIM + 2
    target = "halfspace:" + ",".join(["1"] * d) + ",0"
    t = parse_target(target)
    spec = Spec(t, parse_domain("-1,1", t.dim))
    start = time.perf_counter()
    with pytest.raises(TooLarge, match="dimensions"):
        partition(C.Net.of(spec.network), t.level, spec.domain.lo, spec.domain.hi)
    assert time.perf_counter() - start < 5
    with pytest.raises(TooLarge, match="cap"):
        partition(C.Net.of(_spec("interval:-1/2,1/2").network), parse_target("interval:-1/2,1/2").level,
                  ["-1"], ["1"], estimate=10 ** 7)


def test_progress_reports_cells_to_the_hook_only():
    seen = []
    spec = _spec("ball:d=2,R=1/2,N=2")
    with check_progress(lambda what, n, est: seen.append((what, n, est))):
        partition(C.Net.of(spec.network), spec.target.level, spec.domain.lo, spec.domain.hi, estimate=64)
    assert seen and seen[-1] == ("cells", 64, 64)
    n = len(seen)
    partition(C.Net.of(spec.network), spec.target.level, spec.domain.lo, spec.domain.hi)
    assert len(seen) == n


# ---------------------------------------------------------------- every benchmark certificate verifies

def _box(d: int) -> str:
    return "box:" + ";".join(["-1/2,1/2"] * d)


FAST = ["interval:-1/2,1/2", _box(2), _box(3), "ball:d=2,R=1/2,N=1", "ball:d=2,R=1/2,N=2",
        "ball:d=3,R=1/2,N=1", "union:-3/4,-1/4;1/8,5/8", "polytope:1,1,1/2;-1,1,1/2;0,-1,1/2",
        "ball:d=2,R=1/2"]
SLOW = [_box(4), _box(5), "ball:d=2,R=1/2,N=3", "ball:d=2,R=1/2,N=4", "ball:d=2,R=1/2,N=5",
        "ball:d=3,R=1/2,N=2", "ball:d=3,R=1/2,N=3", "ball:d=3,R=1/2", "ball:d=4,R=1/2"]


def _certified_and_verified(target: str) -> None:
    from relu_pointwise.proofs.certificate import certify
    cert = certify(make_spec(target), make_training())
    assert cert["verdict"] == "certified", target
    report = check_certificate(cert)
    assert report.ok, [c for c in report.checks if c.status != "checked"][:3]


@pytest.mark.parametrize("target", FAST)
def test_every_small_benchmark_certificate_verifies(target):
    _certified_and_verified(target)


@pytest.mark.slow
@pytest.mark.parametrize("target", SLOW)
def test_every_benchmark_certificate_verifies(target):
    _certified_and_verified(target)
