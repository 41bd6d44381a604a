"""Sweeps on Dask: the sweep file, resumes, failing tasks, killed workers, the dataset.

Most tests share one in-process Dask cluster (threads: it starts in well under a
second); one test uses a real cluster of worker processes and kills one mid-sweep.
"""
from __future__ import annotations

import json
import os
import signal
import threading
import time
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("dask.distributed", reason="sweeps need the [sweep] extra (dask[distributed])")
pytest.importorskip("pandas", reason="sweeps need the [sweep] extra (pandas)")
pytest.importorskip("pyarrow", reason="sweeps need the [sweep] extra (pyarrow)")

from relu_pointwise.cli import main
from relu_pointwise.sweeps import load_results, plan_sweep, run_sweep
from relu_pointwise.sweeps.summary import rate_exponent
from relu_pointwise.sweeps.tasks import task_id
from relu_pointwise.symbolic.errors import InputError

SEEDS = {"task": "run",
         "base": {"target": "interval:-1/2,1/2", "batch": "sampled:16", "steps": 300, "points": "1/4,3/4"},
         "axes": {"eta": ["1", "1/2"], "seeds": {"count": 3}}}


@pytest.fixture(scope="module")
def client():
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0")
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


def test_seed_sweep_dataset_and_resume(client, tmp_path):
    """A 2 x 3 product sweep: one row per task indexed by (eta, seed); a rerun skips all
    six; a deleted record, a truncated record and a stray temporary file make exactly the
    two damaged tasks run again (a half-written record is never trusted)."""
    out = tmp_path / "o"
    r1 = run_sweep(SEEDS, out, client=client, plots=False)
    assert r1.line() == "6 tasks: 6 ok, 0 not certified, 0 failed, 0 skipped"
    df = load_results(out)
    assert list(df.index.names) == ["eta", "seed"] and len(df) == 6
    assert set(df.index.get_level_values("eta")) == {"1", "1/2"}
    assert (df["outcome"] == "ok").all() and df["task_id"].is_unique
    # w_t nondecreasing, w_T its last value, t* and T(x) read off the same path
    for _, row in df.iterrows():
        assert list(row["w"]) == sorted(row["w"]) and row["w"][-1] == row["w_T"]
        assert row["t"][-1] == 300 and row["w_star"] == 1.0
        assert row["T(x=1/4)"] == row["T(x=3/4)"] >= row["t_star"] > 0
    xr = pytest.importorskip("xarray")
    ds = df.drop(columns=["t", "w"]).to_xarray()
    assert isinstance(ds, xr.Dataset) and dict(ds.sizes) == {"eta": 2, "seed": 3}

    r2 = run_sweep(SEEDS, out, client=client, plots=False)
    assert r2.line() == "6 tasks: 0 ok, 0 not certified, 0 failed, 6 skipped"

    recs = sorted((out / "tasks").glob("*.json"))
    assert len(recs) == 6
    recs[0].unlink()
    text = recs[1].read_text()
    recs[1].write_text(text[: len(text) // 2])                      # a torn write
    (out / "tasks" / ".tmp-x.json-abc").write_text(text[:10])       # a writer killed before its rename
    r3 = run_sweep(SEEDS, out, client=client, plots=False)
    assert r3.line() == "6 tasks: 2 ok, 0 not certified, 0 failed, 4 skipped"
    df3 = load_results(out)
    assert df3["task_id"].is_unique and (df3["outcome"] == "ok").all()
    timing = ["seconds", "cpu_seconds", "worker"]
    assert df3.drop(columns=timing).equals(df.drop(columns=timing))


def test_failing_task_recorded_and_sweep_goes_on(client, tmp_path):
    """The exact engine has no rational map for a mini-batch step with r = 3/2 ((1/2 - w|g|)^(3/2)
    is not rational in w): those tasks record the engine's error, the np tasks of the same sweep finish."""
    sweep = {"task": "run", "base": {"target": "interval:-1/2,1/2", "r": "3/2", "batch": "sampled:4", "steps": 5},
             "axes": {"engine": ["exact", "np"], "eta": ["1", "2"]}}
    res = run_sweep(sweep, tmp_path / "o", client=client, plots=False)
    assert res.line() == "4 tasks: 2 ok, 0 not certified, 2 failed, 0 skipped"
    df = load_results(tmp_path / "o")
    bad = df.xs("exact", level="engine")
    assert (bad["outcome"] == "error").all()
    assert bad["message"].str.contains("is not rational in w").all()
    good = df.xs("np", level="engine")
    assert (good["outcome"] == "ok").all() and (good["w_T"] > 0).all()
    # a rerun keeps recorded errors (finished), unless asked to retry them
    again = run_sweep(sweep, tmp_path / "o", client=client, plots=False, retry_failed=True)
    assert again.line() == "4 tasks: 0 ok, 0 not certified, 2 failed, 2 skipped"


def _pids(client) -> dict[str, int]:
    return client.run(os.getpid)


def test_killed_worker_every_result_once(tmp_path):
    """A real cluster of two worker processes; one is killed (SIGKILL) after the first
    record arrives.  Dask reruns its task elsewhere; afterwards every task has exactly
    one record and one row, all ok."""
    from dask.distributed import Client, LocalCluster

    sweep = {"task": "run", "chunk": 1,
             "base": {"target": "interval:-1/2,1/2", "batch": "sampled:32", "steps": 4000},
             "axes": {"seeds": {"count": 6}}}
    out = tmp_path / "o"
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as c:
        box: dict = {}
        th = threading.Thread(target=lambda: box.setdefault("res", run_sweep(sweep, out, client=c, plots=False)))
        th.start()
        deadline = time.monotonic() + 60
        while not list((out / "tasks").glob("*.json")) and time.monotonic() < deadline:
            time.sleep(0.02)
        victim = min(_pids(c).values())
        os.kill(victim, signal.SIGKILL)
        killed_with = len(list((out / "tasks").glob("*.json")))
        th.join(120)
        assert not th.is_alive()
    assert 1 <= killed_with < 6          # the kill came mid-sweep
    res = box["res"]
    assert res.line() == "6 tasks: 6 ok, 0 not certified, 0 failed, 0 skipped"
    df = load_results(out)
    assert len(df) == 6 and df["task_id"].is_unique and (df["outcome"] == "ok").all()
    assert len(list((out / "tasks").glob("*.json"))) == 6
    assert not list((out / "tasks").glob(".tmp-*"))


BAD = [
    ({"task": "train"}, "sweep: task: must be one of run, certify, crosscheck"),
    ({"axes": {"eta": []}}, "sweep: axes.eta: is an empty list"),
    ({"axes": {"eta": ["1", "-1"]}}, "sweep: axes.eta: eta: the step size must be > 0"),
    ({"axes": {"eta": {"start": 1, "stop": 2}}}, "sweep: axes.eta: a range needs start, stop and step"),
    ({"axes": {"nope": [1]}}, "sweep: axes.nope: not a sweepable key"),
    ({"axes": {"seeds": {"count": 0}}}, "sweep: axes.seeds.count: must be a positive integer"),
    ({"base": {"target": "interval:3,1"}}, "sweep: base.target:"),
    ({"base": {"steps": "ten"}}, "sweep: base.steps: must be an integer"),
    ({"mode": "zip", "axes": {"eta": ["1", "2"], "seeds": {"count": 3}}}, "sweep: axes.seed: mode zip needs equal"),
    ({"extra": 1}, "sweep: extra: unknown key"),
    ({"task": "certify", "axes": {"engine": ["np"]}}, "sweep: axes.engine: engine is for run tasks"),
]


@pytest.mark.parametrize("sweep, start", BAD)
def test_bad_sweep_file_one_line_naming_the_key(sweep, start, tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(sweep))
    with pytest.raises(InputError) as info:
        plan_sweep(sweep)
    assert str(info.value).startswith(start)
    assert main(["sweep", str(path), "--out", str(tmp_path / "o"), "--scheduler", "sync"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("pointwise: error: " + start)


def test_bad_toml_and_missing_file(tmp_path, capsys):
    p = tmp_path / "s.toml"
    p.write_text("task = run\n")
    assert main(["sweep", str(p), "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.startswith("pointwise: error: sweep: file: s.toml is not valid TOML")
    assert main(["sweep", str(tmp_path / "none.toml"), "--out", str(tmp_path / "o")]) == 2
    assert "sweep: file: cannot read" in capsys.readouterr().err


def test_cli_zip_sweep_last_line(tmp_path, capsys):
    """mode = "zip" pairs the i-th values; the last stdout line is the counts."""
    p = tmp_path / "s.toml"
    p.write_text('task = "run"\nmode = "zip"\n[base]\nsteps = 20\n'
                 '[axes]\neta = [1, 0.5]\nw0 = {start = 0, stop = 1, step = "1/2"}\n')
    assert main(["sweep", str(p), "--out", str(tmp_path / "o"), "--scheduler", "sync", "--no-plots"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1] == "2 tasks: 2 ok, 0 not certified, 0 failed, 0 skipped"
    df = load_results(tmp_path / "o")
    assert list(df.index) == [("1", "0"), ("1/2", "1/2")]


def test_certify_task_reads_the_certificate(tmp_path):
    """Reference (docs/mathematics.md, section 3, interval (-1/2,1/2), r = 2, eta = 1, w0 = 0): w* = 1,
    c = Cbar = C = 1/12; at x = 1/4, |g| = 1/4, so T(x) = min{t : w_t >= 2}."""
    res = run_sweep({"task": "certify", "base": {"steps": 200, "points": "1/4"}, "axes": {"eta": ["1"]}},
                    tmp_path / "o", scheduler="sync", plots=False)
    assert res.line() == "1 tasks: 1 ok, 0 not certified, 0 failed, 0 skipped"
    row = load_results(tmp_path / "o").iloc[0]
    assert row["verdict"] == "certified" and row["w_star"] == 1 and row["c"] == row["Cbar"] == 1 / 12
    cert = json.loads((tmp_path / "o" / row["certificate"]).read_text())
    pw = next(c for c in cert["claims"] if c["id"] == "pointwise:x=1/4")
    assert row["T(x=1/4)"] == int(pw["data"]["T_lo"])


@settings(max_examples=30)
@given(st.fractions(min_value=Fraction(1, 1000), max_value=100), st.integers(2, 9))
def test_task_id_is_canonical(eta, k):
    """One problem, two spellings (p/q and kp/kq), one task; another seed, another task."""
    s = {"target": "interval:-1/2,1/2", "domain": None, "r": "2", "measure": "probability", "w0": "0",
         "batch": "sampled:4", "seed": 0, "steps": 10, "engine": "np", "points": None}
    a = task_id("run", {**s, "eta": f"{eta.numerator}/{eta.denominator}"}, 64)
    b = task_id("run", {**s, "eta": f"{k * eta.numerator}/{k * eta.denominator}"}, 64)
    assert a == b
    assert task_id("run", {**s, "eta": str(eta), "seed": 1}, 64) != a


def test_rate_exponent_of_an_exact_power():
    """w_t = 5 t^(1/3) exactly: the log-log slope is 1/3 (up to rounding)."""
    t = [0, 1, 2, 5, 10, 50, 100, 400, 1000]
    assert rate_exponent(t, [5 * x ** (1 / 3) for x in t]) == pytest.approx(1 / 3, abs=1e-12)


def test_summary_over_seeds(tmp_path):
    """Quantiles of w_t / t^(1/3) over seeds approach (3 eta c)^(1/3) = (1/4)^(1/3) for the
    interval (c = 1/12, eta = 1); the fitted exponent is near 1/3."""
    sweep = {"task": "run", "base": {"target": "interval:-1/2,1/2", "batch": "sampled:32", "steps": 2000},
             "axes": {"seeds": {"count": 4}}}
    res = run_sweep(sweep, tmp_path / "o", scheduler="sync")
    assert [p.name for p in res.plots] == ["summary.json", "seeds_w_over_t13.png"]
    summ = json.loads((tmp_path / "o" / "summary.json").read_text())
    (g,) = summ["seeds"]
    assert abs(g["w_over_t13"]["q50"][-1] - 0.25 ** (1 / 3)) < 0.02
    assert abs(g["rate_exponent"]["q50"] - 1 / 3) < 0.02
    assert Path(tmp_path / "o" / "seeds_w_over_t13.png").stat().st_size > 1000


def test_heatmap_of_t_star_over_two_axes(tmp_path):
    """Two axes (eta, w0), full batch: the t* heat map.  Reference cell (interval
    (-1/2, 1/2), r = 2, eta = 1, w0 = 0): w* = 1 and, by exact rational iteration,
    w_6 < 1 <= w_7 = 201811/186624, so t* = 7."""
    sweep = {"task": "run", "base": {"steps": 40}, "axes": {"eta": ["1", "1/2"], "w0": ["0", "1/2"]}}
    res = run_sweep(sweep, tmp_path / "o", scheduler="sync")
    assert [p.name for p in res.plots] == ["summary.json", "heatmap_t_star.png", "heatmap_ok_share.png"]
    hm = json.loads((tmp_path / "o" / "summary.json").read_text())["heatmaps"]
    assert hm["axes"] == ["eta", "w0"] and hm["t_star"]["rows"] == ["1/2", "1"]
    assert hm["t_star"]["values"][1][0] == 7
    assert hm["ok_share"]["values"] == [[1.0, 1.0], [1.0, 1.0]]


def test_existing_scheduler_by_flag_and_by_dask_config(client, tmp_path, capsys):
    """--scheduler ADDRESS, or Dask's own configuration (scheduler-address, as set by
    DASK_SCHEDULER_ADDRESS), runs the sweep on that cluster instead of a new one."""
    import dask

    p = tmp_path / "s.json"
    p.write_text(json.dumps({"base": {"steps": 10}, "axes": {"eta": ["1", "2"]}}))
    addr = client.scheduler.address
    assert main(["sweep", str(p), "--out", str(tmp_path / "a"), "--scheduler", addr, "--no-plots"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "2 tasks: 2 ok, 0 not certified, 0 failed, 0 skipped"
    with dask.config.set({"scheduler-address": addr}):
        res = run_sweep(str(p), tmp_path / "b", plots=False)
    assert res.line() == "2 tasks: 2 ok, 0 not certified, 0 failed, 0 skipped"
    workers = set(load_results(tmp_path / "b")["worker"])
    assert workers == {f"{os.uname().nodename}:{os.getpid()}"}      # this process: the in-process cluster


@settings(max_examples=40)
@given(st.integers(1, 12), st.integers(1, 4), st.integers(1, 20))
def test_chunks_keep_seeds_whole(n_seeds, n_eta, chunk):
    """Every task in exactly one chunk; a seed's (eta) tasks in one chunk; a chunk exceeds
    ``chunk`` tasks only when it is one seed."""
    from relu_pointwise.sweeps.runner import make_chunks

    base = {"target": "t", "domain": None, "r": "2", "measure": "probability", "batch": "sampled:4",
            "steps": 5, "points": None, "engine": "np", "w0": "0"}
    pending = [(f"{s}-{e}", {**base, "seed": s, "eta": str(e + 1)}) for s in range(n_seeds) for e in range(n_eta)]
    chunks = make_chunks("run", pending, chunk)
    ids = [tid for ch in chunks for tid, _ in ch]
    assert sorted(ids) == sorted(tid for tid, _ in pending)
    for ch in chunks:
        seeds = {s["seed"] for _, s in ch}
        assert len(ch) <= chunk or len(seeds) == 1
        assert all(sum(1 for _, s in ch if s["seed"] == sd) == n_eta for sd in seeds)


def test_lost_chunk_is_recorded_and_rerun_by_the_next_resume(tmp_path):
    """A record marked transient (its Dask task was lost, e.g. KilledWorker after Dask's
    retries) is in the dataset as an error, and a resume runs that task again."""
    from relu_pointwise.sweeps.store import TaskStore

    sweep = {"base": {"steps": 5}, "axes": {"eta": ["1", "2"]}}
    run_sweep(sweep, tmp_path / "o", scheduler="sync", plots=False)
    store = TaskStore(tmp_path / "o")
    tid = load_results(tmp_path / "o")["task_id"].iloc[0]
    store.write({"task_id": tid, "outcome": "error", "message": "chunk lost: KilledWorker", "transient": True})
    res = run_sweep(sweep, tmp_path / "o", scheduler="sync", plots=False)
    assert res.line() == "2 tasks: 1 ok, 0 not certified, 0 failed, 1 skipped"
    assert (load_results(tmp_path / "o")["outcome"] == "ok").all()
