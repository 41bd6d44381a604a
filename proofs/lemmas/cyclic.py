"""``cyclic:K`` lemmas: growth over a cycle of K slab steps, and entry into w >= W*."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sympy

from relu_pointwise.symbolic.loss import Derivation
from relu_pointwise.symbolic.spec import Training

from .fullbatch import Growth, growth_claim
from .path import Entry, PathBounds, _ceil_pos, bracket, nice_below
from .text import ENCLOSED, FAILED, PROVED, Claim, Q, ex, short, to_q

# ---------------------------------------------------------------- cyclic:K

def cyclic_growth_claim(slabs: Sequence[Derivation], scales: Sequence[sympy.Rational], eta: sympy.Rational,
                        full: Derivation) -> tuple[Claim, Growth]:
    """Growth over a cycle of ``cyclic:K`` (docs/mathematics.md, section 4).

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
            per.append({"slab": ex(k), "w_star": ex(d.w_star), "c": "0"})       # no boundary: L_k = 0 there
            continue
        cl, gr = growth_claim(d, eta * sc)
        ok &= cl.holds
        total += sc * gr.c
        per.append({"slab": ex(k), "w_star": ex(d.w_star), "c": ex(gr.c)})
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
        if t_enc is not None and t_enc <= bound:
            lo, hi = bracket(path.lo[t_enc], path.hi[t_enc])
            data.update({"t_star": ex(t_enc), "w_t_star_lo": ex(lo), "w_t_star_hi": ex(hi)})
            st = (f"the cyclic path from w0 = {ex(w0)} is in w >= W* = {ex(W)} from step {t_enc} on "
                  f"(w_{t_enc} >= {short(path.lo[t_enc], 'down')}, {path.source}); {btxt}")
            return (Claim("entry", st, ENCLOSED, data),
                    Entry(t_enc, nice_below(path.lo[t_enc], to_q(W)), bound, False, True, eta * delta))
    st = f"the cyclic path from w0 = {ex(w0)} is in w >= W* = {ex(W)} from step {bound} on; {btxt}"
    return Claim("entry", st, PROVED, data), Entry(bound, to_q(W), bound, False, True, eta * delta)
