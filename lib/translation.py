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
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import torch
from torch import Tensor
from torch.utils.data import DataLoader, Sampler

from .data import EOS, PAD, SOS, UNK, PairDataset, Vocab, collate_batch, make_loader
from .decoding import beam_search, greedy_decode, length_penalty_factor, sequence_log_probs
from .metrics import Scores, corpus_scores
from .models import Seq2Seq, build_model
from .tatoeba import Splits, TokenizedPair
from .text import detokenize, tokenize
from .train import History, fit, pick_device

__all__ = ["Plan", "CPU_PLAN", "GPU_PLAN", "GPU_EPOCHS", "SEEDS", "LENGTH_EDGES", "KOREAN_WORDS", "plan_training", "restrict_length", "sample_by_length", "select",
           "TranslationData", "prepare", "LengthBucket", "scores_by_length", "AlignmentShare", "alignment_shares",
           "LengthBuckets", "bucketed_loader", "train_model", "Evaluation", "evaluate_split",
           "Translation", "translate", "reference_attention", "markdown_table", "html_table"]

@dataclass(frozen=True)
class Plan:
    """The sizes of one training run.

    Attributes:
        max_len: longest sentence kept, in tokens, on either side (every split).
        train_pairs, validation_pairs, test_pairs: how many pairs of each split to keep, drawn by
            :func:`sample_by_length`; None keeps them all.
        embed_size, hidden_size: model widths.
        batch_size, steps, lr: the optimiser's schedule (:func:`~lib.train.fit`).
        min_count: a token enters the vocabulary if seen this often in training.
        score: the attention model's score (:data:`~lib.models.SCORES`).
        beam_size, length_penalty: beam search's ``K`` and ``alpha`` (:mod:`lib.decoding`).
    """

    max_len: int
    train_pairs: int | None
    validation_pairs: int | None
    test_pairs: int | None
    embed_size: int
    hidden_size: int
    batch_size: int
    steps: int
    lr: float
    min_count: int = 2
    score: str = "additive"
    beam_size: int = 5
    length_penalty: float = 1.0


#: Chapter 09 on a CPU: a length-stratified sample, sized so that the chapter runs in minutes on two cores.
CPU_PLAN = Plan(max_len=24, train_pairs=8_000, validation_pairs=500, test_pairs=1_200, embed_size=64,
                hidden_size=128, batch_size=64, steps=800, lr=6e-3, min_count=3)
#: Chapter 09 on a GPU: every pair, a wider model; ``steps`` is set by :func:`plan_training`.
GPU_PLAN = Plan(max_len=24, train_pairs=None, validation_pairs=None, test_pairs=None, embed_size=128,
                hidden_size=256, batch_size=128, steps=20_000, lr=3e-3, min_count=2)
#: Passes over the training pairs on a GPU.
GPU_EPOCHS = 10


#: Seeds of the weights and batches that chapter 09 trains each English-French model with
#: (``benchmarks/translation.py --full`` adds a third, and the Korean models).
SEEDS = (0, 1)
#: Source-length buckets (in tokens) of chapter 09's BLEU-by-length figure: 1-4, 5-7, 8-10, 11-13, 14-24.
LENGTH_EDGES = (1, 5, 8, 11, 14, 25)
#: A small Korean-English word list: chapter 09 measures how much attention each English word puts
#: on its Korean translation.
KOREAN_WORDS = (("오늘", "today"), ("어제", "yesterday"), ("내일", "tomorrow"), ("학교", "school"),
                ("책", "book"), ("고양이", "cat"), ("물", "water"), ("프랑스어", "french"), ("시간", "time"),
                ("돈", "money"), ("집", "home"), ("선생님", "teacher"), ("톰", "tom"), ("메리", "mary"))


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
    pairs = sum(len(p.source) <= GPU_PLAN.max_len and len(p.target) <= GPU_PLAN.max_len for p in splits.train)
    if pairs == 0:
        raise ValueError(f"{splits.pair} has no training pair of at most {GPU_PLAN.max_len} tokens: nothing to plan")
    epochs_steps = round(GPU_EPOCHS * pairs / GPU_PLAN.batch_size)
    return replace(GPU_PLAN, steps=min(GPU_PLAN.steps, max(CPU_PLAN.steps, epochs_steps)))


def restrict_length(splits: Splits, max_len: int) -> Splits:
    """``splits`` without the pairs longer than ``max_len`` tokens on either side (every split)."""
    def keep(examples: list[TokenizedPair]) -> list[TokenizedPair]:
        return [e for e in examples if len(e.source) <= max_len and len(e.target) <= max_len]
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


@dataclass(frozen=True)
class LengthBucket:
    """The scores of the pairs whose source has ``shortest`` to ``longest`` tokens."""

    shortest: int
    longest: int
    pairs: int
    scores: Scores

    @property
    def label(self) -> str:
        return f"{self.shortest}-{self.longest}"


def scores_by_length(evaluation: Evaluation, examples: Sequence[TokenizedPair],
                     edges: Sequence[int]) -> list[LengthBucket]:
    """Corpus BLEU and chrF of ``evaluation`` within each source-length bucket.

    Args:
        evaluation: a split translated by :func:`evaluate_split`.
        examples: that split's pairs, in the same order (``data.examples(split)``).
        edges: increasing bucket edges in source tokens; bucket ``i`` holds the lengths
            ``edges[i] <= length < edges[i + 1]``. Empty buckets are left out.
    """
    if len(examples) != len(evaluation.hypotheses):
        raise ValueError(f"{len(examples)} examples for {len(evaluation.hypotheses)} translations: "
                         "pass the examples of the split that was evaluated")
    if len(edges) < 2 or any(a >= b for a, b in zip(edges, edges[1:])):
        raise ValueError(f"edges must be at least two increasing lengths, got {list(edges)}")
    buckets = []
    for low, high in zip(edges, edges[1:]):
        inside = [i for i, e in enumerate(examples) if low <= len(e.source) < high]
        if inside:
            scores = corpus_scores([evaluation.hypotheses[i] for i in inside],
                                   [evaluation.references[i] for i in inside])
            buckets.append(LengthBucket(low, high - 1, len(inside), scores))
    return buckets


@dataclass(frozen=True)
class AlignmentShare:
    """How much attention the reference word ``target`` puts on its dictionary translation ``source``.

    Attributes:
        source, target: one entry of the word list (``"오늘"``, ``"today"``).
        occurrences: pairs of the split with ``source`` in the source and ``target`` in the reference.
        share: mean attention weight that ``target``'s row puts on ``source``'s tokens.
        uniform: the same mean for attention spread evenly over the source (``len(piece) / T``).
    """

    source: str
    target: str
    occurrences: int
    share: float
    uniform: float


@torch.no_grad()
def alignment_shares(model: Seq2Seq, data: TranslationData, lexicon: Sequence[tuple[str, str]],
                     split: str = "test", *, batch_size: int = 256) -> list[AlignmentShare]:
    """For each ``(source word, target word)`` of ``lexicon``, the attention the model puts on the
    source word when it writes the target word, over every pair of ``split`` that holds both.

    The model reads the reference translation (teacher forcing, as in training), so every row of
    its weights belongs to a known reference word, whatever the model would have written instead.
    """
    if not model.uses_attention:
        raise ValueError("alignment_shares needs an attention model: the fixed-context model has no weights")
    dataset, examples = data.dataset(split), data.examples(split)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    weights = []  # one (L, T) tensor per pair, in split order
    for batch in make_loader(dataset, batch_size, shuffle=False):
        _, found = model(batch.source.to(device), batch.source_lengths, batch.target_in.to(device))
        weights += list(found.float().cpu())
    model.train(was_training)
    rows = []
    for source_word, target_word in lexicon:
        piece = tokenize(source_word, data.splits.source_lang)
        target_tokens = tokenize(target_word, data.splits.target_lang)
        if len(target_tokens) != 1 or not piece:
            raise ValueError(f"each lexicon entry needs a source word and a one-token target word; "
                             f"{(source_word, target_word)!r} tokenises as {piece} and {target_tokens}")
        target = target_tokens[0]
        shares, uniform = [], []
        for example, attention in zip(examples, weights):
            starts = [i for i in range(len(example.source) - len(piece) + 1)
                      if example.source[i:i + len(piece)] == piece]
            if target not in example.target or not starts:
                continue
            row = attention[example.target.index(target)]  # (T,): the step that writes `target`
            shares.append(sum(float(row[i:i + len(piece)].sum()) for i in starts))
            uniform.append(len(piece) * len(starts) / len(example.source))
        count = len(shares)
        rows.append(AlignmentShare(source_word, target_word, count, sum(shares) / count if count else math.nan,
                                   sum(uniform) / count if count else math.nan))
    return rows


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


@torch.no_grad()
def reference_attention(model: Seq2Seq, data: TranslationData, source: str, reference: str) -> Translation:
    """The weights ``(L', T)`` of ``model`` reading ``reference`` as its output (teacher forcing, as in
    :func:`alignment_shares`): where it looks while writing each reference token, ``<eos>`` last."""
    if not model.uses_attention:
        raise ValueError("reference_attention needs an attention model: the fixed-context model has no weights")
    source_tokens = tokenize(source, data.splits.source_lang)
    target_tokens = tokenize(reference, data.splits.target_lang)
    if not source_tokens or not target_tokens:
        raise ValueError(f"nothing to read: {source!r} -> {reference!r} has no tokens on one side")
    device = next(model.parameters()).device
    ids = torch.tensor([data.source_vocab.encode(source_tokens, unknown="unk")], device=device)
    target_in = torch.tensor([[SOS] + data.target_vocab.encode(target_tokens, unknown="unk")], device=device)
    was_training = model.training
    model.eval()
    _, weights = model(ids, torch.tensor([len(source_tokens)]), target_in)
    model.train(was_training)
    return Translation(source_tokens, target_tokens + ["<eos>"], reference, weights[0].float().cpu())


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
