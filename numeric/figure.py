"""A matplotlib Figure that displays itself: what the Python API's ``.plot()`` methods return.

Jupyter shows an object by its ``_repr_png_`` without any set-up, so a
:class:`PlotFigure` appears as a PNG image in a fresh kernel (no ``%matplotlib inline``);
it is a plain :class:`matplotlib.figure.Figure` otherwise (``.savefig``, ``.axes``).
It is built without pyplot, so no global figure list keeps it alive or shows it twice.
"""
from __future__ import annotations

import io

from matplotlib.figure import Figure

__all__ = ["PlotFigure", "png_bytes"]


def png_bytes(fig: Figure, dpi: float | None = None) -> bytes:
    """The figure rendered as PNG (Agg; the figure's own dpi unless given)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


class PlotFigure(Figure):
    """A Figure with ``_repr_png_``: displays as an image by itself in Jupyter."""

    def _repr_png_(self) -> bytes:
        return png_bytes(self)
