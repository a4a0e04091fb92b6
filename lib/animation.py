"""Animations for a notebook page: matplotlib's HTML+JS player, made self-contained.

:class:`Animation` wraps a ``FuncAnimation``. In Jupyter, Colab and on the built site it shows
``to_jshtml()`` (every frame embedded as a PNG, the player's JavaScript inline) inside a
``<figure>`` whose caption is the text alternative; the player's buttons carry text symbols
instead of the Font Awesome icons that matplotlib loads from a CDN. For print (PDF) the
object also offers its first frame as a PNG. :func:`decoding_animation` is the decoding
animation of chapters 7 and 9: the attention row moves along the source as each output token
is written.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from io import BytesIO

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.animation import FuncAnimation
from matplotlib.patches import Rectangle

from .fonts import printable, use_course_font
from .plots import HEATMAP_CMAP

__all__ = ["Animation", "decoding_animation", "describe_decoding"]

# The player's Font Awesome icons (loaded from a CDN) become plain text symbols.
_ICONS = {  # characters that DejaVu Sans, matplotlib's and most systems' default font, has
    "fa fa-minus": "−", "fa fa-fast-backward": "⇤", "fa fa-step-backward": "←",
    "fa fa-play fa-flip-horizontal": "◀", "fa fa-pause": "‖", "fa fa-play": "▶",
    "fa fa-step-forward": "→", "fa fa-fast-forward": "⇥", "fa fa-plus": "+",
}
_CDN_LINK = re.compile(r"<link\s+rel=\"stylesheet\"\s+href=\"https?://[^\"]+\"\s*/?>", re.S)
_FRAME = re.compile(r"frames\[\d+\] = \"data:image/")
MAX_WIDTH_IN = 7.3  # the player is about 740 px wide on a 1366-px screen (sphinx-book-theme 1.3)


class Animation:
    """A ``FuncAnimation`` of ``frames`` frames with its text alternative ``alt``.

    Display it as the last expression of a cell. ``to_jshtml()`` is the HTML, ``first_frame``
    the PNG bytes of frame 0; the figure is closed, so Jupyter does not also show it as a plot.
    """

    def __init__(self, player: FuncAnimation, frames: int, alt: str, *, dpi: float = 100) -> None:
        self.player, self.frames, self.alt, self.dpi = player, frames, alt, dpi
        self._html: str | None = None
        figure = player._fig
        buffer = BytesIO()
        figure.savefig(buffer, format="png", dpi=dpi)  # frame 0, as the constructor drew it
        self.first_frame = buffer.getvalue()
        plt.close(figure)

    def to_jshtml(self) -> str:
        """The player as one self-contained HTML fragment (no request leaves the page)."""
        if self._html is None:
            with mpl.rc_context({"savefig.dpi": self.dpi}):
                raw = self.player.to_jshtml()
            embedded = len(_FRAME.findall(raw))
            if embedded != self.frames:
                raise ValueError(
                    f"only {embedded} of {self.frames} frames fit in matplotlib's embed limit of "
                    f"{mpl.rcParams['animation.embed_limit']} MB: lower the dpi or the figure size"
                )
            raw = _CDN_LINK.sub("", raw)
            for icon, symbol in _ICONS.items():
                raw = raw.replace(f'<i class="{icon}"></i>', symbol)
            alt = html.escape(self.alt, quote=True)
            raw = re.sub(r'<img id="(_anim_img\w+)">', rf'<img id="\1" alt="{alt}">', raw)
            self._html = (f'<figure class="attention-animation">{raw}'
                          f"<figcaption>{html.escape(self.alt)}</figcaption></figure>")
        return self._html

    def _repr_html_(self) -> str:
        return self.to_jshtml()

    def _repr_png_(self) -> bytes:
        return self.first_frame

    def __repr__(self) -> str:
        return self.alt


def describe_decoding(weights: torch.Tensor, source_tokens: Sequence[str], output_tokens: Sequence[str]) -> str:
    """The text alternative of a decoding animation: each output token, the source token it
    weighs most, and that weight. ``weights (L, T)``."""
    values = _check(weights, source_tokens, output_tokens)
    steps = ", ".join(
        f"{printable(out)!r} looks at {printable(source_tokens[int(row.argmax())])!r} ({row.max():.2f})"
        for out, row in zip(output_tokens, values)
    )
    return (f"Animation of the decoding of {_join(source_tokens)!r} into {_join(output_tokens)!r}, "
            f"one frame per output token, the attention row moving along the source: {steps}.")


def _join(tokens: Sequence[str]) -> str:
    """Characters join as they are ("2026-11-24"), words with spaces ("I am in Tokyo today .")."""
    return ("" if all(len(token) <= 1 for token in tokens) else " ").join(tokens)


def _check(weights: torch.Tensor, source_tokens: Sequence[str], output_tokens: Sequence[str]) -> np.ndarray:
    if not isinstance(weights, torch.Tensor):
        raise TypeError(f"weights must be a torch.Tensor (L, T), got {type(weights).__name__}")
    if weights.dim() != 2 or tuple(weights.shape) != (len(output_tokens), len(source_tokens)):
        raise ValueError(
            f"weights must have shape (output_len, source_len) = ({len(output_tokens)}, "
            f"{len(source_tokens)}) for the tokens given; got {tuple(weights.shape)}: pass one "
            "example's weights cut to its lengths, e.g. the weights lib.models.translate returns"
        )
    if len(output_tokens) == 0:
        raise ValueError("nothing to animate: output_tokens is empty")
    return weights.detach().float().cpu().numpy()


def decoding_animation(
    weights: torch.Tensor, source_tokens: Sequence[str], output_tokens: Sequence[str], *,
    title: str = "", interval_ms: int = 700, dpi: float = 100, teacher_forced: bool = False,
) -> Animation:
    """One frame per output token: the bars show where the decoder looks while it writes that
    token, the heatmap below fills in row by row. ``weights (L, T)``, one row per output token.

    ``teacher_forced``: the rows come from reading a reference (each step is fed the reference's
    earlier tokens), not from the model's own output: each frame's heading then says "predicting"
    the reference's token, not "writing" it.

    At most 7.3 inches wide: at 100 dpi 730 px, no wider than the player on a 1366-px screen
    (about 740 px), so its smallest text, 8 points, is 11 px as shown."""
    values = _check(weights, source_tokens, output_tokens)
    L, T = values.shape
    width = min(MAX_WIDTH_IN, max(5.0, 0.22 * T + 2.5))
    use_course_font()  # token labels may be Hangul (chapter 09's Korean sentence)
    fig, (bars_ax, map_ax) = plt.subplots(
        2, 1, figsize=(width, 2.2 + 0.22 * L), dpi=dpi, layout="constrained",
        gridspec_kw={"height_ratios": [1.2, max(1.0, 0.16 * L)]}, sharex=True)
    source_labels = [printable(token) for token in source_tokens]
    output_labels = [printable(token) for token in output_tokens]
    bars = bars_ax.bar(np.arange(T), values[0], color="#E69F00")
    bars_ax.set_ylim(0, 1)
    bars_ax.set_ylabel("weight", fontsize=8)
    heading = bars_ax.set_title("", fontsize=10, loc="left")
    shown = np.full_like(values, np.nan)
    image = map_ax.imshow(shown, cmap=HEATMAP_CMAP, vmin=0, vmax=1, aspect="auto", interpolation="nearest")
    row_box = map_ax.add_patch(Rectangle((-0.5, -0.5), T, 1, fill=False, ec="#E69F00", lw=2))
    map_ax.set_xticks(np.arange(T), source_labels)
    map_ax.set_yticks(np.arange(L), output_labels)
    map_ax.set_xlabel("source token (key)")
    map_ax.set_ylabel("output token")
    fig.colorbar(image, ax=map_ax, label="attention weight", shrink=0.8)

    def draw(frame: int) -> None:
        for bar, height in zip(bars, values[frame]):
            bar.set_height(height)
        shown[frame] = values[frame]
        shown[frame + 1:] = np.nan
        image.set_data(shown)
        row_box.set_y(frame - 0.5)
        written = _join(list(output_tokens[: frame + 1]))
        doing = "predicting" if teacher_forced else "writing"
        so_far = "the reference so far" if teacher_forced else "so far"
        heading.set_text(f"{title + ': ' if title else ''}{doing} {output_labels[frame]!r}, {so_far} {written!r}")

    draw(0)
    fig.canvas.draw()
    fig.set_layout_engine("none")  # keep the first frame's layout: later frames only restyle
    player = FuncAnimation(fig, draw, frames=L, interval=interval_ms, repeat=True, cache_frame_data=False)
    return Animation(player, L, describe_decoding(weights, source_tokens, output_tokens), dpi=dpi)
