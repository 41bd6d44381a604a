"""One check per claim, each by the checker's own route (see the package README section).

* construction: the network, forward in exact rationals, against the target's geometric
  definition: at an interior point of each of the checker's own cells (its activation
  regions, :mod:`.activation`, cut by g = 0 and by the target's faces: on each open cell
  both signs are constant, so this is complete on the interiors), at the certificate's
  points and at seeded random rational points;
* monotonicity: from the construction check, sign(g) = sign of the target everywhere, so
  each point's error is (1/2 - w|g(x)|)_+, nonincreasing in w >= 0: L' <= 0 and -L' is
  nonincreasing (the integrand r (1/2 - w u)_+^(r-1) u is, for every u >= 0);
* asymptotic: the closed form against the checker's own L(w) at several rational w >= w*
  (exact for integer r, from its density of |g|, :mod:`.density`; Arb, 1-D, otherwise);
* growth: B(v) - c >= 0 and Cbar - A(v) >= 0 on [0, 1/w*] by real-root isolation;
* entry, rate, T(x): the checker's own enclosure of w_t (exact while small, then
  dyadic intervals with lo' = lo - eta L'(hi), hi' = hi - eta L'(lo), valid because -L' is
  nonincreasing), its own L'(w) in closed form (one Laurent polynomial in w per w-piece),
  and the growth-lemma bounds;
* deep_ball_depth: N(x) from 0 <= q_N(u) - u^2 <= 4^(-N-1) in exact arithmetic.
"""
from __future__ import annotations

import random
import time
from collections.abc import Callable
from math import ceil
from typing import Any

import flint
import sympy
from gmpy2 import mpq

from . import algebra, cyclic
from .activation import TooLarge
from .base import (
    CHECKED,
    FAILED,
    MAX_FORM,
    NOT_CLAIMED,
    UNDECIDED,
    ClaimCheck,
    Fail,
    Undecided,
    at_most,
    bounded,
    integer,
    le,
    lower,
    point_text,
    same,
    show,
    upper,
    value,
)
from .cells import (
    Net,
    decompose,
    geometric_level,
    interp_square,
    loss_derivative,
    loss_integral,
    target_value,
)
from .density import ClosedForm, closed_forms, w_pieces
from .partition import Cell, Partition, partition, report_progress
from .radial import OutsideRegime, density_bounds, radial
from .read import Certificate, W, expr, q_of, rational

RANDOM_POINTS = 64
DYADIC_BITS = 256
EXACT_BITS = 4000
# The enclosed path is bounded by a deterministic step budget, so a verdict never depends on
# how loaded the machine is; the wall-clock cap only bounds a hostile file's cost.
PATH_STEPS = 50_000
PATH_SECONDS = 900.0


class Checker:
    """Holds what several claims share: the network, the cells, the enclosed path."""

    def __init__(self, cert: Certificate) -> None:
        self.cert = cert
        spec = cert.spec
        self.network = cert.network
        self.net = Net.of(self.network)
        # a tree of Affine/Min/Max/ExactBall/DeepBall nodes, read by kind (``type(...).__name__``)
        self.level: Any = spec.target.level
        self.r = q_of(spec.r)
        self.density = q_of(spec.density)
        self.eta = q_of(cert.training.eta)
        self.w0 = q_of(cert.training.w0)
        self.data = {c["id"]: c["data"] for c in cert.claims}
        self.done: dict[str, ClaimCheck] = {}
        self._cells: list[Cell] | str | None = None
        self.path: list[tuple[Any, Any]] = [(self.w0, self.w0)]
        self.path_note = ""
        self.deadline = time.monotonic() + PATH_SECONDS

    # -------------------------------------------------------------- shared pieces
    def same_shape(self) -> bool:
        """The certificate's network has the builder's features and layer widths (bounded cost)."""
        a, b = self.network, self.cert.spec.network
        return (a.features, [lay.width for lay in a.hidden]) == (b.features, [lay.width for lay in b.hidden])

    def cells(self) -> list[Cell]:
        """The checker's own cells: activation regions cut by g = 0 and the target's faces."""
        if not self.same_shape():
            raise Undecided("the certificate's network does not have the shape symbolic.network builds")
        return self._partition().cells

    def _partition(self) -> Partition:
        """The partition and the pushforward of |g| (:mod:`.partition`), computed once."""
        part = self.__dict__.get("_part")
        if part is None:
            try:
                est = self.data.get("construction", {}).get("regions")
                estimate = int(est) if isinstance(est, str) and est.isdigit() and len(est) < 9 else None
                dom = self.cert.spec.domain
                part = partition(self.net, self.level, dom.lo, dom.hi, estimate)
            except TooLarge as exc:
                part = str(exc)
            self.__dict__["_part"] = part
        if isinstance(part, str):
            raise Undecided(f"the checker's cell decomposition is not available: {part}")
        return part

    def _forms(self) -> tuple[ClosedForm, ClosedForm]:
        """(L, -L'/r) in closed form from the density of |g| (integer r; :mod:`.density`)."""
        forms = self.__dict__.get("_closed")
        if forms is None:
            if not self.same_shape():
                raise Undecided("the certificate's network does not have the shape symbolic.network builds")
            forms = self.__dict__["_closed"] = closed_forms(self._partition().push, int(self.r), self.density)
        return forms

    def L_pieces(self, w_lo: Any) -> list[tuple[Any, Any, dict[int, Any]]] | None:
        """L on [w_lo, oo) exactly, as Laurent polynomials in w per w-piece (integer r, piecewise-
        linear g), for comparing a claimed closed form as a function, not at sample points; None
        for the exact ball or non-integer r."""
        if self._ball() is not None or self.r.denominator != 1:
            return None
        return w_pieces(self._forms()[0], w_lo)

    def _simplices_1d(self) -> list[Any]:
        """Non-integer r (1-D only): the per-w simplex integral in Arb over the old cells."""
        if self.r.denominator != 1 and self.cert.spec.dim > 1:
            raise Undecided("non-integer r in d > 1: the checker integrates e^r exactly only for integer r "
                            "(and in 1-D by Arb)")
        cells = self.__dict__.get("_kuhn")
        if cells is None:
            self.cells()            # the same shape and caps first
            dom = self.cert.spec.domain
            try:
                cells = self.__dict__["_kuhn"] = decompose(self.net, self.level, dom.lo, dom.hi)
            except TooLarge as exc:
                raise Undecided(f"the checker's cell decomposition is not available: {exc}") from None
        return cells

    def needs(self, cid: str) -> dict[str, Any]:
        """The data of claim ``cid`` if the checker has checked it, else Undecided."""
        done = self.done.get(cid)
        if done is None or done.status != CHECKED:
            raise Undecided(f"rests on the claim {cid}, which the checker has not established")
        return self.data[cid]

    def _ball(self) -> tuple[Any, Any, int, Any] | None:
        """(lam, R^2, d, m^2) when the network is g = lam (R^2 - |x|^2) (checked by construction)."""
        if type(self.level).__name__ != "ExactBall" or self.network.hidden:
            return None
        dom = self.cert.spec.domain
        m = min(min(-q_of(a), q_of(b)) for a, b in zip(dom.lo, dom.hi))
        return -self.net.readout[self.cert.spec.dim], q_of(self.level.R2), self.cert.spec.dim, m * m

    def _radial(self, w: Any, derivative: bool) -> Any:
        ball = self._ball()
        if ball is None:
            return None
        self.needs("construction")
        try:
            lam, R2, d, m2 = ball
            return radial(lam, R2, d, m2, w, self.r, self.density, derivative)
        except OutsideRegime as exc:
            raise Undecided(str(exc)) from None

    def L(self, w: Any) -> Any:
        """L(w) by the checker's own route: the closed form from its density of |g| (integer r),
        the per-w simplex integral in Arb (non-integer r, 1-D), or the radial formula (exact ball)."""
        out = self._radial(w, False)
        if out is not None:
            return out
        if self.r.denominator == 1:
            return self._forms()[0](w)
        return loss_integral(self._simplices_1d(), w, self.r, self.density)

    def dL(self, w: Any) -> Any:
        """L'(w) = -r integral_0^(1/(2w)) (1/2 - w u)^(r-1) u rho(u) du (see :meth:`L`)."""
        out = self._radial(w, True)
        if out is not None:
            return out
        if self.r.denominator == 1:
            return -self.r * self._forms()[1](w)
        return loss_derivative(self._simplices_1d(), w, self.r, self.density)

    def step_dL(self, w: Any, t: int) -> Any:
        """The derivative step t uses: L' (full batch) or L_k', k = t mod K (cyclic:K)."""
        batch = self.cert.training.batch
        if batch.kind == "cyclic":
            return cyclic.slab_dL(self, t % batch.K, w)
        return self.dL(w)

    def extend_path(self, n: int) -> None:
        """Enclose w_0..w_n (module docstring); stops at PATH_STEPS (or PATH_SECONDS), noting where."""
        self.needs("monotonicity")
        grid = mpq(2) ** DYADIC_BITS
        while len(self.path) <= n:
            if len(self.path) > PATH_STEPS:
                self.path_note = (f"the checker's enclosure stopped at step {len(self.path) - 1} "
                                  f"(its step budget, {PATH_STEPS} steps)")
                return
            if time.monotonic() > self.deadline:
                self.path_note = f"the checker's enclosure stopped at step {len(self.path) - 1} (time budget)"
                return
            lo, hi = self.path[-1]
            step = len(self.path) - 1
            if step % 256 == 0:
                report_progress("steps", step, n)
            if lo == hi:
                d = self.step_dL(lo, step)
                if not isinstance(d, flint.arb):
                    nxt = lo - self.eta * d
                    if nxt.numerator.bit_length() + nxt.denominator.bit_length() < EXACT_BITS:
                        self.path.append((nxt, nxt))
                        continue
                new_lo = lo - self.eta * upper(d)
                new_hi = hi - self.eta * lower(d)
            else:
                new_lo = lo - self.eta * upper(self.step_dL(hi, step))
                new_hi = hi - self.eta * lower(self.step_dL(lo, step))
            self.path.append((mpq(int((new_lo * grid).__floor__()), 1) / grid,
                              mpq(int((new_hi * grid).__ceil__()), 1) / grid))

    def enclosure(self, t: int) -> tuple[Any, Any]:
        if t > self.cert.steps + 1:
            raise Undecided(f"step {t} is beyond the certificate's horizon of {self.cert.steps} steps")
        if t >= len(self.path):
            self.extend_path(t)
        if t >= len(self.path):
            raise Undecided(self.path_note or f"step {t} is beyond the checker's enclosure")
        return self.path[t]

    def sign_mismatch(self, x: tuple[Any, ...]) -> str | None:
        g = self.net.level(x)
        s = geometric_level(self.level, x)
        if (g > 0) - (g < 0) != (s > 0) - (s < 0):
            where = "inside" if s > 0 else "outside" if s < 0 else "on the boundary of"
            return (f"at x = {point_text(x)} the network gives g = {show(g)}, but x is {where} the target "
                    "(its geometric definition)")
        return None

    # -------------------------------------------------------------- claims
    def construction(self, d: dict[str, Any]) -> str:
        net = self.network
        expect = {"depth": str(net.depth), "hidden_widths": [str(lay.width) for lay in net.hidden],
                  "nonzero_fixed_weights": str(net.nonzero_fixed_weights()), "features": list(net.features)}
        for k, v in expect.items():
            if d.get(k) != v:
                raise Fail(f"{k}: the certificate says {str(d.get(k))[:40]}, the network has {v}")
        if not self.same_shape():       # before any geometry: keeps the cost that of the real network
            raise Fail("the certificate's network does not have the layer widths symbolic.network builds")
        if (self.net.head_bias, self.net.head_out) != ((mpq(1, 2), mpq(-1, 2)), (mpq(1), mpq(-1))):
            raise Fail("the head is not sigma(w g + 1/2) - sigma(w g - 1/2)")
        dom = self.cert.spec.domain
        lo, hi = [q_of(v) for v in dom.lo], [q_of(v) for v in dom.hi]
        rng = random.Random(9)
        pts = list(self.cert.points)
        for _ in range(RANDOM_POINTS):
            den = rng.choice((2 ** 10, rng.randrange(3, 10 ** 6)))
            pts.append(tuple(a + (b - a) * mpq(rng.randrange(den + 1), den) for a, b in zip(lo, hi)))
        for x in pts:
            bad = self.sign_mismatch(x)
            if bad:
                raise Fail(bad)
        if type(self.level).__name__ == "ExactBall" and not net.hidden:
            return self._exact_ball_construction(len(pts))
        cells = self.cells()
        for c in cells:
            for x in c.points:
                bad = self.sign_mismatch(x)
                if bad:
                    raise Fail(bad)
        built = self.cert.spec.network
        identical = (built.features, built.hidden, built.readout, built.readout_bias) == (
            net.features, net.hidden, net.readout, net.readout_bias)
        if not identical:
            raise Fail("the certificate's network agrees with the target but is not the one "
                       "symbolic.network builds for it")
        return (f"sign(g) equals the target's geometric membership at an interior point of each of "
                f"the checker's {len(cells)} cells (activation regions cut by g = 0 and by the target's "
                f"faces: both signs are constant on each open cell) and at {len(pts)} points "
                f"({RANDOM_POINTS} seeded random); "
                + ("weights read from the certificate" if self.cert.version >= 2 else
                   "schema 1: weights rebuilt by symbolic.network"))

    def _exact_ball_construction(self, n_points: int) -> str:
        dim = self.cert.spec.dim
        ro, b = self.net.readout, self.net.readout_bias
        lam = -ro[dim]
        if any(v != 0 for v in ro[:dim]) or not lam > 0 or b != lam * q_of(self.level.R2):
            raise Fail("the network's readout is not a positive multiple of R^2 - |x|^2")
        return (f"g = {show(lam)} (R^2 - |x|^2) exactly (no hidden layer; readout read off the weights), "
                f"so {{g > 0}} is the ball; and at {n_points} points")

    def monotonicity(self, d: dict[str, Any]) -> str:
        self.needs("construction")
        if "r" in d and rational(d["r"], "monotonicity r") != self.cert.spec.r:
            raise Fail(f"r = {d['r']} differs from the spec's r")
        return ("by the construction check sign(g) = sign of the target, so each point's error is "
                "(1/2 - w|g(x)|)_+, nonincreasing in w >= 0; hence L' <= 0 and -L' is nonincreasing")

    minibatch_monotonicity = monotonicity

    def asymptotic(self, d: dict[str, Any]) -> str:
        w_star = q_of(rational(d.get("w_star", ""), "asymptotic w_star"))
        if len(str(d.get("L_asymptotic"))) > MAX_FORM:
            raise Undecided(f"the closed form is longer than {MAX_FORM} characters")
        L = expr(d.get("L_asymptotic"), "asymptotic L_asymptotic")
        bounded(L)
        if w_star < 0:
            raise Fail("w* < 0")
        ws = sorted({w for w in (w_star, w_star + mpq(1, 16), w_star + mpq(1, 2), 3 * w_star / 2 + mpq(1, 3),
                                 2 * w_star + 1, 5 * w_star + mpq(7, 3), 100 * w_star + 1) if w > 0})
        numeric = False
        for w in ws:
            mine = self.L(w)
            theirs = value(L, w)
            agree = same(mine, theirs)
            if agree is False:
                raise Fail(f"L({w}) = {show(mine)} by the checker's integral of |f(w,x) - f°(x)|^r, "
                           f"the closed form gives {show(theirs)}")
            if agree is None:
                raise Undecided(f"L({w}): the enclosures overlap but are too wide to decide")
            numeric = numeric or isinstance(mine, flint.arb) or isinstance(theirs, flint.arb)
        A, _ = algebra.in_v(L, W)
        try:
            mine_coeffs = sympy.Poly(A, algebra.V).all_coeffs()[::-1]
        except sympy.PolynomialError:
            mine_coeffs = None
        if mine_coeffs is None and ("coeffs" in d or "A_poly_v" in d):
            raise Fail("coeffs given, but the closed form is not a power sum in 1/w")
        if "coeffs" in d and mine_coeffs is not None:
            if not isinstance(d["coeffs"], list):
                raise Fail("coeffs is not a list")
            theirs_c = [expr(c, "asymptotic coeffs") for c in d["coeffs"]]
            if len(theirs_c) != len(mine_coeffs) or any(same(value(a), value(b)) is not True
                                                         for a, b in zip(theirs_c, mine_coeffs)):
                raise Fail("coeffs: not the coefficients of w L(w) in 1/w")
        if "C" in d and mine_coeffs is not None and \
                same(value(expr(d["C"], "asymptotic C")), value(mine_coeffs[0])) is not True:
            raise Fail("C is not lim w L(w)")
        if "u_1" in d and w_star * 2 * q_of(rational(d["u_1"], "asymptotic u_1")) != 1:
            raise Fail("w* != 1/(2 u_1)")
        return (f"the closed form equals the checker's own integral of the network's error at "
                f"{len(ws)} rational w >= w* = {w_star}" + (" (to 200 bits, Arb)" if numeric else " (exactly)")
                + ("" if mine_coeffs is not None else "; not a power sum in 1/w: C and coefficients not re-derived"))

    def growth(self, d: dict[str, Any]) -> str:
        asym = self.needs("asymptotic")
        w_star = rational(d.get("w_star", ""), "growth w_star")
        if w_star != rational(asym["w_star"], "asymptotic w_star"):
            raise Fail("w* differs from the asymptotic claim's")
        if "eta" in d and rational(d["eta"], "growth eta") != self.cert.training.eta:
            raise Fail("eta differs from the inputs")
        L = expr(asym["L_asymptotic"], "asymptotic L_asymptotic")
        bounded(L)
        c, Cbar = expr(d.get("c"), "growth c"), expr(d.get("Cbar"), "growth Cbar")
        if le(value(c), mpq(0)) is not False:
            raise Fail(f"c = {d.get('c')} is not > 0")
        A, B = algebra.in_v(L, W)
        V = sympy.Integer(1) / w_star
        for what, poly in (("-L'(w) >= c/w^2", B - c), ("L(w) <= Cbar/w", Cbar - A)):
            rp = algebra.rational_poly(sympy.expand(poly))
            if rp is None and self._ball() is not None:
                return self._ball_growth(d, c, Cbar, q_of(w_star))
            if rp is None:
                raise Undecided(f"{what}: the closed form is not a polynomial in v = 1/w "
                                "(rational coefficients times one constant)")
            P, kappa = rp
            sign = le(value(kappa), mpq(0))
            if sign is None:
                raise Undecided(f"{what}: the sign of {kappa} is undecided")
            if not algebra.nonnegative_on(-P if sign else P, sympy.Integer(0), V):
                raise Fail(f"{what} is false somewhere on w >= w* = {w_star} (real-root isolation in v = 1/w)")
        if "3_eta_c" in d and same(value(expr(d["3_eta_c"], "growth 3_eta_c")),
                                    value(3 * self.cert.training.eta * c)) is not True:
            raise Fail("3_eta_c is not 3 eta c")
        if not algebra.cube_identity():
            raise Fail("the cube identity does not expand")
        return (f"B(v) - c >= 0 and Cbar - A(v) >= 0 on [0, 1/w*] by real-root isolation (SymPy Poly), "
                f"the cube identity by expansion; c = {d.get('c')}, Cbar = {d.get('Cbar')}")

    def _ball_growth(self, d: dict[str, Any], c: sympy.Expr, Cbar: sympy.Expr, w_star: Any) -> str:
        """The exact ball when L is not a power sum (odd d): c and Cbar against the density bounds."""
        ball = self._ball()
        if ball is None:
            raise Undecided("not the exact ball")
        lam, R2, dim, m2 = ball
        try:
            low, high = density_bounds(lam, R2, dim, m2, w_star, self.r, self.density)
        except OutsideRegime as exc:
            raise Undecided(str(exc)) from None
        if not at_most(value(c), low) or not at_most(high, value(Cbar)):
            raise Fail(f"c = {d.get('c')} or Cbar = {d.get('Cbar')} is not within kappa [min rho, max rho] = "
                       f"[{show(low)}, {show(high)}] (the checker's density of |g| on the band)")
        if "3_eta_c" in d and same(value(expr(d["3_eta_c"], "growth 3_eta_c")),
                                   value(3 * self.cert.training.eta * c)) is not True:
            raise Fail("3_eta_c is not 3 eta c")
        return ("c <= kappa min rho and Cbar >= kappa max rho, rho the density of |g| = lam|R^2 - |x|^2| "
                "on the band (monotone: its ends), in Arb")

    def entry(self, d: dict[str, Any]) -> str:
        if "W_star" in d:
            return cyclic.entry(self, d)
        asym = self.needs("asymptotic")
        w_star = q_of(rational(d.get("w_star", ""), "entry w_star"))
        if w_star != q_of(rational(asym["w_star"], "asymptotic w_star")):
            raise Fail("w* differs from the asymptotic claim's")
        self.needs("monotonicity")
        m = -self.dL(w_star) if w_star > 0 else None
        if m is None or le(m, mpq(0)) is not False:
            raise Fail("-L'(w*) is not > 0 by the checker's integral")
        mc = value(expr(d.get("minus_dL_at_w_star"), "entry minus_dL_at_w_star"))
        if same(mc, m) is not True and le(mc, m) is not True:
            raise Fail(f"minus_dL_at_w_star = {show(mc)} exceeds -L'(w*) = {show(m)} (the checker's integral)")
        bound = 0 if self.w0 >= w_star else ceil(upper((w_star - self.w0) / (self.eta * lower(m))))
        claimed = integer(d.get("t_star_bound"), "entry t_star_bound")
        if claimed < bound:
            raise Fail(f"t_star_bound = {claimed} < ceil((w* - w0)/(eta (-L'(w*)))) = {bound}")
        out = f"t* <= {claimed} from -L'(w*) = {show(m)} (checker's integral) and -L' nonincreasing"
        if "t_star" in d:
            t = integer(d["t_star"], "entry t_star")
            lo, hi = self.enclosure(t)
            if not lo >= w_star:
                raise Fail(f"w_{t} is not >= w* on the checker's enclosure [{show(lo)}, {show(hi)}]")
            if d.get("t_star_exact") == "yes" and t > 0 and not self.enclosure(t - 1)[1] < w_star:
                raise Fail(f"w_{t - 1} is not < w* on the checker's enclosure")
            clo = q_of(rational(d.get("w_t_star_lo", ""), "entry w_t_star_lo"))
            chi = q_of(rational(d.get("w_t_star_hi", ""), "entry w_t_star_hi"))
            if not clo <= lo or not hi <= chi:
                raise Fail(f"w_{t} in [{show(lo)}, {show(hi)}] (checker) is not inside the claimed "
                           f"[{show(clo)}, {show(chi)}]")
            out += f"; t* = {t} on the checker's own enclosure of w_t"
        return out

    def rate(self, d: dict[str, Any]) -> str:
        if "period" in d:
            return cyclic.rate(self, d)
        g = self.needs("growth")
        ent = self.needs("entry")
        for k in ("c", "Cbar", "3_eta_c"):
            if k in d and same(value(expr(d[k], f"rate {k}")), value(expr(g.get(k), f"growth {k}"))) is not True:
                raise Fail(f"{k} differs from the growth claim's")
        t0 = integer(d.get("t0"), "rate t0")
        W0 = q_of(rational(d.get("w_t0_lower", ""), "rate w_t0_lower"))
        w_star = q_of(rational(g["w_star"], "growth w_star"))
        if W0 < w_star:
            raise Fail(f"w_t0_lower = {show(W0)} < w*: the growth lemma does not apply from t0")
        if W0 == w_star and t0 >= integer(ent["t_star_bound"], "entry t_star_bound"):
            return f"from t0 = {t0} >= the entry bound, w_t >= w* = w_t0_lower; growth lemma by induction"
        lo, _ = self.enclosure(t0)
        if not lo >= W0:
            raise Fail(f"w_{t0} >= {show(W0)} does not hold on the checker's enclosure (lo = {show(lo)})")
        return f"w_{t0} >= {show(W0)} >= w* on the checker's enclosure; growth lemma by induction"

    def _reached(self, T: int, theta: Any) -> bool | None:
        """Is w_T >= theta? True by the growth-lemma bound of the checked rate claim, or on the
        checker's enclosure; False when the enclosure shows w_T < theta; None if neither decides."""
        if self.done.get("rate", ClaimCheck("", "", "")).status == CHECKED:
            rd = self.data["rate"]
            t0, W0 = integer(rd["t0"], "rate t0"), q_of(rational(rd["w_t0_lower"], "rate w_t0_lower"))
            G = value(expr(rd["3_eta_c"], "rate 3_eta_c"))
            K = integer(rd.get("period", "1"), "rate period")
            if T >= t0 + (0 if theta <= W0 else K * ceil(upper((theta ** 3 - W0 ** 3) / lower(G)))):
                return True
        if self.done.get("entry", ClaimCheck("", "", "")).status == CHECKED:
            ed = self.data["entry"]
            if "W_star" in ed:     # cyclic: below W* every cycle of K steps adds >= the increment
                w_star, K = q_of(rational(ed["W_star"], "W_star")), self.cert.training.batch.K
                gain = lower(value(expr(ed["cycle_increment_lower"], "cycle_increment_lower")))
            else:                  # below w* every step adds >= eta (-L'(w*)) (-L' nonincreasing)
                w_star, K = q_of(rational(ed["w_star"], "entry w_star")), 1
                gain = self.eta * lower(value(expr(ed["minus_dL_at_w_star"], "entry minus_dL_at_w_star")))
            if theta <= w_star and gain > 0 and T >= K * ceil((theta - self.w0) / gain):
                return True
        try:
            lo, hi = self.enclosure(T)
        except Undecided:
            return None
        return True if lo >= theta else False if hi < theta else None

    def pointwise(self, cid: str, d: dict[str, Any]) -> str:
        try:
            x = tuple(q_of(rational(v, f"{cid} x")) for v in d["x"])
        except (KeyError, TypeError):
            raise Fail("x missing") from None
        if not self.same_shape():
            raise Undecided("the certificate's network does not have the shape symbolic.network builds")
        g = self.net.level(x)
        if q_of(rational(d.get("g", ""), f"{cid} g")) != g:
            raise Fail(f"g = {d.get('g')}, the network gives {show(g)}")
        fo = target_value(self.level, x)
        if q_of(rational(d.get("target", ""), f"{cid} target")) != fo:
            raise Fail(f"target = {d.get('target')}, the geometric definition gives {show(fo)}")
        T_lo = integer(d.get("T_lo"), f"{cid} T_lo")
        T_hi = None if d.get("T_hi") == "unknown" else integer(d.get("T_hi"), f"{cid} T_hi")
        if g == 0:
            if fo != mpq(1, 2) or T_lo != 0:
                raise Fail("g = 0 off the target's boundary")
            return "g(x) = 0 on the target's boundary: f = 1/2 = f° for every w"
        theta = 1 / (2 * abs(g))
        if "threshold" in d and q_of(rational(d["threshold"], f"{cid} threshold")) != theta:
            raise Fail(f"threshold = {d['threshold']}, 1/(2|g|) = {show(theta)}")
        if self.cert.training.batch.kind not in ("full", "cyclic"):
            raise Undecided(f"g, f° and 1/(2|g|) check; T(x) on a {self.cert.training.batch.kind} path: {BATCHES}")
        self.needs("monotonicity")
        if T_lo >= 1:
            before = self._reached(T_lo - 1, theta) if T_lo - 1 > 0 else (self.w0 >= theta)
            if before is True:
                raise Fail(f"T(x) >= {T_lo} is false: w_{T_lo - 1} >= {show(theta)} (checker's enclosure or bound)")
            if before is None:
                raise Undecided(f"T(x) >= {T_lo}: w_{T_lo - 1} < {show(theta)} is not decided. {self.path_note}")
        uppers = ([T_hi] if T_hi is not None else []) + (
            [integer(d["T_bound_proved"], "T_bound_proved")] if "T_bound_proved" in d else [])
        for T in uppers:
            reached = self._reached(T, theta)
            if reached is False:
                raise Fail(f"T(x) <= {T} is false: w_{T} < {show(theta)} on the checker's enclosure")
            if reached is None:
                raise Undecided(f"T(x) <= {T}: w_{T} >= {show(theta)} is not decided. {self.path_note}")
        return f"{T_lo} <= T(x) <= {T_hi} with w_t enclosed by the checker and 1/(2|g|) = {show(theta)}"

    def deep_ball_depth(self, d: dict[str, Any]) -> str:
        lv = self.level
        if type(lv).__name__ != "DeepBall":
            raise Fail("not a deep-ball target")
        R2, dim, N0 = q_of(lv.R2), lv.dim, lv.N
        if not algebra.chord_bound_identity():
            raise Fail("the chord bound identity does not expand")
        if q_of(rational(d.get("inner_radius2_at_N", ""), "inner_radius2_at_N")) != R2 - mpq(dim, 4 ** (N0 + 1)):
            raise Fail("inner_radius2_at_N != R^2 - d 4^(-N-1)")
        rows = d.get("table", [])
        if not isinstance(rows, list):
            raise Fail("table is not a list")
        for row in rows:
            if not isinstance(row, dict) or not isinstance(row.get("x"), list):
                raise Fail("a table row is not an object with x")
            x = tuple(q_of(rational(v, "table x")) for v in row.get("x", []))
            norm2 = sum((v * v for v in x), mpq(0))
            if q_of(rational(row.get("norm2", ""), "table norm2")) != norm2:
                raise Fail(f"x = {point_text(x)}: norm2 wrong")
            deep = R2 - sum((interp_square(abs(v), N0) for v in x), mpq(0))
            fo_N = mpq(1) if deep > 0 else mpq(0) if deep < 0 else mpq(1, 2)
            if q_of(rational(row.get("deep_target_at_spec_N", ""), "table")) != fo_N:
                raise Fail(f"x = {point_text(x)}: the deep target at N = {N0} is {fo_N}")
            if norm2 == R2:
                continue
            N = integer(row.get("N"), "table N")
            # N(x) valid iff outside (A_N inside the ball for every N) or d 4^(-N-1) < R^2 - |x|^2
            if N < 1 or not (norm2 > R2 or mpq(dim, 4 ** (N + 1)) < R2 - norm2):
                raise Fail(f"x = {point_text(x)}: N(x) = {N} does not satisfy d 4^(-N-1) < R^2 - |x|^2")
        return (f"0 <= q_N(u) - u^2 <= 4^(-N-1) by expansion; N(x) checked exactly at {len(rows)} points; "
                "the deep targets by interpolation of u^2")

    def undecided(self, why: str) -> Callable[[dict[str, Any]], str]:
        def f(_: dict[str, Any]) -> str:
            raise Undecided(why)
        return f


BATCHES = "the checker does not regenerate mini-batches (the sampler is outside its trusted base)"


def run(cert: Certificate) -> list[ClaimCheck]:
    """Every claim, in dependency order (construction first), then the verdict's consistency."""
    old = flint.ctx.prec
    flint.ctx.prec = 320      # Arb (non-integer r): enclosures far narrower than the prover's 128 bits
    try:
        return _run(cert)
    finally:
        flint.ctx.prec = old


def _run(cert: Certificate) -> list[ClaimCheck]:
    ck = Checker(cert)
    table: dict[str, Callable[[dict[str, Any]], str]] = {
        "construction": ck.construction, "monotonicity": ck.monotonicity,
        "minibatch_monotonicity": ck.minibatch_monotonicity, "asymptotic": ck.asymptotic,
        "growth": ck.growth, "cyclic_growth": lambda d: cyclic.growth(ck, d), "entry": ck.entry,
        "rate": ck.rate, "deep_ball_depth": ck.deep_ball_depth,
        "path": ck.undecided(BATCHES), "batch_losses": ck.undecided(BATCHES),
        "dataset_stall": ck.undecided(BATCHES)}
    order = list(table)
    claims = sorted(cert.claims, key=lambda c: order.index(c["id"]) if c["id"] in order else len(order))
    for done, c in enumerate(claims):
        report_progress("claims", done, len(claims))
        cid, status = c["id"], c["status"]
        if status not in ("proved", "enclosed"):
            ck.done[cid] = ClaimCheck(cid, NOT_CLAIMED, f"the certificate marks it {status}")
            continue
        try:
            if cid.startswith("pointwise:"):
                reason = ck.pointwise(cid, c["data"])
            elif cid in table:
                reason = table[cid](c["data"])
            else:
                raise Fail("unknown claim id")
            ck.done[cid] = ClaimCheck(cid, CHECKED, reason)
        except Fail as exc:
            ck.done[cid] = ClaimCheck(cid, FAILED, str(exc))
        except Undecided as exc:
            ck.done[cid] = ClaimCheck(cid, UNDECIDED, str(exc))
    out = [ck.done[c["id"]] for c in cert.claims]
    if cert.verdict == "certified":
        weak = [i for i in cert.rests_on if ck.done[i].status != CHECKED]
        missing = _missing_for_verdict(cert)
        if missing:
            out.append(ClaimCheck("verdict", FAILED, "certified, but it does not rest on what convergence needs: "
                                  + ", ".join(missing)[:300]))
        else:
            out.append(ClaimCheck("verdict", FAILED if weak else CHECKED,
                                  f"certified, but rests on claims not established: {', '.join(weak)[:300]}" if weak
                                  else f"certified, and all {len(cert.rests_on)} claims it rests on check"))
    return out


# What a "certified" verdict must rest on, by batch variant (docs/mathematics.md, sections 3, 4 and 6):
# the construction, monotonicity, the growth of w_t and, for every requested point, T(x).
_NEEDED = {
    "full": ("construction", "monotonicity", "asymptotic", "growth", "entry", "rate"),
    "cyclic": ("construction", "monotonicity", "cyclic_growth", "entry", "rate"),
    "sampled": ("construction", "minibatch_monotonicity", "path"),
    "dataset": ("construction", "minibatch_monotonicity", "path"),
}


def _missing_for_verdict(cert: Certificate) -> list[str]:
    """The claims a certified verdict lacks: a certificate that claims nothing proves nothing."""
    kind = cert.training.batch.kind
    need = list(_NEEDED.get(kind, ("construction",)))
    if type(cert.spec.target.level).__name__ == "DeepBall" and kind == "full":
        need.append("deep_ball_depth")
    rests = set(cert.rests_on)
    missing = [i for i in need if i not in rests]
    n_points = sum(1 for i in rests if i.startswith("pointwise:"))
    if n_points != len(cert.points):
        missing.append(f"T(x) for each of the {len(cert.points)} requested points (found {n_points})")
    return missing
