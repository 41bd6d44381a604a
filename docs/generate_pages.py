"""Pages of the documentation site generated from the code (docs/conf.py calls write_generated_pages).

* ``cli.md``: every subcommand of ``pointwise`` with its description and flags, read from the
  argument parser (:func:`relu_pointwise.cli.build_parser`), so the reference cannot drift from the code;
* ``limits.md``: the input limits (:data:`relu_pointwise.symbolic.limits.LIMITS`) and the exit statuses
  (:data:`relu_pointwise.cli.EXIT_STATUSES`);
* ``certificate.md``: the certificate's JSON Schema, every ``proofs/schema/*.json`` of the tree, and an
  example certificate in today's format (the default target, one point, 200 steps).

Not part of the package: only the docs build imports this file (it reads the CLI's parser).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

__all__ = ["cli_reference", "limits_page", "certificate_page", "write_generated_pages"]


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _flags(parser: argparse.ArgumentParser) -> list[str]:
    rows = ["| argument | meaning |", "|---|---|"]
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        if action.option_strings:
            names = ", ".join(action.option_strings)
            if action.nargs != 0:
                names += " " + (action.metavar or action.dest.upper())
        else:
            names = action.metavar or action.dest.upper()
        rows.append(f"| `{_cell(names)}` | {_cell(action.help or '')} |")
    return rows


def cli_reference() -> str:
    """The CLI reference (MyST Markdown) from the argument parser."""
    from relu_pointwise.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {a.dest: a.help for a in sub._choices_actions}
    out = ["# Command-line reference", "",
           "Generated from the argument parser (`relu_pointwise.cli.build_parser`) when this site is built.", "",
           _cell(parser.description), "", "| command | what it does |", "|---|---|"]
    out += [f"| [`pointwise {name}`](#pointwise-{name}) | {_cell(helps.get(name, ''))} |" for name in sub.choices]
    out += ["", "Bare `pointwise` prints the usage and this list; `pointwise --version` prints the version; "
                "a mistyped flag or command gets a suggestion (`did you mean --target?`).", ""]
    for name, p in sub.choices.items():
        out += [f"(pointwise-{name})=", f"## pointwise {name}", "", "```text", p.format_usage().strip(), "```", "",
                _cell(p.description or helps.get(name, "")), ""]
        out += _flags(p) + [""]
    return "\n".join(out)


def limits_page() -> str:
    """The limits table and the exit statuses (MyST Markdown)."""
    from relu_pointwise.cli import EXIT_STATUSES
    from relu_pointwise.symbolic.limits import markdown_table

    rows = ["| status | meaning |", "|---|---|"] + [f"| {code} | {_cell(text)} |" for code, text in EXIT_STATUSES]
    return "\n".join([
        "# Limits and exit statuses", "",
        "## Limits", "",
        "Every input is checked against these limits before the work it bounds; over a limit is one line "
        "`field: value exceeds the limit N` (exit status 2 on the command line, `InputError` in Python, "
        "naming the Python parameter there and the flag here). The Python API and the command line share them "
        "(`relu_pointwise.symbolic.limits`).", "",
        markdown_table(), "",
        "## Exit statuses of `pointwise`", "",
        *rows, ""])


def certificate_page(root: Path) -> str:
    """The certificate's format: its JSON Schema files and an example in today's format."""
    import relu_pointwise as rp

    schemas = sorted((root / "proofs" / "schema").glob("*.json"))
    out = ["# The certificate", "",
           "`pointwise certify` writes `certificate.json`; `pointwise verify` checks it with the independent "
           "checker; `pointwise report` turns it into a self-contained HTML page.", ""]
    if schemas:
        out += ["## JSON Schema", ""]
        for path in schemas:
            out += [f"### {path.name}", "", "```json", path.read_text(encoding="utf-8").rstrip(), "```", ""]
    else:
        out += ["## Format", "",
                "No JSON Schema file is published in this version (`proofs/schema/*.json` is empty); the format "
                "is the one of the example below and of the README's section \"Certificates\".", ""]
    cert = rp.Problem("interval:-1/2,1/2").certify(points=["1/4"], steps=200)
    out += ["## An example certificate", "",
            "The default target `interval:-1/2,1/2`, one point `x = 1/4`, 200 enclosed steps "
            f"(`schema` {json.dumps(cert.data.get('schema'))}, version {cert.data.get('version')}), generated "
            "when this site was built:", "", "```json", cert.to_json().rstrip(), "```", ""]
    return "\n".join(out)


def write_generated_pages(folder: Path, root: Path) -> list[Path]:
    """Write cli.md, limits.md and certificate.md into ``folder`` (only when their text changed, so an
    incremental build does not re-read them)."""
    folder.mkdir(parents=True, exist_ok=True)
    pages = {"cli.md": cli_reference(), "limits.md": limits_page(), "certificate.md": certificate_page(root)}
    written = []
    for name, text in pages.items():
        path = folder / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
