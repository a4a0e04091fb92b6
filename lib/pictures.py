"""A figure for a page that a phone and a screen both read: drawn twice, shown as one picture.

A figure wide enough for a 1366-px screen shrinks to about half on a phone, and its text with
it. :class:`ResponsiveFigure` holds two drawings of the same figure, a wide one and a narrow one,
and shows them as one HTML ``<picture>``: the browser picks the narrow PNG when the window is
narrower than ``narrow_below_px``, the wide one otherwise (no script; in Jupyter, Colab and on the
built site alike). For print (PDF) it offers the wide PNG.
"""

from __future__ import annotations

import base64
import html
from io import BytesIO

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

__all__ = ["ResponsiveFigure", "as_notebook_shows"]

# Below this window width the page's column is narrower than the wide drawing (sphinx-book-theme
# shows a 756-px column at 1366 px and a 358-px one at 390 px); the narrow drawing takes over.
NARROW_BELOW_PX = 700


def as_notebook_shows(figure: Figure) -> bytes:
    """``figure`` as the notebook shows a plot: a PNG at its own dpi, trimmed to what is drawn."""
    buffer = BytesIO()
    figure.savefig(buffer, format="png", dpi=figure.dpi, bbox_inches="tight")
    return buffer.getvalue()


class ResponsiveFigure:
    """``wide`` and ``narrow`` drawings of one figure with its text alternative ``alt``.

    Display it as the last expression of a cell. Both figures are closed, so Jupyter does not
    also show them as plots; ``wide_png`` and ``narrow_png`` are their PNG bytes.
    """

    def __init__(self, wide: Figure, narrow: Figure, alt: str, *, narrow_below_px: int = NARROW_BELOW_PX) -> None:
        if not alt.strip():
            raise ValueError("alt must describe the figure in words (it is the picture's text alternative)")
        self.alt, self.narrow_below_px = alt, narrow_below_px
        self.wide_png, self.narrow_png = as_notebook_shows(wide), as_notebook_shows(narrow)
        plt.close(wide)
        plt.close(narrow)

    def _repr_html_(self) -> str:
        wide, narrow = (base64.b64encode(png).decode("ascii") for png in (self.wide_png, self.narrow_png))
        return (f'<picture class="responsive-figure">'
                f'<source media="(max-width: {self.narrow_below_px - 1}px)" srcset="data:image/png;base64,{narrow}">'
                f'<img src="data:image/png;base64,{wide}" alt="{html.escape(self.alt, quote=True)}" '
                f'style="max-width: 100%; height: auto"></picture>')

    def _repr_png_(self) -> bytes:
        return self.wide_png

    def __repr__(self) -> str:
        return self.alt
