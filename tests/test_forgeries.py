"""The forgery suite: consistent forgeries of real certificates (tests/forgery_catalog.py,
tests/forgery_claims.py, tests/forgery_families.py) must be refused by ``pointwise verify`` -- exit 1 or 2, one line,
never a traceback -- while the real certificates they start from verify (the control, so
a refusal is a catch and not a broken base)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import forgery_claims  # noqa: F401  (registers the claim-by-claim forgeries)
import forgery_families  # noqa: F401  (and those by family and batch kind)
import pytest
from forgery_catalog import FORGERIES
from forgery_lib import BASES, Forgery, base, verify_exit

# Bases whose real certificate verify must accept: mini-batch certificates rest on batches
# the checker does not regenerate (undecided), and dataset:N,M is honestly "not certified".
VERIFIABLE = [b for b, s in BASES.items() if s.training.get("batch", "full").split(":")[0] in ("full", "cyclic")]


@pytest.mark.parametrize("name", VERIFIABLE)
def test_the_real_certificates_verify(name: str, tmp_path: Path) -> None:
    path = tmp_path / "certificate.json"
    path.write_text(json.dumps(base(name)))
    rc, out = verify_exit(path)
    assert rc == 0, out


@pytest.mark.parametrize("forgery", FORGERIES, ids=[f.name for f in FORGERIES])
def test_verify_refuses_the_forgery(forgery: Forgery, tmp_path: Path) -> None:
    path = forgery.write(tmp_path / "cert")
    rc, out = verify_exit(path)
    assert rc != -1, f"{forgery.name}: verify crashed ({out}); the forgery is false because {forgery.reason}"
    assert rc in (1, 2), f"{forgery.name}: verify accepted it, but {forgery.reason}\n{out[-600:]}"
    assert "Traceback" not in out


def test_the_catalog_covers_every_class() -> None:
    """At least 60 forgeries, unique names, a one-line reason each, every base used; and the
    issue's classes present by name."""
    names = [f.name for f in FORGERIES]
    assert len(FORGERIES) >= 60
    assert len(set(names)) == len(names)
    assert all(f.reason.strip() and "\n" not in f.reason for f in FORGERIES)
    assert {f.base for f in FORGERIES} == set(BASES)
    for word in ("t0=-1", "T_hi = -1", "T_hi unknown", "carries x=0's data", "out-of-domain", "twice",
                 "100 g", "schema version 1", "statement", "extra key", "plot absent", "region count not",
                 "table emptied", "period 0", "full-batch", "touching"):
        assert any(word in n for n in names), word


SAMPLE = ["t0=-1 all T=0 (interval)", "cyclic period 0", "region count not a number"]


@pytest.mark.parametrize("name", SAMPLE)
def test_the_cli_refuses_forgeries_in_a_subprocess(name: str, tmp_path: Path) -> None:
    """As a user runs it: ``python -m relu_pointwise.cli verify FILE``; exit 1 or 2, no traceback."""
    forgery = next(f for f in FORGERIES if f.name == name)
    path = forgery.write(tmp_path / "cert")
    out = subprocess.run([sys.executable, "-m", "relu_pointwise.cli", "verify", str(path), "--quiet"],
                         capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode in (1, 2), (forgery.reason, out.stdout[-400:], out.stderr[-400:])
    assert "Traceback" not in out.stderr
