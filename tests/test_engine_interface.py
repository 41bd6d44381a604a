"""One engine interface: every engine is an object with ``run(spec, training, steps) -> Trajectory``."""
from __future__ import annotations

import math

import pytest
from gmpy2 import mpq

import relu_pointwise as rp
from relu_pointwise.numeric.engines import Engine, get_engine
from relu_pointwise.symbolic.errors import InputError, PointwiseError
from relu_pointwise.symbolic.loss import derive
from relu_pointwise.symbolic.spec import make_spec, make_training

INTERVAL = "interval:-1/2,1/2"


@pytest.mark.parametrize("name,options", [("exact", {}), ("mp", {"dps": 30}), ("arb", {"prec": 96}), ("np", {})])
def test_every_engine_returns_one_trajectory_type(name, options):
    eng = get_engine(name, **options)
    assert isinstance(eng, Engine) and eng.name == name
    traj = eng.run(make_spec(INTERVAL), make_training(eta="1/2"), 12, record_every=5)
    assert traj.ts == [0, 5, 10, 12]
    assert traj.batch_loss is None and traj.L is traj.losses          # full batch: L is the step loss
    w = traj.w_float
    assert w.shape == (4,) and all(b >= a for a, b in zip(w, w[1:]))   # monotone slope
    assert all(math.isfinite(v) for v in traj.L_float)
    assert set(traj.columns()) >= {"t", "w", "L"} and "batch_loss" not in traj.columns()


def test_minibatch_run_reports_population_loss_and_batch_loss():
    """sampled:64 on the interval: the L column is the population loss L(w_t), exactly
    the derived L at the exact engine's w_t, and the np engine's own quadrature of the
    network's output agrees with it at np's float w_t; the batch mean is a different number."""
    spec, tr = make_spec(INTERVAL), make_training(batch="sampled:64", seed=3)
    d = derive(spec)
    ex = get_engine("exact").run(spec, tr, 6)
    for wv, lv in zip(ex.ws, ex.L):
        assert mpq(lv) == mpq(str(d.loss(_rat(wv))))
    assert ex.batch_loss is not None and ex.batch_loss[-1] != ex.L[-1]
    nt = get_engine("np").run(spec, tr, 6)
    for wv, lv in zip(nt.ws, nt.L):
        exact = float(d.loss(_rat_from_float(wv)))
        assert abs(lv - exact) <= 1e-12
    assert "batch_loss" in nt.columns()


def _rat(q):
    import sympy

    return sympy.Rational(int(q.numerator), int(q.denominator))


def _rat_from_float(x: float):
    from fractions import Fraction

    import sympy

    f = Fraction(x)
    return sympy.Rational(f.numerator, f.denominator)


def test_engine_options_name_the_python_parameter():
    for name, opts, field in (("mp", {"dps": 2}, "dps"), ("arb", {"prec": 4}, "prec"),
                              ("exact", {"max_digits": 0}, "max_digits")):
        with pytest.raises(InputError) as exc:
            get_engine(name, **opts)
        assert exc.value.field == field and str(exc.value).startswith(f"{field}: ")
        assert "--" not in str(exc.value)
    with pytest.raises(InputError, match="unknown engine 'warp'"):
        get_engine("warp")


def test_api_line_from_the_issue():
    """L(3) for the interval (-1/2, 1/2) in [-1, 1], r = 2, probability measure: for w >= 1,
    L(w) = 2 * (1/2) * integral_0^{1/(2w)} (1/2 - w u)^2 du = (1/(2w)) * (1/4) * (2/3) * ... = 1/(12 w),
    so L(3) = 1/36."""
    assert str(rp.Problem(INTERVAL).derive().L(3)) == "1/36"


def test_problem_keywords_and_errors():
    p = rp.Problem(INTERVAL, domain="-1,1", r=2, measure="lebesgue", eta="1/2", w0=0, batch="sampled:8", seed=1)
    assert p.training.batch.text() == "sampled:8" and p.spec.measure == "lebesgue"
    with pytest.raises(PointwiseError) as exc:
        rp.Problem(INTERVAL, eta=0)
    assert exc.value.field == "eta"


def test_engine_options_are_checked_when_the_engine_is_made():
    """get_engine('np', method='bogus') fails at once with InputError naming the option,
    not later with a plain ValueError inside the first run."""
    import pytest

    from relu_pointwise.numeric.engines import get_engine
    from relu_pointwise.symbolic.errors import InputError

    with pytest.raises(InputError, match="method: must be one of") as info:
        get_engine("np", method="bogus")
    assert info.value.field == "method"
    with pytest.raises(InputError, match="dps"):
        get_engine("mp", dps=2)
    assert get_engine("np", method="lines").method == "lines"
