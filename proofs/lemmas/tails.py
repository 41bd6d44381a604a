"""Random mini-batches (``sampled:M``): the almost-sure theorem and explicit tail bounds
(docs/mathematics.md, section 4.3).

Notation: a = |g(X)| for X ~ mu (the uniform probability on the domain); one point's
gradient term h(w, a) = r a (1/2 - w a)_+^(r-1); a step adds D_t = eta (1/M) sum_i h(w_t, a_i).

* Range: 0 <= h(w, a) <= beta_r / w with beta_r = 2^-r ((r-1)/r)^(r-1) (the maximum of
  r s (1-s)^(r-1) 2^-r over s = 2 w a in [0, 1]), and h(w, a) <= H a_max, H = r 2^(1-r),
  a_max >= sup |g| (interval arithmetic through the network).
* Mean: E[D_t | w_t] = eta kappa (-L'(w_t)), kappa = 1/(vol density) (1 for the probability
  measure), and -L'(w) >= c / max(w, w*)^2 for all w >= 0 (the growth lemma for w >= w*;
  -L' nonincreasing below it).  With c_mu = kappa c: E[D_t | w_t] >= eta c_mu / max(w_t, w*)^2.
* Potential: Psi(w) = int_{w0}^w max(v, w*)^2 / c_mu dv (convex).  X_t = Psi'(w_t) D_t <=
  Psi(w_{t+1}) - Psi(w_t) is the mean of M conditionally independent Y_i = eta Psi'(w_t) h(w_t, a_i)
  with E[Y_i | F_t] >= eta and, while w_t < theta, Y_i in [0, R(theta)].
* Lemma (Bennett-Freedman for nonnegative increments, per point): for such X_t,
  P(sum_{s<t} X_s <= P) <= exp(-(eta t M / R) h(P / (eta t))), h(u) = 1 - u + u ln u, eta t > P.
  Since T(x) > t implies sum_{s<t} X_s < Psi(theta_x), theta_x = 1/(2|g(x)|):
  P(T(x) > t) <= delta_x(t) := that bound with P = Psi(theta_x), R = R(theta_x).
* Loss: L(w) <= Cbar / w for w >= w*, so P(L(w_t) > C t^(-1/3)) <= delta_{theta_t}(t) with
  theta_t = max(w*, Cbar t^(1/3) / C).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import flint
import sympy
from gmpy2 import mpq

from relu_pointwise.symbolic.spec import Spec, Training

from .fullbatch import Growth
from .text import FAILED, PROVED, Claim, ex, point_text, short, to_q, to_rat

DELTA_FLOOR = mpq(1, 10 ** 30)     # smaller bounds are reported as this (still a valid upper bound)
LOSS_TS = (10, 100, 10 ** 3, 10 ** 4, 10 ** 6)
POINT_FACTORS = (mpq(21, 20), mpq(11, 10), mpq(5, 4), mpq(3, 2))


def _arb(q: Any) -> flint.arb:
    q = to_q(q)
    return flint.arb(flint.fmpq(int(q.numerator), int(q.denominator)))


def _up(b: flint.arb) -> mpq:
    m, e = b.upper().mid().man_exp()
    return mpq(int(m)) * mpq(2) ** int(e)


def _down(b: flint.arb) -> mpq:
    m, e = b.lower().mid().man_exp()
    return mpq(int(m)) * mpq(2) ** int(e)


def decimal_up(q: mpq, digits: int = 6) -> mpq:
    """The least decimal with ``digits`` significant digits >= q > 0."""
    q = mpq(q)
    e = len(str(int(q))) if q >= 1 else -len(str(int(1 / q)))
    scale = mpq(10) ** (digits - e)
    n = -((-q * scale.numerator) // scale.denominator)
    return mpq(int(n)) / scale


def sci(q: Any) -> str:
    """Statement text of a probability bound: 3 significant digits, rounded up."""
    q = to_q(q)
    return "1" if q >= 1 else f"{float(decimal_up(q, 3)):.3g}"


def beta_upper(r: sympy.Rational) -> mpq:
    """A rational >= beta_r = 2^-r ((r-1)/r)^(r-1) (exact for integer r)."""
    if r.is_integer:
        return to_q(Q2 ** (-r) * ((r - 1) / r) ** (r - 1)) if r > 1 else mpq(1, 2)
    with flint.ctx.workprec(128):
        rr = _arb(to_q(r))
        return decimal_up(_up(flint.arb(2) ** (-rr) * ((rr - 1) / rr) ** (rr - 1)), 12)


def H_upper(r: sympy.Rational) -> mpq:
    """A rational >= r 2^(1-r)."""
    if r.is_integer:
        return to_q(r * Q2 ** (1 - r))
    with flint.ctx.workprec(128):
        rr = _arb(to_q(r))
        return decimal_up(_up(rr * flint.arb(2) ** (1 - rr)), 12)


Q2 = sympy.Integer(2)


LEVEL_BOXES = 256


def level_bound(spec: Spec) -> mpq:
    """An upper bound of sup |g| on the domain: interval arithmetic through the network
    (features x and |x|^2, each hidden layer relu(W h + b), the readout) on each box of a
    grid of n^d equal sub-boxes, n = max(2, floor(256^(1/d))); the largest of the bounds."""
    d = spec.dim
    n = 2
    while (n + 1) ** d <= LEVEL_BOXES:
        n += 1
    lo = [to_q(v) for v in spec.domain.lo]
    hi = [to_q(v) for v in spec.domain.hi]
    cells: list[list[tuple[mpq, mpq]]] = [[]]
    for a, b in zip(lo, hi):
        cuts = [a + (b - a) * mpq(k, n) for k in range(n + 1)]
        cells = [c + [(cuts[k], cuts[k + 1])] for c in cells for k in range(n)]
    return max(_box_bound(spec.network, c) for c in cells)


def _box_bound(net: Any, box: list[tuple[mpq, mpq]]) -> mpq:
    """sup |g| over one box, bounded by interval arithmetic."""
    box = list(box)
    if "sqnorm" in net.features:
        sq_lo = sum((mpq(0) if a <= 0 <= b else min(a * a, b * b) for a, b in box), mpq(0))
        sq_hi = sum((max(a * a, b * b) for a, b in box), mpq(0))
        box.append((sq_lo, sq_hi))
    for layer in net.hidden:
        nxt = []
        for row, b in zip(layer.weight, layer.bias):
            s_lo = s_hi = to_q(b)
            for wgt, (a, c) in zip(row, box):
                wq = to_q(wgt)
                s_lo += wq * a if wq >= 0 else wq * c
                s_hi += wq * c if wq >= 0 else wq * a
            nxt.append((max(s_lo, mpq(0)), max(s_hi, mpq(0))))
        box = nxt
    g_lo = g_hi = to_q(net.readout_bias)
    for wgt, (a, c) in zip(net.readout, box):
        wq = to_q(wgt)
        g_lo += wq * a if wq >= 0 else wq * c
        g_hi += wq * c if wq >= 0 else wq * a
    return max(abs(g_lo), abs(g_hi))


@dataclass(frozen=True)
class TailConstants:
    """The exact constants of the tail bounds (module docstring); all rationals (mpq)."""

    eta: mpq
    w0: mpq
    w_star: mpq
    c_mu: mpq          # lower bound of kappa c
    Cbar: mpq          # upper bound of Cbar (the spec's L)
    kappa: mpq
    beta: mpq
    H: mpq
    a_max: mpq
    M: int = 1

    def Psi(self, theta: mpq) -> mpq:
        """int_{w0}^theta max(v, w*)^2 / c_mu dv (0 when theta <= w0)."""
        if theta <= self.w0:
            return mpq(0)
        ws = self.w_star
        low = max(mpq(0), min(theta, ws) - self.w0) * ws * ws
        top = max(mpq(0), theta ** 3 - max(self.w0, ws) ** 3) / 3
        return (low + top) / self.c_mu

    def R(self, theta: mpq) -> mpq:
        """sup over w in [w0, theta) of eta min(beta/w, H a_max) max(w, w*)^2 / c_mu."""
        ws, parts = self.w_star, [self.eta]
        if theta > ws:
            parts.append(self.eta * self.beta * theta / self.c_mu)
        if self.w0 < min(theta, ws):
            h0 = self.H * self.a_max if self.w0 == 0 else min(self.beta / self.w0, self.H * self.a_max)
            parts.append(self.eta * ws * ws * h0 / self.c_mu)
        return max(parts)

    def delta(self, theta: mpq, t: int) -> mpq:
        """A rational >= exp(-(eta t M/R) h(P/(eta t))) (1 when eta t <= P; DELTA_FLOOR below it)."""
        return tail_delta(self.Psi(theta), self.R(theta) / self.M, self.eta, t)


def tail_delta(P: mpq, R: mpq, eta: mpq, t: int) -> mpq:
    """exp(-(eta t / R) (1 - u + u ln u)), u = P / (eta t), rounded up to 6 digits (Arb);
    R is the range per unit of the step's mean (R(theta) / M for M points)."""
    mu = eta * t
    if P >= mu:
        return mpq(1)
    if P == 0:
        return DELTA_FLOOR
    with flint.ctx.workprec(128):
        u = _arb(P / mu)
        b = (-(_arb(mu) / _arb(R)) * (1 - u + u * u.log())).exp()
        up = _up(b)
    if up <= DELTA_FLOOR:
        return DELTA_FLOOR
    return mpq(1) if up >= 1 else decimal_up(up)


def tail_constants(spec: Spec, training: Training, growth: Growth) -> TailConstants:
    kappa = to_q(1 / (spec.domain.volume * spec.density))
    return TailConstants(to_q(training.eta), to_q(training.w0), to_q(growth.w_star),
                         growth.c_lower_q() * kappa, growth.Cbar_upper_q(), kappa,
                         beta_upper(spec.r), H_upper(spec.r), level_bound(spec),
                         training.batch.M if training.batch.kind.stochastic else 1)


def loss_C(k: TailConstants) -> mpq:
    """C = 2 Cbar (3 eta c_mu)^(-1/3), rounded up to 4 digits."""
    with flint.ctx.workprec(128):
        v = 2 * _arb(k.Cbar) / (3 * _arb(k.eta) * _arb(k.c_mu)) ** (flint.arb(1) / 3)
        return decimal_up(_up(v), 4)


def theta_loss(k: TailConstants, C: mpq, t: int) -> mpq:
    """A rational >= max(w*, Cbar t^(1/3) / C) (6 digits)."""
    with flint.ctx.workprec(128):
        v = _arb(k.Cbar) * flint.arb(t) ** (flint.arb(1) / 3) / _arb(C)
        return max(k.w_star, decimal_up(_up(v)))


def _no_bound(why: str, data: dict[str, Any]) -> tuple[Claim, Claim]:
    data = {**data, "reason": why}
    st = f"no tail bound for the random path: {why}"
    return (Claim("sampled_tails", st, FAILED, data),
            Claim("almost_sure", "the almost-sure convergence rests on the tail bounds: " + why, FAILED, dict(data)))


def tails_claims(spec: Spec, training: Training, growth: Growth | None,
                 points: Sequence[Sequence[sympy.Rational]]) -> tuple[Claim, Claim]:
    """The claims ``sampled_tails`` (probability bounds) and ``almost_sure`` (probability one)."""
    M = training.batch.M
    base: dict[str, Any] = {"M": ex(M), "probabilistic": "yes"}
    if growth is None or not growth.ok:
        return _no_bound("the population loss has no proved growth lemma -L'(w) >= c/w^2 (c > 0) for this "
                         "target, so the expected increment of w_t^3 has no positive lower bound", base)
    k = tail_constants(spec, training, growth)
    if not k.c_mu > 0:
        return _no_bound("c = 0: the expected step has no positive lower bound", base)
    data: dict[str, Any] = {**base, "w_star": ex(to_rat(k.w_star)), "c_mu_lower": ex(to_rat(k.c_mu)),
                            "kappa": ex(to_rat(k.kappa)), "Cbar_upper": ex(to_rat(k.Cbar)),
                            "beta_upper": ex(to_rat(k.beta)), "H_upper": ex(to_rat(k.H)),
                            "a_max": ex(to_rat(k.a_max)), "eta": ex(training.eta), "w0": ex(training.w0)}
    rows = []
    net = spec.network
    for x in points:
        g = abs(to_q(net.level(list(x))))
        row: dict[str, Any] = {"x": [ex(v) for v in x], "abs_g": ex(to_rat(g))}
        if g == 0:
            row["note"] = "g = 0: f = f° for every t"
            rows.append(row)
            continue
        theta = 1 / (2 * g)
        P, R = k.Psi(theta), k.R(theta)
        row.update({"theta": ex(to_rat(theta)), "Psi": ex(to_rat(P)), "R": ex(to_rat(R))})
        if P == 0:
            row["note"] = "w0 >= 1/(2|g|): T(x) = 0"
        else:
            ts = sorted({int(-(-(f * P / k.eta) // 1)) + 1 for f in POINT_FACTORS})
            row["bounds"] = [{"t": ex(t), "delta": ex(to_rat(k.delta(theta, t)))} for t in ts]
        rows.append(row)
    C = loss_C(k)
    loss_rows = []
    for t in LOSS_TS:
        th = theta_loss(k, C, t)
        loss_rows.append({"t": ex(t), "theta": ex(to_rat(th)), "delta": ex(to_rat(k.delta(th, t)))})
    data.update({"points": rows, "loss_C": ex(to_rat(C)), "loss": loss_rows})
    ex_row = next((r for r in rows if "bounds" in r), None)
    example = ""
    if ex_row is not None:
        b = ex_row["bounds"][-1]
        example = (f"; e.g. at x = {point_text([sympy.Rational(v) for v in ex_row['x']])}: "
                   f"P(T(x) > {b['t']}) <= {sci(sympy.Rational(b['delta']))}")
    last = loss_rows[-1]
    statement = (f"WITH PROBABILITY (over the batches of sampled:{M}, any seed): for every requested x with g(x) != 0 "
                 f"and the listed t, P(T(x) > t) <= delta_x(t) = exp(-(eta t M/R) h(Psi/(eta t))), "
                 f"h(u) = 1 - u + u ln u, Psi = int_w0^(1/(2|g|)) max(v, w*)^2/c_mu dv, R the largest "
                 f"contribution of one point to a step's increment of Psi "
                 f"(c_mu = {short(to_rat(k.c_mu), 'down')}, w* = {ex(to_rat(k.w_star))}, "
                 f"beta = {ex(to_rat(k.beta))}); and P(L(w_t) > {ex(to_rat(C))} t^(-1/3)) <= delta(t), e.g. "
                 f"<= {sci(sympy.Rational(last['delta']))} at t = {last['t']} (Bennett-Freedman bound for "
                 f"nonnegative increments with conditional mean >= eta){example}")
    tails = Claim("sampled_tails", statement, PROVED, data)
    sure = Claim("almost_sure",
                 f"WITH PROBABILITY ONE (sampled:{M}): w_t is nondecreasing on every realization and w_t -> infinity "
                 f"almost surely (P(w_t < theta) <= delta_theta(t) -> 0 for every theta, and w_t is monotone); hence "
                 f"almost surely f(w_t, x) = f°(x) for all t >= T(x) < infinity, simultaneously at every x with "
                 f"g(x) != 0 (and f = 1/2 = f° on g = 0 for every t), and L(w_t) <= Cbar / w_t -> 0 "
                 f"(Cbar = {short(to_rat(k.Cbar), 'up')})",
                 PROVED, {"probabilistic": "yes", "rests_on": "sampled_tails", "c_mu_lower": data["c_mu_lower"],
                          "w_star": data["w_star"], "Cbar_upper": data["Cbar_upper"]})
    return tails, sure
