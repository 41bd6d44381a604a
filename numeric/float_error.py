"""The float64 error model of the np engine's gradient (the bound behind the mp-np pair).

eps_grad (the np gradient's error, :class:`FloatErrorModel`).  The np engine's
full-batch rule is exact for integer r (Gauss-Legendre on pieces where the integrand
is a polynomial), so its error is rounding: (a) the level value at a node is off by
at most dg = k_g u G_abs, G_abs = the forward pass with |weights|, |biases| at the
domain's farthest corner (an exact rational; it bounds |h| of every layer), k_g from
the operation count (forward pass K_net = sum over layers of (fan-in + 1) roundings,
the affine interpolation of g along a piece and the node positions); (b) the head's
error e = f - f° is off by at most de = 8u (pre = w g + b, f = pre_0 - pre_1, e = f - f°:
each rounding relative to a sum of magnitudes <= 2); (c) the terms of the quadrature
sum all have the same sign (the integrand of L' is -r(1/2 - w|g|)_+^(r-1)|g| <= 0), so
summing n of them with ~10 roundings each errs by at most (n + 10) u |sum|.  With
v = 1/2 - w|g| (|ê - v| <= dv = w dg + de) a point's integrand r |e|^(r-1) |g| changes by
at most r (v+dv)^(r-1) dg + r (|g| + dg) psi_r(v, dv), psi_r the modulus of
x -> x_+^(r-1) ((r-1)(v+dv)^(r-2) dv for r >= 2; for r = 1 a jump of 1 within dv of the
band edge v = 0), and only points with v >= -dv (the band {|g| < 1/(2w) + dg})
contribute at all (outside it both head units agree, dpre = 0 exactly).  Integrated:
the band's mass from the derivation's density of |g| (:attr:`Derivation.abs_density`),
or, for a batch, exactly per point.  For the curved (|x|^2) method the np engine's own
n-versus-2n estimate (:func:`numeric.np_engine.np_gradient_error`) is added -- an
estimate, not a bound (said in the report).  Non-integer r with full/cyclic batches:
the np engine's graded rule carries no error bound, so the pair is ``undecided``.

How the bound is used, step by step, is in :mod:`relu_pointwise.numeric.crosscheck_pairs`.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy
from gmpy2 import mpq

from relu_pointwise.symbolic.pushforward import PiecewisePoly
from relu_pointwise.symbolic.spec import Spec

__all__ = ["U", "FloatErrorModel", "BandMass", "abs_forward_bound", "n_terms_fn", "up", "mpq_float_up"]

U = 2.0 ** -53                  # float64 unit roundoff


def up(x: float) -> float:
    """x rounded one ulp towards +inf (for upper bounds computed in floats)."""
    return math.nextafter(x, math.inf)


def mpq_float_up(q: mpq) -> float:
    """A float >= q (q >= 0)."""
    f = float(q)
    return f if mpq(f) >= q else up(f)


def abs_forward_bound(spec: Spec) -> tuple[sympy.Rational, int]:
    """(G_abs, K_net): the forward pass with |weights| at the domain's farthest corner, and
    the number of roundings on the longest path of the float forward pass.

    With a_0 = |x| (and |x|^2), a_l = |W_l| a_(l-1) + |b_l|, G_abs = |v| . a_L + |c|:
    |h_l(x)| <= a_l for every x in the domain (ReLU is 1-Lipschitz with sigma(0) = 0), and
    a dot product of length n plus a bias rounds with relative error <= gamma_(n+1) of the
    magnitudes, so |fl(g(x)) - g(x)| <= gamma_(K_net) G_abs to first order.
    """
    net = spec.network
    corner = [max(abs(sympy.Rational(a)), abs(sympy.Rational(b))) for a, b in zip(spec.domain.lo, spec.domain.hi)]
    a = list(corner)
    k = 0
    if "sqnorm" in net.features:
        a.append(sum((c * c for c in corner), sympy.Integer(0)))
        k += len(corner) + 1
    for layer in net.hidden:
        a = [sum((abs(wij) * aj for wij, aj in zip(row, a)), sympy.Integer(0)) + abs(b)
             for row, b in zip(layer.weight, layer.bias)]
        k += len(layer.weight[0]) + 1 if layer.weight else 1
    g_abs = sum((abs(v) * aj for v, aj in zip(net.readout, a)), sympy.Integer(0)) + abs(net.readout_bias)
    k += len(net.readout) + 1
    return sympy.Rational(g_abs), k


class BandMass:
    """Upper bounds for the measure of {|g| < s} and for the density of |g| near s, from the
    derivation's exact density of |g| (a PiecewisePoly); without one, the total mass."""

    def __init__(self, derivation, total_mass: float) -> None:
        rho = getattr(derivation, "abs_density", None)
        self.total = total_mass
        self.ok = isinstance(rho, PiecewisePoly)
        if not isinstance(rho, PiecewisePoly):
            return
        self.breaks = [float(b) for b in rho.breaks]
        self.coef = [[float(c) for c in cs] for cs in rho.coeffs]
        self.abscoef = [[abs(c) for c in cs] for cs in self.coef]
        cum = [sympy.Integer(0)]
        for j, cs in enumerate(rho.coeffs):
            a, b = rho.breaks[j], rho.breaks[j + 1]
            cum.append(cum[-1] + sum((c * (b ** (k + 1) - a ** (k + 1)) / (k + 1) for k, c in enumerate(cs)),
                                     sympy.Integer(0)))
        self.cum = [float(c) for c in cum]
        self.total = min(self.total, up(self.cum[-1]) * (1 + 1e-12))

    def mass_below(self, s: float) -> float:
        """An upper bound on mu{|g| < s}."""
        if not self.ok or not math.isfinite(s):
            return self.total
        if s <= self.breaks[0]:
            return 0.0
        out = self.cum[-1]
        for j in range(len(self.coef)):
            a, b = self.breaks[j], self.breaks[j + 1]
            if s < b:
                # cum[j] + integral_a^s poly_j, with an absolute slack for the float evaluation
                part = slack = 0.0
                for k, (c, ac) in enumerate(zip(self.coef[j], self.abscoef[j]), start=1):
                    sk, ak = s ** k, a ** k
                    part += c * (sk - ak) / k
                    slack += ac * (abs(sk) + abs(ak)) / k
                out = self.cum[j] + part + 16 * U * slack
                break
        return min(self.total, max(0.0, out) * (1 + 1e-12))

    def density_sup(self, lo: float, hi: float) -> float:
        """An upper bound on the density of |g| on [lo, hi]."""
        if not self.ok:
            return math.inf
        best = 0.0
        m = max(abs(lo), abs(hi))
        for j in range(len(self.coef)):
            a, b = self.breaks[j], self.breaks[j + 1]
            if b < lo or a > hi:
                continue
            best = max(best, sum(ac * m ** k for k, ac in enumerate(self.abscoef[j])))
        return best * (1 + 1e-12)


@dataclass
class FloatErrorModel:
    """A priori bounds on the np engine's gradient error (module docstring, eps_grad)."""

    r: float
    r_integer: bool
    G_abs: float
    K_net: int
    k_g_full: int
    k_g_batch: int
    k_e: int = 8
    k_term: int = 10
    method: str = "lines"

    @staticmethod
    def for_spec(spec: Spec, method: str, n_neurons: int) -> FloatErrorModel:
        g_abs, k_net = abs_forward_bound(spec)
        # full batch: c0 = g(ta) (K), c1 = g(tb) - g(ta) (2K + 1), g = c0 + c1 s (2), the node
        # s = Bl + Ls x (2 roundings of s in [0, 1], times |c1| <= 2 G_abs: 4), the piece ends
        # from float roots (a kink misplaced by <= K u breaks the affine model by <= K u G_abs):
        # 4K + 10; simplices also interpolate g onto new vertices (<= 3 roundings per split,
        # one split per neuron and head level).
        k_full = 4 * k_net + 10 + (3 * (n_neurons + 2) if method != "lines" else 0)
        return FloatErrorModel(float(spec.r), bool(spec.r.is_integer), up(float(g_abs)), k_net,
                               k_full, k_net + 1, method=method)

    def numbers(self) -> dict[str, Any]:
        return {"u": U, "G_abs": self.G_abs, "K_net": self.K_net, "k_g_full": self.k_g_full,
                "k_g_batch": self.k_g_batch, "k_e": self.k_e, "k_term": self.k_term}

    def _point_terms(self, w: float, a: np.ndarray, dg: float) -> np.ndarray:
        """Per-point bound on |F_np - F| for levels a = |g| (vectorized; a may be an array of sups)."""
        r = self.r
        de = self.k_e * U
        dv = w * dg + de
        v = 0.5 - w * a
        live = v >= -dv
        vp = np.maximum(v, 0.0) + dv
        t1 = r * vp ** (r - 1.0) * dg if r != 1.0 else np.full_like(a, dg)
        if r >= 2.0:
            psi = (r - 1.0) * vp ** (r - 2.0) * dv
        elif r == 1.0:
            psi = (np.abs(v) <= dv).astype(np.float64)
        else:
            hold = dv ** (r - 1.0)
            with np.errstate(divide="ignore"):
                mv = np.where(v > dv, (r - 1.0) * np.maximum(v - dv, 1e-300) ** (r - 2.0) * dv, np.inf)
            psi = np.minimum(hold, mv)
        t2 = r * (a + dg) * psi
        return np.where(live, t1 + t2, 0.0)

    def eps_batch(self, w: float, a: np.ndarray, lp: float) -> float:
        """Bound on |np batch gradient - L_B'(w)| for levels a (float, |a - a_exact| tiny)."""
        M = a.shape[0]
        dg = self.k_g_batch * U * self.G_abs + 2 * U * float(a.max(initial=0.0))
        pert = float(self._point_terms(w, a, dg).sum()) / M
        return up((pert + (M + self.k_term) * U * (lp + pert)) * (1 + 1e-9))

    def eps_full(self, w: float, band: BandMass, lp: float, scale: float, n_terms: int,
                 extra: float = 0.0) -> float:
        """Bound on |np full-batch (or slab) gradient - scale L'(w)|, integer r."""
        r = self.r
        dg = self.k_g_full * U * self.G_abs
        de = self.k_e * U
        dv = w * dg + de
        c = math.inf if w == 0.0 else 0.5 / w
        reach = c + dv / w + dg if w > 0 else math.inf      # live points: v >= -dv, |g| <= (1/2 + dv)/w
        mass = band.mass_below(reach)
        amax = min(reach, self.G_abs)
        vp = 0.5 + dv
        t1 = r * vp ** (r - 1.0) * dg
        if r >= 2.0:
            t2 = r * amax * (r - 1.0) * vp ** (r - 2.0) * dv
            edge = 0.0
        else:   # r = 1: the jump at the band edge, on {| |g| - c | <= dv / w}
            t2 = 0.0
            if w > 0:
                win = dv / w
                edge = r * (c + dg) * 2 * win * band.density_sup(c - win, c + win)
            else:
                edge = 0.0
        pert = scale * (mass * (t1 + t2) + edge)
        return up((pert + (n_terms + self.k_term) * U * (lp + pert) + extra) * (1 + 1e-9))


def n_terms_fn(spec: Spec) -> tuple[Callable[[tuple], int], str, int]:
    """(lo, hi, weight) -> an upper bound on the number of quadrature terms the np engine sums."""
    from .np_engine import Pieces1D, Simplices, engine_for

    eng = engine_for(spec)
    method = eng.method
    n_neurons = sum(eng.net.widths)

    def count(lo_hi: tuple) -> int:
        lo, hi, weight = lo_hi
        it = eng.cell_integrator(lo, hi, weight)
        if isinstance(it, Pieces1D):
            return int(it.gc.shape[0]) * (it.n_levels + 1) * int(it.x.shape[0])
        if isinstance(it, Simplices):
            d = it.d
            return int(it.S.shape[0]) * (d + 1) ** 2 * int(it.rule[0].shape[0])
        return 10 ** 7    # iterated: adaptive, the count is not fixed in advance; a cap (see report)
    return count, method, n_neurons

