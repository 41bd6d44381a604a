"""The path: enclosures of w_t, entry into the asymptotic regime, the t^(-1/3) rate and T(x)
(the mathematics is in :mod:`relu_pointwise.proofs.lemmas`)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sympy
from gmpy2 import mpq

from relu_pointwise.symbolic.loss import Derivation, w
from relu_pointwise.symbolic.spec import Spec, Training

from .fullbatch import Growth, _rational_above, _rational_below
from .text import (
    ENCLOSED,
    FAILED,
    HALF,
    PROVED,
    Claim,
    Q,
    ex,
    point_text,
    short,
    to_q,
    to_rat,
)

# ---------------------------------------------------------------- the path

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

    def tightened(self) -> PathBounds:
        lo = list(self.lo)
        hi = list(self.hi)
        for t in range(1, len(lo)):
            lo[t] = max(lo[t], lo[t - 1])
        for t in range(len(hi) - 2, -1, -1):
            hi[t] = min(hi[t], hi[t + 1])
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
        ex_q = [mpq(v) for v in exact or []]
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


# ---------------------------------------------------------------- entry into the regime

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


def bracket(lo: mpq, hi: mpq, digits: int = 15) -> tuple[mpq, mpq]:
    """[lo, hi] widened outward to ``digits`` significant decimals when a bound has a long
    denominator: a bracket of w_t that an independent enclosure (the checker's, dyadic at 256
    bits, or exact) lies inside, rather than one only this prover's own rounding meets."""
    def out(q: mpq, up: bool) -> mpq:
        q = mpq(q)
        if q.denominator < 10 ** 6 or q <= 0:
            return q
        k = digits - len(str(int(q)))
        scale = mpq(10) ** k if k >= 0 else mpq(1, 10 ** (-k))
        n = q * scale
        r = (n.numerator + n.denominator - 1) // n.denominator if up else n.numerator // n.denominator
        return mpq(r) / scale
    return out(lo, False), out(hi, True)


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
    if t_enc is None:
        statement = (f"the path from w0 = {ex(w0)} enters w >= w* = {ex(w_star)} by step {bound} "
                     f"(not within the {path.horizon} enclosed steps); {bound_text}")
        return Claim("entry", statement, PROVED, data), Entry(bound, to_q(w_star), bound, False, True, eta * gstar)
    exact = t_enc == 0 or path.hi[t_enc - 1] < to_q(w_star)
    data.update({"t_star": ex(t_enc), "t_star_exact": "yes" if exact else "no",
                 **dict(zip(("w_t_star_lo", "w_t_star_hi"), map(ex, bracket(path.lo[t_enc], path.hi[t_enc]))))})
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


# ---------------------------------------------------------------- rate

def rate_claim(derivation: Derivation, training: Training, growth: Growth, entry: Entry,
               losses: Sequence[tuple] | None, checks: int = 24) -> Claim:
    """L(w_t) <= Cbar (w_{t0}^3 + 3 eta c (t - t0))^(-1/3) for all t >= t0 (module docstring).

    Also compared, as a consistency check, with the enclosed losses L(w_t) in [lo_t, hi_t] at
    up to ``checks`` log-spaced steps.  The comparison is consistent at t when
    hi_t^3 (W^3 + 3 eta c_lo (t - t0)) <= Cbar_hi^3 (c_lo <= c, Cbar_hi >= Cbar rationals).
    A violation is claimed only when it is proved: lo_t^3 (W^3 + 3 eta c_hi (t - t0)) > Cbar_lo^3
    (lower ends, c_hi >= c, Cbar_lo <= Cbar).  A step that is neither is *undecided* at the
    enclosure's precision and says so; the rate itself rests on the growth and entry claims.
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
        ts = sorted({t0 + round((n - t0) ** (k / max(1, checks - 1))) for k in range(checks)} | {n})
        ts = [t for t in ts if t0 <= t <= n]
        c_lo, C_hi, Wq = growth.c_lower_q(), growth.Cbar_upper_q(), to_q(W0)
        e = to_q(eta)
        unsure = [t for t in ts if not losses[t][1] ** 3 * (Wq ** 3 + 3 * e * c_lo * ((t - t0) // K)) <= C_hi ** 3]
        if unsure:
            c_hi, C_lo = _rational_above(c), _rational_below(Cbar)
            bad = [t for t in unsure
                   if losses[t][0] > 0 and losses[t][0] ** 3 * (Wq ** 3 + 3 * e * c_hi * ((t - t0) // K)) > C_lo ** 3]
            if bad:
                data["violated_at"] = [ex(t) for t in bad]
                return Claim("rate", statement + " -- VIOLATED by the enclosed losses (proved: the lower end of "
                             f"the enclosure of L(w_t) exceeds the bound at t = {bad[0]})", FAILED, data)
            statement += (f"; compared with the enclosed losses L(w_t) at {len(ts)} steps up to t = {n}: "
                          f"consistent at {len(ts) - len(unsure)}, undecided at {len(unsure)} (t = "
                          f"{', '.join(map(str, unsure[:5]))}{', ...' if len(unsure) > 5 else ''}: the enclosures "
                          f"are wider than the margin there; no violation is proved)")
        else:
            statement += f"; consistent with the enclosed losses L(w_t) at {len(ts)} steps up to t = {n}"
    return Claim("rate", statement, PROVED, data)


# ---------------------------------------------------------------- pointwise

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
