"""lib.diagrams and lib.animation: the schematic is computed from the tensors it is given,
its highlight moves, bad input is refused with a message, and each animation has one embedded
frame per step, no CDN request, and a text alternative."""

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from lib import diagrams  # noqa: E402
from lib.animation import Animation  # noqa: E402

KEYS = torch.tensor([[1.0, 2.0, 9.0], [9.0, 1.0, 1.0]])  # the notes' 나는, 오늘
QUERY = torch.tensor([1.0, 0.0, 0.5])
TOKENS = ["나는", "오늘"]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def step():
    return diagrams.decoder_step(KEYS, QUERY, TOKENS)


def test_decoder_step_computes_the_six_steps(step):
    assert torch.equal(step.scores, torch.tensor([5.5, 9.5]))
    assert torch.allclose(step.weights, torch.tensor([0.018, 0.982]), atol=5e-4)
    assert torch.allclose(step.weighted, step.weights[:, None] * KEYS)
    assert torch.allclose(step.context, step.weighted.sum(0))
    assert torch.equal(step.concat[3:], QUERY) and step.next_token is None
    worked = diagrams.decoder_step(KEYS, torch.log(torch.tensor(4.0)) / 4 * QUERY, TOKENS)
    assert torch.allclose(worked.weights, torch.tensor([0.2, 0.8]), atol=1e-6)  # scores differ by ln 4
    assert torch.allclose(worked.context, torch.tensor([7.4, 1.2, 2.6]), atol=1e-5)  # the notes' example


def test_decoder_step_with_a_model_gives_a_distribution():
    out = torch.nn.Linear(6, 4)
    step = diagrams.decoder_step(KEYS, QUERY, TOKENS, predict=out, vocabulary=list("abcd"))
    assert step.next_token.shape == (4,) and torch.isclose(step.next_token.sum(), torch.tensor(1.0))
    assert torch.allclose(step.next_token, torch.softmax(out(step.concat), 0).detach())
    fig = diagrams.step_schematic(step, highlight="concat")
    best = "abcd"[int(step.next_token.argmax())]
    assert any(f"most likely {best!r}" in " ".join(t.get_text().split()) for t in fig.texts)  # the caption, wrapped


def _frame_style(fig):
    return {name: (ax.spines["top"].get_edgecolor(), ax.spines["top"].get_linewidth())
            for name, ax in diagrams.schematic_panels(fig).items()}


@pytest.mark.parametrize("highlight", diagrams.STEPS)
def test_highlight_frames_exactly_its_step(step, highlight):
    fig = diagrams.step_schematic(step, highlight=highlight)
    panels = diagrams.schematic_panels(fig)
    assert set(panels) == {*diagrams.STEPS, "next"}
    framed = {name for name, (_, width) in _frame_style(fig).items() if width > 2}
    assert framed == ({"concat", "next"} if highlight == "concat" else {highlight})
    assert matplotlib.colors.same_color(panels[highlight].spines["left"].get_edgecolor(), diagrams.HIGHLIGHT)
    caption = next(t for t in fig.texts if t.get_gid() == "caption").get_text()
    assert caption.startswith(f"Step {diagrams.STEPS.index(highlight) + 1}, {highlight}")


def test_highlight_changes_the_highlighted_artist(step):
    keys_fig = diagrams.step_schematic(step, highlight="keys")
    sum_fig = diagrams.step_schematic(step, highlight="sum")
    assert _frame_style(keys_fig)["keys"] != _frame_style(sum_fig)["keys"]
    assert _frame_style(keys_fig)["sum"] != _frame_style(sum_fig)["sum"]
    assert all(width < 2 for _, width in _frame_style(diagrams.step_schematic(step)).values())


def test_schematic_shows_the_numbers(step):
    fig = diagrams.step_schematic(step, highlight="scores")
    texts = {t.get_text() for ax in fig.axes for t in ax.texts}
    assert {"5.5", "9.5", "나는 0.018", "오늘 0.982", "8.86"} <= texts  # scores, weights, context entry


def test_the_last_panel_says_where_the_matrices_come_from(step):
    default = diagrams.step_schematic(step)
    texts = [t.get_text() for t in diagrams.schematic_panels(default)["next"].texts]
    assert any("chapter 7" in text for text in texts)
    own = diagrams.step_schematic(step, next_note="set by hand below")  # chapter 7 itself
    texts = [t.get_text() for t in diagrams.schematic_panels(own)["next"].texts]
    assert any("set by hand below" in text for text in texts) and not any("chapter 7" in t for t in texts)


@pytest.mark.parametrize("layout", diagrams.LAYOUTS)
def test_every_layout_has_every_panel_once(step, layout):
    fig = diagrams.step_schematic(step, highlight="sum", layout=layout)
    assert sorted(diagrams.schematic_panels(fig)) == sorted({*diagrams.STEPS, "next"})
    assert len(fig.axes) == len(diagrams.STEPS) + 1


def test_schematic_for_a_page_describes_every_step(step):
    picture = diagrams.schematic(step, highlight="softmax")
    assert picture.alt.startswith("Schematic of one decoder step in seven panels, step 3 (softmax) framed")
    assert all(f"Step {n + 1}, {name}" in picture.alt for n, name in enumerate(diagrams.STEPS))
    assert 'alt="Schematic of one decoder step' in picture._repr_html_()


def test_bad_input_is_refused_with_a_message(step):
    with pytest.raises(ValueError, match=r"highlight must be one of .*'keys'.*got 'key'"):
        diagrams.step_schematic(step, highlight="key")
    with pytest.raises(ValueError, match=r"layout must be one of \('wide', 'narrow'\), got 'tall'"):
        diagrams.step_schematic(step, layout="tall")
    with pytest.raises(ValueError, match=r"keys must have shape \(T, d\) and query \(d,\).*got keys \(2, 3\) and query \(4,\)"):
        diagrams.decoder_step(KEYS, torch.ones(4), TOKENS)
    with pytest.raises(ValueError, match="3 tokens for 2 keys"):
        diagrams.decoder_step(KEYS, QUERY, ["a", "b", "c"])
    with pytest.raises(ValueError, match="predict and vocabulary together"):
        diagrams.decoder_step(KEYS, QUERY, TOKENS, predict=torch.nn.Linear(6, 2))
    with pytest.raises(TypeError, match="must be a DecoderStep"):
        diagrams.step_schematic(KEYS)
    with pytest.raises(ValueError, match=r"shape \(output_len, source_len\) = \(2, 3\).*got \(3, 2\)"):
        diagrams.decoding_animation(torch.rand(3, 2), list("abc"), list("xy"))


def _embedded_frames(html: str) -> int:
    return len(re.findall(r'frames\[\d+\] = "data:image/png', html))


def test_walkthrough_has_one_frame_per_step_and_no_cdn(step):
    animation = diagrams.walkthrough_animation(step)
    assert isinstance(animation, Animation) and animation.frames == len(diagrams.STEPS)
    html = animation.to_jshtml()
    assert _embedded_frames(html) == 6
    assert "http" not in html.split("<figcaption>")[0]  # no stylesheet or script from a CDN
    assert "fa fa-" not in html and "<figcaption>" in html
    assert re.search(r'<img id="_anim_img\w+" alt="Animation of one decoder step', html)
    assert "Step 2, scores" in animation.alt and "5.5" in animation.alt
    assert animation.first_frame.startswith(b"\x89PNG") and animation._repr_png_() == animation.first_frame
    assert len(html) < 600_000  # keeps the page light
    assert not plt.get_fignums()  # the figure is closed: no second, static copy in the notebook


def test_decoding_animation_one_frame_per_output_token():
    weights = torch.eye(4)[[3, 2, 1, 0]]  # reversal: output token l looks at source token 3 - l
    animation = diagrams.decoding_animation(weights, list("abcd"), list("dcba"), title="reversal")
    assert animation.frames == 4 and _embedded_frames(animation.to_jshtml()) == 4
    assert "'d' looks at 'd' (1.00), 'c' looks at 'c' (1.00)" in animation.alt
    frames = re.findall(r'frames\[\d+\] = "(data:image/png;base64,[^"]+)"', animation.to_jshtml())
    assert len(set(frames)) == 4  # the attention row moves: every frame differs


def test_a_teacher_forced_reading_says_predicting_not_writing():
    weights = torch.eye(3)
    read = diagrams.decoding_animation(weights, list("abc"), list("xyz"), teacher_forced=True)
    written = diagrams.decoding_animation(weights, list("abc"), list("xyz"))
    heading = lambda animation: animation.player._fig.axes[0].get_title(loc="left")  # noqa: E731
    assert heading(read) == "predicting 'x', the reference so far 'x'"
    assert heading(written) == "writing 'x', so far 'x'"


def test_embed_limit_is_checked(step):
    with matplotlib.rc_context({"animation.embed_limit": 0.01}):  # 10 kB: too small for 6 frames
        animation = diagrams.walkthrough_animation(step)
        with pytest.raises(ValueError, match="of 6 frames fit in matplotlib's embed limit"):
            animation.to_jshtml()


def test_model_step_matches_the_model():
    from lib.models import build_model

    model = build_model("attention", 10, 8, hidden_size=6, embed_size=4, seed=0)
    source, output = [4, 5, 6, 7], [4, 5, 6]
    step = diagrams.model_step(model, source, output, 2, source_tokens=list("abcd"),
                               vocabulary=[str(i) for i in range(8)])
    logits, weights = model(torch.tensor([source]), torch.tensor([4]), torch.tensor([[1, *output]]))
    assert torch.allclose(step.weights, weights[0, 2], atol=1e-6)  # the model's own attention row
    assert torch.allclose(step.next_token, torch.softmax(logits[0, 2], -1), atol=1e-6)
    with pytest.raises(ValueError, match="position must be an output step between 0 and 3, got 7"):
        diagrams.model_step(model, source, output, 7, source_tokens=list("abcd"), vocabulary=list("01234567"))


def test_decoding_animation_of_words_keeps_the_spaces():
    weights = torch.softmax(torch.randn(3, 5), -1)
    alt = diagrams.describe_decoding(weights, ["나", "는", "▁", "오", "늘"], ["I", "am", "today"])
    assert alt.startswith("Animation of the decoding of '나는▁오늘' into 'I am today'")


def test_captions_of_a_real_sized_step_stay_short():
    generator = torch.Generator().manual_seed(0)
    keys, query = torch.randn(12, 64, generator=generator), torch.randn(64, generator=generator)
    step = diagrams.decoder_step(keys, query, list("Nov 24, 2026"))
    best = int(step.weights.argmax())
    for name in diagrams.STEPS:
        assert len(diagrams.describe_step(step, name)) < 260, name
    assert f"{float(step.weights[best]):.2f}" in diagrams.describe_step(step, "softmax")
    assert "(64 numbers)" in diagrams.describe_step(step, "sum")
