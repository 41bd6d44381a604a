"""The command line as a person meets it (issue 20): bare ``pointwise``, mistyped flags and commands,
a folder given as --spec, the files a sweep writes, and progress through a whole certify run."""
from __future__ import annotations

import os
import stat
import sys

import pytest

from relu_pointwise.cli import main


def test_bare_pointwise_prints_the_usage_and_every_command(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: pointwise")
    for command in ("network", "derive", "run", "crosscheck", "certify", "verify", "report", "sweep", "fourier"):
        assert f"\n    {command} " in out, command


@pytest.mark.parametrize(("argv", "hint"), [
    (["certify", "--taget", "interval:-1/2,1/2"], "did you mean --target?"),
    (["certify", "--taget=interval:-1/2,1/2"], "did you mean --target?"),
    (["run", "--engine", "np", "--steps", "3", "--sed", "1"], "did you mean --seed?"),
    (["certfy"], "did you mean 'certify'?"),
    (["run", "--engine", "mq", "--steps", "3"], "did you mean 'mp'?"),
    (["--hepl"], "did you mean --help?"),
])
def test_a_mistyped_flag_or_command_gets_a_suggestion(argv, hint, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("pointwise: error: ") and err.rstrip().endswith(hint) and err.count("\n") == 1, err


def test_no_suggestion_when_nothing_is_close(capsys):
    with pytest.raises(SystemExit):
        main(["certify", "--zzzzzz", "1"])
    assert "did you mean" not in capsys.readouterr().err


def test_a_folder_as_spec_is_named_as_a_folder_with_its_slash(tmp_path, capsys, monkeypatch):
    (tmp_path / "specdir").mkdir()
    monkeypatch.chdir(tmp_path)
    assert main(["derive", "--spec", "specdir/", "--w", "3"]) == 2
    err = capsys.readouterr().err
    assert err == "pointwise: error: --spec: 'specdir/' is a folder, not a file (give a .toml or .json spec file)\n"


@pytest.mark.parametrize("argv", [
    ["sweep", "d/", "--out", "o"], ["report", "d/"], ["derive", "--format", "json", "-o", "d/"],
    ["run", "--engine", "np", "--steps", "3", "--batch", "dataset:4,2", "--data", "d/"],
])
def test_every_file_argument_names_a_folder_as_a_folder(argv, tmp_path, capsys, monkeypatch):
    (tmp_path / "d").mkdir()
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "'d/'" in err and "is a folder" in err and err.count("\n") == 1, err


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_sweep_outputs_respect_the_umask(tmp_path, umask):
    pytest.importorskip("pandas", reason="the sweep extra is not installed")
    from relu_pointwise.sweeps import run_sweep

    sweep = {"task": "run", "base": {"target": "interval:-1/2,1/2", "batch": "sampled:8", "steps": 30},
             "axes": {"seeds": {"count": 2}}}
    old = os.umask(umask)
    try:
        run_sweep(sweep, tmp_path / "o", scheduler="sync")
    finally:
        os.umask(old)
    out = tmp_path / "o"
    files = [p for p in out.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert {"results.parquet", "summary.json"} <= names and any(p.parent.name == "tasks" for p in files), names
    for p in files:
        assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~umask, (p, oct(p.stat().st_mode))


def _certify(argv, tmp_path, capsys, monkeypatch, tty: bool) -> str:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: tty)
    assert main(["certify", *argv]) == 0
    return capsys.readouterr().err


def test_certify_shows_every_phase_on_a_terminal(tmp_path, capsys, monkeypatch):
    err = _certify(["--points", "1/4,3/4", "--steps", "3000", "--out", "c"], tmp_path, capsys, monkeypatch, True)
    lines = [seg for line in err.split("\n") for seg in line.split("\r") if seg]
    phases = [line.split(": ")[1] for line in lines if line.startswith("certify: ")]
    order = ["deriving the exact loss", "proving the lemmas", "enclosing the path", "T(x)",
             "writing the derivation and plots"]
    assert [p for i, p in enumerate(phases) if i == 0 or phases[i - 1] != p] == order, lines
    assert "certify: enclosing the path: step 3000 of 3000" in lines          # the count reaches its end
    assert "certify: T(x): point 2 of 2" in lines
    assert err.endswith("\n")                                                 # the last line is closed


def test_certify_prints_no_progress_off_a_terminal(tmp_path, capsys, monkeypatch):
    err = _certify(["--points", "1/4", "--steps", "300", "--no-plots", "--out", "c"], tmp_path, capsys, monkeypatch,
                   False)
    assert err == ""


def test_the_phase_lines_leave_the_library_silent(capsys):
    """Without a listener the library prints nothing (the CLI installs one on a terminal only)."""
    import relu_pointwise as rp

    rp.Problem().certify(points=["1/4"], steps=200)
    assert capsys.readouterr() == ("", "")


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    from relu_pointwise import __version__

    assert capsys.readouterr().out.strip() == f"pointwise (relu-pointwise) {__version__}"
