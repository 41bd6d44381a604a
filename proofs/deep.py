"""The N -> infinity claim for the deep ball (docs/mathematics.md, section 2, issue 5).

The deep-ball level function is g_N(x) = R^2 - sum_i q_N(|x_i|), with Yarotsky's
q_N(u) = u - sum_{s=1..N} t_s(u) / 4^s.  The facts, and how each is established:

1. Chord form.  On every grid interval [a, b] = [k/2^N, (k+1)/2^N] of [0, 1],
   q_N(u) = (a + b) u - a b, the chord of u^2.  Established on the network itself
   for the spec's N: on every linear region (refined by the grid hyperplanes
   x_i = +-k/2^N, so that the chord form is affine on each piece) the network's
   affine g equals R^2 - sum_i chord_N(|x_i|) at every vertex, hence everywhere.
2. Bound.  With delta = b - a = 2^-N (SymPy identities in the symbols u, a, delta):
       chord - u^2 = (u - a)(b - u)                         (>= 0 on [a, b]),
       (delta/2)^2 - (u - a)(b - u) = (u - (a + b)/2)^2    (>= 0),
   so u^2 <= q_N(u) <= u^2 + 4^(-N-1) on [0, 1].
3. Inclusions.  Summing over the d coordinates:
       R^2 - |x|^2 - d 4^(-N-1) <= g_N(x) <= R^2 - |x|^2,
   so A_N = {g_N > 0} lies inside the open ball {|x| < R} and contains
   {|x|^2 < R^2 - d 4^(-N-1)}.
4. Monotonicity in N.  On [a, m] and [m, b], m = (a + b)/2, the coarse chord minus
   the fine chord is (b - m)(u - a) >= 0 and (m - a)(b - u) >= 0 (identities), so
   q_{N+1} <= q_N, g_{N+1} >= g_N and A_N increases with N.
5. Depth N(x).  For x off the sphere: if |x| > R, g_N(x) <= R^2 - |x|^2 < 0 for
   every N, so f°_N(x) = 0 = f°(x) for all N >= N(x) = 1.  If |x| < R, g_N(x) > 0
   as soon as d 4^(-N-1) < R^2 - |x|^2, so N(x) = the least such N (exact
   rational comparison) and f°_N(x) = 1 = f°(x) for all N >= N(x).  The least depth
   at which the network already agrees, N_exact(x) <= N(x), is found by exact
   evaluation and is the threshold from which it agrees, by (4).
   On the sphere |x| = R, f°(x) = 1/2 while g_N(x) <= 0: such points are excluded.

Every table row is checked against the exact network (symbolic.network) built at
depth N(x), at N_exact(x) and at N_exact(x) - 1 (where that is >= 1).
"""
from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import sympy
from gmpy2 import mpq

from relu_pointwise.symbolic.errors import InputError
from relu_pointwise.symbolic.network import build_network
from relu_pointwise.symbolic.numbers import (
    number_from_value,
    parse_number,
    rational_text,
)
from relu_pointwise.symbolic.targets import DeepBall, q_deep

Q = sympy.Rational
MAX_TABLE_DEPTH = 256


def _rational(v: object, what: str) -> sympy.Rational:
    if isinstance(v, sympy.Rational):
        return v
    if isinstance(v, Fraction):
        return Q(v.numerator, v.denominator)
    if isinstance(v, sympy.Basic):
        raise InputError(f"{what}: expected an exact rational, got {v}")
    if isinstance(v, str):
        return parse_number(v, what)
    return number_from_value(v, what)


def chord(u: sympy.Rational, N: int) -> sympy.Rational:
    """The piecewise-linear interpolant of u^2 at the grid k/2^N, u in [0, 1]."""
    u = Q(u)
    n = 2 ** N
    k = min(int(sympy.floor(u * n)), n - 1)
    a, b = Q(k, n), Q(k + 1, n)
    return (a + b) * u - a * b


def chord_identities() -> dict[str, bool]:
    """The symbolic identities of facts 2 and 4 (module docstring), checked by SymPy."""
    u, a, delta = sympy.symbols("u a delta", real=True)
    b = a + delta
    m = a + delta / 2
    q = (a + b) * u - a * b
    fine_left = (a + m) * u - a * m
    fine_right = (m + b) * u - m * b
    return {
        "chord - u^2 == (u - a)(b - u)": sympy.expand(q - u ** 2 - (u - a) * (b - u)) == 0,
        "(delta/2)^2 - (u - a)(b - u) == (u - (a+b)/2)^2":
            sympy.expand((delta / 2) ** 2 - (u - a) * (b - u) - (u - (a + b) / 2) ** 2) == 0,
        "coarse - fine == (b - m)(u - a) on [a, m]": sympy.expand(q - fine_left - (b - m) * (u - a)) == 0,
        "coarse - fine == (m - a)(b - u) on [m, b]": sympy.expand(q - fine_right - (m - a) * (b - u)) == 0,
        "chord interpolates u^2 at a and b": (sympy.expand(q.subs(u, a) - a ** 2) == 0
                                               and sympy.expand(q.subs(u, b) - b ** 2) == 0),
    }


def verify_chord_form(spec) -> dict[str, Any]:
    """Fact 1 on the spec's network: g = R^2 - sum_i chord_N(|x_i|) on every linear region.

    Each region is split by the grid hyperplanes x_i = +-k/2^N crossing it; on each
    piece both sides are affine, so equality at the piece's vertices is equality on it.
    """
    from relu_pointwise.symbolic.regions import linear_regions

    level = spec.target.level
    R2, d, N = level.R2, level.dim, level.N
    cells = linear_regions(spec.network, spec.domain)
    n = 2 ** N
    grid = sorted({mpq(s * k, n) for k in range(n + 1) for s in (1, -1)})   # mpq: compared with vertices
    pieces = 0
    r2 = mpq(int(R2.p), int(R2.q))
    chords: dict = {}
    for cell in cells:
        work = [cell.poly]
        for i in range(d):
            e = [0] * d
            e[i] = 1
            lo = min(v[i] for v in cell.poly.vertices)
            hi = max(v[i] for v in cell.poly.vertices)
            for gval in (gv for gv in grid if lo < gv < hi):   # only grid planes through the cell
                nxt = []
                for P in work:
                    left, right = P.split(e, gval)
                    nxt += [p for p in (left, right) if p is not None]
                work = nxt
        coeffs = [mpq(int(a.p), int(a.q)) for a in cell.g_coeffs]
        const = mpq(int(cell.g_const.p), int(cell.g_const.q))
        for P in work:
            pieces += 1
            for v in P.vertices:
                # both sides in mpq; chord(|x_i|) once per distinct coordinate value
                rhs = r2
                for c in v:
                    ch = chords.get(c)
                    if ch is None:
                        q = chord(abs(Q(int(c.numerator), int(c.denominator))), N)
                        ch = chords[c] = mpq(int(q.p), int(q.q))
                    rhs -= ch
                if sum((a * c for a, c in zip(coeffs, v)), const) != rhs:
                    x = [Q(int(c.numerator), int(c.denominator)) for c in v]
                    return {"ok": False, "regions": len(cells), "pieces": pieces,
                            "counterexample": [rational_text(xi) for xi in x]}
    return {"ok": True, "regions": len(cells), "pieces": pieces}


class _Nets:
    """Exact deep-ball networks by depth (built from the same construction)."""

    def __init__(self, R2: sympy.Rational, d: int):
        self.R2, self.d = R2, d
        self.cache: dict[int, Any] = {}

    def target_at(self, N: int, x: Sequence[sympy.Rational]) -> sympy.Rational:
        if N not in self.cache:
            self.cache[N] = build_network(DeepBall(self.R2, self.d, N), self.d)
        g = self.cache[N].level(x)
        return Q(1) if g > 0 else Q(0) if g < 0 else Q(1, 2)


def depth_of(x: Sequence[sympy.Rational], R2: sympy.Rational, d: int) -> int | None:
    """N(x) of fact 5: 1 outside the ball, the least N >= 1 with d 4^(-N-1) < R^2 - |x|^2
    inside, None on the sphere."""
    gap = R2 - sum((xi * xi for xi in x), Q(0))
    if gap < 0:
        return 1
    if gap == 0:
        return None
    N = 1
    while not d * Q(1, 4 ** (N + 1)) < gap:
        N += 1
    return N


def depth_claim(spec, points: Sequence[Sequence[object]]) -> dict[str, Any]:
    """The N -> infinity claim for a deep-ball spec, with the N(x) table (module docstring).

    ``points``: each a sequence of d exact numbers (sympy Rationals, Fractions, ints,
    or text such as "1/3"; floats are read by their shortest decimal repr).  Returns
    a JSON-ready dict: claim, statement, status ("proved" when every check passes,
    else "failed"), the checks, and the table rows
    {x, norm2, side, N, N_exact, deep_target_at_spec_N, ball_target, network_checks}.
    """
    level = spec.target.level
    if not isinstance(level, DeepBall):
        raise InputError("the N -> infinity claim needs a deep-ball target ball:d=D,R=R,N=N alone")
    R2, d, N0 = level.R2, level.dim, level.N
    xs = []
    for j, p in enumerate(points, start=1):
        if isinstance(p, (str, bytes)) or len(p) != d:
            raise InputError(f"point {j}: expected {d} coordinates")
        x = [_rational(v, f"point {j} coordinate {i + 1}") for i, v in enumerate(p)]
        for i, xi in enumerate(x):
            if not spec.domain.lo[i] <= xi <= spec.domain.hi[i]:
                raise InputError(f"point {j}: coordinate {i + 1} = {rational_text(xi)} is outside the domain")
        xs.append(x)

    identities = chord_identities()
    form = verify_chord_form(spec)
    eps = d * Q(1, 4 ** (N0 + 1))
    nets = _Nets(R2, d)
    rows = []
    all_ok = all(identities.values()) and form["ok"]
    for j, x in enumerate(xs, start=1):
        norm2 = sum((xi * xi for xi in x), Q(0))
        ball = Q(1) if norm2 < R2 else Q(0) if norm2 > R2 else Q(1, 2)
        N = depth_of(x, R2, d)
        row: dict[str, Any] = {"x": [rational_text(v) for v in x], "norm2": rational_text(norm2),
                               "side": "inside" if norm2 < R2 else "outside" if norm2 > R2 else "sphere",
                               "ball_target": rational_text(ball),
                               "deep_target_at_spec_N": rational_text(nets.target_at(N0, x))}
        if N is None:
            row.update(N=None, N_exact=None, network_checks=[],
                       note="on the sphere: excluded (f°(x) = 1/2, g_N(x) <= 0 for every N)")
            rows.append(row)
            continue
        if N > MAX_TABLE_DEPTH:
            raise InputError(f"point {j}: N(x) = {N} exceeds {MAX_TABLE_DEPTH} (too close to the sphere)")
        # least depth at which the formula's g_N(x) is on the right side (<= N by fact 5)
        n_exact = 1
        while (R2 - sum((q_deep(abs(xi), n_exact) for xi in x), Q(0)) > 0) != (norm2 < R2):
            n_exact += 1
        checks: list[dict[str, Any]] = []
        for depth, expect in ((N, True), (n_exact, True), (n_exact - 1, False)):
            if depth < 1 or any(c["depth"] == depth for c in checks):
                continue
            got = nets.target_at(depth, x)
            ok = (got == ball) == expect
            checks.append({"depth": depth, "deep_target": rational_text(got),
                           "equals_ball_target": got == ball, "ok": ok})
            all_ok = all_ok and ok
        all_ok = all_ok and n_exact <= N
        row.update(N=N, N_exact=n_exact, network_checks=checks)
        rows.append(row)

    statement = (
        f"Deep ball d = {d}, R^2 = {rational_text(R2)}: for every N >= 1, u^2 <= q_N(u) <= u^2 + 4^(-N-1) "
        "on [0, 1] (q_N is the chord of u^2 on each [k/2^N, (k+1)/2^N]; q_N - u^2 = (u - a)(b - u)); hence "
        "{|x|^2 < R^2 - d 4^(-N-1)} is inside A_N = {g_N > 0}, A_N is inside {|x| < R}, and A_N increases "
        "with N.  For x off the sphere the deep target f°_N(x) equals the ball's indicator f°(x) for every "
        "N >= N(x), N(x) = 1 if |x| > R and the least N with d 4^(-N-1) < R^2 - |x|^2 if |x| < R; so "
        f"f°_N -> f° pointwise off the sphere.  At the spec's N = {N0}: "
        f"{{|x|^2 < {rational_text(R2 - eps)}}} is inside A_{N0}, which is inside {{|x|^2 < {rational_text(R2)}}}.")
    return {
        "claim": "deep_ball_depth",
        "statement": statement,
        "status": "proved" if all_ok else "failed",
        "how": ("SymPy identities for the chord bound and monotonicity; the chord form of the spec's "
                "network verified exactly on every linear region; table rows checked on exact networks"),
        "R2": rational_text(R2), "d": d, "N": N0,
        "inner_radius2_at_N": rational_text(R2 - eps),
        "identities": identities,
        "chord_form": form,
        "table": rows,
    }
