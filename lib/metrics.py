"""Metrics: exact match, token accuracy, BLEU and chrF, overall and by source length.

BLEU and chrF come from ``sacrebleu``, never from a hand-written formula, and are returned with
sacrebleu's signature so that a reported score says exactly how it was computed. Every score by
source length goes through :func:`scores_by_length`, the one place that sorts pairs into length
buckets: token accuracy per length (:func:`accuracy_by_length`, chapters 1 and 7), per bucket with
exact match overall (:func:`accuracy_by_bucket`, chapter 10's race), and BLEU per bucket (chapter 9,
``scores_by_length(..., score=corpus_scores)``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import sacrebleu
import torch
from torch import Tensor, nn

from ._validate import evaluating
from .data import Batch, PairDataset, make_loader
from .decoding import search

__all__ = [
    "exact_match", "token_accuracy", "decode_dataset", "predict", "evaluate", "LengthBucket", "scores_by_length",
    "accuracy_by_length", "accuracy_by_bucket", "corpus_scores", "Scores",
]

P = TypeVar("P")  # a prediction: tokens, or a detokenised sentence
R = TypeVar("R")  # its reference, of the same kind
S = TypeVar("S")  # what a score function returns: a float, Scores


def exact_match(predictions: Sequence[Sequence[str]], references: Sequence[Sequence[str]]) -> float:
    """Fraction of predictions equal to their reference, token for token."""
    _check_paired(predictions, references)
    return sum(list(p) == list(r) for p, r in zip(predictions, references)) / len(references)


def token_accuracy(predictions: Sequence[Sequence[str]], references: Sequence[Sequence[str]]) -> float:
    """Fraction of reference positions whose token the prediction got right.

    Position by position: a prediction that is too short misses the rest; one too long is
    not rewarded for its extra tokens.
    """
    _check_paired(predictions, references)
    correct = sum(sum(a == b for a, b in zip(p, r)) for p, r in zip(predictions, references))
    total = sum(len(r) for r in references)
    return correct / total if total else 0.0


def _check_paired(predictions: Sequence, references: Sequence) -> None:
    if len(predictions) != len(references):
        raise ValueError(
            f"need one prediction per reference: got {len(predictions)} predictions and "
            f"{len(references)} references"
        )
    if not references:
        raise ValueError("no references to score")


@torch.no_grad()
def decode_dataset(
    model: nn.Module, dataset: PairDataset, *, batch_size: int = 256, max_len: int | None = None,
    beam_size: int = 1, length_penalty: float = 1.0,
) -> list[tuple[Batch, Tensor]]:
    """Every batch of ``dataset``, in order, with its decoded ids ``(B, L')``: greedy for
    ``beam_size=1``, else beam search (:func:`lib.decoding.search`). ``max_len`` (output tokens)
    defaults to the longest target of ``dataset`` plus 5. The one decoding loop of the course:
    :func:`predict` and :func:`lib.evaluation.evaluate_split` read its output."""
    device = next(model.parameters()).device
    max_len = max_len or dataset.target_out.shape[1] + 5
    decoded = []
    with evaluating(model):
        for batch in make_loader(dataset, batch_size, shuffle=False):
            found = search(model, batch.source.to(device), batch.source_lengths, beam_size=beam_size,
                           max_len=max_len, length_penalty=length_penalty)
            decoded.append((batch, found.tokens))
    return decoded


def predict(
    model: nn.Module, dataset: PairDataset, *, batch_size: int = 256, max_len: int | None = None,
    beam_size: int = 1, length_penalty: float = 1.0,
) -> list[list[str]]:
    """Predictions (target tokens) for every source in ``dataset``, in order (:func:`decode_dataset`)."""
    decoded = decode_dataset(model, dataset, batch_size=batch_size, max_len=max_len, beam_size=beam_size,
                             length_penalty=length_penalty)
    return [dataset.target_vocab.decode(row) for _, tokens in decoded for row in tokens.tolist()]


def evaluate(model: nn.Module, dataset: PairDataset, *, batch_size: int = 256) -> dict[str, float]:
    """``{"exact_match", "token_accuracy"}`` of greedy decoding on ``dataset``."""
    predictions = predict(model, dataset, batch_size=batch_size)
    return {
        "exact_match": exact_match(predictions, dataset.targets),
        "token_accuracy": token_accuracy(predictions, dataset.targets),
    }


@dataclass(frozen=True)
class LengthBucket(Generic[S]):
    """The ``pairs`` whose source has ``shortest`` to ``longest`` tokens, and their ``scores``."""

    shortest: int
    longest: int
    pairs: int
    scores: S

    @property
    def label(self) -> str:
        return f"{self.shortest}-{self.longest}"


def scores_by_length(
    predictions: Sequence[P], references: Sequence[R], source_lengths: Sequence[int], edges: Sequence[int],
    *, score: Callable[[list[P], list[R]], S], complete: bool = False,
) -> list[LengthBucket[S]]:
    """``score`` of the predictions within each source-length bucket, in bucket order.

    Args:
        predictions, references: one of each per pair, in the same order (token lists for
            :func:`token_accuracy`, detokenised sentences for :func:`corpus_scores`).
        source_lengths: the source length of each pair, in the same order.
        edges: increasing bucket edges; bucket ``i`` holds the lengths ``edges[i] <= length <
            edges[i + 1]``.
        score: scores the predictions of one bucket against their references, e.g.
            :func:`token_accuracy` or :func:`corpus_scores`.
        complete: every pair must fall in a bucket and every bucket must hold a pair (a
            ValueError otherwise: the edges do not fit the data). If False, pairs outside the
            edges are ignored and empty buckets left out.
    """
    _check_paired(predictions, references)
    if len(source_lengths) != len(predictions):
        raise ValueError(f"{len(source_lengths)} source lengths for {len(predictions)} predictions: "
                         "pass the lengths of the sources that were translated, in the same order")
    if len(edges) < 2 or any(low >= high for low, high in zip(edges, edges[1:])):
        raise ValueError(f"edges must be at least two increasing lengths, got {list(edges)}")
    outside = [length for length in source_lengths if not edges[0] <= length < edges[-1]]
    if complete and outside:
        raise ValueError(f"{len(outside)} pairs have a source length outside the buckets "
                         f"[{edges[0]}, {edges[-1]}), e.g. {outside[0]}: widen the edges")
    buckets = []
    for low, high in zip(edges, edges[1:]):
        inside = [i for i, length in enumerate(source_lengths) if low <= length < high]
        if complete and not inside:
            raise ValueError(f"no pair has a source length in [{low}, {high})")
        if inside:
            scores = score([predictions[i] for i in inside], [references[i] for i in inside])
            buckets.append(LengthBucket(low, high - 1, len(inside), scores))
    return buckets


def accuracy_by_length(
    model: nn.Module, dataset: PairDataset, *, batch_size: int = 256
) -> dict[int, float]:
    """Token accuracy of greedy decoding for each source length in ``dataset`` (one bucket per length)."""
    predictions = predict(model, dataset, batch_size=batch_size)
    lengths = [len(source) for source in dataset.sources]
    buckets = scores_by_length(predictions, dataset.targets, lengths, range(min(lengths, default=0), max(lengths, default=0) + 2),
                               score=token_accuracy)
    return {bucket.shortest: bucket.scores for bucket in buckets}


def accuracy_by_bucket(
    model: nn.Module, dataset: PairDataset, edges: Sequence[int], *, batch_size: int = 256
) -> dict[str, float]:
    """Greedy-decode ``dataset`` once; exact match overall and token accuracy per length bucket.

    Args:
        edges: bucket bounds on the source length (:func:`scores_by_length`, ``complete``: every
            source must fall in a bucket, every bucket hold one), e.g. ``(5, 15, 25, 35, 45, 51)``
            gives the buckets ``"5-14"``, ..., ``"45-50"``.

    Returns:
        ``{"exact_match": ..., "5-14": ..., ...}`` (token accuracy, :func:`token_accuracy`).
    """
    predictions = predict(model, dataset, batch_size=batch_size)
    buckets = scores_by_length(predictions, dataset.targets, [len(source) for source in dataset.sources], edges,
                               score=token_accuracy, complete=True)
    return {"exact_match": exact_match(predictions, dataset.targets)} | {b.label: b.scores for b in buckets}


@dataclass(frozen=True)
class Scores:
    """Corpus BLEU and chrF, with sacrebleu's signatures."""

    bleu: float
    chrf: float
    bleu_signature: str
    chrf_signature: str


def corpus_scores(hypotheses: Sequence[str], references: Sequence[str], *, tokenize: str = "13a") -> Scores:
    """Corpus-level BLEU and chrF of detokenised strings, computed by sacrebleu."""
    _check_paired(hypotheses, references)
    bleu = sacrebleu.metrics.BLEU(tokenize=tokenize)
    chrf = sacrebleu.metrics.CHRF()
    bleu_score = bleu.corpus_score(list(hypotheses), [list(references)])
    chrf_score = chrf.corpus_score(list(hypotheses), [list(references)])
    return Scores(bleu_score.score, chrf_score.score, str(bleu.get_signature()), str(chrf.get_signature()))

