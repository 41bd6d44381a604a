"""Every command the README shows is run, and what it prints is compared with what the README says.

The README shows commands in fenced ``console`` blocks: a line ``$ COMMAND`` (run by bash in a
fresh folder per block, with this tree's ``pointwise`` and ``python`` first on PATH), then the
lines it prints (stdout and stderr together). Abridged output is marked where it is abridged:

* a line ``...`` stands for any number of lines (none included);
* ``...`` inside a line stands for any text within that line.

Every other character must match (trailing spaces aside). A fenced block whose first line is
``# NAME.toml`` or ``# NAME.json`` (the README's example files) is written into the folder
first, so a command may read it. A block preceded by ``<!-- readme-test: slow -->`` runs only
under ``-m slow``. No ``pointwise`` command may appear in the README outside such blocks
(except the two set-up commands, which tests/test_readme.py and CI run).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
_FENCE = re.compile(r"(?:<!-- readme-test: (slow) -->\n)?```(\w*)\n(.*?)```", re.S)
_FILE = re.compile(r"^# ([\w.-]+\.(?:toml|json))\n")


def _blocks(text: str) -> list[tuple[int, str, str, str | None]]:
    """(line, language, body, marker) of every fenced block."""
    return [(text.count("\n", 0, m.start(3)) + 1, m.group(2), m.group(3), m.group(1)) for m in _FENCE.finditer(text)]


def _files(text: str) -> dict[str, str]:
    out = {}
    for _, lang, body, _ in _blocks(text):
        m = _FILE.match(body)
        if lang in ("toml", "json") and m:
            out[m.group(1)] = body
    return out


def _commands(body: str) -> list[tuple[str, list[str]]]:
    """(command, expected output lines) of a console block."""
    out: list[tuple[str, list[str]]] = []
    for line in body.rstrip("\n").split("\n"):
        if line.startswith("$ "):
            out.append((line[2:], []))
        else:
            assert out, f"console block must start with a command: {line!r}"
            out[-1][1].append(line.rstrip())
    return out


def _line_matches(pattern: str, line: str) -> bool:
    if "..." not in pattern:
        return pattern == line
    return re.fullmatch(".*".join(map(re.escape, pattern.split("..."))), line, re.S) is not None


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether ``actual`` fits ``expected`` (``...`` lines: any number of lines; ``...`` in a line: any text)."""
    memo: dict[tuple[int, int], bool] = {}

    def go(i: int, j: int) -> bool:
        key = (i, j)
        if key not in memo:
            if i == len(expected):
                memo[key] = j == len(actual)
            elif expected[i] == "...":
                memo[key] = go(i + 1, j) or (j < len(actual) and go(i, j + 1))
            else:
                memo[key] = j < len(actual) and _line_matches(expected[i], actual[j]) and go(i + 1, j + 1)
        return memo[key]

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))
    return go(0, 0)


def _params():
    text = README.read_text(encoding="utf-8")
    return [pytest.param(body, id=f"README.md:{line}", marks=[pytest.mark.slow] if marker == "slow" else [])
            for line, lang, body, marker in _blocks(text) if lang == "console"]


def test_the_matcher():
    assert matches(["a", "...", "d"], ["a", "b", "c", "d"]) and matches(["a", "...", "d"], ["a", "d"])
    assert matches(["x = ... s"], ["x = 3.2 s"]) and not matches(["x = ... s"], ["y = 3.2 s"])
    assert not matches(["a", "b"], ["a", "b", "c"]) and not matches(["a", "...", "d"], ["a", "b"])
    assert not matches(["1/36"], ["1/37"])


def test_no_pointwise_command_outside_the_tested_blocks():
    """Indented (code) lines that start a pointwise command, outside console blocks: only the set-up's."""
    text = README.read_text(encoding="utf-8")
    outside = _FENCE.sub("", text)
    commands = [line.strip() for line in outside.splitlines()
                if re.match(r"^ {4}(\$ )?pointwise [a-z]", line) or re.match(r"^\$ pointwise", line)]
    assert commands == [], commands
    assert len(_params()) >= 6


@pytest.mark.parametrize("body", _params())
def test_readme_command_prints_what_the_readme_says(body, tmp_path):
    text = README.read_text(encoding="utf-8")
    for name, content in _files(text).items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    env.pop("COLUMNS", None)
    for command, expected in _commands(body):
        p = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=1200, stdin=subprocess.DEVNULL)
        actual = [line.rstrip() for line in p.stdout.rstrip("\n").split("\n")] if p.stdout else []
        assert matches(expected, actual), (f"$ {command}\n--- the README says:\n" + "\n".join(expected)
                                           + f"\n--- it printed (exit {p.returncode}):\n" + "\n".join(actual))
