"""lib.recipes: each chapter's configuration, written once and used by chapters and benchmarks."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
import torch

from lib.recipes import (BOTTLENECK, COPY_RACE, CPU_PLAN, DATES, RACE_CONTESTANTS, RACE_LRS, RACE_TASKS, REVERSAL_RACE,
                         TRANSFORMER)
from lib.train import TrainingSettings
from lib.tasks import date_pairs, reversal_pairs

REPO = Path(__file__).resolve().parents[2]


def test_recipes_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        DATES.steps = 1  # type: ignore[misc]
    assert dataclasses.replace(DATES, steps=100).steps == 100 and DATES.steps == 300


def test_dates_recipe_builds_the_chapters_data_and_model():
    small = dataclasses.replace(DATES, train_size=50, test_size=10)
    (train_pairs, test_pairs), (train, test) = small.pairs(), small.datasets()
    assert train_pairs == date_pairs(50, seed=DATES.train_seed) and test_pairs == date_pairs(10, seed=DATES.test_seed)
    assert (len(train), len(test)) == (50, 10) and train.sources[0] == list(train_pairs[0][0])
    model = small.model(score="additive")
    assert model.encoder.hidden_size == DATES.hidden_size == 128 and model.uses_attention
    assert model.decoder.embedding.embedding_dim == DATES.embed_size == 32
    assert DATES.batch_size == 64
    batch = next(iter(dataclasses.replace(small, batch_size=8).loader(train)))
    assert batch.source.shape[0] == 8


def test_bottleneck_recipe_tests_every_length_with_its_own_seed():
    small = dataclasses.replace(BOTTLENECK, train_size=10, test_per_length=2, max_len=8)
    train, test = small.pairs()
    assert train == reversal_pairs(10, 5, 8, seed=BOTTLENECK.train_seed)
    assert sorted({len(source) for source, _ in test}) == [5, 6, 7, 8] and len(test) == 8
    assert test[:2] == reversal_pairs(2, 5, 5, seed=BOTTLENECK.test_seed + 5)
    fixed = small.model("fixed")
    assert not fixed.uses_attention and sum(p.numel() for p in fixed.parameters()) > 0
    assert torch.equal(next(small.model("fixed").parameters()), next(fixed.parameters()))  # seeded


def _code(path: Path) -> str:
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text("utf-8"))["cells"]
        return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    return path.read_text("utf-8")


@pytest.mark.parametrize("path", ["chapters/01_seq2seq_bottleneck.ipynb", "chapters/07_concat_and_decode.ipynb",
                                  "chapters/08_beyond_dot_product.ipynb", "chapters/10_self_attention.ipynb",
                                  "benchmarks/bottleneck.py",
                                  "benchmarks/dates_accuracy.py", "benchmarks/train_speed.py"])
def test_chapters_and_benchmarks_import_the_recipe_instead_of_restating_it(path):
    code = _code(REPO / path)
    assert "lib.recipes" in code
    restated = re.findall(r"20_000|2_000|12345|12_345|hidden_size=128|seed=1000|steps=600|steps=300", code)
    assert not restated, f"{path} restates the recipe: {restated}"


def test_every_recipe_that_trains_hands_fit_one_settings_object_and_names_its_cache():
    assert DATES.training == TrainingSettings(steps=300, lr=DATES.lr)
    assert BOTTLENECK.training.steps == 600 and REVERSAL_RACE.training.steps == COPY_RACE.training.steps == 400
    assert CPU_PLAN.training == TrainingSettings(steps=CPU_PLAN.steps, lr=CPU_PLAN.lr)
    assert (DATES.cache, BOTTLENECK.cache, REVERSAL_RACE.cache, COPY_RACE.cache) == ("dates", "reversal", "reversal", "copy")


def test_copy_race_copies_the_strings_that_reversal_reverses():
    (copy_train, copy_test), (reversal_train, reversal_test) = COPY_RACE.pairs(), REVERSAL_RACE.pairs()
    assert all(target == source for source, target in copy_train + copy_test)
    assert [s for s, _ in copy_train] == [s for s, _ in reversal_train] and len(copy_test) == 16 * 10


def test_the_race_matches_sizes_within_ten_percent_and_sets_every_contestant_a_rate():
    from lib.transformer import build_transformer

    for task, recipe in RACE_TASKS.items():
        source_vocab, target_vocab = recipe.vocabs()
        gru = sum(p.numel() for p in recipe.model().parameters())
        transformer = sum(p.numel() for p in build_transformer(len(source_vocab), len(target_vocab), TRANSFORMER)
                          .parameters())
        assert abs(transformer / gru - 1) < 0.1, (task, gru, transformer)
    assert {contestant for _, contestant in RACE_LRS} == set(RACE_CONTESTANTS)
    assert {task for task, _ in RACE_LRS} == set(RACE_TASKS)


@pytest.mark.parametrize("path", sorted(p.relative_to(REPO).as_posix() for p in (REPO / "chapters").glob("*.ipynb")))
def test_chapters_name_no_cache_by_condition(path):
    """The fingerprint tells runs apart: a chapter names its recipe's cache, not one per branch."""
    calls = re.findall(r"cache=[^\n]*", _code(REPO / path))
    assert not [call for call in calls if " if " in call or "f\"" in call], calls
