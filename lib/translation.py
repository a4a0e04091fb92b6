"""Real translation: the glue between Tatoeba's sentence pairs and the course's models.

Chapter 09 and ``benchmarks/translation.py`` use it to

1. choose the sizes of a run from the data present and the device found (:func:`plan_training`),
2. build vocabularies and datasets from :class:`~lib.tatoeba.Splits` (:func:`prepare`), and
   batches of similar lengths (:func:`bucketed_loader`),
3. train a model (:func:`train_model`), translate sentences (:func:`translate`), and translate
   and score a whole split with greedy or beam search, sacrebleu on detokenised text
   (:func:`evaluate_split`).
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import torch
from torch import Tensor
from torch.utils.data import DataLoader, Sampler

from .data import EOS, PAD, UNK, PairDataset, Vocab, collate_batch, make_loader
from .decoding import beam_search, greedy_decode, length_penalty_factor, sequence_log_probs
from .metrics import Scores, corpus_scores
from .models import Seq2Seq, build_model
from .tatoeba import Splits, TokenizedPair
from .text import detokenize, tokenize
from .train import History, fit, pick_device

__all__ = ["LARGE_CORPUS", "Plan", "plan_training", "restrict_length", "TranslationData", "prepare",
           "LengthBuckets", "bucketed_loader", "train_model", "Evaluation", "evaluate_split",
           "Translation", "translate", "markdown_table", "html_table"]

#: Training pairs from which a corpus counts as "large" (the full French file; the mirror has ~4k).
LARGE_CORPUS = 20_000


@dataclass(frozen=True)
class Plan:
    """The sizes of one training run.

    Attributes:
        max_len: longest sentence kept, in tokens, on either side (every split).
        embed_size, hidden_size: model widths.
        batch_size, steps, lr: the optimiser's schedule (:func:`~lib.train.fit`).
        min_count: a token enters the vocabulary if seen this often in training.
        score: the attention model's score (:data:`~lib.models.SCORES`).
        beam_size, length_penalty: beam search's ``K`` and ``alpha`` (:mod:`lib.decoding`).
    """

    max_len: int
    embed_size: int
    hidden_size: int
    batch_size: int
    steps: int
    lr: float
    min_count: int = 2
    score: str = "additive"
    beam_size: int = 5
    length_penalty: float = 1.0


def plan_training(splits: Splits, device: str | torch.device | None = None, *, epochs: float = 15.0,
                  max_len: int = 24, max_steps: int | None = None) -> Plan:
    """Sizes from the data and the device, by one rule written down here:

    * ``max_len = 24`` tokens on either side: the whole French mirror, and nine Korean pairs in
      ten (Korean counts syllables, so its sentences are long in tokens).
    * a *small* corpus (fewer than 20,000 training pairs within ``max_len``, like the mirror's
      ~4k): hidden 128, embeddings 64, batches of 64, learning rate 6e-3; a *large* one (the
      full French file): hidden 256, embeddings 128, batches of 128, learning rate 3e-3. The
      vocabularies hold the tokens seen at least twice in training; the others become
      ``<unk>``, so the model learns what to do with a word it does not know, as it must at test
      time.
    * ``steps = epochs * pairs / batch_size`` (15 passes over the training pairs by default),
      capped at ``max_steps``: 1,600 on a CPU (a laptop or Colab's CPU finishes in minutes),
      20,000 on a GPU. On the mirror the cap never binds, so a CPU and a GPU run the same plan.

    Args:
        splits: all pairs of one language pair (before any length filter).
        device: the training device; :func:`~lib.train.pick_device` when None.
        epochs: passes over the training pairs.
        max_len: longest sentence kept, in tokens.
        max_steps: overrides the device's cap.
    """
    device = pick_device(device)
    pairs = sum(len(p.source) <= max_len and len(p.target) <= max_len for p in splits.train)
    if pairs == 0:
        raise ValueError(f"{splits.pair} has no training pair of at most {max_len} tokens: nothing to plan")
    large = pairs >= LARGE_CORPUS
    hidden, batch, lr = (256, 128, 3e-3) if large else (128, 64, 6e-3)
    cap = max_steps if max_steps is not None else (20_000 if device.type == "cuda" else 1_600)
    steps = max(1, min(cap, round(epochs * pairs / batch)))
    return Plan(max_len=max_len, embed_size=hidden // 2, hidden_size=hidden, batch_size=batch,
                steps=steps, lr=lr)


def restrict_length(splits: Splits, max_len: int) -> Splits:
    """``splits`` without the pairs longer than ``max_len`` tokens on either side (every split)."""
    def keep(examples: list[TokenizedPair]) -> list[TokenizedPair]:
        return [e for e in examples if len(e.source) <= max_len and len(e.target) <= max_len]
    return replace(splits, train=keep(splits.train), validation=keep(splits.validation), test=keep(splits.test))


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


class LengthBuckets(Sampler[list[int]]):
    """Batches of pairs of similar length, in a random order, reshuffled every epoch.

    A batch is as wide as its longest sentence, so random batches of Korean (3 to 24 syllables)
    are mostly padding, and a CPU computes the GRU over it anyway. Each epoch this shuffles the
    pairs, sorts them by (source, target) length (a stable sort: equal lengths stay shuffled),
    cuts batches and shuffles the batches. Same seed, same batches.
    """

    def __init__(self, dataset: PairDataset, batch_size: int, seed: int = 0) -> None:
        self.batch_size, self.seed, self.epoch = batch_size, seed, 0
        target_lengths = (dataset.target_out != PAD).sum(1)
        self.keys = (dataset.source_lengths * (int(target_lengths.max()) + 1) + target_lengths).tolist()

    def __len__(self) -> int:
        return math.ceil(len(self.keys) / self.batch_size)

    def __iter__(self) -> Iterator[list[int]]:
        generator = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        self.epoch += 1
        order = sorted(torch.randperm(len(self.keys), generator=generator).tolist(), key=self.keys.__getitem__)
        batches = [order[i:i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        for index in torch.randperm(len(batches), generator=generator).tolist():
            yield batches[index]


def bucketed_loader(dataset: PairDataset, batch_size: int, seed: int = 0) -> DataLoader:
    """A ``DataLoader`` of :class:`~lib.data.Batch` es from :class:`LengthBuckets`."""
    return DataLoader(dataset, batch_sampler=LengthBuckets(dataset, batch_size, seed), collate_fn=collate_batch)


def train_model(kind: str, data: TranslationData, plan: Plan, *, seed: int = 0,
                device: str | torch.device | None = None, progress: bool = True) -> tuple[Seq2Seq, History]:
    """Build a ``kind`` (``"attention"`` or ``"fixed"``) model and train it on ``data.train``."""
    model = build_model(kind, len(data.source_vocab), len(data.target_vocab), embed_size=plan.embed_size,
                        hidden_size=plan.hidden_size, score=plan.score, seed=seed)
    loader = bucketed_loader(data.train, plan.batch_size, seed=seed)
    history = fit(model, loader, steps=plan.steps, lr=plan.lr, device=device, progress=progress, seed=seed,
                  description=f"{kind} {data.splits.source_lang}->{data.splits.target_lang}",
                  # Seeded: re-running the chapter (or testing it after the book build) loads this.
                  cache=f"translation-{data.splits.source_lang}-{data.splits.target_lang}-{kind}-b{plan.batch_size}")
    return model, history


def _search(model: Seq2Seq, source: Tensor, lengths: Tensor, beam_size: int, max_len: int,
            length_penalty: float) -> Tensor:
    """Output ids ``(B, L')``: greedy for ``beam_size=1``, else beam search."""
    if beam_size == 1:
        return greedy_decode(model, source, lengths, max_len).tokens
    return beam_search(model, source, lengths, beam_size=beam_size, max_len=max_len,
                       length_penalty=length_penalty).tokens


@dataclass(frozen=True)
class Evaluation:
    """One split translated and scored.

    Attributes:
        hypotheses, references: detokenised outputs and references, in split order.
        model_scores: ``(N,)`` what beam search maximises, for each output: its log-probability
            under the model divided by ``lp`` (:func:`~lib.decoding.length_penalty_factor`).
        scores: corpus BLEU and chrF (sacrebleu) with their signatures.
    """

    hypotheses: list[str]
    references: list[str]
    model_scores: Tensor
    scores: Scores


@torch.no_grad()
def evaluate_split(model: Seq2Seq, data: TranslationData, split: str = "test", *, beam_size: int = 1,
                   length_penalty: float = 1.0, max_len: int | None = None,
                   batch_size: int = 128) -> Evaluation:
    """Translate every source of ``split`` (greedy for ``beam_size=1``, else beam search) and score it.

    BLEU and chrF compare plain text: outputs are :func:`~lib.text.detokenize` d (``<unk>``
    dropped: it has no spelling), and each reference is the raw target sentence tokenised and
    detokenised again, so that it is lowercased and spaced like the outputs (the raw text would
    count every capital letter as an error). ``max_len`` (output tokens) defaults to the longest
    target of the split plus 5.
    """
    dataset, examples = data.dataset(split), data.examples(split)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    max_len = max_len or dataset.target_out.shape[1] + 5
    outputs: list[list[str]] = []
    model_scores = []
    for batch in make_loader(dataset, batch_size, shuffle=False):
        source = batch.source.to(device)
        tokens = _search(model, source, batch.source_lengths, beam_size, max_len, length_penalty)
        log_probs = sequence_log_probs(model, source, batch.source_lengths, tokens).cpu()
        model_scores.append(log_probs / length_penalty_factor(_lengths(tokens).cpu().float(), length_penalty))
        outputs += [dataset.target_vocab.decode([i for i in row if i != UNK]) for row in tokens.tolist()]
    model.train(was_training)
    lang = data.splits.target_lang
    hypotheses = [detokenize(tokens, lang) for tokens in outputs]
    references = [detokenize(e.target, lang) for e in examples]
    return Evaluation(hypotheses, references, torch.cat(model_scores), corpus_scores(hypotheses, references))


def _lengths(tokens: Tensor) -> Tensor:
    """``(B,)`` output lengths: up to and including the first ``<eos>``, else the whole row."""
    is_eos = tokens == EOS
    return torch.where(is_eos.any(1), is_eos.int().argmax(1) + 1, tokens.shape[1])


@dataclass(frozen=True)
class Translation:
    """One sentence translated: its tokens, the output tokens (``<eos>`` included when produced),
    the output text, and the attention weights ``(L', T)`` (None without attention)."""

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
    device = next(model.parameters()).device
    ids = torch.tensor([data.source_vocab.encode(source_tokens, unknown="unk")], device=device)
    lengths = torch.tensor([len(source_tokens)])
    was_training = model.training
    model.eval()
    if beam_size == 1:
        found = greedy_decode(model, ids, lengths, max_len)
    else:
        found = beam_search(model, ids, lengths, beam_size=beam_size, max_len=max_len,
                            length_penalty=length_penalty)
    model.train(was_training)
    row = found.tokens[0].tolist()
    length = row.index(EOS) + 1 if EOS in row else len(row)
    output_tokens = [data.target_vocab.itos[i] for i in row[:length]]
    words = data.target_vocab.decode([i for i in row if i != UNK])
    weights = found.weights[0, :length].cpu() if found.weights is not None else None
    return Translation(source_tokens, output_tokens, detokenize(words, data.splits.target_lang), weights)


def _cell(value: object) -> str:
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def html_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """An HTML table (renders in Jupyter and in the book alike); floats with one decimal."""
    def line(cells: Sequence[object], tag: str) -> str:
        return "<tr>" + "".join(f"<{tag}>{html.escape(_cell(c))}</{tag}>" for c in cells) + "</tr>"
    return "<table>\n" + "\n".join([line(header, "th")] + [line(row, "td") for row in rows]) + "\n</table>"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (for terminals and reports); floats with one decimal."""
    cell = _cell
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
