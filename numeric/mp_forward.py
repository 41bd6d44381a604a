"""The mp engine's independent route in 1-D: L(w) and L'(w) by quadrature of the network's
forward (and backward) output against the target's own definition.

Nothing here is derived: no ``symbolic.regions``, no density, no derived error formula.

* breakpoints, from the weights alone (exact rationals): start from the domain's ends;
  for each hidden layer in turn, on every piece between known breakpoints the layer's
  pre-activations are affine in x (the earlier layers do not change sign there), so a
  neuron whose pre-activation has opposite strict signs at the piece's ends has one kink
  x = a + z(a) (b - a) / (z(a) - z(b)); add it. After all layers g is affine on every
  piece. Then add the target's own boundary points (the zeros of its affine faces:
  interval ends, union pieces, half-spaces), where f° jumps, and, for the given w, the
  head's kinks w g = -1/2, 0, 1/2 (from the affine g on each piece);
* integrand: the head f(w, x) = sum_k o_k sigma(w g(x) + b_k) by the forward pass in
  mpf, the target f°(x) = 1, 0 from the target's definition (exactly, at the piece's
  rational midpoint), and
      loss:      |f(w, x) - f°(x)|^r,
      gradient:  r |f - f°|^(r-1) sign(f - f°) df/dw,   df/dw = sum_k o_k sigma'(w g + b_k) g
  (sigma'(0) = 0, the backward pass of the head);
* quadrature: Gauss-Legendre on every piece (exact for integer r: a polynomial of degree
  <= r there), tanh-sinh (mpmath.quad) otherwise; times the measure's density.
"""
from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import mpmath
import sympy
from gmpy2 import mpq
from mpmath import mpf

from relu_pointwise.symbolic.errors import InputError
from relu_pointwise.symbolic.spec import Spec
from relu_pointwise.symbolic.targets import Affine, Max, Min, target_value


def _q(v: Any) -> Any:
    if isinstance(v, type(mpq(0))):
        return v
    v = sympy.Rational(v)
    return mpq(int(v.p), int(v.q))


def _faces(level: Any) -> list[Affine] | None:
    """The affine faces of a min/max tree of affine functions (None for balls)."""
    if isinstance(level, Affine):
        return [level]
    if isinstance(level, (Min, Max)):
        out: list[Affine] = []
        for c in level.args:
            sub = _faces(c)
            if sub is None:
                return None
            out += sub
        return out
    return None


class _ExactNet:
    """The network's hidden layers and readout as exact mpq, read off its weights."""

    def __init__(self, network: Any) -> None:
        if "sqnorm" in network.features:
            raise InputError("mp forward quadrature: the |x|^2 feature is not piecewise linear")
        self.layers = [([[_q(v) for v in row] for row in lay.weight], [_q(b) for b in lay.bias])
                       for lay in network.hidden]
        self.readout = [_q(v) for v in network.readout]
        self.c = _q(network.readout_bias)
        self.head = list(zip([_q(b) for b in network.head_bias], [_q(o) for o in network.head_out]))

    def pre(self, x: Any) -> tuple[list[list[Any]], Any]:
        h: list[Any] = [x]
        pres = []
        for rows, bias in self.layers:
            z = [sum((a * b for a, b in zip(row, h)), mpq(0)) + c for row, c in zip(rows, bias)]
            pres.append(z)
            h = [v if v > 0 else mpq(0) for v in z]
        return pres, sum((a * b for a, b in zip(self.readout, h)), mpq(0)) + self.c


def breakpoints(network: Any, lo: Any, hi: Any) -> list[Any]:
    """Every kink of every hidden neuron in [lo, hi], layer by layer (module docstring), exact."""
    net = _ExactNet(network)
    pts = [_q(lo), _q(hi)]
    for k in range(len(net.layers)):
        vals = [net.pre(x)[0][k] for x in pts]
        new = []
        for (a, za), (b, zb) in pairwise(zip(pts, vals)):
            for u, v in zip(za, zb):
                if (u > 0 > v) or (u < 0 < v):
                    new.append(a + u * (b - a) / (u - v))
        pts = sorted(set(pts) | set(new))
    return pts


def forward_quadrature(spec: Spec, wv: Any, dps: int = 50, what: str = "gradient") -> mpf:
    """L'(w) (or L(w) with ``what="loss"``) of the network's head output against the target,
    by quadrature on breakpoints found from the weights (module docstring); d = 1, w >= 0."""
    if spec.dim != 1:
        raise InputError("mp forward quadrature: 1-D only")
    faces = _faces(spec.target.level)
    if faces is None:
        raise InputError("mp forward quadrature: needs a target made of half-lines (interval, union)")
    if what not in ("gradient", "loss"):
        raise ValueError("what must be 'gradient' or 'loss'")
    network = spec.network
    net = _ExactNet(network)
    lo, hi = _q(spec.domain.lo[0]), _q(spec.domain.hi[0])
    pts = set(breakpoints(network, lo, hi))
    for f in faces:                                   # the target's own ends: a x + c = 0
        a, c = _q(f.coeffs[0]), _q(f.const)
        if a != 0 and lo < -c / a < hi:
            pts.add(-c / a)
    exact_pts = sorted(pts)
    r = spec.r
    with mpmath.workdps(dps + 10):
        w = _mpf(_q(wv)) if isinstance(wv, (sympy.Rational, type(mpq(0)))) else mpf(wv)
        if w < 0:
            raise InputError("mp forward quadrature: w must be >= 0")
        mp = _mp_net(net)
        r_m = mpf(int(r.p)) / int(r.q)
        rule = _rule(int(r) // 2 + 2) if r.is_integer else None
        head = [(_mpf(b_k), _mpf(o_k)) for b_k, o_k in net.head]
        total = mpf(0)
        for a, b in pairwise(exact_pts):
            fo = mpf(target_value(spec.target.level, (sympy.Rational(int(((a + b) / 2).numerator),
                                                                       int(((a + b) / 2).denominator)),)))
            am, bm = _mpf(a), _mpf(b)
            ga, gb = _mpf(net.pre(a)[1]), _mpf(net.pre(b)[1])
            sub = [am, bm]
            if w > 0 and ga != gb:                    # head kinks on the affine piece: w g = -1/2, 0, 1/2
                for level in (-1 / (2 * w), mpf(0), 1 / (2 * w)):
                    t = (level - ga) / (gb - ga)
                    if 0 < t < 1:
                        sub.append(am + t * (bm - am))
            sub.sort()

            def integrand(x: mpf, fo: mpf = fo, head: list[tuple[mpf, mpf]] = head) -> mpf:
                g = mp(x)
                f = mpf(0)
                df = mpf(0)
                for b_k, o_k in head:
                    z = w * g + b_k
                    if z > 0:
                        f += o_k * z
                        df += o_k * g                  # sigma'(z) = 1 for z > 0, 0 at z <= 0
                e = f - fo
                if what == "loss":
                    return abs(e) ** r_m
                if e == 0:
                    return mpf(0)
                return r_m * abs(e) ** (r_m - 1) * mpmath.sign(e) * df

            for u, v in pairwise(sub):
                if v > u:
                    total += _integrate(integrand, u, v, rule)
        total *= _mpf(_q(spec.density))
        return +total


def _mpf(v: Any) -> mpf:
    return mpf(int(v.numerator)) / int(v.denominator)


def _mp_net(net: _ExactNet) -> Any:
    layers = [([[_mpf(v) for v in row] for row in rows], [_mpf(c) for c in bias]) for rows, bias in net.layers]
    readout, c0 = [_mpf(v) for v in net.readout], _mpf(net.c)

    def level(x: mpf) -> mpf:
        h = [x]
        for rows, bias in layers:
            h = [max(mpf(0), sum((a * v for a, v in zip(row, h)), mpf(0)) + c) for row, c in zip(rows, bias)]
        return sum((a * v for a, v in zip(readout, h)), mpf(0)) + c0

    return level


def _rule(n: int) -> list[tuple[mpf, mpf]]:
    """n-point Gauss-Legendre nodes and weights on [-1, 1] at the working precision."""
    X, Wt = mpmath.mp.gauss_quadrature(n, "legendre")
    return [(X[i], Wt[i]) for i in range(n)]


def _integrate(f: Any, a: mpf, b: mpf, rule: Sequence[tuple[mpf, mpf]] | None) -> mpf:
    if rule is None:
        return mpmath.quad(f, [a, b])
    h, m = (b - a) / 2, (a + b) / 2
    return h * sum((wt * f(m + h * x) for x, wt in rule), mpf(0))
