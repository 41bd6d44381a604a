"""The checker's own geometry: the network forward in exact rationals, the target's
geometric definition, a Kuhn triangulation of the domain cut by every neuron, and
exact integrals of the network's actual error over the resulting simplices.

Nothing here comes from the prover (``symbolic.regions``, ``polytope``, ``loss``):

* cells: the box is split into d! Kuhn simplices (one per permutation pi:
  v_0 = lo, v_k = v_{k-1} + (hi - lo)_{pi(k)} e_{pi(k)}); then, layer by layer,
  every neuron's pre-activation h (affine on a cell once the earlier layers are
  cut) splits each simplex with vertices of both strict signs by stellar
  subdivision of one crossing edge p-n at z = p + h(p)/(h(p) - h(n)) (n - p):
  conv(S) = conv(S with p := z) U conv(S with n := z), both simplices, recursively.
  After the hidden layers g is affine on every cell; the cells are then cut by
  g = 0 and by the target's own faces, so f° is constant on each open cell;
* the error of the network on a cell, for a fixed w > 0, after cutting by
  w g = +-1/2: with u = w g, e = |clamp(u + 1/2, 0, 1) - f°| is 1 - f° (u >= 1/2),
  f° (u <= -1/2) or the affine function 1/2 + s u (s = +1 if f° = 0, -1 if f° = 1);
* exact integral of an affine e^k over a d-simplex with vertex values E_0..E_d:
  vol(S) k! d! / (k + d)! h_k(E_0, ..., E_d), h_k the complete homogeneous
  symmetric polynomial (integer k); for non-integer r only in 1-D:
  (x_1 - x_0) (E_1^(r+1) - E_0^(r+1)) / ((r + 1)(E_1 - E_0)), in Arb.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import permutations
from math import factorial
from typing import Any

import flint
from gmpy2 import mpq

from relu_pointwise.symbolic.targets import Affine, DeepBall, ExactBall, Max, Min

from .activation import TooLarge

Point = tuple[Any, ...]
Simplex = tuple[Point, ...]

MAX_CELLS = 60_000


def q(v: Any) -> Any:
    """An exact mpq from a SymPy Rational, int or Fraction."""
    if hasattr(v, "p") and hasattr(v, "q"):
        return mpq(int(v.p), int(v.q))
    return mpq(v)


# ------------------------------------------------------------------ the network

@dataclass(frozen=True)
class Net:
    """The layered network's weights as exact mpq (read off ``symbolic.network.Network``)."""

    layers: tuple[tuple[tuple[tuple[Any, ...], ...], tuple[Any, ...]], ...]
    readout: tuple[Any, ...]
    readout_bias: Any
    head_bias: tuple[Any, ...]
    head_out: tuple[Any, ...]
    sqnorm: bool

    @staticmethod
    def of(network: Any) -> Net:
        layers = tuple((tuple(tuple(q(v) for v in row) for row in lay.weight), tuple(q(b) for b in lay.bias))
                       for lay in network.hidden)
        return Net(layers, tuple(q(v) for v in network.readout), q(network.readout_bias),
                   tuple(q(b) for b in network.head_bias), tuple(q(o) for o in network.head_out),
                   "sqnorm" in network.features)

    def pre(self, x: Point) -> tuple[list[list[Any]], Any]:
        """Pre-activations of every hidden layer at x, and g(x) (the readout), exact."""
        h = list(x) + ([sum((v * v for v in x), mpq(0))] if self.sqnorm else [])
        pres = []
        for weight, bias in self.layers:
            z = [sum((a * b for a, b in zip(row, h)), mpq(0)) + c for row, c in zip(weight, bias)]
            pres.append(z)
            h = [v if v > 0 else mpq(0) for v in z]
        return pres, sum((a * b for a, b in zip(self.readout, h)), mpq(0)) + self.readout_bias

    def level(self, x: Point) -> Any:
        return self.pre(x)[1]


# ------------------------------------------------------------------ the target, geometrically

def interp_square(u: Any, N: int) -> Any:
    """The piecewise-linear interpolant of u^2 at the nodes k/2^N (u in [0, 1]), by interpolation:
    with a = floor(u 2^N)/2^N, b = a + 2^-N: a^2 + (a + b)(u - a)."""
    step = mpq(1, 2 ** N)
    a = mpq(int(u / step)) * step
    return a * a + (2 * a + step) * (u - a)


_AFFINE: dict[int, tuple[Any, list[Any], Any]] = {}   # a face's coefficients as mpq, converted once


def geometric_level(level: Any, x: Point) -> Any:
    """A value whose sign is the target's membership at x, from its geometric definition:
    the half-spaces a . x + c > 0 (interval ends, box faces, polytope faces), min / max for
    intersection / union, R^2 - |x|^2 for the ball, R^2 - sum_i I_N(|x_i|) for the deep ball
    (I_N the interpolant of u^2 at k/2^N)."""
    if isinstance(level, Affine):
        a = _AFFINE.get(id(level))
        if a is None or a[0] is not level:
            a = _AFFINE[id(level)] = (level, [q(c) for c in level.coeffs], q(level.const))
        return sum((c * v for c, v in zip(a[1], x)), a[2])
    if isinstance(level, Min):
        return min(geometric_level(c, x) for c in level.args)
    if isinstance(level, Max):
        return max(geometric_level(c, x) for c in level.args)
    if isinstance(level, ExactBall):
        return q(level.R2) - sum((v * v for v in x), mpq(0))
    if isinstance(level, DeepBall):
        return q(level.R2) - sum((interp_square(abs(v), level.N) for v in x), mpq(0))
    raise TypeError(f"unknown target node {type(level).__name__}")


def target_value(level: Any, x: Point) -> Any:
    """f°(x) = 1, 0 or 1/2 from the geometric definition."""
    s = geometric_level(level, x)
    return mpq(1) if s > 0 else mpq(0) if s < 0 else mpq(1, 2)


def _axis(i: int, t: Any, x: Point) -> Any:
    return x[i] - t


def face_functions(level: Any, dim: int) -> list[Callable[[Point], Any]] | None:
    """Affine functions whose zero sets, once cut, leave f° constant on every open cell
    (None for the exact ball, whose boundary is curved)."""
    if isinstance(level, Affine):
        return [partial(geometric_level, level)]
    if isinstance(level, (Min, Max)):
        out: list[Callable[[Point], Any]] = []
        for c in level.args:
            sub = face_functions(c, dim)
            if sub is None:
                return None
            out += sub
        return out
    if isinstance(level, DeepBall):
        nodes = [mpq(k, 2 ** level.N) for k in range(-2 ** level.N, 2 ** level.N + 1)]
        axis: list[Callable[[Point], Any]] = [partial(_axis, i, t) for i in range(dim) for t in nodes]
        return [*axis, partial(geometric_level, level)]
    return None


# ------------------------------------------------------------------ the target's faces as affine maps

def _deep_level(level: Any, dim: int, x: Point) -> list[Any]:
    """R^2 - sum_i I_N(|x_i|) as an affine map on the node cell holding x (x off the nodes):
    with u = s_i x_i (s_i the sign of x_i), a the node below u and h = 2^-N,
    I_N(u) = a^2 + (2a + h)(u - a) = (2a + h) s_i x_i - a^2 - a h."""
    h = mpq(1, 2 ** level.N)
    coeffs, const = [], q(level.R2)
    for v in x:
        s = 1 if v > 0 else -1
        a = mpq(int(abs(v) / h)) * h
        coeffs.append(-(2 * a + h) * s)
        const += a * a + a * h
    return [*coeffs, const]


def target_faces(level: Any, lo: Sequence[Any], hi: Sequence[Any]) -> list[Any] | None:
    """Hyperplanes ([a, c]: a . x + c = 0) and piecewise-affine faces (functions of an interior
    point of the piece giving its affine map) whose cuts leave f° constant on every open cell
    (None for the exact ball, whose boundary is curved). Deep ball: the axis hyperplanes
    x_i = k 2^-N inside the domain, then its level, affine on each node cell."""
    dim = len(lo)
    if isinstance(level, Affine):
        return [[*(q(a) for a in level.coeffs), q(level.const)]]
    if isinstance(level, (Min, Max)):
        out: list[Any] = []
        for c in level.args:
            sub = target_faces(c, lo, hi)
            if sub is None:
                return None
            out += sub
        return out
    if isinstance(level, DeepBall):
        step = mpq(1, 2 ** level.N)
        axis: list[Any] = []
        for i in range(dim):
            k = int((q(lo[i]) / step).__floor__()) + 1
            while k * step < q(hi[i]):
                axis.append([mpq(1) if j == i else mpq(0) for j in range(dim)] + [-k * step])
                k += 1
        return [*axis, partial(_deep_level, level, dim)]
    return None


# ------------------------------------------------------------------ simplices

def kuhn(lo: Sequence[Any], hi: Sequence[Any]) -> list[Simplex]:
    """The d! Kuhn simplices of the box prod [lo_i, hi_i] (refused before building when d! alone
    passes the cell cap)."""
    if factorial(len(lo)) > MAX_CELLS:
        raise TooLarge(f"{len(lo)}! = {factorial(len(lo))} Kuhn simplices exceed the cap of {MAX_CELLS} cells")
    out = []
    for perm in permutations(range(len(lo))):
        v = list(lo)
        verts = [tuple(v)]
        for i in perm:
            v[i] = hi[i]
            verts.append(tuple(v))
        out.append(tuple(verts))
    return out


def split(simplex: Simplex, h: Callable[[Point], Any]) -> list[Simplex]:
    """Simplices covering ``simplex`` on each of which h (affine on it) has one weak sign."""
    vals = [h(v) for v in simplex]
    i = next((k for k, a in enumerate(vals) if a > 0), None)
    j = next((k for k, a in enumerate(vals) if a < 0), None)
    if i is None or j is None:
        return [simplex]
    p, n, a, b = simplex[i], simplex[j], vals[i], vals[j]
    t = a / (a - b)
    z = tuple(pi + t * (ni - pi) for pi, ni in zip(p, n))
    return (split(simplex[:i] + (z,) + simplex[i + 1:], h)
            + split(simplex[:j] + (z,) + simplex[j + 1:], h))


def cut_all(cells: list[Simplex], h: Callable[[Point], Any]) -> list[Simplex]:
    out: list[Simplex] = []
    for s in cells:
        out += split(s, h)
        if len(out) > MAX_CELLS:
            raise TooLarge(f"more than {MAX_CELLS} cells")
    return out


def volume(s: Simplex) -> Any:
    """|det(v_1 - v_0, ..., v_d - v_0)| / d! (exact, fraction-free elimination on mpq)."""
    d = len(s) - 1
    m = [[s[k + 1][i] - s[0][i] for i in range(d)] for k in range(d)]
    det = mpq(1)
    for c in range(d):
        piv = next((r for r in range(c, d) if m[r][c] != 0), None)
        if piv is None:
            return mpq(0)
        if piv != c:
            m[c], m[piv] = m[piv], m[c]
            det = -det
        det *= m[c][c]
        for r in range(c + 1, d):
            f = m[r][c] / m[c][c]
            m[r] = [x - f * y for x, y in zip(m[r], m[c])]
    return abs(det) / factorial(d)


def centroid(s: Simplex) -> Point:
    n = len(s)
    return tuple(sum((v[i] for v in s), mpq(0)) / n for i in range(len(s[0])))


def complete_h(k: int, xs: Sequence[Any]) -> Any:
    """h_k(x_0, ..., x_n) = sum over monomials of degree k (h_k(x..) = sum_j x_n^j h_{k-j}(x_0..x_{n-1}))."""
    row = [mpq(1)] + [mpq(0)] * k
    for x in xs:
        new = []
        for m in range(k + 1):
            acc, p = mpq(0), mpq(1)
            for j in range(m + 1):
                acc += p * row[m - j]
                p *= x
            new.append(acc)
        row = new
    return row[k]


def affine_power_integral(s: Simplex, vals: Sequence[Any], k: int, vol: Any) -> Any:
    """integral over s of e^k, e affine with vertex values ``vals``, integer k >= 0 (exact)."""
    d = len(s) - 1
    return vol * mpq(factorial(k) * factorial(d), factorial(k + d)) * complete_h(k, vals)


def arb_of(v: Any) -> Any:
    return flint.arb(flint.fmpq(int(v.numerator), int(v.denominator)))


def affine_power_integral_1d(s: Simplex, vals: Sequence[Any], r: Any) -> Any:
    """integral over [x_0, x_1] of e^r, e affine >= 0, r rational (an Arb ball)."""
    length = arb_of(abs(s[1][0] - s[0][0]))
    e0, e1 = vals
    if e0 == e1:
        return length * arb_of(e0) ** r
    r1 = r + 1
    return length * (arb_of(e1) ** r1 - arb_of(e0) ** r1) / (r1 * arb_of(e1 - e0))


# ------------------------------------------------------------------ the decomposition

@dataclass
class Cell:
    """A simplex on which g is affine and f° constant (``fo``); ``g`` its vertex values."""

    simplex: Simplex
    g: tuple[Any, ...]
    fo: Any


def decompose(net: Net, level: Any, lo: Sequence[Any], hi: Sequence[Any]) -> list[Cell]:
    """Kuhn simplices cut by every hidden neuron (layer order), by g = 0 and by the target's faces."""
    if net.sqnorm:
        raise TooLarge("the exact-ball feature |x|^2 is not piecewise linear")
    faces = face_functions(level, len(lo))
    if faces is None:
        raise TooLarge("the target's boundary is curved (exact ball)")
    cache: dict[Point, tuple[list[list[Any]], Any]] = {}

    def pre(x: Point) -> tuple[list[list[Any]], Any]:
        if x not in cache:
            cache[x] = net.pre(x)
        return cache[x]

    cells = kuhn([q(v) for v in lo], [q(v) for v in hi])
    def neuron(k: int, j: int, x: Point) -> Any:
        return pre(x)[0][k][j]

    for k, (_, bias) in enumerate(net.layers):
        for j in range(len(bias)):
            cells = cut_all(cells, partial(neuron, k, j))
    cells = cut_all(cells, lambda x: pre(x)[1])
    for f in faces:
        cells = cut_all(cells, f)
    return [Cell(s, tuple(pre(v)[1] for v in s), target_value(level, centroid(s))) for s in cells]


def band_pieces(cell: Cell, w: Any) -> list[tuple[Simplex, tuple[Any, ...]]]:
    """The cell cut by w g = 1/2 and w g = -1/2, with g's values at the new vertices."""
    half = mpq(1, 2)
    out = []
    for s1, gv1 in _split_tracked(cell.simplex, dict(zip(cell.simplex, cell.g)), lambda gx: w * gx - half):
        for s2, gv2 in _split_tracked(s1, gv1, lambda gx: w * gx + half):
            out.append((s2, tuple(gv2[v] for v in s2)))
    return out


def _split_tracked(s: Simplex, gv: dict[Point, Any], h: Callable[[Any], Any]
                   ) -> list[tuple[Simplex, dict[Point, Any]]]:
    """split() for a function of g, carrying g's values to the new vertices (g affine on s)."""
    vals = [h(gv[v]) for v in s]
    i = next((k for k, a in enumerate(vals) if a > 0), None)
    j = next((k for k, a in enumerate(vals) if a < 0), None)
    if i is None or j is None:
        return [(s, gv)]
    p, n, a, b = s[i], s[j], vals[i], vals[j]
    t = a / (a - b)
    z = tuple(pi + t * (ni - pi) for pi, ni in zip(p, n))
    gz = gv[p] + t * (gv[n] - gv[p])
    gv2 = dict(gv)
    gv2[z] = gz
    return (_split_tracked(s[:i] + (z,) + s[i + 1:], gv2, h)
            + _split_tracked(s[:j] + (z,) + s[j + 1:], gv2, h))


def error_terms(cells: Sequence[Cell], w: Any) -> list[tuple[Simplex, str, Any]]:
    """For w > 0: every piece with its error, ("const", c) or ("affine", vertex values of e)."""
    half = mpq(1, 2)
    out: list[tuple[Simplex, str, Any]] = []
    for cell in cells:
        for s, gs in band_pieces(cell, w):
            u = w * sum(gs, mpq(0)) / len(gs)
            if u >= half:
                out.append((s, "const", 1 - cell.fo))
            elif u <= -half:
                out.append((s, "const", cell.fo))
            else:
                sign = 1 if cell.fo == 0 else -1
                out.append((s, "affine", tuple(half + sign * w * gv for gv in gs)))
    return out


def loss_integral(cells: Sequence[Cell], w: Any, r: Any, density: Any) -> Any:
    """L(w) = density * integral |f(w,x) - f°(x)|^r dx, w > 0: exact mpq for integer r, else Arb."""
    exact = r.denominator == 1
    total: Any = mpq(0) if exact else flint.arb(0)
    for s, kind, val in error_terms(cells, w):
        vol = volume(s)
        if kind == "const":
            term = vol * val ** int(r) if exact else arb_of(vol) * (arb_of(val) ** arb_of(r) if val else 0)
        elif exact:
            term = affine_power_integral(s, val, int(r), vol)
        else:
            term = affine_power_integral_1d(s, val, arb_of(r))
        total += term
    return total * (density if exact else arb_of(density))


def loss_derivative(cells: Sequence[Cell], w: Any, r: Any, density: Any) -> Any:
    """L'(w) = density * (r/w) * sum over the band pieces of integral e^(r-1) (e - 1/2) dx, w > 0
    (in the band de/dw = s g = (e - 1/2)/w; outside it e is constant in w). At w = 0:
    density * r (1/2)^(r-1) * sum_cells s * integral g, s = +1 where f° = 0, -1 where f° = 1.
    Exact mpq for integer r, else Arb (1-D only)."""
    exact = r.denominator == 1
    half = mpq(1, 2)
    if w == 0:
        tot = mpq(0)
        for c in cells:
            sign = 1 if c.fo == 0 else -1
            tot += sign * volume(c.simplex) * sum(c.g, mpq(0)) / len(c.g)
        return (tot * r * half ** (int(r) - 1) * density if exact
                else arb_of(tot * r * density) * arb_of(half) ** arb_of(r - 1))
    total: Any = mpq(0) if exact else flint.arb(0)
    for s, kind, val in error_terms(cells, w):
        if kind != "affine":
            continue
        if exact:
            vol = volume(s)
            k = int(r)
            total += affine_power_integral(s, val, k, vol) - half * affine_power_integral(s, val, k - 1, vol)
        else:
            ra = arb_of(r)
            total += affine_power_integral_1d(s, val, ra) - arb_of(half) * affine_power_integral_1d(s, val, ra - 1)
    if exact:
        return total * r / w * density
    return total * arb_of(r) / arb_of(w) * arb_of(density)
