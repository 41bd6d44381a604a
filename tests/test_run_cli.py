"""``pointwise run``: trajectories to CSV/JSON, the printed last row, one-line errors."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import mpmath
import pytest
from gmpy2 import mpq

from relu_pointwise.cli import main
from relu_pointwise.numeric.trajectory import read_csv_rows

ROOT = Path(__file__).resolve().parents[1]


def run(argv, capsys):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def parse_q(text: str) -> mpq:
    return mpq(text)


def test_exact_run_writes_csv_and_prints_the_last_row(tmp_path, capsys):
    """interval (-1/2, 1/2), eta = 1, w0 = 0: w_3 = 91/144 (see test_exact_engine)."""
    f = tmp_path / "t.csv"
    code, out, err = run(["run", "--engine", "exact", "--steps", "3", "-o", str(f)], capsys)
    assert code == 0
    rows = read_csv_rows(f)
    assert [r["t"] for r in rows] == ["0", "1", "2", "3"]
    assert [parse_q(r["w"]) for r in rows] == [mpq(0), mpq(1, 4), mpq(11, 24), mpq(91, 144)]
    # L(w) = 1/4 - w/4 + w^2/12 at w = 91/144
    w3 = mpq(91, 144)
    assert parse_q(rows[-1]["L"]) == mpq(1, 4) - w3 / 4 + w3 * w3 / 12
    assert out.strip() == f"t=3  w_t=91/144  L(w_t)={rows[-1]['L']}"
    assert f.read_text().startswith("# {")


@pytest.mark.parametrize("engine", ["mp", "arb", "np"])
def test_json_output_for_each_engine(engine, tmp_path, capsys):
    f = tmp_path / "t.json"
    args = ["run", "--engine", engine, "--steps", "40", "--eta", "1/2", "--w0", "1/3",
            "--target", "union:-3/4,-1/2;0,1/2", "-o", str(f)]
    if engine == "mp":
        args += ["--dps", "30"]
    code, out, err = run(args, capsys)
    assert code == 0
    doc = json.loads(f.read_text())
    assert doc["engine"] == engine and doc["spec"]["target"] == "union:-3/4,-1/2;0,1/2"
    assert doc["training"]["eta"] == "1/2" and doc["training"]["w0"] == "1/3"
    assert len(doc["rows"]) == 41 and doc["rows"][-1]["t"] == "40"
    last = doc["rows"][-1]
    assert out.startswith("t=40  w_t=") and last["w"] in out
    if engine == "arb":
        assert parse_q(last["w_lo"]) <= parse_q(last["w_hi"])
        assert doc["meta"]["prec"] == 128
    if engine == "mp":
        assert len(last["w"].replace(".", "")) >= 30


def test_arb_csv_bounds_contain_the_mp_values(tmp_path, capsys):
    fa, fm = tmp_path / "a.csv", tmp_path / "m.csv"
    common = ["--steps", "300", "--target", "interval:-1/3,1/2", "--eta", "2"]
    assert run(["run", "--engine", "arb", "-o", str(fa)] + common, capsys)[0] == 0
    assert run(["run", "--engine", "mp", "-o", str(fm)] + common, capsys)[0] == 0
    ra, rm = read_csv_rows(fa), read_csv_rows(fm)
    assert len(ra) == len(rm) == 301
    with mpmath.workdps(80):
        for a, m in zip(ra, rm):
            lo, hi = parse_q(a["w_lo"]), parse_q(a["w_hi"])
            v = mpmath.mpf(m["w"])
            assert mpmath.mpf(int(lo.numerator)) / int(lo.denominator) <= v + mpmath.mpf("1e-48")
            assert v - mpmath.mpf("1e-48") <= mpmath.mpf(int(hi.numerator)) / int(hi.denominator)


def test_dataset_from_a_user_file(tmp_path, capsys):
    pts = tmp_path / "pts.csv"
    pts.write_text("-0.9\n-0.6\n-0.2\n0.1\n0.45\n0.8\n")
    code, out, err = run(["run", "--engine", "exact", "--steps", "5", "--batch", "dataset:6,2",
                          "--data", str(pts), "--target", "interval:-1/2,1/2"], capsys)
    assert code == 0 and out.startswith("t=5  w_t=")


def test_spec_file_supplies_steps(tmp_path, capsys):
    spec = tmp_path / "s.toml"
    spec.write_text('target = "interval:-1/2,1/2"\nsteps = 2\neta = "1"\n')
    code, out, err = run(["run", "--engine", "exact", "--spec", str(spec)], capsys)
    assert code == 0 and out.startswith("t=2  w_t=11/24")


def test_progress_counter(tmp_path, capsys):
    code, out, err = run(["run", "--engine", "mp", "--steps", "50", "--progress"], capsys)
    assert code == 0 and "\r" in err and "step 50/50" in err


def test_exact_engine_reports_where_it_stopped(capsys):
    code, out, err = run(["run", "--engine", "exact", "--steps", "50", "--max-digits", "500"], capsys)
    assert code == 0
    assert "exact engine did" in err and "of 50 steps" in err and "max_digits = 500" in err
    assert "(exact:" in out     # a long exact value is shown as a decimal with its digit counts


@pytest.mark.parametrize("argv,needle", [
    (["run", "--engine", "warp", "--steps", "3"], "--engine"),
    (["run", "--engine", "mp", "--steps", "-1"], "--steps"),
    (["run", "--engine", "mp", "--steps", "2.5"], "--steps"),
    (["run", "--engine", "mp"], "--steps"),
    (["run", "--engine", "mp", "--steps", "3", "--dps", "2"], "--dps"),
    (["run", "--engine", "mp", "--steps", "3", "-o", "out.txt"], "-o"),
    (["run", "--engine", "exact", "--steps", "3", "--r", "3/2"], "r = 3/2"),
    (["run", "--engine", "mp", "--steps", "3", "--batch", "minibatch:3"], "--batch"),
    (["run", "--engine", "np", "--steps", "3", "--data", "x.csv"], "data"),
    (["run", "--engine", "arb", "--steps", "3", "--eta", "0"], "--eta"),
    (["run", "--engine", "arb", "--steps", "3", "--prec", "4"], "--prec"),
    (["run", "--engine", "mp", "--steps", "3", "--target", "interval:2,3"], "target"),
])
def test_bad_input_is_one_line_and_exit_2(argv, needle, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:          # argparse-level errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("pointwise: error:") and needle in lines[0]
    assert "Traceback" not in err


def test_exit_code_in_a_real_process(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.run([sys.executable, "-m", "relu_pointwise.cli", "run", "--engine", "mp", "--steps", "-5"],
                       capture_output=True, text=True, env=env, cwd=tmp_path)
    assert p.returncode == 2 and p.stderr.count("\n") == 1
    p = subprocess.run([sys.executable, "-m", "relu_pointwise.cli", "run", "--engine", "np", "--steps", "20"],
                       capture_output=True, text=True, env=env, cwd=tmp_path)
    assert p.returncode == 0 and p.stdout.startswith("t=20  w_t=") and p.stderr == ""
