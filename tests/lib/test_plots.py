"""lib.plots: every figure draws, labels its axes, uses the colour-blind-safe map, and rejects
inputs that do not match its labels."""

import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from lib import plots  # noqa: E402
from lib.train import History, pick_device, seed_everything  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_attention_heatmap_labels_and_colormap():
    weights = torch.softmax(torch.randn(3, 4), -1)
    ax = plots.attention_heatmap(weights, list("나는 오"), ["I", "am", "today"], title="t")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["나", "는", "␣", "오"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["I", "am", "today"]
    assert ax.get_xlabel() and ax.get_ylabel()
    assert ax.images[0].get_cmap().name == "cividis"


def test_attention_heatmap_rejects_mismatched_tokens():
    with pytest.raises(ValueError, match=r"weights must have shape \(output_len, source_len\) = \(2, 4\).*got \(3, 4\)"):
        plots.attention_heatmap(torch.rand(3, 4), list("abcd"), ["x", "y"])


def test_matrix_heatmap_rejects_3d():
    with pytest.raises(ValueError, match="needs a 2-D"):
        plots.matrix_heatmap(torch.rand(2, 3, 4))


def test_loss_curves_and_accuracy_plot():
    history = History(step=[1, 2, 3], loss=[3.0, 2.0, 1.0], seconds=[0.1, 0.2, 0.3])
    ax = plots.loss_curves({"model": history})
    assert ax.get_ylabel().startswith("cross-entropy") and len(ax.lines) == 1
    ax = plots.accuracy_by_length_plot({"a": {5: 1.0, 10: 0.5}, "b": {5: 0.9, 10: 0.9}})
    assert len(ax.lines) == 2 and ax.get_xlabel().startswith("source length")


def test_dot_product_geometry_shows_scores():
    ax = plots.dot_product_geometry([2.0, 0.0], {"k1": [1.0, 1.0], "k2": [-1.0, 2.0]})
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["k1: q·k = 2.0", "k2: q·k = -2.0"]
    with pytest.raises(ValueError, match="non-zero 2-vector"):
        plots.dot_product_geometry([0.0, 0.0], {"k": [1.0, 1.0]})


def test_hangul_font_is_available_once_a_figure_is_drawn():
    plots.matrix_heatmap(torch.eye(2), row_labels=["나는", "오늘"])
    assert "NanumGothic" in {font.name for font in matplotlib.font_manager.fontManager.ttflist}
    assert list(plt.rcParams["font.family"]) == ["DejaVu Sans", "NanumGothic"]


def test_importing_plots_changes_no_setting_and_imports_no_training_code():
    code = ("import matplotlib; before = dict(matplotlib.rcParams); import sys, lib.plots, lib.diagrams; "
            "assert dict(matplotlib.rcParams) == before; assert 'lib.train' not in sys.modules, 'lib.train'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


def test_device_and_seed():
    assert pick_device().type in ("cpu", "cuda", "mps")
    assert pick_device("cpu").type == "cpu"
    seed_everything(3)
    first = torch.rand(3)
    seed_everything(3)
    assert torch.equal(first, torch.rand(3))
