"""``pointwise fourier``: the Fourier contrast (registered into :mod:`relu_pointwise.cli`).

    pointwise fourier --target ball:d=D,R=R [--rho P | --rho-max P] [--at x1,...,xd[;...]]
                      [--delta D] [--prec BITS] [--method auto|bessel|closed] [--eta E] [--w0 W]
                      [--format text|json] [--out DIR] [--no-plots]

Text output: a table of S_P(0) (Arb balls) with the Fourier integral I(P), the values at
``--points``, the claims (``fourier_centre``, ``network_centre``, ...); the LAST stdout
line is the enclosure of S_P(0) at the largest P asked, in Arb's form ``[mid +/- rad]``.
``--format json``: stdout is the claim document (:mod:`proofs.fourier_claim`), whose
``pairs`` hold every asked (P, enclosure).  ``--out DIR`` writes DIR/fourier.json and the
plots fourier_contrast.png and fourier_ray.png, atomically; a file there that pointwise did
not write is not replaced without ``--force``.  ``--check FILE`` re-checks such a document
(:mod:`proofs.fourier_check`): exit 0 if every check passes, 1 if one fails, 2 if malformed.
"""
from __future__ import annotations

import argparse
import json
import re
import time

from relu_pointwise.symbolic.errors import InputError

DEFAULT_RHO = "50"
TABLE_ROWS = 24


def register(sub) -> None:
    from relu_pointwise.cli.args import add_spec_arguments

    p = sub.add_parser("fourier", help="spherical Fourier partial sums of the ball's indicator vs the network",
                       description="Enclose the spherical partial sums S_P f(x) of the Fourier series of the "
                                   "ball's indicator on the period cell [-1,1)^d, state what the enclosures show "
                                   "(no more), beside the network's certified T(0) for the same target.")
    add_spec_arguments(p)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--rho", default=None,
                   help=f"the largest radius P (exact, >= 1; default {DEFAULT_RHO}): S_P is enclosed at every "
                        "integer P up to it (and at P itself); the table shows a spread, --format json all")
    g.add_argument("--rho-max", dest="rho_max", default=None,
                   help="every integer radius P = 1..P_MAX (exact P_MAX >= 1)")
    p.add_argument("--at", "--points", dest="points", default=None,
                   help="rational points besides the centre: x1,...,xd (several: separated by ';'); S_P(x) at "
                        "every integer P up to --rho, by exact lattice-point counts")
    p.add_argument("--delta", default=None, help="the claim's margin around f°(0) = 1 (exact > 0, default 1/10)")
    p.add_argument("--prec", default=None, help="Arb working precision in bits (default 128)")
    p.add_argument("--method", default="auto", choices=("auto", "bessel", "closed"),
                   help="J_{d/2}: Arb's Bessel J, or the elementary closed form (odd d); auto = closed for odd d")
    p.add_argument("--eta", default=None, help="the network's side: step size, exact (default 1)")
    p.add_argument("--w0", default=None, help="the network's side: initial slope w_0 >= 0 (default 0)")
    p.add_argument("--format", default="text", choices=("text", "json"), help="stdout format (default text)")
    p.add_argument("--out", default=None, help="write DIR/fourier.json and the two plots here")
    p.add_argument("--no-plots", action="store_true", help="with --out: skip the PNG plots")
    p.add_argument("--check", default=None, metavar="FILE",
                   help="re-check a fourier.json from its inputs (the wording from its own enclosures, the "
                        "numbers by the other Bessel route); exit 0 if all checks pass, 1 if not")
    p.add_argument("--force", action="store_true",
                   help="with --out: overwrite files there that pointwise did not write")
    p.set_defaults(func=fourier_main)


# the library names Python parameters; the command line names its flags
_FLAGS = {"rho": "--rho", "rho_max": "--rho-max", "delta": "--delta", "prec": "--prec", "method": "--method",
          "x": "--at", "target": "--target", "domain": "--domain", "out": "--out"}


def _flag_error(exc: InputError, rho_flag: str) -> InputError:
    flags = dict(_FLAGS, P=rho_flag)
    field = exc.field or ""
    flag = flags.get(field)
    msg = str(exc)
    if flag is not None:
        msg = re.sub(rf"^{re.escape(field)}:", f"{flag}:", msg)
    return InputError(msg, field=flag or field or None)


def _mapped(fn, rho_flag: str, *a, **kw):
    """Call a library function, its InputError's parameter name mapped to the flag."""
    try:
        return fn(*a, **kw)
    except InputError as exc:
        raise _flag_error(exc, rho_flag) from None


def _check_main(path: str) -> int:
    from relu_pointwise.proofs.fourier_check import check_fourier_doc
    from relu_pointwise.symbolic.jsonio import read_json

    doc = read_json(path, what="--check")
    try:
        ok, msgs = check_fourier_doc(doc)
    except InputError as exc:
        raise InputError(f"--check: {path}: {exc}", field="--check") from None
    for m in msgs:
        print(m)
    print("fourier claim: all checks pass" if ok else "fourier claim: FAILED")
    return 0 if ok else 1


def _prec(text: str | None) -> int:
    from relu_pointwise.symbolic.numbers import parse_number

    if text is None:
        return 128
    v = parse_number(text, "--prec")
    if not v.is_integer or not 32 <= v <= 4096:
        raise InputError(f"--prec: must be an integer from 32 to 4096 bits, got {text!r}")
    return int(v)


def fourier_main(args: argparse.Namespace) -> int:
    from relu_pointwise.cli.args import spec_from_args
    from relu_pointwise.proofs.certificate import parse_points
    from relu_pointwise.proofs.fourier_claim import (
        DEFAULT_DELTA,
        check_fourier_outputs,
        fourier_report,
        write_fourier_outputs,
    )
    from relu_pointwise.symbolic.spec import make_training

    if args.check is not None:
        return _check_main(args.check)
    t_start = time.perf_counter()
    spec = spec_from_args(args)
    rho_flag = "--rho-max" if args.rho_max is not None else "--rho"
    rho = args.rho if args.rho is not None else (DEFAULT_RHO if args.rho_max is None else None)
    try:
        points = parse_points(args.points, spec) if args.points is not None else []
    except InputError as exc:   # the certificate's parser names --points; here the flag is --at
        raise InputError(re.sub(r"^(--)?points:", "--at:", str(exc)), field="--at") from None
    if args.out is not None:   # before the work, not after
        _mapped(check_fourier_outputs, rho_flag, args.out, plots=not args.no_plots, force=args.force,
                n_points=len(points))
    training = make_training(args.eta if args.eta is not None else "1", args.w0 if args.w0 is not None else "0")
    try:
        report = fourier_report(spec, rho=rho, rho_max=args.rho_max, points=points,
                                delta=DEFAULT_DELTA if args.delta is None else args.delta,
                                prec=_prec(args.prec), method=args.method, training=training)
    except InputError as exc:
        raise _flag_error(exc, rho_flag) from None
    files = (_mapped(write_fourier_outputs, rho_flag, report, args.out, plots=not args.no_plots, force=args.force)
             if args.out is not None else [])
    last = report.doc["pairs"][-1][1]
    if args.format == "json":
        print(json.dumps(report.doc, ensure_ascii=False))
        return 0
    print(table_text(report))
    for c in report.doc["claims"]:
        print(f"{c['id']} ({c['status']}): {c['statement']}")
    if files:
        print(f"wrote {', '.join(str(f) for f in files)}")
    print(f"({time.perf_counter() - t_start:.1f} s); S_P(0) at P = {report.doc['pairs'][-1][0]}:")
    print(last)
    return 0


def _rows(P_max: int) -> list[int]:
    """Integer radii shown in the table: all when few, else the first ones, an even spread,
    and the last four (consecutive: for R = 1/2 the centre value cycles with P mod 4)."""
    if P_max <= TABLE_ROWS:
        return list(range(1, P_max + 1))
    spread = {1, 2, 3, 4} | {round(1 + i * (P_max - 1) / (TABLE_ROWS - 9)) for i in range(TABLE_ROWS - 8)}
    spread |= set(range(P_max - 3, P_max + 1))
    return sorted(p for p in spread if 1 <= p <= P_max)


def table_text(report) -> str:
    from flint import ctx, fmpq

    from relu_pointwise.numeric.arb_balls import ball_bounds
    from relu_pointwise.numeric.fourier_coeffs import (
        INTEGRAL_DIMS,
        fourier_integral_centre,
    )
    from relu_pointwise.proofs.fourier_claim import arb_text

    inp = report.doc["inputs"]
    d, R = report.d, report.R
    vals = {int(p.p): v for p, v in report.curve.pairs() if p.q == 1}
    P_top = max(vals)
    rows = [(fmpq(P), vals[P]) for P in _rows(P_top)]
    for p, v in report.asked:
        if p.q != 1:
            rows.append((p, v))
    one, dl = 1, report.delta
    lines = [(f"Fourier partial sums S_P(0) of the indicator of {inp['target']} on the period cell [-1,1)^{d} "
             f"(f°(0) = 1); J_{{d/2}} by {'closed form' if report.method == 'closed' else 'Arb Bessel J'}, "
             f"Arb {report.prec} bits, r_{d}(n) exact for n <= {report.curve.shells}"),
             f"{'P':>7}  {'S_P(0)':<44}  {'Fourier integral I(P)':<44}  vs 1 +- {dl}"]
    for p, v in rows:
        lo, hi = ball_bounds(v)
        where = ("above" if lo > one + dl else "below" if hi < one - dl
                 else "within" if lo >= one - dl and hi <= one + dl else "undecided")
        integ = ""
        if d in INTEGRAL_DIMS:
            with ctx.workprec(report.prec):
                integ = arb_text(fourier_integral_centre(d, fmpq(int(R.p), int(R.q)), p))
        P_text = str(p)
        lines.append(f"{P_text:>7}  {arb_text(v):<44}  {integ:<44}  {where}")
    if len(rows) < P_top:
        lines.append(f"({len(rows)} of {P_top} integer radii shown; all in fourier.json 'curve' (--out) "
                     f"or --format json)")
    for x, pc in report.point_values:
        from relu_pointwise.numeric.fourier_points import target_at

        t = target_at(x, R)
        pv = {int(p.p): v for p, v in pc.pairs() if p.q == 1}
        lines.append(f"S_P(x) at x = ({','.join(str(c) for c in x)}), f°(x) = {t}:")
        lines.append(f"{'P':>7}  {'S_P(x)':<44}  vs {t} +- {dl}")
        for P in _rows(max(pv)):
            lo, hi = ball_bounds(pv[P])
            where = ("above" if lo > t + dl else "below" if hi < t - dl
                     else "within" if lo >= t - dl and hi <= t + dl else "undecided")
            lines.append(f"{P:>7}  {arb_text(pv[P]):<44}  {where}")
    return "\n".join(lines)
