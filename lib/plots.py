"""Figures of the course: attention heatmaps, loss curves, accuracy against length, and the
geometry of a dot product.

Every function draws on a matplotlib ``Axes`` (made for you when ``ax`` is None) and returns
it, so a chapter can compose figures. Heatmaps use ``cividis``, a colour map that reads the
same to colour-blind readers and in greyscale; every axis is labelled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes

from .train import History

__all__ = [
    "HEATMAP_CMAP", "attention_heatmap", "matrix_heatmap", "loss_curves", "accuracy_by_length_plot",
    "dot_product_geometry", "vectors_plot",
]

HEATMAP_CMAP = "cividis"


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


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
    ax = _axes(ax, (max(4.0, 0.32 * values.shape[1] + 2), max(2.5, 0.32 * values.shape[0] + 1.5)))
    image = ax.imshow(values, cmap=cmap, aspect="auto", vmin=vmin, vmax=vmax)
    for labels, set_ticks, set_labels, count in (
        (column_labels, ax.set_xticks, ax.set_xticklabels, values.shape[1]),
        (row_labels, ax.set_yticks, ax.set_yticklabels, values.shape[0]),
    ):
        if labels is not None:
            if len(labels) != count:
                raise ValueError(f"{len(labels)} labels for {count} rows/columns of the matrix")
            set_ticks(range(count))
            set_labels([_printable(label) for label in labels])
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


def _printable(token: str) -> str:
    return {" ": "␣", "": "∅"}.get(token, token)


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
