"""The float engine's mini-batch descent against an idiomatic JAX jit and the sampling floor.  Not a test.

    python benchmarks/bench_fused.py                  # about 2 minutes; writes benchmarks/results_fused.json
    python benchmarks/bench_fused.py --reps 2         # a smoke run

Cases: r = 2, eta = 1, w_0 = 0, seed 0, only w_0 and w_T recorded, on ``interval:-1/2,1/2``
and ``ball:d=2,R=1/2,N=4`` at ``sampled:1024`` and ``sampled:65536``.  Contenders:

* ``np (public)``: ``get_engine("np").run(spec, training, steps, record_every=steps,
  population=False)``: the package's public call; the fused numba kernel when numba is
  installed (numeric/np_fused.py);
* ``np reference``: ``run_np(..., fused=False, losses=False)``: the plain NumPy head pass;
* ``jax (idiomatic)``: a jit of ``lax.scan`` over the steps, points from ``jax.random``
  (JAX's own generator), the forward pass and ``jax.grad`` of the mean loss, float64; the
  same network and labels (interval ends, |x|^2 < R^2), not the same points;
* ``floor``: the Philox draw of the points alone (``BatchSchedule.draw_block`` in the
  engine's blocks), which every engine drawing the package's points must pay.

One process, one thread (OPENBLAS/OMP_NUM_THREADS=1, XLA single-threaded), every
contender warmed up once at the same length (numba and XLA compile excluded); then
``--reps`` rounds, each timing all contenders of a case back to back in a shuffled order,
so they see the same load.  Reported: median seconds, steps/s, and the per-round ratio
to the public np call (median, min, max); the load average before and after.
"""
from __future__ import annotations

import os

for _k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_k] = "1"
os.environ["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CASES = [("interval", "interval:-1/2,1/2", 1024, 4000), ("interval", "interval:-1/2,1/2", 65536, 200),
         ("deep ball N=4", "ball:d=2,R=1/2,N=4", 1024, 1500), ("deep ball N=4", "ball:d=2,R=1/2,N=4", 65536, 40)]


def _jax_run(spec: Any, M: int, steps: int) -> Callable[[], float] | None:
    try:
        import jax
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    from relu_pointwise.numeric.np_engine import engine_for

    net = engine_for(spec).net
    Ws = [jnp.asarray(W) for W in net.W]
    bs = [jnp.asarray(b) for b in net.b]
    v, c = jnp.asarray(net.v), float(net.c)
    hb, ho = jnp.asarray(net.hb), jnp.asarray(net.ho)
    lo = jnp.asarray([float(a) for a in spec.domain.lo])
    hi = jnp.asarray([float(b) for b in spec.domain.hi])
    d = spec.dim
    if d == 1:
        def label(X):                                   # the interval (-1/2, 1/2)
            return ((X[:, 0] > -0.5) & (X[:, 0] < 0.5)).astype(jnp.float64)
    else:
        def label(X):                                   # the disc |x|^2 < 1/4
            return (jnp.sum(X * X, axis=1) < 0.25).astype(jnp.float64)

    def loss(w, X, fo):
        h = X
        for W, b in zip(Ws, bs):
            h = jax.nn.relu(h @ W.T + b)
        g = h @ v + c
        f = jax.nn.relu(w * g[:, None] + hb) @ ho
        return jnp.mean((f - fo) ** 2)

    def step(carry, _):
        w, key = carry
        key, sub = jax.random.split(key)
        X = lo + (hi - lo) * jax.random.uniform(sub, (M, d), dtype=jnp.float64)
        w = w - 1.0 * jax.grad(loss)(w, X, label(X))
        return (w, key), None

    @jax.jit
    def descend(key):
        (w, _), _ = jax.lax.scan(step, (jnp.float64(0.0), key), None, length=steps)
        return w

    key = jax.random.PRNGKey(0)
    return lambda: float(descend(key).block_until_ready())


def build(spec_text: str, M: int, steps: int) -> dict[str, Callable[[], object] | None]:
    from relu_pointwise.numeric.batches import BatchSchedule
    from relu_pointwise.numeric.engines import get_engine
    from relu_pointwise.numeric.np_engine import run_np
    from relu_pointwise.symbolic.spec import make_spec, make_training

    spec = make_spec(spec_text)
    tr = make_training(batch=f"sampled:{M}", seed=0)
    eng = get_engine("np")
    block = max(1, min(steps + 1, (1 << 16) // M))       # the engine's block (numeric/np_engine._run_points)
    buf = np.empty((block, M, spec.dim))

    def floor() -> None:
        sched = BatchSchedule(spec, tr, steps + 1)
        for t in range(0, steps + 1, block):
            n = min(steps + 1, t + block) - t
            sched.draw_block(t, t + n, buf[:n])

    return {
        "np (public)": lambda: eng.run(spec, tr, steps, record_every=steps, population=False),
        "np reference": lambda: run_np(spec, tr, steps, record_every=steps, losses=False, fused=False),
        "jax (idiomatic)": _jax_run(spec, M, steps),
        "floor (Philox draw)": floor,
    }


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=9)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results_fused.json"))
    args = ap.parse_args()
    from relu_pointwise.numeric import np_fused

    out: dict[str, Any] = {"load_before": load(), "numba": np_fused.AVAILABLE, "cases": {}}
    for name, spec_text, M, steps in CASES:
        label = f"{name} sampled:{M} ({steps} steps)"
        runs = build(spec_text, M, steps)
        secs: dict[str, list[float]] = {k: [] for k, r in runs.items() if r is not None}
        for r in runs.values():
            if r is not None:
                r()                                             # warm-up: compile, caches
        for _ in range(args.reps):
            order = [k for k in secs]
            random.shuffle(order)
            for k in order:
                t0 = time.perf_counter()
                runs[k]()                                       # type: ignore[misc]
                secs[k].append(time.perf_counter() - t0)
        pub = secs["np (public)"]
        rows = {}
        for k, s in secs.items():
            ratios = [p / x for p, x in zip(pub, s)]            # > 1: k is faster than the public np call
            rows[k] = {"median_s": statistics.median(s), "steps_per_s": steps / statistics.median(s),
                       "speed_vs_np_public": [statistics.median(ratios), min(ratios), max(ratios)]}
        out["cases"][label] = {"rows": rows, "skipped": [k for k, r in runs.items() if r is None]}
        print(label)
        for k, row in rows.items():
            m, a, b = row["speed_vs_np_public"]
            print(f"  {k:22s} {row['steps_per_s']:10.0f} steps/s   x{m:.2f} ({a:.2f}-{b:.2f}) vs np public")
    out["load_after"] = load()
    print("load before/after:", out["load_before"], out["load_after"])
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
