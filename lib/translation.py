"""Real translation: the glue between Tatoeba's sentence pairs and the course's models.

Chapter 09 and ``benchmarks/translation.py`` use it to

1. choose the sizes of a run from the device found and the data present (:func:`plan_training`, from
   the plans of :mod:`lib.recipes`),
2. build vocabularies and datasets from :class:`~lib.tatoeba.Splits` (:func:`prepare`), and
   batches of similar lengths (:func:`lib.data.bucketed_loader`),
3. train a model (:func:`train_model`; several side by side: :func:`lib.train_many.train_models`)
   and translate sentences (:func:`translate`).

Translating and scoring a whole split is :func:`lib.evaluation.evaluate_split`, scores by sentence
length :func:`lib.metrics.scores_by_length`, and the tables of results :mod:`lib.tables`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace

import torch
from torch import Tensor

from . import decoding
from .data import UNK, PairDataset, Vocab, bucketed_loader
from .models import Seq2Seq, build_model
from .recipes import CPU_PLAN, GPU_EPOCHS, GPU_PLAN, Plan
from .tatoeba import Splits, TokenizedPair
from .text import detokenize, tokenize
from .train import History, fit, pick_device

__all__ = ["plan_training", "restrict_length", "sample_by_length", "select",
           "TranslationData", "prepare",
           "train_model", "Translation", "translate"]

def plan_training(splits: Splits, device: str | torch.device | None = None) -> Plan:
    """The plan for ``splits`` on ``device``, by one rule written down here:

    * **On a GPU** (CUDA), the whole corpus: :data:`GPU_PLAN`, with ``steps`` enough for
      :data:`GPU_EPOCHS` passes over the training pairs of at most ``max_len`` tokens, but no fewer
      than the CPU plan's steps (a small corpus such as the Korean one) and no more than 20,000.
    * **Anywhere else** (a CPU, Apple's MPS), :data:`CPU_PLAN`: a seeded, length-stratified sample of
      every split (:func:`sample_by_length`; a split smaller than its quota is kept whole, as the
      Korean file's are) and a fixed number of steps, so that the whole chapter runs in a few minutes
      on two CPU cores.

    The rule looks at the device and at the corpus's size, never at where the file came from, so
    the full file read from a mirror and the same file downloaded give the same plan.

    Args:
        splits: all pairs of one language pair (before any length filter).
        device: the training device; :func:`~lib.train.pick_device` when None.
    """
    if pick_device(device).type != "cuda":
        return CPU_PLAN
    pairs = sum(example.fits(GPU_PLAN.max_len) for example in splits.train)
    if pairs == 0:
        raise ValueError(f"{splits.pair} has no training pair of at most {GPU_PLAN.max_len} tokens: nothing to plan")
    epochs_steps = round(GPU_EPOCHS * pairs / GPU_PLAN.batch_size)
    return replace(GPU_PLAN, steps=min(GPU_PLAN.steps, max(CPU_PLAN.steps, epochs_steps)))


def restrict_length(splits: Splits, max_len: int) -> Splits:
    """``splits`` without the pairs longer than ``max_len`` tokens on either side (every split)."""
    def keep(examples: list[TokenizedPair]) -> list[TokenizedPair]:
        return [example for example in examples if example.fits(max_len)]
    return replace(splits, train=keep(splits.train), validation=keep(splits.validation), test=keep(splits.test))


def sample_by_length(examples: Sequence[TokenizedPair], size: int | None, seed: int = 0) -> list[TokenizedPair]:
    """A seeded sample of ``size`` pairs in which every source length is represented, in file order.

    Each source length (in tokens) is a stratum, and every stratum gets the same quota: a length
    with fewer pairs than its quota gives all of them and its unused share goes to the others. Short
    sentences fill most of Tatoeba (half of the English ones have 7 tokens or fewer), so the sample
    holds relatively more long sentences than the file: the ones where a fixed-size context
    vector runs out of room. ``size=None``, or a size at least ``len(examples)``, keeps every pair.
    """
    if size is None or size >= len(examples):
        return list(examples)
    if size < 1:
        raise ValueError(f"size must be a positive number of pairs or None, got {size}")
    strata: dict[int, list[int]] = {}
    for index, example in enumerate(examples):
        strata.setdefault(len(example.source), []).append(index)
    generator = random.Random(seed)
    chosen: list[int] = []
    left = size
    by_count = sorted(strata.items(), key=lambda item: (len(item[1]), item[0]))  # small strata first
    for position, (_, members) in enumerate(by_count):
        take = min(len(members), left // (len(by_count) - position))
        chosen += generator.sample(members, take)
        left -= take
    return [examples[index] for index in sorted(chosen)]


def select(splits: Splits, plan: Plan, seed: int = 0) -> Splits:
    """The pairs ``plan`` trains and tests on: at most ``plan.max_len`` tokens on either side, then
    :func:`sample_by_length` in each split."""
    short = restrict_length(splits, plan.max_len)
    return replace(short, train=sample_by_length(short.train, plan.train_pairs, seed),
                   validation=sample_by_length(short.validation, plan.validation_pairs, seed),
                   test=sample_by_length(short.test, plan.test_pairs, seed))


@dataclass
class TranslationData:
    """Vocabularies and datasets of one language pair, built from the training split only."""

    splits: Splits
    source_vocab: Vocab
    target_vocab: Vocab
    train: PairDataset
    validation: PairDataset
    test: PairDataset

    def dataset(self, split: str) -> PairDataset:
        if split not in ("train", "validation", "test"):
            raise ValueError(f"split must be 'train', 'validation' or 'test', got {split!r}")
        return getattr(self, split)

    def examples(self, split: str) -> list[TokenizedPair]:
        self.dataset(split)
        return getattr(self.splits, split)


def prepare(splits: Splits, min_count: int = 2) -> TranslationData:
    """Vocabularies from the training split (tokens seen ``min_count`` times), and the three
    datasets; validation/test tokens outside the vocabulary become ``<unk>``."""
    source_vocab = Vocab.from_sequences((e.source for e in splits.train), min_count=min_count)
    target_vocab = Vocab.from_sequences((e.target for e in splits.train), min_count=min_count)

    def dataset(examples: list[TokenizedPair]) -> PairDataset:
        return PairDataset([e.source for e in examples], [e.target for e in examples],
                           source_vocab, target_vocab, unknown="unk")

    return TranslationData(splits, source_vocab, target_vocab, dataset(splits.train),
                           dataset(splits.validation), dataset(splits.test))


def train_model(kind: str, data: TranslationData, plan: Plan, seed: int = 0, *,
                device: str | torch.device | None = None, progress: bool = True) -> tuple[Seq2Seq, History]:
    """Build a ``kind`` (``"attention"`` or ``"fixed"``) model and train it on ``data.train``."""
    model = build_model(kind, len(data.source_vocab), len(data.target_vocab), embed_size=plan.embed_size,
                        hidden_size=plan.hidden_size, score=plan.score, seed=seed)
    loader = bucketed_loader(data.train, plan.batch_size, seed=seed)
    history = fit(model, loader, plan.training, device=device, progress=progress, seed=seed,
                  description=f"{kind} {data.splits.source_lang}->{data.splits.target_lang}",
                  # Seeded: re-running the chapter (or testing it after the book build) loads this.
                  cache=f"translation-{data.splits.source_lang}-{data.splits.target_lang}-{kind}-b{plan.batch_size}")
    return model, history


@dataclass(frozen=True)
class Translation:
    """One sentence translated: its tokens, the output tokens (up to ``<eos>``, which
    :func:`reference_attention` keeps as its last row), the output text, and the attention weights
    ``(L', T)`` (None without attention)."""

    source_tokens: list[str]
    output_tokens: list[str]
    text: str
    weights: Tensor | None


@torch.no_grad()
def translate(model: Seq2Seq, data: TranslationData, sentence: str, *, beam_size: int = 1,
              length_penalty: float = 1.0, max_len: int = 30) -> Translation:
    """Translate one raw sentence (tokenised like the training data; unknown tokens -> ``<unk>``)."""
    source_tokens = tokenize(sentence, data.splits.source_lang)
    if not source_tokens:
        raise ValueError(f"nothing to translate: {sentence!r} has no tokens")
    ids, weights = decoding.translate(model, data.source_vocab.encode(source_tokens, unknown="unk"),
                                      beam_size=beam_size, max_len=max_len, length_penalty=length_penalty)
    output_tokens = [data.target_vocab.itos[i] for i in ids]
    words = data.target_vocab.decode([i for i in ids if i != UNK])
    return Translation(source_tokens, output_tokens, detokenize(words, data.splits.target_lang), weights)
