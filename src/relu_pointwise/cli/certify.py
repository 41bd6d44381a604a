"""``pointwise certify`` and ``pointwise verify`` (registered into :mod:`relu_pointwise.cli`)."""
from __future__ import annotations

import argparse
import sys
import time

from relu_pointwise.symbolic.errors import InputError


def register(sub) -> None:
    from relu_pointwise.cli.args import add_limit_arguments, add_spec_arguments, add_training_arguments

    p = sub.add_parser("certify", help="certify pointwise convergence (writes certificate.json, derivation.tex, plots)",
                       description="Certify that gradient descent on the constructed network converges pointwise "
                                   "to the target: every claim proved (SymPy) or enclosed (Arb / exact rationals). "
                                   "Exit 0 only if certified.")
    add_spec_arguments(p)
    add_training_arguments(p)
    p.add_argument("--steps", default=None,
                   help="horizon of the enclosed path (default 20000 full batch, 1000 mini-batch)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--points", default=None,
                   help="points whose T(x) to certify: X1,X2,... (1-D) or x1,y1;x2,y2;... (d-D)")
    g.add_argument("--grid", default=None,
                   help="K equally spaced points per coordinate, ends included "
                        "(default 17 in 1-D, 5 in 2-D, 3 up to 5-D, 2 above)")
    p.add_argument("--prec", default=None, help="Arb working precision in bits (default 128)")
    p.add_argument("--out", default="certificate-out", help="output directory (default ./certificate-out)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument("--report", nargs="?", const="", default=None, metavar="FILE",
                   help="also write the self-contained HTML report page, checked by the independent checker "
                        "(default FILE: report.html in --out)")
    p.add_argument("--force", action="store_true",
                   help="overwrite files in --out that pointwise did not write (refused by default)")
    p.set_defaults(func=certify_main)

    v = sub.add_parser("verify", help="check every claim of a certificate by the independent checker",
                       description="Check every claim of FILE by the independent checker "
                                   "(relu_pointwise.proofs.check: its own cells, integrals, root isolation and "
                                   "path enclosure; none of the prover's code). Exit 0 when every claim checks, "
                                   "1 when a claim fails or cannot be established (named), 2 when FILE is "
                                   "malformed. Nothing in FILE is evaluated.")
    v.add_argument("file", help="certificate.json written by pointwise certify")
    add_limit_arguments(v)
    v.add_argument("--rederive", action="store_true",
                   help="also re-run the prover on the certificate's inputs and compare field by field")
    v.add_argument("--quiet", action="store_true",
                   help="print only the claims that failed or are undecided, and the summary line")
    v.set_defaults(func=verify_main)


def _int_arg(value, what: str, lo: int, hi: int) -> int:
    from relu_pointwise.symbolic.numbers import number_from_value

    v = number_from_value(value, what)
    if not v.is_integer or not lo <= v <= hi:
        raise InputError(f"{what}: must be an integer from {lo} to {hi}, got {value!r}")
    return int(v)


def certify_main(args: argparse.Namespace) -> int:
    from relu_pointwise.cli.args import PhaseLine, announce_regions, settings, spec_from_args, training_from_args
    from relu_pointwise.proofs.certificate import DEFAULT_PREC, build, check_outputs, parse_points, write_outputs
    from relu_pointwise.symbolic.limits import POINTS_MAX, PREC_MAX, STEPS_MAX
    from relu_pointwise.symbolic.progress import progress_to

    t_start = time.perf_counter()
    spec = spec_from_args(args)
    training = training_from_args(args)
    extra = settings(args)
    steps = args.steps if args.steps is not None else extra.get("steps")
    steps = None if steps is None else _int_arg(steps, "--steps", 1, STEPS_MAX.value)
    prec = DEFAULT_PREC if args.prec is None else _int_arg(args.prec, "--prec", 16, PREC_MAX.value)
    points_text = args.points if args.points is not None else (extra.get("points") if args.grid is None else None)
    grid = args.grid if args.grid is not None else (extra.get("grid") if points_text is None else None)
    points = parse_points(points_text, spec) if points_text is not None else None
    grid = None if grid is None else _int_arg(grid, "--grid", 2, POINTS_MAX.value)
    check_outputs(args.out, plots=not args.no_plots, force=args.force)   # before the work, not after
    # on a terminal, a line per phase through the whole run (deriving, the path, T(x), plots)
    phases = PhaseLine("certify", sys.stderr.isatty())
    try:
        with progress_to(phases):
            with announce_regions(spec):
                b = build(spec, training, points=points, grid=grid, steps=steps, prec=prec)
            files = write_outputs(b, args.out, plots=not args.no_plots, force=args.force)
    finally:
        phases.close()
    print(summary_text(b.cert))
    if args.report is not None:
        from pathlib import Path

        from relu_pointwise.proofs.report_page import write_report

        page_path = Path(args.report) if args.report else Path(args.out) / "report.html"
        page = write_report(Path(args.out) / "certificate.json", page_path, force=args.force)
        files.append(page_path)
        print(f"report: {'VERIFIED' if page.verified else 'NOT VERIFIED'} (checker: {page.summary})")
    print(f"wrote {', '.join(str(f) for f in files)}")
    print(f"({time.perf_counter() - t_start:.1f} s)")
    return 0 if b.cert["verdict"] == "certified" else 1


def verify_main(args: argparse.Namespace) -> int:
    from relu_pointwise.proofs.check import check_certificate
    from relu_pointwise.proofs.check.report import statement_lines
    from relu_pointwise.verify_progress import announce_check

    with announce_check():
        report = check_certificate(args.file)      # CertificateError(malformed) -> exit 2
    if not args.quiet:                             # the statement, in the checker's own words
        print("checked statement (the checker's own reading; numbers from the claims that check):")
        for line in statement_lines(report):
            print(f"  {line}")
    for line, c in zip(report.lines(), report.checks):
        if not args.quiet or c.status in ("failed", "undecided"):
            print(line)
    print(f"checker: {report.summary()}")
    status = 0 if report.ok else 1
    if args.rederive:
        status = max(status, _rederive_main(args))
    return status


def _rederive_main(args: argparse.Namespace) -> int:
    from relu_pointwise.proofs.verify import verify

    ok, msgs = verify(args.file)
    if not ok and len(msgs) == 1 and msgs[0].startswith("malformed certificate"):
        raise InputError(f"{args.file}: {msgs[0]}")
    for m in msgs:
        print(("ok: " if ok else "FAIL: ") + m)
    if not ok:
        failed = sorted({m.split(":")[0][len("claim "):] for m in msgs if m.startswith("claim ")})
        if failed:
            print(f"claims that failed verification: {', '.join(failed)}")
    return 0 if ok else 1


# ====================================================================== the summary table

def _key_numbers(c: dict) -> str:
    d = c["data"]
    cid = c["id"]
    if cid == "construction":
        return (f"depth {d['depth']}, hidden widths [{', '.join(d['hidden_widths'])}], "
                f"{d['nonzero_fixed_weights']} nonzero fixed weights, g checked at {d['points_checked']} points")
    if cid == "monotonicity":
        return f"r = {d.get('r', '?')}: L' <= 0 and -L' nonincreasing (every point's error is)"
    if cid == "asymptotic":
        out = f"w* = {d['w_star']}, L(w) = {d['L_asymptotic']}"
        return out + (f", C = {d['C']}" if "C" in d else "")
    if cid == "growth":
        return f"c = {d.get('c', '?')}, Cbar = {d.get('Cbar', '?')}, 3 eta c = {d.get('3_eta_c', '?')}"
    if cid == "entry":
        if "t_star" in d:
            lo, hi = d["w_t_star_lo"], d["w_t_star_hi"]
            w = f"w_t* = {lo}" if lo == hi else f"w_t* in [{_num(lo)}, {_num(hi)}]"
            head = (f"t* = {d['t_star']}" if d.get("t_star_exact") == "yes"
                    else f"in the regime from t = {d['t_star']}")
            return f"{head} (proved bound {d['t_star_bound']}), {w}"
        return f"t* <= {d.get('t_star_bound', '?')} (proved bound)"
    if cid == "rate":
        if "Cbar" not in d:
            return "not established"
        W = _num(d["w_t0_lower"])
        W = W if W.replace(".", "").isdigit() else f"({W})"
        steps = f"(t - {d['t0']})" if "period" not in d else f"floor((t - {d['t0']})/{d['period']})"
        return f"L(w_t) <= {d['Cbar']} ({W}^3 + {d['3_eta_c']} {steps})^(-1/3), t >= {d['t0']}"
    if cid == "path":
        return f"w_{d['steps']} in [{_num(d['w_n_lo'])}, {_num(d['w_n_hi'])}]"
    if cid == "batch_losses":
        return f"L_B at t = {d['steps']} in [{_num(d['loss_n_lo'])}, {_num(d['loss_n_hi'])}]"
    if cid == "dataset_stall":
        return (f"w_t <= {_num(d['W'])} for all t; at x = ({', '.join(_num(v) for v in d['witness_x'])}) the error "
                f"stays >= {_num(d['witness_error_lower'])}" if "witness_x" in d else "no witness")
    if cid == "cyclic_growth":
        return f"W* = {d.get('W_star', '?')}, sum c_k = {d.get('sum_c', '?')}"
    if cid == "deep_ball_depth":
        return f"R^2 = {d.get('R2')}, inner radius^2 at N: {d.get('inner_radius2_at_N')}"
    return ""


def _num(text: str) -> str:
    """A short decimal rendering of an exact rational (display only)."""
    from relu_pointwise.symbolic.exprio import rational_from_text

    try:
        q = rational_from_text(text)
    except ValueError:
        return text
    if q.q == 1 or len(text) <= 12:
        return text
    import mpmath

    with mpmath.workdps(15):        # no float(): q may lie beyond a double's range
        return mpmath.nstr(mpmath.mpf(int(q.p)) / int(q.q), 10)


def _t_text(c: dict) -> str:
    d = c["data"]
    lo, hi = d.get("T_lo"), d.get("T_hi")
    return lo if lo == hi else f"{lo}..{hi}" if hi != "unknown" else f">={lo}"


MAX_DEPTH_ROWS = 30


def _depth_table(cert: dict) -> list[str]:
    """Deep balls: the N(x) table of the deep_ball_depth claim (the depth N from which the deep target
    f°_N(x) equals the ball's indicator f°(x)), one row per point; empty for other targets."""
    claim = next((c for c in cert["claims"] if c["id"] == "deep_ball_depth"), None)
    if claim is None or not isinstance(claim.get("data"), dict):
        return []
    table = claim["data"].get("table")
    if not isinstance(table, list) or not table:
        return []
    rows = [("x", "|x|^2", "side", "N(x)")]
    for t in table[:MAX_DEPTH_ROWS]:
        x = t.get("x", [])
        rows.append(("(" + ",".join(map(str, x)) + ")" if len(x) > 1 else "".join(map(str, x)),
                     str(t.get("norm2", "?")), str(t.get("side", "?")), str(t.get("N", "?"))))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    out = [f"N(x), the depth from which the deep target equals the ball's indicator at x (claim deep_ball_depth, "
           f"{claim['status']}):"]
    out += ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    if len(table) > MAX_DEPTH_ROWS:
        out.append(f"  ... ({len(table) - MAX_DEPTH_ROWS} more points in the certificate)")
    return out


def summary_text(cert: dict) -> str:
    inp = cert["inputs"]
    s = inp["spec"]
    lines = [f"certificate for {s['target']} on [{s['domain']}], r = {s['r']}, {s['measure']} measure; "
             f"eta = {inp['eta']}, w0 = {inp['w0']}, batch {inp['batch']}"
             + (f", seed {inp['seed']}" if inp["seed"] != "none" else "") + f", {inp['steps']} enclosed steps"]
    rows = []
    point_claims = []
    for c in cert["claims"]:
        if c["id"].startswith("pointwise:"):
            point_claims.append(c)
            continue
        rows.append((c["id"], c["status"], _key_numbers(c)))
    if point_claims:
        counts: dict[str, int] = {}
        for c in point_claims:
            counts[c["status"]] = counts.get(c["status"], 0) + 1
        st = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
        shown = point_claims if len(point_claims) <= 9 else point_claims[:: max(1, len(point_claims) // 8)]
        ts = "; ".join(f"x={c['id'][len('pointwise:x='):]}: {_t_text(c)}" for c in shown)
        label = "T(x)" if len(shown) == len(point_claims) else f"T(x) at {len(shown)} of {len(point_claims)} points"
        rows.append((f"pointwise ({len(point_claims)} pts)", st, f"{label}: {ts}"))
    w1 = max(len(r[0]) for r in rows)
    w2 = max(len(r[1]) for r in rows)
    lines.append(f"{'claim'.ljust(w1)}  {'status'.ljust(w2)}  key numbers")
    for a, b, c in rows:
        lines.append(f"{a.ljust(w1)}  {b.ljust(w2)}  {c}")
    lines += _depth_table(cert)
    lines.append(f"verdict: {cert['verdict'].upper()} -- {cert['reason']}")
    lines.append(f"scope: {cert['scope']}")
    return "\n".join(lines)
