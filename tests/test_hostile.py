"""Hostile input (issue 10): every reader bounded in time and memory, one line for any bad
input, atomic outputs.

Each case of the issue is a test with a time cap (:func:`within`: SIGALRM turns a hang
into a failure instead of a stuck suite).  The CLI runs in-process through
``relu_pointwise.cli.main``; a run "ends cleanly" when it returns (or exits) 0, 1 or 2 and
writes no traceback.  The fuzz tests have a small example budget by default and a large
one under ``-m slow``.
"""
from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relu_pointwise.cli import main
from relu_pointwise.proofs.certificate import render_texts
from relu_pointwise.symbolic import jsonio
from relu_pointwise.symbolic.errors import InputError
from relu_pointwise.symbolic.exprio import ExprSyntaxError, UndecidableError, from_text
from relu_pointwise.symbolic.limits import LIMITS, REGIONS_MAX, markdown_table

BOX8 = "box:" + ";".join(["-1/2,1/2"] * 8)


class Overtime(Exception):
    pass


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Fail (raise Overtime) when the block runs longer than ``seconds`` of wall time."""
    def alarm(signum, frame):
        raise Overtime(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def cli(argv: list[str], capsys, seconds: float = 20) -> tuple[int, str, str]:
    """Run ``pointwise ARGV`` in-process: (exit code, stdout, stderr), within ``seconds``."""
    with within(seconds):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:          # argparse: --help (0) or a usage error (2)
            code = exc.code if isinstance(exc.code, int) else 2
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code: int, err: str, *needles: str) -> str:
    lines = err.strip().splitlines()
    assert code == 2, (code, err)
    assert len(lines) == 1 and lines[0].startswith("pointwise: error: "), err
    assert "Traceback" not in err
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


# ----------------------------------------------------------------- expressions

@pytest.mark.parametrize("text,needle", [
    ("floor(exp(exp(exp(100))))", "too large"),
    ("floor(exp(-exp(exp(100))))", "too large"),
    ("exp(-exp(100))", "too small"),
    ("Min(exp(exp(exp(100))), exp(exp(exp(99))))", "too large"),
    ("exp(exp(exp(exp(1/10))))", "tower"),
    ("1/(log(8) - 3*log(2))", "division by ~0"),
])
def test_expression_that_would_compute_forever_is_refused_fast(text, needle):
    with within(2), pytest.raises(ExprSyntaxError, match=needle):
        from_text(text)


def test_floor_decided_by_arb_or_undecidable_within_the_limit():
    """floor(pi*10**30) = 3141592653589793238462643383279 (pi's first 31 digits); ceiling(-sqrt(2)) = -1;
    floor(log(8)/log(2)) is exactly 3, which no enclosure can separate from 3: undecidable."""
    with within(2):
        assert from_text("floor(pi*10**30)") == 3141592653589793238462643383279
        assert from_text("ceiling(-sqrt(2))") == -1
        with pytest.raises(UndecidableError, match="undecidable within the limit"):
            from_text("floor(log(8)/log(2))")


_atoms = st.one_of(st.sampled_from(["w", "x", "eta", "pi", "E", "0", "1", "2", "1/2", "0.25"]),
                   st.integers(0, 10**12).map(str), st.text("0123456789", min_size=1, max_size=60))


def _combine(children):
    unary = st.sampled_from(["exp", "log", "sqrt", "floor", "ceiling", "gamma", "Abs", "atan", "-", "acos"])
    binary = st.sampled_from(["+", "-", "*", "/", "**"])
    return st.one_of(
        st.tuples(unary, children).map(lambda t: f"-({t[1]})" if t[0] == "-" else f"{t[0]}({t[1]})"),
        st.tuples(children, binary, children).map(lambda t: f"({t[0]}){t[1]}({t[2]})"),
        st.tuples(st.sampled_from(["Min", "Max"]), st.lists(children, min_size=1, max_size=4))
          .map(lambda t: f"{t[0]}({', '.join(t[1])})"),
    )


grammar_expressions = st.recursive(_atoms, _combine, max_leaves=24)


def _read_or_refuse_within_2s(text: str) -> None:
    with within(2):
        try:
            value = from_text(text)
        except ExprSyntaxError:
            return
    assert isinstance(value, sympy.Basic)


@settings(max_examples=100)
@given(grammar_expressions)
def test_random_grammar_expressions_read_or_refused_within_2s(text):
    _read_or_refuse_within_2s(text)


@pytest.mark.slow
@settings(max_examples=1500)
@given(grammar_expressions)
def test_random_grammar_expressions_many(text):
    _read_or_refuse_within_2s(text)


def test_ascii_digits_only():
    from relu_pointwise.symbolic.numbers import parse_number

    for text in ("\u0662", "\uff11/\uff12", "\u0661.5", "1\u0660"):       # Arabic-Indic, full-width
        with pytest.raises(InputError, match="malformed number"):
            parse_number(text, "--eta")
    with pytest.raises(ExprSyntaxError):
        from_text("\u0662*w")


# ----------------------------------------------------------------- targets, specs, limits

def test_330_nested_parentheses_in_target_is_one_line(capsys):
    target = "(" * 330 + "interval:-1/2,1/2" + ")" * 330
    code, _, err = cli(["derive", "--target", target], capsys, seconds=5)
    one_line_error(code, err, "target", "nested 330 deep", "limit 32")


@pytest.mark.parametrize("argv,needles", [
    (["derive", "--r", "1000000", "--w", "3"], ["--r", "limit 64"]),
    (["derive", "--r", "3/1000"], ["--r"]),
    (["certify", "--target", "ball:d=4,R=1/2,N=8", "--no-plots"], ["--max-regions", "68719476736"]),
    (["certify", "--target", "ball:d=3,R=1/2,N=4", "--no-plots"], ["--max-regions"]),
    (["certify", "--target", "ball:d=4,R=1/2,N=3", "--no-plots"], ["--max-regions"]),
    (["derive", "--target", BOX8], ["--max-regions"]),
    (["certify", "--target", BOX8, "--no-plots"], ["--max-regions"]),
    (["certify", "--steps", "10000000"], ["--steps"]),
    (["certify", "--prec", "100000"], ["--prec"]),
    (["derive", "--domain", "-1e999,1"], ["--domain", "-1e999"]),
    (["derive", "--eta", "\uff11"], []),
    (["derive", "--r", "\u0663"], ["--r", "malformed"]),
    (["derive", "--target", "ball:d=2,R=1/2,N=3", "--max-regions", "100"], ["limit 100 regions"]),
], ids=["r-1e6", "r-below-1", "ball-d4-N8", "ball-d3-N4", "ball-d4-N3", "derive-box-d8", "certify-box-d8",
        "steps-1e7", "prec-1e5", "domain-1e999", "full-width-eta", "arabic-indic-r", "max-regions-100"])
def test_over_a_limit_is_one_fast_line(argv, needles, capsys, tmp_path):
    if argv[0] == "certify":
        argv = [*argv, "--out", str(tmp_path / "out")]
    code, _, err = cli(argv, capsys, seconds=10)
    line = one_line_error(code, err, *needles)
    assert "--grid" not in line          # the default grid is never blamed on the user
    assert not (tmp_path / "out" / "certificate.json").exists()


def test_max_regions_raises_the_limit(capsys):
    code, out, err = cli(["derive", "--target", "ball:d=2,R=1/2,N=3", "--max-regions", "300", "--w", "4"], capsys)
    assert code == 0, err


@pytest.mark.parametrize("name,text,needles", [
    ("deep.json", "[" * 5000 + "]" * 5000, ["nesting deeper than the limit"]),
    ("deep.toml", "a = " + "[" * 3000 + "]" * 3000, ["nesting deeper than the limit"]),
    ("dup.json", '{"r": "2", "r": "3"}', ["duplicate key 'r'"]),
    ("big.toml", "seed = " + "7" * 5000, ["key 'seed'", "5000 digits"]),
    ("big.json", '{"seed": ' + "7" * 5000 + "}", ["5000 digits"]),
    ("nan.json", '{"r": NaN}', ["NaN"]),
    ("bytes.json", b"\xff\xfe{\x00", ["not UTF-8"]),
    ("points.toml", 'points = "' + "0," * (1_200_000 // 2) + '0"', ["over the limit", "bytes"]),
], ids=["deep-json", "deep-toml", "duplicate-key", "5000-digit-toml", "5000-digit-json", "nan", "not-utf8",
        "1.2MB-points"])
def test_hostile_spec_files_are_one_line(name, text, needles, tmp_path, capsys):
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    code, _, err = cli(["derive", "--spec", str(p)], capsys, seconds=5)
    one_line_error(code, err, "--spec", *needles)


def test_spec_file_is_a_directory_or_missing(tmp_path, capsys):
    d = tmp_path / "d.toml"
    d.mkdir()
    one_line_error(*cli(["derive", "--spec", str(d)], capsys)[::2], "is a folder, not a file")
    one_line_error(*cli(["derive", "--spec", str(tmp_path / "none.json")], capsys)[::2], "No such file")


def test_jsonio_api():
    """The small stable API other engineers import."""
    assert jsonio.loads_json('{"a": [1, 2.5, "x"]}', what="t") == {"a": [1, 2.5, "x"]}
    with pytest.raises(InputError, match="t: x.json: duplicate key 'verdict'"):
        jsonio.loads_json('{"verdict": "no", "verdict": "yes"}', what="t", label="x.json")
    with pytest.raises(InputError, match="nesting deeper than the limit 3 levels"):
        jsonio.check_depth({"a": {"b": {"c": {}}}}, what="t", max_depth=3)
    deep: dict = {}
    for _ in range(200):
        deep = {"k": deep}
    with pytest.raises(InputError, match="nesting"):
        jsonio.plain_copy(deep, what="t")
    assert jsonio.loads_toml("[a]\nb = 1", what="t") == {"a": {"b": 1}}


def test_limits_table_lists_every_limit():
    table = markdown_table()
    assert all(lim.name in table for lim in LIMITS)
    assert f"{REGIONS_MAX.value:,}" in table and "--max-regions" in table


def test_readme_limits_table_is_current():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert markdown_table() in readme


# ----------------------------------------------------------------- forged certificates

def _forged(**changes) -> dict:
    cert = {"schema": "relu-pointwise/certificate", "version": 3,
            "inputs": {"spec": {"target": "interval:-1/2,1/2", "domain": "-1,1", "r": "2",
                                "measure": "probability"},
                       "eta": "1", "w0": "0", "batch": "full", "seed": "none", "steps": "20000",
                       "prec": "128", "points": [["0"]]},
            "claims": [], "rests_on": [], "verdict": "certified", "scope": "all t", "reason": "forged"}
    for path, value in changes.items():
        node = cert
        keys = path.split("__")
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value
    return render_texts(cert)


@pytest.mark.parametrize("changes,needle", [
    ({"inputs__steps": "10000000"}, "/inputs/steps"),
    ({"inputs__prec": "100000"}, "/inputs/prec"),
    ({"inputs__spec__r": "1000000"}, "1000000 exceeds the limit 64"),
    ({"inputs__spec__target": "ball:d=4,R=1/2,N=8", "inputs__spec__domain": "-1,1",
      "inputs__points": [["0", "0", "0", "0"]]}, "--max-regions"),
    ({"inputs__spec__target": "(" * 330 + "interval:-1/2,1/2" + ")" * 330}, "nested 330 deep"),
], ids=["steps-1e7", "prec-100000", "r-1e6", "deep-ball-d4-N8", "330-parens"])
def test_forged_certificate_refused_fast(changes, needle, tmp_path, capsys):
    p = tmp_path / "certificate.json"
    p.write_text(json.dumps(_forged(**changes)), encoding="utf-8")
    code, _, err = cli(["verify", str(p)], capsys, seconds=10)
    one_line_error(code, err, needle)


@pytest.mark.parametrize("value", ["floor(exp(exp(exp(100))))", "floor(exp(-exp(exp(100))))"])
def test_hanging_expression_in_a_claim_is_a_fast_failed_check(value, tmp_path, capsys):
    """In a claim the checker reads (asymptotic's L(w)): refused or failed within the cap, never a hang."""
    claim = {"id": "asymptotic", "statement": "s", "status": "proved",
             "data": {"w_star": "1", "L_asymptotic": value, "C": value}}
    p = tmp_path / "certificate.json"
    p.write_text(json.dumps(_forged(claims=[claim], rests_on=["asymptotic"])), encoding="utf-8")
    code, out, err = cli(["verify", str(p)], capsys, seconds=10)
    assert code in (1, 2) and "Traceback" not in err, (code, out, err)


def test_duplicate_verdict_is_malformed(tmp_path, capsys):
    text = json.dumps(_forged()).replace('"verdict": "certified"',
                                         '"verdict": "not certified", "verdict": "certified"')
    p = tmp_path / "certificate.json"
    p.write_text(text, encoding="utf-8")
    one_line_error(*cli(["verify", str(p)], capsys)[::2], "duplicate key 'verdict'")


@pytest.mark.parametrize("text", ['{"a":' * 3000 + "1" + "}" * 3000, "[" * 100 + "]" * 100, "\x00\x01", ""],
                         ids=["3000-deep-object", "100-deep-list", "control-bytes", "empty"])
def test_deep_or_broken_certificate_is_one_line(text, tmp_path, capsys):
    p = tmp_path / "certificate.json"
    p.write_text(text, encoding="utf-8")
    one_line_error(*cli(["verify", str(p)], capsys)[::2])


def test_derivation_json_with_a_hanging_expression(tmp_path):
    from relu_pointwise.symbolic.export_json import read_derivation_json

    p = tmp_path / "d.json"
    p.write_text(json.dumps({"schema": "relu-pointwise/derivation", "version": 1,
                             "spec": {"target": "interval:-1/2,1/2", "domain": "-1,1", "dim": 1, "r": "2",
                                      "measure": "probability"},
                             "asymptotic": "floor(exp(exp(exp(100))))"}), encoding="utf-8")
    with within(5), pytest.raises(InputError):
        read_derivation_json(p)


# ----------------------------------------------------------------- outputs

@pytest.fixture(scope="module")
def small_build():
    from relu_pointwise.proofs.certificate import build
    from relu_pointwise.symbolic.spec import make_spec, make_training

    return build(make_spec("interval:-1/2,1/2"), make_training(), points=[(sympy.Rational(0),)], steps=50)


def test_out_is_a_file_or_cannot_be_written(small_build, tmp_path, monkeypatch):
    from relu_pointwise.proofs import certificate

    f = tmp_path / "file"
    f.write_text("mine")
    with pytest.raises(InputError, match="out: .* is not a directory"):
        certificate.write_outputs(small_build, f, plots=False)
    for exc in (PermissionError(errno.EACCES, "Permission denied"), OSError(errno.EFBIG, "File too large"),
                IsADirectoryError(errno.EISDIR, "Is a directory")):
        def refuse(src, dst, exc=exc):
            raise exc

        monkeypatch.setattr(certificate.os, "replace", refuse)
        out = tmp_path / f"out{exc.errno}"
        with pytest.raises(InputError, match=f"out: cannot write .*: {exc.strerror}"):
            certificate.write_outputs(small_build, out, plots=False)
        assert sorted(os.listdir(out)) == []        # no temporary folder, no truncated certificate
    assert f.read_text() == "mine"


def test_file_too_large_in_a_real_process(tmp_path):
    """RLIMIT_FSIZE: the write fails with EFBIG; one line, no truncated certificate.json."""
    code = ("import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
            "resource.setrlimit(resource.RLIMIT_FSIZE, (4000, 4000)); "
            "from relu_pointwise.cli import main; sys.exit(main(sys.argv[1:]))")
    p = subprocess.run([sys.executable, "-c", code, "certify", "--steps", "50", "--no-plots", "--out",
                        str(tmp_path / "o")], capture_output=True, text=True, timeout=120)
    assert p.returncode == 2, p.stderr
    assert p.stderr.strip().splitlines() == [p.stderr.strip()] and "File too large" in p.stderr
    assert not (tmp_path / "o" / "certificate.json").exists()
    assert [n for n in os.listdir(tmp_path / "o") if "pointwise-tmp" in n] == []


def test_interrupt_leaves_the_old_certificate_and_no_temporary_files(small_build, tmp_path, monkeypatch):
    from relu_pointwise.proofs import certificate, plots

    out = tmp_path / "out"
    certificate.write_outputs(small_build, out, plots=False)
    before = {n: (out / n).read_bytes() for n in os.listdir(out)}

    def interrupted(b, where):
        raise KeyboardInterrupt

    monkeypatch.setattr(plots, "write_plots", interrupted)
    with pytest.raises(KeyboardInterrupt):
        certificate.write_outputs(small_build, out, plots=True)
    assert {n: (out / n).read_bytes() for n in os.listdir(out)} == before


def test_a_user_file_is_not_overwritten_without_force(small_build, tmp_path):
    from relu_pointwise.proofs import certificate

    out = tmp_path / "out"
    out.mkdir()
    (out / "derivation.tex").write_text("my own notes")
    with pytest.raises(InputError, match="not written by pointwise.*--force"):
        certificate.write_outputs(small_build, out, plots=False)
    assert (out / "derivation.tex").read_text() == "my own notes"
    certificate.write_outputs(small_build, out, plots=False, force=True)
    certificate.write_outputs(small_build, out, plots=False)        # ours now: replaced without --force
    assert "files" in json.loads((out / "certificate.json").read_text())


def test_derive_output_refuses_a_user_file(tmp_path, capsys):
    mine = tmp_path / "notes.json"
    mine.write_text('{"mine": true}')
    one_line_error(*cli(["derive", "--format", "json", "-o", str(mine)], capsys)[::2], "--force")
    assert mine.read_text() == '{"mine": true}'
    code, _, err = cli(["derive", "--format", "json", "-o", str(mine), "--force"], capsys)
    assert code == 0, err
    code, _, err = cli(["derive", "--format", "json", "-o", str(mine)], capsys)   # ours now
    assert code == 0, err
    assert [n for n in os.listdir(tmp_path) if "pointwise-tmp" in n] == []


def test_verify_checks_the_plot_hashes(tmp_path, capsys):
    out = tmp_path / "out"
    code, _, err = cli(["certify", "--steps", "200", "--out", str(out)], capsys, seconds=60)
    assert code == 0, err
    code, outp, _ = cli(["verify", str(out / "certificate.json")], capsys, seconds=60)
    assert code == 0, outp
    (out / "loss.png").write_bytes(b"another plot")
    code, outp, _ = cli(["verify", str(out / "certificate.json")], capsys, seconds=60)
    assert code == 1 and "failed: files" in outp and "loss.png" in outp


def test_sigterm_ends_like_ctrl_c(monkeypatch, capsys):
    from relu_pointwise.cli import derive

    def slow(args):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
        return 0

    monkeypatch.setattr(derive, "derive_main", slow)
    code, _, err = cli(["derive"], capsys, seconds=10)
    assert code == 143
    assert err.strip().splitlines() == ["pointwise: terminated (SIGTERM); nothing half-written was left"]


# ----------------------------------------------------------------- fuzz: no traceback from any input

_hostile_values = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["-1e999,1", "1e999", "\u0662", "\uff11", "nan", "-0", "1/0", "0x10", "--", "-",
                     "(" * 400 + ")" * 400, "9" * 5000, "ball:d=4,R=1/2,N=8", "interval:1,0", "box:;",
                     "polytope:0,0,1", "union:0,1;0,1", "ball:d=9,R=2", "&|()", "interval:-1/2,1/2 & ",
                     "cyclic:0", "sampled:-1", "dataset:5,9", "/dev/null", "/", ".", "a.json", "a.toml"]),
    st.integers(-10**30, 10**30).map(str),
)
_flags = ["--target", "--domain", "--r", "--measure", "--spec", "--eta", "--w0", "--batch", "--seed",
          "--w", "--format", "--points", "--grid", "--prec", "--steps", "--max-regions", "--out"]
_file_bodies = st.one_of(st.binary(max_size=200), st.just(b"[" * 4000), st.just(b"a = " + b"{b = " * 500),
                         st.just(b'{"steps": ' + b"9" * 5000 + b"}"), st.just(b'{"r": 1e999}'),
                         st.just(b'{"target": "' + b"(" * 500 + b'"}'), st.text(max_size=200).map(str.encode))


@st.composite
def cli_runs(draw):
    command = draw(st.sampled_from(["network", "derive", "certify", "verify"]))
    argv = [command]
    files = {}
    if command == "verify":
        files["cert.json"] = draw(_file_bodies)
        argv.append("{dir}/cert.json")
    else:
        for _ in range(draw(st.integers(0, 3))):
            flag = draw(st.sampled_from(_flags))
            if flag == "--spec":
                name = draw(st.sampled_from(["s.json", "s.toml"]))
                files[name] = draw(_file_bodies)
                argv += [flag, "{dir}/" + name]
            elif flag == "--out":
                argv += [flag, "{dir}/out"]
            else:
                argv += [flag, draw(_hostile_values)]
        if command == "certify":
            argv += ["--no-plots", "--steps", "100", "--out", "{dir}/out"]
    return argv, files


def _ends_cleanly(run, tmp_path_factory, capsys) -> None:
    argv, files = run
    d = tmp_path_factory.mktemp("fuzz")
    for name, body in files.items():
        (d / name).write_bytes(body)
    argv = [a.replace("{dir}", str(d)) for a in argv]
    code, _, err = cli(argv, capsys, seconds=30)
    assert code in (0, 1, 2), (argv, code, err)
    assert "Traceback" not in err and "internal error" not in err, (argv, err)
    if code == 2 and err.strip():
        assert err.strip().splitlines()[-1].startswith(("pointwise: error:", "usage:")) or "error:" in err


@settings(max_examples=12, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(run=cli_runs())
def test_fuzz_cli_no_traceback(run, tmp_path_factory, capsys):
    _ends_cleanly(run, tmp_path_factory, capsys)


@pytest.mark.slow
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(run=cli_runs())
def test_fuzz_cli_no_traceback_many(run, tmp_path_factory, capsys):
    _ends_cleanly(run, tmp_path_factory, capsys)


def test_up_front_estimate_only_on_a_terminal(capsys):
    """ball:d=3,R=1/2,N=3 has (2^4)^3 = 4096 regions; at ~20 ms a region, about 82 s."""
    from relu_pointwise.cli.args import announce_regions
    from relu_pointwise.symbolic.spec import make_spec

    spec = make_spec("ball:d=3,R=1/2,N=3")
    announce_regions(spec, enabled=False)
    assert capsys.readouterr().err == ""
    announce_regions(spec, enabled=True)
    assert capsys.readouterr().err.startswith("pointwise: about 4096 linear regions (estimated), about ")
    announce_regions(make_spec("interval:-1/2,1/2"), enabled=True)     # short work: no line
    assert capsys.readouterr().err == ""


def test_running_region_count_on_a_terminal(capsys):
    """ball:d=2,R=1/2,N=3: (2^4)^2 = 256 regions, estimated 5 s: the up-front line, then a count
    redrawn on one line while the regions are enumerated, closed by a newline."""
    from relu_pointwise.cli.args import announce_regions
    from relu_pointwise.symbolic.regions import linear_regions
    from relu_pointwise.symbolic.spec import make_spec

    spec = make_spec("ball:d=2,R=1/2,N=3")
    with within(30), announce_regions(spec, enabled=True):
        linear_regions(spec.network, spec.domain)
    err = capsys.readouterr().err
    assert err.startswith("pointwise: about 256 linear regions (estimated)")
    assert "\rregions: " in err and " of about 256 regions" in err and err.endswith("\n")


def test_region_estimates_against_the_enumeration():
    """The deep-ball estimate (2^(N+1))^d is exact; the box estimate is within a factor 2."""
    from relu_pointwise.symbolic.regions import linear_regions
    from relu_pointwise.symbolic.spec import make_spec
    from relu_pointwise.symbolic.targets import estimate_regions

    for text, exact in (("ball:d=2,R=1/2,N=2", True), ("ball:d=1,R=1/2,N=3", True),
                        ("box:-1/2,1/2;-1/2,1/2", False), ("box:-1/2,1/2;-1/2,1/2;-1/2,1/2", False)):
        spec = make_spec(text)
        n = len(linear_regions(spec.network, spec.domain))
        est = estimate_regions(spec.target.level, spec.dim)
        assert est == n if exact else n / 2 <= est <= 2 * n, (text, n, est)


@pytest.mark.slow
@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_in_a_real_process_leaves_nothing_half_written(sig, code, tmp_path):
    out = tmp_path / "out"
    p = subprocess.Popen([sys.executable, "-m", "relu_pointwise.cli", "certify", "--target", "ball:d=2,R=1/2,N=3",
                          "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(6)
    p.send_signal(sig)
    _, err = p.communicate(timeout=60)
    if p.returncode == 0:
        pytest.skip("certify finished before the signal (a fast machine)")
    assert p.returncode == code, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    left = [n for n in (os.listdir(out) if out.exists() else []) if "pointwise-tmp" in n]
    assert left == [] and not (out / "certificate.json").exists()
