"""Atomic, polite file output: nothing half-written, no user file overwritten unasked.

* :func:`staged` yields a temporary path in the destination's own directory (so the
  final ``os.replace`` is an atomic rename on the same file system); the destination
  appears only when the writer finished, and the temporary file is removed on any
  failure, Ctrl-C or SIGTERM (the CLI raises SIGTERM as an interrupt).
* :func:`check_overwrite` refuses to replace an existing file that this tool did not
  write, unless ``force``: a file is the tool's when its first bytes carry one of the
  tool's signatures (the ``schema`` of its JSON documents, the header of its CSV and
  LaTeX), or when a certificate beside it lists it with the same SHA-256.
* Every ``OSError`` (a directory in the way, no permission, ``File too large`` under a
  size limit, a full disk) is one line naming the file, raised as :class:`InputError`.
"""
from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import InputError
from .jsonio import open_regular

__all__ = ["TMP_MARK", "check_overwrite", "file_mode", "is_ours", "oserror_line", "sha256_of", "staged",
           "write_atomic"]

TMP_MARK = ".pointwise-tmp-"
"""Part of every temporary name this module makes (``.NAME.pointwise-tmp-PID-XXXX``)."""

_HEAD = 4096


def file_mode() -> int:
    """The mode ``open(path, "w")`` gives a new file: 0o666 less the process's umask.

    ``tempfile.mkstemp`` creates 0600 files whatever the umask; a file renamed into place from
    one gets this mode first (``os.fchmod``), so outputs are as readable as the user's other files.
    Read from /proc/self/status (no change of process state); elsewhere by setting and restoring it.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def oserror_line(what: str, action: str, path: str | os.PathLike[str], exc: OSError) -> InputError:
    """One line for an ``OSError`` while ``action`` (read/write/create) ``path``."""
    reason = exc.strerror or type(exc).__name__
    return InputError(f"{what}: cannot {action} {str(path)!r}: {reason}", field=what)


def sha256_of(path: str | os.PathLike[str]) -> str:
    """``"sha256:<hex>"`` of a file's bytes, read in blocks."""
    h = hashlib.sha256()
    with open_regular(path) as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return "sha256:" + h.hexdigest()


def is_ours(path: Path, signatures: tuple[bytes, ...] = (), manifest: dict[str, str] | None = None) -> bool:
    """True when ``path`` starts with one of ``signatures`` (within its first 4 KB), or
    ``manifest`` (a certificate's ``files``) lists its name with its current SHA-256."""
    try:
        if manifest and manifest.get(path.name) == sha256_of(path):
            return True
        if signatures:
            with open_regular(path) as fh:       # a FIFO of an output's name must not block
                head = fh.read(_HEAD)
            return any(sig in head for sig in signatures)
    except OSError:
        return False
    return False


def check_overwrite(path: str | os.PathLike[str], *, what: str, force: bool, signatures: tuple[bytes, ...] = (),
                    manifest: dict[str, str] | None = None) -> None:
    """Refuse (one line) to replace an existing ``path`` the tool did not write, unless ``force``."""
    p = Path(path)
    if force or not os.path.lexists(p):
        return
    if p.is_dir():      # named as given (str(path) keeps a trailing slash that Path drops)
        raise InputError(f"{what}: {str(path)!r} is a folder, not a file", field=what)
    if not is_ours(p, signatures, manifest):
        raise InputError(f"{what}: {str(p)!r} exists and was not written by pointwise; not overwriting it "
                         "(use --force to overwrite)", field=what)


def _temp_name(path: Path) -> Path:
    # the suffix kept last: writers that choose the format by suffix (.csv/.json) still can
    return path.with_name(f".{path.stem}{TMP_MARK}{os.getpid()}-{secrets.token_hex(4)}{path.suffix}")


@contextmanager
def staged(path: str | os.PathLike[str], *, what: str) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on normal exit rename it onto ``path``.

    On any exception (including KeyboardInterrupt) the temporary file is removed and
    ``path`` is untouched.  ``OSError`` becomes one :class:`InputError` line naming ``path``.
    """
    dest = Path(path)
    tmp = _temp_name(dest)
    try:
        yield tmp
        if dest.is_dir():
            raise IsADirectoryError(21, "Is a directory", str(dest))
        os.replace(tmp, dest)
    except OSError as exc:
        _remove(tmp)
        raise oserror_line(what, "write", dest, exc) from None
    except BaseException:
        _remove(tmp)
        raise


def _remove(p: Path) -> None:
    try:
        p.unlink()
    except FileNotFoundError:
        pass
    except OSError:  # best effort: the original error is the one to report
        pass


def write_atomic(path: str | os.PathLike[str], data: str | bytes, *, what: str) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` through :func:`staged`; return ``path``."""
    dest = Path(path)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with staged(dest, what=what) as tmp, open(tmp, "wb") as fh:
        fh.write(raw)
        fh.flush()
        os.fsync(fh.fileno())
    return dest
