"""Pictures of the mechanism: one decoder step drawn from real tensors, and two animations.

:func:`step_schematic` draws the six steps of chapters 2-7 in reading order, computed with
:mod:`lib.attention` from the keys and the query it is given: the keys as columns of cells, the
query and its score on each arrow, the softmax weights, the weighted keys, their sum (the
context vector), the concatenation ``[c; q]`` and, for a trained model, the next-token
distribution (or, without a model, the formula). ``highlight=`` frames the step a chapter is
about. :func:`schematic` draws it twice, in two rows for a screen and three for a phone, as one
:class:`~lib.pictures.ResponsiveFigure` whose text alternative gives every step's numbers.

:func:`walkthrough_animation` moves that frame through the six steps; :func:`decoding_animation`
moves the attention row along the source as each output token is written. Both return an
:class:`Animation`: matplotlib's own HTML+JS player (no CDN, no new dependency) in a ``<figure>``
whose caption is the text alternative, with the first frame as a PNG for print.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.animation import FuncAnimation
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from torch import Tensor

from . import attention
from .data import SOS
from .animation import Animation, decoding_animation, describe_decoding  # re-exported: one import for chapters
from .fonts import printable, use_course_font
from .plots import HEATMAP_CMAP
from .pictures import ResponsiveFigure

__all__ = [
    "STEPS", "LAYOUTS", "DecoderStep", "decoder_step", "model_step", "step_schematic", "schematic", "schematic_panels",
    "describe_step", "ResponsiveFigure",
    "Animation", "walkthrough_animation", "decoding_animation", "describe_decoding",
]

STEPS = ("keys", "scores", "softmax", "weighting", "sum", "concat")
HIGHLIGHT = "#E69F00"  # Okabe-Ito orange: reads as "this one" to colour-blind readers too
_TITLES = {
    "keys": "1. keys $k_t$", "scores": "2. scores $q \\cdot k_t$", "softmax": "3. softmax $\\alpha_t$",
    "weighting": "4. weighted $\\alpha_t k_t$", "sum": "5. sum $c$", "concat": "6. concat $[c; q]$",
    "next": "next token",
}
_ANNOTATE_UP_TO = 8  # write the numbers into the cells when a vector has at most this many


@dataclass(frozen=True)
class DecoderStep:
    """The tensors of one decoder step for one sentence (no batch axis).

    ``keys (T, d)``, ``query (d,)``, ``scores (T,)``, ``weights (T,)``, ``weighted (T, d)``,
    ``context (d,)``, ``concat (2d,)`` and ``next_token (V,)`` probabilities (None without a
    model); ``tokens`` are the ``T`` source tokens, ``vocabulary`` the ``V`` output tokens.
    """

    keys: Tensor
    query: Tensor
    scores: Tensor
    weights: Tensor
    weighted: Tensor
    context: Tensor
    concat: Tensor
    next_token: Tensor | None
    tokens: tuple[str, ...]
    vocabulary: tuple[str, ...] | None


def decoder_step(
    keys: Tensor, query: Tensor, tokens: Sequence[str], *,
    predict: Callable[[Tensor], Tensor] | None = None, vocabulary: Sequence[str] | None = None,
) -> DecoderStep:
    """Steps 2-6 of :mod:`lib.attention` on one sentence: ``keys (T, d)``, ``query (d,)``.

    ``predict`` maps ``[c; q] (2d,)`` to next-token logits ``(V,)`` (for the course's model:
    ``lambda cq: model.decoder.out(torch.tanh(model.decoder.combine(cq)))``) and ``vocabulary``
    names the ``V`` tokens; give both or neither.
    """
    if not isinstance(keys, Tensor) or not isinstance(query, Tensor):
        raise TypeError(f"keys and query must be torch tensors, got {type(keys).__name__} and "
                        f"{type(query).__name__}")
    if keys.dim() != 2 or query.dim() != 1 or keys.shape[1] != query.shape[0]:
        raise ValueError(f"one sentence: keys must have shape (T, d) and query (d,) with the same d; "
                         f"got keys {tuple(keys.shape)} and query {tuple(query.shape)}")
    if len(tokens) != keys.shape[0]:
        raise ValueError(f"{len(tokens)} tokens for {keys.shape[0]} keys: pass one label per key")
    if (predict is None) != (vocabulary is None):
        raise ValueError("give predict and vocabulary together (the logits need their token names)")
    with torch.no_grad():
        keys, query = keys.detach().float().cpu(), query.detach().float().cpu()
        scores = attention.dot_product_scores(query[None], keys[None])  # (1, T)
        weights = attention.attention_weights(scores)  # (1, T)
        weighted = attention.weighted_values(weights, keys[None])  # (1, T, d)
        context = attention.context_vector(weighted)  # (1, d)
        concat = attention.concat_context(context, query[None])[0]  # (2d,)
        next_token = None
        if predict is not None:
            next_token = torch.softmax(predict(concat).float().reshape(-1), dim=0).cpu()
            if len(vocabulary) != next_token.numel():
                raise ValueError(f"{len(vocabulary)} vocabulary labels for {next_token.numel()} logits")
    return DecoderStep(keys, query, scores[0], weights[0], weighted[0], context[0], concat, next_token,
                       tuple(tokens), None if vocabulary is None else tuple(vocabulary))


def model_step(model: torch.nn.Module, source_ids: Sequence[int], output_ids: Sequence[int], position: int, *,
               source_tokens: Sequence[str], vocabulary: Sequence[str]) -> DecoderStep:
    """A trained dot-score :class:`~lib.models.Seq2Seq`'s real step ``position`` (0-based) while it
    writes ``output_ids`` for ``source_ids``: its keys ``(T, d)``, its query ``(d,)`` after reading
    ``<sos>`` and ``output_ids[:position]``, and its next-token distribution over ``vocabulary``."""
    if not 0 <= position < len(output_ids) + 1:
        raise ValueError(f"position must be an output step between 0 and {len(output_ids)}, got {position}")
    decoder = model.decoder
    device = next(model.parameters()).device
    with torch.no_grad():
        source = torch.tensor([list(source_ids)], device=device)  # (1, T)
        encoded = model.encoder(source, torch.tensor([len(source_ids)]))
        target_in = torch.tensor([[SOS, *output_ids[:position]]], device=device)  # (1, position + 1)
        queries, _ = decoder.rnn(decoder.embedding(target_in), encoded.final.unsqueeze(0))  # (1, ., d)
        def predict(concat: Tensor) -> Tensor:
            return decoder.out(torch.tanh(decoder.combine(concat.to(device)))).cpu()
        return decoder_step(encoded.states[0], queries[0, -1], source_tokens, predict=predict,
                            vocabulary=vocabulary)


# --------------------------------------------------------------------------------------------
# The schematic
# --------------------------------------------------------------------------------------------


def _cells(ax: Axes, values: np.ndarray, x0: float, norm: mpl.colors.Normalize, width: float = 1.0) -> None:
    """A ``(d, n)`` block of cells whose left edge is at ``x0``, row 0 at the top."""
    rows, cols = values.shape
    ax.imshow(values, cmap=HEATMAP_CMAP, norm=norm, aspect="auto", interpolation="nearest",
              extent=(x0, x0 + width * cols, rows, 0))
    if rows <= _ANNOTATE_UP_TO:
        middle = (norm.vmin + norm.vmax) / 2
        for (row, col), value in np.ndenumerate(values):
            ax.text(x0 + width * (col + 0.5), row + 0.5, f"{value:.3g}", ha="center", va="center",
                    fontsize=TEXT_PT, color="black" if value > middle else "white")


def _frame(ax: Axes, name: str) -> None:
    ax.set_gid(name)
    ax.set_title(_TITLES[name], fontsize=TEXT_PT + 2)
    ax.tick_params(labelsize=TEXT_PT, length=0)


def _token_ticks(ax: Axes, tokens: Sequence[str], positions: Sequence[float], axis: str = "x") -> None:
    labels = [printable(token) for token in tokens]
    if axis == "x":
        ax.set_xticks(list(positions), labels, rotation=90 if len(labels) > 6 else 0)
    else:
        ax.set_yticks(list(positions), labels)


# Panels by row. "wide" reads at the content width of a 1366-px screen (about 756 px): 7.4 inches
# at 100 dpi plus the tight bounding box, text of 8 points or more, so 11 px or more as shown. "narrow" is for a phone (about
# 358 px of column): 3.7 inches, two or three panels a row. tests/lib/test_figure_text.py measures both.
LAYOUTS = {
    "wide": (("keys", "scores", "softmax"), ("weighting", "sum", "concat", "next")),
    "narrow": (("keys", "scores"), ("softmax", "weighting"), ("sum", "concat", "next")),
}
_SIZES = {"wide": (7.4, 5.6), "narrow": (3.7, 8.0)}
TEXT_PT = 8  # the smallest text of the schematic, in points
NEXT_NOTE = "$W_c$ and $W_s$:\nchapter 7"


def step_schematic(step: DecoderStep, *, highlight: str | None = None, layout: str = "wide",
                   size: tuple[float, float] | None = None, dpi: float = 100,
                   next_note: str = NEXT_NOTE) -> Figure:
    """One decoder step in reading order: keys, query and scores, softmax, weighted keys, sum,
    concat and next token, in the rows of ``LAYOUTS[layout]``. ``highlight`` (one of
    :data:`STEPS`) frames one step in orange; ``next_note`` fills the last panel when ``step``
    has no model (where its ``W_c`` and ``W_s`` come from).

    Cells share one colour scale (cividis), so a small weight visibly dims its key. Returns the
    figure; :func:`schematic_panels` finds its panels by step name.
    """
    if not isinstance(step, DecoderStep):
        raise TypeError(f"step must be a DecoderStep (from lib.diagrams.decoder_step), got {type(step).__name__}")
    _check_highlight(highlight)
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {tuple(LAYOUTS)}, got {layout!r}")
    keys, T = step.keys.numpy(), step.keys.shape[0]
    low = min(0.0, float(keys.min()), float(step.query.min()), float(step.context.min()))
    high = max(float(keys.max()), float(step.query.max()), float(step.context.max()))
    norm = mpl.colors.Normalize(low, high)
    wide = max(1.0, 0.28 * T)
    ratios = {"keys": wide, "scores": 1.6, "softmax": 1.1, "weighting": wide, "sum": 0.75, "concat": 0.85,
              "next": 1.3}
    use_course_font()  # token labels may be Hangul (the running example, 나는 오늘)
    fig = plt.figure(figsize=size or _SIZES[layout], dpi=dpi, layout="constrained")
    panel: dict[str, Axes] = {}
    rows = LAYOUTS[layout]
    for row, names in zip(np.atleast_1d(fig.subfigures(len(rows), 1)), rows):
        axes = row.subplots(1, len(names), width_ratios=[ratios[name] for name in names])
        panel.update(zip(names, np.atleast_1d(axes)))
    _draw_keys(panel["keys"], step, norm)
    _draw_scores(panel["scores"], step, norm)
    _draw_softmax(panel["softmax"], step)
    _draw_weighting(panel["weighting"], step, norm)
    _draw_sum_and_concat(panel["sum"], panel["concat"], step, norm)
    _draw_next(panel["next"], step, next_note)
    for name, ax in panel.items():
        _frame(ax, name)
    fig.supxlabel(" ", fontsize=TEXT_PT + 1, ha="left", x=0.01).set_gid("caption")
    _set_highlight(fig, step, highlight)
    return fig


def schematic(step: DecoderStep, *, highlight: str | None = None, next_note: str = NEXT_NOTE) -> ResponsiveFigure:
    """:func:`step_schematic` for a page: the wide layout on a screen, the narrow one on a phone,
    with every step's numbers (:func:`describe_step`) as its text alternative."""
    wide = step_schematic(step, highlight=highlight, layout="wide", next_note=next_note)
    narrow = step_schematic(step, highlight=highlight, layout="narrow", next_note=next_note)
    framed = f", step {STEPS.index(highlight) + 1} ({highlight}) framed in orange" if highlight else ""
    alt = (f"Schematic of one decoder step in seven panels{framed}. "
           + " ".join(describe_step(step, name) for name in STEPS))
    return ResponsiveFigure(wide, narrow, alt)


def _draw_keys(ax: Axes, step: DecoderStep, norm: mpl.colors.Normalize) -> None:
    """Step 1: the keys ``(T, d)`` as columns of cells, one per source token."""
    T, d = step.keys.shape
    _cells(ax, step.keys.numpy().T, 0, norm)
    _token_ticks(ax, step.tokens, np.arange(T) + 0.5)
    ax.set_ylabel(f"dimension (d = {d})", fontsize=TEXT_PT)
    if d <= _ANNOTATE_UP_TO:
        ax.set_yticks(np.arange(d) + 0.5, [str(i + 1) for i in range(d)])


def _draw_scores(ax: Axes, step: DecoderStep, norm: mpl.colors.Normalize) -> None:
    """Step 2: the query, an arrow to each key, the score written on the arrow."""
    T, d = step.keys.shape
    _cells(ax, step.query.numpy()[:, None], 0, norm)
    ends = (np.arange(T) + 0.5) * d / T
    for t, (score, end) in enumerate(zip(step.scores.tolist(), ends)):
        ax.annotate("", xy=(2.6, end), xytext=(1.05, d / 2),
                    arrowprops={"arrowstyle": "-|>", "color": "0.35", "lw": 0.8})
        if T <= _ANNOTATE_UP_TO:
            ax.text(1.8, (d / 2 + end) / 2, f"{score:.3g}", fontsize=TEXT_PT, ha="center", va="center",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"})
            ax.text(2.65, end, f"k{t + 1} {printable(step.tokens[t])}", fontsize=TEXT_PT, va="center")
    ax.set_xlim(-0.1, 4.6)
    ax.set_xticks([0.5], ["q"])
    ax.set_yticks([])


def _draw_softmax(ax: Axes, step: DecoderStep) -> None:
    """Step 3: the weights as bars, each labelled with its token (ticks instead past a few keys)."""
    T = step.keys.shape[0]
    ax.barh(np.arange(T), step.weights.numpy(), color="0.45")
    if T > _ANNOTATE_UP_TO:
        _token_ticks(ax, step.tokens, np.arange(T), axis="y")
    else:
        ax.set_yticks([])  # the token is written beside its bar
    ax.set_ylim(T - 0.5, -0.5)
    ax.set_xlim(0, 1)
    ax.set_xticks([0, 0.5, 1], ["0", "0.5", "1"])
    if T <= _ANNOTATE_UP_TO:
        for t, weight in enumerate(step.weights.tolist()):
            ax.text(min(weight, 0.45) + 0.03, t, f"{printable(step.tokens[t])} {weight:.3g}", va="center",
                    fontsize=TEXT_PT)


def _draw_weighting(ax: Axes, step: DecoderStep, norm: mpl.colors.Normalize) -> None:
    """Step 4: each key scaled by its weight, on the keys' colour scale (a small weight dims it)."""
    _cells(ax, step.weighted.numpy().T, 0, norm)
    _token_ticks(ax, step.tokens, np.arange(step.keys.shape[0]) + 0.5)
    ax.set_yticks([])


def _draw_sum_and_concat(sum_ax: Axes, concat_ax: Axes, step: DecoderStep, norm: mpl.colors.Normalize) -> None:
    """Steps 5 and 6: the context vector ``c``, then ``[c; q]`` with a line between the halves."""
    d = step.keys.shape[1]
    _cells(sum_ax, step.context.numpy()[:, None], 0, norm)
    _cells(concat_ax, step.concat.numpy()[:, None], 0, norm)
    concat_ax.axhline(d, color=HIGHLIGHT, lw=1.5)
    for ax, ticks in ((sum_ax, {d / 2: "c"}), (concat_ax, {d / 2: "c", 1.5 * d: "q"})):
        ax.set_yticks(list(ticks), list(ticks.values()))
        ax.set_xticks([])


def _draw_next(ax: Axes, step: DecoderStep, note: str) -> None:
    """What comes next: the five likeliest tokens of a model's step, or the formula and ``note``."""
    if step.next_token is None:
        ax.text(0.5, 0.5, f"$p(y) =$ softmax\n$(W_s \\tanh(W_c [c; q]))$\n\n{note}",
                ha="center", va="center", fontsize=TEXT_PT, transform=ax.transAxes)
        ax.set_xticks([])
        ax.set_yticks([])
    else:
        top = torch.topk(step.next_token, k=min(5, step.next_token.numel()))
        ax.barh(np.arange(len(top.values)), top.values.numpy(), color="0.45")
        _token_ticks(ax, [step.vocabulary[i] for i in top.indices.tolist()], np.arange(len(top.values)), "y")
        ax.set_ylim(len(top.values) - 0.5, -0.5)
        ax.set_xlim(0, 1)
        ax.set_xticks([0, 1], ["0", "1"])
        ax.set_xlabel("probability", fontsize=TEXT_PT)


def schematic_panels(fig: Figure) -> dict[str, Axes]:
    """The panels of a :func:`step_schematic` figure by name: the six :data:`STEPS` and "next"."""
    return {ax.get_gid(): ax for ax in fig.axes if ax.get_gid() in (*STEPS, "next")}


def _check_highlight(highlight: str | None) -> None:
    if highlight is not None and highlight not in STEPS:
        raise ValueError(f"highlight must be one of {STEPS} (or None), got {highlight!r}")


def _set_highlight(fig: Figure, step: DecoderStep, highlight: str | None) -> None:
    for name, ax in schematic_panels(fig).items():
        on = highlight is not None and (name == highlight or (name == "next" and highlight == "concat"))
        for spine in ax.spines.values():
            spine.set_visible(True)
            spine.set_edgecolor(HIGHLIGHT if on else "0.75")
            spine.set_linewidth(3.0 if on else 0.8)
        ax.title.set_color("black" if on or highlight is None else "0.45")
        ax.title.set_fontsize(TEXT_PT + 3 if on else TEXT_PT + 2)  # not bold: NanumGothic has no bold face
    caption = next(text for text in fig.texts if text.get_gid() == "caption")
    # about as many characters a line as fit: an average glyph is about half its size wide
    per_line = int(fig.get_figwidth() * 72 / (0.52 * caption.get_fontsize()))
    caption.set_text(textwrap.fill(describe_step(step, highlight), per_line) if highlight else " ")


def _vector(values: Tensor) -> str:
    if values.numel() > _ANNOTATE_UP_TO:
        return f"({values.numel()} numbers)"
    return "[" + ", ".join(f"{value:.3g}" for value in values.tolist()) + "]"


def describe_step(step: DecoderStep, name: str) -> str:
    """One sentence, with the step's own numbers, for a caption or a text alternative."""
    _check_highlight(name)
    pairs = lambda values: ", ".join(f"{printable(tok)} {v:.3g}" for tok, v in zip(step.tokens, values.tolist()))
    T, d = step.keys.shape
    best = int(step.weights.argmax())
    if name == "keys":
        if d > _ANNOTATE_UP_TO:
            return f"Step 1, keys: the encoder leaves one key of {d} numbers per source token, {T} keys."
        keys = "; ".join(f"{printable(tok)} {_vector(k)}" for tok, k in zip(step.tokens, step.keys))
        return f"Step 1, keys: the encoder leaves one key of size {d} per source token ({T} keys): {keys}."
    if name == "scores":
        if T > _ANNOTATE_UP_TO:
            return (f"Step 2, scores: the query q {_vector(step.query)} scores each of the {T} keys by a dot "
                    f"product, from {float(step.scores.min()):.3g} to {float(step.scores.max()):.3g}, highest on "
                    f"{printable(step.tokens[int(step.scores.argmax())])!r}.")
        return f"Step 2, scores: the query q = {_vector(step.query)} scores each key by a dot product: {pairs(step.scores)}."
    if name == "softmax":
        if T > _ANNOTATE_UP_TO:
            return (f"Step 3, softmax: the scores become weights between 0 and 1 that sum to 1; "
                    f"{printable(step.tokens[best])!r} gets {float(step.weights[best]):.2f}.")
        return f"Step 3, softmax: the scores become weights between 0 and 1 that sum to 1: {pairs(step.weights)}."
    if name == "weighting" and d > _ANNOTATE_UP_TO:
        return (f"Step 4, weighting: each key is multiplied by its weight; the largest, "
                f"{float(step.weights[best]):.2f} on {printable(step.tokens[best])!r}, leaves that key "
                f"nearly whole, and the keys with small weights shrink towards zero.")
    if name == "weighting":
        weighted = "; ".join(f"{printable(tok)} {_vector(w)}" for tok, w in zip(step.tokens, step.weighted))
        return f"Step 4, weighting: each key is multiplied by its weight: {weighted}."
    if name == "sum":
        return f"Step 5, sum: the weighted keys add up to the context vector c = {_vector(step.context)}."
    text = f"Step 6, concat: [c; q] = {_vector(step.concat)} goes through tanh(W_c ·) and W_s to the next token"
    if step.next_token is None:
        return text + " (this step has no W_c and W_s: it stops at [c; q])."
    best = int(step.next_token.argmax())
    return text + f": most likely {printable(step.vocabulary[best])!r}, p = {float(step.next_token[best]):.2f}."


def walkthrough_animation(step: DecoderStep, *, interval_ms: int = 1800, dpi: float = 96) -> Animation:
    """The schematic of ``step`` with the highlight moving through the six :data:`STEPS`, one
    frame each; every frame's caption is that step's sentence (:func:`describe_step`).

    The wide layout at 96 dpi is 710 px wide, no wider than the player on a 1366-px screen
    (about 740 px), so its 8-point text stays at 10.7 px as shown."""
    fig = step_schematic(step, highlight=STEPS[0], layout="wide", dpi=dpi)
    fig.canvas.draw()
    fig.set_layout_engine("none")  # keep the first frame's layout: later frames only restyle
    player = FuncAnimation(fig, lambda frame: _set_highlight(fig, step, STEPS[frame]), frames=len(STEPS),
                           interval=interval_ms, repeat=True, cache_frame_data=False)
    alt = ("Animation of one decoder step in six frames, one per step, each framed in orange in turn. "
           + " ".join(describe_step(step, name) for name in STEPS))
    return Animation(player, len(STEPS), alt, dpi=dpi)

