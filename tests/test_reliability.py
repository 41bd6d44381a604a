"""Reliability (issue 21): memory bounded by what is kept, no unproved negative claim, no hang or
traceback, outputs all or nothing, signals answered with one line.

Hostile inputs run as the user runs them: ``pointwise`` in a fresh process (:func:`pointwise`)
with its address space capped by ``resource.setrlimit`` (:data:`MEMORY`) and a wall-time cap,
and "ends cleanly" means exit 0, 1 or 2 (130/143 after a signal) with, on failure, exactly one
line ``pointwise: ...`` and no traceback.  Properties (Hypothesis) where a law exists: kept rows
are the same rows whatever ``record_every``; a rate check never claims a violation that the
enclosed true values do not have.
"""
from __future__ import annotations

import functools
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sympy
from gmpy2 import mpq
from hypothesis import given, settings
from hypothesis import strategies as st

from relu_pointwise.numeric.engines import get_engine
from relu_pointwise.numeric.trajectory import DEFAULT_RECORD_ROWS, default_record_every, recorded_rows
from relu_pointwise.symbolic.errors import InputError
from relu_pointwise.symbolic.limits import RECORD_BYTES
from relu_pointwise.symbolic.spec import make_spec, make_training

MEMORY = 2**30                     # every hostile input ends under 1 GB of address space on top of the
ADDRESS_SPACE = 3 * MEMORY         # interpreter's own mappings (numpy/flint/BLAS reserve ~1.5 GB of it)
SRC = str(Path(__file__).resolve().parents[1] / "src")
INTERVAL = make_spec("interval:-1/2,1/2")


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    return env


def start(argv: list[str], cwd: Path | None = None) -> subprocess.Popen:
    """``pointwise ARGV`` in a fresh process under the memory cap."""
    return subprocess.Popen([sys.executable, "-m", "relu_pointwise.cli", *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=_limit_memory, env=_env(), cwd=cwd)


def pointwise(argv: list[str], cap: float = 60, cwd: Path | None = None) -> tuple[int, str, str]:
    """Run to the end within ``cap`` seconds (a hang fails the test): (exit code, stdout, stderr)."""
    p = start(argv, cwd)
    try:
        out, err = p.communicate(timeout=cap)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        pytest.fail(f"pointwise {' '.join(a[:40] for a in argv)}: still running after {cap} s")
    return p.returncode, out, err


def inproc(argv: list[str], capsys, cap: float = 30) -> tuple[int, str, str]:
    """``pointwise ARGV`` in this process (fast; for inputs that need no memory cap), within ``cap``
    seconds of wall time (SIGALRM interrupts even a blocking open())."""
    from relu_pointwise.cli import main

    def alarm(signum, frame):
        raise TimeoutError(f"still running after {cap} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, cap)
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 2
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    out, err = capsys.readouterr()
    return code, out, err


def ends_cleanly(code: int, err: str, *needles: str) -> str:
    """An answer (0; 1: "no", e.g. not certified, on stdout) or one line on stderr (2, or 3 where
    a number cannot be decided); never a traceback. Returns the stderr line, if any."""
    assert code in (0, 1, 2, 3), (code, err[-2000:])
    assert "Traceback" not in err, err[-2000:]
    lines = err.strip().splitlines()
    if code >= 2 or needles:
        assert len(lines) == 1 and lines[0].startswith("pointwise: "), err[-2000:]
        for n in needles:
            assert n in lines[0], (n, lines[0])
    return lines[0] if lines else ""


# ============================================================ 1. memory bounded by what is kept

def test_default_record_every_keeps_at_most_about_ten_thousand_rows():
    """k = the smallest of 1, 2, 5, 10, 20, ... with steps / k <= 10^4: at most 10^4 + 2 rows, and
    the next smaller choice would keep more."""
    candidates = [m * 10**e for e in range(12) for m in (1, 2, 5)]
    for steps in [0, 1, 9999, 10_000, 10_001, 123_456, 10**6, 10**9, 999_999_999]:
        k = default_record_every(steps)
        assert k in candidates and recorded_rows(steps, k) <= DEFAULT_RECORD_ROWS + 2
        assert all(steps > DEFAULT_RECORD_ROWS * c for c in candidates if c < k)


ENGINE_CASES = [("np", "full"), ("np", "sampled:16"), ("np", "dataset:40,8"), ("np", "cyclic:3"),
                ("mp", "full"), ("mp", "sampled:8"), ("mp", "cyclic:3"),
                ("arb", "full"), ("arb", "sampled:8"), ("arb", "cyclic:3"),
                ("exact", "full"), ("exact", "sampled:4")]


@settings(max_examples=25)
@given(case=st.sampled_from(ENGINE_CASES), steps=st.integers(0, 40), every=st.integers(1, 17),
       eta=st.sampled_from(["1", "1/2", "3"]))
def test_record_every_keeps_the_very_rows_of_a_full_record(case, steps, every, eta):
    """The rows kept with record_every = k are the rows t = 0, k, 2k, ..., T of the full record,
    with the same w_t (the loop is the same; only what is kept differs)."""
    name, batch = case
    if name == "exact":
        steps = min(steps, 6)
    eng = get_engine(name)
    tr = make_training(eta=eta, batch=batch, seed=5)
    full = eng.run(INTERVAL, tr, steps, record_every=1, population=False)
    kept = eng.run(INTERVAL, tr, steps, record_every=every, population=False)
    want = [t for t in full.ts if t % every == 0 or t == full.ts[-1]]
    assert kept.ts == want
    by_t = dict(zip(full.ts, full.ws))
    for t, v in zip(kept.ts, kept.ws):
        if name == "arb":
            assert (v.mid(), v.rad()) == (by_t[t].mid(), by_t[t].rad())
        else:
            assert v == by_t[t]
    assert kept.meta["record_every"] == every


@pytest.mark.parametrize("name", ["np", "mp", "arb", "exact"])
def test_a_record_over_the_limit_is_refused_before_the_first_step(name):
    t0 = time.perf_counter()
    with pytest.raises(InputError, match=r"record_every: .* rows .* over the limit") as exc:
        get_engine(name).run(INTERVAL, make_training(), 10**9, record_every=1)
    assert time.perf_counter() - t0 < 1
    assert str(RECORD_BYTES.value) in str(exc.value)


def test_oversized_runs_are_refused_up_front_in_the_cli():
    code, _, err = pointwise(["run", "--engine", "np", "--steps", "3", "--batch", "dataset:10000000,10000000"], 30)
    ends_cleanly(code, err, "exceeds the limit")
    code, _, err = pointwise(["run", "--engine", "mp", "--steps", "1000000000", "--record-every", "1"], 30)
    ends_cleanly(code, err, "--record-every")
    code, _, err = pointwise(["crosscheck", "--steps", "1000000000"], 30)
    ends_cleanly(code, err, "--steps")


SLOW = pytest.mark.slow


@pytest.mark.parametrize("engine", ["np", pytest.param("mp", marks=SLOW), pytest.param("arb", marks=SLOW)])
def test_a_billion_steps_run_in_bounded_memory_and_sigterm_ends_them_within_a_second(engine):
    """Within the documented step limit: runs (memory bounded by the kept rows), and SIGTERM
    ends it with one line and 143 within a second."""
    p = start(["run", "--engine", engine, "--steps", "1000000000"])
    time.sleep(3)
    assert p.poll() is None, p.communicate()[1]
    rss = int(next(ln for ln in Path(f"/proc/{p.pid}/status").read_text().splitlines()
                   if ln.startswith("VmRSS")).split()[1]) * 1024
    t0 = time.perf_counter()
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=10)
    assert time.perf_counter() - t0 < 1.0
    assert p.returncode == 143 and err.strip().splitlines() == [
        "pointwise: terminated (SIGTERM); nothing half-written was left"], err
    assert rss < 400 * 2**20, rss


@pytest.mark.slow
def test_ten_million_steps_in_bounded_memory(tmp_path):
    """10^7 steps of the np engine under the 1 GB cap, written to a file: 10^4 rows kept (the
    default record_every = 1000) and streamed to the file."""
    out = tmp_path / "t.csv"
    code, stdout, err = pointwise(["run", "--engine", "np", "--steps", "10000000", "--batch", "sampled:1",
                                   "-o", str(out)], 900)
    ends_cleanly(code, err)
    rows = [ln for ln in out.read_text().splitlines() if ln and not ln.startswith("#")]
    assert len(rows) == 1 + 10_001 and rows[-1].startswith("10000000,")
    assert stdout.startswith("t=10000000 ")


# ============================================================ 2. no unproved negative claim

@functools.cache
def _rate_inputs(eta):
    from relu_pointwise.proofs.lemmas import entry_claim, growth_claim
    from relu_pointwise.symbolic.loss import derive

    d = derive(INTERVAL)
    tr = make_training(eta=eta)
    _, growth = growth_claim(d, tr.eta)
    _, entry = entry_claim(d, tr, None)
    return d, tr, growth, entry


@settings(max_examples=40)
@given(eta=st.sampled_from(["1", "1/3", "10", str(10**50)]), widths=st.lists(st.fractions(0, 1), min_size=1,
                                                                             max_size=4),
       lower=st.booleans())
def test_the_rate_check_claims_no_violation_the_true_values_do_not_have(eta, widths, lower):
    """Enclosures [lo, hi] of true losses that satisfy the proved bound (here: the bound itself,
    the worst true value) never make the rate claim fail, however wide they are; the claim says
    'undecided' where they are too wide to compare."""
    from relu_pointwise.proofs.lemmas import rate_claim

    d, tr, growth, entry = _rate_inputs(eta)
    W, G, t0 = mpq(entry.w_lower), mpq(str(3 * tr.eta * growth.c)), entry.t0
    n = 60
    losses = []
    for t in range(n + 1):
        true = mpq(1, 10**6) if t < t0 else mpq(str(growth.Cbar)) / _cube_root_up(W ** 3 + G * (t - t0))
        wd = mpq(widths[t % len(widths)].numerator, widths[t % len(widths)].denominator) * true
        losses.append((true - wd if lower else true, true + wd))
    c = rate_claim(d, tr, growth, entry, losses)
    assert c.status == "proved", c.statement
    assert "VIOLATED" not in c.statement


def _cube_root_up(x: mpq) -> mpq:
    """A rational >= x^(1/3) (so bound / it <= the bound)."""
    import gmpy2

    r = mpq(int(gmpy2.iroot(int(x.numerator), 3)[0]) + 1, 1) / mpq(int(gmpy2.iroot(int(x.denominator), 3)[0]), 1)
    assert r ** 3 >= x
    return r


def test_a_real_violation_is_still_claimed():
    """Losses whose lower ends exceed the bound: proved violated (the check can fail)."""
    from relu_pointwise.proofs.lemmas import rate_claim

    d, tr, growth, entry = _rate_inputs("1")
    losses = [(mpq(10), mpq(11))] * 50
    c = rate_claim(d, tr, growth, entry, losses)
    assert c.status == "failed" and "VIOLATED" in c.statement and "lower end" in c.statement


def test_a_batch_loss_enclosure_reaching_below_zero_is_no_contradiction():
    from relu_pointwise.proofs.lemmas.minibatch import batch_losses_claim

    tr = make_training(batch="sampled:4")
    assert batch_losses_claim([(mpq(-1, 10**30), mpq(1, 4)), (mpq(0), mpq(1, 5))], tr).status == "enclosed"
    assert batch_losses_claim([(mpq(-2), mpq(-1))], tr).status == "failed"     # proved negative: a real one


@pytest.mark.parametrize("eta", [str(10**300), pytest.param(str(10**120), marks=SLOW),
                                 pytest.param("1" + "0" * 300 + "/7", marks=SLOW)])
def test_huge_eta_certifies_and_verifies(eta, tmp_path):
    """eta = 10^300 and its kin: each step adds exactly 3 eta c to w^3 (plus positive terms): no
    violation; the certificate that certify wrote is one verify reads."""
    code, out, err = pointwise(["certify", "--eta", eta, "--out", str(tmp_path / "c"), "--no-plots"], 120)
    ends_cleanly(code, err)
    assert code == 0 and "VIOLATED" not in out
    cert = json.loads((tmp_path / "c" / "certificate.json").read_text())
    assert all(c["status"] != "failed" for c in cert["claims"])
    code, out, err = pointwise(["verify", str(tmp_path / "c" / "certificate.json")], 120)
    ends_cleanly(code, err)
    assert code == 0, out[-2000:]


# ============================================================ 3. hangs and tracebacks

def _fifo(tmp_path: Path, name: str) -> Path:
    p = tmp_path / name
    os.mkfifo(p)
    return p


@pytest.mark.parametrize("argv,name", [
    (["verify", "{f}"], "cert.json"),
    (["derive", "--spec", "{f}"], "spec.toml"),
    (["derive", "--spec", "{f}"], "spec.json"),
    (["run", "--engine", "np", "--steps", "2", "--batch", "dataset:4,2", "--data", "{f}"], "d.npy"),
    (["sweep", "{f}", "--out", "o"], "s.toml"),
])
def test_a_fifo_is_refused_not_waited_on(argv, name, tmp_path, capsys, monkeypatch):
    f = _fifo(tmp_path, name)
    monkeypatch.chdir(tmp_path)
    code, _, err = inproc([a.replace("{f}", str(f)) for a in argv], capsys, 10)
    ends_cleanly(code, err)
    assert code == 2


def test_a_fifo_in_an_outputs_place_is_refused(tmp_path, capsys):
    _fifo(tmp_path, "certificate.json")
    code, _, err = inproc(["certify", "--out", str(tmp_path)], capsys, 30)
    ends_cleanly(code, err)
    assert code == 2


def _box(d: int) -> str:
    return "box:" + ";".join(["-1/2,1/2"] * d)


@pytest.mark.parametrize("target", [
    _box(13), _box(14), _box(16),
    "halfspace:" + ",".join(["1"] * 20) + ",1/2",
    "polytope:" + ";".join(",".join("1" if j == i % 16 else "0" for j in range(16)) + ",1/2" for i in range(32)),
    # 16 faces in 6-D: an estimated 37325 regions, over the default limit of 30000
    "polytope:" + ";".join(",".join(("1" if i % 2 else "-1") if j == i % 6 else "0" for j in range(6)) + ",1/2"
                           for i in range(16)),
])
def test_high_dimensional_targets_are_refused_with_their_estimate(target, capsys):
    t0 = time.perf_counter()
    code, _, err = inproc(["derive", "--target", target, "--w", "3"], capsys, 15)
    line = ends_cleanly(code, err)
    assert code == 2 and ("exceeds the limit" in line or "exceed the limit" in line)
    assert time.perf_counter() - t0 < 15


@settings(max_examples=20)
@given(d=st.integers(1, 30), a=st.lists(st.integers(-3, 3), min_size=30, max_size=30), c=st.integers(-4, 4))
def test_one_half_space_in_any_dimension_is_decided_at_once(d, a, c):
    """make_spec of a half-space: refused by dimension, or its emptiness decided by the box's
    extreme values (instant), matching the corner test."""
    coeffs = a[:d]
    text = "halfspace:" + ",".join(map(str, coeffs)) + f",{c}/4"
    t0 = time.perf_counter()
    try:
        make_spec(text)
        ok = True
    except InputError as exc:
        ok = False
        msg = str(exc)
    assert time.perf_counter() - t0 < 2
    if d > 12 or not any(coeffs):
        return
    lo = sum(min(-abs(x), abs(x)) for x in coeffs) / 2       # the box [-1/2, 1/2]^d
    hi = -lo
    if ok:
        assert lo < sympy.Rational(c, 4) <= hi
    else:
        assert not lo < sympy.Rational(c, 4) <= hi or "limit" in msg


@pytest.mark.parametrize("flag,value", [pytest.param("--w0", "9" * 3000, marks=SLOW), ("--eta", "0." + "3" * 3990),
                                        pytest.param("--eta", "1" + "0" * 3990, marks=SLOW)])
def test_huge_numbers_end_in_one_line_or_an_answer(flag, value, tmp_path):
    code, out, err = pointwise(["certify", flag, value, "--out", str(tmp_path / "c")], 120)
    ends_cleanly(code, err)
    if code == 0:     # whatever certify wrote, verify reads
        code, out, err = pointwise(["verify", str(tmp_path / "c" / "certificate.json")], 120)
        ends_cleanly(code, err)
        assert code == 0, out[-1000:]


# ============================================================ 4. outputs and signals

def test_outputs_are_all_or_nothing_when_a_folder_is_in_the_way(tmp_path, capsys):
    out = tmp_path / "D"
    (out / "certificate.json").mkdir(parents=True)
    code, _, err = inproc(["certify", "--force", "--out", str(out)], capsys, 60)
    ends_cleanly(code, err, "folder")
    assert sorted(p.name for p in out.iterdir()) == ["certificate.json"]


def test_an_empty_out_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = inproc(["certify", "--out", ""], capsys, 30)
    ends_cleanly(code, err, "empty")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_after_the_outputs_are_complete_still_ends_with_one_line(sig, code):
    """The script's main() returns, then the signal arrives (here: sent by the process to itself
    before exiting): exit 128 + signal, one line, and what the command printed is all there."""
    prog = ("import os, sys, time\n"
            "sys.argv = ['pointwise', 'network']\n"
            "from relu_pointwise.cli import main\n"
            "c = main()\n"
            f"os.kill(os.getpid(), {int(sig)})\n"
            "time.sleep(5)\n"
            "sys.exit(c)\n")
    p = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True, timeout=60, env=_env(),
                       preexec_fn=_limit_memory)
    assert p.returncode == code, p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and "after the command finished" in p.stderr
    assert "network for target" in p.stdout


SWEEP = """task = "run"
[base]
target = "interval:-1/2,1/2"
batch = "sampled:64"
steps = 200000
engine = "mp"
[axes]
seeds = {count = 40}
"""


@pytest.mark.slow
@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_an_interrupted_local_cluster_shuts_down_quietly(sig, code, tmp_path):
    """Ctrl-C reaches the whole process group (workers too), SIGTERM only the main process:
    either way one line, no worker tracebacks or warnings, and the workers gone."""
    (tmp_path / "s.toml").write_text(SWEEP)
    p = subprocess.Popen([sys.executable, "-m", "relu_pointwise.cli", "sweep", "s.toml", "--out", "o", "--workers",
                          "2", "--no-plots"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=_env(), start_new_session=True)
    time.sleep(12)
    t0 = time.perf_counter()
    if sig == signal.SIGINT:
        os.killpg(p.pid, sig)
    else:
        p.send_signal(sig)
    _, err = p.communicate(timeout=60)
    assert p.returncode == code, err[-2000:]
    assert len(err.strip().splitlines()) == 1, err[-3000:]
    assert time.perf_counter() - t0 < 5


@pytest.mark.parametrize("target", ["interval:-1/2,1/2", "box:-1/2,1/2;-1/4,3/4"])
def test_the_stall_of_a_large_dataset_screened_in_float_is_the_exact_one(target, monkeypatch):
    """A dataset over EXACT_ALL points is screened by the float forward pass before its exact
    levels: the same exact min |g(x_i)|, theta and largest data error as reading every point."""
    from relu_pointwise.numeric import stall
    from relu_pointwise.numeric.batches import BatchSchedule

    spec = make_spec(target)
    pts = BatchSchedule(spec, make_training(batch="dataset:900,10", seed=3), 1).data
    monkeypatch.setattr(stall, "EXACT_ALL", 100)
    screened = stall.dataset_stall(spec, pts, 1.5)
    monkeypatch.setattr(stall, "EXACT_ALL", 10**9)
    exact = stall.dataset_stall(spec, pts, 1.5)
    for key in ("N", "min_abs_g", "theta", "max_data_error", "below_theta"):
        assert screened[key] == exact[key], key


HUGE = "9" * 400


@pytest.mark.parametrize("argv,field", [
    (["run", "--engine", "np", "--steps", "5", "--eta", HUGE], "--eta"),
    (["run", "--engine", "np", "--steps", "5", "--w0", HUGE], "--w0"),
    (["run", "--engine", "np", "--steps", "5", "--batch", "sampled:4", "--domain", f"-{HUGE},1"], "--domain"),
    (["crosscheck", "--steps", "5", "--eta", HUGE], "--eta"),
    (["certify", "--domain", f"-{HUGE},1", "--out", "o"], "--domain"),
])
def test_numbers_beyond_a_double_are_one_line_where_doubles_are_needed(argv, field, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = inproc(argv, capsys, 60)
    ends_cleanly(code, err, field, "beyond float64's range")


@pytest.mark.parametrize("engine", ["mp", "arb"])
def test_huge_numbers_run_in_the_arbitrary_precision_engines(engine, capsys):
    code, out, err = inproc(["run", "--engine", engine, "--steps", "5", "--w0", HUGE], capsys, 60)
    ends_cleanly(code, err)
    assert code == 0 and out.startswith("t=5 ")


# ============================================================ the fuzz over every family

NUMBERS = st.sampled_from(["1", "1/3", "0", "-1", str(10**300), "9" * 400, "0." + "3" * 3990, "1" + "0" * 3990,
                           "1e9", "nan"])
STEPS = st.sampled_from(["0", "1", "10", "1000000", "1000000000", "1000000001", "-1", "1e9", "1.5"])
BATCHES = st.sampled_from(["full", "sampled:1", "sampled:1000000", "sampled:1000001", "dataset:10000000,10000000",
                           "dataset:1000000,1000000", "dataset:40,8", "cyclic:3", "cyclic:0", "sampled:0"])
TARGETS = st.sampled_from(["interval:-1/2,1/2", _box(13), _box(6), "halfspace:" + ",".join(["1"] * 20) + ",1/2",
                           "halfspace:" + ",".join(["1"] * 12) + ",1/2", "ball:d=2,R=1/2"])


@st.composite
def hostile_commands(draw) -> list[str]:
    kind = draw(st.sampled_from(["run", "crosscheck", "certify", "derive"]))
    if kind == "derive":
        return ["derive", "--target", draw(TARGETS), "--w", draw(NUMBERS)]
    argv = [kind, "--eta", draw(NUMBERS), "--w0", draw(NUMBERS)]
    if draw(st.booleans()):
        argv += ["--batch", draw(BATCHES)]
    if kind == "certify":
        return argv + ["--out", draw(st.sampled_from(["", "out"])), "--no-plots"]
    argv += ["--steps", draw(STEPS)]
    if kind == "run":
        argv += ["--engine", draw(st.sampled_from(["np", "mp", "arb", "exact"]))]
        if draw(st.booleans()):
            argv += ["--record-every", draw(st.sampled_from(["0", "1", "7", "1000000000", "10000000000"]))]
    return argv


def _ends_within(argv: list[str], cap: float, cwd: Path) -> None:
    """One line (or an answer) within ``cap`` seconds under the memory cap; a run still going at
    the cap (a long but valid one) must answer SIGTERM within a second, with 143 and one line."""
    p = start(argv, cwd)
    try:
        out, err = p.communicate(timeout=cap)
    except subprocess.TimeoutExpired:
        t0 = time.perf_counter()
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=30)
        assert time.perf_counter() - t0 < 1.5, argv
        assert p.returncode == 143 and len(err.strip().splitlines()) == 1, (argv, err[-2000:])
        return
    ends_cleanly(p.returncode, err)


@settings(max_examples=3)
@given(argv=hostile_commands())
def test_fuzz_hostile_commands_end_in_one_line_or_an_answer(argv, tmp_path_factory):
    _ends_within(argv, 4, tmp_path_factory.mktemp("fuzz"))


@pytest.mark.slow
@settings(max_examples=120)
@given(argv=hostile_commands())
def test_fuzz_hostile_commands_many(argv, tmp_path_factory):
    _ends_within(argv, 20, tmp_path_factory.mktemp("fuzz"))


def test_the_exact_engine_stops_when_its_kept_rows_reach_the_limit(monkeypatch):
    """Exact digits grow with the steps, so the exact engine bounds its kept rows as it goes: it
    stops (complete = False, the reason named) instead of growing past RECORD_BYTES."""
    from relu_pointwise.numeric import exact_engine
    from relu_pointwise.symbolic.limits import Limit

    monkeypatch.setattr(exact_engine, "RECORD_BYTES", Limit("test", 3000, "bytes"))
    traj = get_engine("exact").run(INTERVAL, make_training(batch="sampled:4"), 40, record_every=1, population=False)
    assert traj.meta["complete"] is False and "kept rows" in traj.meta["reason"]
    assert 0 < traj.steps_done < 40
    full = get_engine("exact").run(INTERVAL, make_training(batch="sampled:4"), traj.steps_done, record_every=1,
                                   population=False)
    assert full.ws == traj.ws
