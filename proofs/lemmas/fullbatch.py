"""Full-batch lemmas on the loss: the construction, monotonicity, the asymptotic form and the
growth constants (the mathematics is in :mod:`relu_pointwise.proofs.lemmas`)."""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sympy
from flint import fmpq, fmpq_poly
from gmpy2 import mpq

from relu_pointwise.symbolic.ball import BallDensity
from relu_pointwise.symbolic.errors import EnclosureError
from relu_pointwise.symbolic.loss import Derivation, w
from relu_pointwise.symbolic.parallel import pmap
from relu_pointwise.symbolic.spec import Spec
from relu_pointwise.symbolic.targets import level_value

from .decide import (
    derivative_qw,
    poly_extremum,
    poly_from_flint,
    radical_zero,
    rational_function,
    sign_on_interval,
    sign_poly,
)
from .text import FAILED, HALF, PROVED, Claim, Q, ex, point_text, to_q, to_rat

# ---------------------------------------------------------------- the construction

#: evaluate the target's tree at the regions' vertices in a process pool from this many on
PARALLEL_VERTICES = 512
#: decide the pieces' signs in a process pool from this many pieces on
PARALLEL_PIECES = 64


def construction_claim(spec: Spec, derivation: Derivation | None,
                       points: Sequence[Sequence[sympy.Rational]]) -> Claim:
    """The network's g equals the target's level function: exactly at every requested
    point (the network's own forward pass against the target tree), and on every linear
    region the region's affine g agrees with the tree at each vertex."""
    net = spec.network
    level = spec.target.level
    bad = [point_text(x) for x in points if net.level(x) != level_value(level, x)]
    cells = list(derivation.cells) if derivation is not None and derivation.cells else []
    nverts = 0
    # the tree's g at each distinct vertex (neighbouring cells share them), over the cores when many
    distinct = list(dict.fromkeys(v for cell in cells for v in cell.poly.vertices))
    values = pmap(lambda v: to_q(level_value(level, [to_rat(c) for c in v])), distinct,
                  min_items=PARALLEL_VERTICES)
    tree: dict[tuple, mpq] = dict(zip(distinct, values))
    for cell in cells:
        coeffs = [to_q(a) for a in cell.g_coeffs]
        const = to_q(cell.g_const)
        for v in cell.poly.vertices:
            nverts += 1
            ref = tree.get(v)
            if ref is None:
                ref = tree[v] = to_q(level_value(level, [to_rat(c) for c in v]))
            if sum((a * c for a, c in zip(coeffs, v)), const) != ref:
                bad.append("vertex " + point_text([to_rat(c) for c in v]))
    widths = [layer.width for layer in net.hidden]
    statement = (f"the layered ReLU network ({net.depth} ReLU layers, hidden widths "
                 f"{widths or '[]'}, {net.nonzero_fixed_weights()} nonzero fixed weights, one trainable "
                 f"slope w) computes g(x) equal to the target's level function at the {len(points)} "
                 f"requested points" + (f" and, on each of its {len(cells)} linear regions, at all "
                                        f"{nverts} region vertices" if cells else "")
                 + "; f(w,x) = sigma(w g + 1/2) - sigma(w g - 1/2)")
    data = {"depth": ex(net.depth), "hidden_widths": [ex(k) for k in widths],
            "nonzero_fixed_weights": ex(net.nonzero_fixed_weights()),
            "features": list(net.features), "points_checked": ex(len(points))}
    if bad:
        data["mismatches"] = bad[:20]
        return Claim("construction", statement, FAILED, data)
    return Claim("construction", statement, PROVED, data)


# ---------------------------------------------------------------- monotonicity

def _antiderivative(k: int, r: sympy.Rational, u: sympy.Symbol) -> sympy.Expr:
    """F with dF/du = (1/2 - w u)^(r-1) u^(k+1): by v = 1/2 - w u, u = (1/2 - v)/w,
    F = -w^-(k+2) sum_j C(k+1, j) (1/2)^(k+1-j) (-1)^j v^(r+j) / (r+j)."""
    v = HALF - w * u
    return -w ** (-(k + 2)) * sum(
        (sympy.binomial(k + 1, j) * HALF ** (k + 1 - j) * (-1) ** j * v ** (r + j) / (r + j)
         for j in range(k + 2)), Q(0))


def _density_polys(derivation: Derivation) -> tuple[list | None, list[dict], bool]:
    """The density of |g| as polynomial pieces [(u_lo, u_hi, coeffs)] (None if not polynomial),
    with the proof that it is >= 0: per piece by real-root isolation (piecewise-linear g), or
    for the exact ball rho = K((c - u)^p + (c + u)^p) with K > 0 and c - u >= 0 on its window."""
    rho: Any = derivation.abs_density      # PiecewisePoly or the exact ball's BallDensity
    if hasattr(rho, "coeffs"):
        uvar = sympy.Symbol("u")
        pieces, proofs, ok = [], [], True
        for i, cs in enumerate(rho.coeffs):
            P = sympy.Poly(list(reversed([Q(c) for c in cs])) or [0], uvar, domain="QQ")
            good = sign_on_interval(P, rho.breaks[i], rho.breaks[i + 1], +1)
            ok &= good
            pieces.append((rho.breaks[i], rho.breaks[i + 1], list(cs)))
            proofs.append({"u_lo": ex(rho.breaks[i]), "u_hi": ex(rho.breaks[i + 1]),
                           "nonnegative": "proved by real-root isolation" if good else "failed"})
        return pieces, proofs, ok
    K, c, p, (lo, hi) = rho.scale, rho.center, rho.power, rho.window
    good = bool(K > 0) and bool(c - hi >= 0) and lo >= 0 and p >= 0
    proofs = [{"u_lo": ex(lo), "u_hi": ex(hi), "form": "K*((c - u)**p + (c + u)**p)", "K": ex(K), "c": ex(c),
               "p": ex(p), "nonnegative": "proved: K > 0 and c - u >= c - u_hi >= 0" if good else "failed"}]
    if not p.is_integer:
        return None, proofs, good
    coeffs = [K * 2 * sympy.binomial(int(p), k) * c ** (int(p) - k) if k % 2 == 0 else Q(0)
              for k in range(int(p) + 1)]
    return [(lo, hi, coeffs)], proofs, good


def _minus_dL_formula(pieces: list, r: sympy.Rational, w_lo, _cache: dict | None = None) -> sympy.Expr | None:
    """(*) of the module docstring in closed form on the w-piece starting at w_lo.

    ``_cache`` (one dict per density) keeps the antiderivatives and the running sums
    over full pieces, so all w-pieces together cost O(m) rather than O(m^2).
    """
    u_br = [pieces[0][0]] + [hi for _, hi, _ in pieces]
    m = len(pieces)
    if w_lo == 0:
        j = m
    else:
        h = 1 / (2 * w_lo)
        if h not in u_br:
            return None
        j = u_br.index(h) - 1
    u = sympy.Symbol("u", positive=True)
    cache = {} if _cache is None else _cache
    anti = cache.setdefault("anti", {})

    def F(k):
        if k not in anti:
            anti[k] = _antiderivative(k, r, u)
        return anti[k]

    prefix = cache.setdefault("prefix", [Q(0)])
    while len(prefix) <= min(j, m):
        i = len(prefix) - 1
        term = sum((c * (F(k).subs(u, u_br[i + 1]) - F(k).subs(u, u_br[i]))
                    for k, c in enumerate(pieces[i][2]) if c != 0), Q(0))
        prefix.append(prefix[-1] + term)
    total = prefix[min(j, m)]
    if j < m:
        for k, c in enumerate(pieces[j][2]):
            if c != 0:
                # upper end u = 1/(2w): v = 0 and F = 0 there (r + j > 0)
                total += c * (-F(k).subs(u, u_br[j]))
    return r * total


def _antiderivative_q(k: int, r: int, u0) -> tuple[fmpq_poly, int]:
    """F_k(u0) of :func:`_antiderivative` for integer r as P(w) / w^(k+2) in Q(w) (flint):
    F_k(u0) = -w^-(k+2) sum_j C(k+1, j) (1/2)^(k+1-j) (-1)^j (1/2 - w u0)^(r+j) / (r+j)."""
    v = fmpq_poly([fmpq(1, 2), -fmpq(int(u0.p), int(u0.q))])
    total = fmpq_poly([0])
    for j in range(k + 2):
        total += fmpq(math.comb(k + 1, j) * (-1) ** j, 2 ** (k + 1 - j) * (r + j)) * v ** (r + j)
    return -total, k + 2


def _add_q(a: tuple[fmpq_poly, int], b: tuple[fmpq_poly, int], sb: int = 1) -> tuple[fmpq_poly, int]:
    """P/w^e + sb Q/w^f over the common denominator w^max(e, f)."""
    (p, e), (q, f) = a, b
    g = max(e, f)
    x = fmpq_poly([0, 1])
    return p * x ** (g - e) + sb * q * x ** (g - f), g


def _minus_dL_formula_q(pieces: list, r: int, w_lo, cache: dict) -> tuple[fmpq_poly, fmpq_poly] | None:
    """:func:`_minus_dL_formula` for integer r, in Q(w) with python-flint: the same sums of
    antiderivatives, each term P(w)/w^e exactly (no SymPy subs or expand)."""
    u_br = [pieces[0][0]] + [hi for _, hi, _ in pieces]
    m = len(pieces)
    if w_lo == 0:
        j = m
    else:
        h = 1 / (2 * w_lo)
        if h not in u_br:
            return None
        j = u_br.index(h) - 1
    anti = cache.setdefault("anti_q", {})

    def F(k, u0):
        key = (k, u0)
        if key not in anti:
            anti[key] = _antiderivative_q(k, r, u0)
        return anti[key]

    zero = (fmpq_poly([0]), 0)
    prefix = cache.setdefault("prefix_q", [zero])
    while len(prefix) <= min(j, m):
        i = len(prefix) - 1
        term = zero
        for k, c in enumerate(pieces[i][2]):
            if c != 0:
                cq = fmpq(int(c.p), int(c.q))
                diff = _add_q(F(k, u_br[i + 1]), F(k, u_br[i]), -1)
                term = _add_q(term, (cq * diff[0], diff[1]))
        prefix.append(_add_q(prefix[-1], term))
    total = prefix[min(j, m)]
    if j < m:
        for k, c in enumerate(pieces[j][2]):
            if c != 0:
                # upper end u = 1/(2w): v = 0 and F = 0 there (r + j > 0)
                fk = F(k, u_br[j])
                total = _add_q(total, (fmpq(int(c.p), int(c.q)) * fk[0], fk[1]), -1)
    return r * total[0], fmpq_poly([0] * total[1] + [1])


def monotonicity_claim(derivation: Derivation) -> Claim:
    """L' <= 0 for all w >= 0 and -L' nonincreasing (module docstring, (*)); the derived
    closed form of L' checked against (*) on every w-piece."""
    r = derivation.spec.r
    u = sympy.Symbol("u", positive=True)
    per_point = sympy.simplify(sympy.diff((HALF - w * u) ** r, w) + r * u * (HALF - w * u) ** (r - 1)) == 0
    polys, dens, dens_ok = _density_polys(derivation)
    kmax = max((len(cs) for _, _, cs in polys), default=1) if polys else 0
    anti_ok = all(radical_zero(sympy.diff(_antiderivative(k, r, u), u)
                               - (HALF - w * u) ** (r - 1) * u ** (k + 1), w) for k in range(kmax))
    pieces = []
    ident_ok = True
    sign_ok = True
    cache: dict = {}
    # the exact ball's pieces below w* (symbolic.ball_full: the band cut by the box) use the
    # density of |x|^2 on the whole box, not the inscribed-ball window of abs_density: (*) is
    # not re-checked on them (the certificate's path starts at w*, proofs/certificate._path_from)
    radial_below = isinstance(derivation.abs_density, BallDensity)
    signs: list[tuple[dict, Any, sympy.Rational, sympy.Expr]] = []
    for p in derivation.pieces:
        if radial_below and p.w_lo < derivation.w_star:
            continue
        entry = {"w_lo": ex(p.w_lo), "w_hi": "oo" if p.w_hi == sympy.oo else ex(p.w_hi)}
        # integer r: the piece is N/D in Q(w); L' = (N'D - ND')/D^2 exactly in flint (no SymPy diff)
        lq = rational_function(p.expr, w) if r.is_integer else None
        dq = derivative_qw(lq) if lq is not None else None
        if polys is not None:
            if dq is not None:
                # integer r: (*) and L' both in Q(w); L' + (*) = 0 decided exactly by flint
                fq = _minus_dL_formula_q(polys, int(r), p.w_lo, cache)
                ident = fq is not None and dq[0] * fq[1] + fq[0] * dq[1] == 0
            else:
                formula = _minus_dL_formula(polys, r, p.w_lo, cache)
                ident = formula is not None and radical_zero(p.derivative + formula, w)
            ident_ok &= ident
            entry["identity"] = "proved" if ident else "failed"
        if dq is not None:
            # (N'D - ND') D^2: the sign of L' where D != 0, and 0 at the poles
            P = poly_from_flint(dq[0] * dq[1], w)
        else:
            P = sign_poly(p.derivative, w) if r.is_integer else None
        if P is not None:
            signs.append((entry, P, Q(p.w_lo), p.w_hi))
        pieces.append(entry)
    # the root isolations are independent: over the cores when there are many pieces
    for (entry, *_), s_ok in zip(signs, pmap(lambda t: sign_on_interval(t[1], t[2], t[3], -1), signs,
                                             min_items=PARALLEL_PIECES)):
        sign_ok &= s_ok
        entry["sign_by_root_isolation"] = "proved" if s_ok else "failed"
    ok = per_point and anti_ok and dens_ok and ident_ok and sign_ok
    statement = ("every point's error (1/2 - w|g(x)|)_+^r is nonincreasing in w (r >= 1, d/dw checked by SymPy) "
                 "and the density rho of |g| is >= 0 (" + ("exact real-root isolation on every piece"
                                                          if hasattr(derivation.abs_density, "coeffs")
                                                          else "its closed form") + "), so "
                 "L'(w) = -r * integral (1/2 - w u)_+^(r-1) u rho(u) du <= 0 for all w >= 0 and GD from any "
                 "w0 >= 0 with any eta > 0 gives a nondecreasing w_t; the integrand is nonincreasing in w for "
                 "each u, so -L'(w) is nonincreasing in w")
    if polys is not None:
        statement += "; on every w-piece the derived L'(w) equals that integral (exact identity)"
    else:
        statement += "; the derived closed form of L' is not re-checked against that integral (non-polynomial density)"
    if any("sign_by_root_isolation" in e for e in pieces):
        statement += "; for rational pieces also directly: L' <= 0 on each piece by real-root isolation"
    # only r: the checker establishes monotonicity by its own route (the error (1/2 - w|g|)_+ per
    # point), so the prover's density pieces and w-pieces would be fields nobody checks
    data = {"r": ex(r)}
    return Claim("monotonicity", statement, PROVED if ok else FAILED, data)


# ---------------------------------------------------------------- asymptotic form

def _beta_term(c_k, k: int, r: sympy.Rational) -> sympy.Expr:
    """c_k B(k+1, r+1) 2^-(r+k+1), the Beta function as Gamma(k+1) Gamma(r+1) / Gamma(k+r+2)."""
    return c_k * sympy.gamma(k + 1) * sympy.gamma(r + 1) / sympy.gamma(k + r + 2) * Q(2) ** (-(r + k + 1))


def asymptotic_claim(derivation: Derivation) -> Claim:
    """L(w) for w >= w* exactly, = sum_k c_k B(k+1, r+1) 2^-(r+k+1) w^-(k+1) (identity by SymPy)."""
    r = derivation.spec.r
    expr = derivation.asymptotic
    w_star = derivation.w_star
    data: dict[str, Any] = {"w_star": ex(w_star), "L_asymptotic": ex(expr)}
    polys, _, _ = _density_polys(derivation)
    rho: Any = derivation.abs_density      # PiecewisePoly or the exact ball's BallDensity
    if not derivation.asymptotic_coeffs and not hasattr(rho, "coeffs") and r.is_integer:
        return _ball_asymptotic_claim(derivation, data)
    if not derivation.asymptotic_coeffs or not polys:
        data["note"] = "the asymptotic loss is not a finite power sum; taken from the exact derivation"
        return Claim("asymptotic", f"L(w) = {ex(expr)} for w >= w* = {ex(w_star)} as derived; not a finite "
                     f"power sum, so not established here (no identity checked)", FAILED, data)
    u_lo, u_1, c = polys[0]
    series = sum((_beta_term(ck, k, r) * w ** (-(k + 1)) for k, ck in enumerate(c)), Q(0))
    ident = radical_zero(expr - series, w) or sympy.simplify(expr - series) == 0
    ws_ok = u_lo == 0 and w_star == 1 / (2 * u_1)
    ac = list(derivation.asymptotic_coeffs)
    cc = [_beta_term(ck, k, r) for k, ck in enumerate(c)]
    while cc and cc[-1] == 0:
        cc.pop()
    coeffs_ok = len(ac) == len(cc) and all(sympy.simplify(a - b) == 0 for a, b in zip(ac, cc))
    # rho(0+) + rho(0-): from the signed density where it is piecewise polynomial
    sd: Any = derivation.density
    right = left = Q(0)
    if hasattr(sd, "coeffs"):
        for j, cs in enumerate(sd.coeffs):
            at0 = cs[0] if cs else Q(0)           # the piece's polynomial at s = 0
            if sd.breaks[j] <= 0 < sd.breaks[j + 1]:
                right = at0
            if sd.breaks[j] < 0 <= sd.breaks[j + 1]:
                left = at0
        both = right + left
    else:
        both = sd(Q(0)) * 2
    C = derivation.leading_constant
    C_formula = both / 2 * Q(2) ** (-r) / (r + 1)
    C_ok = sympy.simplify(C - C_formula) == 0
    data.update({"u_1": ex(u_1), "coeffs": [ex(a) for a in derivation.asymptotic_coeffs], "C": ex(C)})
    ok = ident and ws_ok and coeffs_ok and C_ok
    statement = (f"for w >= w* = 1/(2 u_1) = {ex(w_star)}: L(w) = {ex(expr)} = "
                 f"sum_k c_k B(k+1, r+1) 2^-(r+k+1) w^-(k+1) with c_k the coefficients of the density "
                 f"of |g| on (0, u_1) (identity checked by SymPy); leading constant C = "
                 f"(rho(0+) + rho(0-))/2 * 2^-r/(r+1) = {ex(C)}")
    return Claim("asymptotic", statement, PROVED if ok else FAILED, data)


def _ball_band_loss(K, c, p, r: int) -> sympy.Expr:
    """K int_0^h (1/2 - w u)^r [(c - u)^p + (c + u)^p] du, h = 1/(2w), in closed form:
    (1/2 - w u)^r = sum_j C(r, j) 2^(j-r) (-w)^j u^j, and int_0^h u^j (c -+ u)^p du by v = c -+ u."""
    h = 1 / (2 * w)
    total = Q(0)
    for j in range(r + 1):
        inner = Q(0)
        for i in range(j + 1):
            e = p + i + 1
            inner += sympy.binomial(j, i) * c ** (j - i) * (-1) ** i * (c ** e - (c - h) ** e) / e
            inner += sympy.binomial(j, i) * (-c) ** (j - i) * ((c + h) ** e - c ** e) / e
        total += sympy.binomial(r, j) * HALF ** (r - j) * (-w) ** j * inner
    return K * total


def _ball_asymptotic_claim(derivation: Derivation, data: dict) -> Claim:
    """Exact ball, odd d (rho = K((c-u)^p + (c+u)^p), p half-integer): L(w) for w >= w* against
    the band integral in closed form (identity by SymPy; radicals of c -+ 1/(2w))."""
    rho: Any = derivation.abs_density      # PiecewisePoly or the exact ball's BallDensity
    r = derivation.spec.r
    expr = derivation.asymptotic
    K, c, p, (lo, hi) = rho.scale, rho.center, rho.power, rho.window
    ident = radical_zero(expr - _ball_band_loss(K, c, p, int(r)), w)
    kappa = Q(2) ** (-r - 1) / (r + 1)
    C = derivation.leading_constant
    C_ok = sympy.simplify(C - kappa * rho(Q(0))) == 0
    ws_ok = lo == 0 and derivation.w_star == 1 / (2 * hi)
    data.update({"u_1": ex(hi)})
    statement = (f"for w >= w* = {ex(derivation.w_star)} (the band |g| < 1/(2w) inside the window [0, {ex(hi)}] of "
                 f"rho(u) = K((c - u)^p + (c + u)^p), K = {ex(K)}, c = {ex(c)}, p = {ex(p)}): L(w) = {ex(expr)} = "
                 f"K int_0^(1/(2w)) (1/2 - w u)^r rho(u)/K du in closed form (identity checked by SymPy); not a "
                 f"finite power sum of 1/w; L(w) ~ C/w with C = rho(0) 2^-(r+1)/(r+1) = {ex(C)}")
    return Claim("asymptotic", statement, PROVED if ident and C_ok and ws_ok else FAILED, data)


def _density_bound_growth(derivation: Derivation, eta: sympy.Rational, data: dict, cube_ok: bool
                          ) -> tuple[Claim, Growth]:
    """Growth constants from bounds on the density (exact ball without a power sum).

    With u = s/(2w): -L'(w) w^2 = r 2^-(r+1) int_0^1 (1-s)^(r-1) s rho(s/(2w)) ds and
    w L(w) = 2^-(r+1) int_0^1 (1-s)^r rho(s/(2w)) ds, and int_0^1 (1-s)^(r-1) s ds = 1/(r(r+1)),
    int_0^1 (1-s)^r ds = 1/(r+1).  So on w >= w* (s/(2w) in [0, u*], u* = 1/(2w*)):
    c = kappa min_[0,u*] rho, Cbar = kappa max_[0,u*] rho, kappa = 2^-(r+1)/(r+1).
    For rho = K((c-u)^p + (c+u)^p) (K > 0, 0 <= u <= u* <= c), rho'(u) = K p ((c+u)^(p-1) - (c-u)^(p-1))
    has one sign on (0, u*] (<= 0 for 0 <= p < 1, >= 0 for p >= 1 and for p < 0), so min and max are
    at u = 0, u*; for p < 0 (d = 1) rho is unbounded as u -> c and no constants are derived when u* = c.
    """
    rho: Any = derivation.abs_density      # PiecewisePoly or the exact ball's BallDensity
    r = derivation.spec.r
    K, c0, p, (lo, hi) = rho.scale, rho.center, rho.power, rho.window
    kappa = Q(2) ** (-r - 1) / (r + 1)
    a, b = rho(Q(0)), rho(hi)
    s_ = sympy.Symbol("s", positive=True)
    ints_ok = (sympy.integrate((1 - s_) ** (r - 1) * s_, (s_, 0, 1)) == 1 / (r * (r + 1))
               and sympy.integrate((1 - s_) ** r, (s_, 0, 1)) == 1 / (r + 1))
    mono_ok = bool(K > 0) and lo == 0 and bool(c0 - hi >= 0) and p >= 0
    if not (a.is_finite and b.is_finite):
        # p < 0 (d = 1): rho = K((c-u)^p + (c+u)^p) is unbounded as u -> c, and the window
        # reaches c, so no finite Cbar exists there: say so instead of comparing infinities
        data.update({"regime": "density bounds", "rho_0": ex(a) if a.is_finite else "oo",
                     "rho_u_star": ex(b) if b.is_finite else "oo",
                     "note": "the density of |g| is unbounded on the window [0, u*]: no growth constants"})
        return (Claim("growth", "growth constants for w >= w*: not derived (the density of |g| is unbounded "
                      f"on [0, {ex(hi)}])", FAILED, data),
                Growth(Q(0), Q(0), derivation.leading_constant, derivation.w_star, False))
    m, M = (sympy.Min(a, b), sympy.Max(a, b))
    c, Cbar = sympy.simplify(kappa * m), sympy.simplify(kappa * M)
    ok = ints_ok and mono_ok and bool(c > 0)
    data.update({"c": ex(c), "Cbar": ex(Cbar), "3_eta_c": ex(3 * eta * c)})
    statement = (f"for all w >= w* = {ex(derivation.w_star)}: w^2 (-L'(w)) = r 2^-(r+1) int_0^1 (1-s)^(r-1) s "
                 f"rho(s/(2w)) ds >= kappa min rho and w L(w) = 2^-(r+1) int_0^1 (1-s)^r rho(s/(2w)) ds "
                 f"<= kappa max rho, "
                 f"kappa = 2^-(r+1)/(r+1), min/max over [0, {ex(hi)}] where rho = K((c-u)^p + (c+u)^p) is monotone "
                 f"(rho(0) = {ex(a)}, rho(u*) = {ex(b)}): c = {ex(c)} > 0, Cbar = {ex(Cbar)} (C = "
                 f"{ex(derivation.leading_constant)}); hence Phi(w)^3 - w^3 >= 3 eta c = {ex(3 * eta * c)} there, by "
                 f"(w + b/w^2)^3 - w^3 - 3b = 3b^2/w^3 + b^3/w^6 >= 0 with b = eta w^2 (-L'(w)) >= eta c")
    return (Claim("growth", statement, PROVED if ok and cube_ok else FAILED, data),
            Growth(c, Cbar, derivation.leading_constant, derivation.w_star, ok))


# ---------------------------------------------------------------- growth

@dataclass(frozen=True)
class Growth:
    """-L'(w) >= c / w^2 and L(w) <= Cbar / w for all w >= w_star (c > 0 when ok)."""

    c: sympy.Expr
    Cbar: sympy.Expr
    C: sympy.Expr
    w_star: sympy.Rational
    ok: bool
    period: int = 1                   # cyclic:K: the gain is per cycle of K steps
    gain: sympy.Expr | None = None    # w^3 grows by >= gain per period (3 eta c for full batch)

    def gain_for(self, eta: sympy.Rational) -> sympy.Expr:
        return 3 * eta * self.c if self.gain is None else self.gain

    def c_lower_q(self) -> mpq:
        """A rational lower bound of c (c itself when rational)."""
        return _rational_below(self.c)

    def Cbar_upper_q(self) -> mpq:
        return _rational_above(self.Cbar)


def _rational_below(x: sympy.Expr, bits: int = 200) -> mpq:
    """A rational <= x (x itself when rational); exact comparison by SymPy."""
    if x.is_Rational:
        return to_q(x)
    scale = Q(2) ** bits
    q = Q(sympy.floor(x * scale), scale)
    if not q <= x:  # a rigour check: never an assert (python -O drops those)
        raise EnclosureError(f"rational lower bound {q} exceeds {x}")
    return to_q(q)


def _rational_above(x: sympy.Expr, bits: int = 200) -> mpq:
    if x.is_Rational:
        return to_q(x)
    scale = Q(2) ** bits
    q = Q(sympy.ceiling(x * scale), scale)
    if not q >= x:
        raise EnclosureError(f"rational upper bound {q} is below {x}")
    return to_q(q)


def growth_claim(derivation: Derivation, eta: sympy.Rational) -> tuple[Claim, Growth]:
    """Explicit c > 0, Cbar with -L' >= c/w^2, L <= Cbar/w on w >= w*; Phi^3 - w^3 >= 3 eta c."""
    a = list(derivation.asymptotic_coeffs)
    w_star = derivation.w_star
    C = derivation.leading_constant
    b = sympy.Symbol("b", positive=True)
    cube_ok = sympy.expand((w + b / w ** 2) ** 3 - w ** 3 - 3 * b - (3 * b ** 2 / w ** 3 + b ** 3 / w ** 6)) == 0
    data: dict[str, Any] = {"w_star": ex(w_star), "eta": ex(eta)}
    if not a and hasattr(derivation.abs_density, "power"):
        return _density_bound_growth(derivation, eta, data, cube_ok)
    if not a or a[0] == 0:
        data["note"] = "the asymptotic loss is not a finite power sum with a 1/w term: no constants derived"
        return (Claim("growth", "growth constants for w >= w*: not derived", FAILED, data),
                Growth(Q(0), Q(0), C, w_star, False))
    s = a[0]
    ratios = [sympy.simplify(x / s) for x in a]
    if not all(q.is_Rational for q in ratios) or (s > 0) is not sympy.true:
        data["note"] = "coefficients not a positive common factor times rationals"
        return (Claim("growth", "growth constants for w >= w*: not derived", FAILED, data),
                Growth(Q(0), Q(0), C, w_star, False))
    v_star = 1 / w_star
    A = list(ratios)                                   # w L(w) / s  = sum a_k/s v^k
    B = [(k + 1) * q for k, q in enumerate(ratios)]    # w^2 (-L') / s
    cq, c_exact = poly_extremum(B, v_star, lower=True)
    Cq, C_exact = poly_extremum(A, v_star, lower=False)
    c = s * cq
    Cbar = s * Cq
    # tie to the derivation: w L(w) = s A(1/w), w^2 (-L'(w)) = s B(1/w) on the asymptotic piece
    Lexpr = derivation.asymptotic
    A_expr = s * sum((q * w ** (-k) for k, q in enumerate(A)), Q(0))
    B_expr = s * sum((q * w ** (-k) for k, q in enumerate(B)), Q(0))
    tie = (radical_zero(w * Lexpr - A_expr, w) or sympy.simplify(w * Lexpr - A_expr) == 0) and \
          (radical_zero(-w ** 2 * sympy.diff(Lexpr, w) - B_expr, w)
           or sympy.simplify(-w ** 2 * sympy.diff(Lexpr, w) - B_expr) == 0)
    positive = bool(cq > 0)
    ok = cube_ok and tie and positive
    pure = len([q for q in ratios if q != 0]) == 1
    data.update({"c": ex(c), "Cbar": ex(Cbar), "3_eta_c": ex(3 * eta * c)})
    statement = (f"for all w >= w* = {ex(w_star)}: -L'(w) >= c/w^2 with c = {ex(c)} > 0 and "
                 f"L(w) <= Cbar/w with Cbar = {ex(Cbar)} (w L(w) = A(1/w), w^2(-L'(w)) = B(1/w) for "
                 f"polynomials A, B; c = min B, Cbar = max A on [0, 1/w*], by exact real-root "
                 f"isolation{'; c = Cbar = C in the pure 1/w regime' if pure else ''}); hence "
                 f"Phi(w)^3 - w^3 >= 3 eta c = {ex(3 * eta * c)} there, by "
                 f"(w + b/w^2)^3 - w^3 - 3b = 3b^2/w^3 + b^3/w^6 >= 0 with b = eta w^2 (-L'(w)) >= eta c")
    return Claim("growth", statement, PROVED if ok else FAILED, data), Growth(c, Cbar, C, w_star, ok)
