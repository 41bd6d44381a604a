"""What a certificate of a given spec must contain, derived from the spec alone, and its verdict.

The checker decides, the certificate only proposes: from the target family, the batch kind
and the requested points (``inputs.points``) this module fixes the list of claim ids, in
order, that a certificate must carry -- nothing missing, nothing extra, no duplicates, no
reordering -- and which form each claim takes (full-batch or cyclic entry/rate, the
mini-batch claims, ``deep_ball_depth`` for a deep ball). Dispatch is by the batch kind,
never by the keys a claim happens to carry. The verdict ("certified" or not) and
``rests_on`` are derived here too and compared with the certificate's.

Order (as ``proofs.certificate`` writes it):

* full:    construction, monotonicity, asymptotic, growth, entry, rate, T(x)..., [deep]
* cyclic:  construction, monotonicity, cyclic_growth, entry, rate, T(x)..., [deep]
* sampled: construction, minibatch_monotonicity, path, batch_losses, T(x)..., [deep]
* dataset: construction, minibatch_monotonicity, path, batch_losses, T(x)..., [deep],
  dataset_stall

with one ``pointwise:x=<x>`` per requested point, in the order of ``inputs.points``
(``<x>``: ``p/q`` in 1-D, ``(p/q,...)`` in d-D), and ``deep_ball_depth`` when the target is a
deep ball. A ``certified`` verdict is due exactly when the batch kind can converge pointwise
(not ``dataset``: a fixed dataset stalls) and every claim is marked proved or enclosed;
``rests_on`` is every claim id, in order.
"""
from __future__ import annotations

from typing import Any

import sympy

from relu_pointwise.symbolic.batch_kinds import CYCLIC, DATASET, FULL, SAMPLED, BatchKind
from relu_pointwise.symbolic.exprio import rational_to_text
from relu_pointwise.symbolic.targets import DeepBall

from .base import CHECKED, FAILED, NOT_CLAIMED, UNDECIDED, ClaimCheck

HOLDS = ("proved", "enclosed")
HEAD: dict[BatchKind, tuple[str, ...]] = {
    FULL: ("construction", "monotonicity", "asymptotic", "growth", "entry", "rate"),
    CYCLIC: ("construction", "monotonicity", "cyclic_growth", "entry", "rate"),
    SAMPLED: ("construction", "minibatch_monotonicity", "path", "batch_losses"),
    DATASET: ("construction", "minibatch_monotonicity", "path", "batch_losses"),
}
TAIL: dict[BatchKind, tuple[str, ...]] = {
    DATASET: ("dataset_stall",), SAMPLED: ("asymptotic", "growth", "sampled_tails", "almost_sure")}
# claims a certificate may carry (the population loss's growth lemma and the tail bounds of sampled:M:
# absent where the target has no growth lemma) and its verdict rests on only when they hold
OPTIONAL_REST: dict[BatchKind, tuple[str, ...]] = {SAMPLED: ("asymptotic", "growth", "sampled_tails", "almost_sure")}


def point_id(x: tuple[Any, ...]) -> str:
    """``pointwise:x=-1/4`` in 1-D, ``pointwise:x=(1/4,-1/2)`` in d-D (exact rationals)."""
    parts = [rational_to_text(sympy.Rational(int(v.numerator), int(v.denominator))) for v in x]
    return "pointwise:x=" + (parts[0] if len(parts) == 1 else "(" + ",".join(parts) + ")")


def expected(cert: Any) -> list[tuple[str, tuple[Any, ...] | None]]:
    """The claim ids a certificate of this spec and batch must carry, in order, each with
    its point (pointwise claims) or None."""
    kind = cert.training.batch.kind
    out: list[tuple[str, tuple[Any, ...] | None]] = [(i, None) for i in HEAD[kind]]
    out += [(point_id(x), x) for x in cert.points]
    if isinstance(cert.spec.target.level, DeepBall):
        out.append(("deep_ball_depth", None))
    optional, present = OPTIONAL_REST.get(kind, ()), {c["id"] for c in cert.claims}
    out += [(i, None) for i in TAIL.get(kind, ()) if i not in optional or i in present]
    return out


def structure(cert: Any) -> ClaimCheck | None:
    """None when the certificate's claim ids are exactly the expected ones, in order; else a
    failed check naming the first difference."""
    want = [i for i, _ in expected(cert)]
    have = [c["id"] for c in cert.claims]
    if have == want:
        return None
    if len(set(want)) != len(want):
        return ClaimCheck("claims", FAILED, "two requested points have the same claim id (a point requested twice)")
    missing = [i for i in want if i not in have]
    extra = [i for i in have if i not in want]
    if missing or extra:
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + (
            [f"not part of a certificate of this spec and batch (or not a requested point): {', '.join(extra)}"]
            if extra else [])
        why = "; ".join(parts)
    else:
        k = next(n for n, (a, b) in enumerate(zip(have, want)) if a != b)
        why = f"out of order: claim {k} is {have[k]}, expected {want[k]}"
    return ClaimCheck("claims", FAILED, "the claims are not those the spec requires: " + why[:400])


def verdict(cert: Any, done: dict[str, ClaimCheck]) -> list[ClaimCheck]:
    """rests_on and the verdict, derived by the checker and compared with the certificate's."""
    out = []
    kind = cert.training.batch.kind
    status = {c["id"]: c["status"] for c in cert.claims}
    optional = OPTIONAL_REST.get(kind, ())
    want = [i for i, _ in expected(cert) if i not in optional or status.get(i) in HOLDS]
    if list(cert.rests_on) != want:
        out.append(ClaimCheck("rests_on", FAILED, "rests_on is not every claim the verdict needs, in order"))
    weak = [i for i in want if status.get(i) not in HOLDS]
    missing = [i for i in want if i not in status]
    due = "certified" if not kind.fixed_dataset and not weak else "not certified"
    if cert.verdict != due:
        why = ("a fixed dataset stalls the slope: pointwise convergence fails" if kind.fixed_dataset else
               f"it does not rest on what convergence needs: missing {', '.join(missing)}" if missing else
               f"claims not marked proved or enclosed: {', '.join(weak)}" if weak else
               "every claim is marked proved or enclosed")
        out.append(ClaimCheck("verdict", FAILED, f"the certificate says {cert.verdict}, but {why[:300]}"))
        return out
    if due != "certified" and not weak:      # dataset:N,M: a true negative result, every claim held
        out.append(ClaimCheck("verdict", CHECKED, "not certified: a fixed dataset stalls the slope"))
        return out
    if due != "certified":      # consistent, but claims left unestablished: exit 0 needs every field checked
        out.append(ClaimCheck("verdict", UNDECIDED, f"not certified: it does not claim {', '.join(weak)[:300]} "
                              "(marked failed or numerical), so those are established by nobody"))
        return out
    states = [done[i].status if i in done else UNDECIDED for i in want]
    if all(s == CHECKED for s in states):
        out.append(ClaimCheck("verdict", CHECKED, f"certified, and all {len(want)} claims it rests on check"))
    else:
        bad = [i for i, s in zip(want, states) if s != CHECKED]
        failed = any(s == FAILED for s in states) or any(s == NOT_CLAIMED for s in states)
        out.append(ClaimCheck("verdict", FAILED if failed else UNDECIDED,
                              f"certified, but rests on claims not established: {', '.join(bad)[:300]}"))
    return out
