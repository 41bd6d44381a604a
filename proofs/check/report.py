"""The checker's entry points: :func:`check_certificate` (a report) and :func:`verify_or_raise`."""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relu_pointwise.symbolic.errors import CertificateError
from relu_pointwise.symbolic.limits import regions_allowed

from .activation import MAX_REGIONS
from .base import CHECKED, FAILED, NOT_CLAIMED, UNDECIDED, ClaimCheck
from .claims import run
from .read import read_certificate


@dataclass
class Report:
    """Per-claim results; ``ok`` when every claim the certificate makes (proved or enclosed) checks."""

    checks: list[ClaimCheck] = field(default_factory=list)
    version: int = 0

    @property
    def ok(self) -> bool:
        return all(c.status in (CHECKED, NOT_CLAIMED) for c in self.checks)

    @property
    def failed(self) -> list[ClaimCheck]:
        return [c for c in self.checks if c.status in (FAILED, UNDECIDED)]

    def lines(self) -> list[str]:
        return [f"{c.status}: {c.id}: {c.reason}" for c in self.checks]

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for c in self.checks:
            counts[c.status] = counts.get(c.status, 0) + 1
        head = "all claims check" if self.ok else "NOT VERIFIED: " + ", ".join(c.id for c in self.failed)[:400]
        return f"{head} ({', '.join(f'{n} {k}' for k, n in sorted(counts.items()))})"


def check_certificate(cert_or_path: str | Path | Mapping[str, Any]) -> Report:
    """Check a certificate (a path or an in-memory dict) by the checker's own routes.

    Raises CertificateError(malformed=True) when it is not a well-formed certificate of a
    schema version the checker reads; otherwise returns the report (never raises on a claim).
    """
    # the prover's default region limit (--max-regions) guards its own work; the checker has its
    # own caps (activation.MAX_REGIONS, checked before and during its work), so a certificate that
    # certify issued with --max-regions raised still reads
    with regions_allowed(MAX_REGIONS):
        cert = read_certificate(cert_or_path)
        checks = run(cert)
    if cert.files and not isinstance(cert_or_path, Mapping):
        checks += _files(Path(cert_or_path).parent, cert.files)
    return Report(checks, cert.version)


def _files(folder: Path, files: dict[str, str]) -> list[ClaimCheck]:
    """One check ``files:<name>`` per listed file present beside the certificate (plots,
    derivation.tex): its SHA-256 must be the certificate's (integrity of the outputs; no
    claim rests on them). Absent files are not checked."""
    out = []
    for name, digest in files.items():
        path = folder / name
        if not path.is_file():
            continue
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        ok = "sha256:" + h.hexdigest() == digest
        out.append(ClaimCheck(f"files:{name}", CHECKED if ok else FAILED,
                              "SHA-256 as listed" if ok else "SHA-256 differs from the certificate's"))
    return out


def verify_or_raise(cert_or_path: str | Path | Mapping[str, Any]) -> Report:
    """:func:`check_certificate`, raising CertificateError(malformed=False) naming the failed claims."""
    report = check_certificate(cert_or_path)
    if not report.ok:
        bad = report.failed
        raise CertificateError(
            f"certificate: {len(bad)} claim(s) do not check: "
            + "; ".join(f"{c.id} ({c.status}: {c.reason})" for c in bad[:3])[:600], malformed=False)
    return report


__all__ = [
    "CHECKED",
    "FAILED",
    "NOT_CLAIMED",
    "UNDECIDED",
    "ClaimCheck",
    "Report",
    "check_certificate",
    "verify_or_raise",
]
