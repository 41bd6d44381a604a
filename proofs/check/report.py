"""The checker's entry points: :func:`check_certificate` (a report) and :func:`verify_or_raise`."""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relu_pointwise.symbolic.batch_kinds import BatchKind
from relu_pointwise.symbolic.errors import CertificateError
from relu_pointwise.symbolic.limits import regions_allowed

from . import statement
from .activation import MAX_REGIONS
from .base import CHECKED, FAILED, NOT_CLAIMED, UNDECIDED, ClaimCheck
from .claims import run
from .read import CertificateReading, read_certificate


@dataclass
class Report:
    """The one result of verifying a certificate (``rp.verify``, ``pointwise verify``, the report
    page): one :class:`ClaimCheck` per claim and per check (statement, claims, verdict, files,
    and ``rederive`` when asked), ``ok`` when every one is checked (or not claimed); truthy
    when ok; ``messages`` the lines ``pointwise verify`` prints."""

    checks: list[ClaimCheck] = field(default_factory=list)
    version: int = 0
    reading: statement.Reading | None = None       # the checker's own reading of the statement
    cert: CertificateReading | None = None

    @property
    def ok(self) -> bool:
        return all(c.status in (CHECKED, NOT_CLAIMED) for c in self.checks)

    @property
    def failed(self) -> list[ClaimCheck]:
        return [c for c in self.checks if c.status in (FAILED, UNDECIDED)]

    def __bool__(self) -> bool:
        return self.ok

    @property
    def messages(self) -> list[str]:
        """One line per check, then the summary (what ``pointwise verify`` prints after the statement)."""
        return [*self.lines(), "checker: " + self.summary()]

    def __repr__(self) -> str:
        return f"<Report ok={self.ok}: {self.summary()[:200]}>"

    def _repr_html_(self) -> str:
        """Jupyter: the verdict and one row per check."""
        import html

        rows = "".join(f"<tr><td>{html.escape(c.id)}</td><td>{html.escape(c.status)}</td>"
                       f"<td>{html.escape(c.reason[:300])}</td></tr>" for c in self.checks)
        head = "verified" if self.ok else "NOT VERIFIED"
        return (f"<p><b>{head}</b>: {html.escape(self.summary())}</p>"
                f"<table><tr><th>check</th><th>status</th><th>reason</th></tr>{rows}</table>")

    def lines(self) -> list[str]:
        return [f"{c.status}: {c.id}: {c.reason}" for c in self.checks]

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for c in self.checks:
            counts[c.status] = counts.get(c.status, 0) + 1
        head = "all claims check" if self.ok else "NOT VERIFIED: " + ", ".join(c.id for c in self.failed)[:400]
        return f"{head} ({', '.join(f'{n} {k}' for k, n in sorted(counts.items()))})"


VerifyReport = Report      # the public name (relu_pointwise.VerifyReport): one verify result type


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
        first, reading = read_twice(cert)
        checks = [first, *run(cert)]
    if cert.files and not isinstance(cert_or_path, Mapping):
        checks += _files(Path(cert_or_path).parent, cert.files)
    elif cert.files:        # an in-memory certificate: the files it lists are not beside anything
        checks += [ClaimCheck(f"files:{name}", UNDECIDED, "listed in the manifest; not checked (the certificate "
                              "was given as data, not as a file with its folder)") for name in cert.files]
    return Report(checks, cert.version, reading, cert)


def read_twice(cert: CertificateReading) -> tuple[ClaimCheck, statement.Reading | None]:
    """The check ``statement``: the checker's own reader (proofs.check.statement) against the
    shared parser's Spec and Training.  A difference fails; text it cannot read is undecided."""
    if cert.inputs is None:
        return ClaimCheck("statement", UNDECIDED, "the inputs as written are not available"), None
    try:
        reading = statement.read(cert.inputs)
    except statement.Unreadable as exc:
        return ClaimCheck("statement", UNDECIDED, f"the checker's own reader cannot read the inputs: {exc}"), None
    except statement.Invalid as exc:
        return ClaimCheck("statement", FAILED, f"the checker's own reader finds no valid statement: {exc}"), None
    diff = statement.differences(reading, cert.spec, cert.training)
    if diff:
        return ClaimCheck("statement", FAILED, "the shared parser and the checker's own reader disagree: "
                          + "; ".join(diff)[:600]), reading
    return ClaimCheck("statement", CHECKED, "the checker's own reader agrees with the shared parser "
                      "(target, dimension, domain, r, measure, eta, w0, batch)"), reading


def statement_lines(report: Report) -> list[str]:
    """What the checker checked, in its own words: the statement from its own reading, then
    the numbers of each claim that checked (never the certificate's text)."""
    rd, cert = report.reading, report.cert
    if rd is None or cert is None:
        return ["statement: not read (see the check 'statement')"]
    batch = _batch_text(rd.batch, cert.training.seed)
    measure = ("the uniform probability measure on Omega" if rd.measure == "probability"
               else "the Lebesgue measure on Omega")
    out = [f"target: A = {{x in Omega : {statement.show(rd.tree)}}} (dimension {rd.dim})",
           f"domain: Omega = {statement.box(rd.lo, rd.hi)}",
           f"loss: L(w) = integral over Omega of |f(w,x) - f°(x)|^r, r = {rd.r}, under {measure}",
           f"training: w_(t+1) = w_t - eta L'(w_t), eta = {rd.eta}, w_0 = {rd.w0}; batch: {batch}"]
    done = {c.id for c in report.checks if c.status == CHECKED}
    data = {c["id"]: c["data"] for c in cert.claims}
    for cid in data:
        if cid in done:
            try:
                line = _numbers(cid, data[cid])
            except (KeyError, TypeError):      # a field the claim's check did not need: say nothing
                line = ""
            if line:
                out.append("proved: " + line)
    return out


def _batch_text(batch: tuple[BatchKind, tuple[int, ...]], seed: Any) -> str:
    kind, ints = batch
    if kind.slabs:
        return f"cyclic with K = {ints[0]} slabs along x1 (step t uses slab t mod K)"
    if kind.stochastic:
        return f"sampled, M = {ints[0]} fresh points per step (seed {seed})"
    if kind.fixed_dataset:
        return f"dataset of N = {ints[0]} points, batches of M = {ints[1]} (seed {seed})"
    return "full batch (the population loss)"


def _numbers(cid: str, d: dict[str, Any]) -> str:
    """The numbers a checked claim establishes, in the checker's words."""
    if cid == "construction":
        return (f"the network (depth {d['depth']}, hidden widths [{', '.join(d['hidden_widths'])}]) has "
                "g(x) > 0 exactly on A, and f(w,x) = sigma(w g + 1/2) - sigma(w g - 1/2)")
    if cid in ("monotonicity", "minibatch_monotonicity"):
        return "w_t is nondecreasing (every step's L' <= 0)"
    if cid == "asymptotic":
        return f"L(w) = {d['L_asymptotic']} for w >= w* = {d['w_star']}"
    if cid == "growth":
        return (f"-L'(w) >= c/w^2 with c = {d['c']} and L(w) <= Cbar/w with Cbar = {d['Cbar']}, "
                f"for w >= w* = {d['w_star']}")
    if cid == "cyclic_growth":
        return f"from W* = {d['W_star']} on, each cycle of {d['K']} steps raises w^3 by >= {d['gain_per_cycle']}"
    if cid == "entry":
        w = d.get("w_star", d.get("W_star"))
        t = d.get("t_star", d.get("t_star_bound"))
        return f"w_t >= {w} for every t >= {t}"
    if cid == "rate":
        steps = f"(t - {d['t0']})" if "period" not in d else f"floor((t - {d['t0']})/{d['period']})"
        return (f"L(w_t) <= {d['Cbar']} (({d['w_t0_lower']})^3 + {d['3_eta_c']} {steps})^(-1/3) "
                f"for every t >= {d['t0']}")
    if cid.startswith("pointwise:"):
        x = cid[len("pointwise:x="):]
        lo, hi = d["T_lo"], d["T_hi"]
        T = (f"T(x) = {lo}" if lo == hi else f"T(x) >= {lo}" if hi == "unknown" else f"{lo} <= T(x) <= {hi}")
        return f"{T} at x = {x}: f(w_t, x) = f°(x) = {d['target']} for every t >= T(x)"
    if cid == "deep_ball_depth":
        return (f"at depth N = {d['N']} the deep target contains |x|^2 < {d['inner_radius2_at_N']} and lies "
                f"in |x|^2 < {d['R2']}")
    return ""


def _files(folder: Path, files: dict[str, str]) -> list[ClaimCheck]:
    """One check ``files:<name>`` per listed file (plots, derivation.tex): its SHA-256 must be the
    certificate's (integrity of the outputs; no claim rests on them).  A listed file that is
    absent is undecided: the manifest names content the checker cannot see."""
    out = []
    for name, digest in files.items():
        path = folder / name
        if not path.is_file():
            out.append(ClaimCheck(f"files:{name}", UNDECIDED, "listed in the certificate's files, but absent"))
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
    "statement_lines",
    "CHECKED",
    "FAILED",
    "NOT_CLAIMED",
    "UNDECIDED",
    "ClaimCheck",
    "Report",
    "check_certificate",
    "verify_or_raise",
]
