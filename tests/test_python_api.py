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


def test_the_public_surface_is_dir_and_every_name_resolves():
    """dir(relu_pointwise) lists the public names only (no Any, importlib, _LAZY), each loads,
    and the README's list of the public surface names exactly these."""
    import re
    from pathlib import Path

    import relu_pointwise as rp

    names = dir(rp)
    assert names == sorted(rp.__all__)
    assert not [n for n in names if n.startswith("_") and n != "__version__"]
    for n in names:
        assert getattr(rp, n) is not None
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    listed = re.search(r"The public surface \(`dir\(relu_pointwise\)`\): (.*?)\.\n", readme, re.S)
    assert listed, "README: the public surface line is missing"
    assert sorted(re.findall(r"`rp\.(\w+)`", listed.group(1))) == sorted(n for n in names if n != "__version__")


def test_one_verify_result_type():
    """rp.verify returns the checker's own per-claim Report (rp.VerifyReport), with the prover
    re-run as one more check when asked; truthy exactly when every check passes."""
    import relu_pointwise as rp
    from relu_pointwise.proofs.check.report import Report

    cert = rp.Problem("interval:-1/2,1/2").certify(points=["1/4"], steps=200)
    report = rp.verify(cert, rederive=True)
    assert rp.VerifyReport is Report and isinstance(report, Report)
    assert report.ok and bool(report)
    assert report.checks[-1].id == "rederive" and report.checks[-1].status == "checked"
    assert report.messages[-1].startswith("checker: all claims check")
    assert "<table>" in report._repr_html_()
