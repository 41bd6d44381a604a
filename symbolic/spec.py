"""The one spec every engine reads: target, domain, loss exponent, measure; and
the training settings (step size, start, batches, seed).

Built once, in exact rationals; ``numeric`` and ``proofs`` read this object and
never rebuild the target or the network.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import sympy

from .batch_kinds import Batch, parse_batch
from .errors import InputError
from .limits import DIM_MAX, R_DEN_MAX, R_MAX, check_at_most, check_regions, exceeded
from .numbers import number_from_value, parse_number, rational_text
from .targets import Domain, Target, estimate_regions, parse_target

Q = sympy.Rational

MEASURES = ("probability", "lebesgue")
DEFAULT_TARGET = "interval:-1/2,1/2"


def parse_domain(text: str, dim: int) -> Domain:
    """``LO,HI`` (the same for every coordinate) or ``LO1,HI1;LO2,HI2;...``."""
    pieces = [p for p in str(text).split(";")]
    if len(pieces) not in (1, dim):
        raise InputError(f"domain: has {len(pieces)} intervals, the target has dimension {dim}")
    bounds = []
    for k, p in enumerate(pieces, start=1):
        nums = p.split(",")
        if len(nums) != 2:
            raise InputError(f"domain: interval {k} must be LO,HI, got {p.strip()!r}")
        lo, hi = (parse_number(v, f"domain interval {k}") for v in nums)
        if not lo < hi:
            raise InputError(f"domain: interval {k} needs LO < HI, got {p.strip()!r}")
        bounds.append((lo, hi))
    if len(bounds) == 1:
        bounds *= dim
    return Domain(tuple(b[0] for b in bounds), tuple(b[1] for b in bounds))


def parse_r(value: object) -> sympy.Rational:
    r = number_from_value(value, "r")
    if r < 1:
        raise InputError(f"r: the loss exponent must be >= 1, got {rational_text(r)}")
    if r > R_MAX.value:       # |f - f°|^r integrated exactly: the work grows with r
        raise exceeded("r", rational_text(r), R_MAX)
    if r.q > R_DEN_MAX.value:
        raise exceeded("r", f"denominator {r.q}", R_DEN_MAX)
    return r


def check_region_estimate(spec: Spec) -> None:
    """Refuse, before any work, a spec whose estimated region count is over the limit
    (:func:`symbolic.targets.estimate_regions`; ``--max-regions`` raises the limit)."""
    check_regions(estimate_regions(spec.target.level, spec.dim), f"target {spec.target.text}", estimated=True)


def parse_measure(value: object) -> str:
    if value not in MEASURES:
        raise InputError(f"measure: must be probability or lebesgue, got {value!r}")
    return str(value)


def _check_requirements(target: Target, domain: Domain) -> None:
    for req in target.requirements:
        if req.kind == "box":
            for i, (a, b) in enumerate(req.data):
                lo, hi = domain.lo[i], domain.hi[i]
                if a < lo or b > hi:
                    which = f" coordinate {i + 1}" if domain.dim > 1 else ""
                    raise InputError(
                        f"target {req.label}:{which} end outside the domain "
                        f"[{rational_text(lo)}, {rational_text(hi)}]")
        elif req.kind == "ball":
            (R,) = req.data
            if any(lo < -1 for lo in domain.lo) or any(hi > 1 for hi in domain.hi):
                raise InputError(f"target {req.label}: the ball construction needs the domain inside [-1,1]^d")
            if any(-R < lo for lo in domain.lo) or any(R > hi for hi in domain.hi):
                raise InputError(f"target {req.label}: the ball is not inside the domain")
        elif req.kind == "faces":
            from .polytope import Polytope  # local: geometry is only needed for polytopes

            cell: Polytope | None = Polytope.box(domain.lo, domain.hi)
            for a, c in req.data:
                if cell is None:
                    break
                cell, _ = cell.split(a, c)
            if cell is None:
                raise InputError(f"target {req.label}: empty inside the domain")
    _check_intersection(target, domain)


def _faces(level) -> list | None:
    """The half-spaces (a, c), a . x < c, whose intersection is {g > 0}, when g is a
    min of affine functions (boxes, half-spaces, polytopes and their '&'); else None."""
    from .targets import Affine, Min

    if isinstance(level, Affine):
        return [(tuple(-a for a in level.coeffs), level.const)]
    if isinstance(level, Min):
        out = []
        for child in level.args:
            f = _faces(child)
            if f is None:
                return None
            out += f
        return out
    return None


def _check_intersection(target: Target, domain: Domain) -> None:
    """For an intersection of half-spaces A = {x : a_j . x < c_j}: A meets the domain's
    interior (else the target is empty), and A does not contain the closed domain
    (else g > 0 on all of it and the target has no boundary there)."""
    faces = _faces(target.level)
    if faces is None:
        return
    # a . x over the box: its least and largest values, face by face (exact, O(d) each)
    ext = [(sum((min(ai * lo, ai * hi) for ai, lo, hi in zip(a, domain.lo, domain.hi)), Q(0)),
            sum((max(ai * lo, ai * hi) for ai, lo, hi in zip(a, domain.lo, domain.hi)), Q(0)), c) for a, c in faces]
    if any(not least < c for least, _, c in ext):     # one face alone misses the box's interior
        raise InputError(f"target {target.text}: empty inside the domain (the intersection has no interior)")
    if all(most < c for _, most, c in ext):          # every corner strictly inside every face
        raise InputError(f"target {target.text}: contains the whole domain (no boundary inside it)")
    if len(faces) == 1:
        return
    from .polytope import Polytope

    cell: Polytope | None = Polytope.box(domain.lo, domain.hi)
    for a, c in faces:
        if cell is None:
            break
        cell, _ = cell.split(a, c)
        if cell is None:
            raise InputError(f"target {target.text}: empty inside the domain (the intersection has no interior)")


@dataclass(frozen=True)
class Spec:
    """Target + domain + loss exponent r + measure: the whole problem, exact.

    The loss is L(w) = integral over Omega of |f(w,x) - f°(x)|^r dmu, with mu the
    uniform probability measure on Omega (density 1/vol(Omega)) or Lebesgue measure.
    """

    target: Target
    domain: Domain
    r: sympy.Rational = Q(2)
    measure: str = "probability"

    @property
    def dim(self) -> int:
        return self.domain.dim

    @property
    def density(self) -> sympy.Rational:
        """Constant density of mu with respect to Lebesgue measure on Omega."""
        return Q(1) / self.domain.volume if self.measure == "probability" else Q(1)

    @cached_property
    def network(self):
        from .network import build_network

        return build_network(self.target.level, self.domain.dim)

    def describe(self) -> dict[str, str]:
        return {"target": self.target.text, "domain": self.domain.text(),
                "r": rational_text(self.r), "measure": self.measure}

    def restricted(self, domain: Domain) -> Spec:
        """The same target and r on a sub-box, with the uniform probability measure
        there: the normalized loss of one cell of ``cyclic:K`` (docs/mathematics.md, section 4)."""
        return Spec(self.target, domain, self.r, "probability")


SPLIT_WORK = 2**14
"""2^d times the face count above which a target's emptiness check (a polytope split) waits for
the region estimate: below it the split takes under about a second."""


def check_cheap_bounds(target: Target) -> None:
    """Before any geometry: the dimension (the domain box has 2^d vertices), and, for a target
    cut out by several faces, the estimated region count (the emptiness check splits the box
    by every face: its cost grows like the regions).  Each refusal names the estimate."""
    check_at_most("target dimension", target.dim, DIM_MAX)
    faces = _faces(target.level)
    # the split's cost grows like 4^d (box: 0.7 s in d = 9, 2.7 s in d = 10, 42 s in d = 12): past
    # about a second of it, the region estimate decides first, as derive would
    if faces is not None and len(faces) > 1 and 2 ** target.dim * len(faces) > SPLIT_WORK:
        check_regions(estimate_regions(target.level, target.dim), f"target {target.text}", estimated=True)


def make_spec(target: str = DEFAULT_TARGET, domain: str | None = None,
              r: object = "2", measure: str = "probability") -> Spec:
    """Parse and validate a spec from text fields (CLI flags or a spec file)."""
    t = parse_target(target)
    check_cheap_bounds(t)
    dom = Domain.cube(t.dim) if domain is None else parse_domain(domain, t.dim)
    _check_requirements(t, dom)
    return Spec(t, dom, parse_r(r), parse_measure(measure))


# ------------------------------------------------------------ training settings

@dataclass(frozen=True)
class Training:
    """Gradient descent w_{t+1} = w_t - eta * (gradient of the step's loss), from w0 >= 0."""

    eta: sympy.Rational = Q(1)
    w0: sympy.Rational = Q(0)
    batch: Batch = field(default_factory=Batch)
    seed: int = 0

    def describe(self) -> dict[str, str]:
        return {"eta": rational_text(self.eta), "w0": rational_text(self.w0),
                "batch": self.batch.text(), "seed": str(self.seed)}


def make_training(eta: object = "1", w0: object = "0", batch: str = "full", seed: object = 0) -> Training:
    e = number_from_value(eta, "eta")
    if e <= 0:
        raise InputError(f"eta: the step size must be > 0, got {rational_text(e)}")
    w = number_from_value(w0, "w0")
    if w < 0:
        raise InputError(f"w0: must be >= 0 (the derivation covers w >= 0), got {rational_text(w)}")
    s = number_from_value(seed, "seed")
    if not s.is_integer or not 0 <= s < 2**63:
        raise InputError(f"seed: must be an integer in [0, 2^63), got {seed!r}")
    return Training(e, w, parse_batch(batch), int(s))


# ------------------------------------------------------------ spec files

SPEC_KEYS = ("target", "domain", "r", "measure", "eta", "w0", "batch", "seed",
             "steps", "dps", "points", "grid")


def load_spec_file(path: str | Path) -> dict[str, Any]:
    """Read a TOML or JSON spec file into a dict of settings (keys in SPEC_KEYS).

    Values are read as data; nothing in the file is evaluated.  Unknown keys and
    values of the wrong type are errors naming the key.
    """
    from .jsonio import read_json, read_toml
    from .limits import SPEC_FILE_BYTES

    p = Path(path)
    if p.is_dir():      # the folder named as given (str(path) keeps a trailing slash; Path drops it)
        raise InputError(f"spec: {str(path)!r} is a folder, not a file (give a .toml or .json spec file)",
                         field="spec")
    if p.suffix.lower() == ".toml":
        data: Any = read_toml(p, what="spec", max_bytes=SPEC_FILE_BYTES)
    elif p.suffix.lower() == ".json":
        data = read_json(p, what="spec", max_bytes=SPEC_FILE_BYTES)
    else:
        raise InputError(f"spec: {str(path)!r} must end in .toml or .json")
    if not isinstance(data, Mapping):
        raise InputError(f"spec: {p.name} must hold a table of settings")
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key not in SPEC_KEYS:
            raise InputError(f"spec: unknown key {key!r} in {p.name} (allowed: {', '.join(SPEC_KEYS)})")
        if key in ("target", "domain", "measure", "batch", "points") and not isinstance(value, str):
            raise InputError(f"spec: key {key!r} in {p.name} must be a string")
        if key in ("seed", "steps", "dps", "grid") and (isinstance(value, bool) or not isinstance(value, int)):
            raise InputError(f"spec: key {key!r} in {p.name} must be an integer")
        if key in ("r", "eta", "w0") and (isinstance(value, bool) or not isinstance(value, (int, float, str))):
            raise InputError(f"spec: key {key!r} in {p.name} must be a number or a number as text")
        out[key] = value
    return out
