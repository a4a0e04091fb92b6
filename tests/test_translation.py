"""Tests of lib.translation (chapter 09's glue) and of chapter 09's exercise check."""

from __future__ import annotations

import random

import pytest
import torch

from lib.data import PAD, UNK
from lib.tatoeba import SentencePair, Splits, TokenizedPair
from lib.text import tokenize
from lib.translation import (LengthBuckets, Plan, evaluate_split, html_table, markdown_table, plan_training,
                             prepare, restrict_length, train_model, translate)

WORDS = {"one": "un", "two": "deux", "three": "trois", "four": "quatre", "five": "cinq", "six": "six"}


def _pair(source: str, target: str) -> TokenizedPair:
    return TokenizedPair(tokenize(source, "eng"), tokenize(target, "fra"), SentencePair(source, target, ""))


def _splits(count: int = 120, seed: int = 0, extra_test: tuple[str, str] | None = None) -> Splits:
    """English number words -> French, word by word: "two five." -> "deux cinq."."""
    rng = random.Random(seed)
    examples = []
    for _ in range(count):
        words = rng.choices(list(WORDS), k=rng.randint(1, 5))
        examples.append(_pair(" ".join(words).capitalize() + ".", " ".join(WORDS[w] for w in words) + "."))
    train, validation, test = examples[: count * 8 // 10], examples[count * 8 // 10: count * 9 // 10], \
        examples[count * 9 // 10:]
    if extra_test is not None:
        test = test + [_pair(*extra_test)]
    return Splits("fra-eng", "eng", "fra", train, validation, test)


# --- the plan ----------------------------------------------------------------------------------


def test_plan_for_a_small_corpus():
    splits = _splits(120)
    plan = plan_training(splits, "cpu")
    assert (plan.hidden_size, plan.embed_size, plan.batch_size, plan.lr) == (128, 64, 64, 6e-3)
    assert plan.steps == round(15 * len(splits.train) / 64)
    assert plan.max_len == 24 and plan.min_count == 2
    assert plan_training(splits, "cuda") == plan  # the cap does not bind: same plan on a GPU


def test_plan_for_a_large_corpus_is_capped_by_the_device():
    one = _splits(10)
    splits = Splits("fra-eng", "eng", "fra", one.train * 2_600, one.validation, one.test)  # 20,800 pairs
    cpu, gpu = plan_training(splits, "cpu"), plan_training(splits, "cuda")
    assert (gpu.hidden_size, gpu.batch_size, gpu.lr) == (256, 128, 3e-3)
    assert cpu.steps == 1_600 and gpu.steps == round(15 * 20_800 / 128)
    assert plan_training(splits, "cpu", max_steps=10).steps == 10


def test_plan_counts_only_pairs_within_max_len():
    long = _pair(" ".join(["one"] * 30) + ".", " ".join(["un"] * 30) + ".")
    splits = Splits("fra-eng", "eng", "fra", [long] * 64 + _splits(80).train, [], [])
    assert plan_training(splits, "cpu").steps == round(15 * 64 / 64)
    with pytest.raises(ValueError, match="no training pair of at most 2 tokens"):
        plan_training(Splits("fra-eng", "eng", "fra", [long], [], []), "cpu", max_len=2)


def test_restrict_length_filters_every_split():
    long = _pair("one two three four five six one two.", "un deux trois quatre cinq six un deux.")
    splits = _splits(40)
    splits = Splits("fra-eng", "eng", "fra", splits.train + [long], splits.validation + [long], [long])
    short = restrict_length(splits, 6)
    for name in ("train", "validation", "test"):
        assert all(len(e.source) <= 6 and len(e.target) <= 6 for e in getattr(short, name))
    assert short.test == [] and len(short.train) == len(splits.train) - 1


# --- data --------------------------------------------------------------------------------------


def test_prepare_builds_vocabularies_from_training_pairs_only():
    data = prepare(_splits(120, extra_test=("Seven.", "sept.")), min_count=2)
    assert "seven" not in data.source_vocab and "sept" not in data.target_vocab
    assert data.test.source[-1, 0] == UNK and data.test.target_out[-1, 0] == UNK
    assert len(data.train) == 96 and data.examples("test")[-1].raw.target == "sept."
    with pytest.raises(ValueError, match="split must be"):
        data.dataset("dev")


def test_length_buckets_cover_every_pair_once_per_epoch_in_batches_of_similar_length():
    data = prepare(_splits(200))
    sampler = LengthBuckets(data.train, batch_size=16, seed=3)
    first, second = list(sampler), list(sampler)
    assert len(first) == len(sampler) == 10
    for epoch in (first, second):
        assert sorted(i for batch in epoch for i in batch) == list(range(len(data.train)))
    assert first != second  # reshuffled every epoch
    assert list(LengthBuckets(data.train, batch_size=16, seed=3)) == first  # same seed, same batches
    lengths = data.train.source_lengths
    spreads = [int(lengths[batch].max() - lengths[batch].min()) for batch in first]
    assert max(spreads) <= 1  # sorted by length: a batch spans at most two adjacent lengths


# --- training, evaluation, translation --------------------------------------------------------------


@pytest.fixture(scope="module")
def trained():
    splits = _splits(300)
    plan = Plan(max_len=24, embed_size=16, hidden_size=32, batch_size=32, steps=150, lr=1e-2)
    data = prepare(splits, plan.min_count)
    torch.manual_seed(0)
    models = {kind: train_model(kind, data, plan, seed=0, device="cpu", progress=False)[0]
              for kind in ("attention", "fixed")}
    return data, models


@pytest.mark.parametrize("kind", ["attention", "fixed"])
def test_evaluate_split_greedy_and_beam(trained, kind):
    data, models = trained
    greedy = evaluate_split(models[kind], data, "test")
    beam = evaluate_split(models[kind], data, "test", beam_size=3, length_penalty=1.0)
    count = len(data.test)
    for evaluation in (greedy, beam):
        assert len(evaluation.hypotheses) == len(evaluation.references) == count
        assert evaluation.model_scores.shape == (count,) and bool((evaluation.model_scores <= 0).all())
        assert "nrefs:1" in evaluation.scores.bleu_signature and 0 <= evaluation.scores.chrf <= 100
    assert greedy.references[0] == data.examples("test")[0].raw.target.lower()
    # Beam search maximises the normalised score: on average it finds at least greedy's.
    assert float(beam.model_scores.mean()) >= float(greedy.model_scores.mean()) - 1e-6
    assert greedy.scores.bleu > 20  # the toy task is learnt: word-by-word number translation


def test_translate(trained):
    data, models = trained
    found = translate(models["attention"], data, "Two five.")
    assert found.source_tokens == ["two", "five", "."]
    assert found.weights is not None and found.weights.shape == (len(found.output_tokens), 3)
    assert torch.allclose(found.weights.sum(-1), torch.ones(len(found.output_tokens)), atol=1e-5)
    assert PAD not in [data.target_vocab.stoi.get(t) for t in found.output_tokens]
    assert translate(models["fixed"], data, "Two five.", beam_size=3).weights is None
    with pytest.raises(ValueError, match="nothing to translate"):
        translate(models["fixed"], data, "   ")


def test_markdown_table():
    table = markdown_table(["a", "b"], [["x", 1.25], ["y", "to be filled"]])
    assert table.splitlines() == ["| a | b |", "|---|---|", "| x | 1.2 |", "| y | to be filled |"]
    assert html_table(["a", "b<"], [["x", 1.25]]).splitlines() == [
        "<table>", "<tr><th>a</th><th>b&lt;</th></tr>", "<tr><td>x</td><td>1.2</td></tr>", "</table>"]
