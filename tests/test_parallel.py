"""symbolic.parallel.pmap: the serial loop's results, in order, from a process pool; and a
certificate (and its LaTeX) byte-identical whether certify runs on 1 worker or 2."""
from __future__ import annotations

import multiprocessing
import os

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from relu_pointwise.proofs import certificate as C
from relu_pointwise.proofs.lemmas import fullbatch
from relu_pointwise.symbolic import export_latex, parallel, pushforward
from relu_pointwise.symbolic.spec import make_spec, make_training

Q = sympy.Rational

# with jax loaded (the optional engine's tests ran first) pmap stays serial: fork can deadlock it
needs_fork = pytest.mark.skipif("parallel.fork_unsafe()", reason="a fork-unsafe runtime (jax) is loaded")


def _square_or_fail(x: int) -> int:
    if x == -1:
        raise ValueError("item -1")
    return x * x + os.getpid() * 0     # computed in whichever process


@settings(max_examples=10)
@given(st.lists(st.integers(0, 10**6), min_size=0, max_size=40))
def test_pmap_is_the_serial_map(xs: list[int]) -> None:
    assert parallel.pmap(_square_or_fail, xs, min_items=2, n_workers=2) == [x * x for x in xs]


def test_pmap_raises_the_first_failure() -> None:
    with pytest.raises(ValueError, match="item -1"):
        parallel.pmap(_square_or_fail, [1, 2, -1, 3] * 5, min_items=2, n_workers=2)


@needs_fork
def test_pmap_runs_in_other_processes_and_closures_work() -> None:
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork start method")
    me = os.getpid()
    pids = parallel.pmap(lambda _: os.getpid(), list(range(8)), min_items=2, n_workers=2)
    assert me not in pids


def test_no_fork_once_jax_is_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    """JAX is multithreaded and warns that fork can deadlock it: pmap stays in the caller then."""
    import sys
    import types

    monkeypatch.setitem(sys.modules, "jax", types.ModuleType("jax"))
    assert parallel.workers() == 1
    assert parallel.pmap(lambda _: os.getpid(), [0, 1, 2, 3], min_items=1, n_workers=2) == [os.getpid()] * 4


def test_one_worker_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parallel.ENV, "1")
    assert parallel.workers() == 1
    assert parallel.pmap(lambda _: os.getpid(), [0, 1, 2], min_items=1) == [os.getpid()] * 3


@needs_fork
@pytest.mark.parametrize("target", ["box:-1/2,1/2;-1/2,1/2;-1/2,1/2", "ball:d=2,R=1/2,N=2"])
def test_certificate_byte_identical_with_1_and_2_workers(monkeypatch: pytest.MonkeyPatch, target: str) -> None:
    """The pool is forced on (thresholds 2) for every region and piece; the certificate's JSON and
    the LaTeX document are compared byte for byte with the serial run's."""
    monkeypatch.setattr(pushforward, "PARALLEL_CELLS", 2)
    monkeypatch.setattr(pushforward, "PARALLEL_CELLS_2D", 2)
    monkeypatch.setattr(export_latex, "PARALLEL_PIECES", 2)
    monkeypatch.setattr(fullbatch, "PARALLEL_VERTICES", 2)
    monkeypatch.setattr(fullbatch, "PARALLEL_PIECES", 2)
    out = {}
    for n in ("1", "2"):
        monkeypatch.setenv(parallel.ENV, n)
        b = C.build(make_spec(target), make_training(), steps=300)
        out[n] = (C.dumps(b.cert), export_latex.derivation_to_latex(b.derivation))
    assert out["1"] == out["2"]


@needs_fork
def test_workers_run_the_callers_current_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """A prover function replaced after import (as the mutation tests do) is replaced in the
    pool's workers too: each call forks afresh, so no worker runs stale code."""
    from relu_pointwise.symbolic.loss import derive

    cells = derive(make_spec("box:-1/2,1/2;-1/2,1/2;-1/2,1/2")).cells
    monkeypatch.setattr(pushforward, "PARALLEL_CELLS", 2)
    monkeypatch.setenv(parallel.ENV, "2")

    def injected(P: object, a: object, b: object) -> list:
        raise ArithmeticError(f"injected in {os.getpid()}")

    monkeypatch.setattr(pushforward, "affine_density_pieces", injected)
    with pytest.raises(ArithmeticError, match="injected in") as info:
        pushforward.signed_density(cells, Q(1))
    assert str(os.getpid()) not in str(info.value)        # raised in a worker, not here
