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


def test_source_tree_imports_with_pythonpath_src(tmp_path):
    """src/relu_pointwise links symbolic/, numeric/, proofs/: the source tree imports as it
    stands (PYTHONPATH=src), ahead of any installed copy, and the CLI runs from it."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    out = subprocess.run([sys.executable, "-c", "import relu_pointwise.symbolic.spec as s; print(s.__file__)"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert Path(out).resolve() == (root / "symbolic" / "spec.py").resolve()
    cli = subprocess.run([sys.executable, "-m", "relu_pointwise.cli", "--help"], cwd=tmp_path, env=env,
                         capture_output=True, text=True)
    assert cli.returncode == 0 and "certify" in cli.stdout


def test_top_level_folders_refuse_a_second_copy():
    """From the repository root ``import symbolic`` would load a second copy of the package
    (its InputError not relu_pointwise's): each folder refuses to be imported under its own name."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    for name in ("symbolic", "numeric", "proofs"):
        run = subprocess.run([sys.executable, "-c", f"import {name}.spec" if name == "symbolic" else f"import {name}"],
                             cwd=root, capture_output=True, text=True)
        assert run.returncode != 0 and f"import relu_pointwise.{name}, not {name}" in run.stderr


def test_coverage_sees_every_module(tmp_path):
    """``coverage run`` with the project's settings ([tool.coverage.run], from the repository root) lists
    every module of the package, executed or not (the old package-dir mapping showed 23 of 97)."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    import pytest

    pytest.importorskip("coverage")
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root / "src"), "COVERAGE_FILE": str(tmp_path / ".coverage")}
    subprocess.run([sys.executable, "-m", "coverage", "run", "-m", "relu_pointwise.cli", "--help"], cwd=root,
                   env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "coverage", "json", "-o", str(tmp_path / "c.json")], cwd=root,
                   env=env, check=True, capture_output=True)
    seen = {Path(f).resolve() for f in json.loads((tmp_path / "c.json").read_text())["files"]}
    modules = {(Path(d) / f).resolve() for d, _, files in os.walk(root / "src" / "relu_pointwise", followlinks=True)
               for f in files if f.endswith(".py")}
    assert len(modules) > 100 and modules <= seen, sorted(str(m) for m in modules - seen)[:5]
