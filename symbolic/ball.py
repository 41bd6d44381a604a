"""Exact L(w) for the exact-ball construction g = c - alpha |x|^2 (docs/mathematics.md, section 2).

The network feeds the fixed feature t = |x|^2 to a linear readout,
g = c + a t with a = -alpha < 0 (alpha = 1, c = R^2 in the construction); both
numbers are read from the network's weights, not from the target.

Pushforward.  Let rho0 = min_i min(-lo_i, hi_i) be the radius of the largest
ball about 0 inside the domain Omega and dens the density of mu (1/vol(Omega)
or 1).  For 0 <= t <= rho0^2, mu{|x|^2 <= t} = dens omega_d t^(d/2) with
omega_d = pi^(d/2) / Gamma(d/2 + 1), so t has the density

    rho_T(t) = dens (d/2) omega_d t^p,      p = d/2 - 1,

and g = c - alpha t has, for c - alpha rho0^2 <= s <= c,

    rho_g(s) = K (c - s)^p,     K = dens (d/2) omega_d alpha^-(p+1).

Band.  With h = 1/(2w), the error (1/2 - w|g|)_+ lives on |g| < h.  The band is
inside the inscribed ball and away from the centre iff h <= min(c, alpha rho0^2 - c),
i.e. w >= w* = 1 / (2 min(c, alpha rho0^2 - c)).  There (u = |s|)

    L(w) = K integral_0^h (1/2 - w u)^r [ (c - u)^p + (c + u)^p ] du.

Closed forms, by substitution (never sympy.integrate on a Piecewise):

* p a non-negative integer (d even): (c - u)^p + (c + u)^p = sum_k e_k u^k with
  e_k = 2 C(p, k) c^(p-k) for even k, 0 for odd k; with
  integral_0^h (1/2 - w u)^r u^k du = B(k+1, r+1) 2^-(r+k+1) w^-(k+1)  (u = v/(2w)),

      L(w) = K sum_k e_k B(k+1, r+1) 2^-(r+k+1) w^-(k+1),

  a finite sum of powers of 1/w, for every rational r >= 1.  d = 2: p = 0,
  L = 2 K 2^-(r+1) / ((r+1) w).
* r a non-negative integer (d odd, p half-integer): expand
  (1/2 - w u)^r = sum_j C(r, j) 2^(j-r) (-w)^j u^j and integrate u^j (c -+ u)^p by
  v = c -+ u:

      integral_0^h u^j (c - u)^p du = sum_i C(j, i) c^(j-i) (-1)^i [v^(p+i+1)/(p+i+1)]_{c-h}^{c},
      integral_0^h u^j (c + u)^p du = sum_i C(j, i) (-c)^(j-i) [v^(p+i+1)/(p+i+1)]_{c}^{c+h};

  L(w) then holds square roots of c -+ 1/(2w): it is not a finite sum of powers of
  1/w but the convergent series (for w > 1/(2c))

      L(w) = K sum_{k even} 2 C(p, k) c^(p-k) B(k+1, r+1) 2^-(r+k+1) w^-(k+1).

* p half-integer and r not an integer: L(w) = K h 2^-r / (r+1) c^p
  [2F1(-p, 1; r+2; h/c) + 2F1(-p, 1; r+2; -h/c)], an incomplete Beta function;
  not derived here (a InputError says so).

For w < w* the band leaves the inscribed ball (it meets the box's faces, and only
for smaller w the edges or corners) or reaches the centre.  For the cube [-m, m]^d in
d = 2 and 3 with integer r, the loss there is derived in closed form for every w > 0 by
:mod:`symbolic.ball_full` (atan and square roots), and ``exact_from`` is 0; otherwise
the derivation covers w >= w* only (``exact_from = w*``).

Targets mixing an exact ball with other pieces (unions, intersections) have a
level function that is neither piecewise linear nor radial: not supported
(InputError).
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy

from .errors import InputError
from .numbers import rational_text

Q = sympy.Rational


@dataclass(frozen=True)
class BallDensity:
    """rho(s) = scale * ((center - s)^power [+ (center + s)^power if folded]) on
    ``window`` = [lo, hi]; outside the window the density is not derived here
    (calling it there raises ValueError).

    ``folded = False``: the density of g; ``folded = True``: of |g| (u >= 0).
    """

    scale: sympy.Expr
    center: sympy.Rational
    power: sympy.Rational
    window: tuple[sympy.Rational, sympy.Rational]
    folded: bool = False

    def __call__(self, u) -> sympy.Expr:
        u = sympy.Rational(u) if not isinstance(u, sympy.Basic) else u
        lo, hi = self.window
        if not lo <= u <= hi:
            raise ValueError(f"the exact-ball density is derived only on [{lo}, {hi}]")
        val = (self.center - u) ** self.power
        if self.folded:
            val += (self.center + u) ** self.power
        return self.scale * val

    def describe(self) -> dict[str, str]:
        """The parameters as text (rationals as p/q; scale in sympy's printing)."""
        return {"form": "scale*((center - u)**power + (center + u)**power)" if self.folded
                else "scale*(center - s)**power",
                "scale": str(self.scale), "center": rational_text(self.center),
                "power": rational_text(self.power),
                "window": f"[{rational_text(self.window[0])}, {rational_text(self.window[1])}]"}


def _read_network(spec) -> tuple[sympy.Rational, sympy.Rational]:
    """(c, alpha) with g = c - alpha |x|^2, read from the network's weights."""
    net = spec.network
    if "sqnorm" not in net.features:
        raise ValueError("derive_exact_ball needs a network with the |x|^2 feature")
    k = net.features.index("sqnorm")
    if net.hidden or any(v != 0 for i, v in enumerate(net.readout) if i != k):
        raise InputError("exact derivation for mixed exact-ball targets is not supported "
                        "(use the exact ball alone, or the deep ball ball:d=D,R=R,N=N)")
    a = net.readout[k]
    c = net.readout_bias
    if not a < 0:
        raise InputError("exact ball: the readout weight of |x|^2 must be negative")
    if not c > 0:
        raise InputError("exact ball: the target is empty (R^2 <= 0)")
    return Q(c), Q(-a)


def omega(d: int) -> sympy.Expr:
    """Volume of the unit ball in R^d: pi^(d/2) / Gamma(d/2 + 1)."""
    return sympy.pi ** Q(d, 2) / sympy.gamma(Q(d, 2) + 1)


def _beta_term(k: int, r: sympy.Rational) -> sympy.Expr:
    """integral_0^(1/(2w)) (1/2 - w u)^r u^k du * w^(k+1) = B(k+1, r+1) 2^-(r+k+1)."""
    beta = sympy.gamma(k + 1) * sympy.gamma(r + 1) / sympy.gamma(k + r + 2)
    return sympy.simplify(beta * Q(2) ** (-(r + k + 1)))


def _even_part_coeffs(c: sympy.Rational, p: int) -> list[sympy.Rational]:
    """e_k with (c - u)^p + (c + u)^p = sum_k e_k u^k (p a non-negative integer)."""
    return [2 * sympy.binomial(p, k) * c ** (p - k) if k % 2 == 0 else Q(0) for k in range(p + 1)]


def _power_integral(j: int, c: sympy.Rational, p: sympy.Rational, h: sympy.Expr, sign: int) -> sympy.Expr:
    """integral_0^h u^j (c - sign*u)^p du by v = c - sign*u (p + i + 1 != 0 for every i)."""
    total = Q(0)
    for i in range(j + 1):
        e = p + i + 1
        if sign == 1:   # u = c - v, v from c - h to c
            coef = sympy.binomial(j, i) * c ** (j - i) * (-1) ** i
            total += coef * (c ** e - (c - h) ** e) / e
        else:           # u = v - c, v from c to c + h
            coef = sympy.binomial(j, i) * (-c) ** (j - i)
            total += coef * ((c + h) ** e - c ** e) / e
    return total


def series_coefficients(c: sympy.Rational, p: sympy.Rational, r: sympy.Rational,
                        K: sympy.Expr, terms: int) -> list[sympy.Expr]:
    """Coefficients of w^-(k+1), k = 0..terms-1, of L(w) = K sum_{k even} 2 C(p,k) c^(p-k)
    B(k+1, r+1) 2^-(r+k+1) w^-(k+1) (exact for integer p, a convergent series otherwise)."""
    out = []
    for k in range(terms):
        if k % 2:
            out.append(Q(0))
        else:
            out.append(sympy.simplify(K * 2 * sympy.binomial(p, k) * c ** (p - k) * _beta_term(k, r)))
    return out


def derive_exact_ball(spec):
    """Exact L(w) for w >= w* for the exact ball (module docstring); a :class:`Derivation`.

    ``cells`` is empty (no polytope regions: the feature |x|^2 is not piecewise
    linear), ``density`` / ``abs_density`` are :class:`BallDensity` objects on the
    window |s| <= 1/(2 w*), ``pieces`` = [L on [w*, oo)], ``exact_from = w*``.
    """
    from .derivation import Derivation, LossPiece, w

    c, alpha = _read_network(spec)
    d = spec.dim
    dom = spec.domain
    rho0 = min(min(-lo, hi) for lo, hi in zip(dom.lo, dom.hi))
    if not rho0 > 0:
        raise InputError("exact ball: the domain must contain the origin in its interior")
    outer = alpha * rho0 ** 2 - c
    if not outer > 0:
        raise InputError("exact ball: the ball must lie strictly inside the domain "
                        "(its sphere touches or crosses the domain's boundary)")
    hstar = min(c, outer)
    w_star = 1 / (2 * hstar)
    r = Q(spec.r)
    p = Q(d, 2) - 1
    K = sympy.simplify(spec.density * Q(d, 2) * omega(d) * alpha ** (-(p + 1)))
    h = 1 / (2 * w)
    notes = [
        f"exact ball g = {rational_text(c)} - {rational_text(alpha)}*|x|^2 (from the network); "
        f"L(w) exact for w >= w* = {rational_text(w_star)}, where the band |g| < 1/(2w) lies inside "
        f"the inscribed ball (radius {rational_text(rho0)}) and away from the centre",
        "for w < w* the band leaves the inscribed ball (it meets the box's faces) or reaches the centre; "
        "exact there for the cube in d = 2 and 3 with integer r (symbolic.ball_full); derived for w >= w* only "
        "otherwise",
    ]
    if p.is_integer:
        e = _even_part_coeffs(c, int(p))
        cs = [sympy.simplify(K * ek * _beta_term(k, r)) for k, ek in enumerate(e)]
        while len(cs) > 1 and cs[-1] == 0:
            cs.pop()
        coeffs: tuple[sympy.Expr, ...] = tuple(cs)
        expr = sum((ck * w ** (-(k + 1)) for k, ck in enumerate(coeffs)), Q(0))
        expr = sympy.cancel(sympy.together(expr)) if r.is_integer else sympy.expand(expr)
        notes.append("asymptotic form: a finite sum of powers of 1/w (d even)")
    elif r.is_integer:
        ri = int(r)
        expr = Q(0)
        for j in range(ri + 1):
            bj = sympy.binomial(ri, j) * Q(2) ** (j - ri) * (-w) ** j
            expr += bj * (_power_integral(j, c, p, h, 1) + _power_integral(j, c, p, h, -1))
        expr = sympy.expand(K * expr)
        roots = sorted((a for a in expr.atoms(sympy.Pow) if not a.exp.is_integer), key=sympy.default_sort_key)
        expr = sympy.collect(expr, roots, sympy.factor)   # group by the powers of c -+ 1/(2w)
        coeffs = ()
        first = series_coefficients(c, p, r, K, 4)
        notes.append(
            "asymptotic form (d odd): not a finite sum of powers of 1/w; L(w) = K sum_{k even} "
            "2 C(p,k) c^(p-k) B(k+1,r+1) 2^-(r+k+1) w^-(k+1) with K = "
            f"{sympy.sstr(K)}, c = {rational_text(c)}, p = {rational_text(p)}, convergent for "
            f"w > {rational_text(1 / (2 * c))}; first terms: "
            + " + ".join(f"({sympy.sstr(ck)})*w^-{k + 1}" for k, ck in enumerate(first) if ck != 0))
    else:
        raise InputError(
            f"exact ball in odd d = {d} with non-integer r = {rational_text(r)}: L(w) is an incomplete "
            "Beta function (a 2F1), not derived here; use an integer r or the deep ball")
    window = (-hstar, hstar)
    signed = BallDensity(K, c, p, window, folded=False)
    folded = BallDensity(K, c, p, (Q(0), hstar), folded=True)
    pieces = [LossPiece(w_star, sympy.oo, expr)]
    exact_from = w_star
    m = dom.hi[0]
    if d in (2, 3) and r.is_integer and all(lo == -m for lo in dom.lo) and all(hi == m for hi in dom.hi):
        from .ball_full import full_pieces

        below, exact_from, note = full_pieces(d, c, alpha, m, int(r), spec.density, w_star, w)
        pieces = [LossPiece(lo, hi, e) for lo, hi, e in below] + pieces
        notes[1] = note
    return Derivation(spec, [], signed, folded, pieces, w_star,
                      coeffs, exact_from=exact_from, notes=tuple(notes))
