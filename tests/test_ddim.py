"""d-dimensional targets (issue 5): exact L(w) for boxes, polytopes and deep balls in
d = 2 and 3 against an independent quadrature of the network's own output, and the
linear regions' cover of the domain.

Reference quadrature (``quad_loss``).  L(w) = integral over Omega of
|f(w, x) - f°(x)|^r dmu with
* f(w, x) from an mpmath forward pass through the network's layers (weights, head),
* f°(x) from the target's level tree (symbolic.targets), evaluated in mpmath,
integrated by nested Gauss-Legendre quadrature over the pieces of Omega on which the
integrand is a polynomial: the network's linear regions split by g = -h, 0, h
(h = 1/(2w), exact rational splits).  On such a piece g is affine, so the error is
0 or (1/2 - w|g|)^r, a polynomial of degree r in x; the nested integral over a
convex polytope (breakpoints in each coordinate at the vertices of the current
section) then integrates polynomials of degree <= r + d - 1 on each interval, which
an n-point rule with 2n - 1 >= r + d - 1 does exactly.  The only error left is
rounding at 30 digits, so agreement to 1e-20 relative is demanded.  If the regions
were wrong (g not affine on a cell, or a jump of f° inside a piece), the rule would
no longer be exact and the comparison would fail.  The derived L(w) comes from a
different route (pushforward density of g, band formula), never from this one.
"""
from __future__ import annotations

import io
from contextlib import redirect_stdout
from fractions import Fraction

import mpmath
import pytest
import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from relu_pointwise.symbolic.errors import InputError
from relu_pointwise.symbolic.loss import derive
from relu_pointwise.symbolic.regions import linear_regions
from relu_pointwise.symbolic.spec import make_spec
from relu_pointwise.symbolic.targets import Affine, DeepBall, Max, Min

Q = sympy.Rational
MP = mpmath.mp.clone()
MP.dps = 30
HSET = settings(max_examples=8)


# ------------------------------------------------------------------ reference quadrature

def _mpf(v):
    return MP.mpf(int(v.numerator)) / int(v.denominator) if not isinstance(v, sympy.Rational) \
        else MP.mpf(int(v.p)) / int(v.q)


class MPNet:
    """mpmath forward pass through the network's layers (sparse rows)."""

    def __init__(self, net):
        self.net = net
        self.layers = [[([(j, _mpf(wij)) for j, wij in enumerate(row) if wij != 0], _mpf(b))
                        for row, b in zip(layer.weight, layer.bias)] for layer in net.hidden]
        self.readout = [(j, _mpf(v)) for j, v in enumerate(net.readout) if v != 0]
        self.rb = _mpf(net.readout_bias)
        self.head = [(_mpf(o), _mpf(b)) for o, b in zip(net.head_out, net.head_bias)]

    def level(self, x):
        h = list(x)
        if "sqnorm" in self.net.features:
            h.append(MP.fsum(v * v for v in x))
        for layer in self.layers:
            h = [max(MP.zero, MP.fsum(wij * h[j] for j, wij in row) + b) for row, b in layer]
        return MP.fsum(v * h[j] for j, v in self.readout) + self.rb

    def output(self, w, x):
        g = self.level(x)
        return MP.fsum(o * max(MP.zero, w * g + b) for o, b in self.head)


def level_mp(level, x):
    """g(x) from the target tree in mpmath (independent of the network)."""
    if isinstance(level, Affine):
        return MP.fsum(_mpf(a) * xi for a, xi in zip(level.coeffs, x)) + _mpf(level.const)
    if isinstance(level, Min):
        return min(level_mp(c, x) for c in level.args)
    if isinstance(level, Max):
        return max(level_mp(c, x) for c in level.args)
    if isinstance(level, DeepBall):
        def q(u):
            tot, t = u, u
            for s in range(1, level.N + 1):
                t = 2 * max(t, 0) - 4 * max(t - MP.mpf(1) / 2, 0) + 2 * max(t - 1, 0)
                tot -= t / MP.mpf(4) ** s
            return tot
        return _mpf(level.R2) - MP.fsum(q(abs(xi)) for xi in x)
    raise TypeError(level)


def _gl_nodes(n):
    """n-point Gauss-Legendre nodes and weights on [-1, 1] at MP precision."""
    import numpy as np

    out = []
    for x0 in np.polynomial.legendre.leggauss(n)[0]:
        x = MP.findroot(lambda t: MP.legendre(n, t), MP.mpf(float(x0)))
        dp = MP.diff(lambda t: MP.legendre(n, t), x)
        out.append((x, 2 / ((1 - x * x) * dp * dp)))
    return out


def _gl(f, a, b, nodes):
    mid, half = (a + b) / 2, (b - a) / 2
    return half * MP.fsum(wt * f(mid + half * x) for x, wt in nodes)


def _integrate(verts, tights, F, nodes, prefix=()):
    """Integral of F over the convex polytope with vertices ``verts`` (facet sets ``tights``),
    by nested Gauss-Legendre with breakpoints at the vertices of each section."""
    k = len(verts[0])
    xs = sorted(set(v[0] for v in verts))
    if k == 1:
        return _gl(lambda t: F(prefix + (t,)), xs[0], xs[-1], nodes)
    total = MP.zero
    for a, b in zip(xs, xs[1:]):
        def section(t, a=a, b=b):
            pts, ts = [], []
            for i, vi in enumerate(verts):
                for j, vj in enumerate(verts):
                    if vi[0] < t < vj[0] and len(tights[i] & tights[j]) >= k - 1:
                        s = (t - vi[0]) / (vj[0] - vi[0])
                        pts.append(tuple(p + s * (q - p) for p, q in zip(vi[1:], vj[1:])))
                        ts.append(tights[i] & tights[j])
            return _integrate(pts, ts, F, nodes, prefix + (t,))
        total += _gl(section, a, b, nodes)
    return total


def quad_loss(spec, wv) -> mpmath.mpf:
    """The reference L(wv) of the module docstring (w > 0 rational, integer r)."""
    wv = Q(wv)
    r = int(spec.r)
    d = spec.dim
    h = 1 / (2 * wv)
    net = MPNet(spec.network)
    level = spec.target.level
    wm = _mpf(wv)
    nodes = _gl_nodes((r + d) // 2 + 1)

    def F(x):
        g0 = level_mp(level, x)
        target = 1 if g0 > 0 else 0 if g0 < 0 else MP.mpf(1) / 2
        return abs(net.output(wm, x) - target) ** r

    total = MP.zero
    for cell in linear_regions(spec.network, spec.domain):
        a = [-c for c in cell.g_coeffs]          # g >= s  <=>  (-a_g).x <= a_g0 - s
        work = [cell.poly]
        for s in (-h, Q(0), h):
            nxt = []
            for P in work:
                lo, hi = P.split(a, cell.g_const - s)   # lo: g >= s, hi: g <= s
                nxt += [p for p in (lo, hi) if p is not None]
            work = nxt
        for P in work:
            centre = [Q(int(c.numerator), int(c.denominator)) for c in P.interior_point()]
            if abs(cell.g_at(centre)) >= h:
                continue                          # error 0 on this piece (|g| >= h)
            verts = [tuple(_mpf(c) for c in v) for v in P.vertices]
            total += _integrate(verts, P.tight_sets(), F, nodes)
    return total * _mpf(spec.density)


def _rel(a, b):
    return abs(a - b) / max(abs(b), MP.mpf(10) ** -40)


def _check(target, ws, r="2", domain=None):
    spec = make_spec(target, domain, r=r)
    der = derive(spec)
    for wv in ws:
        exact = der.loss(Q(wv))
        ref = quad_loss(spec, wv)
        got = MP.mpf(sympy.N(exact, 40))
        assert _rel(got, ref) < MP.mpf(10) ** -20, (target, wv, exact, ref)
    return der


# ------------------------------------------------------------------ pins

def test_square_box_pin_one_over_36():
    """box (-1/2,1/2)^2 in [-1,1]^2, mu uniform probability (density 1/4), r = 2: L(3) = 1/36.

    g = min(x1 + 1/2, 1/2 - x1, x2 + 1/2, 1/2 - x2).  Inside the square g is the distance
    to the nearest edge: {g > s} is the square of side 1 - 2s, so the area of
    {0 < g <= s} is 1 - (1 - 2s)^2 = 4s - 4s^2 (Lebesgue density 4 - 8s in s).  Outside,
    g = -(L-infinity distance to the square): {g >= -s} is the square of side 1 + 2s
    (inside Omega for s <= 1/2), so {-s < g < 0} has area (1 + 2s)^2 - 1 = 4s + 4s^2
    (density 4 + 8s).  Each of the 4 edges contributes 1 from each side; the corner
    terms -8s and +8s cancel, so rho_|g|(u) = (1/4)(4 - 8u + 4 + 8u) = 2 for 0 < u < 1/2.
    With h = 1/(2w) <= 1/2, i.e. w >= 1,
        L(w) = integral_0^h (1/2 - w u)^2 * 2 du = 2 * (1/2)^3 / (3w) = 1/(12 w),
    and L(3) = 1/36.
    """
    spec = make_spec("box:-1/2,1/2;-1/2,1/2")
    der = derive(spec)
    assert der.loss(3) == Q(1, 36)
    assert der.w_star == 1
    assert sympy.simplify(der.asymptotic - 1 / (12 * sympy.Symbol("w", positive=True))) == 0


def test_cli_prints_one_over_36():
    from relu_pointwise.cli import main

    buf = io.StringIO()
    with redirect_stdout(buf):
        rc = main(["derive", "--target", "box:-1/2,1/2;-1/2,1/2", "--w", "3"])
    assert rc == 0
    assert buf.getvalue().strip().splitlines()[-1].strip() == "1/36"


# ------------------------------------------------------------------ derived vs quadrature

def test_box_2d_all_pieces_vs_quadrature():
    # w = 1/3 and 2/3 lie in the pre-asymptotic pieces (the band reaches the cube's edges)
    _check("box:-1/2,1/2;-1/2,1/2", ["1/3", "2/3", "3", "25"])


def test_offcentre_box_2d_r3_vs_quadrature():
    _check("box:-3/4,1/5;-1/3,1/2", ["1/2", "2", "7"], r="3")


def test_polytope_2d_vs_quadrature():
    _check("polytope:1,1,1/2;-1,0,1/2;0,-1,1/2", ["1/4", "1", "3", "40"])


@pytest.mark.parametrize("N", [1, 2])
def test_deep_ball_2d_vs_quadrature(N):
    der = _check(f"ball:d=2,R=1/2,N={N}", ["1", "5", str(2 * 4 ** N)])
    assert der.w_star <= 2 * 4 ** N   # the last w is in the asymptotic regime


def test_union_with_deep_ball_2d_vs_quadrature():
    _check("(box:-1/2,1/2;-1/2,1/2 | ball:d=2,R=3/4,N=1) & halfspace:1,1,1/3", ["1", "6"])


def test_box_3d_vs_quadrature():
    _check("box:-1/2,1/2;-1/4,1/2;-1/2,1/3", ["1", "9"])


def test_simplex_3d_vs_quadrature():
    _check("polytope:1,1,1,1/2;-1,0,0,1/2;0,-1,0,1/2;0,0,-1,1/2", ["1/2", "5"])


def test_deep_ball_3d_vs_quadrature():
    _check("ball:d=3,R=1/2,N=1", ["3"])


# Two distinct ends, sorted: a valid side a < b by construction (filtering invalid draws with
# ``assume`` threw away about half of them and failed Hypothesis' filter health check).
_SIDES = st.lists(st.fractions(min_value=-1, max_value=1, max_denominator=6), min_size=2, max_size=2,
                  unique=True).map(sorted)


@HSET
@given(_SIDES, _SIDES, st.fractions(min_value=Fraction(1, 5), max_value=20, max_denominator=5))
def test_random_boxes_2d_vs_quadrature(side1, side2, wv):
    (a1, b1), (a2, b2) = side1, side2
    target = f"box:{a1},{b1};{a2},{b2}"
    _check(target, [f"{wv.numerator}/{wv.denominator}"])


# ------------------------------------------------------------------ regions

def _pattern_at(net, x):
    """Exact activation pattern at x (sigma'(0) = 0: a zero preactivation is inactive)."""
    h = [Q(v) for v in x]
    pattern = []
    for layer in net.hidden:
        pre = [sum((wij * hj for wij, hj in zip(row, h)), Q(0)) + b for row, b in zip(layer.weight, layer.bias)]
        pattern.append(tuple(1 if p > 0 else 0 for p in pre))
        h = [max(p, Q(0)) for p in pre]
    return tuple(pattern)


@pytest.mark.parametrize("target", [
    "box:-1/2,1/2;-1/2,1/2", "polytope:1,1,1/2;-1,0,1/2;0,-1,1/2", "ball:d=2,R=1/2,N=2",
    "(box:-1/2,1/2;-1/2,1/2 | ball:d=2,R=3/4,N=1) & halfspace:1,1,1/3",
    "ball:d=3,R=1/2,N=1", "polytope:1,1,1,1/2;-1,0,0,1/2;0,-1,0,1/2;0,0,-1,1/2",
])
def test_regions_cover_domain_with_distinct_patterns(target):
    spec = make_spec(target)
    net = spec.network
    cells = linear_regions(net, spec.domain)
    vol = sum((Q(int(c.poly.volume().numerator), int(c.poly.volume().denominator)) for c in cells), Q(0))
    assert vol == spec.domain.volume
    assert len({c.pattern for c in cells}) == len(cells)
    for c in cells:
        centre = [Q(int(v.numerator), int(v.denominator)) for v in c.poly.interior_point()]
        # the cell's pattern is the pattern of its points, and g is the network's g there
        assert _pattern_at(net, centre) == c.pattern
        assert c.g_at(centre) == net.level(centre)
        for v in c.poly.vertices:
            xv = [Q(int(t.numerator), int(t.denominator)) for t in v]
            assert c.g_at(xv) == net.level(xv)


# ------------------------------------------------------------------ plots (d = 2)

def _png_ok(path, min_w, min_h):
    import matplotlib.image as mpimg
    import numpy as np

    img = mpimg.imread(str(path))
    assert img.shape[0] >= min_h and img.shape[1] >= min_w
    rgb = img[..., :3].reshape(-1, 3)
    colours = np.unique(np.round(rgb * 255).astype(int), axis=0)
    assert len(colours) > 20 and float(rgb.std()) > 0.05     # not blank
    return img


def test_region_map_and_output_images(tmp_path):
    from relu_pointwise.proofs.plots2d import _zero_segments, gd_slopes, output_images, region_map

    spec = make_spec("ball:d=2,R=1/2,N=2")
    der = derive(spec)
    p = region_map(spec, tmp_path / "regions.png", der)
    _png_ok(p, 500, 500)
    segs = _zero_segments(der.cells)
    # the drawn boundary lies on the network's {g = 0} (a closed polygon around 0)
    import numpy as np

    from relu_pointwise.proofs.plots2d import forward_level

    ends = np.array([p for seg in segs for p in seg])
    assert len(segs) >= 8 and np.all(np.abs(forward_level(spec.network, ends)) < 1e-12)
    assert ends[:, 0].min() < -0.4 and ends[:, 0].max() > 0.4
    ws = gd_slopes(der, Q(1), Q(0), [0, 10, 1000])
    assert ws[0] == 0 and ws[0] < ws[1] < ws[2]
    q = output_images(spec, ws, tmp_path / "f.png", labels=[f"t = {t}" for t in (0, 10, 1000)])
    _png_ok(q, 700, 300)
    with pytest.raises(InputError, match="d = 2"):
        region_map(make_spec("ball:d=3,R=1/2,N=1"), tmp_path / "x.png")


def test_region_map_exact_ball_and_polytope(tmp_path):
    from relu_pointwise.proofs.plots2d import region_map

    _png_ok(region_map(make_spec("ball:d=2,R=1/2"), tmp_path / "e.png"), 500, 500)
    _png_ok(region_map(make_spec("polytope:1,1,1/2;-1,0,1/2;0,-1,1/2"), tmp_path / "p.png"), 500, 500)


# ------------------------------------------------------------------ spec validation, merge

@pytest.mark.parametrize("target,msg", [
    ("box:-1/2,-1/4;-1/2,1/2 & box:1/4,1/2;-1/2,1/2", "empty inside the domain"),
    ("box:-1/2,0;-1/2,1/2 & box:0,1/2;-1/2,1/2", "empty inside the domain"),      # only an edge in common
    ("halfspace:1,1,0 & halfspace:-1,-1,-1/2", "empty inside the domain"),
    ("halfspace:1,0,2", "contains the whole domain"),
    ("polytope:1,1,1,5;-1,0,0,2", "contains the whole domain"),
    ("ball:d=2,R=1", "0 < R < 1"),
    ("ball:d=9,R=1/2", "from 1 to 8"),
    ("ball:d=2,R=1/2,N=0", "from 1 to 8"),
])
def test_target_validation_errors(target, msg):
    with pytest.raises(InputError, match=msg):
        make_spec(target)


def test_targets_touching_the_domain_boundary_are_accepted():
    """x1 < 1 on [-1,1]^2: g = 1 - x1 vanishes on the face x1 = 1 only; rho_g = 1/2 on (0, 2)
    and rho_g(0-) = 0, so L(w) = (1/2) * (1/2)^3 / (3w) = 1/(48 w) for w >= 1/4."""
    der = derive(make_spec("halfspace:1,0,1"))
    assert der.loss(3) == Q(1, 144)


@HSET
@given(st.lists(st.tuples(st.fractions(-3, 3, max_denominator=4), st.fractions(0, 2, max_denominator=4),
                          st.lists(st.fractions(-5, 5, max_denominator=6), min_size=1, max_size=3)),
                min_size=1, max_size=6),
       st.fractions(-4, 6, max_denominator=97))
def test_merge_is_the_sum_of_pieces(pieces, u):
    """The sweep in pushforward._merge: at a point off the breaks, the merged polynomial
    equals the sum of the pieces that cover the point."""
    from relu_pointwise.symbolic.pushforward import _merge

    ps = [(Q(a.numerator, a.denominator), Q((a + l).numerator, (a + l).denominator),
           tuple(Q(c.numerator, c.denominator) for c in cs)) for a, l, cs in pieces]
    u = Q(u.numerator, u.denominator)
    assume(all(u != a and u != b for a, b, _ in ps))
    merged = _merge(ps)
    want = sum((sum((c * u ** k for k, c in enumerate(cs)), Q(0)) for a, b, cs in ps if a < u < b), Q(0))
    assert merged(u) == want
    assert all(isinstance(b, sympy.Rational) for b in merged.breaks)
