"""``pointwise fourier``: the table, the last line in Arb's form, JSON, plots, one-line errors."""
from __future__ import annotations

import json
import re

import pytest

from relu_pointwise.cli import main

ARB_FORM = re.compile(r"^\[-?[0-9.]+(e[-+]?[0-9]+)? \+/- [0-9.]+e[-+]?[0-9]+\]$")


def run(argv, capsys):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_readme_example_prints_table_enclosure_and_writes_plots(tmp_path, capsys):
    """The issue's example: d = 3, R = 1/2, P = 50."""
    code, out, err = run(["fourier", "--target", "ball:d=3,R=1/2", "--rho", "50", "--out", str(tmp_path)], capsys)
    assert code == 0, err
    lines = out.strip().splitlines()
    assert ARB_FORM.match(lines[-1]), lines[-1]
    assert lines[-1].startswith("[0.998573027735")           # S_50(0), pinned in the README
    assert any(line.split()[:1] == ["50"] for line in lines)   # the table has the row P = 50
    for name in ("fourier.json", "fourier_contrast.png", "fourier_ray.png"):
        assert (tmp_path / name).stat().st_size > 1000
    doc = json.loads((tmp_path / "fourier.json").read_text())
    assert doc["pairs"][-1] == ["50", lines[-1]]
    assert len(doc["curve"]) == 51


def test_json_format_has_every_pair(capsys):
    code, out, err = run(["fourier", "--target", "ball:d=2,R=1/2", "--rho-max", "12", "--format", "json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert [p for p, _ in doc["pairs"]] == [str(k) for k in range(1, 13)]
    assert all(ARB_FORM.match(e) for _, e in doc["pairs"])
    assert {c["id"] for c in doc["claims"]} == {"fourier_centre", "network_centre"}


def test_d5_at_points_writes_one_figure_per_point(tmp_path, capsys):
    """Issue 19: d = 5, --at two points; every integer P up to --rho at each point, its claim,
    the network's claim at the same point, one figure per point; the document re-checks."""
    code, out, err = run(["fourier", "--target", "ball:d=5,R=1/2", "--rho", "8", "--at", "1/8,0,1/8,0,1/3;3/4,0,0,0,0",
                          "--out", str(tmp_path)], capsys)
    assert code == 0, err
    assert ARB_FORM.match(out.strip().splitlines()[-1])
    doc = json.loads((tmp_path / "fourier.json").read_text())
    ids = {c["id"] for c in doc["claims"]}
    assert {"fourier_point:x=(1/8,0,1/8,0,1/3)", "network_point:x=(3/4,0,0,0,0)"} <= ids
    assert [len(c) for c in doc["point_curves"]] == [9, 9]           # P = 0..8
    for name in ("fourier_point1.png", "fourier_point2.png"):
        assert (tmp_path / name).stat().st_size > 1000 and name in doc["files"]
    code, out, err = run(["fourier", "--check", str(tmp_path / "fourier.json")], capsys)
    assert code == 0 and out.strip().endswith("all checks pass"), out + err


def test_points_add_claims(capsys):
    code, out, err = run(["fourier", "--target", "ball:d=2,R=1/2", "--rho", "8", "--points", "1/4,0;1/2,0"], capsys)
    assert code == 0, err
    assert "fourier_point:x=(1/4,0)" in out and "network_point:x=(1/2,0)" in out


@pytest.mark.parametrize("argv,flag", [
    (["--target", "interval:-1/2,1/2"], "--target"),
    (["--target", "ball:d=2,R=1/2", "--rho", "0"], "--rho"),
    (["--target", "ball:d=2,R=1/2", "--rho-max", "5000"], "--rho-max"),
    (["--target", "ball:d=2,R=1/2", "--rho", "x"], "--rho"),
    (["--target", "ball:d=3,R=1/2", "--rho", "2000", "--at", "1/7,1/11,1/13"], "--rho"),
    (["--target", "ball:d=3,R=1/2", "--rho", "20", "--at", "1/10007,0,0"], "--at"),
    (["--target", "ball:d=3,R=1/2", "--rho", "20", "--at", "1/3"], "--at"),
    (["--target", "ball:d=2,R=1/2", "--delta", "0"], "--delta"),
    (["--target", "ball:d=2,R=1/2", "--method", "closed"], "--method"),
    (["--target", "ball:d=2,R=1/2", "--prec", "2"], "--prec"),
])
def test_bad_input_is_one_line_naming_the_flag(argv, flag, capsys):
    code, _out, err = run(["fourier", *argv], capsys)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith(f"pointwise: error: {flag}:"), err


def test_out_is_polite_and_reruns_replace_our_own_files(tmp_path, capsys):
    """A fourier.json this tool did not write is kept (exit 2 naming --out) unless --force;
    our own outputs are replaced by a rerun; --out naming a file is refused before the work."""
    argv = ["fourier", "--target", "ball:d=2,R=1/2", "--rho", "4", "--no-plots", "--out", str(tmp_path)]
    (tmp_path / "fourier.json").write_text('{"mine": 1}\n')
    code, _out, err = run(argv, capsys)
    assert code == 2 and err.startswith("pointwise: error: --out:") and "--force" in err
    assert (tmp_path / "fourier.json").read_text() == '{"mine": 1}\n'
    code, _out, err = run([*argv, "--force"], capsys)
    assert code == 0, err
    code, _out, err = run(argv, capsys)                      # ours now: replaced without --force
    assert code == 0, err
    assert json.loads((tmp_path / "fourier.json").read_text())["pairs"][0][0] == "4"
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    code, _out, err = run(["fourier", "--target", "ball:d=2,R=1/2", "--out", str(not_a_dir)], capsys)
    assert code == 2 and err.startswith("pointwise: error: --out:")


def test_huge_rho_is_one_line_at_once(capsys):
    code, _out, err = run(["fourier", "--target", "ball:d=3,R=1/2", "--rho-max", "99999999999999999999999"], capsys)
    assert code == 2 and err.startswith("pointwise: error: --rho-max:")


def test_check_a_written_document(tmp_path, capsys):
    code, _out, err = run(["fourier", "--target", "ball:d=2,R=1/2", "--rho-max", "10", "--no-plots",
                           "--out", str(tmp_path)], capsys)
    assert code == 0, err
    f = tmp_path / "fourier.json"
    code, out, err = run(["fourier", "--check", str(f)], capsys)
    assert code == 0 and out.strip().endswith("all checks pass"), out + err
    doc = json.loads(f.read_text())
    data = doc["claims"][0]["data"]
    data["above"], data["within"] = data["above"][1:], data["within"] + data["above"][:1]
    f.write_text(json.dumps(doc))
    code, out, err = run(["fourier", "--check", str(f)], capsys)
    assert code == 1 and "FAILED: centre: the set 'above'" in out and "FAILED: centre: the set 'within'" in out
    f.write_text("{not json")
    code, out, err = run(["fourier", "--check", str(f)], capsys)
    assert code == 2 and err.startswith("pointwise: error: --check")
