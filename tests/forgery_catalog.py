"""The catalog of consistent forgeries (tests/forgery_lib.py explains the idea).

Each entry: a name, the base certificate, one line saying why the forged certificate is
mathematically false, and the edit. Grouped by what is forged: step indices, points,
claim forms, the network, T bounds, versions, unchecked content, then claim by claim,
inputs, batch kinds and target families.
"""
from __future__ import annotations

import copy
import functools
import math
from typing import Any

import sympy
from forgery_lib import (
    Doc,
    Forgery,
    as_version,
    base,
    build,
    claim,
    claim_index,
    data,
    depth_row,
    ex,
    finish,
    first_reach,
    negative_t0,
    path_hi,
    path_lo,
    point_ids,
    pointwise_for,
    q,
    replace_text,
    scaled_build,
    set_data,
    set_T,
    t_early,
    theta_of,
    writer_version,
)
from gmpy2 import mpq

Q = sympy.Rational
FORGERIES: list[Forgery] = []


def forgery(name: str, base_name: str, reason: str, files: tuple[str, ...] = ()) -> Any:
    def register(edit: Any) -> Any:
        FORGERIES.append(Forgery(name, base_name, reason, edit, files))
        return edit
    return register


# ====================================================================== 1. step indices outside their range

for _name in ("interval", "union", "box", "deep", "cyclic"):
    forgery(f"t0=-1 all T=0 ({_name})", _name,
            "T(x) = 0 claimed for points with g != 0: f(w_0, x) = 1/2 != f°(x) at t = 0 (w_0 = 0 < 1/(2|g|))"
            )(functools.partial(negative_t0, name=_name))


@forgery("T_hi = -1", "interval", "T(x) <= -1 is impossible (T(x) >= 0), and T(0) = 7")
def _(doc: Doc) -> Doc:
    set_T(doc, "pointwise:x=0", 7, -1, bound=7)
    return finish(doc)


@forgery("T_hi = -1 at g = 0", "interval", "T(x) <= -1 is impossible; at x = -1/2, T(x) = 0")
def _(doc: Doc) -> Doc:
    d = data(doc, "pointwise:x=-1/2")
    d["T_hi"] = "-1"
    return finish(doc)


@forgery("T_hi unknown", "interval",
         "the statements say T(x) = 0 for every point, but T(0) = 7; an 'enclosed' T(x) with no upper end")
def _(doc: Doc) -> Doc:
    for cid in point_ids(doc, moving=True):
        set_T(doc, cid, 0, "unknown")
        data(doc, cid).pop("T_bound_proved", None)
    return finish(doc)


@forgery("entry t* = steps + 1, rate t0 = -1", "interval",
         "T(0) = 0 claimed; w_0 = 0 < 1 = 1/(2|g(0)|), so f(w_0, 0) = 1/2 != 1")
def _(doc: Doc) -> Doc:
    negative_t0(doc, "interval")
    e = data(doc, "entry")
    e["t_star"] = str(int(doc["inputs"]["steps"]) + 1)
    return finish(doc)


# ====================================================================== 2. points

@forgery("g=0 point carries x=0's data", "interval",
         "claims T(-1/2) = 7, but g(-1/2) = 0 so f(w, -1/2) = 1/2 = f°(-1/2) for every w: T(-1/2) = 0")
def _(doc: Doc) -> Doc:
    claim(doc, "pointwise:x=-1/2")["data"] = copy.deepcopy(data(doc, "pointwise:x=0"))
    claim(doc, "pointwise:x=-1/2")["statement"] = claim(doc, "pointwise:x=0")["statement"]
    return finish(doc)


@forgery("every point carries x=0's data", "interval",
         "claims T(x) = 7 for every requested x, but T(3/8) > 7 (|g(3/8)| = 1/8, 1/(2|g|) = 4) and T(+-1/2) = 0")
def _(doc: Doc) -> Doc:
    src = claim(doc, "pointwise:x=0")
    for cid in point_ids(doc):
        claim(doc, cid)["data"] = copy.deepcopy(src["data"])
        claim(doc, cid)["statement"] = src["statement"]
    return finish(doc)


@forgery("same point twice under two ids", "interval",
         "the claim with id x = 3/8 is x = 0's (T = 7); T(3/8) > 7, and x = 3/8 is not covered")
def _(doc: Doc) -> Doc:
    i = claim_index(doc, "pointwise:x=3/8")
    c = copy.deepcopy(claim(doc, "pointwise:x=0"))
    c["id"] = "pointwise:x=3/8"
    doc["claims"][i] = c
    return finish(doc)


def _point_claim(name: str, doc: Doc, x: list[str]) -> dict[str, Any]:
    """A correct-looking T(x) claim for an arbitrary point (g from the network, T from the path)."""
    b = build(name)
    xs = tuple(Q(v) for v in x)
    g = b.spec.network.level(xs)
    c = pointwise_for(doc, "pointwise:x=0" if len(x) == 1 else "pointwise:x=(0,0)", x)
    theta = 1 / (2 * abs(mpq(g.p, g.q)))
    T = first_reach(name, theta)
    c["data"].update(x=list(x), g=ex(mpq(g.p, g.q)), target="1" if g > 0 else "0", threshold=ex(theta),
                     T_lo=str(T), T_hi=str(T))
    if "T_bound_proved" in c["data"]:
        c["data"]["T_bound_proved"] = str(T)
    return c


@forgery("out-of-domain point replaces a requested one", "interval",
         "x = 3/8 was requested and has no T(x); the claim is for x = 5/4, outside the domain [-1, 1]")
def _(doc: Doc) -> Doc:
    i = claim_index(doc, "pointwise:x=3/8")
    doc["claims"][i] = _point_claim("interval", doc, ["5/4"])
    return finish(doc)


@forgery("unrequested point replaces a requested one", "interval",
         "x = 3/8 was requested and has no T(x) (the verdict covers every requested point); the claim is for 1/7")
def _(doc: Doc) -> Doc:
    i = claim_index(doc, "pointwise:x=3/8")
    doc["claims"][i] = _point_claim("interval", doc, ["1/7"])
    return finish(doc)


@forgery("requested point moved in the inputs", "interval",
         "inputs request x = 1/16, whose T(x) is claimed nowhere (the claims are for x = 0)")
def _(doc: Doc) -> Doc:
    k = doc["inputs"]["points"].index(["0"])
    doc["inputs"]["points"][k] = ["1/16"]
    return finish(doc)


# ====================================================================== 3. claim forms of another batch kind

@forgery("cyclic certificate, rate without its period", "cyclic3",
         "the per-cycle gain read as a per-step gain: T(x) <= t0 + ceil(...) claimed K = 3 times too early")
def _(doc: Doc) -> Doc:
    r = data(doc, "rate")
    r.pop("period")
    return finish(doc)


@forgery("cyclic certificate with full-batch entry form", "cyclic",
         "entry in the full-batch form (w*, -L'(w*)) for a cyclic path: -L'(w*) of the full loss is not what "
         "a cyclic step uses; with T(0) lowered by one to 6, w_6 < 1 on the cyclic path")
def _(doc: Doc) -> Doc:
    full = base("interval")
    e = copy.deepcopy(data(full, "entry"))
    claim(doc, "entry")["data"] = e
    set_T(doc, "pointwise:x=0", 6)
    return finish(doc)


@forgery("cyclic certificate with the full-batch claims", "cyclic3",
         "full-batch per-step rate on a cyclic:3 path: at a middle-slab step w does not move, so "
         "w_(t0+1)^3 >= w_t0^3 + 1/4 is false")
def _(doc: Doc) -> Doc:
    return cyclic_full_forms(doc)


def cyclic_full_forms(doc: Doc) -> Doc:
    """Add the full batch's asymptotic/growth claims and replace the cyclic entry/rate by the
    full-batch forms (true for full batch, not for the cyclic path; the cyclic growth claim stays):
    entry and rate read on the cyclic path's enclosure, the rate anchored at a middle-slab step,
    and T(x) lowered by one step wherever the (false) per-step bound allows it."""
    full = base("interval")
    ids = [c["id"] for c in doc["claims"]]
    cyc = [c for c in doc["claims"] if c["id"] in ("entry", "rate")]
    pos = ids.index("cyclic_growth")
    new = [copy.deepcopy(claim(full, k)) for k in ("asymptotic", "growth", "entry", "rate")]
    doc["claims"] = doc["claims"][:pos] + new + [c for c in doc["claims"][pos:] if c not in cyc]
    # entry where the cyclic path passes w* (its enclosure)
    name = "cyclic3"
    w_star = q(data(full, "growth")["w_star"])
    t_star = first_reach(name, w_star)
    e = data(doc, "entry")
    e.update(t_star=str(t_star), w_t_star_lo=ex(path_lo(name, t_star)), w_t_star_hi=ex(path_hi(name, t_star)),
             t_star_exact="yes" if t_star == 0 or path_hi(name, t_star - 1) < w_star else "no")
    G = q(data(doc, "rate")["3_eta_c"])
    moving = [(cid, theta_of(data(doc, cid)), int(data(doc, cid)["T_lo"])) for cid in point_ids(doc, moving=True)]

    def drops(t0: int) -> list[str]:
        W0 = path_lo(name, t0)
        return [cid for cid, theta, T in moving
                if T - 1 >= t0 and t0 + (0 if theta <= W0 else math.ceil((theta ** 3 - W0 ** 3) / G)) <= T - 1]

    # a step t0 that uses the middle slab [-1/3, 1/3] with w_t0 >= 3: there g >= 1/6, the error
    # (1/2 - w g)_+ is 0, so w_(t0+1) = w_t0 and "w_(t0+1)^3 >= w_t0_lower^3 + 3 eta c" is false
    t0 = next(t for t in range(t_star, len(build(name).path.lo)) if t % 3 == 1 and path_lo(name, t) >= 3)
    data(doc, "rate").update(t0=str(t0), w_t0_lower=ex(path_lo(name, t0)))
    for cid in drops(t0):
        set_T(doc, cid, int(data(doc, cid)["T_lo"]) - 1)
    return finish(doc)


# ====================================================================== 4. the network

@forgery("network computes 100 g", "interval",
         "the construction claims g = the level function 1/2 - |x|, but the weights compute 100 (1/2 - |x|)")
def _(doc: Doc) -> Doc:
    return scaled_build(100)


@forgery("network computes g/2", "interval",
         "the construction claims g = the level function, the weights compute (1/2 - |x|)/2")
def _(doc: Doc) -> Doc:
    return scaled_build(Q(1, 2))


# ====================================================================== 5. versions

def _older_versions() -> list[int]:
    return [v for v in (1, 2) if v < writer_version()]


for _v in _older_versions():
    forgery(f"schema version {_v} carrying t0 = -1", "interval",
            "an old-version file whose T(x) = 0 claims are false (w_0 = 0 < 1/(2|g|))"
            )(lambda doc, _v=_v: as_version(negative_t0(doc, "interval"), _v))
    forgery(f"schema version {_v} with T(0) one step early", "interval",
            "T(0) = 6 claimed; w_6 < 1 = 1/(2|g(0)|)")(
        lambda doc, _v=_v: as_version(t_early(doc, "pointwise:x=0", "interval"), _v))


# ====================================================================== 6. unchecked content

@forgery("statement says T(0) = 3", "interval", "the statement of x = 0 says T(x) = 3; T(0) = 7")
def _(doc: Doc) -> Doc:
    finish(doc)
    replace_text(doc, "pointwise:x=0", "T(x) = 7", "T(x) = 3")
    if "T(x) = 3" not in claim(doc, "pointwise:x=0")["statement"]:
        claim(doc, "pointwise:x=0")["statement"] += "; T(x) = 3"
    return doc


@forgery("scope claims every x", "interval",
         "the scope says T(x) <= 7 for every x in the domain; near x = 1/2, T(x) is unbounded")
def _(doc: Doc) -> Doc:
    finish(doc)
    doc["scope"] = "every x in [-1, 1]: f(w_t, x) = f°(x) for all t >= 7"
    return doc


@forgery("reason claims w_t >= 1 from step 0", "interval", "w_0 = 0 < 1")
def _(doc: Doc) -> Doc:
    finish(doc)
    doc["reason"] = "certified: w_t >= w* = 1 from step 0 on, so every T(x) <= 7"
    return doc


@forgery("extra key in pointwise data", "interval", "T_exact = 3 at x = 0 is false (T(0) = 7)")
def _(doc: Doc) -> Doc:
    return set_data(doc, "pointwise:x=0", T_exact="3")


@forgery("extra key in growth data", "interval", "c_max = 1: -L'(w) >= 1/w^2 is false (-L' = 1/(12 w^2))")
def _(doc: Doc) -> Doc:
    return set_data(doc, "growth", c_max="1")


@forgery("listed plot absent", "interval", "the files manifest vouches for T.png, which does not exist")
def _(doc: Doc) -> Doc:
    doc["files"] = {"T.png": "sha256:" + "0" * 64}
    return finish(doc)


@forgery("listed plot with the wrong hash", "interval", "T.png's SHA-256 is not the listed one",
         files=("T.png",))
def _(doc: Doc) -> Doc:
    doc["files"] = {"T.png": "sha256:" + "1" * 64}
    return finish(doc)


@forgery("region count not a number", "interval", "regions = 'many': the network has 3 regions")
def _(doc: Doc) -> Doc:
    return set_data(doc, "construction", regions="many")


@forgery("region count wrong", "interval", "regions = 5: the network has 3 linear regions on [-1, 1]")
def _(doc: Doc) -> Doc:
    return set_data(doc, "construction", regions="5")


@forgery("points_checked inflated", "interval", "points_checked = 1000: the prover checked 17 points")
def _(doc: Doc) -> Doc:
    return set_data(doc, "construction", points_checked="1000")


@forgery("deep-ball table emptied", "deep", "the N(x) of the 4 requested points is claimed but not given")
def _(doc: Doc) -> Doc:
    return set_data(doc, "deep_ball_depth", table=[])


@forgery("deep-ball N_exact wrong", "deep",
         "N_exact(1/4, 1/4) = 1 is false: d 4^(-2) = 1/8 >= R^2 - |x|^2 = 1/8, so N(x) = 2")
def _(doc: Doc) -> Doc:
    row = depth_row(doc, ["1/4", "1/4"])
    row["N_exact"] = "1"
    return finish(doc)


@forgery("deep-ball N too small", "deep", "N(1/4, 1/4) = 1: d 4^(-2) = 1/8 >= 1/8 = R^2 - |x|^2")
def _(doc: Doc) -> Doc:
    row = depth_row(doc, ["1/4", "1/4"])
    row["N"] = row["N_exact"] = "1"
    return finish(doc)


@forgery("deep-ball side flipped", "deep", "(0, 0) is inside the ball, not outside; ball_target(0, 0) = 1")
def _(doc: Doc) -> Doc:
    row = depth_row(doc, ["0", "0"])
    row["side"], row["ball_target"] = "outside", "0"
    return finish(doc)


@forgery("deep-ball inner radius wrong", "deep", "R^2 - d 4^(-N-1) = 1/4 - 2/16 = 1/8, not 1/16")
def _(doc: Doc) -> Doc:
    return set_data(doc, "deep_ball_depth", inner_radius2_at_N="1/16")


@forgery("cyclic period 0", "cyclic", "a period of 0 steps: the cyclic:4 schedule has period 4")
def _(doc: Doc) -> Doc:
    return set_data(doc, "rate", period="0")


@forgery("unknown claim id", "interval", "a 'bonus' claim asserting T(x) <= 1 for every x: false (T(0) = 7)")
def _(doc: Doc) -> Doc:
    doc["claims"].append({"id": "bonus", "statement": "T(x) <= 1 for every x", "status": "proved",
                          "data": {"T_max": "1"}})
    return finish(doc)
