"""`pointwise network`: layers, widths, nonzero weights and where w enters."""
from __future__ import annotations

import re

import pytest

from relu_pointwise.cli import main
from relu_pointwise.symbolic.spec import make_spec


def run(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


HEAD = "head: f(w,x) = sigma(w*g + 1/2) - sigma(w*g - 1/2)"
TRAINABLE = "trainable: the single slope w, the weight of g into both head neurons (shared)"


def test_interval_architecture(capsys):
    """interval (-1/2, 1/2): g = min(u, v), u = x + 1/2, v = 1/2 - x.
    min(u, v) = u - sigma(u - v), u of unknown sign carried as sigma(u) - sigma(-u), u - v = 2x:
    layer 1 = (sigma(x + 1/2), sigma(-x - 1/2), sigma(2x)): width 3, weights 1, -1, 2
    (3 nonzero of 3), biases 1/2, -1/2, 0 (2 nonzero); readout (1, -1, -1), 3 nonzero.
    Head: 2 ReLU neurons; 5 ReLU neurons in all, 6 nonzero fixed weights."""
    code, out, err = run(["network", "--target", "interval:-1/2,1/2"], capsys)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "network for target interval:-1/2,1/2 on domain -1,1"
    assert "input features (1): x1" in lines
    assert "layer 1: ReLU, width 3, 3 nonzero weights of 3, 2 nonzero biases (fixed, exact)" in lines
    assert not any(l.startswith("layer 2") for l in lines)
    assert "level readout: g = 1*h1[0] + -1*h1[1] + -1*h1[2] + 0  (3 nonzero weights, fixed)" in lines
    assert HEAD + " = clamp(w*g + 1/2, 0, 1)" in lines and TRAINABLE in lines
    assert ("total: 2 ReLU layers (1 fixed + head), 5 ReLU neurons, 6 nonzero fixed weights, "
            "1 trainable parameter") in lines


def test_box_architecture(capsys):
    """box (-1/2, 1/2)^2: g = min(m1, m2), m_i = min(x_i + 1/2, 1/2 - x_i).
    Layer 1: per coordinate (sigma(x_i + 1/2), sigma(-x_i - 1/2), sigma(2 x_i)): width 6,
    6 nonzero weights of 6*2 = 12, 4 nonzero biases.  Layer 2: min(m1, m2) = m1 - sigma(m1 - m2)
    with m1 carried as sigma(m1) - sigma(-m1): neurons sigma(m1), sigma(-m1) (3 weights each)
    and sigma(m1 - m2) (6 weights): width 3, 12 nonzero of 18, no bias; readout (1, -1, -1)."""
    code, out, err = run(["network", "--target", "box:-1/2,1/2;-1/2,1/2"], capsys)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "network for target box:-1/2,1/2;-1/2,1/2 on domain -1,1;-1,1"
    assert "input features (2): x1, x2" in lines
    assert "layer 1: ReLU, width 6, 6 nonzero weights of 12, 4 nonzero biases (fixed, exact)" in lines
    assert "layer 2: ReLU, width 3, 12 nonzero weights of 18, 0 nonzero biases (fixed, exact)" in lines
    assert "level readout: g = 1*h2[0] + -1*h2[1] + -1*h2[2] + 0  (3 nonzero weights, fixed)" in lines
    assert TRAINABLE in lines and any(l.startswith(HEAD) for l in lines)
    assert ("total: 3 ReLU layers (2 fixed + head), 11 ReLU neurons, 21 nonzero fixed weights, "
            "1 trainable parameter") in lines


@pytest.mark.parametrize("target", [
    "union:-1,-3/4;-1/2,-1/3;0,1/5;1/4,1/2",
    "polytope:1,1,1/2;-1,0,1/2;0,-1,1/2",
    "(box:-1/2,1/2;-1/2,1/2 | box:0,3/4;0,3/4) & halfspace:1,1,1",
])
def test_printed_counts_match_the_weights(target, capsys):
    """Every layer line's width and nonzero counts agree with the exported weights."""
    code, out, err = run(["network", "--target", target], capsys)
    assert code == 0 and err == ""
    net = make_spec(target).network.to_json()
    layers = re.findall(r"^layer (\d+): ReLU, width (\d+), (\d+) nonzero weights of (\d+), "
                        r"(\d+) nonzero biases", out, flags=re.M)
    assert len(layers) == len(net["hidden"]) >= 1
    prev = len(net["features"])
    for (_k, width, nz, dense, nzb), layer in zip(layers, net["hidden"]):
        assert int(width) == len(layer["bias"]) == len(layer["weight"])
        assert int(nz) == sum(v != "0" for row in layer["weight"] for v in row)
        assert int(dense) == int(width) * prev
        assert int(nzb) == sum(b != "0" for b in layer["bias"])
        prev = int(width)
    nzr = sum(v != "0" for v in net["readout"])
    assert f"({nzr} nonzero weights, fixed)" in out
    assert TRAINABLE in out and HEAD in out
