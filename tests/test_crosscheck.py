"""The cross-check (numeric/crosscheck.py): passes for correct engines, fails for wrong ones.

The wrong np engines are built from the real one WITHOUT changing it: a perturbed eta
passed to run_np, or a step dropped by stitching two run_np calls together.
"""
from __future__ import annotations

import json
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relu_pointwise.cli import main
from relu_pointwise.numeric import crosscheck as cc
from relu_pointwise.numeric.np_engine import run_np
from relu_pointwise.symbolic.spec import make_spec, make_training

INTERVAL = "interval:-1/2,1/2"


def eta_off(rel: float):
    """np engine run with eta * (1 + rel)."""
    def runner(spec, training, steps, source):
        eta = float(training.eta) * (1 + rel)
        return run_np(spec, training, steps, eta=eta, schedule=source.schedule).w[:, 0]
    return runner


def drop_step(k: int):
    """np engine that does nothing at step k (w_(k+1) = w_k), then continues (full batch)."""
    def runner(spec, training, steps, source):
        first = run_np(spec, training, k, schedule=source.schedule).w[:, 0]
        rest = run_np(spec, training, steps - k - 1, w0=first[-1], schedule=source.schedule).w[:, 0]
        return np.concatenate([first, rest])
    return runner


def pair(report, name):
    return next(p for p in report["pairs"] if p["pair"] == name)


def test_float_error_model_reference_numbers():
    """interval (-1/2, 1/2) on [-1, 1]: the network is h = relu(x + 1/2), relu(-x - 1/2),
    relu(2x), g = h0 - h1 - h2.  The |.|-network at |x| = 1: a = (3/2, 3/2, 2), so
    G_abs = 3/2 + 3/2 + 2 = 5; the float forward pass rounds at most (1 + 1) times in the
    hidden layer (fan-in 1 + bias) and (3 + 1) in the readout: K_net = 6."""
    spec = make_spec(INTERVAL)
    g_abs, k = cc._abs_forward_bound(spec)
    assert g_abs == 5 and k == 6


def test_full_batch_passes_and_report_structure():
    spec, tr = make_spec(INTERVAL), make_training()
    rep = cc.crosscheck(spec, tr, 3000)
    json.dumps(rep)                                             # JSON-ready
    assert rep["pass"] is True
    assert [p["pair"] for p in rep["pairs"]] == ["exact-mp", "arb-contains-mp", "mp-np", "np-gradient", "mp-quadrature"]
    for p in rep["pairs"]:
        assert p["pass"] is True and p["derivation"] and "bound" in p
    ex = pair(rep, "exact-mp")
    assert 5 <= ex["steps_compared"] <= 30 and ex["max_difference"] <= ex["bound"] == 1e-47
    arb = pair(rep, "arb-contains-mp")
    assert arb["steps_checked"] == 3001 and arb["failures"] == 0
    mn = pair(rep, "mp-np")
    nv = mn["non_vacuity"]
    assert 0 < mn["max_difference"] <= mn["bound"]
    # the bound is far below what a wrong step or a wrong eta would do
    assert mn["bound"] < 1e-3 * nv["eta_times_(1+1e-6)_shift"] < nv["off_by_one_step_shift"]
    assert mn["numbers"]["max_lambda"] == 1.0 and mn["numbers"]["steps_eta_L2_over_2"] == 0
    grad = pair(rep, "np-gradient")
    assert len(grad["points"]) >= 4
    for row in grad["points"]:
        assert row["difference"] <= row["tolerance"] <= 1e-10 * abs(float(row["derived"])) + 1e-13


def test_wrong_eta_and_dropped_step_fail():
    spec, tr = make_spec(INTERVAL), make_training()
    T = 3000
    for runner in (eta_off(1e-6), drop_step(T // 2)):
        rep = cc.crosscheck(spec, tr, T, np_runner=runner)
        assert rep["pass"] is False
        mn = pair(rep, "mp-np")
        assert mn["pass"] is False and mn["failures"] > 0
        assert mn["max_difference"] > 100 * mn["bound"]
        assert pair(rep, "arb-contains-mp")["pass"] and pair(rep, "exact-mp")["pass"]


def test_a_different_correct_float_engine_passes():
    """Iterating the derived map w - eta L'(w) in plain Python floats (a different rounding
    history from np's backprop quadrature) stays within the bound: the bound is not tuned
    to one rounding sequence."""
    spec, tr = make_spec(INTERVAL), make_training(eta="1/2", w0="1/3")

    def plain(spec, training, steps, source):
        w, eta, out = 1.0 / 3.0, 0.5, [1.0 / 3.0]
        for _ in range(steps):
            g = (w / 6 - 0.25) if w < 1.0 else -1.0 / (12.0 * w * w)
            w = w - eta * g
            out.append(w)
        return out

    rep = cc.crosscheck(spec, tr, 2000, np_runner=plain)
    assert pair(rep, "mp-np")["pass"] is True and rep["pass"] is True


def test_minibatch_variants_pass_and_wrong_eta_fails():
    spec = make_spec(INTERVAL)
    tr = make_training(batch="sampled:16", seed=5)
    rep = cc.crosscheck(spec, tr, 150)
    assert rep["pass"] is True, [(p["pair"], p["pass"]) for p in rep["pairs"]]
    assert pair(rep, "np-gradient")["points"][0]["batch"].endswith("16 points")
    bad = cc.crosscheck(spec, tr, 150, np_runner=eta_off(1e-6))
    assert pair(bad, "mp-np")["pass"] is False and bad["pass"] is False
    rep = cc.crosscheck(spec, make_training(batch="cyclic:3", eta="1/2"), 400)
    assert rep["pass"] is True


def test_large_eta_uses_the_actual_phi_prime():
    """eta = 16 on the interval: on [0, 1) L'' = 1/6, so eta L'' = 8/3 > 2 at w_0 = 0 and the
    propagation factor there is |1 - 8/3| = 5/3 (w_1 = 16/4 = 4 is already in the 1/(12w) piece)."""
    rep = cc.crosscheck(make_spec(INTERVAL), make_training(eta="16"), 200)
    num = pair(rep, "mp-np")["numbers"]
    assert num["steps_eta_L2_over_2"] == 1 and abs(num["max_lambda"] - 5 / 3) < 1e-9
    assert rep["pass"] is True


@settings(max_examples=6)
@given(eta=st.sampled_from(["1/4", "1/2", "1", "3"]), w0=st.sampled_from(["0", "1/3", "5/2"]),
       target=st.sampled_from([INTERVAL, "interval:-1/4,1/2", "union:-3/4,-1/2;0,1/2"]),
       r=st.sampled_from(["1", "2", "3"]))
def test_property_pass_for_correct_fail_for_wrong_eta(eta, w0, target, r):
    spec, tr = make_spec(target, r=r), make_training(eta=eta, w0=w0)
    good = cc.crosscheck(spec, tr, 400)
    assert good["pass"] is True, [(p["pair"], p.get("max_difference"), p.get("bound")) for p in good["pairs"]]
    bad = cc.crosscheck(spec, tr, 400, np_runner=eta_off(1e-6))
    assert pair(bad, "mp-np")["pass"] is False


def test_noninteger_r_full_batch_is_undecided_not_passed():
    rep = cc.crosscheck(make_spec(INTERVAL, r="3/2"), make_training(), 50)
    assert pair(rep, "mp-np")["status"] == "undecided" and rep["pass"] is False
    assert pair(rep, "exact-mp")["status"] == "skipped"


def test_cli(capsys, monkeypatch):
    code = main(["crosscheck", "--steps", "300", "--eta", "1/2"])
    out = capsys.readouterr()
    assert code == 0
    rep = json.loads(out.out)
    assert rep["pass"] is True and rep["training"]["eta"] == "1/2"
    for argv, what in ((["crosscheck", "--steps", "0"], "--steps"),
                       (["crosscheck", "--steps", "9", "--dps", "5"], "--dps"),
                       (["crosscheck", "--steps", "9", "--batch", "sampled:x"], "--batch")):
        code = main(argv)
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1 and err.startswith("pointwise: error:") and what in err
    monkeypatch.setattr(cc, "default_np_runner", eta_off(1e-6))
    assert main(["crosscheck", "--steps", "300"]) == 1
    assert json.loads(capsys.readouterr().out)["pass"] is False


@pytest.mark.slow
def test_cli_interval_1e5_steps_passes(tmp_path, capsys):
    f = tmp_path / "cc.json"
    t0 = time.perf_counter()
    code = main(["crosscheck", "--target", INTERVAL, "--steps", "100000", "-o", str(f)])
    assert code == 0 and time.perf_counter() - t0 < 300
    rep = json.loads(f.read_text())
    mn = pair(rep, "mp-np")
    assert mn["pass"] and mn["bound"] < mn["non_vacuity"]["eta_times_(1+1e-6)_shift"] / 100
    assert pair(rep, "arb-contains-mp")["steps_checked"] == 100001


@pytest.mark.slow
def test_wrong_engines_fail_over_1e5_steps():
    spec, tr = make_spec(INTERVAL), make_training()
    T = 100_000
    for runner in (eta_off(1e-6), drop_step(T - 2)):
        rep = cc.crosscheck(spec, tr, T, np_runner=runner)
        assert pair(rep, "mp-np")["pass"] is False and rep["pass"] is False
