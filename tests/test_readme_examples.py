"""The README's Python code blocks run as written.

Every fenced ``python`` block is executed in a fresh namespace (in a temporary working
directory). A line ``print(...)  # text`` states what it prints: the block's output must
be exactly those texts, in order. Any ``test_*`` function a block defines is then
called, as pytest would. A block preceded by ``<!-- readme-test: slow -->`` runs only
under ``-m slow``; one preceded by ``<!-- readme-test: not run: REASON -->`` (a snippet
that reads files a long command writes first) is skipped, with its reason.
"""
from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
_BLOCK = re.compile(r"(?:<!-- readme-test: (slow|not run: [^>]*\S) -->\n)?```python\n(.*?)```", re.S)
_PRINT = re.compile(r"^print\(.*\)\s+#\s*(.+?)\s*$")


def _blocks() -> list[tuple[int, str, str | None]]:
    """(line, code, marker) per block; marker is None, "slow" or "not run: REASON"."""
    text = README.read_text(encoding="utf-8")
    out = []
    for m in _BLOCK.finditer(text):
        line = text.count("\n", 0, m.start(2)) + 1
        out.append((line, m.group(2), m.group(1)))
    return out


def _marks(marker: str | None) -> list:
    if marker == "slow":
        return [pytest.mark.slow]
    if marker is not None:
        return [pytest.mark.skip(reason=marker)]
    return []


def _params():
    return [pytest.param(code, id=f"README.md:{line}", marks=_marks(marker)) for line, code, marker in _blocks()]


def test_the_readme_has_python_blocks():
    blocks = _blocks()
    assert len(blocks) >= 2
    assert any("rp.Problem" in code and marker is None for _, code, marker in blocks)   # the API example runs


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
