"""The Python API: a problem stated in a few lines, a certificate out (PEPit's model).

    >>> import relu_pointwise as rp
    >>> p = rp.Problem("interval:-1/2,1/2")
    >>> p.derive().L(3)                 # exact L(3) = 1/(12*3)
    1/36
    >>> traj = p.run("arb", steps=1000)  # rigorous balls around w_t and L(w_t)
    >>> cert = p.certify(points=["1/4", "3/4"])
    >>> rp.verify(cert).ok
    True

A :class:`Problem` holds one exact spec (target, domain, loss exponent r, measure)
and one training (step size eta, initial slope w0, batch variant, seed); every
method reads that same object. Errors are :class:`relu_pointwise.PointwiseError`
subclasses naming the Python parameter.
"""
from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the spec module imports SymPy: keep ``import relu_pointwise.problem`` cheap
    from relu_pointwise.numeric.engines import Engine
    from relu_pointwise.numeric.trajectory import Trajectory
    from relu_pointwise.proofs.check.report import VerifyReport
    from relu_pointwise.proofs.report_page import PageResult
    from relu_pointwise.symbolic.derivation import Derivation
    from relu_pointwise.symbolic.network import Network
    from relu_pointwise.symbolic.spec import Spec, Training

# The same text as ``relu_pointwise.symbolic.spec.DEFAULT_TARGET`` (tests/test_python_api.py checks they agree);
# written out here so that importing this module (e.g. from Hypothesis' type registry hook) stays cheap.
DEFAULT_TARGET = "interval:-1/2,1/2"

__all__ = ["Problem", "Certificate", "verify"]


class Problem:
    """Gradient descent on the constructed network for one target (exact spec).

    ``target`` uses the grammar of ``pointwise --target`` (``interval:A,B``,
    ``box:...``, ``ball:d=D,R=R[,N=N]``, unions and intersections); ``domain`` is
    ``LO,HI`` or ``LO1,HI1;LO2,HI2;...`` (default [-1,1]^d); ``r`` the loss exponent
    (phi(s) = s^r, r >= 1 rational); ``measure`` ``probability`` or ``lebesgue``;
    ``eta``, ``w0`` exact rationals; ``batch`` ``full | cyclic:K | sampled:M |
    dataset:N,M``; ``seed`` for sampled batches.
    """

    def __init__(self, target: str = DEFAULT_TARGET, *, domain: str | None = None, r: Any = 2,
                 measure: str = "probability", eta: Any = 1, w0: Any = 0, batch: str = "full",
                 seed: int = 0) -> None:
        from relu_pointwise.symbolic.spec import make_spec, make_training

        self.spec: Spec = make_spec(target, domain, _text(r, "r"), measure)
        self.training: Training = make_training(_text(eta, "eta"), _text(w0, "w0"), batch, seed)
        self._derivation: Any = None

    @classmethod
    def from_spec(cls, spec: Spec, training: Training | None = None) -> Problem:
        """A problem for an already-built spec (and training)."""
        from relu_pointwise.symbolic.spec import make_training

        p = cls.__new__(cls)
        p.spec = spec
        p.training = training if training is not None else make_training()
        p._derivation = None
        return p

    def __repr__(self) -> str:
        return (f"Problem({self.spec.target.text!r}, domain={self.spec.domain.text()!r}, "
                f"r={_text(self.spec.r)!r}, measure={self.spec.measure!r}, eta={_text(self.training.eta)!r}, "
                f"w0={_text(self.training.w0)!r}, batch={self.training.batch.text()!r})")

    def _repr_html_(self) -> str:
        """Jupyter: the problem's settings as a table."""
        rows = [("target", self.spec.target.text), ("domain", self.spec.domain.text()), ("r", _text(self.spec.r)),
                ("measure", self.spec.measure), ("eta", _text(self.training.eta)), ("w0", _text(self.training.w0)),
                ("batch", self.training.batch.text()), ("seed", str(self.training.seed))]
        body = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
        return f"<table>{body}</table>"

    def network(self) -> Network:
        """The constructed network with exact weights (``.describe()`` prints it)."""
        return self.spec.network

    def derive(self) -> Derivation:
        """The exact derivation: ``.L(w)``, ``.dL(w)``, ``.Phi(w, eta)``, ``.w_star``, pieces."""
        if self._derivation is None:
            from relu_pointwise.symbolic.loss import derive

            self._derivation = derive(self.spec)
        return self._derivation

    def run(self, engine: str | Engine = "np", steps: int = 100, *, record_every: int | None = None,
            data: Any = None, **options: Any) -> Trajectory:
        """Gradient descent with one engine (``exact``, ``mp``, ``arb``, ``np``, ``jax``):
        a :class:`~relu_pointwise.numeric.trajectory.Trajectory`. Engine options are
        keywords: ``dps=`` (mp), ``prec=`` (arb), ``max_digits=`` (exact)."""
        from relu_pointwise.numeric.engines import get_engine

        return get_engine(engine, **options).run(self.spec, self.training, steps, record_every=record_every,
                                                 data=data)

    def crosscheck(self, steps: int = 100, *, dps: int = 50, prec: int = 128, data: Any = None) -> dict[str, Any]:
        """Every engine against every other, with derived bounds (the JSON report as a dict)."""
        from relu_pointwise.numeric.crosscheck import crosscheck

        return crosscheck(self.spec, self.training, steps, dps, prec=prec, data=data)

    def certify(self, points: Sequence[Any] | None = None, *, grid: int | None = None, steps: int | None = None,
                prec: int | None = None) -> Certificate:
        """The certificate of pointwise convergence; ``points`` are rationals (1-D) or
        tuples of rationals (as numbers or text such as ``"1/4"``)."""
        from relu_pointwise.proofs.certificate import DEFAULT_PREC, build, check_points
        from relu_pointwise.symbolic.numbers import api_number

        pts = None
        if points is not None:
            pts = [tuple(api_number(c, "points") for c in (p if isinstance(p, (list, tuple)) else (p,)))
                   for p in points]
            pts = check_points(pts, self.spec)
        if grid is not None:     # the CLI's --grid range (symbolic.limits), named as in Python
            from relu_pointwise.symbolic.limits import POINTS_MAX, check_int

            grid = check_int(grid, "grid", 2, POINTS_MAX)
        b = build(self.spec, self.training, points=pts, grid=grid, steps=steps,
                  prec=DEFAULT_PREC if prec is None else prec)
        return Certificate(b.cert, b)


class Certificate:
    """A certificate (the JSON document as ``.data``) with the run that produced it."""

    def __init__(self, data: Mapping[str, Any], build: Any = None) -> None:
        self.data = dict(data)
        self._build = build

    @property
    def verdict(self) -> str:
        return str(self.data.get("verdict"))

    @property
    def certified(self) -> bool:
        return self.verdict == "certified"

    @property
    def claims(self) -> list[dict[str, Any]]:
        return list(self.data.get("claims", []))

    def to_json(self) -> str:
        from relu_pointwise.proofs.certificate import dumps

        return dumps(self.data)

    def save(self, out_dir: str | Path, *, plots: bool = True) -> list[Path]:
        """Write certificate.json (and derivation.tex, plots) into ``out_dir``."""
        from relu_pointwise.proofs.certificate import write_outputs

        if self._build is None:
            out = Path(out_dir)
            out.mkdir(parents=True, exist_ok=True)
            (out / "certificate.json").write_text(self.to_json(), encoding="utf-8")
            return [out / "certificate.json"]
        return write_outputs(self._build, out_dir, plots=plots)

    def report(self, path: str | Path | None = None) -> PageResult:
        """The self-contained HTML report page (:mod:`relu_pointwise.proofs.report_page`), checked by the
        independent checker: written to ``path`` when given, and returned as a ``PageResult``
        (``.html``, ``.verified``). Plots appear when the page is made from a saved certificate
        (``pointwise report DIR/certificate.json``); from memory it has everything else."""
        from relu_pointwise.proofs.report_page import report_html, write_report

        return report_html(self.data) if path is None else write_report(self.data, path)

    def __repr__(self) -> str:
        return f"<Certificate {self.verdict}: {len(self.claims)} claims>"

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td>{html.escape(str(c.get('id')))}</td><td>{html.escape(str(c.get('status')))}</td>"
                       f"<td>{html.escape(str(c.get('statement', ''))[:200])}</td></tr>" for c in self.claims)
        return (f"<p><b>verdict: {html.escape(self.verdict)}</b></p>"
                f"<table><tr><th>claim</th><th>status</th><th>statement</th></tr>{rows}</table>")


def verify(cert: Certificate | Mapping[str, Any] | str | Path, *, rederive: bool = False,
           progress: bool | None = None) -> VerifyReport:
    """Check a certificate (object, dict or path to certificate.json) by the independent
    checker (:mod:`relu_pointwise.proofs.check`: none of the prover's code); ``rederive``
    also re-runs the prover on its inputs and compares field by field. ``progress``: draw the
    checker's progress line (claims, cells, steps) on stderr; None = when stderr is a terminal.

    A malformed certificate raises :class:`~relu_pointwise.CertificateError`.
    """
    from relu_pointwise.proofs.check import check_certificate
    from relu_pointwise.verify_progress import announce_check

    source = cert.data if isinstance(cert, Certificate) else cert
    with announce_check(progress):
        report = check_certificate(source)
    if rederive:       # the prover re-run and compared field by field: more checks in the one report
        from relu_pointwise.proofs.check.base import CHECKED, FAILED, ClaimCheck
        from relu_pointwise.proofs.verify import verify as _rederive

        ok2, msgs2 = _rederive(source)
        report.checks += ([ClaimCheck("rederive", CHECKED, "; ".join(msgs2))] if ok2
                          else [ClaimCheck("rederive", FAILED, m) for m in msgs2])
    return report


def _text(v: Any, what: str = "value") -> str:
    """An exact rational as text for the spec reader, by the API's one rule for numbers
    (:func:`~relu_pointwise.symbolic.numbers.api_number`: a float is its shortest decimal)."""
    if isinstance(v, str):
        return v
    from relu_pointwise.symbolic.errors import InputError
    from relu_pointwise.symbolic.numbers import api_number, rational_text

    q = api_number(v, what)
    if not q.is_Rational:
        raise InputError(f"{what}: must be rational, got {q}", field=what)
    return rational_text(q)
