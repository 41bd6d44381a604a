"""The documentation site's generated pages stay true to the code (the site itself is built by .ci/run
with ``sphinx -W``; these checks are cheap and run with the tests)."""
from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path

import pytest

from relu_pointwise.cli import EXIT_STATUSES, build_parser
from relu_pointwise.symbolic.limits import markdown_table

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def pages():
    spec = importlib.util.spec_from_file_location("generate_pages", ROOT / "docs" / "generate_pages.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_reference_names_every_command_and_flag(pages):
    text = pages.cli_reference()
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, p in sub.choices.items():
        assert f"## pointwise {name}\n" in text, name
        for action in p._actions:
            if isinstance(action, argparse._HelpAction):     # every command's -h: said once, not listed
                continue
            for flag in action.option_strings:
                assert f"`{flag}" in text or f", {flag}" in text, (name, flag)


def test_limits_page_holds_the_limits_table_and_every_exit_status(pages):
    text = pages.limits_page()
    assert markdown_table() in text
    for code, _ in EXIT_STATUSES:
        assert f"\n| {code} | " in text
    assert {c for c, _ in EXIT_STATUSES} == {0, 1, 2, 3, 130, 143}


def test_the_readme_exit_status_table_lists_the_same_statuses():
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("#### Exit statuses", 1)[1].split("\n\n", 2)[1]
    codes = {int(c) for row in re.findall(r"^\| *([0-9 /]+) *\|", table, re.M) for c in row.split("/")}
    assert codes == {c for c, _ in EXIT_STATUSES}


def test_certificate_page_includes_every_schema_file_and_a_real_example(pages):
    text = pages.certificate_page(ROOT)
    for path in sorted((ROOT / "proofs" / "schema").glob("*.json")):
        assert f"### {path.name}" in text
    example = text.split("## An example certificate", 1)[1].split("```json\n", 1)[1].split("\n```", 1)[0]
    cert = json.loads(example)
    assert cert["verdict"] == "certified" and any(c["id"] == "pointwise:x=1/4" for c in cert["claims"])


def test_the_site_has_its_pages():
    index = (ROOT / "docs" / "index.md").read_text()
    for page in ("tutorial", "mathematics", "_generated/cli", "api", "_generated/certificate", "_generated/limits"):
        assert f"\n{page}\n" in index, page
