"""The counter-based batch stream (docs/mathematics.md, section 4.1): numpy (numeric.batches) against
the checker's pure-Python generator (proofs.check.stream), and pinned reference values."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
from gmpy2 import mpq
from hypothesis import given, settings
from hypothesis import strategies as st

from relu_pointwise.numeric.batches import BatchSchedule, philox, shuffle_keys
from relu_pointwise.proofs.check.stream import Stream, binary64, philox4x64_10, words
from relu_pointwise.symbolic.spec import make_spec, make_training


def test_philox_known_answer():
    """Philox4x64-10 at counter 0 and key 0: the Random123 known-answer vector (kat_vectors,
    ``philox4x64 10 0 0 0 0 0 0``): 16554d9eca36314c db20fe9d672d0fdc d7e772cee186176b 7e68b68aec7ba23b.
    And the first uniform of seed 0, stream 0 is (0x16554d9eca36314c >> 11) / 2^53."""
    assert philox4x64_10((0, 0, 0, 0), (0, 0)) == (0x16554D9ECA36314C, 0xDB20FE9D672D0FDC,
                                                   0xD7E772CEE186176B, 0x7E68B68AEC7BA23B)
    u0 = np.random.Generator(philox(0, 0, 0)).random()
    assert Fraction(u0) == Fraction(0x16554D9ECA36314C >> 11, 2 ** 53)
    # the first point of sampled:M, seed 0, in [-1, 1]: -1 + 2 U_0 exactly
    s = BatchSchedule(make_spec("interval:-1/2,1/2"), make_training(batch="sampled:4", seed=0), 2)
    assert Fraction(float(s.points(0)[0, 0])) == -1 + 2 * Fraction(0x16554D9ECA36314C >> 11, 2 ** 53)


@settings(max_examples=25)
@given(seed=st.integers(0, 2 ** 63 - 1), stream=st.integers(0, 1), n0=st.integers(0, 2 ** 70), count=st.integers(1, 9))
def test_numpy_words_equal_pure_python(seed, stream, n0, count):
    got = [int(v) for v in philox(seed, stream, n0).random_raw(count)]
    assert got == words(seed, stream, n0, count)


@settings(max_examples=25)
@given(seed=st.integers(0, 2 ** 40), M=st.integers(1, 9), t=st.integers(0, 50),
       dom=st.sampled_from(["-1,1;-1/3,2/3", "-1,1;-1,1", "-5/7,3/5;-3/2,5/7"]))
def test_points_equal_exact_regeneration(seed, M, t, dom):
    """The np engine's float64 points are exactly the checker's rationals (binary64 rounding by integers)."""
    spec = make_spec("box:-1/2,1/2;-1/4,1/4", domain=dom)
    s = BatchSchedule(spec, make_training(batch=f"sampled:{M}", seed=seed), t + 1)
    mine = Stream(seed, spec.domain.lo, spec.domain.hi).points(t * M, M)
    for row, ex in zip(s.points(t), mine):
        assert [Fraction(float(v)) for v in row] == [Fraction(int(q.numerator), int(q.denominator)) for q in ex]


@settings(max_examples=25)
@given(seed=st.integers(0, 2 ** 40), N=st.integers(1, 40), epoch=st.integers(0, 30))
def test_epoch_order_equal(seed, N, epoch):
    M = max(1, N // 3)
    s = BatchSchedule(make_spec("interval:-1/2,1/2"), make_training(batch=f"dataset:{N},{M}", seed=seed), 2)
    assert list(s.permutation(epoch)) == Stream(seed, [-1], [1]).order(epoch, N)
    assert sorted(s.permutation(epoch)) == list(range(N))
    assert [int(k) for k in shuffle_keys(seed, epoch, N)] == words(seed, 1, epoch * N, N)


@settings(max_examples=25)
@given(p=st.integers(-10 ** 40, 10 ** 40), q=st.integers(1, 10 ** 35), e=st.integers(-1100, 60))
def test_binary64_is_correct_rounding(p, q, e):
    """binary64 (integers only) agrees with CPython's correctly rounded int / int division,
    subnormals included; up / down bracket the value."""
    x = Fraction(p, q) * Fraction(2) ** e
    assert Fraction(binary64(mpq(x.numerator, x.denominator))) == Fraction(x.numerator / x.denominator)
    lo, hi = binary64(mpq(x.numerator, x.denominator), "down"), binary64(mpq(x.numerator, x.denominator), "up")
    assert Fraction(lo) <= x <= Fraction(hi)
    assert Fraction(float(Fraction(lo))) == Fraction(lo) and Fraction(float(Fraction(hi))) == Fraction(hi)


def test_draw_block_continues_the_stream():
    spec = make_spec("box:-1/2,1/2;-1/4,1/4", domain="-1,1;-1/3,2/3")
    s = BatchSchedule(spec, make_training(batch="sampled:5", seed=3), 30)
    buf = np.empty((4, 5, 2))
    for t0 in (0, 4, 8, 2):
        s.draw_block(t0, t0 + 4, buf)
        assert np.array_equal(buf, np.stack([s.points(t) for t in range(t0, t0 + 4)]))
