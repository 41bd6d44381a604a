"""One check per claim, each by the checker's own route (see the package README section); the
:class:`Checker` holds what several claims share (the cells, L and L', the enclosed path).

* construction: the network, forward in exact rationals, against the target's geometric
  definition: at an interior point of each of the checker's own cells (its activation
  regions, :mod:`.activation`, cut by g = 0 and by the target's faces: on each open cell
  both signs are constant, so this is complete on the interiors), at the certificate's
  points and at seeded random rational points;
* monotonicity: from the construction check, sign(g) = sign of the target everywhere, so
  each point's error is (1/2 - w|g(x)|)_+, nonincreasing in w >= 0: L' <= 0 and -L' is
  nonincreasing (the integrand r (1/2 - w u)_+^(r-1) u is, for every u >= 0);
* asymptotic, growth: the population loss on [w*, oo), in :mod:`.asymptotic`;
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

from relu_pointwise.symbolic.targets import ExactBall

from . import asymptotic, cyclic, exact1d, exactball, plan, points, sampled
from .activation import TooLarge
from .base import (
    CHECKED,
    FAILED,
    NOT_CLAIMED,
    UNDECIDED,
    ClaimCheck,
    Fail,
    Undecided,
    agree,
    agree_expr,
    exactly_equal,
    fields,
    le,
    lower,
    point_text,
    show,
    step,
    upper,
    value,
)
from .cells import (
    Net,
    decompose,
    geometric_level,
    loss_derivative,
    loss_integral,
)
from .density import ClosedForm, closed_forms, w_pieces
from .partition import Cell, Partition, partition, report_progress
from .points import not_reached, reached
from .radial import OutsideRegime, radial
from .read import CertificateReading, expr, q_of, rational

RANDOM_POINTS = 64
DYADIC_BITS = 256
EXACT_BITS = 4000
# The enclosed path is bounded by a deterministic step budget, so a verdict never depends on
# how loaded the machine is; the wall-clock cap only bounds a hostile file's cost.
PATH_STEPS = 50_000
PATH_SECONDS = 900.0


class Checker:
    """Holds what several claims share: the network, the cells, the enclosed path."""

    def __init__(self, cert: CertificateReading) -> None:
        self.cert = cert
        spec = cert.spec
        self.network = cert.network
        self.net = Net.of(self.network)
        # a tree of Affine/Min/Max/ExactBall/DeepBall nodes, read by class (isinstance against symbolic.targets)
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
        if not isinstance(self.level, ExactBall) or self.network.hidden:
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
        if batch.kind.slabs:
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
        if t < 0:       # there is no step -1 (a negative index would read the path from its end)
            raise Fail(f"step {t}: step indices are >= 0")
        if t > self.cert.steps + 1:
            raise Undecided(f"step {t} is beyond the certificate's horizon of {self.cert.steps} steps")
        if t >= len(self.path):
            self.extend_path(t)
        if t >= len(self.path):
            raise Undecided(self.path_note or f"step {t} is beyond the checker's enclosure")
        return self.path[t]

    # -------------------------------------------------------------- claims
    def construction(self, d: dict[str, Any]) -> str:
        """The weights are exactly those symbolic.network builds for the spec, and the network's
        g equals the checker's own evaluation of the level function (cells.geometric_level)."""
        fields(d, ("depth", "hidden_widths", "nonzero_fixed_weights", "features", "points_checked")
               + (("network",) if self.cert.version >= 2 else ()))
        net, built = self.network, self.cert.spec.network
        if net != built:
            raise Fail("the certificate's weights are not those symbolic.network builds for the spec: "
                       + _first_difference(net, built))
        expect = {"depth": str(built.depth), "hidden_widths": [str(lay.width) for lay in built.hidden],
                  "nonzero_fixed_weights": str(built.nonzero_fixed_weights()), "features": list(built.features),
                  "points_checked": str(len(self.cert.points))}
        for k, v in expect.items():
            if d[k] != v:
                raise Fail(f"{k}: the certificate says {str(d[k])[:40]}, the checker finds {v}")
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
            self.level_mismatch(x)
        if isinstance(self.level, ExactBall) and not net.hidden:
            return self._exact_ball_construction(len(pts))
        cells = self.cells()
        seen: set[tuple[Any, ...]] = set()
        for c in cells:
            for x in c.points:             # an interior point decides the open cell
                if x not in seen:
                    seen.add(x)
                    self.level_mismatch(x)
        return (f"the weights are exactly those symbolic.network builds; g(x) equals the level function "
                f"(the checker's own evaluation) at an interior point of each of the checker's {len(cells)} "
                f"cells (its activation regions cut by g = 0 and by the target's faces, on which sign(g) and "
                f"the target's sign are constant) and at {len(pts)} points ({RANDOM_POINTS} seeded random)"
                + ("" if self.cert.version >= 2 else "; schema 1: weights rebuilt by symbolic.network"))

    def level_mismatch(self, x: tuple[Any, ...]) -> None:
        g, s = self.net.level(x), geometric_level(self.level, x)
        if g != s:
            raise Fail(f"at x = {point_text(x)} the network gives g = {show(g)}, the level function {show(s)}")

    def _exact_ball_construction(self, n_points: int) -> str:
        dim = self.cert.spec.dim
        ro, b = self.net.readout, self.net.readout_bias
        if self.network.features[dim:] != ("sqnorm",) or any(v != 0 for v in ro[:dim]) or ro[dim] != -1 \
                or b != q_of(self.level.R2):
            raise Fail("the network's readout is not R^2 - |x|^2")
        return (f"the weights are exactly those symbolic.network builds; g = R^2 - |x|^2 identically (no hidden "
                f"layer; readout -1 on the feature |x|^2, bias R^2), and equal to it at {n_points} points")

    def monotonicity(self, d: dict[str, Any]) -> str:
        fields(d, ("r",))
        self.needs("construction")
        if rational(d["r"], "monotonicity r") != self.cert.spec.r:
            raise Fail(f"r = {d['r']} differs from the spec's r")
        return ("by the construction check g equals the level function, so each point's error is "
                "(1/2 - w|g(x)|)_+, nonincreasing in w >= 0; hence L' <= 0 (every slab's too) and -L' is "
                "nonincreasing")

    def minibatch_monotonicity(self, d: dict[str, Any]) -> str:
        fields(d, ("r", "batch"))
        if d["batch"] != self.cert.training.batch.text():
            raise Fail(f"batch = {str(d['batch'])[:40]} differs from the inputs' {self.cert.training.batch.text()}")
        return self.monotonicity({"r": d["r"]}).replace("every slab's", "every batch loss's")

    def exact_L(self, w: Any, derivative: bool) -> sympy.Expr | None:
        """L(w) (or L'(w)) as an exact SymPy value where the checker's own Arb value is not exact:
        1-D with non-integer r (:mod:`.exact1d`), the exact ball (:mod:`.exactball`, in its regime);
        None elsewhere (there L, L' are exact rationals)."""
        ball = self._ball()
        if ball is not None:
            lam, R2, d, m2 = ball
            return exactball.radial_exact(lam, R2, d, m2, w, self.r, self.density, derivative)
        if self.r.denominator == 1 or self.cert.spec.dim != 1:
            return None
        cells = self.__dict__.get("_cells_1d")
        if cells is None:
            dom = self.cert.spec.domain
            cells = self.__dict__["_cells_1d"] = decompose(self.net, self.level, (q_of(dom.lo[0]),),
                                                           (q_of(dom.hi[0]),))
        return exact1d.loss_1d(cells, w, self.r, self.density, derivative)

    def entry(self, d: dict[str, Any]) -> str:
        """Full batch: t* <= t_star_bound (w_t >= w* from then on), and optionally the enclosed t*."""
        fields(d, ("w_star", "w0", "eta", "minus_dL_at_w_star", "t_star_bound"), ENCLOSED_ENTRY + ("t_star_exact",))
        self.same_training(d, "entry")
        asym = self.needs("asymptotic")
        w_star = q_of(rational(d["w_star"], "entry w_star"))
        if w_star != q_of(rational(asym["w_star"], "asymptotic w_star")):
            raise Fail("w* differs from the asymptotic claim's")
        self.needs("monotonicity")
        m = -self.dL(w_star)
        claimed_m = expr(d["minus_dL_at_w_star"], "entry minus_dL_at_w_star")
        exact = self.exact_L(w_star, True)
        if exact is None or not exactly_equal(-exact, claimed_m):
            agree(m, value(claimed_m), "minus_dL_at_w_star (-L'(w*) by the checker's integral)")
        positive = le(m, mpq(0))
        if positive is not False:
            if positive is True:
                raise Fail("-L'(w*) is not > 0 by the checker's integral")
            raise Undecided("-L'(w*) > 0 is not decided")
        claimed = step(d["t_star_bound"], "entry t_star_bound")
        proved = 0 if self.w0 >= w_star else ceil(upper((w_star - self.w0) / (self.eta * lower(m))))
        if claimed < proved:
            reached(self, claimed, w_star, f"t* <= t_star_bound = {claimed}")
        out = f"t* <= {claimed} from -L'(w*) = {show(m)} (checker's integral) and -L' nonincreasing"
        if "t_star" in d:
            if "t_star_exact" not in d or d["t_star_exact"] not in ("yes", "no"):
                raise Fail("t_star_exact must be yes or no")
            t = self.enclosed_at(d, w_star, "w*")
            if d["t_star_exact"] == "yes" and t > 0:
                not_reached(self, t - 1, w_star, f"t* = {t} (w_{t - 1} < w*)")
            out += f"; w_{t} >= w* on the checker's own enclosure of w_t"
        elif "t_star_exact" in d:
            raise Fail("t_star_exact without t_star")
        return out

    def same_training(self, d: dict[str, Any], cid: str) -> None:
        """The claim's copies of w0 and eta are the inputs'."""
        for k, v in (("w0", self.w0), ("eta", self.eta)):
            if k in d and q_of(rational(d[k], f"{cid} {k}")) != v:
                raise Fail(f"{k} = {str(d[k])[:30]} differs from the inputs' {show(v)}")

    def enclosed_at(self, d: dict[str, Any], w_star: Any, name: str) -> int:
        """t_star with w_t_star_lo <= w_{t_star} <= w_t_star_hi and w_{t_star} >= w_star; returns t_star."""
        fields({k: d.get(k) for k in ENCLOSED_ENTRY if k in d}, ENCLOSED_ENTRY)
        t = step(d["t_star"], "t_star")
        clo = q_of(rational(d["w_t_star_lo"], "w_t_star_lo"))
        chi = q_of(rational(d["w_t_star_hi"], "w_t_star_hi"))
        if clo > chi:
            raise Fail("w_t_star_lo > w_t_star_hi")
        lo, hi = self.enclosure(t)
        if hi < clo or lo > chi:
            raise Fail(f"w_{t} in [{show(lo)}, {show(hi)}] (the checker's enclosure) is outside the claimed "
                       f"[{show(clo)}, {show(chi)}]")
        if not (clo <= lo and hi <= chi):
            raise Undecided(f"w_{t} in [{show(lo)}, {show(hi)}] (the checker's enclosure) is not inside the "
                            f"claimed [{show(clo)}, {show(chi)}]")
        reached(self, t, w_star, f"w_{t} >= {name} (t_star = {t})", use_rate=False)
        return t

    def rate(self, d: dict[str, Any]) -> str:
        """Full batch: from t0 on (w_t0 >= w_t0_lower >= w*), w_t^3 >= w_t0_lower^3 + 3 eta c (t - t0)."""
        fields(d, ("t0", "w_t0_lower", "c", "Cbar", "eta", "3_eta_c"))
        self.same_training(d, "rate")
        g = self.needs("growth")
        ent = self.needs("entry")
        for k in ("c", "Cbar", "3_eta_c"):
            agree_expr(expr(g[k], f"growth {k}"), expr(d[k], f"rate {k}"), f"{k} (the growth claim's)")
        w_star = q_of(rational(g["w_star"], "growth w_star"))
        return self.rate_start(d, w_star, step(ent["t_star_bound"], "entry t_star_bound"), "w*")

    def rate_start(self, d: dict[str, Any], w_star: Any, entry_bound: int, name: str) -> str:
        t0 = step(d["t0"], "rate t0")
        W0 = q_of(rational(d["w_t0_lower"], "rate w_t0_lower"))
        if W0 < w_star:
            raise Undecided(f"w_t0_lower = {show(W0)} < {name}: the growth lemma does not apply from t0")
        if W0 == w_star and t0 >= entry_bound:
            return f"from t0 = {t0} >= the entry bound, w_t >= {name} = w_t0_lower; the growth lemma by induction"
        reached(self, t0, W0, f"w_{t0} >= w_t0_lower = {show(W0)}", use_rate=False)
        return f"w_{t0} >= {show(W0)} >= {name} on the checker's enclosure; the growth lemma by induction"

    def pointwise(self, x: tuple[Any, ...], d: dict[str, Any]) -> str:
        return points.pointwise(self, x, d)

    def deep_ball_depth(self, d: dict[str, Any]) -> str:
        return points.deep_ball_depth(self, d)


ENCLOSED_ENTRY = ("t_star", "w_t_star_lo", "w_t_star_hi")


def _first_difference(a: Any, b: Any) -> str:
    for k in ("features", "hidden", "readout", "readout_bias", "head_bias", "head_out"):
        if getattr(a, k) != getattr(b, k):
            return f"{k} differs"
    return "the network differs"


def handlers(ck: Checker) -> dict[str, Callable[[dict[str, Any]], str]]:
    """The check of each non-pointwise claim, chosen by the batch kind (never by a claim's keys)."""
    kind = ck.cert.training.batch.kind
    table: dict[str, Callable[[dict[str, Any]], str]] = {
        "construction": ck.construction, "deep_ball_depth": ck.deep_ball_depth}
    if kind.population:
        table.update(monotonicity=ck.monotonicity, asymptotic=lambda d: asymptotic.closed_form(ck, d),
                     growth=lambda d: asymptotic.growth(ck, d), entry=ck.entry, rate=ck.rate)
    elif kind.slabs:
        table.update(monotonicity=ck.monotonicity, cyclic_growth=lambda d: cyclic.growth(ck, d),
                     entry=lambda d: cyclic.entry(ck, d), rate=lambda d: cyclic.rate(ck, d))
    else:       # the realized path (regenerated batches) and, for sampled:M, the probabilistic claims
        table.update(minibatch_monotonicity=ck.minibatch_monotonicity, path=lambda d: sampled.path(ck, d),
                     batch_losses=lambda d: sampled.batch_losses(ck, d),
                     dataset_stall=lambda d: sampled.dataset_stall(ck, d),
                     asymptotic=lambda d: asymptotic.closed_form(ck, d), growth=lambda d: asymptotic.growth(ck, d),
                     sampled_tails=lambda d: sampled.sampled_tails(ck, d),
                     almost_sure=lambda d: sampled.almost_sure(ck, d))
    return table


def run(cert: CertificateReading) -> list[ClaimCheck]:
    """The claims the spec requires (plan.expected), each checked in order, then the verdict."""
    old = flint.ctx.prec
    flint.ctx.prec = 320      # Arb (non-integer r): enclosures far narrower than the prover's 128 bits
    try:
        return _run(cert)
    finally:
        flint.ctx.prec = old


def _run(cert: CertificateReading) -> list[ClaimCheck]:
    ck = Checker(cert)
    table = handlers(ck)
    by_id = {c["id"]: c for c in cert.claims}
    out: list[ClaimCheck] = []
    bad = plan.structure(cert)
    if bad is not None:
        out.append(bad)
    expected = list(plan.expected(cert))
    for done, (cid, x) in enumerate(expected):
        report_progress("claims", done, len(expected))
        c = by_id.get(cid)
        if c is None:
            continue
        if c["status"] not in plan.HOLDS:
            ck.done[cid] = ClaimCheck(cid, NOT_CLAIMED, f"the certificate marks it {c['status']}; its data is not "
                                      "checked and the verdict may not rest on it")
            continue
        try:
            reason = ck.pointwise(x, c["data"]) if x is not None else table[cid](c["data"])
            ck.done[cid] = ClaimCheck(cid, CHECKED, reason)
        except Fail as exc:
            ck.done[cid] = ClaimCheck(cid, FAILED, str(exc))
        except Undecided as exc:
            ck.done[cid] = ClaimCheck(cid, UNDECIDED, str(exc))
    out += [ck.done[c["id"]] for c in cert.claims if c["id"] in ck.done]
    return out + plan.verdict(cert, ck.done)
