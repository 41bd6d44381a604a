"""The forgery property: a random semantic change to a real certificate (eta, w0, a target
end, r, a point, a T(x) value, the growth constant c), with the fields that depend on it
recomputed, is refused by verify unless the changed statement is still true; and when it is
still true, verify accepts it. Truth is decided by certifying the changed inputs with the
prover and comparing claim by claim (:func:`still_true`: True, False, or None when the
comparison cannot decide, e.g. the changed claim is about a step the true path does not pin).
"""
from __future__ import annotations

import copy
import functools
import json
import math
from pathlib import Path
from typing import Any

import pytest
import sympy
from forgery_lib import Doc, data, ex, finish, q, replace_text, set_T, verify_exit
from gmpy2 import mpq
from hypothesis import given, settings
from hypothesis import strategies as st

Q = sympy.Rational
TARGET, GRID, STEPS = "interval:-1/2,1/2", 5, 300


@functools.cache
def _certify_json(target: str, domain: str, r: str, measure: str, eta: str, w0: str, points: str, steps: int) -> str:
    from relu_pointwise.proofs.certificate import certify
    from relu_pointwise.symbolic.spec import make_spec, make_training

    pts = [tuple(Q(v) for v in p) for p in json.loads(points)]
    cert = certify(make_spec(target, domain, r, measure), make_training(eta, w0), points=pts, steps=steps)
    return json.dumps(cert)


def certify_inputs(inputs: dict[str, Any]) -> Doc:
    """The prover's certificate for these inputs (cached: the same inputs are certified once)."""
    s = inputs["spec"]
    return json.loads(_certify_json(s["target"], s["domain"], s["r"], s["measure"], inputs["eta"], inputs["w0"],
                                    json.dumps(inputs["points"]), int(inputs["steps"])))


def base_cert() -> Doc:
    pts = [[ex(mpq(-1) + mpq(k, 2))] for k in range(GRID)]
    return certify_inputs({"spec": {"target": TARGET, "domain": "-1,1", "r": "2", "measure": "probability"},
                           "eta": "1", "w0": "0", "points": pts, "steps": str(STEPS)})


# ====================================================================== changes (dependents recomputed)

def _recompute_rates(doc: Doc) -> None:
    """eta-dependent numbers: the eta fields, 3 eta c, and the entry bound ceil((w* - w0)/(eta g*))."""
    eta, w0 = q(doc["inputs"]["eta"]), q(doc["inputs"]["w0"])
    for k in ("growth", "entry", "rate"):
        data(doc, k)["eta"] = ex(eta)
    c = q(data(doc, "growth")["c"])
    data(doc, "growth")["3_eta_c"] = data(doc, "rate")["3_eta_c"] = ex(3 * eta * c)
    data(doc, "rate")["c"] = ex(c)
    e = data(doc, "entry")
    e["w0"] = ex(w0)
    w_star, g = q(e["w_star"]), q(e["minus_dL_at_w_star"])
    e["t_star_bound"] = str(0 if w0 >= w_star else math.ceil((w_star - w0) / (eta * g)))


def _recompute_points(doc: Doc) -> None:
    """g, f° and 1/(2|g|) of every T(x) claim from the certificate's own network and target."""
    from relu_pointwise.proofs.check.read import read_certificate

    cert = read_certificate(doc)
    net = cert.network
    for c in doc["claims"]:
        if not c["id"].startswith("pointwise:"):
            continue
        x = tuple(Q(v) for v in c["data"]["x"])
        g = net.level(x)
        d = c["data"]
        d["g"] = ex(mpq(g.p, g.q) if hasattr(g, "p") else mpq(g))
        d["target"] = "1" if g > 0 else "0" if g < 0 else "1/2"
        if g != 0:
            d["threshold"] = ex(1 / (2 * abs(mpq(d["g"]))))
        else:
            d.pop("threshold", None)


@functools.cache
def _prover_path(inputs: str) -> Any:
    from relu_pointwise.proofs.certificate import build
    from relu_pointwise.symbolic.spec import make_spec, make_training

    i = json.loads(inputs)
    s = i["spec"]
    pts = [tuple(Q(v) for v in p) for p in i["points"]]
    return build(make_spec(s["target"], s["domain"], s["r"], s["measure"]), make_training(i["eta"], i["w0"]),
                 points=pts, steps=int(i["steps"])).path


def _prover_lo(doc: Doc, t: int) -> mpq:
    return mpq(_prover_path(json.dumps(doc["inputs"], sort_keys=True)).lo[t])


def apply_changes(doc: Doc, changes: list[tuple[Any, ...]]) -> Doc:
    for change in changes:
        doc = apply_change(doc, change)
    return doc


def apply_change(doc: Doc, change: tuple[Any, ...]) -> Doc:
    kind = change[0]
    if kind == "eta":
        doc["inputs"]["eta"] = change[1]
        _recompute_rates(doc)
    elif kind == "w0":
        doc["inputs"]["w0"] = change[1]
        _recompute_rates(doc)
    elif kind == "end":
        from relu_pointwise.symbolic.spec import make_spec

        doc["inputs"]["spec"]["target"] = f"interval:-1/2,{change[1]}"
        data(doc, "construction")["network"] = make_spec(doc["inputs"]["spec"]["target"]).network.to_json()
        _recompute_points(doc)
    elif kind == "r":
        doc["inputs"]["spec"]["r"] = change[1]
        data(doc, "monotonicity")["r"] = change[1]
    elif kind == "point":
        _, k, x = change
        old = doc["inputs"]["points"][k][0]
        doc["inputs"]["points"][k] = [x]
        c = next(c for c in doc["claims"] if c["id"] == f"pointwise:x={old}")
        c["id"], c["data"]["x"] = f"pointwise:x={x}", [x]
        _recompute_points(finish(doc))
    elif kind == "T":
        _, k, delta = change
        cid = f"pointwise:x={doc['inputs']['points'][k][0]}"
        d = data(doc, cid)
        set_T(doc, cid, max(0, int(d["T_lo"]) + delta))
    elif kind == "T_hi":
        _, k, delta = change
        cid = f"pointwise:x={doc['inputs']['points'][k][0]}"
        d = data(doc, cid)
        set_T(doc, cid, int(d["T_lo"]), int(d["T_lo"]) + delta)
    elif kind == "t0":
        # w_t0_lower recomputed as the prover's lower bound of w_t0; for t0 < 0, of the entry step
        # (the last step a reader of path[t0] with Python's negative index would have enclosed)
        t0 = change[1]
        t_star = int(data(doc, "entry")["t_star"])
        lo = _prover_lo(doc, t0 if t0 >= 0 else t_star)
        replace_text(doc, "rate", f"t >= {data(doc, 'rate')['t0']}", f"t >= {t0}")
        data(doc, "rate").update(t0=str(t0), w_t0_lower=ex(lo))
    elif kind == "c":
        g = data(doc, "growth")
        g["c"] = ex(q(g["c"]) * change[1])
        _recompute_rates(doc)
    return finish(doc)


def changes() -> st.SearchStrategy[tuple[Any, ...]]:
    frac = st.sampled_from(["1/2", "3/4", "2", "3/2", "1001/1000", "1"])
    return st.one_of(
        st.tuples(st.just("eta"), frac),
        st.tuples(st.just("w0"), st.sampled_from(["0", "1/4", "1/2", "1", "1/1000"])),
        st.tuples(st.just("end"), st.sampled_from(["1/2", "3/8", "5/8", "9/16"])),
        st.tuples(st.just("r"), st.sampled_from(["2", "3", "4"])),
        st.tuples(st.just("point"), st.integers(0, GRID - 1), st.sampled_from(["1/4", "-3/4", "1/8", "-7/8"])),
        st.tuples(st.just("T"), st.integers(0, GRID - 1), st.integers(-2, 2)),
        st.tuples(st.just("c"), st.sampled_from([mpq(1), mpq(1, 2), mpq(99, 100), mpq(101, 100), mpq(2)])),
        st.tuples(st.just("T_hi"), st.integers(0, GRID - 1), st.sampled_from([-8, -1, 0, 1, 5])),
        st.tuples(st.just("t0"), st.sampled_from([-1, 0, 6, 7, 8, 20])),
    )


# ====================================================================== truth, claim by claim

def _le(a: str, b: str) -> bool:
    return bool(Q(a) <= Q(b))


def _rule(cid: str, f: dict[str, Any], t: dict[str, Any]) -> bool | None:
    """Does the forged claim's data f state something true, given the true claim's data t?"""
    if cid.startswith("pointwise:"):
        if any(f.get(k) != t.get(k) for k in ("x", "g", "target", "threshold")):
            return False
        if "unknown" in (f["T_hi"], t["T_hi"]):
            return None
        lo_f, hi_f, lo_t, hi_t = (int(v) for v in (f["T_lo"], f["T_hi"], t["T_lo"], t["T_hi"]))
        if lo_f > hi_t or hi_f < lo_t or int(f.get("T_bound_proved", hi_f)) < lo_t:
            return False
        ok = lo_f <= lo_t and hi_f >= hi_t and int(f.get("T_bound_proved", hi_f)) >= hi_t
        return True if ok else None
    if cid in ("construction", "monotonicity", "asymptotic"):
        return f == t
    if cid == "growth":
        same = all(f.get(k) == t.get(k) for k in ("w_star", "eta"))
        return same and _le(f["c"], t["c"]) and _le(t["Cbar"], f["Cbar"])
    if cid == "entry":
        if any(f.get(k) != t.get(k) for k in ("w_star", "w0", "eta")) or not _le(f["minus_dL_at_w_star"],
                                                                              t["minus_dL_at_w_star"]):
            return False
        if t.get("t_star_exact") != "yes":
            return None
        if int(f["t_star_bound"]) < int(t["t_star"]) or f.get("t_star") != t.get("t_star"):
            return False
        return _le(f["w_t_star_lo"], t["w_t_star_lo"]) and _le(t["w_t_star_hi"], f["w_t_star_hi"])
    if cid == "rate":
        if int(f["t0"]) < 0:
            return False                  # no step -1: the growth lemma is anchored nowhere
        if int(f["t0"]) > int(t["t0"]) and f["eta"] == t["eta"] and _le(f["c"], t["c"]):
            return True                   # a later anchor with the prover's enclosure: still true
        if f["t0"] != t["t0"] or f["eta"] != t["eta"] or not _le(f["c"], t["c"]):
            return None
        return True if _le(f["w_t0_lower"], t["w_t0_lower"]) else None
    return None


def still_true(forged: Doc, truth: Doc) -> bool | None:
    """True / False / None (undecided) for the forged certificate's claims, against the prover's
    certificate of the same inputs."""
    if truth["verdict"] != "certified":
        return False
    true_claims = {c["id"]: c for c in truth["claims"]}
    out: bool | None = True
    for c in forged["claims"]:
        t = true_claims.get(c["id"])
        if t is None or t["status"] not in ("proved", "enclosed"):
            return False
        r = _rule(c["id"], c["data"], t["data"])
        if r is False:
            return False
        if r is None:
            out = None
    return out


def check_one(change: list[tuple[Any, ...]], tmp: Path) -> None:
    forged = apply_changes(copy.deepcopy(base_cert()), change)
    truth = certify_inputs(forged["inputs"])
    verdict = still_true(forged, truth)
    path = tmp / "certificate.json"
    path.write_text(json.dumps(forged))
    rc, out = verify_exit(path)
    assert rc != -1, out
    if verdict is False:
        assert rc in (1, 2), f"{change}: a false certificate was accepted\n{out[-500:]}"
    elif verdict is True:
        assert rc == 0, f"{change}: a true certificate was refused\n{out[-500:]}"


@settings(max_examples=30)
@given(change=st.lists(changes(), min_size=1, max_size=2))
def test_a_semantic_change_is_refused_unless_still_true(change: list[tuple[Any, ...]], tmp_path_factory: Any) -> None:
    check_one(change, tmp_path_factory.mktemp("prop"))


@pytest.mark.slow
@settings(max_examples=80)
@given(change=st.lists(changes(), min_size=1, max_size=2))
def test_a_semantic_change_is_refused_unless_still_true_many(change: list[tuple[Any, ...]],
                                                             tmp_path_factory: Any) -> None:
    check_one(change, tmp_path_factory.mktemp("prop"))


@pytest.mark.parametrize("change, expect", [
    (("eta", "1"), True),              # no change: the real certificate
    (("T", 2, 0), True),
    (("c", mpq(1, 2)), True),          # a smaller c is a weaker, true lower bound
    (("T", 2, -1), False),             # T(0) = 6: false
    (("c", mpq(101, 100)), False),     # c above min B: false
    (("eta", "2"), False),             # the eta = 1 path's T(x) for eta = 2: false
    (("t0", -1), False),               # a rate anchored at step -1
    (("T_hi", 2, -8), False),          # T(0) <= -1
    (("t0", 20), True),                # a later anchor, enclosure of w_20: true
])
def test_the_truth_decision_itself(change: tuple[Any, ...], expect: bool) -> None:
    """The oracle of the property on hand-decided cases (so the property cannot pass vacuously)."""
    forged = apply_change(copy.deepcopy(base_cert()), change)
    assert still_true(forged, certify_inputs(forged["inputs"])) is expect


# ====================================================================== garbage in any field

GARBAGE = ["", "x", "1/0", "1e400", "oo", "nan", [], {}]
STEP_KEYS = {"T_lo", "T_hi", "T_bound_proved", "t0", "t_star", "t_star_bound"}   # step indices: never < 0


def garbage_for(key: str) -> list[Any]:
    """Values no correct certificate has in this field: not a number (or not of the field's type),
    and -1 where the field is a step index."""
    return GARBAGE + (["-1"] if key in STEP_KEYS else [])


@st.composite
def garbage_edits(draw: Any) -> tuple[str, str, Any]:
    """(claim id, data key, garbage value) for any field of any claim's data."""
    doc = base_cert()
    c = draw(st.sampled_from(doc["claims"]))
    key = draw(st.sampled_from(sorted(c["data"])))
    return c["id"], key, draw(st.sampled_from(garbage_for(key)))


def check_garbage(edit: tuple[str, str, Any], tmp: Path) -> None:
    cid, key, junk = edit
    doc = copy.deepcopy(base_cert())
    old = data(doc, cid)[key]
    data(doc, cid)[key] = junk
    path = tmp / "certificate.json"
    path.write_text(json.dumps(finish(doc)))
    rc, out = verify_exit(path)
    assert rc != -1, f"{cid}.{key} = {junk!r}: a traceback ({out[-300:]})"
    assert rc in (1, 2), f"{cid}.{key} = {junk!r} (was {str(old)[:40]}) was accepted\n{out[-400:]}"


@settings(max_examples=25)
@given(edit=garbage_edits())
def test_garbage_in_any_field_is_refused_without_a_traceback(edit: tuple[str, str, Any],
                                                             tmp_path_factory: Any) -> None:
    check_garbage(edit, tmp_path_factory.mktemp("junk"))


@pytest.mark.slow
def test_garbage_in_every_field_is_refused_without_a_traceback(tmp_path: Path) -> None:
    """Exhaustively: every field of every claim, every garbage value (about 700 edits)."""
    doc = base_cert()
    bad = []
    for c in doc["claims"]:
        for key in sorted(c["data"]):
            for junk in garbage_for(key):
                try:
                    check_garbage((c["id"], key, junk), tmp_path)
                except AssertionError as exc:
                    bad.append(str(exc).splitlines()[0])
    assert not bad, f"{len(bad)} edits accepted or crashed, e.g. " + "; ".join(bad[:8])
