"""Notebooks display the API's results by themselves (issue 20).

The tutorial notebook (docs/tutorial.ipynb, also executed by the documentation build) runs in a
fresh Jupyter kernel through nbclient, as a user's notebook would, with no ``%matplotlib inline``:
``.plot()`` must come out as a PNG, the network as an HTML table, a derivation's text repr short
and readable. nbclient, nbformat and ipykernel are in the ``test`` extra for this test.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat not installed (pip install '.[test]')")
nbclient = pytest.importorskip("nbclient", reason="nbclient not installed (pip install '.[test]')")
pytest.importorskip("ipykernel", reason="ipykernel not installed (pip install '.[test]')")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "tutorial.ipynb"


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:                       # a committed notebook carries no outputs to mistake for ours
        if cell.cell_type == "code":
            assert not cell.outputs, "docs/tutorial.ipynb is committed without outputs"
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + (old or "")   # the kernel imports this tree
    try:
        work = tmp_path_factory.mktemp("nb")
        client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                         resources={"metadata": {"path": str(work)}})
        client.execute()
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old
    return {t: c for c in nb.cells for t in c.get("metadata", {}).get("tags", [])}


def _data(cell) -> list[dict]:
    return [o.get("data", {}) for o in cell.outputs if o.output_type in ("display_data", "execute_result")]


def test_plot_displays_as_a_png(executed):
    datas = _data(executed["plot"])
    pngs = [d["image/png"] for d in datas if "image/png" in d]
    assert len(pngs) == 1, datas
    import base64

    assert base64.b64decode(pngs[0])[:8] == b"\x89PNG\r\n\x1a\n"


def test_network_displays_as_an_html_table(executed):
    html = [d["text/html"] for d in _data(executed["network"]) if "text/html" in d]
    assert len(html) == 1 and html[0].startswith("<table") and "<th>layer</th>" in html[0]
    assert "<pre>" not in html[0]


def test_derivation_text_repr_is_short_and_readable(executed):
    text = "".join(o.get("text", "") for o in executed["derivation"].outputs if o.output_type == "stream")
    assert text.startswith("<Derivation interval:-1/2,1/2:"), text
    assert len(text) < 300 and text.count("\n") == 1
    assert "w* = 1" in text and "1/(12*w)" in text
