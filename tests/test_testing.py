"""relu_pointwise.testing: the Hypothesis strategies as a public, optional subpackage."""
from __future__ import annotations

import importlib.metadata
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

import relu_pointwise as rp


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_without_hypothesis_the_import_fails_with_a_clear_message():
    # None in sys.modules makes ``import hypothesis`` fail as if it were not installed.
    r = _python("import sys; sys.modules['hypothesis'] = None\n"
                "try:\n    import relu_pointwise.testing\n"
                "except ImportError as e:\n    print('IMPORTERROR', e)\n")
    assert "IMPORTERROR" in r.stdout, r.stdout + r.stderr
    assert "needs Hypothesis" in r.stdout and "pip install" in r.stdout


def test_the_library_never_imports_hypothesis():
    r = _python("import sys, relu_pointwise as rp\n"
                "import relu_pointwise.problem, relu_pointwise.symbolic.loss, relu_pointwise.numeric.engines\n"
                "import relu_pointwise.proofs.certificate, relu_pointwise.proofs.verify, relu_pointwise.cli\n"
                "rp.Problem('interval:-1/2,1/2').derive().L(3)\n"
                "print('hypothesis' in sys.modules)\n")
    assert r.stdout.strip() == "False", r.stdout + r.stderr


def test_the_hypothesis_entry_point_is_installed_and_cheap():
    """The hook is registered in the installed metadata, and importing hypothesis (which
    runs it) does not import SymPy-heavy modules of the toolkit."""
    hooks = [e.value for e in importlib.metadata.entry_points(group="hypothesis")]
    assert "relu_pointwise.testing:_hypothesis_setup_hook" in hooks
    r = _python("import sys, hypothesis\n"
                "print('relu_pointwise.problem' in sys.modules, 'relu_pointwise.symbolic.spec' in sys.modules)")
    assert r.stdout.split() == ["True", "False"], r.stdout + r.stderr


@settings(max_examples=8)
@given(st.from_type(rp.Problem))
def test_from_type_draws_problems(problem):
    assert isinstance(problem, rp.Problem)
    assert problem.spec.dim in (1, 2)
    assert problem.training.eta > 0 and problem.training.w0 >= 0
