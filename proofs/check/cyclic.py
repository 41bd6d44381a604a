"""cyclic:K in 1-D (probability measure): the slab claims by the checker's own cells.

Slab k is [lo + (hi - lo) k/K, lo + (hi - lo)(k + 1)/K]; step t uses the normalized loss
L_k of slab t mod K (density K / vol). On the checker's cells of a slab (cut at every
kink and at g = 0; g affine, sign(g) = the target's by the construction check) the error
is (1/2 - w|g|)_+, so once w >= W = max over cells of 1/(2 min |g(v)|) (v the cell's ends
with g(v) != 0) the band |g| < 1/(2w) lies in the cells that end at a zero of g, and

    L(w) = C / w,   C = density * sum_(cells ending at a zero) len / |g(other end)| * 2^-(r+1)/(r+1)

(integral_0^(1/(2w)) (1/2 - w u)^r du / slope = 2^-(r+1) / ((r+1) w slope)); so
-L'(w) = C / w^2 there, and below W, -L' nonincreasing gives -L'(w) >= C / W^2.
"""
from __future__ import annotations

from math import ceil
from typing import Any

import flint
from gmpy2 import mpq

from .base import Fail, Undecided, at_most, integer, lower, same, show, value
from .cells import Cell, arb_of, decompose, loss_derivative, loss_integral
from .read import expr, q_of, rational


def _a(v: Any) -> Any:
    """An Arb ball for mixed arithmetic (mpq and arb do not combine directly)."""
    return v if isinstance(v, flint.arb) else arb_of(v)


def _slab(ck: Any, k: int) -> list[Cell]:
    """The checker's cells of slab k (cached on the checker)."""
    cache = ck.__dict__.setdefault("_slabs", {})
    if k not in cache:
        dom = ck.cert.spec.domain
        K = ck.cert.training.batch.K
        a, b = q_of(dom.lo[0]), q_of(dom.hi[0])
        cache[k] = decompose(ck.net, ck.level, (a + (b - a) * k / K,), (a + (b - a) * (k + 1) / K,))
    return cache[k]


def _supported(ck: Any) -> None:
    if ck.cert.spec.dim != 1 or ck.cert.spec.measure != "probability":
        raise Undecided("cyclic:K is checked in 1-D under the probability measure only")
    ck.needs("monotonicity")


def slab_dL(ck: Any, k: int, w: Any) -> Any:
    """L_k'(w) by the checker's own integral over slab k (normalized: density K / vol)."""
    K = ck.cert.training.batch.K
    return loss_derivative(_slab(ck, k), w, ck.r, ck.density * K)


def regime(cells: list[Cell], r: Any, density: Any) -> tuple[Any, Any]:
    """(W, C) of the module docstring; C exact for integer r, else an Arb ball."""
    W, total = mpq(0), mpq(0)
    for c in cells:
        nonzero = [abs(g) for g in c.g if g != 0]
        W = max(W, 1 / (2 * min(nonzero)))
        if any(g == 0 for g in c.g):
            total += abs(c.simplex[1][0] - c.simplex[0][0]) / max(nonzero)
    if r.denominator == 1:
        return W, density * total / (2 ** (int(r) + 1) * (int(r) + 1))
    return W, arb_of(density * total) / (flint.arb(2) ** arb_of(r + 1) * arb_of(r + 1))


def _check_regime(cells: list[Cell], W: Any, C: Any, r: Any, density: Any) -> None:
    """The checker's own formula against its own integral at W (integer r): a self-check."""
    if r.denominator == 1 and loss_integral(cells, W, r, density) != C / W:
        raise Undecided("the checker's 1/w regime formula disagrees with its own integral")


def growth(ck: Any, d: dict[str, Any]) -> str:
    _supported(ck)
    K, eta = ck.cert.training.batch.K, ck.eta
    slabs = d.get("slabs")
    if integer(d.get("K"), "K") != K or not isinstance(slabs, list) or len(slabs) != K:
        raise Fail(f"K or the slab list does not match cyclic:{K}")
    sum_c: Any = mpq(0)
    W_star = mpq(0)
    for k, s in enumerate(slabs):
        if not isinstance(s, dict) or integer(s.get("slab"), "slab") != k:
            raise Fail(f"slab {k}: entry missing")
        w_k, c_k = q_of(rational(s.get("w_star"), "slab w_star")), value(expr(s.get("c"), "slab c"))
        cells = _slab(ck, k)
        W, C = regime(cells, ck.r, ck.density * K)
        _check_regime(cells, W, C, ck.r, ck.density * K)
        if not at_most(c_k, C) or (w_k < W and not at_most(_a(c_k) / _a(w_k * w_k), _a(C) / _a(W * W))):
            raise Fail(f"slab {k}: -L_k'(w) >= {show(c_k)}/w^2 for w >= {show(w_k)} does not follow: the "
                       f"checker finds -L_k' = {show(C)}/w^2 from w = {show(W)} on")
        sum_c = _a(sum_c) + _a(c_k) if isinstance(sum_c, flint.arb) or isinstance(c_k, flint.arb) else sum_c + c_k
        W_star = max(W_star, w_k)
    if q_of(rational(d.get("W_star"), "W_star")) != W_star or \
            same(value(expr(d.get("sum_c"), "sum_c")), sum_c) is not True:
        raise Fail("W_star or sum_c is not the max / sum over the slabs")
    gain = _a(3 * eta) * sum_c if isinstance(sum_c, flint.arb) else 3 * eta * sum_c
    if same(value(expr(d.get("gain_per_cycle"), "gain_per_cycle")), gain) is not True:
        raise Fail("gain_per_cycle != 3 eta sum_c")
    cells = ck.cells()
    W, C = regime(cells, ck.r, ck.density)
    _check_regime(cells, W, C, ck.r, ck.density)
    Cbar = value(expr(d.get("Cbar_full"), "Cbar_full"))
    if not at_most(C, Cbar) or (W_star < W and not at_most(_a(ck.L(W_star)) * _a(W), Cbar)):
        raise Fail(f"L(w) <= Cbar_full/w for w >= W* does not follow (the checker: L = {show(C)}/w from {show(W)})")
    return f"every slab's c_k <= its -w^2 L_k' (1/w regime from the checker's cells); W* = {show(W_star)}"


def entry(ck: Any, d: dict[str, Any]) -> str:
    _supported(ck)
    g = ck.needs("cyclic_growth")
    K = ck.cert.training.batch.K
    W_star = q_of(rational(d.get("W_star"), "W_star"))
    if W_star != q_of(rational(g["W_star"], "W_star")):
        raise Fail("W_star differs from the cyclic growth claim's")
    parts = [-slab_dL(ck, k, W_star) for k in range(K)] if W_star > 0 else [mpq(0)]
    mixed = any(isinstance(p, flint.arb) for p in parts)
    gain = sum((_a(p) for p in parts), flint.arb(0)) * _a(ck.eta) if mixed else sum(parts, mpq(0)) * ck.eta
    incr = value(expr(d.get("cycle_increment_lower"), "cycle_increment_lower"))
    if not lower(incr) > 0 or not at_most(incr, gain):
        raise Fail(f"cycle_increment_lower exceeds eta sum_k -L_k'(W*) = {show(gain)}")
    claimed = integer(d.get("t_star_bound"), "t_star_bound")
    need = 0 if ck.w0 >= W_star else K * ceil((W_star - ck.w0) / lower(incr))
    if claimed < need:
        raise Fail(f"t_star_bound = {claimed} < K ceil((W* - w0)/increment) = {need}")
    out = f"t* <= {claimed}: each cycle below W* adds >= {show(gain)} (checker's integrals)"
    if "t_star" in d:
        t = integer(d["t_star"], "t_star")
        lo, hi = ck.enclosure(t)
        clo, chi = q_of(rational(d.get("w_t_star_lo"), "w_t_star_lo")), q_of(rational(d.get("w_t_star_hi"), "hi"))
        if not lo >= W_star or not (clo <= lo and hi <= chi):
            raise Fail(f"w_{t} in [{show(lo)}, {show(hi)}] (checker) is not >= W* inside the claimed enclosure")
        out += f"; w_{t} >= W* on the checker's cyclic enclosure"
    return out


def rate(ck: Any, d: dict[str, Any]) -> str:
    _supported(ck)
    g = ck.needs("cyclic_growth")
    ent = ck.needs("entry")
    if integer(d.get("period"), "period") != ck.cert.training.batch.K:
        raise Fail("period != K")
    if same(value(expr(d.get("3_eta_c"), "3_eta_c")), value(expr(g["gain_per_cycle"], "gain_per_cycle"))) is not True:
        raise Fail("the per-cycle gain differs from the cyclic growth claim's")
    if same(value(expr(d.get("Cbar"), "Cbar")), value(expr(g["Cbar_full"], "Cbar_full"))) is not True:
        raise Fail("Cbar differs from the cyclic growth claim's Cbar_full")
    t0, W0 = integer(d.get("t0"), "t0"), q_of(rational(d.get("w_t0_lower"), "w_t0_lower"))
    W_star = q_of(rational(g["W_star"], "W_star"))
    if W0 == W_star and t0 >= integer(ent["t_star_bound"], "t_star_bound"):
        return f"from t0 = {t0} >= the entry bound, w_t >= W* = w_t0_lower; the gain per cycle by induction"
    if W0 < W_star or not ck.enclosure(t0)[0] >= W0:
        raise Fail(f"w_{t0} >= {show(W0)} >= W* does not hold on the checker's enclosure")
    return f"w_{t0} >= {show(W0)} >= W* on the checker's enclosure; the gain per cycle by induction"
