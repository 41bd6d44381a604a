"""The per-point claims: T(x) bounds (``pointwise:x=...``) and the deep ball's depth table.

T(x) = min{t : w_t >= 1/(2|g(x)|)} for g(x) != 0 (w_t nondecreasing, by monotonicity); so

* ``T_lo`` claims w_{T_lo - 1} < 1/(2|g|) (nothing when T_lo = 0): f(w_t, x) != f°(x) before;
* ``T_hi`` and ``T_bound_proved`` claim w_T >= 1/(2|g|): f(w_t, x) = f°(x) from T on.

Each "w_T >= theta" is established by :func:`reached`: the growth-lemma bound of the checked
rate claim, the entry argument of the checked entry claim (below w* every step adds at least
eta (-L'(w*))), or the checker's own enclosure of w_T; it fails only when the enclosure shows
w_T < theta (proved false), and is undecided otherwise.
"""
from __future__ import annotations

from math import ceil
from typing import Any

from gmpy2 import mpq

from relu_pointwise.symbolic.targets import DeepBall

from . import sampled
from .base import CHECKED, Fail, Undecided, fields, lower, point_text, show, step, upper, value
from .cells import geometric_level, interp_square, target_value
from .plan import point_id
from .read import expr, q_of, rational


def _proved_reached(ck: Any, T: int, theta: Any, use_rate: bool) -> bool:
    """w_T >= theta by the argument of a checked rate claim or a checked entry claim."""
    cyclic = ck.cert.training.batch.kind.slabs
    K = ck.cert.training.batch.K if cyclic else 1
    done = ck.done
    if use_rate and "rate" in done and done["rate"].status == CHECKED:
        rd = ck.data["rate"]
        t0, W0 = step(rd["t0"], "rate t0"), q_of(rational(rd["w_t0_lower"], "rate w_t0_lower"))
        G = value(expr(rd["3_eta_c"], "rate 3_eta_c"))
        if T >= t0 and (theta <= W0 or (
                lower(G) > 0 and T >= t0 + K * ceil(upper((theta ** 3 - W0 ** 3) / lower(G))))):
            return True
    if "entry" in done and done["entry"].status == CHECKED:
        ed = ck.data["entry"]
        if cyclic:     # below W* every cycle of K steps adds >= the increment
            w_star = q_of(rational(ed["W_star"], "W_star"))
            gain = lower(value(expr(ed["cycle_increment_lower"], "cycle_increment_lower")))
        else:          # below w* every step adds >= eta (-L'(w*)) (-L' nonincreasing)
            w_star = q_of(rational(ed["w_star"], "entry w_star"))
            gain = ck.eta * lower(value(expr(ed["minus_dL_at_w_star"], "entry minus_dL_at_w_star")))
        if theta <= w_star and gain > 0 and T >= K * ceil(max(mpq(0), theta - ck.w0) / gain):
            return True
    return False


def reached(ck: Any, T: int, theta: Any, what: str, use_rate: bool = True, x: Any = None) -> None:
    """w_T >= theta established (returns), refuted by the enclosure (Fail), or undecided."""
    if _proved_reached(ck, T, theta, use_rate):
        return
    lo, hi = ck.enclosure(T)
    if lo >= theta:
        return
    if hi < theta:
        why = f"{what} is false: w_{T} < {show(theta)} on the checker's enclosure [{show(lo)}, {show(hi)}]"
        if x is not None:
            why += f", so f(w_{T}, x) = {_f(ck, x, lo, hi)} != f°(x) = {show(target_value(ck.level, x))}"
        raise Fail(why)
    raise Undecided(f"{what}: w_{T} >= {show(theta)} is not decided (w_{T} in [{show(lo)}, {show(hi)}]). "
                    f"{ck.path_note}")


def not_reached(ck: Any, T: int, theta: Any, what: str) -> None:
    """w_T < theta established on the enclosure (returns); Fail when w_T >= theta is shown."""
    if _proved_reached(ck, T, theta, True):
        raise Fail(f"{what} is false: w_{T} >= {show(theta)} (growth or entry bound)")
    lo, hi = ck.enclosure(T)
    if hi < theta:
        return
    if lo >= theta:
        raise Fail(f"{what} is false: w_{T} >= {show(theta)} on the checker's enclosure [{show(lo)}, {show(hi)}]")
    raise Undecided(f"{what}: w_{T} < {show(theta)} is not decided (w_{T} in [{show(lo)}, {show(hi)}])")


def _f(ck: Any, x: Any, lo: Any, hi: Any) -> str:
    """f(w, x) = clamp(w g(x) + 1/2, 0, 1) for w in [lo, hi] (exact when lo = hi)."""
    g = geometric_level(ck.level, x)

    def f(w: Any) -> Any:
        return min(mpq(1), max(mpq(0), w * g + mpq(1, 2)))
    a, b = sorted((f(lo), f(hi)))
    return show(a) if a == b else f"[{show(a)}, {show(b)}]"


def pointwise(ck: Any, x: tuple[Any, ...], d: dict[str, Any]) -> str:
    """T_lo <= T(x) <= T_hi at the requested point x (the claim's id names x: plan.point_id)."""
    g = geometric_level(ck.level, x)
    optional = ("threshold", "T_bound_proved") if g != 0 else ()
    fields(d, ("x", "g", "target", "T_lo", "T_hi") + (("threshold",) if g != 0 else ()), optional)
    if not isinstance(d["x"], list) or len(d["x"]) != len(x) or \
            tuple(q_of(rational(v, "x")) for v in d["x"]) != x:
        raise Fail(f"x: the data's point is not {point_text(x)}, the point this claim's id names")
    ck.needs("construction")      # the network's g equals the level function (checked there)
    if q_of(rational(d["g"], "g")) != g:
        raise Fail(f"g = {str(d['g'])[:40]}, the level function gives {show(g)}")
    fo = target_value(ck.level, x)
    if q_of(rational(d["target"], "target")) != fo:
        raise Fail(f"target = {str(d['target'])[:40]}, the geometric definition gives {show(fo)}")
    T_lo = step(d["T_lo"], "T_lo")
    full_or_cyclic = not ck.cert.training.batch.kind.uses_points
    if d["T_hi"] == "unknown" and full_or_cyclic:
        raise Undecided(f"T(x) <= T_hi is not claimed (T_hi unknown): T(x) >= {T_lo} alone does not establish "
                        "convergence at x")
    T_hi = None if d["T_hi"] == "unknown" else step(d["T_hi"], "T_hi")
    if T_hi is not None and T_lo > T_hi:
        raise Fail(f"T_lo = {T_lo} > T_hi = {T_hi}")
    if g == 0:
        if T_lo != 0:
            raise Fail(f"T(x) >= {T_lo} is false: g(x) = 0, so f(w, x) = 1/2 = f°(x) for every w and T(x) = 0")
        return "g(x) = 0 on the target's boundary: f = 1/2 = f° for every w, T(x) = 0"
    theta = 1 / (2 * abs(g))
    if q_of(rational(d["threshold"], "threshold")) != theta:
        raise Fail(f"threshold = {str(d['threshold'])[:40]}, 1/(2|g|) = {show(theta)}")
    if not full_or_cyclic:       # the realized path of a mini-batch run (T_hi None: not reached)
        return sampled.pointwise(ck, point_id(x), theta, T_lo, T_hi)
    ck.needs("monotonicity")
    if T_lo >= 1:
        not_reached(ck, T_lo - 1, theta, f"T(x) >= {T_lo}")
    if T_hi is None:            # unreachable: refused above for full and cyclic
        raise Undecided("T_hi unknown")
    uppers = [("T_hi", T_hi)] + ([("T_bound_proved", step(d["T_bound_proved"], "T_bound_proved"))]
                                 if "T_bound_proved" in d else [])
    for name, T in uppers:
        reached(ck, T, theta, f"T(x) <= {name} = {T}", x=x)
    return (f"{T_lo} <= T(x) <= {T_hi}: w_t enclosed by the checker (and its growth bound), "
            f"1/(2|g|) = {show(theta)}")


DEPTH_ROW = ("x", "norm2", "side", "ball_target", "deep_target_at_spec_N", "N", "N_exact")


def _deep_target(R2: Any, x: tuple[Any, ...], N: int) -> Any:
    s = R2 - sum((interp_square(abs(v), N) for v in x), mpq(0))
    return mpq(1) if s > 0 else mpq(0) if s < 0 else mpq(1, 2)


MAX_DEPTH = 256


def _depth(norm2: Any, R2: Any, dim: int) -> int:
    """N(x) off the sphere (module docstring of proofs.deep, fact 5); bounded by MAX_DEPTH + 1."""
    if norm2 > R2:
        return 1
    N = 1
    while N <= MAX_DEPTH and not mpq(dim, 4 ** (N + 1)) < R2 - norm2:
        N += 1
    return N


def deep_ball_depth(ck: Any, d: dict[str, Any]) -> str:
    """f°_N(x) = f°(x) for all N >= N(x), at each requested point; the inner radius at the spec's N."""
    from . import algebra

    fields(d, ("R2", "d", "N", "inner_radius2_at_N", "table"))
    lv = ck.level
    if not isinstance(lv, DeepBall):
        raise Fail("not a deep-ball target")
    R2, dim, N0 = q_of(lv.R2), lv.dim, lv.N
    if (q_of(rational(d["R2"], "R2")), d["d"], d["N"]) != (R2, str(dim), str(N0)):
        raise Fail("R2, d or N is not the target's")
    if not algebra.chord_bound_identity():
        raise Fail("the chord bound identity does not expand")
    if q_of(rational(d["inner_radius2_at_N"], "inner_radius2_at_N")) != R2 - mpq(dim, 4 ** (N0 + 1)):
        raise Fail("inner_radius2_at_N != R^2 - d 4^(-N-1)")
    rows = d["table"]
    if not isinstance(rows, list) or len(rows) != len(ck.cert.points):
        raise Fail(f"the table must have one row per requested point ({len(ck.cert.points)})")
    for x, row in zip(ck.cert.points, rows):
        fields(row, DEPTH_ROW)
        if not isinstance(row["x"], list) or tuple(q_of(rational(v, "table x")) for v in row["x"]) != x:
            raise Fail(f"the table's rows are not the requested points in order (expected {point_text(x)})")
        norm2 = sum((v * v for v in x), mpq(0))
        where = f"x = {point_text(x)}"
        if q_of(rational(row["norm2"], "table norm2")) != norm2:
            raise Fail(f"{where}: norm2 wrong")
        side = "inside" if norm2 < R2 else "outside" if norm2 > R2 else "sphere"
        ball = mpq(1) if norm2 < R2 else mpq(0) if norm2 > R2 else mpq(1, 2)
        if row["side"] != side or q_of(rational(row["ball_target"], "table ball_target")) != ball:
            raise Fail(f"{where}: it is {side} the sphere (ball target {ball})")
        if q_of(rational(row["deep_target_at_spec_N"], "table")) != _deep_target(R2, x, N0):
            raise Fail(f"{where}: the deep target at N = {N0} is {_deep_target(R2, x, N0)}")
        if side == "sphere":
            if (row["N"], row["N_exact"]) != ("none", "none"):
                raise Fail(f"{where}: on the sphere no depth is claimed (N = none)")
            continue
        N, n_exact = step(row["N"], "table N"), step(row["N_exact"], "table N_exact")
        # N(x): 1 outside (A_N lies inside the ball for every N), else the least N >= 1 with
        # d 4^(-N-1) < R^2 - |x|^2 (then {|x|^2 < R^2 - d 4^(-N-1)} lies inside A_N)
        if N != _depth(norm2, R2, dim):
            raise Fail(f"{where}: N(x) = {N}, the least N with d 4^(-N-1) < R^2 - |x|^2 is {_depth(norm2, R2, dim)}")
        # N_exact: the least depth from which the deep target equals the ball's (monotone in N)
        if not 1 <= n_exact <= min(N, MAX_DEPTH) or _deep_target(R2, x, n_exact) != ball or \
                (n_exact > 1 and _deep_target(R2, x, n_exact - 1) == ball):
            raise Fail(f"{where}: N_exact = {n_exact} is not the least depth at which f°_N(x) = f°(x)")
    return (f"0 <= q_N(u) - u^2 <= 4^(-N-1) by expansion; N(x) and N_exact(x) checked exactly at {len(rows)} "
            "points; the deep targets by the checker's own interpolation of u^2")
