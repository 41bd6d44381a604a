"""The README's two set-up commands stay true: CI runs the README's test command."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _setup_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return [line.strip() for line in section.splitlines() if line.startswith("    ")]


def test_exactly_two_setup_commands_main_job_and_tests():
    cmds = _setup_commands()
    assert len(cmds) == 2, cmds
    assert re.search(r"\bpointwise certify\s*$", cmds[0]), cmds[0]
    assert "pytest" in cmds[1], cmds[1]


def test_ci_runs_the_readme_test_command_verbatim():
    test_cmd = _setup_commands()[1]
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_cmd in [line.strip() for line in ci if not line.lstrip().startswith("#")]


def test_console_script_points_at_the_cli():
    assert 'pointwise = "relu_pointwise.cli:main"' in (ROOT / "pyproject.toml").read_text()
