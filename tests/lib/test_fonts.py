"""lib.fonts: the course's font, set when lib first draws, on axes made before that too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from lib.fonts import printable


def test_a_space_and_the_empty_token_stay_visible_as_labels():
    assert [printable(t) for t in (" ", "", "나는")] == ["␣", "∅", "나는"]


BEFORE_LIB_DRAWS = """
import warnings
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
figure, ax = plt.subplots()  # before lib has drawn anything in this process
from lib import plots
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    plots.attention_heatmap(torch.rand(2, 3), ["나는", "오늘", "x"], ["I", "today"], ax=ax)
    figure.canvas.draw()
print(sum("Glyph" in str(w.message) for w in caught))
"""


def test_axes_made_before_lib_draws_still_show_hangul():
    """The font is set when lib first draws: axes a chapter made before (plt.subplots, then ax=)
    get it on their tick labels too (without, matplotlib warned of four missing glyphs)."""
    done = subprocess.run([sys.executable, "-c", BEFORE_LIB_DRAWS], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).parents[2])
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "0", done.stdout
