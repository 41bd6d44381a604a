"""The distribution's shape: one import name, and imports that flow one way.

* The wheel installs exactly one top-level import name, ``relu_pointwise`` (the folders
  ``symbolic/``, ``numeric/``, ``proofs/`` are mapped under it; a top-level
  ``symbolic`` would clash with other distributions).
* The import graph, read from the source with ``ast`` (function-level imports and lazy
  imports included: a string constant naming a project module, as in ``importlib.import_module``
  or a lazy-name table, counts as an import), covers every module and has no circles, and no
  edge goes upward in symbolic (0) -> numeric (1) -> proofs (2) -> the API (problem, sweeps,
  testing: 3) -> cli (4); nothing in the library imports the CLI.
"""
from __future__ import annotations

import ast
import functools
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# module-name prefix -> source folder (the package-dir mapping of pyproject.toml)
FOLDERS = {"relu_pointwise": ROOT / "src" / "relu_pointwise", "relu_pointwise.symbolic": ROOT / "symbolic",
           "relu_pointwise.numeric": ROOT / "numeric", "relu_pointwise.proofs": ROOT / "proofs"}
LAYER = {"symbolic": 0, "numeric": 1, "proofs": 2, "problem": 3, "sweeps": 3, "testing": 3, "verify_progress": 3,
         "cli": 4}


def _modules() -> dict[str, Path]:
    mods: dict[str, Path] = {}
    for prefix, folder in FOLDERS.items():
        for path in folder.rglob("*.py"):
            rel = path.relative_to(folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            name = ".".join([prefix, *parts])
            if prefix == "relu_pointwise" and parts and parts[0] in ("symbolic", "numeric", "proofs"):
                continue   # (no such folders under src/; the mapped ones are listed by their own prefix)
            mods[name] = path
    return mods


def _imports(name: str, path: Path, mods: dict[str, Path]) -> set[str]:
    """The project modules ``name`` imports (absolute or relative, at any depth)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            subs = [f"{module}.{a.name}" for a in node.names]
            # ``from . import x`` of a submodule imports x, not its package's body (counting the
            # package would fold every sibling into one "package" component and hide real circles)
            targets = subs if all(t in mods for t in subs) else [module] + subs
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in mods:
            targets = [node.value]      # a lazy import by name (import_module, a _LAZY table)
        for t in targets:
            # the deepest project module the name refers to (a from-import names a module or an attribute)
            while t and t not in mods:
                t = t.rpartition(".")[0]
            if t and t != name:
                out.add(t)
    return out


def _layer(module: str) -> int | None:
    """The module's layer; the root package (lazy names of the API) sits at the API's layer."""
    parts = module.split(".")
    return LAYER.get(parts[1]) if len(parts) > 1 else 3


@functools.cache
def _graph() -> dict[str, set[str]]:
    mods = _modules()
    return {name: _imports(name, path, mods) for name, path in mods.items()}


def test_every_module_has_a_layer():
    assert not [m for m in _graph() if _layer(m) is None]


def test_lazy_imports_are_edges():
    g = _graph()
    assert "relu_pointwise.problem" in g["relu_pointwise"]           # the root's lazy-name table
    assert "relu_pointwise.proofs.check.report" in g["relu_pointwise.proofs.check"]


def test_the_graph_is_read():
    g = _graph()
    assert "relu_pointwise.symbolic.spec" in g["relu_pointwise.numeric.engines"]
    assert "relu_pointwise.cli.args" in g["relu_pointwise.cli.run"]     # relative imports resolved
    assert len(g) >= 40


def test_no_upward_edges_and_nothing_imports_the_cli():
    bad = []
    for a, targets in _graph().items():
        for b in targets:
            la, lb = _layer(a), _layer(b)
            if lb == 4 and la != 4:
                bad.append((a, b))          # only the CLI imports the CLI
            elif la is not None and lb is not None and lb > la:
                bad.append((a, b))
    assert not bad, bad


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (components of size > 1 are import circles)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def _is_package_and_its_own_modules(comp: list[str]) -> bool:
    """A package's __init__ re-exporting its own submodules (which import the package
    back) is not a design circle: every member is the package or one of its modules."""
    return all(any(o.startswith(m + ".") or m.startswith(o + ".") for o in comp if o != m) for m in comp)


def test_no_import_circles():
    circles = [c for c in _strongly_connected(_graph()) if not _is_package_and_its_own_modules(c)]
    assert not circles, circles


def test_the_circle_finder_finds_circles():
    g = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _strongly_connected(g) == [["a", "b", "c"]]


def test_the_wheel_installs_only_relu_pointwise(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = tmp_path.glob("relu_pointwise-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}
        assert tops == {"relu_pointwise"}, tops
        for sub in ("symbolic", "numeric", "proofs", "cli", "testing"):
            assert f"relu_pointwise/{sub}/__init__.py" in names
        assert "relu_pointwise/proofs/schema/certificate-v3.schema.json" in names    # the published schema
        info = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        entry = z.read(info).decode()
    assert "pointwise = relu_pointwise.cli:main" in entry
    assert "relu_pointwise.testing:_hypothesis_setup_hook" in entry


@pytest.mark.parametrize("folder", ["symbolic", "numeric", "proofs"])
def test_the_mapped_folders_are_packages(folder):
    assert (ROOT / folder / "__init__.py").is_file()


def _texts() -> list[tuple[Path, str]]:
    files = [ROOT / "README.md", *ROOT.glob("docs/*.md")]
    for folder in (ROOT / "src", ROOT / "symbolic", ROOT / "numeric", ROOT / "proofs", ROOT / "tests"):
        files += sorted(folder.rglob("*.py"))
    return [(f, f.read_text(encoding="utf-8")) for f in files]


def test_references_point_at_docs_mathematics_not_a_missing_design_file():
    """The mathematics lives in docs/mathematics.md; no text cites DESIGN.md (not shipped),
    and every "docs/mathematics.md, section N" names a section that exists."""
    import re

    doc = (ROOT / "docs" / "mathematics.md").read_text(encoding="utf-8")
    sections = {int(n) for n in re.findall(r"^## (\d+)\. ", doc, re.M)}
    assert sections >= {1, 2, 3, 4, 5, 6}
    this = Path(__file__).resolve()
    for path, text in _texts():
        if path.resolve() != this:
            assert "DESIGN section" not in text and "DESIGN.md" not in text, path
        for n in re.findall(r"docs/mathematics\.md, sections? (\d+)", text):
            assert int(n) in sections, (path, n)


def test_hypothesis_profiles_live_in_one_conftest():
    """tests/conftest.py sets the deadline and profiles once; a test file sets only its
    own budget (max_examples) and, where it needs one, a specific health check."""
    this = Path(__file__).resolve()
    for path in sorted((ROOT / "tests").glob("*.py")):
        if path.name == "conftest.py" or path.resolve() == this:
            continue
        text = path.read_text(encoding="utf-8")
        for needle in ("deadline=", "register_profile", "load_profile"):
            assert needle not in text, (path.name, needle)
