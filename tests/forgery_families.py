"""Consistent forgeries by target family and batch kind (cyclic:K, sampled:M, dataset:N,M), of
the verdict, and of exact values only an Arb enclosure sees (registered into
forgery_catalog.FORGERIES; import this module to add them). Each forgery's reason says, in
one line, why the forged certificate is mathematically false.
"""
from __future__ import annotations

import math
from typing import Any

import sympy
from forgery_catalog import forgery
from forgery_lib import (
    TINY,
    Doc,
    claim,
    data,
    ex,
    finish,
    negative_t0,
    point_ids,
    q,
    replace_text,
    scaled_build,
    set_data,
    set_growth_constant,
    set_power_law,
    set_slab_c,
    set_T,
    t_early,
    update_present,
)
from gmpy2 import mpq

Q = sympy.Rational


# ====================================================================== target families: T(x)

@forgery("box corner T one step early", "box", "T(1, 1) = 7 (w_6 < 1); 6 is false")
def _(doc: Doc) -> Doc:
    return t_early(doc, "pointwise:x=(1,1)", "box")


@forgery("halfspace T lowered to 0", "halfspace", "w_0 = 0 < 1/5 = 1/(2|g(-1,-1)|): T = 0 is false")
def _(doc: Doc) -> Doc:
    set_T(doc, "pointwise:x=(-1,-1)", 0)
    return finish(doc)


@forgery("polytope T one step early", "polytope", "T(0, 0) = 7 (w_6 < 1); 6 is false")
def _(doc: Doc) -> Doc:
    return t_early(doc, "pointwise:x=(0,0)", "polytope")


@forgery("exact ball T_hi too small", "ball", "1/(2|g(0, 0)|) = 2 and w_1 = eta (-L'(0)) < 2: T(0, 0) <= 1 is false")
def _(doc: Doc) -> Doc:
    set_T(doc, "pointwise:x=(0,0)", 1, 1)
    return finish(doc)


@forgery("deep ball T one step early", "deep", "T(0, 0) = the first t with w_t >= 1/(2|g|); one less is false")
def _(doc: Doc) -> Doc:
    return t_early(doc, "pointwise:x=(0,0)", "deep")


@forgery("union T one step early", "union", "T(-1) = 28 (w_27 < 2); 27 is false")
def _(doc: Doc) -> Doc:
    return t_early(doc, "pointwise:x=-1", "union")


# ====================================================================== cyclic:K

@forgery("cyclic slab c slightly too large", "cyclic", "each slab's -w^2 L_k'(w) = 1/12: c_k = 1/12 + 10^-30 is false")
def _(doc: Doc) -> Doc:
    set_slab_c(doc, mpq(1, 12) + TINY)
    return finish(doc)


@forgery("cyclic W* too small", "cyclic", "slab L_k = C/w only from w = 1; W* = 1/2 claims it on [1/2, 1)")
def _(doc: Doc) -> Doc:
    g = data(doc, "cyclic_growth")
    for s in g["slabs"]:
        s["w_star"] = "1/2"
    g["W_star"] = data(doc, "entry")["W_star"] = "1/2"
    return finish(doc)


@forgery("cyclic increment too large", "cyclic", "a cycle below W* = 1 adds eta sum -L_k'(1) = 1/3, not 1/2")
def _(doc: Doc) -> Doc:
    e = data(doc, "entry")
    e["cycle_increment_lower"], e["t_star_bound"] = "1/2", "8"
    return finish(doc)


@forgery("cyclic t* bound too small", "cyclic", "t* = 7 on the cyclic path; t* <= 6 is false")
def _(doc: Doc) -> Doc:
    return set_data(doc, "entry", t_star_bound="6")


@forgery("cyclic T one step early", "cyclic", "T(0) = 7 on the cyclic path (w_6 < 1); 6 is false")
def _(doc: Doc) -> Doc:
    return t_early(doc, "pointwise:x=0", "cyclic")


@forgery("cyclic period 1", "cyclic", "the gain 3 eta sum c = 1 is per cycle of 4 steps, not per step")
def _(doc: Doc) -> Doc:
    return set_data(doc, "rate", period="1")


@forgery("cyclic Cbar too small", "cyclic", "L(w) = 1/(12 w) for w >= 1: Cbar = 1/13 is false")
def _(doc: Doc) -> Doc:
    data(doc, "cyclic_growth")["Cbar_full"] = data(doc, "rate")["Cbar"] = "1/13"
    return finish(doc)


@forgery("cyclic:3 every T one step early", "cyclic3", "T(x) - 1 at every moving point: w_{T-1} < 1/(2|g|)")
def _(doc: Doc) -> Doc:
    for cid in point_ids(doc, moving=True):
        t_early(doc, cid, "cyclic3")
    return finish(doc)


# ====================================================================== sampled:M, dataset:N,M

@forgery("sampled T one step early", "sampled", "on the realized path T(0) = 6 (w_5 < 1); 5 is false")
def _(doc: Doc) -> Doc:
    return t_early(doc, "pointwise:x=0", "sampled")


@forgery("sampled T lowered to 0 everywhere", "sampled", "w_0 = 0 < 1: T(x) = 0 is false at every x with g != 0")
def _(doc: Doc) -> Doc:
    for cid in point_ids(doc, moving=True):
        set_T(doc, cid, 0)
    return finish(doc)


@forgery("sampled loss at w0", "sampled", "L(w0 = 0) = 1/4 exactly (error 1/2 everywhere, r = 2), not 1/5")
def _(doc: Doc) -> Doc:
    b = data(doc, "batch_losses")
    b["loss_0_lo"] = b["loss_0_hi"] = "1/5"
    return finish(doc)


@forgery("sampled path end too high", "sampled",
         "w_30 on the realized path is ~1.88; the enclosure [w_30 + 1, w_30 + 2] misses it")
def _(doc: Doc) -> Doc:
    p = data(doc, "path")
    p["w_n_lo"], p["w_n_hi"] = ex(q(p["w_n_lo"]) + 1), ex(q(p["w_n_hi"]) + 2)
    return finish(doc)


@forgery("sampled seed changed", "sampled", "the claims are for seed 0's batches; seed 1 realizes another path")
def _(doc: Doc) -> Doc:
    doc["inputs"]["seed"] = "1"
    return finish(doc)


@forgery("sampled scope beyond the horizon", "sampled",
         "the sampled certificate proves nothing beyond step 30, the scope says every t >= 0 with T(x) <= 6")
def _(doc: Doc) -> Doc:
    finish(doc)
    doc["scope"] = "every t >= 0 of sampled:8 gradient descent: f(w_t, x) = f°(x) for all t >= 6"
    return doc


@forgery("dataset verdict flipped", "dataset",
         "a fixed dataset stalls: w_t stays bounded, the error at the witness stays > 0; 'certified' is false")
def _(doc: Doc) -> Doc:
    doc["claims"] = [c for c in doc["claims"] if c["id"] != "dataset_stall"]
    doc["scope"] = doc["scope"].replace("all t >= 0", "every t >= 0 (converges)")
    return finish(doc, "certified")


@forgery("dataset stall witness error", "dataset", "the witness error is ~0.12, not >= 1/2")
def _(doc: Doc) -> Doc:
    data(doc, "dataset_stall")["witness_error_lower"] = "1/2"
    return finish(doc, "not certified")


@forgery("dataset T lowered to 0", "dataset", "w_0 = 0 < 1: T(x) = 0 is false")
def _(doc: Doc) -> Doc:
    for cid in point_ids(doc, moving=True):
        set_T(doc, cid, 0)
    return finish(doc, "not certified")


@forgery("sampled tail maximum below the last loss", "sampled",
         "the tail maximum of the batch losses is at least the last one; tail_max_hi = loss_n_lo / 2 is false")
def _(doc: Doc) -> Doc:
    b = data(doc, "batch_losses")
    b["tail_max_hi"] = ex(q(b["loss_n_lo"]) / 2)
    return finish(doc)


@forgery("sampled batch size in the monotonicity claim", "sampled", "the run draws 8 points per step, not 9")
def _(doc: Doc) -> Doc:
    return set_data(doc, "minibatch_monotonicity", batch="sampled:9")


@forgery("dataset stall bound below the path", "dataset",
         "w_t <= W for all t is false for W = (a lower bound of w_30) / 2: w_30 exceeds it")
def _(doc: Doc) -> Doc:
    s_ = data(doc, "dataset_stall")
    s_["W"] = ex(q(s_.get("w_n_lo", s_.get("w_inf_lo", "2"))) / 2)
    return finish(doc, "not certified")


@forgery("dataset stall witness moved to x = 0", "dataset",
         "at x = 0, |g| = 1/2 and w_t passes 1 by step 7: the error there vanishes, the claimed stall is false")
def _(doc: Doc) -> Doc:
    s_ = data(doc, "dataset_stall")
    s_["witness_x"], s_["witness_g"] = ["0"], "1/2"
    return finish(doc, "not certified")


# ====================================================================== verdict and rests_on

@forgery("verdict rests on a failed claim", "interval",
         "growth marked failed (c = 1/10 > 1/12 is false) yet the verdict rests on it as certified")
def _(doc: Doc) -> Doc:
    set_growth_constant(doc, "c", "1/10")
    finish(doc)
    claim(doc, "growth")["status"] = "failed"
    return doc


@forgery("verdict rests on a subset", "interval",
         "certified while resting on neither the rate nor the entry claim: T(x) bounds with no growth of w_t")
def _(doc: Doc) -> Doc:
    finish(doc)
    doc["rests_on"] = [i for i in doc["rests_on"] if i not in ("rate", "entry")]
    return doc


@forgery("status numerical marked certified", "interval",
         "the rate claim is 'numerical' (not proved) and the T(x) bounds from it are lowered by one")
def _(doc: Doc) -> Doc:
    claim(doc, "rate")["status"] = "numerical"
    t_early(doc, "pointwise:x=0", "interval")
    doc["rests_on"] = [c["id"] for c in doc["claims"]]
    doc["verdict"] = "certified"
    return doc


# ====================================================================== more families and the sample points

for _name in ("halfspace", "polytope"):
    forgery(f"t0=-1 all T=0 ({_name})", _name,
            "T(x) = 0 claimed for points with g != 0: w_0 = 0 < 1/(2|g|), so f(w_0, x) != f°(x)"
            )(lambda doc, _name=_name: negative_t0(doc, _name))


@forgery("exact ball network computes 100 g", "ball",
         "the construction claims g = R^2 - |x|^2 (the builder's network); the weights compute 100 (R^2 - |x|^2)")
def _(doc: Doc) -> Doc:
    return scaled_build(100, "ball:d=2,R=1/2", grid=3)


# the rational w at which the checker compares a closed form with its own integral (read off
# proofs/check/asymptotic.py); a perturbation vanishing exactly there, and only there
def _sample_points(w_star: mpq) -> list[mpq]:
    return sorted({w for w in (w_star, w_star + mpq(1, 16), w_star + mpq(1, 2), 3 * w_star / 2 + mpq(1, 3),
                               2 * w_star + 1, 5 * w_star + mpq(7, 3), 100 * w_star + 1) if w > 0})


@forgery("asymptotic form equal to L only at the sample points", "interval",
         "L(w) = 1/(12 w) for w >= 1; the closed form adds 10^-8 prod_i (w - w_i) / w^8, nonzero between the w_i")
def _(doc: Doc) -> Doc:
    w = sympy.Symbol("w", positive=True)
    v = sympy.Symbol("v", positive=True)
    ws = _sample_points(mpq(1))
    L = 1 / (12 * w) + Q(1, 10 ** 8) * sympy.prod([w - Q(int(x.numerator), int(x.denominator)) for x in ws]) / w ** 8
    A = sympy.Poly(sympy.expand((w * L).subs(w, 1 / v)), v)
    B = sympy.Poly(sympy.expand((-w ** 2 * sympy.diff(L, w)).subs(w, 1 / v)), v)
    grid = [Q(k, 2000) for k in range(2001)]      # v = 1/w in [0, 1/w*]; the margin 10^-6 covers the gaps
    c = Q(math.floor(min(B.eval(x) for x in grid) * 10 ** 6), 10 ** 6) - Q(1, 10 ** 6)
    Cbar = Q(math.ceil(max(A.eval(x) for x in grid) * 10 ** 6), 10 ** 6) + Q(1, 10 ** 6)
    coeffs = A.all_coeffs()[::-1]
    a = data(doc, "asymptotic")
    from relu_pointwise.symbolic.exprio import to_text

    text = to_text(L)               # the canonical text: refused, if at all, by the mathematics
    replace_text(doc, "asymptotic", a["L_asymptotic"], text)
    a["L_asymptotic"] = text
    update_present(a, coeffs=[str(x) for x in coeffs], C=str(coeffs[0]))
    update_present(data(doc, "growth"), C=str(coeffs[0]), A_poly_v=[str(x) for x in coeffs],
                   B_poly_v=[str(x) for x in B.all_coeffs()[::-1]])
    set_growth_constant(doc, "c", str(c))
    set_growth_constant(doc, "Cbar", str(Cbar))
    return finish(doc)


@forgery("rate without its growth constant, T(0) one step early", "interval",
         "T(0) = 6 claimed, w_6 < 1 (the rate claim's 3 eta c removed, so no bound can be read from it)")
def _(doc: Doc) -> Doc:
    data(doc, "rate").pop("3_eta_c")
    return t_early(doc, "pointwise:x=0", "interval")


@forgery("full batch declared divergent", "interval",
         "'not certified: pointwise convergence fails' for full-batch GD on the interval, where T(x) <= 257 "
         "at every requested point (every claim marked failed, so nothing is left to check)")
def _(doc: Doc) -> Doc:
    for c in doc["claims"]:
        c["status"] = "failed"
    claim(doc, "rate")["statement"] = "w_t stays bounded: w_t <= 2 for all t"
    doc["rests_on"] = [c["id"] for c in doc["claims"]]
    doc["verdict"] = "not certified"
    doc["reason"] = "pointwise convergence fails: w_t <= 2 for all t, so f(w_t, 3/8) != f°(3/8) for ever"
    return doc


@forgery("cyclic monotonicity slab list", "cyclic", "cyclic:4 has 4 slabs; the monotonicity data lists 3")
def _(doc: Doc) -> Doc:
    m = data(doc, "monotonicity")
    m["slabs"] = m.get("slabs", [{"slab": str(k), "status": "proved", "w_pieces": "2"} for k in range(4)])[:3]
    return finish(doc)


@forgery("exact ball -L'(w*) above the truth by 2^-250", "ball",
         "-L'(2) = pi/192 exactly; the claimed lower bound pi/192 (1 + 2^-250) exceeds it")
def _(doc: Doc) -> Doc:
    return set_data(doc, "entry", minus_dL_at_w_star="pi/192 + pi/(192*2**250)")


@forgery("exact ball rate gain above the truth by 2^-250", "ball",
         "3 eta c = pi/16 is the growth lemma's gain; the rate's pi/16 (1 + 2^-250) is not proved by it")
def _(doc: Doc) -> Doc:
    return set_data(doc, "rate", **{"3_eta_c": "pi/16 + pi/(16*2**250)"})


@forgery("threshold at a g = 0 point", "interval", "g(-1/2) = 0: there is no threshold 1/(2|g|); the data say 1")
def _(doc: Doc) -> Doc:
    return set_data(doc, "pointwise:x=-1/2", threshold="1")


@forgery("closed form off by 2^-400 (Arb, r = 3/2)", "interval_r3/2",
         "L(w) = sqrt(2)/(10 w) on w >= 1 (r = 3/2); C' = sqrt(2)/10 + 2^-400 is not it, and -L'(w) >= C'/w^2 "
         "(growth c, rate, entry -L'(1)) is false")
def _(doc: Doc) -> Doc:
    C = sympy.sqrt(2) / 10 + sympy.Rational(1, 2 ** 400)
    return set_power_law(doc, C, C)


@forgery("exact ball closed form off by 2^-400", "ball",
         "L(w) = pi/(48 w) on w >= 2; C' = pi/48 + 2^-400 is not it, and -L'(w) >= C'/w^2 (c, rate, entry) is false")
def _(doc: Doc) -> Doc:
    C = sympy.pi / 48 + sympy.Rational(1, 2 ** 400)
    return set_power_law(doc, C, C / 4)


@forgery("cyclic slab constant off by 2^-400 (r = 3/2)", "cyclic_r3/2",
         "each slab's -w^2 L_k'(w) = sqrt(2)/10 for w >= 1: c_k = sqrt(2)/10 + 2^-400 is false (and the gain from it)")
def _(doc: Doc) -> Doc:
    from relu_pointwise.symbolic.exprio import to_text

    c = sympy.sqrt(2) / 10 + sympy.Rational(1, 2 ** 400)
    set_slab_c(doc, c, to_text)
    update_present(data(doc, "rate"), c=to_text(c))
    data(doc, "entry")["cycle_increment_lower"] = to_text(4 * c)
    return finish(doc)


def queried_points(doc: Doc) -> list[mpq]:
    """The w at which the checker evaluates its own L(w) while checking the honest certificate
    (an adaptive forger watches the checker; ``Checker.L`` is the checker's loss at one w)."""
    import copy as _copy

    from relu_pointwise.proofs.check import check_certificate
    from relu_pointwise.proofs.check import claims as checker_claims

    seen: list[mpq] = []
    checker = getattr(checker_claims, "Checker", None)
    if checker is None or not hasattr(checker, "L"):
        return []                            # the checker was reorganized: use the documented samples
    orig = checker.L

    def spy(self: Any, w: Any) -> Any:
        if not hasattr(w, "mid"):            # exact rational w only (not an Arb ball)
            seen.append(mpq(w))
        return orig(self, w)

    checker.L = spy
    try:
        check_certificate(_copy.deepcopy(doc))
    finally:
        checker.L = orig
    return sorted(set(seen))


def bump_at_samples(doc: Doc) -> Doc:
    """The prover's closed form plus 10^-8 prod_i (w - w_i)/w^(n+1), zero exactly at the n points
    w_i >= w* where the checker evaluates L on the honest certificate (else its 7 documented
    sample points), and nowhere else on [w*, oo); C, the coefficients and c, Cbar moved with it.
    A checker that proves the identity (enough points for the form's degree, chosen after
    reading it) refuses it; one that only samples accepts it."""
    from relu_pointwise.symbolic.exprio import from_text, to_text

    w = sympy.Symbol("w", real=True)
    v = sympy.Symbol("v", positive=True)
    a = data(doc, "asymptotic")
    L = from_text(a["L_asymptotic"], {"w": w})
    pts = [x for x in queried_points(doc) if x >= q(a["w_star"])] or _sample_points(q(a["w_star"]))
    bump = Q(1, 10 ** 8) * sympy.prod([w - Q(int(x.numerator), int(x.denominator))
                                       for x in pts]) / w ** (len(pts) + 1)
    a["L_asymptotic"] = to_text(L + bump)
    if "coeffs" in a:                # a power sum: the coefficients of w L(w) in v = 1/w
        A = sympy.Poly(sympy.expand((w * (L + bump)).subs(w, 1 / v)), v)
        a["coeffs"] = [to_text(c) for c in A.all_coeffs()[::-1]]
        # growth for the forged form: c = min B, Cbar = max A on [0, 1/w*] (A = w L, B = -w^2 L'),
        # the bump's part bounded on a grid with a margin (the true part is the constant C)
        Ab = sympy.Poly(sympy.expand((w * bump).subs(w, 1 / v)), v)
        Bb = sympy.Poly(sympy.expand((-w ** 2 * sympy.diff(bump, w)).subs(w, 1 / v)), v)
        V = 1 / Q(a["w_star"])
        grid = [V * Q(k, 2000) for k in range(2001)]
        m = Q(math.floor(min(Bb.eval(x) for x in grid) * 10 ** 12) - 10 ** 3, 10 ** 12)
        M = Q(math.ceil(max(Ab.eval(x) for x in grid) * 10 ** 12) + 10 ** 3, 10 ** 12)
        C0 = from_text(data(doc, "growth")["C"] if "C" in data(doc, "growth") else a["C"], {})
        set_growth_constant(doc, "c", to_text(C0 + m))
        set_growth_constant(doc, "Cbar", to_text(C0 + M))
        eta = Q(doc["inputs"]["eta"])
        for k in ("growth", "rate"):
            data(doc, k)["3_eta_c"] = to_text(3 * eta * (C0 + m))
    if "C" in a:                     # lim w L(w) moves by the bump's 10^-8
        C = from_text(a["C"], {}) + Q(1, 10 ** 8)     # the bump's leading term: 10^-8 w^n / w^(n+1)
        a["C"] = to_text(C)
        update_present(data(doc, "growth"), C=to_text(C))
    return finish(doc)


forgery("exact ball d = 3: closed form equal to L only at the sample points", "ball3",
        "L(w) on w >= 2 is the prover's closed form; adding 10^-8 prod_i (w - w_i)/w^8 (zero exactly at the "
        "checker's sample points w_i) gives a form that is not L anywhere else")(bump_at_samples)
forgery("r = 3/2: closed form equal to L only at the sample points", "interval_r3/2",
        "L(w) = sqrt(2)/(10 w) on w >= 1 (r = 3/2); adding 10^-8 prod_i (w - w_i)/w^8 (zero exactly at the "
        "checker's sample points) gives a form that is not L anywhere else")(bump_at_samples)
forgery("exact ball d = 2: closed form equal to L only at the sample points", "ball",
        "L(w) = pi/(48 w) on w >= 2; pi/(48 w) + 10^-8 prod_i (w - w_i)/w^8 (zero exactly at the checker's "
        "sample points w_i) is not L anywhere else")(bump_at_samples)

