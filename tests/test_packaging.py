"""Every package folder of the source tree is installed under relu_pointwise (the wheel
lists packages explicitly, because setuptools maps the brief's top-level folders)."""
from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAPPING = {"symbolic": "relu_pointwise.symbolic", "numeric": "relu_pointwise.numeric",
           "proofs": "relu_pointwise.proofs", "src/relu_pointwise": "relu_pointwise"}


def _source_packages() -> set[str]:
    out = set()
    for folder, name in MAPPING.items():
        base = ROOT / folder
        for init in base.rglob("__init__.py"):
            rel = init.parent.relative_to(base).parts
            out.add(".".join((name, *rel)))
    return out


def test_every_source_package_is_listed_in_pyproject():
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(conf["tool"]["setuptools"]["packages"])
    missing = _source_packages() - listed
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"
    assert listed <= _source_packages(), sorted(listed - _source_packages())
    assert all(p == "relu_pointwise" or p.startswith("relu_pointwise.") for p in listed)
