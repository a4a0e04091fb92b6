"""lib.train: determinism, evaluation, the loss, and fit's settings (keywords or a recipe's)."""

import pytest
import torch

from lib.data import make_loader
from lib.metrics import evaluate
from lib.models import build_model
from lib.recipes import DATES
from lib.train import TrainingSettings, _lr_factor, fit, sequence_loss
from tiny import VOCAB, tiny_dataset


def test_same_seed_same_history():
    histories = []
    for _ in range(2):
        model = build_model("attention", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8, seed=3)
        histories.append(fit(model, make_loader(tiny_dataset(), 16, seed=1), steps=12, log_every=3, progress=False).loss)
    assert histories[0] == histories[1]
    model = build_model("attention", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8, seed=4)
    other = fit(model, make_loader(tiny_dataset(), 16, seed=1), steps=12, log_every=3, progress=False).loss
    assert other != histories[0]


def test_fit_learns_and_records_evaluations():
    dataset = tiny_dataset(256, 3, 6)
    model = build_model("attention", len(VOCAB), len(VOCAB), hidden_size=32, embed_size=16)
    history = fit(model, make_loader(dataset, 32), steps=150, lr=1e-2, progress=False,
                  evaluate=lambda m: evaluate(m, dataset), eval_every=75)
    assert history.loss[-1] < history.loss[0] / 3
    assert [e["step"] for e in history.evals] == [75, 150]
    assert history.evals[-1]["token_accuracy"] > 0.6
    assert history.tokens > 0 and history.tokens_per_second > 0 and history.device == "cpu"
    assert history.first_reaching("token_accuracy", 0.0)["step"] == 75


def test_fit_gives_the_process_its_denormal_floats_back():
    """fit flushes denormals only while it trains: afterwards a float32 subnormal survives
    arithmetic again (a softmax of very negative scores, in a learner's next cell, is IEEE's)."""
    def subnormal_survives() -> bool:
        return (torch.tensor([1e-38]) * 0.01).item() > 0  # 1e-40: below float32's normal range

    assert subnormal_survives()
    model = build_model("fixed", len(VOCAB), len(VOCAB), hidden_size=8, embed_size=4)
    fit(model, make_loader(tiny_dataset(), 16), steps=2, progress=False, device="cpu")
    assert subnormal_survives()


def test_fit_rejects_zero_steps():
    model = build_model("fixed", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8)
    with pytest.raises(ValueError, match="steps must be an int >= 1"):
        fit(model, make_loader(tiny_dataset(), 8), steps=0, progress=False)


def test_sequence_loss_shape_error():
    with pytest.raises(ValueError, match=r"logits \(batch, tgt_len, vocab\) and targets"):
        sequence_loss(torch.randn(2, 3, 5), torch.zeros(2, 4, dtype=torch.long))


def test_fit_takes_a_recipes_settings_and_keywords_replace_them():
    def model():
        return build_model("attention", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8, seed=3)

    def loader():  # a fresh one each time: a shuffled loader's generator moves on as it serves
        return make_loader(tiny_dataset(), 16, seed=1)

    assert DATES.training == TrainingSettings(steps=DATES.steps, lr=DATES.lr)
    by_settings = fit(model(), loader(), TrainingSettings(steps=12, log_every=3), progress=False).loss
    by_keywords = fit(model(), loader(), DATES.training, steps=12, log_every=3, progress=False).loss
    assert by_settings == by_keywords and len(by_settings) == 4


def test_fit_without_steps_names_what_it_needs():
    model = build_model("attention", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8)
    with pytest.raises(TypeError, match=r"steps=.*DATES\.training"):
        fit(model, make_loader(tiny_dataset(), 16), progress=False)
    with pytest.raises(TypeError, match="TrainingSettings such as DATES.training, got a DatesRecipe"):
        fit(model, make_loader(tiny_dataset(), 16), DATES, progress=False)


def test_warm_up_rises_linearly_then_the_cosine_falls_to_its_end():
    settings = TrainingSettings(steps=10, warmup_steps=4, final_lr_fraction=0.1)
    factors = [_lr_factor(settings, step) for step in range(11)]
    assert factors[:4] == [0.25, 0.5, 0.75, 1.0]
    assert factors[4] == 1.0 and factors[10] == pytest.approx(0.1)
    assert all(a >= b for a, b in zip(factors[3:], factors[4:]))  # falls after the warm-up
    plain = TrainingSettings(steps=10, final_lr_fraction=0.1)
    assert _lr_factor(plain, 0) == 1.0 and _lr_factor(plain, 5) == pytest.approx(0.55)
    with pytest.raises(ValueError, match="warmup_steps must be fewer than steps"):
        TrainingSettings(steps=10, warmup_steps=10)
    with pytest.raises(ValueError, match="warmup_steps"):
        TrainingSettings(steps=10, warmup_steps=-1)
