"""Tests for symbolic.polytope (exact polytope geometry)."""

import itertools
import math
import random
from fractions import Fraction

import pytest
import sympy
from gmpy2 import mpq
from hypothesis import given, settings
from hypothesis import strategies as st

from relu_pointwise.symbolic.polytope import Polytope, to_mpq
from relu_pointwise.symbolic.pushforward import (
    _general_cdf_pieces,
    affine_cdf_pieces,
    affine_density_pieces,
    pieces_eval,
    poly_eval,
)

HSET = settings(max_examples=40)

# ---------------------------------------------------------------------------
# strategies / helpers
# ---------------------------------------------------------------------------

small_q = st.fractions(min_value=-3, max_value=3, max_denominator=7)


@st.composite
def boxes(draw, d):
    lo, hi = [], []
    for _ in range(d):
        l = draw(small_q)
        w = draw(st.fractions(min_value=Fraction(1, 7), max_value=4, max_denominator=7))
        lo.append(l)
        hi.append(l + w)
    return lo, hi


@st.composite
def hyperplanes(draw, d):
    a = draw(st.lists(st.integers(-4, 4), min_size=d, max_size=d).filter(any))
    c = draw(st.fractions(min_value=-6, max_value=6, max_denominator=5))
    return a, c


def rand_q(rng, lo=-3, hi=3, den=9):
    return Fraction(rng.randint(lo * den, hi * den), rng.randint(1, den))


def rand_plane_through(rng, P):
    """A random hyperplane through a random point near the centre of P."""
    d = P.dim
    a = [rng.randint(-5, 5) for _ in range(d)]
    if not any(a):
        a[0] = 1
    x = P.interior_point()
    v = P.vertices[rng.randrange(len(P.vertices))]
    t = Fraction(rng.randint(0, 9), 10)
    p = [xi + mpq(t.numerator, t.denominator) * (vi - xi) for xi, vi in zip(x, v)]
    return a, sum(ai * pi for ai, pi in zip(a, p))


def refine(P, planes):
    cells = [P]
    for a, c in planes:
        nxt = []
        for C in cells:
            l, r = C.split(a, c)
            nxt += [X for X in (l, r) if X is not None]
        cells = nxt
    return cells


def random_polytope(rng, d, ncuts):
    P = Polytope.box([-1] * d, [1] * d)
    for _ in range(ncuts):
        a, c = rand_plane_through(rng, P)
        l, r = P.split(a, c)
        P = l if rng.random() < 0.5 else r
    return P


def clip_polygon(pts, a, c):
    """Independent Sutherland-Hodgman clip of an ordered polygon to a.x <= c."""
    out = []
    n = len(pts)
    for i in range(n):
        p, q = pts[i], pts[(i + 1) % n]
        sp = a[0] * p[0] + a[1] * p[1] - c
        sq = a[0] * q[0] + a[1] * q[1] - c
        if sp <= 0:
            out.append(p)
        if (sp < 0 < sq) or (sq < 0 < sp):
            t = sp / (sp - sq)
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return out


def shoelace_area(pts):
    n = len(pts)
    if n < 3:
        return Fraction(0)
    s = sum(pts[i][0] * pts[(i + 1) % n][1] - pts[(i + 1) % n][0] * pts[i][1]
            for i in range(n))
    return abs(s) / 2


def check_cdf(P, a, b, pieces, rng=None, nsamples=0):
    vals = sorted({sum(ai * vi for ai, vi in zip(a, v)) + b for v in P.vertices})
    assert [p[0] for p in pieces] == vals[:-1]
    assert [p[1] for p in pieces] == vals[1:]
    assert all(len(p[2]) == P.dim + 1 for p in pieces)
    assert poly_eval(pieces[0][2], pieces[0][0]) == 0
    assert poly_eval(pieces[-1][2], pieces[-1][1]) == P.volume()
    for (_l0, h0, c0), (l1, _h1, c1) in zip(pieces, pieces[1:]):
        assert poly_eval(c0, h0) == poly_eval(c1, l1)  # continuity
    # density integrates to the volume
    dens = affine_density_pieces(P, a, b)
    total = mpq(0)
    for lo, hi, co in dens:
        total += sum(ci * (hi ** (i + 1) - lo ** (i + 1)) / (i + 1) for i, ci in enumerate(co))
    assert total == P.volume()
    # direct check against clipping at random rational s
    if rng is not None:
        bq = to_mpq(b)
        for _ in range(nsamples):
            lo, hi = vals[0], vals[-1]
            u = Fraction(rng.randint(0, 1000), 1000)
            s = lo + mpq(u.numerator, u.denominator) * (hi - lo)
            left, _ = P.split(a, s - bq)
            direct = mpq(0) if left is None else left.volume()
            assert pieces_eval(pieces, s) == direct


# ---------------------------------------------------------------------------
# conversions and construction
# ---------------------------------------------------------------------------

def test_to_mpq_inputs():
    assert to_mpq(3) == mpq(3)
    assert to_mpq(Fraction(2, 6)) == mpq(1, 3)
    assert to_mpq(sympy.Rational(-5, 10)) == mpq(-1, 2)
    assert to_mpq(sympy.Integer(7)) == mpq(7)
    assert to_mpq(mpq(2, 3)) == mpq(2, 3)
    assert to_mpq("3/4") == mpq(3, 4)
    with pytest.raises(TypeError):
        to_mpq(0.5)
    P = Polytope.box([Fraction(-1, 2), sympy.Rational(0)], [mpq(1, 2), 1])
    assert all(type(x) is type(mpq(0)) for v in P.vertices for x in v)
    assert P.volume() == 1


def test_box_and_bad_input():
    P = Polytope.box([0, 0, 0], [1, 2, 3])
    assert P.dim == 3 and len(P.vertices) == 8 and len(P.constraints) == 6
    assert P.volume() == 6
    assert P.interior_point() == (mpq(1, 2), mpq(1), mpq(3, 2))
    assert P.contains((0, 0, 0)) and not P.contains((0, 0, 0), strict=True)
    assert P.contains((mpq(1, 2), 1, 1), strict=True)
    assert not P.contains((2, 0, 0))
    with pytest.raises(ValueError):
        Polytope.box([0, 1], [1, 1])
    with pytest.raises(ValueError):
        Polytope.from_halfspaces([((1, 0), 1), ((0, 1), 1), ((-1, 0), 0)])  # unbounded
    tri = Polytope.from_halfspaces([((1, 0), 1), ((0, 1), 1), ((-1, -1), 0)])
    assert tri.volume() == 2 and len(tri.vertices) == 3
    with pytest.raises(ValueError):
        Polytope.from_halfspaces([((1,), 0), ((-1,), 0)])  # a point
    with pytest.raises(ValueError):
        P.split((0, 0, 0), 0)


# ---------------------------------------------------------------------------
# volumes
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("d", [1, 2, 3, 4])
def test_volume_simplex_cross_polytope(d):
    B = Polytope.box([0] * d, [1] * d)
    S, rest = B.split([1] * d, 1)
    assert len(S.vertices) == d + 1 and len(S.constraints) == d + 1
    assert S.volume() == mpq(1, math.factorial(d))
    if d > 1:
        assert rest.volume() == 1 - mpq(1, math.factorial(d))
    else:
        assert S is B and rest is None
    # scaled, shifted simplex by from_halfspaces
    cons = [([-1 if j == i else 0 for j in range(d)], -1) for i in range(d)]
    cons.append(([1] * d, d + 3))  # x_i >= 1, sum x <= d + 3: side 3
    T = Polytope.from_halfspaces(cons)
    assert T.volume() == mpq(3 ** d, math.factorial(d))
    # cross-polytope sum |x_i| <= 1 by cutting the box [-1,1]^d
    C = Polytope.box([-1] * d, [1] * d)
    for sg in itertools.product((1, -1), repeat=d):
        C, out = C.split(sg, 1)
    assert len(C.vertices) == 2 * d
    assert C.volume() == mpq(2 ** d, math.factorial(d))
    # half cube by the symmetric diagonal plane
    H, K = B.split([1] * d, mpq(d, 2))
    assert H.volume() == K.volume() == mpq(1, 2)


def test_volume_hexagon_and_ordering():
    # |y| <= 1, |x| + |y| <= 2: vertices (+-2, 0), (+-1, +-1); area 6
    P = Polytope.box([-2, -1], [2, 1])
    for sx, sy in itertools.product((1, -1), repeat=2):
        P, _ = P.split((sx, sy), 2)
    assert len(P.vertices) == 6 and len(P.constraints) == 6
    assert P.volume() == 6
    Q = Polytope.from_halfspaces([((0, 1), 1), ((0, -1), 1), ((1, 1), 2), ((1, -1), 2),
                                  ((-1, 1), 2), ((-1, -1), 2), ((1, 0), 5)])  # last redundant
    assert len(Q.constraints) == 6 and Q.volume() == 6
    assert set(Q.vertices) == set(P.vertices)
    ov = P.ordered_vertices_2d()
    s = sum(ov[i][0] * ov[(i + 1) % 6][1] - ov[(i + 1) % 6][0] * ov[i][1] for i in range(6))
    assert s == 12  # counter-clockwise: positive signed area
    with pytest.raises(ValueError):
        Polytope.box([0], [1]).ordered_vertices_2d()


def test_volume_3d_against_from_halfspaces_and_permutation():
    rng = random.Random(3)
    for _ in range(15):
        P = random_polytope(rng, 3, 6)
        Q = Polytope.from_halfspaces(P.constraints + ((( 1, 0, 0), 50),))
        assert set(P.vertices) == set(Q.vertices)
        assert set(P.constraints) == set(Q.constraints)
        assert P.volume() == Q.volume() > 0
        # volume is invariant under permuting coordinates
        perm = (2, 0, 1)
        R = Polytope.from_halfspaces([(tuple(a[p] for p in perm), c) for a, c in P.constraints])
        assert R.volume() == P.volume()


# ---------------------------------------------------------------------------
# splitting
# ---------------------------------------------------------------------------

def _check_split(P, a, c):
    left, right = P.split(a, c)
    vl = mpq(0) if left is None else left.volume()
    vr = mpq(0) if right is None else right.volume()
    assert vl + vr == P.volume()
    if left is not None:
        assert vl > 0
        assert all(sum(ai * xi for ai, xi in zip(a, v)) <= c for v in left.vertices)
    if right is not None:
        assert vr > 0
        assert all(sum(ai * xi for ai, xi in zip(a, v)) >= c for v in right.vertices)
    if left is None or right is None:
        assert (left or right) is P
    return left, right


@pytest.mark.parametrize("d", [1, 2, 3])
def test_split_preserves_volume(d):
    @HSET
    @given(boxes(d), hyperplanes(d))
    def inner(bx, hp):
        P = Polytope.box(*bx)
        left, right = _check_split(P, *hp)
        # split the pieces again through their own interiors
        for X in (left, right):
            if X is not None and d > 1:
                a2 = [1] + [0] * (d - 1) if hp[0][0] == 0 else [0] * (d - 1) + [1]
                c2 = sum(ai * xi for ai, xi in zip(a2, X.interior_point()))
                l2, r2 = _check_split(X, a2, c2)
                assert l2 is not None and r2 is not None
    inner()


def test_split_degenerate_cases():
    P = Polytope.box([0, 0], [1, 1])
    assert P.split((1, 1), 0) == (None, P)   # touches a vertex only
    assert P.split((1, 1), 2) == (P, None)
    assert P.split((1, 0), 1) == (P, None)   # contains a facet
    assert P.split((1, 0), 3) == (P, None)   # misses
    assert P.split((0, 0), 1) == (P, None)
    l, r = P.split((1, -1), 0)               # through two vertices
    assert len(l.vertices) == len(r.vertices) == 3 and l.volume() == r.volume() == mpq(1, 2)
    T = Polytope.box([0, 0, 0], [1, 1, 1])
    l, r = T.split((1, 1, 0), 1)             # through an edge pair, degenerate
    assert l.volume() == r.volume() == mpq(1, 2)
    assert set(l.vertices) == set(Polytope.from_halfspaces(l.constraints).vertices)


@pytest.mark.parametrize("d,nplanes", [(1, 6), (2, 10), (3, 7)])
def test_repeated_splitting_partitions_box(d, nplanes):
    @HSET
    @given(boxes(d), st.randoms(use_true_random=False))
    def inner(bx, rng):
        P = Polytope.box(*bx)
        planes = []
        for _ in range(nplanes):
            a = [rng.randint(-3, 3) for _ in range(d)]
            if not any(a):
                a[0] = 1
            x = [Fraction(rng.randint(0, 20), 20) for _ in range(d)]
            p = [l + t * (h - l) for l, h, t in zip(bx[0], bx[1], x)]
            planes.append((a, sum(ai * pi for ai, pi in zip(a, p))))
        cells = refine(P, planes)
        assert sum(C.volume() for C in cells) == P.volume()
        for C in cells:
            x = C.interior_point()
            assert C.contains(x, strict=True)
            assert sum(D.contains(x) for D in cells) == 1
            # the cell lies on one side of every plane
            for a, c in planes:
                vals = [sum(ai * vi for ai, vi in zip(a, v)) - c for v in C.vertices]
                assert all(v <= 0 for v in vals) or all(v >= 0 for v in vals)
    inner()


def test_incremental_matches_brute_force():
    rng = random.Random(11)
    for d in (2, 3, 4):
        for _ in range(6):
            P = random_polytope(rng, d, 5 if d < 4 else 3)
            Q = Polytope.from_halfspaces(P.constraints)
            assert set(P.vertices) == set(Q.vertices)
            assert set(P.constraints) == set(Q.constraints)
            # tight sets agree
            tp = {v: frozenset(P.constraints[j] for j in t)
                  for v, t in zip(P.vertices, P.tight_sets())}
            tq = {v: frozenset(Q.constraints[j] for j in t)
                  for v, t in zip(Q.vertices, Q.tight_sets())}
            assert tp == tq
            assert P.volume() == Q.volume()


def test_grid_cells():
    P = Polytope.box([-1, -1], [1, 1])
    lines = [((1, 0), mpq(k, 4)) for k in range(-3, 4)] + [((0, 1), mpq(k, 4)) for k in range(-3, 4)]
    cells = refine(P, lines)
    assert len(cells) == 64
    assert all(C.is_box() and C.volume() == mpq(1, 16) for C in cells)


# ---------------------------------------------------------------------------
# CDF / density of affine pushforwards
# ---------------------------------------------------------------------------

def test_pinned_square_diagonal():
    """[-1,1]^2, g = x1 + x2:  V(s) = (s+2)^2/2 on [-2,0], 4 - (2-s)^2/2 on [0,2]."""
    P = Polytope.box([-1, -1], [1, 1])
    expected = [(mpq(-2), mpq(0), (mpq(2), mpq(2), mpq(1, 2))),
                (mpq(0), mpq(2), (mpq(2), mpq(2), mpq(-1, 2)))]
    assert affine_cdf_pieces(P, (1, 1), 0) == expected
    assert _general_cdf_pieces(P, (mpq(1), mpq(1)), mpq(0)) == expected
    assert affine_density_pieces(P, (1, 1), 0) == [
        (mpq(-2), mpq(0), (mpq(2), mpq(1))), (mpq(0), mpq(2), (mpq(2), mpq(-1)))]
    for s in (Fraction(-3, 2), Fraction(1, 3)):
        sq = to_mpq(s)
        ref = (sq + 2) ** 2 / 2 if s <= 0 else 4 - (2 - sq) ** 2 / 2
        assert pieces_eval(expected, sq) == ref
    with pytest.raises(ValueError, match="level function is constant on a region"):
        affine_cdf_pieces(P, (0, 0), 1)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_box_fast_path_matches_general(d):
    @HSET
    @given(boxes(d), st.lists(st.integers(-3, 3), min_size=d, max_size=d).filter(any), small_q)
    def inner(bx, a, b):
        P = Polytope.box(*bx)
        fast = affine_cdf_pieces(P, a, b)
        gen = _general_cdf_pieces(P, tuple(map(to_mpq, a)), to_mpq(b))
        assert fast == gen
        check_cdf(P, a, b, fast)
    inner()


def test_cdf_2d_against_shoelace_clip():
    @HSET
    @given(st.randoms(use_true_random=False))
    def inner(rng):
        P = random_polytope(rng, 2, rng.randint(0, 5))
        a = [rng.randint(-4, 4), rng.randint(-4, 4)]
        if not any(a):
            a[1] = 1
        b = rand_q(rng)
        pieces = affine_cdf_pieces(P, a, b)
        check_cdf(P, a, b, pieces)
        poly = [tuple(Fraction(int(x.numerator), int(x.denominator)) for x in v)
                for v in P.ordered_vertices_2d()]
        lo, hi = pieces[0][0], pieces[-1][1]
        for _ in range(5):
            u = Fraction(rng.randint(-100, 1100), 1000)
            s = Fraction(int(lo.numerator), int(lo.denominator)) + u * Fraction(
                int((hi - lo).numerator), int((hi - lo).denominator))
            area = shoelace_area(clip_polygon(poly, a, s - b))
            assert pieces_eval(pieces, to_mpq(s)) == to_mpq(area)
    inner()


@pytest.mark.parametrize("d", [3, 4])
def test_cdf_general_polytopes(d):
    rng = random.Random(5 + d)
    for _ in range(4 if d == 3 else 2):
        P = random_polytope(rng, d, 4 if d == 3 else 2)
        a = [rng.randint(-3, 3) for _ in range(d)]
        if not any(a):
            a[0] = 2
        b = rand_q(rng)
        pieces = affine_cdf_pieces(P, a, b)
        check_cdf(P, a, b, pieces, rng, nsamples=3 if d == 3 else 1)


def test_cdf_1d():
    P = Polytope.box([1], [3])
    assert affine_cdf_pieces(P, [-2], 1) == [(mpq(-5), mpq(-1), (mpq(5, 2), mpq(1, 2)))]
    assert affine_density_pieces(P, [-2], 1) == [(mpq(-5), mpq(-1), (mpq(1, 2),))]


# ---------------------------------------------------------------------------
# the volume algorithm against the previous one (tests/polytope_reference.py)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("d,ncuts", [(2, 6), (3, 6), (4, 5), pytest.param(5, 4, marks=pytest.mark.slow)])
def test_volume_equals_reference_algorithm(d, ncuts):
    """The bitmask-ridge cone decomposition gives the identical exact volume as the previous
    recursive facet decomposition (rank-checked ridges, re-indexed vertices) on random
    polytopes cut from the cube, and the parts of every split add up to the whole."""
    from polytope_reference import _volume_rec

    @given(st.randoms(use_true_random=False))
    @settings(max_examples=12 if d < 5 else 6)
    def inner(rng):
        P = random_polytope(rng, d, ncuts)
        ref = _volume_rec(d, P.vertices, P._masks, P.constraints)
        assert P.volume() == ref
        a, c = rand_plane_through(rng, P)
        left, right = P.split(a, c)
        parts = [X for X in (left, right) if X is not None]
        assert sum((X.volume() for X in parts), mpq(0)) == ref

    inner()


@pytest.mark.parametrize("d,ncuts", [(1, 2), (2, 5), (3, 5), (4, 4), pytest.param(5, 3, marks=pytest.mark.slow)])
def test_cdf_and_density_equal_reference_algorithm(d, ncuts):
    """The triangulation + B-spline CDF gives the identical exact pieces as the previous
    algorithm (d+1 values V(s) by clipping and volume, interpolated), and the density pieces
    are its derivative, on random polytopes and random affine g."""
    from polytope_reference import _general_cdf_pieces as reference_cdf

    @given(st.randoms(use_true_random=False),
           st.lists(st.integers(-3, 3), min_size=d, max_size=d).filter(any), small_q)
    @settings(max_examples=10 if d < 5 else 5)
    def inner(rng, a, b):
        P = random_polytope(rng, d, ncuts)
        a_q, b_q = tuple(to_mpq(x) for x in a), to_mpq(b)
        new = _general_cdf_pieces(P, a_q, b_q)
        assert new == reference_cdf(P, a_q, b_q)
        if not P.is_box():
            dens = affine_density_pieces(P, a, b)
            assert [(lo, hi) for lo, hi, _ in dens] == [(lo, hi) for lo, hi, _ in new]
            assert all(list(r) == [c[i] * i for i in range(1, len(c))] for (_, _, r), (_, _, c) in zip(dens, new))

    inner()


@pytest.mark.parametrize("d", [1, 2, 3, 4])
def test_simplices_triangulate_with_determinant_volumes(d):
    """Polytope.simplices: each simplex's volume (from the cone heights) is |det(v_i - v_0)|/d!,
    computed here by SymPy, the simplices' vertices are vertices of P, and the volumes add up
    to vol(P)."""
    @given(st.randoms(use_true_random=False))
    @settings(max_examples=8)
    def inner(rng):
        P = random_polytope(rng, d, 4)
        S = P.simplices()
        for ids, vol in S:
            assert len(set(ids)) == d + 1
            v0 = P.vertices[ids[0]]
            M = sympy.Matrix([[sympy.Rational(int((x - y).numerator), int((x - y).denominator))
                               for x, y in zip(P.vertices[i], v0)] for i in ids[1:]])
            assert to_mpq(abs(M.det()) / math.factorial(d)) == vol
        assert sum((v for _, v in S), mpq(0)) == P.volume()

    inner()
