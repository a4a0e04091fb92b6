"""Metrics: exact match, token accuracy (overall and by source length), BLEU and chrF.

BLEU and chrF come from ``sacrebleu``, never from a hand-written formula, and are returned with
sacrebleu's signature so that a reported score says exactly how it was computed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import sacrebleu
import torch
from torch import nn

from torch import Tensor

from ._validate import evaluating
from .data import Batch, PairDataset, make_loader
from .decoding import search

__all__ = [
    "exact_match", "token_accuracy", "decode_dataset", "predict", "evaluate", "accuracy_by_length", "corpus_scores",
    "Scores",
]


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
    :func:`predict` and :func:`lib.translation.evaluate_split` read its output."""
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


def accuracy_by_length(
    model: nn.Module, dataset: PairDataset, *, batch_size: int = 256
) -> dict[int, float]:
    """Token accuracy of greedy decoding for each source length in ``dataset``."""
    predictions = predict(model, dataset, batch_size=batch_size)
    by_length: dict[int, tuple[list, list]] = defaultdict(lambda: ([], []))
    for source, prediction, reference in zip(dataset.sources, predictions, dataset.targets):
        by_length[len(source)][0].append(prediction)
        by_length[len(source)][1].append(reference)
    return {
        length: token_accuracy(*by_length[length]) for length in sorted(by_length)
    }


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

