"""Every input limit of the toolkit, declared in one place.

Files handed over (certificates, specs, derivation documents) and command-line
values are hostile: each reader checks these limits *before* doing the work they
bound, and anything over a limit is one line

    ``<field>: <value> exceeds the limit <limit> [(raise it with --flag)]``

raised as :class:`~relu_pointwise.symbolic.errors.InputError` (exit 2 in the CLI).
Limits a user may legitimately raise carry the flag that raises it (``flag``);
the others are safety bounds of the readers (a deeper JSON file or a longer
expression is never needed by the toolkit's own outputs).

The table :data:`LIMITS` is what the README's "Limits" section lists
(:func:`markdown_table` prints it).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from .errors import InputError, PointwiseError

__all__ = [
    "BATCH_POINTS",
    "CERT_BYTES",
    "CERT_VALUES",
    "CROSSCHECK_STEPS_MAX",
    "DIM_MAX",
    "DOMAIN_CHARS",
    "DPS_MAX",
    "EXACT_DIGITS_MAX",
    "EXPR_DEPTH",
    "EXPR_DIGITS",
    "EXPR_LENGTH",
    "EXPR_OPERATIONS",
    "EXP_HEIGHT",
    "FILE_BYTES",
    "FLOOR_PREC_BITS",
    "JSON_DEPTH",
    "LIMITS",
    "NUMBER_CHARS",
    "POINTS_MAX",
    "POW_BITS",
    "PREC_MAX",
    "RECORD_BYTES",
    "REGIONS_MAX",
    "RUN_STEPS_MAX",
    "R_DEN_MAX",
    "R_MAX",
    "SPEC_FILE_BYTES",
    "STEPS_MAX",
    "TARGET_DEPTH",
    "TARGET_LENGTH",
    "Limit",
    "check_at_most",
    "check_int",
    "check_regions",
    "exceeded",
    "markdown_table",
    "region_limit",
    "region_progress",
    "regions_allowed",
]


@dataclass(frozen=True)
class Limit:
    """One limit: ``name`` (what is bounded), ``value``, ``unit``, and the ``flag`` that raises it (or None)."""

    name: str
    value: int
    unit: str = ""
    flag: str | None = None

    def __int__(self) -> int:
        return self.value


FILE_BYTES = Limit("size of a derivation JSON file", 32 * 2**20, "bytes")
CERT_BYTES = Limit("size of a certificate file", 8 * 2**20, "bytes")
CERT_VALUES = Limit("values (string leaves) in a certificate; each is parsed, ~1 ms", 20_000, "values")
SPEC_FILE_BYTES = Limit("size of a --spec file", 2**20, "bytes")
JSON_DEPTH = Limit("nesting depth of a JSON or TOML file", 64, "levels")
EXPR_LENGTH = Limit("length of one expression", 100_000, "characters")
EXPR_DEPTH = Limit("nesting depth of one expression", 200, "levels")
EXPR_OPERATIONS = Limit("operations plus their arguments one expression builds (SymPy, ~1 ms each)", 2_000)
EXPR_DIGITS = Limit("digits of one numeric literal in an expression", 10_000, "digits")
DOMAIN_CHARS = Limit("length of a domain's text as a certificate stores it (p/q ends)", 2000, "characters")
NUMBER_CHARS = Limit("length of one number (r, eta, w0, domain ends, ...)", 4000, "characters")
EXP_HEIGHT = Limit("height of nested exp/log/powers in one numeric expression", 3, "levels")
POW_BITS = Limit("size of an exact number an expression may compute", 40_000, "bits")
FLOOR_PREC_BITS = Limit("Arb precision for deciding floor/ceiling", 4096, "bits")
R_MAX = Limit("loss exponent r", 64, "")
R_DEN_MAX = Limit("denominator of the loss exponent r", 64, "")
DPS_MAX = Limit("mpmath decimal digits --dps", 10_000, "digits")
PREC_MAX = Limit("Arb precision --prec (at 20000 bits certify takes about 20 s)", 20_000, "bits")
STEPS_MAX = Limit("enclosed steps of certify/verify (--steps; memory grows ~1 KB a step)", 10**6, "steps")
RUN_STEPS_MAX = Limit("steps of run (--steps; memory is bounded by the rows recorded, not the steps)", 10**9,
                      "steps")
RECORD_BYTES = Limit("estimated size of a run's recorded rows (rows = steps / --record-every, times the bytes "
                     "of one row at the engine's precision)", 256 * 2**20, "bytes")
CROSSCHECK_STEPS_MAX = Limit("steps of crosscheck (it keeps and compares every step of four engines)", 10**5,
                             "steps")
BATCH_POINTS = Limit("points of one batch or dataset (M of sampled:M, N of dataset:N,M; held in memory)", 10**6,
                     "points")
DIM_MAX = Limit("dimension of the domain (its box has 2^d vertices, each computed exactly)", 12, "dimensions")
EXACT_DIGITS_MAX = Limit("digits of the exact engine's numbers (--max-digits)", 10**8, "digits")
POINTS_MAX = Limit("evaluation points", 400, "points")
TARGET_DEPTH = Limit("nesting depth of parentheses in a target", 32, "levels")
TARGET_LENGTH = Limit("length of a target text", 20_000, "characters")
REGIONS_MAX = Limit("number of linear regions (estimated before the work, counted during it)", 30_000, "regions",
                    "--max-regions")

LIMITS: tuple[Limit, ...] = (
    FILE_BYTES,
    CERT_BYTES,
    CERT_VALUES,
    SPEC_FILE_BYTES,
    JSON_DEPTH,
    EXPR_LENGTH,
    EXPR_DEPTH,
    EXPR_OPERATIONS,
    EXPR_DIGITS,
    NUMBER_CHARS,
    DOMAIN_CHARS,
    EXP_HEIGHT,
    POW_BITS,
    FLOOR_PREC_BITS,
    R_MAX,
    R_DEN_MAX,
    DPS_MAX,
    PREC_MAX,
    STEPS_MAX,
    RUN_STEPS_MAX,
    EXACT_DIGITS_MAX,
    RECORD_BYTES,
    CROSSCHECK_STEPS_MAX,
    BATCH_POINTS,
    DIM_MAX,
    POINTS_MAX,
    TARGET_DEPTH,
    TARGET_LENGTH,
    REGIONS_MAX,
)


def exceeded(field: str, value: object, limit: Limit | int, *, flag: str | None = None,
             error: Callable[..., PointwiseError] = InputError) -> PointwiseError:
    """The one-line error for ``value`` of ``field`` over ``limit`` (naming field, limit, value, flag)."""
    bound = limit.value if isinstance(limit, Limit) else int(limit)
    flag = flag if flag is not None else (limit.flag if isinstance(limit, Limit) else None)
    unit = f" {limit.unit}" if isinstance(limit, Limit) and limit.unit else ""
    shown = str(value)
    if len(shown) > 60:
        shown = f"{shown[:40]}...({len(shown)} characters)"
    raise_it = f" (raise it with {flag})" if flag else ""
    return error(f"{field}: {shown} exceeds the limit {bound}{unit}{raise_it}", field=field)


def check_at_most(field: str, value: int, limit: Limit | int, *, flag: str | None = None,
                  error: Callable[..., PointwiseError] = InputError) -> None:
    """Raise :func:`exceeded` when ``value > limit``."""
    bound = limit.value if isinstance(limit, Limit) else int(limit)
    if value > bound:
        raise exceeded(field, value, limit, flag=flag, error=error)


def check_int(value: object, field: str, lo: int, limit: Limit | int) -> int:
    """``value`` as an int in ``lo..limit`` or InputError naming ``field`` (the Python parameter; the CLI
    shows it as its flag). The one range check of integer settings, for the Python API and the CLI alike."""
    bound = limit.value if isinstance(limit, Limit) else int(limit)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{field}: must be an integer, got {value!r}", field=field)
    if value < lo:
        raise InputError(f"{field}: must be between {lo} and {bound}, got {value}", field=field)
    if value > bound:
        raise exceeded(field, value, limit)
    return value


def markdown_table() -> str:
    """The README's Limits table (what, value, flag that raises it)."""
    rows = ["| what | limit | raise it with |", "|---|---|---|"]
    for lim in LIMITS:
        unit = f" {lim.unit}" if lim.unit else ""
        rows.append(f"| {lim.name} | {lim.value:,}{unit} | {('`' + lim.flag + '`') if lim.flag else '-'} |")
    return "\n".join(rows)


# ---------------------------------------------------------------------------
# the one limit a user raises for a run: --max-regions (a context variable, so the
# library's default holds unless the caller raises it for the duration of a call)

_REGION_LIMIT: ContextVar[int] = ContextVar("region_limit", default=REGIONS_MAX.value)


def region_limit() -> int:
    """The current limit on linear regions (default :data:`REGIONS_MAX`; ``--max-regions`` raises it)."""
    return _REGION_LIMIT.get()


@contextmanager
def regions_allowed(n: int) -> Iterator[None]:
    """Within the block, allow up to ``n`` linear regions (``--max-regions N``)."""
    token = _REGION_LIMIT.set(int(n))
    try:
        yield
    finally:
        _REGION_LIMIT.reset(token)


_REGION_PROGRESS: ContextVar[Callable[[int], None] | None] = ContextVar("region_progress", default=None)


@contextmanager
def region_progress(callback: Callable[[int], None] | None) -> Iterator[None]:
    """Within the block, ``callback(count)`` hears the running region count of every enumeration
    (the CLI's progress line on a terminal); the library itself prints nothing."""
    token = _REGION_PROGRESS.set(callback)
    try:
        yield
    finally:
        _REGION_PROGRESS.reset(token)


def check_regions(count: int, what: str, *, estimated: bool) -> None:
    """Refuse ``count`` regions over :func:`region_limit` (one line naming the flag that raises it);
    a running count (``estimated=False``) also goes to the :func:`region_progress` callback."""
    if not estimated:
        callback = _REGION_PROGRESS.get()
        if callback is not None:
            callback(count)
    limit = region_limit()
    if count > limit:
        how = "an estimated" if estimated else "at least"
        raise InputError(f"{what}: {how} {count} linear regions exceed the limit {limit} regions "
                         f"(raise it with --max-regions)", field=what)
