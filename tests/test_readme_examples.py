"""The README's Python code blocks run as written.

Every fenced ``python`` block is executed in a fresh namespace (in a temporary working
directory). A line ``print(...)  # text`` states what it prints: the block's output must
be exactly those texts, in order. Any ``test_*`` function a block defines is then
called, as pytest would. A block preceded by ``<!-- readme-test: slow -->`` runs only
under ``-m slow``.
"""
from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
_BLOCK = re.compile(r"(<!-- readme-test: slow -->\n)?```python\n(.*?)```", re.S)
_PRINT = re.compile(r"^print\(.*\)\s+#\s*(.+?)\s*$")


def _blocks() -> list[tuple[int, str, bool]]:
    text = README.read_text(encoding="utf-8")
    out = []
    for m in _BLOCK.finditer(text):
        line = text.count("\n", 0, m.start(2)) + 1
        out.append((line, m.group(2), m.group(1) is not None))
    return out


def _params():
    return [pytest.param(code, id=f"README.md:{line}", marks=[pytest.mark.slow] if slow else [])
            for line, code, slow in _blocks()]


def test_the_readme_has_python_blocks():
    blocks = _blocks()
    assert len(blocks) >= 2
    assert any("rp.Problem" in code and not slow for _, code, slow in blocks)   # the API example runs by default


@pytest.mark.parametrize("code", _params())
def test_readme_block_runs_as_written(code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    expected = [m.group(1) for m in map(_PRINT.match, code.splitlines()) if m]
    namespace: dict = {"__name__": "readme_example"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<README.md block>", "exec"), namespace)
        for name, fn in list(namespace.items()):
            if name.startswith("test_") and callable(fn):
                fn()
    if expected:
        assert out.getvalue().splitlines() == expected
