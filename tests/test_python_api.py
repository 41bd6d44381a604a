"""The Python API's displays (Jupyter) and its small promises."""
from __future__ import annotations

import relu_pointwise as rp
from relu_pointwise.problem import DEFAULT_TARGET
from relu_pointwise.symbolic import spec as spec_module


def test_default_target_matches_the_spec_module():
    """problem.py writes the default target out (to stay import-light); it must agree."""
    assert DEFAULT_TARGET == spec_module.DEFAULT_TARGET
    assert rp.Problem().spec.target.text == spec_module.DEFAULT_TARGET


def test_problem_network_and_trajectory_display_in_jupyter():
    p = rp.Problem("interval:-1/2,1/2", batch="sampled:8", seed=3)
    assert "<table>" in p._repr_html_() and "sampled:8" in p._repr_html_()
    net = p.network()._repr_html_()
    assert net.startswith("<table>") and "<th>layer</th>" in net and "ReLU" in net
    traj = p.run("np", steps=20)
    page = traj._repr_html_()
    assert "L(w_t)" in page and "batch loss" in page and "data:image/png;base64," in page
    text = repr(traj)
    assert text.startswith("<Trajectory 21 rows") and "t=20" in text and len(text) < 400


def test_derivation_and_verify_report_display():
    p = rp.Problem("interval:-1/2,1/2")
    assert "\\frac{1}{12 w}" in p.derive()._repr_latex_()
    report = rp.verify(p.certify(points=["1/4"], steps=200))
    assert report.ok and "verified" in report._repr_html_()
