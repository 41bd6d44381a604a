"""No shared code compares batch-kind, target-kind or engine names as strings (issue 18, section 2).

Batch kinds live in ``symbolic.batch_kinds`` (code asks a kind's properties), target nodes are
the classes of ``symbolic.targets`` (code uses isinstance), engines live in
``numeric.engines`` (code asks ``engine_options`` / ``engine_trait``).  This test reads every
source module and fails on a string comparison of those names outside the registries; a
self-test shows each pattern catches the forms it is meant to.
"""
from __future__ import annotations

import copy
import os
import pickle
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "relu_pointwise"

BATCH = r"(?:full|cyclic|sampled|dataset)"
ENGINE = r"(?:exact|mp|arb|np|jax)"
TARGET = r"(?:Affine|Min|Max|ExactBall|DeepBall)"
STR = r"""["']{name}["']"""

PATTERNS = {
    "batch": [rf"[!=]=\s*{STR.format(name=BATCH)}", rf"{STR.format(name=BATCH)}\s*[!=]=",
              rf"\bin\s*[(\[{{]\s*{STR.format(name=BATCH)}\s*,",
              rf"[{{,]\s*{STR.format(name=BATCH)}\s*:\s*\(\s*[\"')]"],      # a dispatch table keyed by name
    "target": [r"\.__name__\s*(?:[!=]=|\bin\b)\s*[(\[\"']", rf"[!=]=\s*{STR.format(name=TARGET)}",
               rf"\bin\s*[(\[{{]\s*{STR.format(name=TARGET)}\s*,"],
    "engine": [rf"[!=]=\s*{STR.format(name=ENGINE)}", rf"{STR.format(name=ENGINE)}\s*[!=]=",
               rf"\bin\s*[(\[{{]\s*{STR.format(name=ENGINE)}\s*,",
               rf"\{{\s*{STR.format(name=ENGINE)}\s*:\s*[(\[{{\"']"],          # a table keyed by engine name
}

# the registries themselves (and the parsers of the names) may spell the names
REGISTRIES = {"symbolic/batch_kinds.py", "symbolic/targets.py", "numeric/engines.py"}


def _sources() -> list[tuple[str, str]]:
    out = []
    # followlinks: src/relu_pointwise/{symbolic,numeric,proofs} are links to the top-level folders
    for folder, _, files in os.walk(PACKAGE, followlinks=True):
        for name in sorted(files):
            if name.endswith(".py"):
                f = Path(folder) / name
                out.append((f.relative_to(PACKAGE).as_posix(), f.read_text(encoding="utf-8")))
    return out


def _hits(text: str, family: str) -> list[str]:
    lines = []
    for pattern in PATTERNS[family]:
        for m in re.finditer(pattern, text):
            line_no = text.count("\n", 0, m.start()) + 1
            lines.append(f"{line_no}: {text.splitlines()[line_no - 1].strip()}")
    return lines


def test_the_source_tree_is_read():
    names = {rel for rel, _ in _sources()}
    assert {"symbolic/spec.py", "numeric/crosscheck.py", "proofs/check/plan.py", "cli/run.py"} <= names
    assert len(names) > 90


@pytest.mark.parametrize("family", sorted(PATTERNS))
def test_no_string_comparison_of_registered_names(family):
    found = {rel: h for rel, text in _sources() if rel not in REGISTRIES and (h := _hits(text, family))}
    assert not found, f"{family} names compared as strings outside their registry: {found}"


@pytest.mark.parametrize("family, line", [
    ("batch", 'if batch.kind == "cyclic":'), ("batch", "if kind != 'full':"),
    ("batch", 'points = kind in ("sampled", "dataset")'), ("batch", 'HEAD = {"full": ("construction",'),
    ("target", 'if type(level).__name__ == "DeepBall":'), ("target", 'if kind in ("Min", "Max"):'),
    ("target", 'if kind == "ExactBall":'),
    ("engine", 'if s["engine"] == "np":'), ("engine", 'total = steps if label != "exact" else 0'),
    ("engine", 'opts = {"mp": "dps", "arb": "prec"}.get(name)'),
])
def test_patterns_catch_each_form(family, line):
    assert _hits(line, family), line


@pytest.mark.parametrize("line", ['if batch.kind.slabs:', 'batch: str = "full",', 'get_engine("np")',
                                  'if isinstance(level, DeepBall):', 'return Batch(self, K=k)'])
def test_patterns_leave_the_registered_forms(line):
    assert not any(_hits(line, f) for f in PATTERNS), line


# ------------------------------------------------------------------ the batch-kind registry itself

@given(st.sampled_from(["full", "cyclic:{a}", "sampled:{a}", "dataset:{b},{a}"]), st.integers(1, 50),
       st.integers(0, 50))
def test_batch_kinds_read_print_and_survive_pickling(form, a, extra):
    from relu_pointwise.symbolic.batch_kinds import CYCLIC, DATASET, FULL, SAMPLED, batch_kind_names
    from relu_pointwise.symbolic.spec import parse_batch

    assert batch_kind_names() == ("full", "cyclic", "sampled", "dataset")
    text = form.format(a=a, b=a + extra)
    b = parse_batch(text)
    assert b.text() == text and parse_batch(b.text()) == b
    assert pickle.loads(pickle.dumps(b)).kind is b.kind and copy.deepcopy(b).kind is b.kind
    assert b.kind in (FULL, CYCLIC, SAMPLED, DATASET)


def test_batch_kind_properties():
    """Each kind's properties as docs/mathematics.md section 4 defines the variants."""
    from relu_pointwise.symbolic.batch_kinds import CYCLIC, DATASET, FULL, SAMPLED

    table = {k: (k.population, k.slabs, k.uses_points, k.stochastic, k.fixed_dataset)
             for k in (FULL, CYCLIC, SAMPLED, DATASET)}
    assert table == {FULL: (True, False, False, False, False), CYCLIC: (False, True, False, False, False),
                     SAMPLED: (False, False, True, True, False), DATASET: (False, False, True, False, True)}


def test_comparing_a_batch_kind_with_a_string_raises():
    from relu_pointwise.symbolic.errors import InputError
    from relu_pointwise.symbolic.spec import parse_batch

    with pytest.raises(TypeError, match="ask its properties"):
        _ = parse_batch("cyclic:3").kind == "cyclic"
    with pytest.raises(InputError, match="unknown variant"):
        parse_batch("minibatch:3")
    with pytest.raises(InputError):
        parse_batch("full:3")
