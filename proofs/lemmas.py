"""Proof obligations: each a function returning a checked :class:`Claim` for the spec at hand.

Notation (DESIGN sections 3 and 6).  For g(x) != 0 and w >= 0 the error of the head
f(w,x) = sigma(w g + 1/2) - sigma(w g - 1/2) against f°(x) is e(w,x) = (1/2 - w|g(x)|)_+;
on g = 0, f(w,x) = 1/2 = f°(x) for every w.  With rho the density of |g| under mu
(piecewise polynomial, breaks 0 = u_0 < u_1 < ... < u_m),

    L(w)   = integral_0^oo (1/2 - w u)_+^r rho(u) du,
    -L'(w) = r integral_0^oo (1/2 - w u)_+^(r-1) u rho(u) du,                      (*)

and Phi(w) = w - eta L'(w).  The obligations, and how each is discharged:

* ``monotonicity``: rho >= 0 on every piece (exact real-root isolation of each density
  polynomial), and on every w-piece of the derivation the derived L'(w) equals (*)
  (an exact identity: rational functions, or rational powers of linear forms reduced
  modulo their defining relations).  The integrand of (*) is >= 0, so L' <= 0; and for
  every u the integrand is nonincreasing in w (r >= 1), so -L' is nonincreasing.  For
  integer r also directly: the sign of L' on each piece by root isolation.
* ``asymptotic``: for w >= w* = 1/(2 u_1), L(w) = sum_k c_k B(k+1, r+1) 2^-(r+k+1)
  w^-(k+1) with c_k the coefficients of rho on (0, u_1): an identity checked by SymPy.
* ``growth``: with L = sum_k a_k w^-(k+1) there, w L(w) = A(v) = sum a_k v^k and
  w^2 (-L'(w)) = B(v) = sum (k+1) a_k v^k, v = 1/w in (0, 1/w*]; c = min B and
  Cbar = max A on [0, 1/w*] (exactly, or rigorous rational bounds around irrational
  critical points), so -L'(w) >= c/w^2 and L(w) <= Cbar/w for w >= w*; and
  (w + b/w^2)^3 - w^3 - 3b = 3b^2/w^3 + b^3/w^6 >= 0 with b = eta w^2 (-L'(w)) >= eta c
  gives Phi(w)^3 - w^3 >= 3 eta c there.  Without a finite power sum (the exact ball in
  odd d) from bounds on the density instead: with u = s/(2w),
  w^2 (-L'(w)) = r 2^-(r+1) int_0^1 (1-s)^(r-1) s rho(s/(2w)) ds >= kappa min rho and
  w L(w) <= kappa max rho, kappa = 2^-(r+1)/(r+1), min/max over [0, 1/(2w*)].
* ``entry``: t* = the first step with w_t >= w* (enclosures of the path, or exact
  iteration), and the proved bound t* <= ceil((w* - w0) / (eta (-L'(w*)))): while
  w_t < w*, w_{t+1} - w_t = eta (-L'(w_t)) >= eta (-L'(w*)) because -L' is nonincreasing.
* ``rate``: for t >= t*, w_t^3 >= w_{t*}^3 + 3 eta c (t - t*) (growth, by induction; the
  path stays in w >= w* since it is nondecreasing), hence
  L(w_t) <= Cbar / w_t <= Cbar (w_{t*}^3 + 3 eta c (t - t*))^(-1/3).
* ``pointwise``: T(x) = min{t : w_t >= 1/(2|g(x)|)}; from then on f(w_t, x) = f°(x)
  exactly (w_t is nondecreasing), before it f(w_t, x) != f°(x).  Beyond the computed
  horizon T(x) <= t* + ceil(((2|g(x)|)^-3 - w_{t*}^3) / (3 eta c)).  On g(x) = 0 the
  network gives 1/2 = f°(x) for every t.
* ``cyclic:K``: the growth lemma per slab (c_k = 0 for a slab without boundary); from
  W* = max_k w*_k on, a cycle of K steps raises w^3 by >= G = 3 eta sum_k s c_k, so the
  rate and T(x) bounds hold with (t - t*) replaced by K floor((t - t*)/K).
* mini-batches: every batch loss is a mean of per-point errors, each nonincreasing in
  w, so every step is nondecreasing on every sample path (proved); ``sampled:M``
  certifies the realized path (enclosures) up to its last step; ``dataset:N,M``
  stalls: see :func:`dataset_stall`.

Statuses: "proved" (a symbolic identity or inequality checked exactly by SymPy),
"enclosed" (rigorous ball arithmetic or exact rational computation), "numerical"
(floats; evidence only), "failed".  Every number in ``data`` is an exact string:
a rational ``p/q`` or an expression in :mod:`symbolic.exprio`'s grammar.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import sympy
from gmpy2 import mpq

from relu_pointwise.symbolic.exprio import rational_to_text, to_text
from relu_pointwise.symbolic.loss import Derivation, w
from relu_pointwise.symbolic.spec import Spec, Training
from relu_pointwise.symbolic.targets import level_value

Q = sympy.Rational
HALF = Q(1, 2)

PROVED, ENCLOSED, NUMERICAL, FAILED = "proved", "enclosed", "numerical", "failed"
STATUSES = (PROVED, ENCLOSED, NUMERICAL, FAILED)
_STRENGTH = {PROVED: 3, ENCLOSED: 2, NUMERICAL: 1, FAILED: 0}


# ====================================================================== claims and text

@dataclass
class Claim:
    """One checked statement: ``status`` says how it was established (module docstring)."""

    id: str
    statement: str
    status: str
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"claim {self.id}: unknown status {self.status!r}")

    @property
    def holds(self) -> bool:
        """Proved or enclosed: a claim a certificate may rest on."""
        return self.status in (PROVED, ENCLOSED)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "statement": self.statement, "status": self.status, "data": self.data}


def weakest(*statuses: str) -> str:
    """The weakest of several statuses (proved > enclosed > numerical > failed)."""
    return min(statuses, key=_STRENGTH.__getitem__)


def ex(value: Any) -> str:
    """Exact text of a number or expression: ``p/q`` for rationals, else :func:`to_text`."""
    if isinstance(value, bool):
        raise TypeError("ex: a boolean is not a number")
    if isinstance(value, int):
        return rational_to_text(sympy.Integer(value))
    if isinstance(value, type(mpq(0))):
        return rational_to_text(to_rat(value))
    if isinstance(value, sympy.Rational):
        return rational_to_text(value)
    if not isinstance(value, sympy.Basic):
        raise TypeError(f"ex: not an exact number or expression: {type(value).__name__}")
    return to_text(value)


def to_rat(x) -> sympy.Rational:
    """gmpy2.mpq / int / Rational as a sympy Rational."""
    if isinstance(x, sympy.Rational):
        return x
    x = mpq(x)
    return Q(int(x.numerator), int(x.denominator))


def to_q(x) -> mpq:
    """A sympy Rational (or int, mpq) as gmpy2.mpq."""
    if isinstance(x, sympy.Rational):
        return mpq(int(x.p), int(x.q))
    return mpq(x)


def short(q, mode: str = "near", digits: int = 12) -> str:
    """Statement text of an exact rational: exact when short, else a decimal with ``digits``
    significant digits rounded ``down`` / ``up`` (still a valid lower / upper bound) or to
    the nearest (prefixed by "~").  The exact value is always in the claim's data."""
    text = ex(q) if not isinstance(q, str) else q
    if len(text) <= 24:
        return text
    v = mpq(q) if not isinstance(q, sympy.Rational) else to_q(q)
    if v == 0:
        return "0"
    e = math.floor(math.log10(abs(float(v)))) if float(v) != 0 else 0
    scale = mpq(10) ** (digits - 1 - e) if digits - 1 - e >= 0 else mpq(1, 10 ** (e - digits + 1))
    x = v * scale
    import gmpy2
    n = {"down": gmpy2.floor, "up": gmpy2.ceil}.get(mode, gmpy2.rint)(x)
    n = int(n)
    k = digits - 1 - e
    sign = "-" if n < 0 else ""
    digs = str(abs(n))
    if k > 0:
        digs = digs.rjust(k + 1, "0")
        body = digs[:-k] + "." + digs[-k:]
    else:
        body = digs + "0" * (-k)
    return ("~" if mode == "near" else "") + sign + body


def point_text(x: Sequence[sympy.Rational]) -> str:
    """``-1/4`` in 1-D, ``(1/4,-1/2)`` in d-D."""
    parts = [rational_to_text(Q(v)) for v in x]
    return parts[0] if len(parts) == 1 else "(" + ",".join(parts) + ")"


# ====================================================================== exact decision procedures

def sign_on_interval(P: sympy.Poly, lo: sympy.Rational, hi, s: int) -> bool:
    """True iff s * P(v) >= 0 for every v in [lo, hi] (``hi = sympy.oo`` allowed); exact.

    P = c prod f_j^(e_j) (square-free decomposition); factors of even multiplicity
    are squares, so sign(P) = sign(Q) where P != 0, Q = c prod_{e_j odd} f_j.  Q is
    square-free, hence changes sign at each of its real roots: s * P >= 0 on [lo, hi]
    iff Q has no root in the open interval (Sturm counting, ``count_roots``) and
    s * Q > 0 at one rational point inside.
    """
    if P.is_zero:
        return True
    if hi != sympy.oo and not lo < hi:
        return s * P.eval(lo) >= 0
    coeff, factors = P.sqf_list()
    odd = sympy.Poly(coeff, *P.gens, domain=P.domain)
    for f, e in factors:
        if e % 2:
            odd = odd * f
    if odd.degree() <= 0:
        return s * odd.LC() > 0
    inside = odd.count_roots(lo, None if hi == sympy.oo else hi)
    if odd.eval(lo) == 0:
        inside -= 1
    if hi != sympy.oo and odd.eval(hi) == 0:
        inside -= 1
    if inside > 0:
        return False
    probe = lo + 1 if hi == sympy.oo else (lo + hi) / 2
    return s * odd.eval(probe) > 0


def rational_poly(expr: sympy.Expr, var: sympy.Symbol) -> sympy.Poly | None:
    """``expr`` as a polynomial over QQ in ``var``, or None."""
    try:
        P = sympy.Poly(sympy.expand(expr), var)
    except sympy.PolynomialError:
        return None
    if not all(c.is_Rational for c in P.all_coeffs()):
        return None
    return sympy.Poly(P.as_expr(), var, domain="QQ")


def sign_poly(expr: sympy.Expr, var: sympy.Symbol) -> sympy.Poly | None:
    """N * D for a rational function expr = N / D over QQ (same sign as expr where D != 0)."""
    num, den = sympy.fraction(sympy.cancel(sympy.together(expr)))
    pn, pd = rational_poly(num, var), rational_poly(den, var)
    return None if pn is None or pd is None else pn * pd


def radical_zero(expr: sympy.Expr, var: sympy.Symbol, _inverted: bool = False) -> bool:
    """True only if ``expr`` (rational powers of linear forms in ``var`` -- or in 1/var --
    and of positive rationals, with rational coefficients) is identically zero where the
    bases are > 0.

    Each base k B_i(var) (k > 0) becomes s_i^D_i with s_i^D_i = B_i, each root of a
    positive rational q_j becomes t_j with t_j^D_j = q_j; the numerator is reduced
    modulo these relations (a Groebner basis under lex with s, t > var: the leading
    monomials are pairwise coprime).  Remainder 0 proves the identity; anything
    else returns False (not shown).  Bases linear in 1/var (c - 1/(2w)) are handled by
    the substitution var = 1/z (z > 0).
    """
    if not _inverted:
        nonlinear = any(a.exp.is_Rational and not a.exp.is_integer and a.base.has(var)
                        and (rational_poly(a.base, var) is None or rational_poly(a.base, var).degree() != 1)
                        for a in sympy.expand(expr).atoms(sympy.Pow))
        if nonlinear:
            z = sympy.Symbol("_rad_z", positive=True)
            return radical_zero(sympy.expand(expr.subs(var, 1 / z)), z, True)
    expr = sympy.expand(expr)
    if expr == 0:
        return True
    gens: list[sympy.Symbol] = []
    rels: list[sympy.Expr] = []
    bases: dict[sympy.Expr, list] = {}
    for a in expr.atoms(sympy.Pow):
        e = a.exp
        if e.is_Rational and not e.is_integer and a.base.has(var):
            P = rational_poly(a.base, var)
            if P is None or P.degree() != 1:
                return False
            k = abs(P.LC())
            bases.setdefault(sympy.expand(a.base / k), []).append((a, k, e))
    rep = {}
    for i, (b0, items) in enumerate(bases.items()):
        D = sympy.ilcm(1, *[e.q for _, _, e in items])
        s_i = sympy.Symbol(f"_rad_s{i}", positive=True)
        gens.append(s_i)
        rels.append(s_i ** D - b0)
        for a, k, e in items:
            rep[a] = k ** e * s_i ** int(e * D)
    expr = sympy.expand(expr.xreplace(rep))
    numeric: dict[sympy.Rational, list] = {}
    for a in expr.atoms(sympy.Pow):
        e = a.exp
        if e.is_Rational and not e.is_integer and a.base.is_Rational and a.base > 0:
            numeric.setdefault(a.base, []).append((a, e))
    rep = {}
    for j, (base, items) in enumerate(numeric.items()):
        D = sympy.ilcm(1, *[e.q for _, e in items])
        t_j = sympy.Symbol(f"_rad_t{j}", positive=True)
        gens.append(t_j)
        rels.append(t_j ** D - base)
        for a, e in items:
            rep[a] = t_j ** int(e * D)
    num, _ = sympy.fraction(sympy.together(expr.xreplace(rep)))
    num = sympy.expand(num)
    if num == 0:
        return True
    if not rels:
        return False
    try:
        _, rem = sympy.reduced(num, rels, *gens, var, order="lex")
    except (sympy.PolynomialError, sympy.CoercionFailed):
        return False
    return sympy.expand(rem) == 0


def _term_bound(coeffs: Sequence[sympy.Rational], a, b, lower: bool) -> sympy.Rational:
    """Bound of sum_k q_k v^k over v in [a, b] (0 <= a <= b), term by term."""
    total = Q(0)
    for k, q in enumerate(coeffs):
        lo_pow, hi_pow = a ** k, b ** k
        total += q * ((lo_pow if q >= 0 else hi_pow) if lower else (hi_pow if q >= 0 else lo_pow))
    return total


def poly_extremum(coeffs: Sequence[sympy.Rational], b: sympy.Rational, lower: bool
                  ) -> tuple[sympy.Rational, bool]:
    """(bound, attained) for min (lower) / max of p(v) = sum_k coeffs[k] v^k on [0, b].

    Candidates: p(0), p(b), p at rational critical points, and for an irrational
    critical point isolated in [a', b'] (SymPy ``intervals``, refined to width
    <= b / 2^40) the term-wise bound of p over [a', b'].  The min (max) of the
    candidates bounds p on [0, b] from below (above); ``attained`` says it is a value
    of p (so the bound is the exact extremum).
    """
    v = sympy.Symbol("v")
    P = sympy.Poly(list(reversed([Q(c) for c in coeffs])) or [0], v, domain="QQ")
    cands = [(P.eval(Q(0)), True), (P.eval(b), True)]
    dP = P.diff(v)
    if dP.degree() >= 1:
        for (a1, b1), _ in dP.intervals(inf=Q(0), sup=b):
            a1, b1 = Q(a1), Q(b1)
            if a1 == b1:
                cands.append((P.eval(a1), True))
                continue
            if b1 - a1 > b / 2 ** 40:
                a1, b1 = (Q(t) for t in dP.refine_root(a1, b1, eps=b / 2 ** 40))
            cands.append((_term_bound(coeffs, max(a1, Q(0)), min(b1, b), lower), False))
    best = (min if lower else max)(c for c, _ in cands)
    return best, any(c == best and att for c, att in cands)


# ====================================================================== the construction

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
    for cell in cells:
        for v in cell.poly.vertices:
            x = [to_rat(c) for c in v]
            nverts += 1
            if cell.g_at(x) != level_value(level, x):
                bad.append("vertex " + point_text(x))
    widths = [layer.width for layer in net.hidden]
    statement = (f"the layered ReLU network ({net.depth} ReLU layers, hidden widths "
                 f"{widths or '[]'}, {net.nonzero_fixed_weights()} nonzero fixed weights, one trainable "
                 f"slope w) computes g(x) equal to the target's level function at the {len(points)} "
                 f"requested points" + (f" and, on each of its {len(cells)} linear regions, at all "
                                        f"{nverts} region vertices" if cells else "")
                 + "; f(w,x) = sigma(w g + 1/2) - sigma(w g - 1/2)")
    data = {"depth": ex(net.depth), "hidden_widths": [ex(k) for k in widths],
            "nonzero_fixed_weights": ex(net.nonzero_fixed_weights()),
            "features": list(net.features), "points_checked": ex(len(points)),
            "regions": ex(len(cells)), "vertices_checked": ex(nverts)}
    if bad:
        data["mismatches"] = bad[:20]
        return Claim("construction", statement, FAILED, data)
    return Claim("construction", statement, PROVED, data)


# ====================================================================== monotonicity

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
    rho = derivation.abs_density
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
    for p in derivation.pieces:
        entry = {"w_lo": ex(p.w_lo), "w_hi": "oo" if p.w_hi == sympy.oo else ex(p.w_hi)}
        if polys is not None:
            formula = _minus_dL_formula(polys, r, p.w_lo, cache)
            ident = formula is not None and radical_zero(p.derivative + formula, w)
            ident_ok &= ident
            entry["identity"] = "proved" if ident else "failed"
        P = sign_poly(p.derivative, w) if r.is_integer else None
        if P is not None:
            s_ok = sign_on_interval(P, Q(p.w_lo), p.w_hi, -1)
            sign_ok &= s_ok
            entry["sign_by_root_isolation"] = "proved" if s_ok else "failed"
        pieces.append(entry)
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
    data = {"r": ex(r), "per_point_derivative": "proved" if per_point else "failed",
            "antiderivative": "proved" if anti_ok else "failed",
            "density_pieces": dens, "w_pieces": pieces}
    return Claim("monotonicity", statement, PROVED if ok else FAILED, data)


# ====================================================================== asymptotic form

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
    rho = derivation.abs_density
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
    sd = derivation.density
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
    data.update({"density_coeffs": [ex(ck) for ck in c], "u_1": ex(u_1),
                 "coeffs": [ex(a) for a in derivation.asymptotic_coeffs], "C": ex(C),
                 "rho_0_plus_plus_rho_0_minus": ex(both)})
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
    rho = derivation.abs_density
    r = derivation.spec.r
    expr = derivation.asymptotic
    K, c, p, (lo, hi) = rho.scale, rho.center, rho.power, rho.window
    ident = radical_zero(expr - _ball_band_loss(K, c, p, int(r)), w)
    kappa = Q(2) ** (-r - 1) / (r + 1)
    C = derivation.leading_constant
    C_ok = sympy.simplify(C - kappa * rho(Q(0))) == 0
    ws_ok = lo == 0 and derivation.w_star == 1 / (2 * hi)
    data.update({"C": ex(C), "K": ex(K), "c": ex(c), "p": ex(p), "u_1": ex(hi)})
    statement = (f"for w >= w* = {ex(derivation.w_star)} (the band |g| < 1/(2w) inside the window [0, {ex(hi)}] of "
                 f"rho(u) = K((c - u)^p + (c + u)^p), K = {ex(K)}, c = {ex(c)}, p = {ex(p)}): L(w) = {ex(expr)} = "
                 f"K int_0^(1/(2w)) (1/2 - w u)^r rho(u)/K du in closed form (identity checked by SymPy); not a "
                 f"finite power sum of 1/w; L(w) ~ C/w with C = rho(0) 2^-(r+1)/(r+1) = {ex(C)}")
    return Claim("asymptotic", statement, PROVED if ident and C_ok and ws_ok else FAILED, data)


def _density_bound_growth(derivation: Derivation, eta: sympy.Rational, data: dict) -> tuple[Claim, Growth]:
    """Growth constants from bounds on the density (exact ball without a power sum).

    With u = s/(2w): -L'(w) w^2 = r 2^-(r+1) int_0^1 (1-s)^(r-1) s rho(s/(2w)) ds and
    w L(w) = 2^-(r+1) int_0^1 (1-s)^r rho(s/(2w)) ds, and int_0^1 (1-s)^(r-1) s ds = 1/(r(r+1)),
    int_0^1 (1-s)^r ds = 1/(r+1).  So on w >= w* (s/(2w) in [0, u*], u* = 1/(2w*)):
    c = kappa min_[0,u*] rho, Cbar = kappa max_[0,u*] rho, kappa = 2^-(r+1)/(r+1).
    For rho = K((c-u)^p + (c+u)^p) (K > 0, 0 <= u <= u* <= c), rho'(u) = K p ((c+u)^(p-1) - (c-u)^(p-1))
    has one sign on (0, u*] (<= 0 for p < 1, >= 0 for p >= 1), so min and max are at u = 0, u*.
    """
    rho = derivation.abs_density
    r = derivation.spec.r
    K, c0, p, (lo, hi) = rho.scale, rho.center, rho.power, rho.window
    kappa = Q(2) ** (-r - 1) / (r + 1)
    a, b = rho(Q(0)), rho(hi)
    s_ = sympy.Symbol("s", positive=True)
    ints_ok = (sympy.integrate((1 - s_) ** (r - 1) * s_, (s_, 0, 1)) == 1 / (r * (r + 1))
               and sympy.integrate((1 - s_) ** r, (s_, 0, 1)) == 1 / (r + 1))
    mono_ok = bool(K > 0) and lo == 0 and bool(c0 - hi >= 0) and p >= 0
    m, M = (sympy.Min(a, b), sympy.Max(a, b))
    c, Cbar = sympy.simplify(kappa * m), sympy.simplify(kappa * M)
    ok = ints_ok and mono_ok and bool(c > 0)
    data.update({"c": ex(c), "Cbar": ex(Cbar), "C": ex(derivation.leading_constant), "3_eta_c": ex(3 * eta * c),
                 "regime": "density bounds: rho monotone on the window", "rho_0": ex(a), "rho_u_star": ex(b)})
    statement = (f"for all w >= w* = {ex(derivation.w_star)}: w^2 (-L'(w)) = r 2^-(r+1) int_0^1 (1-s)^(r-1) s "
                 f"rho(s/(2w)) ds >= kappa min rho and w L(w) = 2^-(r+1) int_0^1 (1-s)^r rho(s/(2w)) ds <= kappa max rho, "
                 f"kappa = 2^-(r+1)/(r+1), min/max over [0, {ex(hi)}] where rho = K((c-u)^p + (c+u)^p) is monotone "
                 f"(rho(0) = {ex(a)}, rho(u*) = {ex(b)}): c = {ex(c)} > 0, Cbar = {ex(Cbar)} (C = "
                 f"{ex(derivation.leading_constant)}); hence Phi(w)^3 - w^3 >= 3 eta c = {ex(3 * eta * c)} there, by "
                 f"(w + b/w^2)^3 - w^3 - 3b = 3b^2/w^3 + b^3/w^6 >= 0 with b = eta w^2 (-L'(w)) >= eta c")
    return (Claim("growth", statement, PROVED if ok and data["cube_identity"] == "proved" else FAILED, data),
            Growth(c, Cbar, derivation.leading_constant, derivation.w_star, ok))


# ====================================================================== growth

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
    assert q <= x
    return to_q(q)


def _rational_above(x: sympy.Expr, bits: int = 200) -> mpq:
    if x.is_Rational:
        return to_q(x)
    scale = Q(2) ** bits
    q = Q(sympy.ceiling(x * scale), scale)
    assert q >= x
    return to_q(q)


def growth_claim(derivation: Derivation, eta: sympy.Rational) -> tuple[Claim, Growth]:
    """Explicit c > 0, Cbar with -L' >= c/w^2, L <= Cbar/w on w >= w*; Phi^3 - w^3 >= 3 eta c."""
    a = list(derivation.asymptotic_coeffs)
    w_star = derivation.w_star
    C = derivation.leading_constant
    b = sympy.Symbol("b", positive=True)
    cube_ok = sympy.expand((w + b / w ** 2) ** 3 - w ** 3 - 3 * b - (3 * b ** 2 / w ** 3 + b ** 3 / w ** 6)) == 0
    data: dict[str, Any] = {"w_star": ex(w_star), "eta": ex(eta), "cube_identity": "proved" if cube_ok else "failed"}
    if not a and hasattr(derivation.abs_density, "power"):
        return _density_bound_growth(derivation, eta, data)
    if not a or a[0] == 0:
        data["note"] = "the asymptotic loss is not a finite power sum with a 1/w term: no constants derived"
        return (Claim("growth", "growth constants for w >= w*: not derived", FAILED, data),
                Growth(Q(0), Q(0), C, w_star, False))
    s = a[0]
    ratios = [sympy.simplify(x / s) for x in a]
    if not all(q.is_Rational for q in ratios) or not (s > 0) == sympy.true:
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
    data.update({"c": ex(c), "Cbar": ex(Cbar), "C": ex(C), "c_attained": "yes" if c_exact else "no",
                 "Cbar_attained": "yes" if C_exact else "no", "3_eta_c": ex(3 * eta * c),
                 "regime": "pure 1/w" if pure else "power sum in 1/w",
                 "A_poly_v": [ex(s * q) for q in A], "B_poly_v": [ex(s * q) for q in B]})
    statement = (f"for all w >= w* = {ex(w_star)}: -L'(w) >= c/w^2 with c = {ex(c)} > 0 and "
                 f"L(w) <= Cbar/w with Cbar = {ex(Cbar)} (w L(w) = A(1/w), w^2(-L'(w)) = B(1/w) for "
                 f"polynomials A, B; c = min B, Cbar = max A on [0, 1/w*], by exact real-root "
                 f"isolation{'; c = Cbar = C in the pure 1/w regime' if pure else ''}); hence "
                 f"Phi(w)^3 - w^3 >= 3 eta c = {ex(3 * eta * c)} there, by "
                 f"(w + b/w^2)^3 - w^3 - 3b = 3b^2/w^3 + b^3/w^6 >= 0 with b = eta w^2 (-L'(w)) >= eta c")
    return Claim("growth", statement, PROVED if ok else FAILED, data), Growth(c, Cbar, C, w_star, ok)


# ====================================================================== the path

@dataclass
class PathBounds:
    """Rigorous bounds lo[t] <= w_t <= hi[t] for t = 0..n (gmpy2.mpq).

    ``source`` names how they were obtained ("exact rational iteration", "arb
    enclosure, prec 128 bits", ...); ``exact_steps``: the first steps known exactly.
    Built through :meth:`tightened`, which uses that w_t is nondecreasing
    (monotonicity): lo[t] becomes max_{s<=t} lo[s], hi[t] becomes min_{s>=t} hi[s].
    """

    lo: list
    hi: list
    source: str
    exact_steps: int = 0

    @property
    def horizon(self) -> int:
        return len(self.lo) - 1

    def tightened(self) -> "PathBounds":
        lo = list(self.lo)
        hi = list(self.hi)
        for t in range(1, len(lo)):
            if lo[t] < lo[t - 1]:
                lo[t] = lo[t - 1]
        for t in range(len(hi) - 2, -1, -1):
            if hi[t] > hi[t + 1]:
                hi[t] = hi[t + 1]
        return PathBounds(lo, hi, self.source, self.exact_steps)

    def consistent(self) -> bool:
        return all(a <= b for a, b in zip(self.lo, self.hi))

    def first_certain(self, theta) -> int | None:
        """Least t <= n with lo[t] >= theta (so w_t >= theta surely), or None."""
        return _first_at_least(self.lo, theta)

    def first_possible(self, theta) -> int | None:
        """Least t <= n with hi[t] >= theta (before it, w_t < theta surely), or None."""
        return _first_at_least(self.hi, theta)


def _first_at_least(seq: Sequence, theta) -> int | None:
    """Binary search in a nondecreasing sequence."""
    lo, hi = 0, len(seq)
    while lo < hi:
        mid = (lo + hi) // 2
        if seq[mid] >= theta:
            hi = mid
        else:
            lo = mid + 1
    return lo if lo < len(seq) else None


def merge_paths(exact: Sequence | None, enclosure: PathBounds | None) -> tuple[PathBounds | None, list[str]]:
    """Combine exact values w_0..w_k with enclosures; each exact value must lie in its ball.

    Returns (bounds, disagreements): the exact values replace the balls where known.
    """
    problems: list[str] = []
    if enclosure is None and not exact:
        return None, problems
    if enclosure is None:
        ex_q = [mpq(v) for v in exact]
        return PathBounds(list(ex_q), list(ex_q), "exact rational iteration", len(ex_q)).tightened(), problems
    lo, hi = list(enclosure.lo), list(enclosure.hi)
    k = 0
    for t, v in enumerate(exact or []):
        if t >= len(lo):
            break
        v = mpq(v)
        if not lo[t] <= v <= hi[t]:
            problems.append(f"step {t}: exact w_t = {v} outside the enclosure [{lo[t]}, {hi[t]}]")
        lo[t] = hi[t] = v
        k = t + 1
    src = enclosure.source + (f"; steps 0..{k - 1} by exact rational iteration" if k else "")
    return PathBounds(lo, hi, src, k).tightened(), problems


# ====================================================================== entry into the regime

@dataclass(frozen=True)
class Entry:
    """From step ``t0`` on, w_t >= w_lower >= w* (used by the rate and T(x) bounds)."""

    t0: int
    w_lower: mpq
    t_star_bound: int
    exact: bool
    ok: bool
    pre_gain: sympy.Expr | None = None   # w grows by >= this per period while below w*


def nice_below(q: mpq, floor_at: mpq, digits: int = 15) -> mpq:
    """A shorter rational in [floor_at, q]: q rounded down to ``digits`` significant decimals
    (q itself when its denominator is already small); never below floor_at (<= q)."""
    q = mpq(q)
    if q.denominator < 10 ** 6 or q <= 0:
        return q
    k = digits - len(str(int(q)))
    scale = mpq(10) ** k if k >= 0 else mpq(1, 10 ** (-k))
    r = mpq(int(q * scale)) / scale          # int() truncates towards 0: q > 0, so r <= q
    return max(r, mpq(floor_at))


def _ceil_pos(x: sympy.Expr) -> int:
    """max(0, ceil(x)) for an exact real x."""
    v = sympy.ceiling(x)
    return max(0, int(v))


def entry_claim(derivation: Derivation, training: Training, path: PathBounds | None) -> tuple[Claim, Entry]:
    """The step t* at which the path enters w >= w*, and the proved bound on it."""
    w_star = Q(derivation.w_star)
    eta, w0 = training.eta, training.w0
    dL = derivation.asymptotic.diff(w)
    gstar = -dL.subs(w, w_star)
    if not gstar.is_finite:
        gstar = -sympy.limit(dL, w, w_star, "+")     # one-sided: the regime is w >= w*
    gstar = gstar if gstar.is_Rational else sympy.simplify(gstar)
    if not gstar.is_finite:
        return (Claim("entry", f"entry into w >= w*: -L'(w*) is not finite ({gstar})", FAILED,
                      {"w_star": ex(w_star)}), Entry(0, to_q(w_star), 0, False, False))
    data: dict[str, Any] = {"w_star": ex(w_star), "w0": ex(w0), "eta": ex(eta), "minus_dL_at_w_star": ex(gstar)}
    if not gstar > 0:
        return (Claim("entry", "entry into w >= w*: -L'(w*) is not positive", FAILED, data),
                Entry(0, to_q(w_star), 0, False, False))
    bound = 0 if w0 >= w_star else _ceil_pos((w_star - w0) / (eta * gstar))
    data["t_star_bound"] = ex(bound)
    bound_text = (f"proved: t* <= ceil((w* - w0) / (eta (-L'(w*)))) = {bound}, since -L' is nonincreasing "
                  f"(monotonicity) so every step below w* adds at least eta (-L'(w*)) = {ex(eta * gstar)}")
    if path is None:
        statement = f"the path from w0 = {ex(w0)} enters w >= w* = {ex(w_star)} by step {bound}; {bound_text}"
        return Claim("entry", statement, PROVED, data), Entry(bound, to_q(w_star), bound, False, True, eta * gstar)
    t_enc = path.first_certain(to_q(w_star))
    data["source"] = path.source
    if t_enc is None:
        data["horizon"] = ex(path.horizon)
        statement = (f"the path from w0 = {ex(w0)} enters w >= w* = {ex(w_star)} by step {bound} "
                     f"(not within the {path.horizon} enclosed steps); {bound_text}")
        return Claim("entry", statement, PROVED, data), Entry(bound, to_q(w_star), bound, False, True, eta * gstar)
    exact = t_enc == 0 or path.hi[t_enc - 1] < to_q(w_star)
    data.update({"t_star": ex(t_enc), "t_star_exact": "yes" if exact else "no",
                 "w_t_star_lo": ex(path.lo[t_enc]), "w_t_star_hi": ex(path.hi[t_enc])})
    ok = not (exact and t_enc > bound)
    w_text = (f"w_{t_enc} = {short(path.lo[t_enc])}" if path.lo[t_enc] == path.hi[t_enc]
              else f"w_{t_enc} in [{short(path.lo[t_enc], 'down')}, {short(path.hi[t_enc], 'up')}]")
    if exact:
        what = (f"t* = {t_enc}: {w_text} >= w*"
                + (f" > w_{t_enc - 1}" if t_enc else " (w0 >= w*)"))
    else:
        what = (f"w_t >= w* certainly from step {t_enc} on (w_{t_enc} >= {short(path.lo[t_enc], 'down')}); "
                f"the enclosures do not decide whether t* < {t_enc}")
    statement = (f"the path from w0 = {ex(w0)} enters w >= w* = {ex(w_star)}: {what} "
                 f"({path.source}); {bound_text}")
    if not ok:
        statement += f"; CONTRADICTION: the enclosed t* = {t_enc} exceeds the proved bound"
    if t_enc <= bound:
        entry = Entry(t_enc, nice_below(path.lo[t_enc], to_q(w_star)), bound, exact, ok, eta * gstar)
    else:
        entry = Entry(bound, to_q(w_star), bound, exact, ok, eta * gstar)
    return Claim("entry", statement, ENCLOSED if ok else FAILED, data), entry


# ====================================================================== rate

def rate_claim(derivation: Derivation, training: Training, growth: Growth, entry: Entry,
               losses: Sequence[tuple] | None, checks: int = 24) -> Claim:
    """L(w_t) <= Cbar (w_{t0}^3 + 3 eta c (t - t0))^(-1/3) for all t >= t0 (module docstring).

    Also compared, as a consistency check, with the enclosed losses L(w_t) in [lo_t, hi_t] at
    up to ``checks`` log-spaced steps: hi_t^3 (w_{t0}^3 + 3 eta c_lo (t - t0)) <= Cbar_hi^3 must
    hold (c_lo <= c, Cbar_hi >= Cbar rationals: a violation would be a real one).
    """
    eta = training.eta
    t0, W0 = entry.t0, to_rat(entry.w_lower)
    c, Cbar = growth.c, growth.Cbar
    G, K = growth.gain_for(eta), growth.period
    data: dict[str, Any] = {"t0": ex(t0), "w_t0_lower": ex(W0), "c": ex(c), "Cbar": ex(Cbar),
                            "eta": ex(eta), "3_eta_c": ex(G)}
    steps_text = f"(t - {t0})" if K == 1 else f"floor((t - {t0})/{K})"
    if K > 1:
        data["period"] = ex(K)
    W0t = short(W0, "down")
    statement = (f"for all t >= {t0}: w_t^3 >= {W0t}^3 + {ex(G)} {steps_text} and "
                 f"L(w_t) <= Cbar / w_t <= {ex(Cbar)} * ({W0t}^3 + {ex(G)} {steps_text})^(-1/3) "
                 f"(growth lemma by induction from w_{t0} >= {W0t} >= w*; L nonincreasing): "
                 f"the t^(-1/3) rate")
    if not (growth.ok and entry.ok):
        return Claim("rate", "the t^(-1/3) rate bound is not established: it rests on the "
                     + ("growth" if not growth.ok else "entry") + " claim, which failed",
                     FAILED, {"t0": ex(t0), "eta": ex(eta)})
    if losses is not None and K == 1 and len(losses) - 1 > t0:
        n = len(losses) - 1
        ts = sorted({t0 + int(round((n - t0) ** (k / max(1, checks - 1)))) for k in range(checks)} | {n})
        ts = [t for t in ts if t0 <= t <= n]
        c_lo, C_hi, Wq = growth.c_lower_q(), growth.Cbar_upper_q(), to_q(W0)
        e = to_q(eta)
        bad = [ex(t) for t in ts if not losses[t][1] ** 3 * (Wq ** 3 + 3 * e * c_lo * ((t - t0) // K)) <= C_hi ** 3]
        data["checked_steps"] = [ex(t) for t in ts]
        if bad:
            data["violated_at"] = bad
            return Claim("rate", statement + " -- VIOLATED by the enclosed losses", FAILED, data)
        statement += f"; consistent with the enclosed losses L(w_t) at {len(ts)} steps up to t = {n}"
    return Claim("rate", statement, PROVED, data)


# ====================================================================== pointwise

def pointwise_claim(spec: Spec, x: Sequence[sympy.Rational], training: Training,
                    growth: Growth | None, entry: Entry | None, path: PathBounds | None,
                    realized_only: bool = False) -> tuple[Claim, dict[str, Any]]:
    """T(x): the first step from which f(w_t, x) = f°(x) exactly, for ever (module docstring).

    Returns the claim and a summary {x, g, T_lo, T_hi} (T_hi None when unknown).
    ``realized_only``: mini-batch paths, where only the enclosed steps are known.
    """
    net = spec.network
    g = net.level(x)
    fo = Q(1) if g > 0 else Q(0) if g < 0 else HALF
    cid = f"pointwise:x={point_text(x)}"
    data: dict[str, Any] = {"x": [ex(v) for v in x], "g": ex(g), "target": ex(fo)}
    if g == 0:
        st = (f"g(x) = 0 at x = {point_text(x)}: f(w, x) = sigma(1/2) - sigma(-1/2) = 1/2 = f°(x) for every w, "
              f"so f(w_t, x) = f°(x) for all t >= 0 (T(x) = 0)")
        data.update(T_lo="0", T_hi="0")
        return Claim(cid, st, PROVED, data), {"x": x, "g": g, "T_lo": 0, "T_hi": 0}
    theta = 1 / (2 * abs(g))
    data["threshold"] = ex(theta)
    head = (f"at x = {point_text(x)}: g = {ex(g)}, f°(x) = {ex(fo)}; f(w, x) = f°(x) iff w >= 1/(2|g|) = {ex(theta)} "
            f"(w >= 0), and w_t is nondecreasing, so T(x) = min{{t : w_t >= {ex(theta)}}}")
    if training.w0 >= theta:
        data.update(T_lo="0", T_hi="0")
        return (Claim(cid, head + f"; w0 = {ex(training.w0)} >= it: T(x) = 0", PROVED, data),
                {"x": x, "g": g, "T_lo": 0, "T_hi": 0})
    thq = to_q(theta)
    T_lo, T_hi, how, status = 1, None, [], PROVED
    if path is not None:
        status = ENCLOSED
        p = path.first_possible(thq)
        c_ = path.first_certain(thq)
        T_lo = max(1, p if p is not None else path.horizon + 1)
        if c_ is not None:
            T_hi = c_
        how.append(f"enclosures of w_t for t <= {path.horizon} ({path.source})")
    if growth is not None and entry is not None and growth.ok and entry.ok and not realized_only:
        W0 = to_rat(entry.w_lower)
        K = growth.period
        bound = entry.t0 + K * _ceil_pos((theta ** 3 - W0 ** 3) / growth.gain_for(training.eta))
        data["T_bound_proved"] = ex(bound)
        formula = ("t0 + ceil(((2|g|)^-3 - w_t0^3) / (3 eta c))" if K == 1 else
                   f"t0 + {K} ceil(((2|g|)^-3 - w_t0^3) / G), G = {ex(growth.gain_for(training.eta))} per cycle")
        how.append(f"proved bound T(x) <= {formula} = {bound} (t0 = {entry.t0}, w_t0 >= {short(W0, 'down')})")
        if entry.pre_gain is not None and theta <= growth.w_star:
            pre = K * _ceil_pos((theta - training.w0) / entry.pre_gain)
            if pre < bound:
                bound = pre
                data["T_bound_proved"] = ex(bound)
                how.append(f"below w* each {'step' if K == 1 else 'cycle'} adds >= {ex(entry.pre_gain)} "
                           f"(-L' nonincreasing): T(x) <= {'' if K == 1 else f'{K} '}ceil((1/(2|g|) - w0) / "
                           f"{ex(entry.pre_gain)}) = {pre}")
        if T_hi is None or bound < T_hi:
            T_hi = bound
            if path is None:
                status = PROVED
    if T_hi is not None and T_hi < T_lo:
        data.update(T_lo=ex(T_lo), T_hi=ex(T_hi))
        return (Claim(cid, head + f"; CONTRADICTION: lower bound {T_lo} > upper bound {T_hi}", FAILED, data),
                {"x": x, "g": g, "T_lo": T_lo, "T_hi": T_hi})
    data["T_lo"] = ex(T_lo)
    data["T_hi"] = "unknown" if T_hi is None else ex(T_hi)
    if T_hi == T_lo:
        what = (f"T(x) = {T_lo}: f(w_t, x) = f°(x) exactly for all t >= {T_lo}, "
                f"and f(w_t, x) != f°(x) for t < {T_lo}")
    elif T_hi is not None:
        what = (f"{T_lo} <= T(x) <= {T_hi}: f(w_t, x) = f°(x) exactly for all t >= {T_hi}, "
                f"and f(w_t, x) != f°(x) for t < {T_lo}")
    else:
        what = (f"T(x) >= {T_lo}: f(w_t, x) != f°(x) for t < {T_lo}; not reached on the "
                f"{'realized ' if realized_only else ''}enclosed path")
        if not realized_only:
            status = FAILED
            what += " and no proved bound"
    st = head + "; " + what + " (" + "; ".join(how) + ")"
    return Claim(cid, st, status, data), {"x": x, "g": g, "T_lo": T_lo, "T_hi": T_hi}


# ====================================================================== mini-batches

def minibatch_monotonicity_claim(spec: Spec, training: Training) -> Claim:
    """Every batch loss is a mean of per-point errors nonincreasing in w: w_t nondecreasing on every path."""
    r = spec.r
    u = sympy.Symbol("u", positive=True)
    ok = sympy.simplify(sympy.diff((HALF - w * u) ** r, w) + r * u * (HALF - w * u) ** (r - 1)) == 0
    statement = ("on every sample path: a batch loss L_B(w) = (1/M) sum_i e(w, x_i)^r is a mean of per-point "
                 "errors e(w, x) = (1/2 - w|g(x)|)_+ (0 on g = 0), each nonincreasing in w (d/dw (1/2 - w u)^r "
                 "= -r u (1/2 - w u)^(r-1) <= 0 for u >= 0, checked by SymPy), so L_B'(w) <= 0 and "
                 "w_{t+1} = w_t - eta L_B'(w_t) >= w_t for every batch, every step, every seed")
    return Claim("minibatch_monotonicity", statement, PROVED if ok else FAILED,
                 {"r": ex(r), "batch": training.batch.text()})


def path_claim(raw: PathBounds, training: Training) -> Claim:
    """The realized path enclosed step by step (raw enclosures, before tightening)."""
    n = raw.horizon
    consistent = raw.consistent() and all(raw.hi[t + 1] >= raw.lo[t] for t in range(n))
    lo_t = raw.tightened()
    data = {"steps": ex(n), "w0": ex(training.w0), "w_n_lo": ex(raw.lo[n]), "w_n_hi": ex(raw.hi[n]),
            "max_width": ex(max(h - l for l, h in zip(raw.lo, raw.hi))), "source": raw.source}
    statement = (f"the realized path w_0..w_{n} is enclosed step by step ({raw.source}); "
                 f"w_{n} in [{short(lo_t.lo[n], 'down')}, {short(lo_t.hi[n], 'up')}]; the enclosures are consistent with "
                 f"the proved monotonicity (w_{{t+1}} >= w_t)")
    return Claim("path", statement, ENCLOSED if consistent else FAILED, data)


def batch_losses_claim(losses: Sequence[tuple], training: Training) -> Claim:
    """Enclosures of the batch losses L_{B_t}(w_t) along the realized path."""
    n = len(losses) - 1
    lo0, hi0 = losses[0]
    lon, hin = losses[n]
    consistent = all(a <= b and a >= 0 for a, b in losses)
    tail = losses[max(0, n - n // 10):]
    data = {"steps": ex(n), "loss_0_lo": ex(lo0), "loss_0_hi": ex(hi0), "loss_n_lo": ex(lon),
            "loss_n_hi": ex(hin), "tail_max_hi": ex(max(h for _, h in tail))}
    statement = (f"the batch losses L_B_t(w_t) = (1/M) sum_i e(w_t, x_i)^r of the realized path are enclosed for "
                 f"t = 0..{n}: L_B_0(w_0) in [{short(lo0, 'down')}, {short(hi0, 'up')}], L_B_{n}(w_{n}) in "
                 f"[{short(lon, 'down')}, {short(hin, 'up')}]")
    return Claim("batch_losses", statement, ENCLOSED if consistent else FAILED, data)


def _witness(spec: Spec, bound: sympy.Expr, pts: Sequence[Sequence[sympy.Rational]]) -> tuple | None:
    """An exact x with 0 < |g(x)| < bound: exact bisection between points with g > 0 and g < 0."""
    net = spec.network
    pos = next((p for p in pts if net.level(p) > 0), None)
    neg = next((p for p in pts if net.level(p) < 0), None)
    if pos is None or neg is None:
        return None
    a, b = [Q(v) for v in pos], [Q(v) for v in neg]
    for _ in range(400):
        ga = net.level(a)
        if 0 < ga < bound:
            return tuple(a)
        gb = net.level(b)
        if 0 < -gb < bound:
            return tuple(b)
        m = [(p + q) / 2 for p, q in zip(a, b)]
        gm = net.level(m)
        if gm == 0:           # step off the boundary towards a
            m = [(p + 3 * q) / 4 for p, q in zip(m, a)]
            gm = net.level(m)
            if gm == 0:
                return None
        if gm > 0:
            a = m
        else:
            b = m
    return None


def dataset_stall_claim(spec: Spec, training: Training, source, path: PathBounds | None) -> Claim:
    """A fixed dataset stalls w_t: bounded for all t, so pointwise convergence fails near the boundary.

    With a_i = |g(x_i)| over the N data points, m = min over a_i > 0, theta = 1/(2m),
    a_max = max a_i: once w_t >= theta every data error is 0 and w_t stops; while
    w_t < theta a step adds eta (r/M) sum_B a_i (1/2 - w_t a_i)_+^(r-1) <= eta r 2^(1-r) a_max.
    So w_t <= W = max(w0, theta + eta r 2^(1-r) a_max) for all t, and at any x with
    0 < |g(x)| < 1/(2W) the error stays >= 1/2 - W|g(x)| > 0 for ever.
    """
    from fractions import Fraction

    net = spec.network
    rows = source.schedule.data
    a = []
    exact_pts = []
    for row in rows:
        x = [Q(Fraction(float(v)).numerator, Fraction(float(v)).denominator) for v in row]
        exact_pts.append(x)
        a.append(abs(net.level(x)))
    r, eta, w0 = spec.r, training.eta, training.w0
    pos = [v for v in a if v > 0]
    data: dict[str, Any] = {"N": ex(len(a)), "M": ex(training.batch.M)}
    if not pos:
        return Claim("dataset_stall", "dataset: every data point lies on the boundary g = 0", FAILED, data)
    m, amax = min(pos), max(a)
    theta = 1 / (2 * m)
    W = sympy.Max(w0, theta + eta * r * Q(2) ** (1 - r) * amax)
    data.update({"min_abs_g_data": ex(m), "max_abs_g_data": ex(amax), "theta_min": ex(theta), "W": ex(W)})
    x = _witness(spec, 1 / (2 * W), exact_pts)
    if x is None:
        data["summary"] = "no witness point found"
        return Claim("dataset_stall", "dataset stall: no witness point found", FAILED, data)
    gx = net.level(list(x))
    err = HALF - W * abs(gx)
    data.update({"witness_x": [ex(v) for v in x], "witness_g": ex(gx), "witness_error_lower": ex(err)})
    enc = ""
    if path is not None:
        n = path.horizon
        data.update({"w_n_lo": ex(path.lo[n]), "w_n_hi": ex(path.hi[n]), "steps": ex(n)})
        below = path.hi[n] < to_q(theta)
        data["below_theta_min_at_n"] = "yes" if below else "no"
        enc = (f"; enclosed: w_{n} in [{short(path.lo[n], 'down')}, {short(path.hi[n], 'up')}]"
               + (" < 1/(2 min_i |g(x_i)|)" if below else ""))
    Wt = short(W, "up") if W.is_Rational else ex(W)
    et = short(err, "down") if err.is_Rational else ex(err)
    xt = "(" + ", ".join(short(v) for v in x) + ")" if len(x) > 1 else short(x[0])
    data["summary"] = (f"w_t <= {Wt} for all t, so at x = {xt} (|g(x)| = {short(abs(gx), 'up')}) the error "
                       f"stays >= {et} > 0 for ever")
    statement = (f"dataset:{training.batch.N},{training.batch.M}: with m = min_i |g(x_i)| = {short(m)} over the "
                 f"data (exact in data), once w_t >= 1/(2m) = {short(theta)} every data error vanishes and w_t "
                 f"stops, and a step below it adds at most eta r 2^(1-r) max_i |g(x_i)|; so w_t <= W = {Wt} for "
                 f"all t{enc}.  At x = {xt}, 0 < |g(x)| <= {short(abs(gx), 'up')} < 1/(2W): "
                 f"|f(w_t, x) - f°(x)| >= 1/2 - W|g(x)| >= {et} > 0 for every t -- the network does not "
                 f"converge pointwise on the domain (it does on the data points)")
    return Claim("dataset_stall", statement, PROVED if err > 0 else FAILED, data)


# ====================================================================== cyclic:K

def cyclic_growth_claim(slabs: Sequence[Derivation], scales: Sequence[sympy.Rational], eta: sympy.Rational,
                        full: Derivation) -> tuple[Claim, Growth]:
    """Growth over a cycle of ``cyclic:K`` (DESIGN section 4).

    Step t uses Phi_k(w) = w - eta s L_k'(w), k = t mod K, L_k the normalized loss of slab k
    (scale s).  For each slab with the boundary inside: -L_k'(w) >= c_k / w^2 on w >= w*_k
    (:func:`growth_claim`), so Phi_k(w)^3 - w^3 >= 3 eta s c_k there; a slab where |g| >= u_0 > 0
    has L_k = 0 for w >= w*_k = 1/(2 u_0), so Phi_k(w) = w (c_k = 0).  Hence from any
    w >= W* = max_k w*_k, K consecutive steps raise w^3 by at least G = 3 eta s sum_k c_k, and
    L(w) <= Cbar / w for the population loss (full derivation, valid for w >= W* >= its w*).
    """
    per = []
    ok = True
    total = Q(0)
    W = Q(0)
    for k, (d, sc) in enumerate(zip(slabs, scales)):
        W = max(W, Q(d.w_star))
        if not d.asymptotic_coeffs and d.asymptotic == 0:
            per.append({"slab": ex(k), "w_star": ex(d.w_star), "c": "0", "note": "no boundary: L_k = 0 for w >= w*_k"})
            continue
        cl, gr = growth_claim(d, eta * sc)
        ok &= cl.holds
        total += sc * gr.c
        per.append({"slab": ex(k), "w_star": ex(d.w_star), "c": ex(gr.c), "status": cl.status})
    fcl, fgr = growth_claim(full, eta)
    ok &= fcl.holds and W >= full.w_star and bool(total > 0)
    G = 3 * eta * total
    data = {"K": ex(len(slabs)), "W_star": ex(W), "sum_c": ex(total), "gain_per_cycle": ex(G),
            "Cbar_full": ex(fgr.Cbar), "slabs": per}
    statement = (f"cyclic:{len(slabs)}: on w >= W* = max_k w*_k = {ex(W)} each slab step satisfies "
                 f"Phi_k(w)^3 - w^3 >= 3 eta s c_k (growth lemma per slab; c_k = 0 where a slab has no boundary), "
                 f"so every cycle of {len(slabs)} steps raises w^3 by at least G = 3 eta sum_k s c_k = {ex(G)} > 0; "
                 f"and L(w) <= Cbar/w with Cbar = {ex(fgr.Cbar)} for the population loss on w >= W*")
    return (Claim("cyclic_growth", statement, PROVED if ok else FAILED, data),
            Growth(fgr.c, fgr.Cbar, fgr.C, W, ok, period=len(slabs), gain=G))


def cyclic_entry_claim(slabs: Sequence[Derivation], scales: Sequence[sympy.Rational], training: Training,
                       growth: Growth, path: PathBounds | None) -> tuple[Claim, Entry]:
    """Entry into w >= W*: the enclosed step, and the proved bound
    t0 <= K ceil((W* - w0) / (eta sum_k s (-L_k'(W*)))) (each -L_k' nonincreasing)."""
    K = len(slabs)
    W = Q(growth.w_star)
    eta, w0 = training.eta, training.w0
    delta = sum((sc * -d.gradient(W) for d, sc in zip(slabs, scales)), Q(0))
    data: dict[str, Any] = {"W_star": ex(W), "w0": ex(w0), "eta": ex(eta), "cycle_increment_lower": ex(eta * delta)}
    if not delta > 0:
        return (Claim("entry", "entry into w >= W*: no positive increment per cycle", FAILED, data),
                Entry(0, to_q(W), 0, False, False))
    bound = 0 if w0 >= W else K * _ceil_pos((W - w0) / (eta * delta))
    data["t_star_bound"] = ex(bound)
    btxt = (f"proved: entry by step K ceil((W* - w0) / (eta sum_k s (-L_k'(W*)))) = {bound}, since each -L_k' "
            f"is nonincreasing, so a cycle below W* adds at least {ex(eta * delta)}")
    if path is not None:
        t_enc = path.first_certain(to_q(W))
        data["source"] = path.source
        if t_enc is not None and t_enc <= bound:
            data.update({"t_star": ex(t_enc), "w_t_star_lo": ex(path.lo[t_enc]), "w_t_star_hi": ex(path.hi[t_enc])})
            st = (f"the cyclic path from w0 = {ex(w0)} is in w >= W* = {ex(W)} from step {t_enc} on "
                  f"(w_{t_enc} >= {short(path.lo[t_enc], 'down')}, {path.source}); {btxt}")
            return (Claim("entry", st, ENCLOSED, data),
                    Entry(t_enc, nice_below(path.lo[t_enc], to_q(W)), bound, False, True, eta * delta))
    st = f"the cyclic path from w0 = {ex(w0)} is in w >= W* = {ex(W)} from step {bound} on; {btxt}"
    return Claim("entry", st, PROVED, data), Entry(bound, to_q(W), bound, False, True, eta * delta)
