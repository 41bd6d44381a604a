"""Consistent forgeries claim by claim (full batch) and of the inputs (tests/forgery_families.py:
by target family and batch kind).

Registered into forgery_catalog.FORGERIES (import this module to add them). Each forgery's
reason says, in one line, why the forged certificate is mathematically false.
"""
from __future__ import annotations

import math

import sympy
from forgery_catalog import forgery
from forgery_lib import (
    TINY,
    Doc,
    data,
    ex,
    finish,
    first_reach,
    path_hi,
    path_lo,
    point_ids,
    q,
    replace_text,
    set_data,
    set_eta,
    set_growth_constant,
    set_spec,
    set_T,
    t_early,
    update_present,
)
from gmpy2 import mpq

Q = sympy.Rational


# ====================================================================== construction, monotonicity

@forgery("construction depth", "interval", "the network has 2 ReLU layers, not 3")
def _(doc: Doc) -> Doc:
    data(doc, "construction")["depth"] = "3"
    replace_text(doc, "construction", "2 ReLU layers", "3 ReLU layers")
    return finish(doc)


@forgery("construction: one weight moved by 1/64", "interval",
         "the readout bias moved by 1/64: g's zero set misses the target's ends by 1/64")
def _(doc: Doc) -> Doc:
    net = data(doc, "construction")["network"]
    net["readout_bias"] = ex(q(net["readout_bias"]) - mpq(1, 64))
    return finish(doc)


@forgery("monotonicity r", "interval", "the spec's r is 2; the monotonicity data claims r = 3")
def _(doc: Doc) -> Doc:
    return set_data(doc, "monotonicity", r="3")


@forgery("monotonicity w-piece moved", "interval",
         "L(w) has its only kink at w = 1/(2 u_1) = 1, not at w = 2 (the w-pieces [0, 2], [2, oo))")
def _(doc: Doc) -> Doc:
    m = data(doc, "monotonicity")
    if "w_pieces" not in m:          # a field schema v3 dropped: the false list is an extra key
        m["w_pieces"] = [{"w_lo": "0", "w_hi": "1"}, {"w_lo": "1", "w_hi": "oo"}]
    m["w_pieces"][0]["w_hi"] = m["w_pieces"][1]["w_lo"] = "2"
    return finish(doc)


@forgery("monotonicity density piece moved", "union",
         "the density of |g| breaks at u = 1/8 and 1/4; the data say 1/16")
def _(doc: Doc) -> Doc:
    m = data(doc, "monotonicity")
    if "density_pieces" not in m:    # dropped in schema v3: the false list is an extra key
        m["density_pieces"] = [{"u_lo": "0", "u_hi": "1/8"}, {"u_lo": "1/8", "u_hi": "1/4"}]
    m["density_pieces"][0]["u_hi"] = m["density_pieces"][1]["u_lo"] = "1/16"
    return finish(doc)


# ====================================================================== asymptotic

@forgery("asymptotic w* too small", "union",
         "L(w) = 1/(6w) only from w = 4 (u_1 = 1/8); w* = 2 with u_1 = 1/4 claims it on [2, 4) where it is false")
def _(doc: Doc) -> Doc:
    for k in ("asymptotic", "growth", "entry"):
        data(doc, k)["w_star"] = "2"
    data(doc, "asymptotic")["u_1"] = "1/4"
    for k in ("asymptotic", "growth", "entry"):
        replace_text(doc, k, "w* = 4", "w* = 2")
    return finish(doc)


@forgery("asymptotic constant 12 -> 11", "interval",
         "L(w) = 1/(12 w) for w >= 1; the closed form 1/(11 w) (and C, coeffs, c, Cbar) is false")
def _(doc: Doc) -> Doc:
    a = data(doc, "asymptotic")
    a["L_asymptotic"] = "1/(11*w)"
    update_present(a, coeffs=["1/11"], C="1/11")
    replace_text(doc, "asymptotic", "1/(12*w)", "1/(11*w)")
    update_present(data(doc, "growth"), C="1/11", A_poly_v=["1/11"], B_poly_v=["1/11"])
    set_growth_constant(doc, "c", "1/11")
    set_growth_constant(doc, "Cbar", "1/11")
    return finish(doc)


@forgery("asymptotic density coefficient", "interval", "the density of |g| near 0 is 2, not 3")
def _(doc: Doc) -> Doc:
    data(doc, "asymptotic")["density_coeffs"] = ["3"]
    data(doc, "asymptotic")["rho_0_plus_plus_rho_0_minus"] = "3"
    return finish(doc)


@forgery("asymptotic second coefficient", "polytope",
         "w L(w) = 3/32 - 1/(96 w) on w >= 1; the coefficient list says -1/48")
def _(doc: Doc) -> Doc:
    return set_data(doc, "asymptotic", coeffs=["3/32", "-1/48"])


# ====================================================================== growth

@forgery("growth c slightly too large", "interval", "-L'(w) = 1/(12 w^2): c = 1/12 + 10^-30 is false")
def _(doc: Doc) -> Doc:
    set_growth_constant(doc, "c", ex(mpq(1, 12) + TINY))
    return finish(doc)


@forgery("growth Cbar slightly too small", "interval", "L(w) = 1/(12 w): Cbar = 1/12 - 10^-30 is false")
def _(doc: Doc) -> Doc:
    set_growth_constant(doc, "Cbar", ex(mpq(1, 12) - TINY))
    return finish(doc)


@forgery("growth c slightly too large (deep ball)", "deep",
         "min over [0, 1/2] of B(v) = 1/12 - v/18 is 1/18; c = 1/18 + 10^-30 is false at w = w* = 2")
def _(doc: Doc) -> Doc:
    set_growth_constant(doc, "c", ex(mpq(1, 18) + TINY))
    return finish(doc)


@forgery("growth Cbar slightly too small (deep ball)", "deep",
         "sup of w L(w) = 1/12 - 1/(36 w) on w >= 2 is 1/12; Cbar = 1/12 - 10^-30 fails for large w")
def _(doc: Doc) -> Doc:
    set_growth_constant(doc, "Cbar", ex(mpq(1, 12) - TINY))
    return finish(doc)


@forgery("growth c 10% too large (polytope)", "polytope", "c = 7/96 is min B; 77/960 > 7/96 is false at w = 1")
def _(doc: Doc) -> Doc:
    set_growth_constant(doc, "c", ex(mpq(7, 96) * mpq(11, 10)))
    return finish(doc)


@forgery("growth c too large (exact ball)", "ball", "-L'(w) = pi/(48 w^2) for w >= 2; c = pi/47 is false")
def _(doc: Doc) -> Doc:
    g, r = data(doc, "growth"), data(doc, "rate")
    g["c"] = r["c"] = "pi/47"
    g["3_eta_c"] = r["3_eta_c"] = "3*pi/47"
    return finish(doc)


@forgery("growth B polynomial", "deep", "w^2 (-L'(w)) = 1/12 - 1/(18 w); the data say B(v) = 1/12 - v/36")
def _(doc: Doc) -> Doc:
    return set_data(doc, "growth", B_poly_v=["1/12", "-1/36"])


@forgery("growth eta", "interval", "the run's eta is 1; the growth data say eta = 2 (3 eta c = 1/2)")
def _(doc: Doc) -> Doc:
    g = data(doc, "growth")
    g["eta"], g["3_eta_c"] = "2", "1/2"
    return finish(doc)


# ====================================================================== entry

@forgery("entry -L'(w*) too large", "interval", "-L'(1) = 1/12, not 1/11 (t* bound recomputed: 11)")
def _(doc: Doc) -> Doc:
    e = data(doc, "entry")
    e["minus_dL_at_w_star"], e["t_star_bound"] = "1/11", "11"
    return finish(doc)


@forgery("entry t* bound too small", "interval", "t* = 7 (w_6 < 1 <= w_7), so t* <= 6 is false")
def _(doc: Doc) -> Doc:
    return set_data(doc, "entry", t_star_bound="6")


@forgery("entry t* one step early", "interval", "w_6 < 1 = w*: t* = 6 is false (enclosure of w_6 recomputed)")
def _(doc: Doc) -> Doc:
    e = data(doc, "entry")
    e.update(t_star="6", w_t_star_lo=ex(path_lo("interval", 6)), w_t_star_hi=ex(path_hi("interval", 6)))
    replace_text(doc, "entry", "t* = 7", "t* = 6")
    return finish(doc)


@forgery("entry t* one step late, marked exact", "interval", "w_7 >= 1 already: the first t with w_t >= w* is 7, not 8")
def _(doc: Doc) -> Doc:
    e = data(doc, "entry")
    e.update(t_star="8", w_t_star_lo=ex(path_lo("interval", 8)), w_t_star_hi=ex(path_hi("interval", 8)))
    replace_text(doc, "entry", "t* = 7", "t* = 8")
    return finish(doc)


@forgery("entry w0 field", "interval", "the path starts at w0 = 0; the entry data say w0 = 1/2")
def _(doc: Doc) -> Doc:
    return set_data(doc, "entry", w0="1/2")


@forgery("entry -L'(w*) too large (exact ball)", "ball", "-L'(2) = pi/192; pi/191 is too large (bound recomputed)")
def _(doc: Doc) -> Doc:
    e = data(doc, "entry")
    e["minus_dL_at_w_star"] = "pi/191"
    e["t_star_bound"] = str(math.ceil(2 * 191 / math.pi))
    return finish(doc)


# ====================================================================== rate

@forgery("rate t0 one step early", "interval", "w_6 < 1 = w*: the growth lemma does not apply from t0 = 6")
def _(doc: Doc) -> Doc:
    r = data(doc, "rate")
    replace_text(doc, "rate", "t >= 7", "t >= 6")
    r.update(t0="6", w_t0_lower=ex(path_lo("interval", 6)))
    return finish(doc)


@forgery("rate w_t0 lower bound too high", "interval", "w_7 = 201811/186624 < the claimed lower bound w_7 + 1/1000")
def _(doc: Doc) -> Doc:
    return set_data(doc, "rate", w_t0_lower=ex(path_hi("interval", 7) + mpq(1, 1000)))


@forgery("rate anchored at t0 = 0 (exact ball)", "ball", "w_0 = 0 < 2 = w*: the rate cannot start at t0 = 0")
def _(doc: Doc) -> Doc:
    return set_data(doc, "rate", t0="0")


@forgery("rate 3 eta c 10% too large", "interval", "3 eta c = 1/4; the rate's 11/40 overstates the growth of w_t^3")
def _(doc: Doc) -> Doc:
    set_growth_constant(doc, "c", ex(mpq(11, 120)))
    return finish(doc)


@forgery("rate checked steps", "interval", "checked_steps lists step -1, which does not exist")
def _(doc: Doc) -> Doc:
    return set_data(doc, "rate", checked_steps=["-1"] + data(doc, "rate").get("checked_steps", ["8"]))


# ====================================================================== T(x)

@forgery("T(0) one step early", "interval", "w_6 < 1 = 1/(2|g(0)|): T(0) = 6 is false (T(0) = 7)")
def _(doc: Doc) -> Doc:
    return t_early(doc, "pointwise:x=0", "interval")


@forgery("T(0) one step late", "interval", "w_7 >= 1 already: T(0) = 7, not 8")
def _(doc: Doc) -> Doc:
    set_T(doc, "pointwise:x=0", 8)
    return finish(doc)


@forgery("every T(x) one step early", "interval", "T(x) - 1 at every point with g != 0: w_{T-1} < 1/(2|g|)")
def _(doc: Doc) -> Doc:
    for cid in point_ids(doc, moving=True):
        t_early(doc, cid, "interval")
    return finish(doc)


@forgery("g(0) wrong, T recomputed", "interval", "g(0) = 1/2, not 1/4 (threshold 2 and T(x) recomputed for 1/4)")
def _(doc: Doc) -> Doc:
    d = data(doc, "pointwise:x=0")
    T = first_reach("interval", mpq(2))
    d.update(g="1/4", threshold="2")
    set_T(doc, "pointwise:x=0", T)
    return finish(doc)


@forgery("f° wrong", "interval", "0 is inside (-1/2, 1/2): f°(0) = 1, not 0")
def _(doc: Doc) -> Doc:
    return set_data(doc, "pointwise:x=0", target="0")


@forgery("threshold wrong, T recomputed", "interval", "1/(2|g(0)|) = 1, not 1/2 (T recomputed for 1/2)")
def _(doc: Doc) -> Doc:
    data(doc, "pointwise:x=0")["threshold"] = "1/2"
    set_T(doc, "pointwise:x=0", first_reach("interval", mpq(1, 2)))
    return finish(doc)


@forgery("T bound proved too small", "interval", "T(0) = 7, so the proved bound T(0) <= 6 is false")
def _(doc: Doc) -> Doc:
    return set_data(doc, "pointwise:x=0", T_bound_proved="6")


@forgery("T(x) at g = 0 positive", "interval", "g(-1/2) = 0: T(-1/2) = 0; T_lo = 3 is false")
def _(doc: Doc) -> Doc:
    set_T(doc, "pointwise:x=-1/2", 3)
    return finish(doc)


# ====================================================================== inputs

@forgery("eta changed in the inputs", "interval",
         "with eta = 2 the path is faster: the eta = 1 T(x) values (T(0) = 7) are false (w_6 >= 1 for eta = 2)")
def _(doc: Doc) -> Doc:
    return set_eta(doc, "2", "1/2")


@forgery("eta halved in the inputs", "interval", "with eta = 1/2, w_7 < 1: T(0) = 7 is false")
def _(doc: Doc) -> Doc:
    return set_eta(doc, "1/2", "1/8")


@forgery("w0 changed in the inputs", "interval",
         "from w0 = 1/2 the path reaches w = 1 before step 7: T(0) = 7 is false")
def _(doc: Doc) -> Doc:
    doc["inputs"]["w0"] = "1/2"
    data(doc, "entry")["w0"] = "1/2"
    return finish(doc)


@forgery("r changed in the inputs", "interval", "for r = 3, L(w) = 1/(32 w) on w >= 1, not 1/(12 w)")
def _(doc: Doc) -> Doc:
    doc["inputs"]["spec"]["r"] = "3"
    data(doc, "monotonicity")["r"] = "3"
    return finish(doc)


@forgery("measure changed in the inputs", "interval", "under Lebesgue measure L(w) = 1/(6 w), not 1/(12 w)")
def _(doc: Doc) -> Doc:
    return set_spec(doc, measure="lebesgue")


@forgery("domain changed in the inputs", "interval", "on [-1, 2] the density is 1/3: L(w) = 1/(18 w), not 1/(12 w)")
def _(doc: Doc) -> Doc:
    return set_spec(doc, domain="-1,2")


@forgery("interval end changed in the inputs", "interval", "the claims are for (-1/2, 1/2); the target (-1/2, 5/8) "
         "has another network, L and T(x)")
def _(doc: Doc) -> Doc:
    return set_spec(doc, target="interval:-1/2,5/8")


@forgery("union with touching pieces", "union", "pieces (-3/4, 0) and (0, 1/2) touch: not the certified target; "
         "g = max of the pieces' levels vanishes inside their union")
def _(doc: Doc) -> Doc:
    return set_spec(doc, target="union:-3/4,0;0,1/2")


@forgery("box end changed in the inputs", "box", "the claims are for (-1/2, 1/2)^2; the box's second side (-1/2, 5/8)")
def _(doc: Doc) -> Doc:
    return set_spec(doc, target="box:-1/2,1/2;-1/2,5/8")


@forgery("halfspace offset changed", "halfspace", "the claims are for x + y < 1/2, the inputs say x + y < 3/4")
def _(doc: Doc) -> Doc:
    return set_spec(doc, target="halfspace:1,1,3/4")


@forgery("polytope face changed", "polytope", "the claims are for the face x < 1/2, the inputs say x < 1/4")
def _(doc: Doc) -> Doc:
    return set_spec(doc, target="polytope:1,0,1/4;0,1,1/2;-1,-1,1/2")


@forgery("exact ball radius changed", "ball", "the claims are for R = 1/2; for R = 3/5 the network and L differ")
def _(doc: Doc) -> Doc:
    return set_spec(doc, target="ball:d=2,R=3/5")
