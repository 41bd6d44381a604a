"""Bounded reading of JSON and TOML files handed over by someone else.

Every reader here checks, cheapest first:

1. the file's size, from ``fstat`` before reading, and again while reading (a pipe
   or a special file reports no size), against a byte limit;
2. strict UTF-8;
3. the syntax (``json.loads`` / ``tomllib.loads``), with numbers bounded
   (a JSON integer of more than :data:`limits.NUMBER_CHARS` digits, ``NaN`` and
   ``Infinity``, and a TOML integer of too many digits are refused, naming the key
   where it can be found), duplicate keys refused (Python's ``json`` keeps the last
   copy, other readers the first: a certificate with two ``"verdict"`` entries means
   two different things to two readers), and Python's recursion limit turned into
   the depth error;
4. the nesting depth of the result, by an explicit stack (no recursion).

Every failure is one line ``<what>: ...`` naming the file (and the key where known),
raised as ``error`` (default :class:`InputError`; ``verify`` passes its
``MalformedCertificate``).  Nothing read is evaluated.

Stable API: :func:`read_bytes`, :func:`loads_json`, :func:`read_json`,
:func:`loads_toml`, :func:`read_toml`, :func:`check_depth`, :func:`plain_copy`.
"""
from __future__ import annotations

import errno
import json
import math
import os
import re
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .errors import InputError, PointwiseError
from .limits import FILE_BYTES, JSON_DEPTH, NUMBER_CHARS, Limit

__all__ = ["check_depth", "count_leaves", "loads_json", "loads_toml", "open_regular", "plain_copy", "read_bytes",
           "read_json", "read_toml"]

ErrorType = Callable[..., PointwiseError]


class _Refused(Exception):
    """Raised inside a ``json`` hook; turned into ``error`` with the file's name."""


def _bound(limit: Limit | int) -> int:
    return limit.value if isinstance(limit, Limit) else int(limit)


def _name(path: str | os.PathLike[str]) -> str:
    return repr(str(path))


def open_regular(path: str | os.PathLike[str]) -> Any:
    """``open(path, "rb")`` for a regular file only; anything else (a FIFO, a device, a socket, a
    folder) raises ``OSError`` at once.  Opened non-blocking first, so a FIFO without a writer
    cannot block the open, then switched back to blocking reads."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, "Is a directory", str(path))
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file (only regular files are read)", str(path))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: str | os.PathLike[str], *, what: str, max_bytes: Limit | int = FILE_BYTES,
               error: ErrorType = InputError, flag: str | None = None) -> bytes:
    """The bytes of ``path``, refused before reading when larger than ``max_bytes``.

    Any ``OSError`` (missing, a directory, no permission, ...) is one line naming the file.
    """
    cap = _bound(max_bytes)
    try:
        with open_regular(path) as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > cap:
                raise _Refused(f"file {_name(path)} has {size} bytes, over the limit {cap} bytes")
            data = fh.read(cap + 1)
    except _Refused as exc:
        raise error(f"{what}: {exc}", field=what) from None
    except OSError as exc:
        raise error(f"{what}: cannot read {_name(path)}: {exc.strerror or type(exc).__name__}",
                    field=what) from None
    if len(data) > cap:
        raise error(f"{what}: file {_name(path)} is longer than the limit {cap} bytes", field=what)
    return data


def _decode(data: bytes | str, what: str, label: str, error: ErrorType) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{what}: {label} is not UTF-8 text (byte {exc.start})", field=what) from None


def _short(key: object) -> str:
    s = repr(key)
    return s if len(s) <= 60 else s[:40] + "...'"


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Refused(f"duplicate key {_short(key)} (refused: JSON readers disagree on which copy counts)")
        out[key] = value
    return out


def _json_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > NUMBER_CHARS.value:
        raise _Refused(f"an integer of {digits} digits exceeds the limit {NUMBER_CHARS.value} digits")
    return int(text)


def _json_float(text: str) -> float:
    if len(text) > NUMBER_CHARS.value:
        raise _Refused(f"a number of {len(text)} characters exceeds the limit {NUMBER_CHARS.value} characters")
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"the number {text[:40]} is not finite as a double")
    return value


def _json_constant(name: str) -> Any:
    raise _Refused(f"{name} is not JSON (refused)")


def check_depth(obj: Any, *, what: str, max_depth: Limit | int = JSON_DEPTH, error: ErrorType = InputError) -> None:
    """Refuse ``obj`` (plain dicts/lists) nested deeper than ``max_depth`` levels; no recursion."""
    cap = _bound(max_depth)
    stack: list[tuple[Any, int, str]] = [(obj, 1, "")]
    while stack:
        node, depth, where = stack.pop()
        if isinstance(node, (dict, list)):
            if depth > cap:
                at = f" at {where}" if where else ""
                if len(at) > 100:
                    at = at[:80] + "..."
                raise error(f"{what}: nesting deeper than the limit {cap} levels{at}", field=what)
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for k, v in items:
                if isinstance(v, (dict, list)):
                    stack.append((v, depth + 1, f"{where}.{k}" if isinstance(k, str) else f"{where}[{k}]"))


def count_leaves(obj: Any) -> int:
    """Number of non-container values in ``obj`` (dicts' keys not counted); no recursion."""
    count, stack = 0, [obj]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        else:
            count += 1
    return count


def loads_json(data: bytes | str, *, what: str, label: str = "the text", max_depth: Limit | int = JSON_DEPTH,
               error: ErrorType = InputError) -> Any:
    """Parse JSON text with duplicate keys, NaN/Infinity and oversized numbers refused, depth bounded."""
    text = _decode(data, what, label, error)
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_int=_json_int,
                           parse_float=_json_float, parse_constant=_json_constant)
    except _Refused as exc:
        raise error(f"{what}: {label}: {exc}", field=what) from None
    except RecursionError:
        raise error(f"{what}: {label}: nesting deeper than the limit {_bound(max_depth)} levels",
                    field=what) from None
    except json.JSONDecodeError as exc:
        raise error(f"{what}: {label} is not valid JSON: {exc.msg} (line {exc.lineno} column {exc.colno})",
                    field=what) from None
    check_depth(value, what=f"{what}: {label}", max_depth=max_depth, error=error)
    return value


def read_json(path: str | os.PathLike[str], *, what: str, max_bytes: Limit | int = FILE_BYTES,
              max_depth: Limit | int = JSON_DEPTH, error: ErrorType = InputError) -> Any:
    """:func:`read_bytes` then :func:`loads_json`; errors name ``what`` and the file."""
    raw = read_bytes(path, what=what, max_bytes=max_bytes, error=error)
    return loads_json(raw, what=what, label=Path(path).name, max_depth=max_depth, error=error)


_LONG_DIGITS = re.compile(r"[0-9_]{" + str(NUMBER_CHARS.value + 1) + ",}")
_TOML_KEY = re.compile(r"^\s*([^=#\n]+?)\s*=")


def _toml_long_number(text: str) -> str | None:
    """The key (or line) of the first run of more than NUMBER_CHARS digits, if any."""
    m = _LONG_DIGITS.search(text)
    if not m:
        return None
    start = text.rfind("\n", 0, m.start()) + 1
    line_no = text.count("\n", 0, m.start()) + 1
    k = _TOML_KEY.match(text[start:m.start()])
    where = f"key {_short(k.group(1).strip())}" if k else f"line {line_no}"
    return f"{where}: a number of {len(m.group(0))} digits exceeds the limit {NUMBER_CHARS.value} digits"


def loads_toml(data: bytes | str, *, what: str, label: str = "the text", max_depth: Limit | int = JSON_DEPTH,
               error: ErrorType = InputError) -> dict[str, Any]:
    """Parse TOML text (duplicate keys are TOML errors already) with long numbers and depth bounded."""
    import tomllib

    text = _decode(data, what, label, error)
    long_number = _toml_long_number(text)
    if long_number:
        raise error(f"{what}: {label}: {long_number}", field=what)
    try:
        value = tomllib.loads(text)
    except RecursionError:
        raise error(f"{what}: {label}: nesting deeper than the limit {_bound(max_depth)} levels",
                    field=what) from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{what}: {label} is not valid TOML: {str(exc).splitlines()[0] if str(exc) else 'error'}",
                    field=what) from None
    check_depth(value, what=f"{what}: {label}", max_depth=max_depth, error=error)
    return value


def read_toml(path: str | os.PathLike[str], *, what: str, max_bytes: Limit | int = FILE_BYTES,
              max_depth: Limit | int = JSON_DEPTH, error: ErrorType = InputError) -> dict[str, Any]:
    """:func:`read_bytes` then :func:`loads_toml`; errors name ``what`` and the file."""
    raw = read_bytes(path, what=what, max_bytes=max_bytes, error=error)
    return loads_toml(raw, what=what, label=Path(path).name, max_depth=max_depth, error=error)


def plain_copy(source: Mapping[str, Any], *, what: str, max_depth: Limit | int = JSON_DEPTH,
               error: ErrorType = InputError) -> dict[str, Any]:
    """A private deep copy of an in-memory mapping, with JSON types only (str keys; str, int,
    float, bool, None, list, dict values) and depth bounded; no recursion."""
    cap = _bound(max_depth)
    root: dict[str, Any] = {}
    stack: list[tuple[Any, Any, int, str]] = [(source, root, 1, "")]
    while stack:
        src, dst, depth, where = stack.pop()
        if depth > cap:
            raise error(f"{what}: nesting deeper than the limit {cap} levels at {where[:80]}", field=what)
        items = src.items() if isinstance(src, Mapping) else enumerate(src)
        for k, v in items:
            if isinstance(src, Mapping) and not isinstance(k, str):
                raise error(f"{what}: key {_short(k)} at {where or 'top'} is not a string", field=what)
            at = f"{where}.{k}" if isinstance(k, str) else f"{where}[{k}]"
            if isinstance(v, Mapping):
                child: Any = {}
            elif isinstance(v, (list, tuple)):
                child = [None] * len(v)
            elif v is None or isinstance(v, (str, bool, int)):
                child = v
            elif isinstance(v, float):
                if not math.isfinite(v):
                    raise error(f"{what}: {at.lstrip('.')} is not a finite number", field=what)
                child = v
            else:
                raise error(f"{what}: {at.lstrip('.')} holds a {type(v).__name__}, not a JSON value", field=what)
            if isinstance(dst, dict):
                dst[k] = child
            else:
                dst[k] = child
            if isinstance(child, (dict, list)):
                stack.append((v, child, depth + 1, at))
    return root
