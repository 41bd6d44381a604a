"""A certificate's report page: one self-contained HTML file a colleague opens without installing anything.

The page holds, top to bottom: the verdict banner, the problem statement (target, domain, r,
measure, step size, start, batch), the verify result of the independent checker
(:func:`relu_pointwise.proofs.check.check_certificate`, run when the page is made, with its date
and the package version), the proved numbers with the key formulas as MathML (SymPy's
presentation printer; browsers render MathML natively), the claims table (the certificate's
status beside the checker's), and the plots found beside the certificate, embedded as base64 PNG.

Everything is inline: no script, no style sheet, font or image from elsewhere. The page's
Content-Security-Policy (``default-src 'none'``) forbids any fetch, so opening it never touches
the network. Every text from the certificate is HTML-escaped; expressions are read by the
toolkit's own parser (:mod:`relu_pointwise.symbolic.exprio`), never evaluated.

The banner says VERIFIED (green) only when the checker accepts every claim and the certificate's
verdict is ``certified``; a certificate the checker does not accept, or cannot read, gives a page
whose first words are NOT VERIFIED, in red, with the failing checks named: never a green page.
"""
from __future__ import annotations

import base64
import datetime as _dt
import html
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from relu_pointwise.symbolic.errors import CertificateError, PointwiseError

__all__ = ["PageResult", "report_html", "write_report"]

PLOT_NAMES = ("loss.png", "outputs.png", "T.png", "region_map.png")
"""The PNGs ``pointwise certify`` writes beside the certificate, in the page's order."""
PLOT_BYTES_MAX = 8 * 2**20
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

_STYLE = """
body { font-family: DejaVu Sans, Helvetica, Arial, sans-serif; margin: 0 auto; max-width: 60rem; padding: 0 1rem 3rem;
       color: #1b1b1b; background: #fff; line-height: 1.4; }
.banner { margin: 0 -1rem 1rem; padding: 1rem 1.2rem; color: #fff; font-size: 1.5rem; font-weight: bold; }
.banner small { display: block; font-size: 0.9rem; font-weight: normal; }
.verified { background: #1f7a36; } .failed { background: #b3141b; } .amber { background: #8a5a00; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
th, td { border: 1px solid #c8c8c8; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.st-checked { background: #e3f3e6; } td.st-failed, td.st-undecided { background: #fbe1e1; font-weight: bold; }
td.st-neutral { background: #f4f4f4; }
code, .mono { font-family: DejaVu Sans Mono, monospace; font-size: 0.85rem; }
math[display=block] { margin: 0.4rem 0; }
figure { margin: 1rem 0; } figure img { max-width: 100%; border: 1px solid #ddd; }
"""


@dataclass
class PageResult:
    """The page and what it says: ``verified`` (the checker accepts every claim and the verdict is certified)."""

    html: str
    verified: bool
    checker_ok: bool
    summary: str
    malformed: bool = False


def _map(x: Any) -> Mapping[str, Any]:
    """``x`` if it is a mapping, else an empty one (a malformed certificate still gets a page)."""
    return x if isinstance(x, Mapping) else {}


def _list(x: Any) -> list[Any]:
    return x if isinstance(x, list) else []


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _short(text: Any, limit: int = 300) -> str:
    s = " ".join(str(text).split())
    return s if len(s) <= limit else s[: limit - 3] + "..."


# ---------------------------------------------------------------------- formulas as MathML

_NAMES = {"<mi>l</mi>": "<mi>L</mi>", "<mi>phi</mi>": "<mi>&Phi;</mi>"}
"""SymPy's presentation printer lower-cases function names; the page's functions are L and Phi."""


def _mathml(expr: Any) -> str:
    """``expr`` (SymPy) as a display MathML element (presentation markup; powers as exponents, not roots)."""
    from sympy.printing.mathml import mathml

    text = mathml(expr, printer="presentation", root_notation=False)
    for old, new in _NAMES.items():
        text = text.replace(old, new)
    return f'<math display="block">{text}</math>'


def _formulas(claims: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(caption, MathML) for the key formulas the claims' data state: L(w) from w* on, the growth
    bounds, the rate. Data that does not parse is left out (the claims table still shows it)."""
    import sympy

    from relu_pointwise.symbolic.exprio import from_text

    w, t = sympy.Symbol("w", positive=True), sympy.Symbol("t", positive=True)
    Lw = sympy.Function("L")(w)
    out: list[tuple[str, str]] = []

    def num(text: Any) -> Any:
        return from_text(str(text), {})

    def data(cid: str) -> Mapping[str, Any]:
        d = claims.get(cid, {}).get("data", {})
        return d if isinstance(d, Mapping) else {}

    try:
        a = data("asymptotic")
        if "L_asymptotic" in a and "w_star" in a:
            expr = from_text(str(a["L_asymptotic"]), {"w": w})
            out.append((f"the exact loss for w >= w* = {a['w_star']} (claim asymptotic)",
                        _mathml(sympy.Eq(Lw, expr, evaluate=False))))
            eta = claims.get("growth", {}).get("data", {}).get("eta")
            if isinstance(eta, str):        # the gradient-descent map there: Phi(w) = w - eta L'(w)
                phi = sympy.cancel(w - num(eta) * sympy.diff(expr, w))
                out.append((f"so the gradient-descent map for w >= w*, with eta = {eta}",
                            _mathml(sympy.Eq(sympy.Function("Phi")(w), phi, evaluate=False))))
    except (PointwiseError, ValueError, TypeError):
        pass
    try:
        g = data("growth")
        if "c" in g and "Cbar" in g:
            dL = sympy.Derivative(Lw, w)
            out.append(("the growth lemma for w >= w* (claim growth)",
                        _mathml(sympy.Ge(-dL, num(g["c"]) / w**2, evaluate=False))
                        + _mathml(sympy.Le(Lw, num(g["Cbar"]) / w, evaluate=False))))
    except (PointwiseError, ValueError, TypeError):
        pass
    try:
        r = data("rate")
        if {"Cbar", "w_t0_lower", "3_eta_c", "t0"} <= set(r):
            # unevaluated, so the page shows the claim's form Cbar (W^3 + 3 eta c (t - t0))^(-1/3)
            inner = sympy.Add(sympy.Pow(num(r["w_t0_lower"]), 3, evaluate=False),
                              sympy.Mul(num(r["3_eta_c"]), sympy.Add(t, -num(r["t0"]), evaluate=False),
                                        evaluate=False), evaluate=False)
            bound = sympy.Mul(num(r["Cbar"]), sympy.Pow(inner, sympy.Rational(-1, 3), evaluate=False),
                              evaluate=False)
            out.append((f"the rate, for every t >= {r['t0']} (claim rate)",
                        _mathml(sympy.Le(sympy.Function("L")(sympy.Symbol("w_t")), bound, evaluate=False))))
    except (PointwiseError, ValueError, TypeError):
        pass
    return out


# ---------------------------------------------------------------------- the page's parts

def _plots(folder: Path | None, cert: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(name, data URI) of the certificate's PNGs present beside it (listed in ``files`` or by name)."""
    if folder is None:
        return []
    files = _map(cert.get("files"))
    names = [n for n in PLOT_NAMES if n in files or (folder / n).is_file()]
    names += sorted(n for n in files if isinstance(n, str) and n.endswith(".png") and n not in names and "/" not in n)
    out = []
    for name in names:
        path = folder / name
        try:
            if not path.is_file() or path.stat().st_size > PLOT_BYTES_MAX:
                continue
            raw = path.read_bytes()
        except OSError:
            continue
        if raw.startswith(PNG_MAGIC):
            out.append((name, "data:image/png;base64," + base64.b64encode(raw).decode("ascii")))
    return out


def _statement(cert: Mapping[str, Any]) -> str:
    inp = _map(cert.get("inputs"))
    spec = _map(inp.get("spec"))
    rows = [("target", spec.get("target")), ("domain", spec.get("domain")), ("loss exponent r", spec.get("r")),
            ("measure", spec.get("measure")), ("step size eta", inp.get("eta")), ("start w0", inp.get("w0")),
            ("batch", inp.get("batch")), ("seed", inp.get("seed")), ("enclosed steps", inp.get("steps")),
            ("Arb precision (bits)", inp.get("prec"))]
    body = "".join(f"<tr><th>{_e(k)}</th><td class=\"mono\">{_e(_short(v, 200))}</td></tr>"
                   for k, v in rows if v is not None)
    text = ("Gradient descent w<sub>t+1</sub> = w<sub>t</sub> &minus; &eta; L'(w<sub>t</sub>) on the slope w of the "
            "constructed ReLU network f(w, x) = &sigma;(w g(x) + 1/2) &minus; &sigma;(w g(x) &minus; 1/2), with "
            "L(w) = &int; |f(w, x) &minus; f&deg;(x)|<sup>r</sup> d&mu;(x) and f&deg; the target's indicator "
            "(1/2 on its boundary). The certificate claims that f(w<sub>t</sub>, x) = f&deg;(x) for every t &ge; T(x) "
            "at each requested point x, and that L(w<sub>t</sub>) decays like t<sup>&minus;1/3</sup>.")
    scope = cert.get("scope")
    extra = f"<p>Scope: {_e(_short(scope, 600))}</p>" if scope else ""
    return f"<h2>The problem</h2><p>{text}</p><table>{body}</table>{extra}"


def _claims_table(cert: Mapping[str, Any], checks: Mapping[str, tuple[str, str]], verified: bool) -> str:
    rows = []
    claims = _list(cert.get("claims"))
    for c in claims:
        if not isinstance(c, Mapping):
            continue
        cid = str(c.get("id"))
        st, reason = checks.get(cid, ("not run", "the checker did not report this claim"))
        cls = "st-failed" if st == "failed" else "st-undecided" if st == "undecided" else \
            "st-checked" if (st == "checked" and verified) else "st-neutral"
        rows.append(f"<tr><td class=\"mono\">{_e(cid)}</td><td>{_e(c.get('status'))}</td>"
                    f"<td class=\"{cls}\">{_e(st)}</td><td>{_e(_short(c.get('statement', ''), 400))}"
                    f"<br><small>{_e(_short(reason, 300))}</small></td></tr>")
    ids = {str(c.get("id")) for c in claims if isinstance(c, Mapping)}
    extra = [f"<tr><td class=\"mono\">{_e(k)}</td><td>-</td>"
             f"<td class=\"{'st-failed' if st != 'checked' else 'st-neutral'}\">{_e(st)}</td>"
             f"<td>{_e(_short(r, 300))}</td></tr>" for k, (st, r) in checks.items() if k not in ids]
    head = "<tr><th>claim</th><th>certificate says</th><th>checker</th><th>statement / checker's reason</th></tr>"
    return f"<h2>Claims</h2><table>{head}{''.join(rows)}{''.join(extra)}</table>"


def _numbers(cert: Mapping[str, Any]) -> str:
    """The proved numbers: short scalar data of the main claims (exact rationals as written)."""
    keys = {"asymptotic": ("w_star", "L_asymptotic", "C"), "growth": ("c", "Cbar", "3_eta_c"),
            "entry": ("t_star", "t_star_bound", "w_t_star_lo", "w_t_star_hi"),
            "rate": ("t0", "w_t0_lower", "Cbar", "3_eta_c"), "path": ("steps", "w_n_lo", "w_n_hi")}
    rows = []
    for c in _list(cert.get("claims")):
        if not isinstance(c, Mapping) or not isinstance(c.get("data"), Mapping):
            continue
        cid = str(c.get("id"))
        d = c["data"]
        if cid in keys:
            items = ", ".join(f"{k} = {_short(d[k], 80)}" for k in keys[cid] if k in d and isinstance(d[k], str))
            if items:
                rows.append(f"<tr><td class=\"mono\">{_e(cid)}</td><td class=\"mono\">{_e(items)}</td></tr>")
    pts = [c for c in _list(cert.get("claims")) if isinstance(c, Mapping)
           and str(c.get("id", "")).startswith("pointwise:") and isinstance(c.get("data"), Mapping)]
    if pts:
        cells = "".join(f"<tr><td class=\"mono\">{_e(str(c['id'])[len('pointwise:'):])}</td>"
                        f"<td class=\"mono\">{_e(_t_text(c['data']))}</td></tr>" for c in pts)
        rows.append(f"<tr><td>T(x)</td><td><table><tr><th>point</th><th>T(x)</th></tr>{cells}</table></td></tr>")
    return f"<h2>The proved numbers</h2><table>{''.join(rows)}</table>" if rows else ""


def _t_text(d: Mapping[str, Any]) -> str:
    lo, hi = d.get("T_lo"), d.get("T_hi")
    if lo is not None and lo == hi:
        return str(lo)
    return f"{lo} .. {hi}" if hi not in (None, "unknown") else f">= {lo}"


# ---------------------------------------------------------------------- the page

def package_version() -> str:
    """The installed distribution's version (the package root is above this layer: not imported)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("relu-pointwise")
    except PackageNotFoundError:      # run from a source tree that is not installed
        return "unknown (not installed)"


def report_html(source: str | Path | Mapping[str, Any], *, now: _dt.datetime | None = None) -> PageResult:
    """The report page for a certificate (a path to certificate.json, or the document as a dict).

    The checker runs here; its date (``now``, default the current UTC time) and the package
    version are printed on the page.
    """
    __version__ = package_version()
    from relu_pointwise.proofs.check import check_certificate
    from relu_pointwise.symbolic.jsonio import loads_json, read_bytes
    from relu_pointwise.symbolic.limits import CERT_BYTES

    when = (now or _dt.datetime.now(_dt.UTC)).strftime("%Y-%m-%d %H:%M:%S UTC")
    folder = Path(source).parent if not isinstance(source, Mapping) else None
    name = Path(source).name if not isinstance(source, Mapping) else "certificate (in memory)"
    cert: Mapping[str, Any] = {}
    problem = ""
    try:
        if isinstance(source, Mapping):
            cert = source
        else:
            raw = read_bytes(source, what="certificate", max_bytes=CERT_BYTES, error=CertificateError)
            doc = loads_json(raw, what="certificate", label=name, error=CertificateError)
            cert = doc if isinstance(doc, Mapping) else {}
        report = check_certificate(source)
        checks = {c.id: (c.status, c.reason) for c in report.checks}
        checker_ok, summary = report.ok, report.summary()
    except CertificateError as exc:
        checks, checker_ok = {}, False
        summary = f"the checker cannot read this certificate: {exc}"
        problem = summary
    verdict = str(cert.get("verdict", "unknown"))
    verified = checker_ok and verdict == "certified"
    if verified:
        banner = ("verified", "VERIFIED", "The independent checker re-established every claim; verdict: certified.")
    elif checker_ok:
        banner = ("amber", f"CHECKED, BUT NOT CERTIFIED (verdict: {_short(verdict, 40)})",
                  "The checker accepts what the certificate says, and the certificate does not claim convergence.")
    else:
        failed = [f"{k} ({st})" for k, (st, _) in checks.items() if st in ("failed", "undecided")]
        why = ("claims that do not check: " + ", ".join(failed)) if failed else (problem or summary)
        banner = ("failed", "NOT VERIFIED", _short(why, 600))
    cls, head, sub = banner
    target = _map(_map(cert.get("inputs")).get("spec")).get("target", "?")
    claims_by_id = {str(c.get("id")): c for c in _list(cert.get("claims")) if isinstance(c, Mapping)}
    formulas = _formulas(claims_by_id) if checks else []
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        PAGE_SIGNATURE.decode(),
        f"<title>{_e(head)}: certificate for {_e(_short(target, 80))}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f'<div class="banner {cls}" id="verdict">{_e(head)}<small>{_e(sub)}</small></div>',
        f"<h1>Certificate report: {_e(_short(target, 120))}</h1>",
        _statement(cert) if cert else "",
        "<h2>Verify result</h2>",
        f"<p>Checked by the independent checker <code>relu_pointwise.proofs.check</code> of relu-pointwise "
        f"{_e(__version__)} on {_e(when)}, from <code>{_e(name)}</code>. Certificate verdict: "
        f"<b>{_e(_short(verdict, 40))}</b>. Checker: <b>{_e(_short(summary, 600))}</b>.</p>",
    ]
    if cert.get("reason"):
        parts.append(f"<p>The certificate's reason: {_e(_short(cert['reason'], 600))}</p>")
    if formulas:
        parts.append("<h2>Formulas</h2>")
        parts += [f"<p>{_e(cap)}:</p>{ml}" for cap, ml in formulas]
    parts.append(_numbers(cert))
    parts.append(_claims_table(cert, checks, verified))
    plots = _plots(folder, cert)
    if plots:
        parts.append("<h2>Plots</h2>")
        parts += [f'<figure><img alt="{_e(n)}" src="{uri}"><figcaption class="mono">{_e(n)}</figcaption></figure>'
                  for n, uri in plots]
    parts.append("</body></html>")
    return PageResult("\n".join(p for p in parts if p) + "\n", verified, checker_ok, summary, malformed=bool(problem))


def write_report(source: str | Path | Mapping[str, Any], out: str | Path, *, force: bool = False) -> PageResult:
    """Write :func:`report_html` to ``out`` atomically (an existing file there that pointwise did not
    write is refused unless ``force``)."""
    from relu_pointwise.symbolic.errors import InputError
    from relu_pointwise.symbolic.fileout import check_overwrite, write_atomic

    if not isinstance(source, Mapping) and Path(source).is_dir():        # nothing to report on: bad input
        raise InputError(f"file: {str(source)!r} is a folder, not a certificate file", field="file")
    if not isinstance(source, Mapping) and not Path(source).is_file():
        raise InputError(f"file: {str(source)!r} does not exist or is not a file", field="file")
    check_overwrite(out, what="-o", force=force, signatures=(PAGE_SIGNATURE,))
    page = report_html(source)
    write_atomic(out, page.html, what="-o")
    return page


PAGE_SIGNATURE = b'<meta name="generator" content="relu-pointwise report">'
"""The first bytes of a page this module writes: an existing -o file with them is ours to replace."""
