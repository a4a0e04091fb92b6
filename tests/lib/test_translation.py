"""Tests of lib.translation (chapter 09's glue), lib.alignment and the length-bucket sampler of lib.data."""

from __future__ import annotations

import math
import random
from dataclasses import replace

import pytest
import torch

from lib.data import PAD, UNK
from lib.tatoeba import SentencePair, Splits, TokenizedPair
from lib.text import tokenize
from lib.alignment import alignment_shares, reference_attention
from lib.data import LengthBuckets
from lib.recipes import CPU_PLAN, GPU_EPOCHS
from lib.cpus import available_cpus
from lib.train_many import train_models
from lib.translation import plan_training, prepare, restrict_length, sample_by_length, select, train_model, translate

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


def test_plan_on_a_cpu_is_the_cpu_plan_whatever_the_corpus():
    small, large = _splits(120), _splits(10)
    large = Splits("fra-eng", "eng", "fra", large.train * 2_600, large.validation, large.test)
    assert plan_training(small, "cpu") == plan_training(large, "cpu") == CPU_PLAN
    assert (CPU_PLAN.train_pairs, CPU_PLAN.test_pairs, CPU_PLAN.hidden_size, CPU_PLAN.steps) == (8_000, 1_200, 128, 700)


def test_plan_on_a_gpu_takes_the_whole_corpus_for_ten_epochs():
    one = _splits(10)
    splits = Splits("fra-eng", "eng", "fra", one.train * 2_600, one.validation, one.test)  # 20,800 pairs
    gpu = plan_training(splits, "cuda")
    assert (gpu.train_pairs, gpu.test_pairs, gpu.hidden_size, gpu.batch_size) == (None, None, 256, 128)
    assert gpu.steps == round(GPU_EPOCHS * 20_800 / 128)
    # A small corpus still gets at least the CPU plan's steps; a huge one at most 20,000.
    assert plan_training(_splits(120), "cuda").steps == CPU_PLAN.steps
    huge = Splits("fra-eng", "eng", "fra", one.train * 300_000, [], [])
    assert plan_training(huge, "cuda").steps == 20_000


def test_plan_counts_only_pairs_within_max_len():
    long = _pair(" ".join(["one"] * 30) + ".", " ".join(["un"] * 30) + ".")
    with pytest.raises(ValueError, match="no training pair of at most 24 tokens"):
        plan_training(Splits("fra-eng", "eng", "fra", [long], [], []), "cuda")


def test_sample_by_length_represents_every_length_and_repeats():
    rng = random.Random(1)
    # 1,000 short pairs, 30 of length 9 and 3 of length 12: the shortest N would miss the long ones.
    examples = ([_pair("one.", "un.")] * 1_000 + [_pair(" ".join(rng.choices(list(WORDS), k=8)) + ".", "x.")
                                                  for _ in range(30)] + [_pair(" ".join(["two"] * 11) + ".", "y.")] * 3)
    sample = sample_by_length(examples, 60, seed=0)
    lengths = [len(e.source) for e in sample]
    assert len(sample) == 60 and lengths.count(12) == 3 and lengths.count(9) == 28 and lengths.count(2) == 29
    assert sample == sample_by_length(examples, 60, seed=0) != sample_by_length(examples, 60, seed=1)
    assert [examples.index(e) for e in sample[:1]] == [0]  # file order is kept
    assert sample_by_length(examples, None) == examples == sample_by_length(examples, 5_000)
    with pytest.raises(ValueError, match="positive number of pairs"):
        sample_by_length(examples, 0)


def test_select_applies_the_length_limit_then_the_sample():
    splits = _splits(300)
    plan = replace(CPU_PLAN, max_len=6, train_pairs=50, validation_pairs=None, test_pairs=10)
    chosen = select(splits, plan, seed=0)
    assert len(chosen.train) == 50 and len(chosen.test) == 10
    assert all(len(e.source) <= 6 and len(e.target) <= 6 for e in chosen.train + chosen.validation + chosen.test)
    assert chosen.validation == restrict_length(splits, 6).validation


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
    plan = replace(CPU_PLAN, train_pairs=None, validation_pairs=None, test_pairs=None, embed_size=16,
                   hidden_size=32, batch_size=32, steps=150, lr=1e-2, min_count=2)
    data = prepare(splits, plan.min_count)
    torch.manual_seed(0)
    models = {kind: train_model(kind, data, plan, seed=0, device="cpu", progress=False)[0]
              for kind in ("attention", "fixed")}
    return data, models


def test_train_models_side_by_side_gives_what_train_model_gives(tmp_path, monkeypatch, capsys):
    plan = replace(CPU_PLAN, train_pairs=None, validation_pairs=None, test_pairs=None, embed_size=8,
                   hidden_size=16, batch_size=16, steps=15, lr=1e-2, min_count=2)
    data = prepare(_splits(120), plan.min_count)
    runs = [("attention", data, plan, 0), ("fixed", data, plan, 1), ("attention", data, plan, 2)]
    monkeypatch.setenv("ATTENTION_COURSE_CACHE", str(tmp_path / "side-by-side"))
    together = train_models(train_model, runs, device="cpu")
    if available_cpus() > 1:  # trained in workers, then loaded here from fit's cache
        assert capsys.readouterr().out.count("loaded the weights this training produced before") == len(runs)
    monkeypatch.setenv("ATTENTION_COURSE_CACHE", str(tmp_path / "one-by-one"))
    threads = torch.get_num_threads()
    torch.set_num_threads(max(1, available_cpus() // min(len(runs), available_cpus())))  # as each worker
    try:
        alone = [train_model(kind, data, plan, seed=seed, device="cpu", progress=False)
                 for kind, data, plan, seed in runs]
    finally:
        torch.set_num_threads(threads)
    for (model, history), (model_alone, history_alone) in zip(together, alone):
        assert history.loss == history_alone.loss
        for mine, theirs in zip(model.state_dict().values(), model_alone.state_dict().values()):
            assert torch.equal(mine, theirs)


def test_alignment_shares_of_a_model_that_learnt_word_by_word_translation(trained):
    data, models = trained
    rows = alignment_shares(models["attention"], data, [("two", "deux"), ("five", "cinq"), ("seven", "sept")])
    two, five, seven = rows
    assert two.occurrences > 0 and five.occurrences > 0 and seven.occurrences == 0 and math.isnan(seven.share)
    # Word-by-word numbers: writing "deux" the model looks at "two" more than at all else together
    # (measured 0.64 and 0.68, against 0.25 and 0.36 for uniform attention).
    assert min(two.share, five.share) > 0.55 and two.share > 2 * two.uniform and five.share > 1.6 * five.uniform
    with pytest.raises(ValueError, match="fixed-context model has no weights"):
        alignment_shares(models["fixed"], data, [("two", "deux")])
    with pytest.raises(ValueError, match="one-token target word"):
        alignment_shares(models["attention"], data, [("two", "deux cinq")])


def test_reference_attention_reads_the_reference(trained):
    data, models = trained
    found = reference_attention(models["attention"], data, "Two five.", "Deux cinq.")
    assert found.source_tokens == ["two", "five", "."] and found.output_tokens == ["deux", "cinq", ".", "<eos>"]
    assert found.weights.shape == (4, 3) and torch.allclose(found.weights.sum(-1), torch.ones(4), atol=1e-5)
    assert int(found.weights[0].argmax()) == 0 and int(found.weights[1].argmax()) == 1  # word by word
    with pytest.raises(ValueError, match="fixed-context model has no weights"):
        reference_attention(models["fixed"], data, "Two five.", "Deux cinq.")
    with pytest.raises(ValueError, match="nothing to read"):
        reference_attention(models["attention"], data, "Two.", "  ")


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
