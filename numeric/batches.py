"""The shared mini-batches (docs/mathematics.md, section 4): every engine reads the same points.

A :class:`BatchSchedule` is built once from ``(spec, training, steps, data=None)``
and answers, for every step ``t = 0, 1, 2, ...``:

* ``full``          -- the whole domain (``schedule.cell(t)`` is the domain box);
* ``cyclic:K``      -- slab ``k = t mod K`` of K slabs of equal measure along x_1,
  exact bounds ``lo + (hi - lo) k / K`` and ``lo + (hi - lo) (k + 1) / K``
  (``schedule.slab(t)``, ``schedule.cell(t)``); the step's loss is the normalized
  loss of the slab, ``K * integral over the slab of phi dmu`` (the mean of phi under
  the uniform probability on the slab when mu is the probability measure);
* ``sampled:M``     -- M fresh i.i.d. uniform points (``schedule.points(t)``);
* ``dataset:N,M``   -- a fixed dataset of N points, reshuffled every epoch, batches of M.

A step's mini-batch loss is the mean over its points of |f(w,x) - f°(x)|^r.

The random points (the contract every engine relies on; docs/mathematics.md, section 4.1)
--------------------------------------------------------------------------------------
A counter-based stream, so that any batch can be regenerated anywhere from (seed, step,
index) alone (the checker does, in pure Python: :mod:`proofs.check.stream`):

* **Words.**  Stream ``s`` (0: points, 1: epoch shuffles) of a seed is the sequence of 64-bit
  words ``Z_0, Z_1, ...`` with ``Z_n`` = lane ``n mod 4`` of Philox4x64-10 (Salmon et al.,
  Random123; ``numpy.random.Philox``) at counter ``floor(n / 4)`` (a 256-bit integer, four
  little-endian 64-bit words) and key ``(seed, s)`` (two 64-bit words; seed < 2^63).
* **Uniforms.**  ``U_n = (Z_n >> 11) / 2^53``: an exact dyadic rational in [0, 1) (what
  ``Generator.random`` returns).
* **Points.**  Point ``j`` of the stream has coordinates ``x_i = clip(fl(lo_i + fl(s_i U_{j d + i})),
  lo_i, hi_i)``, ``i = 0..d-1``, where ``lo_i``/``hi_i`` are the domain ends rounded to the
  nearest double *inside* the domain, ``s_i = fl(hi_i - lo_i)``, and fl is IEEE 754 binary64
  round-to-nearest-even.  These doubles ARE the points (exact dyadic rationals in the closed
  domain); the exact engines read them as ``fractions.Fraction(x)``.  When the span is a
  power of two and lo_i a multiple of 2^-52 s_i (e.g. [-1, 1], [0, 1]) both roundings are
  exact: x_i = lo_i + (hi_i - lo_i) U exactly.
* ``sampled:M``: step t uses stream points ``t M, ..., t M + M - 1`` (random access: the
  counter is set directly).
* ``dataset:N,M``: the dataset is stream points ``0 .. N-1`` (the same points as step 0 of
  ``sampled:N``), or the rows of the user's file (``data``).  Epoch ``e`` visits the dataset
  in the order of the keys ``K_i = Z_{e N + i}`` of stream 1, ascending, ties by the row index
  (``numpy.argsort(kind="stable")``).  Batch ``b`` of the epoch is positions ``b M .. b M + M - 1``
  of that order.  **The last partial batch of an epoch is dropped** (every step has exactly
  M points; an epoch has ``N // M`` steps).  Step t is batch ``t mod (N // M)`` of epoch
  ``t // (N // M)``.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import sympy

from relu_pointwise.symbolic.errors import InputError
from relu_pointwise.symbolic.limits import FILE_BYTES
from relu_pointwise.symbolic.numbers import as_float

__all__ = ["BatchSchedule", "inner_float_bounds", "load_points", "philox", "shuffle_keys"]

STREAM_POINTS, STREAM_SHUFFLE = 0, 1
_MASK64 = (1 << 64) - 1

_CHUNK_DOUBLES = 1 << 20      # about 8 MB of doubles per generated chunk
_CACHE_CHUNKS = 4


def _frac(q) -> Fraction:
    q = sympy.Rational(q)
    return Fraction(int(q.p), int(q.q))


def inner_float_bounds(lo, hi) -> tuple[np.ndarray, np.ndarray]:
    """The domain bounds as doubles rounded inward: lo_f >= lo and hi_f <= hi exactly."""
    lo_f, hi_f = [], []
    for a, b in zip(lo, hi):
        fa, fb = _frac(a), _frac(b)
        xa, xb = as_float(fa, "domain"), as_float(fb, "domain")
        if Fraction(xa) < fa:
            xa = math.nextafter(xa, math.inf)
        if Fraction(xb) > fb:
            xb = math.nextafter(xb, -math.inf)
        lo_f.append(xa)
        hi_f.append(xb)
    return np.array(lo_f), np.array(hi_f)


def _needs_clip(lo_f: np.ndarray, hi_f: np.ndarray) -> bool:
    """Whether fl(lo + fl((hi - lo) u)) can leave [lo, hi] for a double u in [0, 1).

    Both roundings are monotone in u, so the largest point is the one at the largest u,
    1 - 2^-53, and the smallest is lo itself (u = 0): one evaluation decides for all
    points whether the clip of the stream's definition can change anything.
    """
    top = lo_f + (hi_f - lo_f) * (1.0 - 2.0 ** -53)
    return bool((top > hi_f).any())


def _fill_points(gen: np.random.Generator, out: np.ndarray, lo_f: np.ndarray, hi_f: np.ndarray,
                 clip: bool) -> None:
    """The next ``out.size`` doubles of the stream, made points in place (out (..., d))."""
    gen.random(out=out.reshape(-1))
    out *= hi_f - lo_f
    out += lo_f
    if clip:
        np.clip(out, lo_f, hi_f, out=out)


def philox(seed: int, stream: int, n0: int) -> np.random.Philox:
    """A numpy Philox4x64-10 whose next output is word ``n0`` of stream ``(seed, stream)``.

    numpy increments the counter before each block, so the counter is set to
    ``floor(n0 / 4) - 1`` (mod 2^256), the buffer emptied, and ``n0 mod 4`` words skipped.
    """
    bg = np.random.Philox(key=np.array([seed, stream], dtype=np.uint64))
    block, lane = divmod(int(n0), 4)
    c = (block - 1) % (1 << 256)
    st = bg.state
    st["state"]["counter"] = np.array([(c >> (64 * i)) & _MASK64 for i in range(4)], dtype=np.uint64)
    st["buffer_pos"] = 4
    bg.state = st
    if lane:
        bg.random_raw(lane)
    return bg


def shuffle_keys(seed: int, epoch: int, N: int) -> np.ndarray:
    """The keys K_i = Z_{e N + i} (stream 1) that order epoch ``epoch`` of a dataset of N rows."""
    return philox(seed, STREAM_SHUFFLE, int(epoch) * N).random_raw(N)


def _stream_points(seed: int, start: int, count: int, lo_f: np.ndarray, hi_f: np.ndarray) -> np.ndarray:
    """Stream points start .. start+count-1 (see the module docstring), shape (count, d)."""
    d = lo_f.shape[0]
    x = np.empty((count, d))
    _fill_points(np.random.Generator(philox(seed, STREAM_POINTS, start * d)), x, lo_f, hi_f,
                 _needs_clip(lo_f, hi_f))
    return x


def load_points(data: Any, spec) -> np.ndarray:
    """Read and validate a user dataset: an array, or a ``.npy``/``.csv`` file of shape (N, d).

    Every error is a one-line :class:`InputError` naming the file and the bad row (1-based).
    """
    d = spec.dim
    if isinstance(data, (str, Path)):
        p = Path(data)
        name = p.name
        suffix = p.suffix.lower()
        if p.is_dir():   # named as given: str(data) keeps a trailing slash that Path drops
            raise InputError(f"data file {str(data)!r}: is a folder, not a file (give a .npy or .csv file)")
        elif p.exists() and not p.is_file():   # a FIFO or device would block or never end
            raise InputError(f"data file {name!r}: not a regular file")
        if p.is_file() and p.stat().st_size > FILE_BYTES.value:   # before reading it (limits.py)
            raise InputError(f"data file {name!r}: {p.stat().st_size} bytes exceed the limit {FILE_BYTES.value} bytes")
        if suffix == ".npy":
            try:
                arr = np.load(p, allow_pickle=False)
            except FileNotFoundError:
                raise InputError(f"data file {name!r}: not found") from None
            except (OSError, ValueError) as exc:
                why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise InputError(f"data file {name!r}: not a readable .npy array ({why})") from None
            if arr.dtype.kind not in "fiu":
                raise InputError(f"data file {name!r}: array of dtype {arr.dtype} (need real numbers)")
            arr = np.asarray(arr, dtype=np.float64)
        elif suffix == ".csv":
            try:
                text = p.read_text(encoding="utf-8")
            except FileNotFoundError:
                raise InputError(f"data file {name!r}: not found") from None
            except (OSError, UnicodeDecodeError) as exc:
                raise InputError(f"data file {name!r}: cannot be read ({type(exc).__name__})") from None
            rows = []
            for k, line in enumerate(text.splitlines(), start=1):
                if not line.strip():
                    continue
                cells = [c.strip() for c in line.split(",")]
                if len(cells) != d:
                    raise InputError(f"data file {name!r}: row {k} has {len(cells)} values, "
                                    f"the domain has dimension {d}")
                try:
                    if not all(c.isascii() for c in cells):   # float() also reads Arabic-Indic and full-width digits
                        raise ValueError("not ASCII")
                    rows.append([float(c) for c in cells])
                except ValueError:
                    raise InputError(f"data file {name!r}: row {k} is not a row of numbers: "
                                    f"{line.strip()[:60]!r}") from None
            arr = np.array(rows, dtype=np.float64).reshape(len(rows), d)
        else:
            raise InputError(f"data file {name!r}: must end in .npy or .csv")
    else:
        name = "<array>"
        try:
            arr = np.asarray(data, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError("data: not an array of real numbers") from None
    if arr.ndim == 1 and d == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2 or arr.shape[1] != d:
        raise InputError(f"data file {name!r}: shape {tuple(arr.shape)}, expected (N, {d})")
    if arr.shape[0] == 0:
        raise InputError(f"data file {name!r}: no points")
    bad = ~np.isfinite(arr).all(axis=1)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InputError(f"data file {name!r}: row {k + 1} is not finite: {arr[k].tolist()}")
    lo = [_frac(a) for a in spec.domain.lo]
    hi = [_frac(b) for b in spec.domain.hi]
    lo_f = np.array([float(a) for a in lo])
    hi_f = np.array([float(b) for b in hi])
    # cheap float screen, then the exact check on the candidates near the boundary
    suspect = ((arr <= lo_f) | (arr >= hi_f)).any(axis=1)
    for k in np.flatnonzero(suspect).tolist():
        for i in range(d):
            v = Fraction(float(arr[k, i]))
            if not lo[i] <= v <= hi[i]:
                raise InputError(
                    f"data file {name!r}: row {int(k) + 1} is outside the domain "
                    f"(coordinate {i + 1} = {float(arr[k, i])!r} not in [{lo[i]}, {hi[i]}])")
    return np.ascontiguousarray(arr)


class BatchSchedule:
    """The batches of a run: ``points(t)`` (sampled, dataset), ``slab(t)``/``cell(t)`` (cyclic, full)."""

    def __init__(self, spec, training, steps: int, data: Any = None) -> None:
        self.spec = spec
        self.training = training
        self.batch = training.batch
        self.kind = self.batch.kind
        self.steps = int(steps)
        self.seed = int(training.seed)
        self.dim = spec.dim
        self.lo_f, self.hi_f = inner_float_bounds(spec.domain.lo, spec.domain.hi)
        self._chunks: OrderedDict[int, np.ndarray] = OrderedDict()
        self._perms: OrderedDict[int, np.ndarray] = OrderedDict()
        self.data: np.ndarray | None = None
        self._clip = _needs_clip(self.lo_f, self.hi_f)
        self._gen: np.random.Generator | None = None
        self._gen_pos = 0
        if data is not None and not self.kind.fixed_dataset:
            raise InputError(f"data: a data file needs batch dataset:N,M, not {self.batch.text()}")
        if self.kind.stochastic:
            self.M = self.batch.M
            self.chunk_steps = max(1, _CHUNK_DOUBLES // (self.M * self.dim))
        elif self.kind.fixed_dataset:
            self.M, self.N = self.batch.M, self.batch.N
            if data is not None:
                pts = load_points(data, spec)
                if pts.shape[0] != self.N:
                    src = Path(data).name if isinstance(data, (str, Path)) else "<array>"
                    raise InputError(f"data file {src!r}: has {pts.shape[0]} rows, the batch setting says N={self.N}")
                self.data = pts
            else:
                self.data = _stream_points(self.seed, 0, self.N, self.lo_f, self.hi_f)
            self.data.setflags(write=False)
            self.per_epoch = self.N // self.M
        elif self.kind.slabs:
            self.K = self.batch.K
        elif not self.kind.population:
            raise InputError(f"batch: unknown variant {self.kind!r}")

    # ------------------------------------------------------------ points
    def _chunk(self, c: int) -> np.ndarray:
        arr = self._chunks.get(c)
        if arr is None:
            n = self.chunk_steps
            arr = _stream_points(self.seed, c * n * self.M, n * self.M, self.lo_f, self.hi_f)
            arr = arr.reshape(n, self.M, self.dim)
            arr.setflags(write=False)
            self._chunks[c] = arr
            while len(self._chunks) > _CACHE_CHUNKS:
                self._chunks.popitem(last=False)
        else:
            self._chunks.move_to_end(c)
        return arr

    def permutation(self, epoch: int) -> np.ndarray:
        """The visiting order of the dataset in epoch ``epoch`` (dataset only)."""
        perm = self._perms.get(epoch)
        if perm is None:
            perm = np.argsort(shuffle_keys(self.seed, epoch, self.N), kind="stable")
            perm.setflags(write=False)
            self._perms[epoch] = perm
            while len(self._perms) > 8:
                self._perms.popitem(last=False)
        return perm

    def indices(self, t: int) -> np.ndarray:
        """Dataset row indices of step t's batch (dataset only)."""
        if not self.kind.fixed_dataset:
            raise ValueError(f"indices(): batch kind {self.kind} has no dataset")
        t = self._check_t(t)
        epoch, b = divmod(t, self.per_epoch)
        return self.permutation(epoch)[b * self.M:(b + 1) * self.M]

    def points(self, t: int) -> np.ndarray:
        """The float64 points of step t, shape (M, d) (read-only)."""
        t = self._check_t(t)
        if self.kind.stochastic:
            c, i = divmod(t, self.chunk_steps)
            return self._chunk(c)[i]
        if self.kind.fixed_dataset and self.data is not None:
            return self.data[self.indices(t)]
        raise ValueError(f"points(): batch kind {self.kind} has no points (use cell(t))")

    def points_block(self, t0: int, t1: int) -> np.ndarray:
        """Points of steps t0 .. t1-1 stacked, shape (t1 - t0, M, d)."""
        if self.kind.stochastic:
            out = np.empty((t1 - t0, self.M, self.dim))
            t = t0
            while t < t1:
                c, i = divmod(t, self.chunk_steps)
                ch = self._chunk(c)
                n = min(t1 - t, self.chunk_steps - i)
                out[t - t0:t - t0 + n] = ch[i:i + n]
                t += n
            return out
        return np.stack([self.points(t) for t in range(t0, t1)]) if t1 > t0 else np.empty((0, self.M, self.dim))

    def draw_block(self, t0: int, t1: int, out: np.ndarray) -> np.ndarray:
        """Points of steps t0 .. t1-1 (sampled only) drawn straight into ``out`` (t1 - t0, M, d).

        The same stream points as :meth:`points` (the module docstring's contract), made in
        place in the caller's buffer: consecutive blocks continue one generator, any other
        start advances a fresh one; the clip is skipped when it cannot change a point
        (:func:`_needs_clip`).  Nothing is cached.
        """
        if not self.kind.stochastic:
            raise ValueError(f"draw_block(): batch kind {self.kind} does not draw points")
        start = int(t0) * self.M * self.dim
        if self._gen is None or self._gen_pos != start:
            self._gen = np.random.Generator(philox(self.seed, STREAM_POINTS, start))
        _fill_points(self._gen, out, self.lo_f, self.hi_f, self._clip)
        self._gen_pos = start + out.size
        return out

    def dataset_points(self) -> np.ndarray:
        """The dataset, shape (N, d) (dataset only; read-only)."""
        if self.data is None:
            raise ValueError(f"dataset_points(): batch kind {self.kind} has no dataset")
        return self.data

    def index_block(self, t0: int, t1: int) -> np.ndarray:
        """Dataset indices of steps t0 .. t1-1, shape (t1 - t0, M) (dataset only)."""
        return np.stack([self.indices(t) for t in range(t0, t1)]) if t1 > t0 else np.empty((0, self.M), dtype=np.int64)

    # ------------------------------------------------------------ cells
    def slab_index(self, t: int) -> int:
        if not self.kind.slabs:
            raise ValueError(f"slab_index(): batch kind {self.kind} has no slabs")
        return self._check_t(t) % self.K

    def slab_bounds(self, k: int) -> tuple[sympy.Rational, sympy.Rational]:
        """Exact x_1 bounds of slab k: lo + (hi - lo) k / K, lo + (hi - lo) (k + 1) / K."""
        lo, hi = self.spec.domain.lo[0], self.spec.domain.hi[0]
        K = self.K
        return lo + (hi - lo) * sympy.Rational(k, K), lo + (hi - lo) * sympy.Rational(k + 1, K)

    def slab(self, t: int) -> tuple[sympy.Rational, sympy.Rational]:
        """Exact x_1 bounds of the slab used at step t (cyclic only)."""
        return self.slab_bounds(self.slab_index(t))

    def cell(self, t: int) -> tuple[tuple[sympy.Rational, ...], tuple[sympy.Rational, ...]]:
        """The exact box integrated over at step t: the domain (full) or the slab (cyclic)."""
        dom = self.spec.domain
        if self.kind.population:
            self._check_t(t)
            return tuple(dom.lo), tuple(dom.hi)
        if self.kind.slabs:
            a, b = self.slab(t)
            return (a,) + tuple(dom.lo[1:]), (b,) + tuple(dom.hi[1:])
        raise ValueError(f"cell(): batch kind {self.kind} uses points (use points(t))")

    @staticmethod
    def _check_t(t) -> int:
        t = int(t)
        if t < 0:
            raise IndexError(f"step {t} < 0")
        return t
