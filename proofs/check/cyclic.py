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
import sympy
from gmpy2 import mpq

from . import algebra, exact1d
from .base import (
    Fail,
    Undecided,
    agree_expr,
    at_most_expr,
    fields,
    le,
    lower,
    not_above_expr,
    show,
    step,
    value,
)
from .cells import Cell, arb_of, decompose, loss_derivative, loss_integral
from .points import reached
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
    """(W, C) of the module docstring; C an mpq for integer r, else an exact SymPy value."""
    W, total = mpq(0), mpq(0)
    for c in cells:
        nonzero = [abs(g) for g in c.g if g != 0]
        W = max(W, 1 / (2 * min(nonzero)))
        if any(g == 0 for g in c.g):
            total += abs(c.simplex[1][0] - c.simplex[0][0]) / max(nonzero)
    if r.denominator == 1:
        return W, density * total / (2 ** (int(r) + 1) * (int(r) + 1))
    R = _s(r)       # non-integer r: exact, a rational times a rational power of 2 (SymPy)
    return W, _s(density * total) * sympy.Integer(2) ** (-(R + 1)) / (R + 1)


def _s(v: Any) -> Any:
    """An exact SymPy value of an mpq (SymPy values pass through)."""
    return v if isinstance(v, sympy.Basic) else sympy.Rational(int(v.numerator), int(v.denominator))


def _check_regime(cells: list[Cell], W: Any, C: Any, r: Any, density: Any) -> None:
    """The checker's own formula against its own integral at W (integer r): a self-check."""
    if r.denominator == 1 and loss_integral(cells, W, r, density) != C / W:
        raise Undecided("the checker's 1/w regime formula disagrees with its own integral")


def _below_regime(ck: Any, k: int, cells: list[Cell], a: Any, b: Any, c: Any) -> bool | None:
    """-w^2 L_k'(w) >= c for all w in [a, b], decided exactly (integer r, rational c), else None.

    Between consecutive knots 1/(2|g(v)|) (v the ends of the slab's cells) the band's ends are
    either cell ends (fixed) or points where |g| = 1/(2w); integral (1/2 - w(alpha + beta x))^r dx
    is then a combination of w^-1 .. w^r, so -w^2 L_k'(w) is a polynomial in w of degree <= r + 1
    on each piece: r + 2 exact values give it (one more confirms), and real-root isolation decides
    its sign against c on the piece. False only when a value below c was computed."""
    if ck.r.denominator != 1 or isinstance(c, flint.arb):
        return None
    knots = sorted({1 / (2 * abs(g)) for cell in cells for g in cell.g if g != 0 and a < 1 / (2 * abs(g)) < b})
    ends = [a, *knots, b]
    n = int(ck.r) + 2
    ws = sympy.Symbol("w")
    for lo, hi in zip(ends, ends[1:]):
        pts = [lo + (hi - lo) * mpq(j, n) for j in range(n + 1)]
        vals = [-(w * w) * slab_dL(ck, k, w) for w in pts]
        if any(isinstance(v, flint.arb) for v in vals):
            return None
        if any(v < c for v in vals):
            return False
        pairs = [(sympy.Rational(int(w.numerator), int(w.denominator)),
                  sympy.Rational(int(v.numerator), int(v.denominator))) for w, v in zip(pts, vals)]
        P = sympy.Poly(sympy.interpolate(pairs[:-1], ws), ws, domain="QQ")
        if P.eval(pairs[-1][0]) != pairs[-1][1]:
            return None              # not a polynomial of that degree: the checker's premise fails
        cq = sympy.Rational(int(c.numerator), int(c.denominator))
        if not algebra.nonnegative_on(P - cq, pairs[0][0], pairs[-1][0]):
            return None
    return True


def growth(ck: Any, d: dict[str, Any]) -> str:
    fields(d, ("K", "W_star", "sum_c", "gain_per_cycle", "Cbar_full", "slabs"))
    _supported(ck)
    K, eta = ck.cert.training.batch.K, ck.eta
    slabs = d["slabs"]
    if step(d["K"], "K") != K or not isinstance(slabs, list) or len(slabs) != K:
        raise Fail(f"K or the slab list does not match cyclic:{K}")
    sum_c: Any = sympy.Integer(0)
    W_star = mpq(0)
    for k, s in enumerate(slabs):
        fields(s, ("slab", "w_star", "c"))
        if step(s["slab"], "slab") != k:
            raise Fail(f"slab {k}: entry missing or out of order")
        w_k, c_k = q_of(rational(s["w_star"], "slab w_star")), expr(s["c"], "slab c")
        if w_k <= 0:
            raise Fail(f"slab {k}: w*_k = {show(w_k)} is not > 0")
        cells = _slab(ck, k)
        W, C = regime(cells, ck.r, ck.density * K)
        _check_regime(cells, W, C, ck.r, ck.density * K)
        what = (f"slab {k}: -L_k'(w) >= {show(value(c_k))}/w^2 for w >= {show(w_k)} (the checker finds -L_k' = "
                f"{show(value(_s(C)))}/w^2 from w = {show(W)} on)")
        not_above_expr(c_k, _s(C), what)      # c_k > C: false for w >= max(W, w*_k)
        if w_k < W and not at_most_expr(c_k / _s(w_k * w_k), _s(C) / _s(W * W)):
            # below W, -L_k' nonincreasing gives -L_k'(w) >= C/W^2 on [w_k, W]; when that does not
            # show it, decide -w^2 L_k'(w) >= c_k on [w_k, W] exactly, piece by piece
            shown = _below_regime(ck, k, cells, w_k, W, value(c_k))
            if shown is False:
                raise Fail(what + ": -w^2 L_k'(w) < c_k somewhere on [w*_k, W]")
            if shown is None:
                raise Undecided(what + ": not shown on [w*_k, W]")
        sum_c = sum_c + c_k
        W_star = max(W_star, w_k)
    if q_of(rational(d["W_star"], "W_star")) != W_star:
        raise Fail("W_star is not the max over the slabs' w*_k")
    agree_expr(sum_c, expr(d["sum_c"], "sum_c"), "sum_c (the sum over the slabs)")
    gain = 3 * _s(eta) * sum_c
    agree_expr(gain, expr(d["gain_per_cycle"], "gain_per_cycle"), "gain_per_cycle (3 eta sum_c)")
    if le(value(gain), mpq(0)) is not False:
        raise Fail("the gain per cycle is not > 0")
    dom = ck.cert.spec.domain       # 1-D: the Kuhn cells of the whole interval, cut at every kink
    cells = decompose(ck.net, ck.level, (q_of(dom.lo[0]),), (q_of(dom.hi[0]),))
    W, C = regime(cells, ck.r, ck.density)
    _check_regime(cells, W, C, ck.r, ck.density)
    Cbar = expr(d["Cbar_full"], "Cbar_full")
    what = f"L(w) <= Cbar_full/w for w >= W* (the checker: L = {show(value(_s(C)))}/w from {show(W)} on)"
    not_above_expr(_s(C), Cbar, what)
    if W_star < W:
        raise Undecided(what + ": W* is below the checker's 1/w regime")
    return f"every slab's c_k <= its -w^2 L_k' (1/w regime from the checker's cells); W* = {show(W_star)}"


def entry(ck: Any, d: dict[str, Any]) -> str:
    fields(d, ("W_star", "w0", "eta", "cycle_increment_lower", "t_star_bound"), ("t_star", "w_t_star_lo",
                                                                                  "w_t_star_hi"))
    _supported(ck)
    ck.same_training(d, "entry")
    g = ck.needs("cyclic_growth")
    K = ck.cert.training.batch.K
    W_star = q_of(rational(d["W_star"], "W_star"))
    if W_star != q_of(rational(g["W_star"], "W_star")):
        raise Fail("W_star differs from the cyclic growth claim's")
    if ck.r.denominator == 1:
        gain: Any = _s(sum((-slab_dL(ck, k, W_star) for k in range(K)), mpq(0)) * ck.eta)
    else:           # exact radicals (1-D, non-integer r)
        gain = sum((-exact1d.loss_1d(_slab(ck, k), W_star, ck.r, ck.density * K, True) for k in range(K)),
                   sympy.Integer(0)) * _s(ck.eta)
    incr_e = expr(d["cycle_increment_lower"], "cycle_increment_lower")
    incr = value(incr_e)
    if le(incr, mpq(0)) is not False:
        raise Undecided("cycle_increment_lower > 0 is not shown")
    if not at_most_expr(incr_e, gain):      # a larger increment is not shown (nor refuted) by this argument
        raise Undecided(f"cycle_increment_lower <= eta sum_k -L_k'(W*) = {show(value(gain))} (the checker's integrals) "
                        "is not shown")
    claimed = step(d["t_star_bound"], "t_star_bound")
    need = 0 if ck.w0 >= W_star else K * ceil((W_star - ck.w0) / lower(incr))
    if claimed < need:
        reached(ck, claimed, W_star, f"entry by t_star_bound = {claimed}")
    out = f"t* <= {claimed}: each cycle below W* adds >= {show(value(gain))} (checker's integrals)"
    if "t_star" in d:
        t = ck.enclosed_at(d, W_star, "W*")
        out += f"; w_{t} >= W* on the checker's cyclic enclosure"
    return out


def rate(ck: Any, d: dict[str, Any]) -> str:
    fields(d, ("t0", "w_t0_lower", "Cbar", "eta", "3_eta_c", "period"))
    _supported(ck)
    ck.same_training(d, "rate")
    g = ck.needs("cyclic_growth")
    ent = ck.needs("entry")
    if step(d["period"], "period") != ck.cert.training.batch.K:
        raise Fail(f"period = {str(d['period'])[:20]} is not K = {ck.cert.training.batch.K}")
    agree_expr(expr(g["gain_per_cycle"], "gain_per_cycle"), expr(d["3_eta_c"], "3_eta_c"),
               "3_eta_c (the cyclic growth claim's gain per cycle)")
    agree_expr(expr(g["Cbar_full"], "Cbar_full"), expr(d["Cbar"], "Cbar"), "Cbar (the cyclic growth claim's Cbar_full)")
    W_star = q_of(rational(g["W_star"], "W_star"))
    return ck.rate_start(d, W_star, step(ent["t_star_bound"], "t_star_bound"), "W*")
