"""The course's font on every figure: Latin and Hangul labels side by side (나는, 오늘, "today").

matplotlib's default font has no Hangul, so a Korean token would come out as an empty box.
:func:`use_course_font` adds NanumGothic behind DejaVu Sans, and matplotlib falls back glyph by
glyph; it runs when ``lib`` first makes or draws on axes, never at import, so importing ``lib``
changes no setting. :func:`printable` keeps a label drawable whatever the font.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.axes import Axes

__all__ = ["use_course_font", "refresh_font", "printable"]


@functools.cache
def use_course_font() -> None:
    """DejaVu Sans first, NanumGothic for what it lacks, from then on (once per process).

    The font file ships in the ``koreanize-matplotlib`` package; we take the file only (its
    module rewrites global settings on import).
    """
    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return
    font = Path(spec.submodule_search_locations[0]) / "fonts" / "NanumGothic.ttf"
    if font.is_file():
        font_manager.fontManager.addfont(str(font))
        plt.rcParams["font.family"] = ["DejaVu Sans", "NanumGothic"]


def refresh_font(ax: Axes) -> Axes:
    """``ax`` with the course's font on its tick labels, title and axis labels.

    matplotlib reads the font when it makes a text: axes a chapter made before lib first drew
    (``plt.subplots``, then ``ax=``) keep the old one on their ticks, and later ticks copy the
    first one's, so Hangul tokens on them would come out as empty boxes.
    """
    use_course_font()
    family = plt.rcParams["font.family"]
    for axis in (ax.xaxis, ax.yaxis):
        for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
            tick.label1.set_fontfamily(family)
            tick.label2.set_fontfamily(family)
    for text in (ax.title, ax.xaxis.label, ax.yaxis.label):
        text.set_fontfamily(family)
    return ax


def printable(token: str) -> str:
    """A token as a label: a space as ␣ and the empty token as ∅ (either would draw as nothing)."""
    return {" ": "␣", "": "∅"}.get(token, token)
