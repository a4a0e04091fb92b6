"""Every figure of lib, drawn as the chapters draw it, has text of at least 9 px as a reader sees it.

A notebook shows a plot as a PNG at the figure's dpi (matplotlib-inline saves it with
``bbox_inches="tight"``; the animation player embeds each frame at its own dpi, untrimmed), and
the page shrinks an image wider than its column to the column. So a text of ``s`` points is, as
shown, ``s * dpi / 72 * min(1, column / native width)`` pixels.

The columns, measured on the built site with Playwright and Chromium (sphinx-book-theme 1.3.0,
jupyter-book 1.x, a page with the chapters' left navigation and "Contents" sidebar):
``.cell_output`` is 756.8 px wide in a 1366 x 768 window and 358 px in a 390 x 844 one, and an
animation's ``<img>`` inside its ``<figure>`` is 740.8 px wide at 1366 px.
"""

import struct

import matplotlib

matplotlib.use("Agg")

import math  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from lib import diagrams, plots  # noqa: E402
from lib.animation import Animation  # noqa: E402
from lib.pictures import as_notebook_shows  # noqa: E402
from lib.history import History  # noqa: E402

COLUMN_PX = 756  # a chapter's output column at 1366 px (756.8, measured)
PLAYER_PX = 740  # an animation's frame at 1366 px (740.8, measured)
PHONE_COLUMN_PX = 358  # the output column at 390 px
MIN_TEXT_PX = 9.0

KEYS = torch.tensor([[1.0, 2.0, 9.0], [9.0, 1.0, 1.0]])  # the notes' 나는, 오늘
QUERY = math.log(4) / 4 * torch.tensor([1.0, 0.0, 0.5])  # weights 0.2 / 0.8


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def png_width(png: bytes) -> int:
    """The width of a PNG, from its IHDR chunk."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">I", png[16:20])[0]


def smallest_text_px(fig: Figure, png: bytes, dpi: float, column_px: float) -> tuple[float, str]:
    """The smallest visible text of ``fig`` as shown in ``column_px``, and that text."""
    native = png_width(png)
    scale = min(1.0, column_px / native)
    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    smallest = min(texts, key=lambda t: t.get_fontsize())
    return smallest.get_fontsize() * dpi / 72 * scale, smallest.get_text()


def shown(fig: Figure, column_px: float = COLUMN_PX) -> tuple[float, str]:
    return smallest_text_px(fig, as_notebook_shows(fig), fig.dpi, column_px)


def animation_shown(animation: Animation) -> tuple[float, str]:
    return smallest_text_px(animation.player._fig, animation.first_frame, animation.dpi, PLAYER_PX)


def _history(seed: int) -> History:
    generator = torch.Generator().manual_seed(seed)
    steps = list(range(20, 620, 20))
    losses = [3 * math.exp(-step / 200) + 0.1 * float(torch.rand(1, generator=generator)) for step in steps]
    return History(step=steps, loss=losses, seconds=[0.01 * step for step in steps])


def _weights(rows: int, columns: int) -> torch.Tensor:
    return torch.softmax(torch.randn(rows, columns, generator=torch.Generator().manual_seed(0)), -1)


# --- the figures, as the chapters draw them (figure sizes from the chapters' cells) -----------


def ch02_key_matrix() -> Figure:
    ax = plots.matrix_heatmap(KEYS, row_labels=["k1: 나는 ('I')", "k2: 오늘 ('today')"], column_labels=["1", "2", "3"],
                              xlabel="key dimension", ylabel="source token t", colorbar_label="value",
                              annotate=True, title="The key matrix K of '나는 오늘', shape (T, d) = (2, 3)")
    return ax.figure


def ch02_real_keys() -> Figure:
    fig, ax = plt.subplots(figsize=(10, 3.8), layout="constrained")
    plots.matrix_heatmap(torch.rand(12, 64) * 2 - 1, row_labels=list("Nov 24, 2026"),
                         xlabel="key dimension (d = 64)", ylabel="source character t", colorbar_label="value",
                         title="The key matrix of 'Nov 24, 2026', shape (T, d) = (12, 64)", ax=ax)
    return fig


def ch03_geometry() -> Figure:
    keys = {"k_a": [1.2, 0.2], "k_b": [0.5, 2.0], "k_c": [-1.0, 2.0]}
    return plots.dot_product_geometry([2.0, 1.0], keys).figure


def ch04_scales() -> Figure:
    fig, ax = plt.subplots(figsize=(7, 3.4), layout="constrained")
    scores = torch.tensor([5.5, 9.5])
    plots.weights_bar_chart({f"scale {s}": torch.softmax(s * scores, 0) for s in (0.1, 0.25, 1.0)}, ["나는", "오늘"],
                            ax=ax, title="softmax(scale × [5.5, 9.5]): a larger scale, sharper weights")
    return fig


def ch04_masks() -> Figure:
    fig, axes = plt.subplots(1, 2, figsize=(9, 2.6), layout="constrained")
    for ax, title in zip(axes, ("without the mask", "with the mask (−∞ at padding)")):
        plots.matrix_heatmap(_weights(2, 3), row_labels=["나는 오늘", "네"], column_labels=["t = 1", "t = 2", "t = 3"],
                             xlabel="source position", ylabel="sentence", colorbar_label="weight", annotate=True,
                             vmin=0.0, vmax=1.0, title=title, ax=ax)
    return fig


def ch05_weighted_keys() -> Figure:
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 4.4), layout="constrained")
    plots.vectors_plot({"k1 (나는)": [1, 9], "k2 (오늘)": [9, 1]}, ax=left, xlabel="dimension 1",
                       ylabel="dimension 3", title="the keys")
    plots.vectors_plot({"0.2 · k1": [0.2, 1.8], "0.8 · k2": [7.2, 0.8]}, ax=right, xlabel="dimension 1",
                       ylabel="dimension 3", title="the keys, weighted by 0.2 and 0.8")
    return fig


def ch06_sum_and_hull() -> Figure:
    fig, (left, right) = plt.subplots(1, 2, figsize=(7.5, 4), layout="constrained")
    plots.vector_sum_plot({"0.2 · k1": [0.2, 1.8], "0.8 · k2": [7.2, 0.8]}, total_label="c = (7.4, 2.6)", ax=left,
                          xlabel="dimension 1", ylabel="dimension 3", title="c = 0.2 · k1 + 0.8 · k2")
    plots.convex_hull_plot({"k1": [1, 9], "k2": [9, 1], "k3": [5, 5]}, points=torch.rand(50, 2) * 8,
                           highlight={"c: weights (0.2, 0.8, 0)": [7.4, 2.6]}, ax=right, xlabel="dimension 1",
                           ylabel="dimension 3", title="inside the keys' hull")
    return fig


def ch07_date_map() -> Figure:
    text = "Tuesday, November 24, 2026"  # the widest of chapter 7's three maps, each on its own row
    return plots.attention_heatmap(_weights(10, len(text)), list(text), list("2026-11-24"), title=text).figure


def ch01_ch07_by_length() -> Figure:
    curve = {n: 1 - n / 60 for n in range(5, 51, 5)}
    return plots.accuracy_by_length_plot({"fixed context": curve, "attention": dict.fromkeys(curve, 1.0)}).figure


def ch08_saturation() -> Figure:
    fig, axes = plt.subplots(3, 1, figsize=(6.5, 8), layout="constrained", sharex=True)
    sizes = [2 ** i for i in range(1, 10)]
    plots.curves_plot(sizes, {"q · k": [math.sqrt(d) for d in sizes], "q · k / √d": [1.0] * 9,
                              "√d": [math.sqrt(d) for d in sizes]}, styles={"√d": "k--"}, xlabel="vector size d",
                      ylabel="standard deviation of the scores", title="spread of the scores", logx=True, logy=True,
                      ax=axes[0])
    for ax in axes[1:]:
        plots.curves_plot(sizes, {"dot": [0.9] * 9, "scaled": [0.5] * 9, "uniform (1/T)": [0.1] * 9},
                          styles={"uniform (1/T)": "k:"}, xlabel="vector size d", ylabel="largest weight (mean)",
                          title="the softmax saturates", logx=True, ax=ax)
    return fig


def ch08_score_map() -> Figure:
    text = "November 24, 2026"
    return plots.attention_heatmap(_weights(5, len(text)), list(text), [*"2026", "<eos>"],
                                   title="additive score").figure


def ch09_losses() -> Figure:
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), layout="constrained")
    for ax, name in zip(axes, ("English→French", "Korean→English")):
        plots.loss_curves({"fixed": _history(0), "attention": _history(1)}, ax=ax)
        ax.set_title(f"{name} (seed 0)")
    return fig


def ch09_by_length() -> Figure:
    runs = {kind: [{"1-4": 20.0 + seed, "5-7": 25.0, "8-10": 22.0, "11-13": 18.0, "14-24": 12.0} for seed in range(3)]
            for kind in ("fixed", "attention")}
    return plots.spread_by_bucket_plot(runs, xlabel="English sentence length (tokens)").figure


def ch09_sentence_map() -> Figure:
    source = "▁ 나 는 ▁ 오 늘 ▁ 도 쿄 에 ▁ 있 어 요 .".split()
    output = "I am in Tokyo today . <eos>".split()
    return plots.attention_heatmap(_weights(len(output), len(source)), source, output,
                                   title="나는 오늘 도쿄에 있어요. read with its reference").figure


def ch10_positions() -> Figure:
    positions = torch.rand(64, 50) * 2 - 1  # (columns, positions), drawn with the default size
    return plots.matrix_heatmap(positions, xlabel="position p", ylabel="column (2i: sine, 2i+1: cosine)",
                                title="Sinusoidal position encodings, d = 64", colorbar_label="value").figure


def ch10_race() -> Figure:
    from lib import race_record

    fig, axes = plt.subplots(3, 1, figsize=(7.5, 9), layout="constrained", sharex=True)
    for ax, (task, curves) in zip(axes, race_record.CURVES.items()):
        for name, curve in curves.items():
            ax.plot(curve["steps"], curve["mean"], label=f"{name} (3 seeds)")
            ax.fill_between(curve["steps"], curve["min"], curve["max"], alpha=0.2)
            ax.plot(curve["steps"], curve["mean"], "o", markersize=4, label=f"{name}, seed 0 live")
        ax.set(title=task, ylabel="held-out exact match", ylim=(-0.02, 1.02))
    axes[-1].set_xlabel("training step")
    axes[1].legend(loc="lower right", fontsize=9)
    return fig


def ch10_cross_attention() -> Figure:
    text, output = "24 nov. 2026", [*"2026-11-24", "<eos>"]
    fig, axes = plt.subplots(2, 1, figsize=(7.5, 8), layout="constrained")
    for ax, name in zip(axes, ("GRU + attention", "Transformer")):
        plots.attention_heatmap(_weights(len(output), len(text)), list(text), output, ax=ax, title=name)
    return fig


FIGURES = [ch02_key_matrix, ch02_real_keys, ch03_geometry, ch04_scales, ch04_masks, ch05_weighted_keys,
           ch06_sum_and_hull, ch07_date_map, ch01_ch07_by_length, ch08_saturation, ch08_score_map, ch09_losses,
           ch09_by_length, ch09_sentence_map, ch10_positions, ch10_race, ch10_cross_attention]


@pytest.mark.parametrize("draw", FIGURES, ids=lambda draw: draw.__name__)
def test_plots_text_is_legible_at_1366_px(draw):
    px, text = shown(draw())
    assert px >= MIN_TEXT_PX, f"{draw.__name__}: {text!r} is {px:.1f} px as shown at 1366 px, below {MIN_TEXT_PX}"


@pytest.mark.parametrize("highlight", [None, "scores"])  # a highlight only enlarges a title
@pytest.mark.parametrize(("layout", "column"), [("wide", COLUMN_PX), ("narrow", PHONE_COLUMN_PX)])
def test_schematic_text_is_legible_on_a_screen_and_on_a_phone(layout, column, highlight):
    step = diagrams.decoder_step(KEYS, QUERY, ["나는", "오늘"])
    px, text = shown(diagrams.step_schematic(step, highlight=highlight, layout=layout), column)
    assert px >= MIN_TEXT_PX, f"{layout} schematic: {text!r} is {px:.1f} px as shown in {column} px"


def test_the_page_shows_the_measured_drawings():
    step = diagrams.decoder_step(KEYS, QUERY, ["나는", "오늘"])
    picture = diagrams.schematic(step, highlight="keys")
    for layout, png in (("wide", picture.wide_png), ("narrow", picture.narrow_png)):
        assert png_width(png) == png_width(as_notebook_shows(diagrams.step_schematic(step, highlight="keys",
                                                                                     layout=layout)))
    assert png_width(picture.narrow_png) <= PHONE_COLUMN_PX * 1.1  # barely shrunk on a phone
    assert png_width(picture._repr_png_()) <= COLUMN_PX  # print and notebooks: the wide one, not shrunk


def _model_sized_step() -> diagrams.DecoderStep:
    """Chapter 7's walk-through: 12 keys of 128 numbers and a next-token distribution."""
    generator = torch.Generator().manual_seed(0)
    keys, query = torch.randn(12, 128, generator=generator).tanh(), torch.randn(128, generator=generator).tanh()
    vocabulary = ["<pad>", "<sos>", "<eos>", *"0123456789-"]
    out = torch.nn.Linear(256, len(vocabulary))
    return diagrams.decoder_step(keys, query, list("Nov 24, 2026"), predict=out, vocabulary=vocabulary)


@pytest.mark.parametrize("step", [_model_sized_step, lambda: diagrams.decoder_step(KEYS, QUERY, ["나는", "오늘"])],
                         ids=["chapter 7's model", "running example"])
def test_walkthrough_animation_text_is_legible(step):
    px, text = animation_shown(diagrams.walkthrough_animation(step()))
    assert px >= MIN_TEXT_PX, f"walk-through: {text!r} is {px:.1f} px as shown"


@pytest.mark.parametrize(("source", "output"), [
    (list("Tuesday, November 24, 2026"), list("2026-11-24")),  # chapter 7
    ("▁ 나 는 ▁ 오 늘 ▁ 도 쿄 에 ▁ 있 어 요 .".split(), "I am in Tokyo today . <eos>".split()),  # chapter 9
])
def test_decoding_animation_text_is_legible(source, output):
    px, text = animation_shown(diagrams.decoding_animation(_weights(len(output), len(source)), source, output,
                                                           title="".join(source)))
    assert px >= MIN_TEXT_PX, f"decoding animation: {text!r} is {px:.1f} px as shown"


def test_the_measure_sees_a_small_text():
    """The measure itself: 8-point text on a 20-inch figure at 100 dpi is 8 * 100 / 72 * 756 / 2000 px."""
    fig = plt.figure(figsize=(20, 2), dpi=100)
    fig.text(0.01, 0.5, "small", fontsize=8)
    fig.text(0.99, 0.5, "large", fontsize=30, ha="right")
    px, text = shown(fig)
    assert text == "small" and px == pytest.approx(8 * 100 / 72 * COLUMN_PX / png_width(as_notebook_shows(fig)))
    assert px < MIN_TEXT_PX
    assert np.isclose(shown(fig, column_px=10_000)[0], 8 * 100 / 72)  # narrower than the column: not shrunk
