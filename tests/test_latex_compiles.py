"""The LaTeX export compiles with pdflatex, and nothing runs off the page.

CI installs a TeX engine from Debian's packages (.ci/run); these tests skip, naming the
reason, only where no ``pdflatex`` is on PATH. Besides the exit status, each test reads
pdflatex's log: an ``Overfull \\hbox`` is a line wider than the text, an ``Overfull
\\vbox`` a display taller than the page (what the deep ball's 41-piece ``cases`` block
did before the pieces became breakable ``align*`` rows).
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from relu_pointwise.symbolic.export_latex import derivation_to_latex
from relu_pointwise.symbolic.loss import derive
from relu_pointwise.symbolic.spec import make_spec

pytestmark = pytest.mark.skipif(shutil.which("pdflatex") is None,
                                reason="no TeX engine: pdflatex is not on PATH (CI installs texlive-latex-base)")


def _compile(target: str, tmp_path: Path) -> tuple[str, int]:
    """(pdflatex's log, number of pages) for the derivation.tex of ``target``."""
    derivation = derive(make_spec(target))
    (tmp_path / "derivation.tex").write_text(derivation_to_latex(derivation), encoding="utf-8")
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "derivation.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:]
    log = (tmp_path / "derivation.log").read_text(encoding="latin-1")
    pages = int(log.split("Output written on derivation.pdf (", 1)[1].split(" page", 1)[0])
    return log, pages


def _fits(log: str) -> None:
    assert "Overfull \\hbox" not in log, [ln for ln in log.splitlines() if "Overfull" in ln][:5]
    assert "Overfull \\vbox" not in log, [ln for ln in log.splitlines() if "Overfull" in ln][:5]


@pytest.mark.parametrize("target", [
    "interval:-1/2,1/2",                  # 1-D
    "box:-1/2,1/2;-1/4,3/4",              # 2-D
    "ball:d=2,R=1/2,N=2",                 # deep ball: 14 pieces of L(w), long L'(w) rows
])
def test_derivation_tex_compiles_and_fits(target, tmp_path):
    log, pages = _compile(target, tmp_path)
    _fits(log)
    assert pages >= 1


@pytest.mark.slow
def test_deep_ball_n3_breaks_across_pages(tmp_path):
    """The N = 3 deep ball: 41 pieces of L(w), L'(w) and Phi(w). They fill several pages, so
    they must break across pages (and long L'(w) rows across lines) instead of running off."""
    log, pages = _compile("ball:d=2,R=1/2,N=3", tmp_path)
    _fits(log)
    assert pages >= 5
