"""Figures of the course: attention heatmaps, loss curves, accuracy against length, and the
geometry of a dot product.

Every function draws on a matplotlib ``Axes`` (made for you when ``ax`` is None) and returns
it, so a chapter can compose figures. Heatmaps use ``cividis``, a colour map that reads the
same to colour-blind readers and in greyscale; every axis is labelled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes

from .fonts import printable, refresh_font, use_course_font

if TYPE_CHECKING:  # for a type only: drawing a figure need not import the training code
    from .train import History

__all__ = [
    "HEATMAP_CMAP", "attention_heatmap", "matrix_heatmap", "loss_curves", "accuracy_by_length_plot",
    "dot_product_geometry", "vectors_plot", "curves_plot", "weights_bar_chart", "convex_hull_plot",
    "vector_sum_plot", "spread_by_bucket_plot",
]

HEATMAP_CMAP = "cividis"


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    """``ax`` (given the course's font: :func:`lib.fonts.refresh_font`), or new axes of ``size`` inches."""
    use_course_font()
    if ax is None:
        _, ax = plt.subplots(figsize=size, layout="constrained")
        return ax
    return refresh_font(ax)


def _numpy(values: torch.Tensor | np.ndarray | Sequence) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        return values.detach().float().cpu().numpy()
    return np.asarray(values, dtype=float)


def matrix_heatmap(
    matrix: torch.Tensor | np.ndarray, *, row_labels: Sequence[str] | None = None,
    column_labels: Sequence[str] | None = None, xlabel: str = "", ylabel: str = "",
    title: str = "", ax: Axes | None = None, colorbar_label: str = "", annotate: bool = False,
    cmap: str = HEATMAP_CMAP, vmin: float | None = None, vmax: float | None = None,
) -> Axes:
    """A labelled heatmap of a 2-D ``(rows, columns)`` matrix."""
    values = _numpy(matrix)
    if values.ndim != 2:
        raise ValueError(f"a heatmap needs a 2-D (rows, columns) matrix, got shape {values.shape}")
    width = max(4.0, 0.32 * values.shape[1] + 2)
    if column_labels is None:  # numbered ticks need no room per column: keep it within the page's column,
        width = min(width, 7.5)  # 750 px at 100 dpi, so that its text is not shrunk (tests/lib/test_figure_text.py)
    ax = _axes(ax, (width, max(2.5, 0.32 * values.shape[0] + 1.5)))
    image = ax.imshow(values, cmap=cmap, aspect="auto", vmin=vmin, vmax=vmax)
    for labels, set_ticks, set_labels, count in (
        (column_labels, ax.set_xticks, ax.set_xticklabels, values.shape[1]),
        (row_labels, ax.set_yticks, ax.set_yticklabels, values.shape[0]),
    ):
        if labels is not None:
            if len(labels) != count:
                raise ValueError(f"{len(labels)} labels for {count} rows/columns of the matrix")
            set_ticks(range(count))
            set_labels([printable(label) for label in labels])
    if annotate:
        middle = (np.nanmax(values) + np.nanmin(values)) / 2
        for (row, column), value in np.ndenumerate(values):
            ax.text(column, row, f"{value:.2f}", ha="center", va="center", fontsize=8,
                    color="black" if value > middle else "white")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.figure.colorbar(image, ax=ax, label=colorbar_label, shrink=0.8)
    return ax


def attention_heatmap(
    weights: torch.Tensor | np.ndarray, source_tokens: Sequence[str], output_tokens: Sequence[str],
    *, title: str = "", ax: Axes | None = None,
) -> Axes:
    """Attention weights ``(L, T)``: one row per output token, one column per source token.

    Pass the weights of a single example, cut to its real lengths (``weights[i, :L, :T]``).
    """
    values = _numpy(weights)
    if values.ndim != 2 or values.shape != (len(output_tokens), len(source_tokens)):
        raise ValueError(
            f"weights must have shape (output_len, source_len) = ({len(output_tokens)}, "
            f"{len(source_tokens)}) for the tokens given; got {values.shape}"
        )
    return matrix_heatmap(
        values, row_labels=output_tokens, column_labels=source_tokens, xlabel="source token (key)",
        ylabel="output token (query step)", title=title, ax=ax, colorbar_label="attention weight",
        vmin=0.0, vmax=1.0,
    )


def loss_curves(
    histories: Mapping[str, History], *, ax: Axes | None = None, log_scale: bool = True
) -> Axes:
    """Training loss against step, one line per named :class:`~lib.train.History`."""
    ax = _axes(ax, (6, 3.5))
    for name, history in histories.items():
        ax.plot(history.step, history.loss, label=name)
    ax.set_xlabel("training step")
    ax.set_ylabel("cross-entropy per target token")
    if log_scale:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


def accuracy_by_length_plot(
    curves: Mapping[str, Mapping[int, float]], *, ax: Axes | None = None,
    ylabel: str = "token accuracy", xlabel: str = "source length (tokens)",
) -> Axes:
    """Accuracy against source length, one line per model (the shape of Bahdanau et al., Fig. 2)."""
    ax = _axes(ax, (6, 3.5))
    markers = "os^dv"
    for index, (name, by_length) in enumerate(curves.items()):
        lengths = sorted(by_length)
        ax.plot(lengths, [by_length[n] for n in lengths], marker=markers[index % len(markers)],
                markersize=3, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


def vectors_plot(
    vectors: Mapping[str, Sequence[float]], *, origin: Mapping[str, Sequence[float]] | None = None,
    ax: Axes | None = None, title: str = "", xlabel: str = "dimension 1",
    ylabel: str = "dimension 2",
) -> Axes:
    """2-D vectors as labelled arrows (from the origin, or from ``origin[name]``)."""
    ax = _axes(ax, (5, 5))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    points = [np.zeros(2)]
    for index, (name, vector) in enumerate(vectors.items()):
        start = np.asarray(origin.get(name, (0, 0)) if origin else (0, 0), dtype=float)
        end = start + np.asarray(vector, dtype=float)
        points += [start, end]
        ax.annotate("", xy=end, xytext=start,
                    arrowprops={"arrowstyle": "-|>", "color": colors[index % len(colors)], "lw": 2})
        ax.text(*end, f" {name}", color=colors[index % len(colors)], fontsize=10)
    extent = np.abs(np.stack(points)).max() * 1.25 + 1e-9
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    ax.axhline(0, color="grey", lw=0.5)
    ax.axvline(0, color="grey", lw=0.5)
    ax.set_aspect("equal")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    return ax


def dot_product_geometry(
    query: Sequence[float], keys: Mapping[str, Sequence[float]], *, ax: Axes | None = None
) -> Axes:
    """The query, some keys, and each key's projection onto the query's direction.

    ``q · k = |q| |k| cos(θ)``: the dashed segment is ``|k| cos(θ)``, the key's shadow on the
    query; the score is that shadow times ``|q|`` (shown in the legend).
    """
    q = np.asarray(query, dtype=float)
    if q.shape != (2,) or not np.linalg.norm(q):
        raise ValueError(f"the geometry is drawn in 2-D: query must be a non-zero 2-vector, got {query}")
    unit = q / np.linalg.norm(q)
    ax = vectors_plot({"query": q, **keys}, ax=ax, title="q · k = |q| |k| cos θ")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for index, (name, key) in enumerate(keys.items(), start=1):
        k = np.asarray(key, dtype=float)
        shadow = (k @ unit) * unit
        color = colors[index % len(colors)]
        ax.plot([k[0], shadow[0]], [k[1], shadow[1]], ls=":", color=color, lw=1)
        ax.plot([0, shadow[0]], [0, shadow[1]], ls="--", color=color, lw=3, alpha=0.5,
                label=f"{name}: q·k = {q @ k:.1f}")
    ax.legend(loc="lower left", fontsize=8)
    return ax


# --- Chapter 08: curves against a size ---------------------------------------------------------


def curves_plot(
    x: Sequence[float], curves: Mapping[str, Sequence[float]], *, xlabel: str, ylabel: str,
    ax: Axes | None = None, title: str = "", logx: bool = False, logy: bool = False,
    styles: Mapping[str, str] | None = None,
) -> Axes:
    """One line per named curve against a shared ``x`` (e.g. a statistic against the size ``d``).

    ``styles`` maps a curve's name to a matplotlib format string (``"k--"`` for a dashed
    reference line); the others get the colour cycle with markers.
    """
    ax = _axes(ax, (5, 3.5))
    xs = _numpy(x)
    markers = "os^dv"
    for index, (name, ys) in enumerate(curves.items()):
        values = _numpy(ys)
        if values.shape != xs.shape:
            raise ValueError(f"curve {name!r} has {values.shape} points for {xs.shape} x values")
        if styles and name in styles:
            ax.plot(xs, values, styles[name], label=name)
        else:
            ax.plot(xs, values, marker=markers[index % len(markers)], markersize=4, label=name)
    if logx:
        ax.set_xscale("log", base=2)
    if logy:
        ax.set_yscale("log", base=2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ax


# --- Chapters 04-06: weights as bars, and the weighted average inside the keys' convex hull ----


def weights_bar_chart(
    weights: Mapping[str, torch.Tensor | np.ndarray | Sequence[float]], tokens: Sequence[str], *,
    ax: Axes | None = None, title: str = "", xlabel: str = "source token (key)",
    ylabel: str = "attention weight", annotate: bool = True,
) -> Axes:
    """Attention weights over the ``T`` keys as grouped bars, one colour per named setting.

    Args:
        weights: ``{setting: weights (T,)}``, e.g. ``{"without mask": ..., "with mask": ...}``.
        tokens: the ``T`` source tokens, one group of bars each.
        annotate: write each weight (two decimals) above its bar.
    """
    rows = {name: _numpy(values).reshape(-1) for name, values in weights.items()}
    for name, values in rows.items():
        if values.shape != (len(tokens),):
            raise ValueError(
                f"weights {name!r} have {values.size} entries for {len(tokens)} tokens: pass one "
                "weight per source token, shape (T,)"
            )
    ax = _axes(ax, (max(4.0, 1.1 * len(tokens) + 2), 3.2))
    width = 0.8 / max(len(rows), 1)
    positions = np.arange(len(tokens))
    for index, (name, values) in enumerate(rows.items()):
        offset = (index - (len(rows) - 1) / 2) * width
        bars = ax.bar(positions + offset, values, width=width * 0.95, label=name)
        if annotate:
            ax.bar_label(bars, labels=[f"{value:.2f}" for value in values], fontsize=7, padding=1)
    ax.set_xticks(positions)
    ax.set_xticklabels([printable(token) for token in tokens])
    ax.set_ylim(0, 1.12)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if len(rows) > 1:
        ax.legend(fontsize=8, loc="upper left")
    ax.grid(axis="y", alpha=0.3)
    return ax


def _convex_hull(points: np.ndarray) -> np.ndarray:
    """Andrew's monotone chain: the hull's corners ``(H, 2)`` in counter-clockwise order."""
    unique = np.unique(points, axis=0)
    if len(unique) < 3:
        return unique
    order = unique[np.lexsort((unique[:, 1], unique[:, 0]))]

    def half(sequence: np.ndarray) -> list[np.ndarray]:
        chain: list[np.ndarray] = []
        for point in sequence:
            while len(chain) >= 2 and np.cross(chain[-1] - chain[-2], point - chain[-2]) <= 0:
                chain.pop()
            chain.append(point)
        return chain

    lower, upper = half(order), half(order[::-1])
    return np.array(lower[:-1] + upper[:-1])


def convex_hull_plot(
    keys: Mapping[str, Sequence[float]], *, points: torch.Tensor | np.ndarray | None = None,
    highlight: Mapping[str, Sequence[float]] | None = None, ax: Axes | None = None,
    title: str = "", xlabel: str = "dimension 1", ylabel: str = "dimension 2",
) -> Axes:
    """2-D keys as arrows, their convex hull shaded, and weighted averages as dots.

    Args:
        keys: ``{name: key (2,)}``, the ``T`` keys (two give a segment, three or more a polygon).
        points: ``(N, 2)`` weighted averages of the keys (context vectors), drawn as small dots.
        highlight: ``{name: point (2,)}`` drawn large and labelled, e.g. ``{"c": context}``.
    """
    ax = vectors_plot({name: _numpy(key) for name, key in keys.items()}, ax=ax, title=title,
                      xlabel=xlabel, ylabel=ylabel)
    corners = _convex_hull(np.stack([_numpy(key) for key in keys.values()]))
    if len(corners) >= 3:
        ax.fill(corners[:, 0], corners[:, 1], color="grey", alpha=0.2, lw=0,
                label="convex hull of the keys")
    elif len(corners) == 2:
        ax.plot(corners[:, 0], corners[:, 1], color="grey", lw=6, alpha=0.3, solid_capstyle="round",
                label="segment between the keys")
    if points is not None:
        values = _numpy(points)
        if values.ndim != 2 or values.shape[1] != 2:
            raise ValueError(f"points must have shape (N, 2), got {values.shape}")
        ax.scatter(values[:, 0], values[:, 1], s=6, color="black", alpha=0.5,
                   label="weighted averages (random weights)")
    for name, point in (highlight or {}).items():
        x, y = _numpy(point)
        ax.scatter([x], [y], s=60, marker="*", color="black", zorder=5)
        ax.annotate(name, (x, y), textcoords="offset points", xytext=(6, -12), fontsize=10)
    ax.legend(loc="best", fontsize=8)
    return ax


def vector_sum_plot(
    parts: Mapping[str, Sequence[float]], *, total_label: str = "sum", ax: Axes | None = None,
    title: str = "", xlabel: str = "dimension 1", ylabel: str = "dimension 2",
) -> Axes:
    """2-D vectors ``{name: (2,)}`` added tip to tail, and their sum as a dashed black arrow.

    Each part starts where the one before ends; the sum runs from the origin to the last tip and
    is labelled ``total_label`` just below its tip.
    """
    vectors = {name: _numpy(vector) for name, vector in parts.items()}
    for name, vector in vectors.items():
        if vector.shape != (2,):
            raise ValueError(f"vector {name!r} must have 2 entries, got shape {vector.shape}")
    starts, position = {}, np.zeros(2)
    for name, vector in vectors.items():
        starts[name] = position
        position = position + vector
    ax = vectors_plot(vectors, origin=starts, ax=ax, title=title, xlabel=xlabel, ylabel=ylabel)
    ax.annotate("", xy=position, xytext=(0, 0),
                arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.5, "ls": "--"})
    ax.annotate(total_label, position, textcoords="offset points", xytext=(-10, -16), fontsize=10)
    return ax


def spread_by_bucket_plot(
    runs: Mapping[str, Sequence[Mapping[str, float]]], *, ax: Axes | None = None,
    ylabel: str = "test BLEU", xlabel: str = "source length (tokens)",
) -> Axes:
    """A score per bucket, one line per model: the mean over runs (seeds), bars from the lowest run
    to the highest. ``runs[model]`` is one ``{bucket label: score}`` per run, in bucket order.
    Chapter 09 draws BLEU by source length with it, the shape of Bahdanau et al.'s Fig. 2."""
    ax = _axes(ax, (6, 3.5))
    markers = "os^dv"
    for index, (name, per_run) in enumerate(runs.items()):
        if not per_run:
            raise ValueError(f"{name!r} has no runs to plot")
        labels = list(per_run[0])
        values = np.array([[run[label] for label in labels] for run in per_run])  # (runs, buckets)
        mean = values.mean(0)
        ax.errorbar(np.arange(len(labels)), mean, yerr=[mean - values.min(0), values.max(0) - mean],
                    marker=markers[index % len(markers)], markersize=4, capsize=3,
                    label=f"{name} (mean of {len(per_run)}, bars: lowest to highest)" if len(per_run) > 1 else name)
        ax.set_xticks(np.arange(len(labels)), labels)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend()
    return ax
