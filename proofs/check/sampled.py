"""The checker's mini-batch claims (sampled:M, dataset:N,M): the realized path, regenerated and
recomputed exactly, and the probabilistic claims, by the checker's own computations.

* The batches: :mod:`.stream` (pure-Python Philox4x64-10, exact binary64 rounding), the points'
  a_i = |g(x_i)| by the certificate's network in exact rationals.
* The realized path: w_{t+1} = w_t + eta G_B(w_t), G_B(w) = (r/M) sum_i a_i (1/2 - w a_i)_+^(r-1)
  ((0)_+^0 = 0), nonincreasing in w.  Exact rationals (integer r) while the numbers stay below
  EXACT_BITS, then dyadic intervals [lo, hi] with lo' = lo + eta G_B(hi), hi' = hi + eta G_B(lo)
  rounded outward at 2^-DYADIC_BITS (valid because G_B is nonincreasing); non-integer r: G_B in Arb.
  The batch losses L_B(w) = (1/M) sum_{a_i > 0} (1/2 - w a_i)_+^r are nonincreasing in w:
  L_B(w_t) in [L_B(hi_t), L_B(lo_t)].
* Bounded: the work is estimated before it starts; above WORK_SECONDS the claim is refused
  (Undecided) with the estimate.
* sampled_tails / almost_sure: the constants from the checked growth claim, the checker's own
  beta_r, r 2^(1-r) (exact or Arb), sup |g| bound (interval arithmetic on a grid of boxes), and
  the tail formula of docs/mathematics.md, section 4.3, in Arb.
"""
from __future__ import annotations

from typing import Any

import flint
from gmpy2 import mpq

from .base import Fail, Undecided, integer, point_text, show
from .read import q_of, rational
from .stream import Stream

EXACT_BITS = 2000
DYADIC_BITS = 256
WORK_SECONDS = 300.0
# Costs in microseconds, measured on this machine (idle-ish), for a deterministic estimate (never the
# clock): a coordinate of the stream; g at a point, 10 + 0.7 per weight of the network; one point in
# one step of the path (two evaluations of G_B).
COORD_US, LEVEL_US, LEVEL_US_PER_WEIGHT, STEP_POINT_US = 25.0, 10.0, 0.7, 6.0
HALF = mpq(1, 2)


# ---------------------------------------------------------------- the realized path

def _arbq(q: Any) -> flint.arb:
    q = mpq(q)
    return flint.arb(flint.fmpq(int(q.numerator), int(q.denominator)))


def _up(b: flint.arb) -> mpq:
    m, e = b.upper().mid().man_exp()
    return mpq(int(m)) * mpq(2) ** int(e)


def _down(b: flint.arb) -> mpq:
    m, e = b.lower().mid().man_exp()
    return mpq(int(m)) * mpq(2) ** int(e)


class Realized:
    """The checker's own realized path of a sampled / dataset certificate (module docstring)."""

    def __init__(self, ck: Any) -> None:
        cert = ck.cert
        self.ck = ck
        batch = cert.training.batch
        self.kind, self.M = batch.kind, batch.M
        self.n = cert.steps
        self.r = ck.r
        self.r_int = int(self.r) if self.r.denominator == 1 else None
        dom = cert.spec.domain
        self.stream = Stream(cert.training.seed, [q_of(v) for v in dom.lo], [q_of(v) for v in dom.hi])
        d = cert.spec.dim
        weights = sum(len(row) for weight, _ in ck.net.layers for row in weight) + len(ck.net.readout)
        point_us = LEVEL_US + LEVEL_US_PER_WEIGHT * weights
        if self.kind.stochastic:
            pts = (self.n + 1) * self.M
            est = pts * (d * COORD_US + point_us + 2 * STEP_POINT_US) * 1e-6
        else:
            self.N = batch.N
            per = self.N // self.M
            epochs = self.n // per + 1
            est = (self.N * (d * COORD_US + point_us) + epochs * self.N * 8
                   + (self.n + 1) * self.M * 2 * STEP_POINT_US) * 1e-6
        if est > WORK_SECONDS:
            raise Undecided(f"regenerating and recomputing the realized path ({self.n} steps of {batch.text()}) "
                            f"would take about {est:.0f} s, beyond the checker's budget of {WORK_SECONDS:.0f} s")
        self.data_a: list[mpq] | None = None
        self.data_pts: list[tuple[mpq, ...]] | None = None
        if self.kind.fixed_dataset:
            self.data_pts = self.stream.points(0, self.N)
            self.data_a = [abs(ck.net.level(x)) for x in self.data_pts]
        self.lo: list[mpq] = []
        self.hi: list[mpq] = []
        self.losses: dict[int, tuple[mpq, mpq]] = {}
        self._run()

    def batch(self, t: int, order: dict[int, list[int]]) -> list[mpq]:
        """a_i = |g(x_i)| of step t's batch, exact."""
        if self.kind.stochastic:
            return [abs(self.ck.net.level(x)) for x in self.stream.points(t * self.M, self.M)]
        per = self.N // self.M
        e, b = divmod(t, per)
        if e not in order:
            order.clear()
            order[e] = self.stream.order(e, self.N)
        assert self.data_a is not None
        return [self.data_a[i] for i in order[e][b * self.M:(b + 1) * self.M]]

    def G(self, a: list[mpq], w: mpq, side: str) -> mpq:
        """(r/M) sum a_i (1/2 - w a_i)_+^(r-1): exact (integer r) or the Arb bound on ``side``."""
        if self.r_int is not None:
            p = self.r_int - 1
            s = mpq(0)
            for ai in a:
                e = HALF - w * ai
                if e > 0:
                    s += ai * e ** p if p else ai
            return self.r * s / self.M
        pa = _arbq(self.r - 1)
        acc = flint.arb(0)
        for ai in a:
            e = HALF - w * ai
            if e > 0:
                acc += _arbq(ai) * _arbq(e) ** pa
        b = _arbq(self.r) * acc / self.M
        return _down(b) if side == "down" else _up(b)

    def LB(self, a: list[mpq], w: mpq, side: str) -> mpq:
        """(1/M) sum_{a_i > 0} (1/2 - w a_i)_+^r."""
        if self.r_int is not None:
            s = mpq(0)
            for ai in a:
                e = HALF - w * ai
                if ai > 0 and e > 0:
                    s += e ** self.r_int
            return s / self.M
        acc = flint.arb(0)
        for ai in a:
            e = HALF - w * ai
            if ai > 0 and e > 0:
                acc += _arbq(e) ** _arbq(self.r)
        b = acc / self.M
        return _down(b) if side == "down" else _up(b)

    def _run(self) -> None:
        eta, n = self.ck.eta, self.n
        lo = hi = self.ck.w0
        grid = mpq(2) ** DYADIC_BITS
        tail0 = n - n // 10
        order: dict[int, list[int]] = {}
        for t in range(n + 1):
            self.lo.append(lo)
            self.hi.append(hi)
            a = self.batch(t, order)
            if t == 0 or t >= tail0:
                self.losses[t] = (self.LB(a, hi, "down"), self.LB(a, lo, "up"))
            if t == n:
                break
            if lo == hi and self.r_int is not None:
                nxt = lo + eta * self.G(a, lo, "down")
                if nxt.numerator.bit_length() + nxt.denominator.bit_length() < EXACT_BITS:
                    lo = hi = nxt
                    continue
            new_lo = lo + eta * self.G(a, hi, "down")
            new_hi = hi + eta * self.G(a, lo, "up")
            lo = mpq(int((new_lo * grid).__floor__()), 1) / grid
            hi = mpq(int((new_hi * grid).__ceil__()), 1) / grid


def realized(ck: Any) -> Realized:
    """The path, computed once per checker (an Undecided is remembered too)."""
    got = getattr(ck, "_realized", None)
    if isinstance(got, Undecided):
        raise got
    if got is None:
        try:
            try:
                got = Realized(ck)
            except (ValueError, OverflowError) as exc:     # e.g. a domain end beyond binary64
                raise Undecided(f"the batches cannot be regenerated: {exc}") from None
        except Undecided as exc:
            ck._realized = exc
            raise
        ck._realized = got
    return got


def _q(d: dict[str, Any], key: str, cid: str) -> mpq:
    return q_of(rational(d.get(key, ""), f"{cid} {key}"))


def _inside(mine: tuple[mpq, mpq], lo: mpq, hi: mpq, what: str) -> None:
    a, b = mine
    if b < lo or a > hi:
        raise Fail(f"{what}: the checker's [{show(a)}, {show(b)}] lies outside the claimed [{show(lo)}, {show(hi)}]")
    if not (lo <= a and b <= hi):
        raise Undecided(f"{what}: the checker's [{show(a)}, {show(b)}] is not inside the claimed "
                        f"[{show(lo)}, {show(hi)}]")


# ---------------------------------------------------------------- realized-path claims

def path(ck: Any, d: dict[str, Any]) -> str:
    ck.needs("minibatch_monotonicity")
    if integer(d.get("steps"), "path steps") != ck.cert.steps:
        raise Fail("steps differs from the certificate's horizon")
    if _q(d, "w0", "path") != ck.w0:
        raise Fail("w0 differs from the inputs")
    rp = realized(ck)
    n = rp.n
    _inside((rp.lo[n], rp.hi[n]), _q(d, "w_n_lo", "path"), _q(d, "w_n_hi", "path"), f"w_{n}")
    return (f"the batches regenerated from the stream (seed {ck.cert.training.seed}) and the path recomputed "
            f"(exact, then {DYADIC_BITS}-bit dyadic intervals): w_{n} in [{show(rp.lo[n])}, {show(rp.hi[n])}]")


def batch_losses(ck: Any, d: dict[str, Any]) -> str:
    ck.needs("path")
    rp = realized(ck)
    n = rp.n
    if integer(d.get("steps"), "batch_losses steps") != n:
        raise Fail("steps differs from the certificate's horizon")
    _inside(rp.losses[0], _q(d, "loss_0_lo", "batch_losses"), _q(d, "loss_0_hi", "batch_losses"), "L_B_0(w_0)")
    _inside(rp.losses[n], _q(d, "loss_n_lo", "batch_losses"), _q(d, "loss_n_hi", "batch_losses"), f"L_B_{n}(w_{n})")
    claimed = _q(d, "tail_max_hi", "batch_losses")
    tail = [v for t, v in rp.losses.items() if t >= n - n // 10]
    if any(claimed < lo for lo, _ in tail):
        raise Fail(f"tail_max_hi = {show(claimed)} is below a tail batch loss (the checker's lower bound)")
    if any(claimed < hi for _, hi in tail):
        raise Undecided(f"tail_max_hi = {show(claimed)}: the checker's enclosures of the tail losses reach above it")
    return f"L_B_t(w_t) recomputed on the regenerated batches at t = 0, {n} and the last {n // 10 + 1} steps"


def pointwise(ck: Any, cid: str, theta: mpq, T_lo: int, T_hi: int | None) -> str:
    """T(x) on the realized path: w_{T_lo - 1} < theta and w_{T_hi} >= theta on the checker's path."""
    ck.needs("path")
    rp = realized(ck)
    n = rp.n
    if T_lo >= 1:
        if T_lo - 1 > n:      # not false, only not seen: the claim speaks beyond the regenerated path
            raise Undecided(f"T(x) >= {T_lo} reaches beyond the realized horizon {n}")
        lo, hi = rp.lo[T_lo - 1], rp.hi[T_lo - 1]
        if lo >= theta:
            raise Fail(f"T(x) >= {T_lo} is false: w_{T_lo - 1} >= {show(lo)} >= 1/(2|g|) = {show(theta)}")
        if not hi < theta:
            raise Undecided(f"T(x) >= {T_lo}: w_{T_lo - 1} < {show(theta)} is not decided by [{show(lo)}, {show(hi)}]")
    if T_hi is not None:
        if T_hi > n:
            raise Undecided(f"T(x) <= {T_hi} is beyond the realized horizon {n}")
        lo, hi = rp.lo[T_hi], rp.hi[T_hi]
        if hi < theta:
            raise Fail(f"T(x) <= {T_hi} is false: w_{T_hi} <= {show(hi)} < 1/(2|g|) = {show(theta)}")
        if not lo >= theta:
            raise Undecided(f"T(x) <= {T_hi}: w_{T_hi} >= {show(theta)} is not decided by [{show(lo)}, {show(hi)}]")
    return f"{T_lo} <= T(x) <= {T_hi if T_hi is not None else 'beyond the horizon'} on the regenerated realized path"


def dataset_stall(ck: Any, d: dict[str, Any]) -> str:
    """The stall of a fixed dataset (docs/mathematics.md, section 4.4): m, theta_min, the bound W,
    the enclosure of w_inf, the witness, the classification of the requested points."""
    ck.needs("path")
    rp = realized(ck)
    assert rp.data_a is not None
    n = rp.n
    pos = [a for a in rp.data_a if a > 0]
    if not pos:
        raise Fail("every data point lies on g = 0")
    m, amax = min(pos), max(rp.data_a)
    cid = "dataset_stall"
    if _q(d, "min_abs_g_data", cid) != m or _q(d, "max_abs_g_data", cid) != amax:
        raise Fail(f"min/max |g| over the regenerated data are {show(m)} / {show(amax)}")
    theta = 1 / (2 * m)
    if _q(d, "theta_min", cid) != theta:
        raise Fail("theta_min != 1/(2 min |g(x_i)|)")
    beta, H = beta_upper(ck.r), H_upper(ck.r)
    lo_n, hi_n = rp.lo[n], rp.hi[n]

    def bound(lo: mpq, hi: mpq) -> mpq:
        """sup_t w_t <= this when w_n lies in [lo, hi] (docs/mathematics.md, section 4.4)."""
        if lo >= theta:
            return hi            # every data error is 0 from w >= theta on: w_t = w_n for t >= n
        inc = H * amax if lo == 0 else min(beta / lo, H * amax)
        return max(hi, theta + ck.eta * inc)

    W_mine = bound(lo_n, hi_n)
    W = _q(d, "W", cid)
    if W < W_mine:
        # the checker's enclosure may be the wider one: false only if no w_n in it allows W
        if W < min(bound(hi_n, lo_n), bound(lo_n, lo_n)):
            raise Fail(f"W = {show(W)} is below every bound on sup_t w_t the realized w_{n} allows "
                       f"(checker: {show(W_mine)})")
        raise Undecided(f"W = {show(W)} is below the checker's bound {show(W_mine)} from its enclosure of w_{n}")
    if "w_inf_lo" in d:
        wl = _q(d, "w_inf_lo", cid)
        if wl > W_mine:     # w_inf <= W_mine: a larger lower bound is false
            raise Fail(f"w_inf_lo = {show(wl)} exceeds the checker's bound {show(W_mine)} on w_inf")
        if wl > lo_n:
            raise Undecided(f"w_inf_lo = {show(wl)} is above the checker's w_{n} >= {show(lo_n)}")
    x = tuple(q_of(rational(v, f"{cid} witness_x")) for v in d.get("witness_x", []))
    if len(x) != ck.cert.spec.dim:
        raise Fail("witness_x has the wrong dimension")
    gx = ck.net.level(x)
    if gx == 0 or not HALF - W * abs(gx) > 0:
        raise Fail(f"the witness has g = {show(gx)}: not 0 < |g| < 1/(2W)")
    if _q(d, "witness_error_lower", cid) > HALF - W * abs(gx):
        raise Fail("witness_error_lower exceeds 1/2 - W|g(x)|")
    for row in d.get("points", []):
        y = tuple(q_of(rational(v, f"{cid} points x")) for v in row.get("x", []))
        g = abs(ck.net.level(y))
        verdict = row.get("verdict")
        ok = {"fails": g > 0 and W * g < HALF,
              "converges": g == 0 or 2 * g * lo_n >= 1,
              "undetermined": True}.get(verdict)
        if not ok:
            raise Fail(f"x = {point_text(y)}: '{verdict}' does not follow (|g| = {show(g)})")
    return (f"on the regenerated dataset: m = {show(m)}, w_t <= {show(W_mine)} <= W for all t (the realized "
            f"w_{n} in [{show(lo_n)}, {show(hi_n)}] and one step's increment); witness 0 < |g| = {show(abs(gx))} "
            f"< 1/(2W)")


# ---------------------------------------------------------------- the probabilistic claims

def beta_upper(r: mpq) -> mpq:
    """A rational >= 2^-r ((r-1)/r)^(r-1): exact for integer r, Arb otherwise."""
    if r.denominator == 1:
        k = int(r)
        return mpq(1, 2) if k == 1 else mpq(k - 1, k) ** (k - 1) / mpq(2) ** k
    rr = _arbq(r)
    return _up(flint.arb(2) ** (-rr) * ((rr - 1) / rr) ** (rr - 1))


def H_upper(r: mpq) -> mpq:
    """A rational >= r 2^(1-r)."""
    if r.denominator == 1:
        k = int(r)
        return mpq(k) * mpq(2) ** (1 - k) if k >= 1 else mpq(k)
    rr = _arbq(r)
    return _up(rr * flint.arb(2) ** (1 - rr))


def sup_level(ck: Any) -> mpq:
    """sup |g| on the domain, bounded by interval arithmetic through the certificate's network on
    a grid of n^d boxes (n = max(2, floor(256^(1/d))))."""
    net, dom = ck.net, ck.cert.spec.domain
    dim = ck.cert.spec.dim
    n = 2
    while (n + 1) ** dim <= 256:
        n += 1
    boxes: list[list[tuple[mpq, mpq]]] = [[]]
    for a, b in zip(dom.lo, dom.hi):
        a, b = q_of(a), q_of(b)
        cuts = [a + (b - a) * mpq(k, n) for k in range(n + 1)]
        boxes = [bx + [(cuts[k], cuts[k + 1])] for bx in boxes for k in range(n)]
    best = mpq(0)
    for bx in boxes:
        iv = list(bx)
        if net.sqnorm:
            iv.append((sum((mpq(0) if a <= 0 <= b else min(a * a, b * b) for a, b in bx), mpq(0)),
                       sum((max(a * a, b * b) for a, b in bx), mpq(0))))
        for weight, bias in net.layers:
            iv = [_affine(row, c, iv) for row, c in zip(weight, bias)]
            iv = [(max(a, mpq(0)), max(b, mpq(0))) for a, b in iv]
        a, b = _affine(net.readout, net.readout_bias, iv)
        best = max(best, abs(a), abs(b))
    return best


def _affine(row: Any, c: Any, iv: list[tuple[mpq, mpq]]) -> tuple[mpq, mpq]:
    lo = hi = mpq(c)
    for wgt, (a, b) in zip(row, iv):
        lo += wgt * a if wgt >= 0 else wgt * b
        hi += wgt * b if wgt >= 0 else wgt * a
    return lo, hi


class Consts:
    """The checker's constants of the tail bound (docs/mathematics.md, section 4.3)."""

    def __init__(self, ck: Any, d: dict[str, Any]) -> None:
        g = ck.needs("growth")
        cid = "sampled_tails"
        self.w_star = q_of(rational(g.get("w_star", ""), "growth w_star"))
        dom = ck.cert.spec.domain
        vol = mpq(1)
        for a, b in zip(dom.lo, dom.hi):
            vol *= q_of(b) - q_of(a)
        self.kappa = 1 / (vol * ck.density)
        c_mu = _q(d, "c_mu_lower", cid)
        c_growth = _growth_value(g.get("c"), "c", "down")
        if not 0 < c_mu <= c_growth * self.kappa:
            raise Fail(f"c_mu_lower = {show(c_mu)} is not in (0, kappa c] (c from the checked growth claim)")
        self.c_mu = c_mu
        Cbar = _q(d, "Cbar_upper", cid)
        if Cbar < _growth_value(g.get("Cbar"), "Cbar", "up"):
            raise Fail("Cbar_upper is below the growth claim's Cbar")
        self.Cbar = Cbar
        if _q(d, "w_star", cid) != self.w_star:
            raise Fail("w_star differs from the growth claim's")
        self.eta, self.w0 = ck.eta, ck.w0
        self.beta, self.H = beta_upper(ck.r), H_upper(ck.r)
        self.a_max = sup_level(ck)
        self.M = ck.cert.training.batch.M

    def Psi(self, theta: mpq) -> mpq:
        if theta <= self.w0:
            return mpq(0)
        ws = self.w_star
        low = max(mpq(0), min(theta, ws) - self.w0) * ws * ws
        top = max(mpq(0), theta ** 3 - max(self.w0, ws) ** 3) / 3
        return (low + top) / self.c_mu

    def R(self, theta: mpq) -> mpq:
        ws, parts = self.w_star, [self.eta]
        if theta > ws:
            parts.append(self.eta * self.beta * theta / self.c_mu)
        if self.w0 < min(theta, ws):
            h0 = self.H * self.a_max if self.w0 == 0 else min(self.beta / self.w0, self.H * self.a_max)
            parts.append(self.eta * ws * ws * h0 / self.c_mu)
        return max(parts)

    def check_delta(self, theta: mpq, t: int, claimed: mpq, what: str) -> None:
        """claimed >= exp(-(eta t M/R) h(Psi/(eta t))) (1 when eta t <= Psi), decided in Arb: the
        step's increment of Psi is the mean of M independent per-point terms in [0, R]."""
        P, R = self.Psi(theta), self.R(theta) / self.M
        mu = self.eta * t
        if P >= mu:
            if claimed < 1:
                raise Fail(f"{what}: eta t <= Psi = {show(P)}: the lemma gives no bound below 1")
            return
        if P == 0:
            return
        u = _arbq(P / mu)
        b = (-(_arbq(mu) / _arbq(R)) * (1 - u + u * u.log())).exp()
        if not _up(b) <= claimed:
            raise Fail(f"{what}: delta = {show(claimed)} is below the checker's bound {b.str(5)}")


def _growth_value(text: Any, key: str, side: str) -> mpq:
    from .base import lower, upper, value
    from .read import expr

    v = value(expr(text, f"growth {key}"))
    return lower(v) if side == "down" else upper(v)


def sampled_tails(ck: Any, d: dict[str, Any]) -> str:
    ck.needs("minibatch_monotonicity")
    k = Consts(ck, d)
    cid = "sampled_tails"
    for key, mine in (("beta_upper", k.beta), ("H_upper", k.H)):
        if _q(d, key, cid) < mine:
            raise Fail(f"{key} is below the checker's {show(mine)}")
    if _q(d, "a_max", cid) < k.a_max:
        raise Fail(f"a_max is below the checker's bound {show(k.a_max)} on sup |g|")
    k.beta, k.H, k.a_max = _q(d, "beta_upper", cid), _q(d, "H_upper", cid), _q(d, "a_max", cid)
    n_rows = 0
    for row in d.get("points", []):
        x = tuple(q_of(rational(v, f"{cid} x")) for v in row.get("x", []))
        g = abs(ck.net.level(x))
        if "bounds" not in row:
            if g != 0 and k.Psi(1 / (2 * g)) != 0:
                raise Fail(f"x = {point_text(x)}: no bounds although T(x) > 0 is possible")
            continue
        theta = 1 / (2 * g)
        for b in row["bounds"]:
            t = integer(b.get("t"), f"{cid} t")
            k.check_delta(theta, t, q_of(rational(b.get("delta", ""), f"{cid} delta")), f"x = {point_text(x)}, t = {t}")
            n_rows += 1
    C = _q(d, "loss_C", cid)
    for b in d.get("loss", []):
        t = integer(b.get("t"), f"{cid} loss t")
        th = _q(b, "theta", cid)
        # theta_t >= max(w*, Cbar t^(1/3)/C): then w_t >= theta_t gives L(w_t) <= Cbar/w_t <= C t^(-1/3)
        if th < k.w_star or th ** 3 * C ** 3 < k.Cbar ** 3 * t:
            raise Fail(f"loss t = {t}: theta = {show(th)} is below max(w*, Cbar t^(1/3)/C)")
        k.check_delta(th, t, _q(b, "delta", cid), f"loss t = {t}")
        n_rows += 1
    return (f"{n_rows} tail bounds recomputed in Arb from c_mu = {show(k.c_mu)} (<= kappa c of the checked "
            f"growth claim), w* = {show(k.w_star)}, beta_r, r 2^(1-r) and sup|g| <= {show(k.a_max)} (interval "
            f"arithmetic); they hold for every seed (probabilistic claims, not about the realized path)")


def almost_sure(ck: Any, d: dict[str, Any]) -> str:
    tails = ck.needs("sampled_tails")
    if d.get("c_mu_lower") != tails.get("c_mu_lower") or d.get("w_star") != tails.get("w_star"):
        raise Fail("constants differ from the sampled_tails claim's")
    return ("with c_mu > 0 and R(theta) finite, delta_theta(t) -> 0 as t -> infinity for every theta (the exponent "
            "(eta t M/R) h(Psi/(eta t)) -> infinity), so P(sup_t w_t < theta) = 0 for every theta: w_t -> infinity "
            "almost surely (w_t monotone on every realization)")
