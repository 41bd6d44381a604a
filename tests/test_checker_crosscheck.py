"""The cross-check's independent mp route (numeric.mp_forward): the network's head output
integrated against the target's own definition, on breakpoints found from the weights."""
from __future__ import annotations

import dataclasses
import json
from typing import Any

import mpmath
import pytest
import sympy

from relu_pointwise.cli import main
from relu_pointwise.numeric.crosscheck import crosscheck
from relu_pointwise.numeric.mp_forward import breakpoints, forward_quadrature
from relu_pointwise.symbolic import network
from relu_pointwise.symbolic.spec import make_spec, make_training

Q = sympy.Rational


def test_breakpoints_from_the_weights():
    """interval (-1/2, 1/2): g = min(x + 1/2, 1/2 - x) = (x + 1/2) - sigma(2x) on the network's
    neurons sigma(x + 1/2), sigma(-x - 1/2), sigma(2x): kinks at -1/2 and 0 inside [-1, 1]."""
    pts = breakpoints(make_spec("interval:-1/2,1/2").network, -1, 1)
    assert [str(p) for p in pts] == ["-1", "-1/2", "0", "1"]


def test_forward_quadrature_reference_values():
    """Interval (-1/2, 1/2), r = 2 (docs/mathematics.md, section 3): L(w) = 1/4 - w/4 + w^2/12
    on [0, 1], so L(1/2) = 7/48,
    L'(1/2) = -1/4 + 1/12 = -1/6; L(w) = 1/(12 w) for w >= 1, so L'(3) = -1/108."""
    spec = make_spec("interval:-1/2,1/2")
    with mpmath.workdps(40):
        assert abs(forward_quadrature(spec, Q(1, 2), 40, "loss") - mpmath.mpf(7) / 48) < mpmath.mpf(10) ** -35
        assert abs(forward_quadrature(spec, Q(1, 2), 40) + mpmath.mpf(1) / 6) < mpmath.mpf(10) ** -35
        assert abs(forward_quadrature(spec, 3, 40) + mpmath.mpf(1) / 108) < mpmath.mpf(10) ** -35


def _moved(mp: pytest.MonkeyPatch) -> None:
    orig = network.build_network

    def moved(level: Any, dim: int) -> Any:
        net = orig(level, dim)
        return dataclasses.replace(net, readout_bias=net.readout_bias - Q(1, 64))

    mp.setattr(network, "build_network", moved)


def test_crosscheck_catches_a_moved_zero_set(monkeypatch, tmp_path, capsys):
    """One weight (the readout bias) off by 1/64: g's zero set misses the interval's ends by 1/64.
    Every derived engine follows the moved network; the mp-quadrature pair, which integrates the
    network's output against the target itself, fails and is named; unmoved, it passes."""
    spec, training = make_spec("interval:-1/2,1/2"), make_training()
    good = crosscheck(spec, training, 30)
    pair = next(p for p in good["pairs"] if p["pair"] == "mp-quadrature")
    assert pair["status"] == "checked" and pair["pass"] is True
    with monkeypatch.context() as mp:
        _moved(mp)
        bad = crosscheck(make_spec("interval:-1/2,1/2"), training, 30)
        out = tmp_path / "report.json"
        code = main(["crosscheck", "--target", "interval:-1/2,1/2", "--steps", "30", "-o", str(out)])
    failed = [p["pair"] for p in bad["pairs"] if p.get("status") == "checked" and p["pass"] is False]
    assert bad["pass"] is False and "mp-quadrature" in failed
    assert code != 0
    assert "mp-quadrature" in capsys.readouterr().out + json.dumps(json.loads(out.read_text()))
