"""The certificate's report page (``pointwise report``, ``certify --report``): self-contained, honest,
and rendered by a real browser.

Page tests (no browser): a true certificate gives VERIFIED, a tampered one NOT VERIFIED at the top
with no green anywhere, a malformed one NOT VERIFIED too; nothing on the page refers outside it.
Browser tests: headless Chromium (Debian's package; .ci/run installs it) renders the page; the
screenshot must be non-blank with the banner's colour (green for verified, red for tampered), and
the browser's console must stay empty (a control page with a console.error proves the harness
sees console lines). They skip, naming the reason, only where no chromium is on PATH.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import relu_pointwise as rp
from relu_pointwise.cli import main
from relu_pointwise.proofs.report_page import report_html

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    """A true certificate with its plots, a tampered copy (t* of the entry claim changed), a malformed file."""
    base = tmp_path_factory.mktemp("report")
    good = base / "good"
    rp.Problem("interval:-1/2,1/2").certify(points=["1/4", "3/4"], steps=400).save(good)
    bad = base / "tampered"
    shutil.copytree(good, bad)
    doc = json.loads((bad / "certificate.json").read_text())
    for c in doc["claims"]:
        if c["id"] == "entry" and "t_star" in c["data"]:
            c["data"]["t_star"] = str(int(c["data"]["t_star"]) - 1)
    try:      # schema v3 renders statements from the data: a forger re-renders them (else: malformed)
        from relu_pointwise.proofs.certificate import render_texts  # type: ignore[attr-defined]
    except ImportError:
        pass
    else:
        render_texts(doc)
    (bad / "certificate.json").write_text(json.dumps(doc, indent=1))
    broken = base / "broken" / "certificate.json"
    broken.parent.mkdir()
    broken.write_text('{"schema": ')
    return {"good": good / "certificate.json", "tampered": bad / "certificate.json", "broken": broken}


def _banner(page: str) -> str:
    m = re.search(r'<div class="banner (\w+)" id="verdict">([^<]*)<', page)
    assert m, page[:2000]
    return f"{m.group(1)}:{m.group(2)}"


def test_true_certificate_page_says_verified_with_everything_inline(certs):
    page = report_html(certs["good"])
    assert page.verified and _banner(page.html) == "verified:VERIFIED"
    assert "NOT VERIFIED" not in page.html
    assert page.html.count('src="data:image/png;base64,') >= 2        # loss.png, outputs.png, T.png
    assert "<math" in page.html and "<mfrac>" in page.html             # the formulas as MathML
    assert rp.__version__ in page.html and " UTC" in page.html
    for claim in ("construction", "growth", "rate", "pointwise:x=1/4"):
        assert f">{claim}<" in page.html


def test_tampered_certificate_page_says_not_verified_at_the_top_never_green(certs):
    page = report_html(certs["tampered"])
    assert not page.verified
    assert _banner(page.html) == "failed:NOT VERIFIED"
    assert re.search(r"<title>NOT VERIFIED", page.html)
    assert 'class="banner verified"' not in page.html and 'class="st-checked"' not in page.html


def test_certificate_text_is_escaped(certs):
    """Hostile text in any field (here in an in-memory document the checker refuses) reaches the page
    escaped: no markup of the certificate's own."""
    doc = json.loads(Path(certs["good"]).read_text())
    doc["reason"] = "<script>console.error('injected')</script>"
    doc["inputs"]["spec"]["target"] = "<img src=x onerror=alert(1)>"
    doc["claims"][0]["statement"] = "</td></tr></table><h1>VERIFIED</h1>"
    page = report_html(doc).html
    assert "<script" not in page and "<img src=x" not in page and "<h1>VERIFIED" not in page
    assert "&lt;script&gt;" in page


def test_the_python_api_writes_the_same_page(tmp_path):
    cert = rp.Problem("interval:-1/2,1/2").certify(points=["1/4"], steps=300)
    page = cert.report()
    assert page.verified and _banner(page.html) == "verified:VERIFIED"
    written = cert.report(tmp_path / "r.html")
    assert written.verified and _banner((tmp_path / "r.html").read_text()) == "verified:VERIFIED"


def test_malformed_certificate_page_says_not_verified(certs):
    page = report_html(certs["broken"])
    assert not page.verified and page.malformed
    assert _banner(page.html) == "failed:NOT VERIFIED"


@pytest.mark.parametrize("which", ["good", "tampered", "broken"])
def test_nothing_on_the_page_refers_outside_it(certs, which):
    page = report_html(certs[which]).html
    assert "<script" not in page and "<link" not in page and "@import" not in page and "url(" not in page
    for attr in re.findall(r'\b(?:src|href)="([^"]*)"', page):
        assert attr.startswith("data:"), attr
    assert "default-src 'none'" in page                                # and the browser enforces it


def test_cli_report_exit_status_and_certify_report(certs, tmp_path, capsys, monkeypatch):
    out = tmp_path / "r.html"
    assert main(["report", str(certs["good"]), "-o", str(out)]) == 0
    assert capsys.readouterr().out.startswith("VERIFIED (checker: all claims check")
    assert main(["report", str(certs["tampered"]), "-o", str(out)]) == 1
    assert capsys.readouterr().out.startswith("NOT VERIFIED")
    assert _banner(out.read_text()) == "failed:NOT VERIFIED"
    assert main(["report", str(certs["broken"]), "-o", str(out)]) == 2
    assert main(["report", str(tmp_path / "missing.json")]) == 2
    user = tmp_path / "mine.html"
    user.write_text("my notes")
    assert main(["report", str(certs["good"]), "-o", str(user)]) == 2      # not ours: refused
    assert user.read_text() == "my notes"
    monkeypatch.chdir(tmp_path)
    assert main(["certify", "--points", "1/4", "--steps", "300", "--no-plots", "--out", "c", "--report"]) == 0
    assert _banner((tmp_path / "c" / "report.html").read_text()) == "verified:VERIFIED"


# ---------------------------------------------------------------------- a real browser

def _browser() -> str | None:
    return next((b for b in map(shutil.which, BROWSERS) if b), None)


def _render(page: Path, shot: Path, profile: Path) -> list[str]:
    """Headless Chromium renders ``page`` into ``shot``; the console lines it logged."""
    exe = _browser()
    assert exe is not None
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
           "--no-first-run",
           f"--user-data-dir={profile}", "--window-size=1000,800", "--enable-logging=stderr", "--v=0",
           f"--screenshot={shot}", page.as_uri()]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert shot.is_file(), (p.returncode, p.stderr[-2000:])
    return [line for line in p.stderr.splitlines() if ":CONSOLE" in line]


def _pixels(shot: Path):
    import matplotlib.image

    return matplotlib.image.imread(str(shot))[..., :3]


needs_browser = pytest.mark.skipif(_browser() is None, reason="no chromium on PATH (.ci/run installs Debian's)")


@needs_browser
def test_the_harness_sees_console_errors(tmp_path):
    probe = tmp_path / "probe.html"
    probe.write_text('<!DOCTYPE html><html><body><p>probe</p>'
                     '<script>console.error("probe-error")</script></body></html>')
    lines = _render(probe, tmp_path / "probe.png", tmp_path / "profile")
    assert any("probe-error" in line for line in lines), lines


@needs_browser
@pytest.mark.parametrize(("which", "colour"), [("good", "green"), ("tampered", "red")])
def test_chromium_renders_the_page(certs, tmp_path, which, colour):
    page = tmp_path / "report.html"
    page.write_text(report_html(certs[which]).html, encoding="utf-8")
    shot = tmp_path / "shot.png"
    console = _render(page, shot, tmp_path / "profile")
    assert console == [], console                                      # no console errors (nor CSP reports)
    px = _pixels(shot)
    assert px.shape[0] >= 600 and px.shape[1] >= 900
    ink = (px.min(axis=2) < 0.8).mean()                                # share of pixels that are not near-white
    assert 0.02 < ink < 0.9, ink                                       # non-blank, and not one colour
    r, g, b = px[20:60, 100:900].reshape(-1, 3).mean(axis=0)           # the banner across the top
    if colour == "green":
        assert g > r + 0.2 and g > b + 0.2, (r, g, b)
    else:
        assert r > g + 0.3 and r > b + 0.3, (r, g, b)
