"""The toolkit's one exception hierarchy::

    PointwiseError                 every error the library raises on purpose
      InputError                   bad input; ``.field`` names the Python parameter (or file key)
      NotExactError                outside the regime where an exact answer exists
                                   (for example the exact ball below w*)
      EnclosureError               a rigorous computation could not decide
      CertificateError             a malformed certificate, or a claim that fails to check

Every message is one line that names the bad part. The CLI prints it as
``pointwise: error: ...``; input and malformed-file errors exit 2, a certificate
that fails to verify exits 1. Any other exception is a bug, never "bad input".
"""
from __future__ import annotations

import re

__all__ = ["PointwiseError", "InputError", "NotExactError", "EnclosureError",
           "CertificateError", "field_of"]

_FIELD = re.compile(r"^\s*([A-Za-z_][\w.\-\[\]' ]{0,60}?|--[\w-]+):\s")


def field_of(message: str) -> str | None:
    """The part a one-line message names before its first ``: `` (``"r: must be..."`` -> ``"r"``)."""
    m = _FIELD.match(message)
    return m.group(1).strip() if m else None


class PointwiseError(Exception):
    """Base of every error the toolkit raises on purpose (one-line message)."""

    def __init__(self, message: str = "", *, field: str | None = None) -> None:
        text = " ".join(str(message).split())
        super().__init__(text)
        self.field = field if field is not None else field_of(text)


class InputError(PointwiseError, ValueError):
    """Bad input; ``field`` is the parameter, flag or file key that holds it."""



class NotExactError(PointwiseError):
    """The exact answer is not derived in this regime (it exists; the toolkit has no closed form
    for it here): e.g. the exact ball below w* on a box that is not a centred cube, with
    non-integer r, or in d >= 4 (symbolic.ball_full derives d = 2, 3 for every w > 0)."""


class EnclosureError(PointwiseError, ArithmeticError):
    """A rigorous enclosure became non-finite or could not decide (says which step and why)."""


class CertificateError(PointwiseError, ValueError):
    """A malformed certificate (``malformed=True``) or a claim that fails to check."""

    def __init__(self, message: str = "", *, field: str | None = None, malformed: bool = True) -> None:
        super().__init__(message, field=field)
        self.malformed = malformed
