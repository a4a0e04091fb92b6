"""Translating a whole split with a trained model, and scoring it: chapter 09's test scores.

:func:`evaluate_split` decodes every source of a split of :class:`~lib.translation.TranslationData`
(greedy, or beam search), turns the outputs back into plain text and scores them against the
references with sacrebleu's BLEU and chrF (:func:`lib.metrics.corpus_scores`). It also keeps, for
each output, the score beam search maximises, so that chapter 09 can check that beam search finds
outputs the model prefers to greedy's. Scores by source length are
:func:`lib.metrics.scores_by_length` of its hypotheses and references.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ._validate import evaluating
from .data import UNK
from .decoding import length_penalty_factor, output_lengths, sequence_log_probs
from .metrics import Scores, corpus_scores, decode_dataset
from .models import Seq2Seq
from .text import detokenize
from .translation import TranslationData

__all__ = ["Evaluation", "evaluate_split"]


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


def evaluate_split(model: Seq2Seq, data: TranslationData, split: str = "test", *, beam_size: int = 1,
                   length_penalty: float = 1.0, max_len: int | None = None,
                   batch_size: int = 128) -> Evaluation:
    """Translate every source of ``split`` (greedy for ``beam_size=1``, else beam search) and score it.

    BLEU and chrF compare plain text: outputs are :func:`~lib.text.detokenize` d (``<unk>``
    dropped: it has no spelling), and each reference is the raw target sentence tokenised and
    detokenised again, so that it is lowercased and spaced like the outputs (the raw text would
    count every capital letter as an error). ``max_len`` (output tokens) defaults to the longest
    target of the split plus 5. The model is in eval mode for the decoding and scoring, then back
    in the mode it was in.
    """
    dataset, examples = data.dataset(split), data.examples(split)
    device = next(model.parameters()).device
    outputs: list[list[str]] = []
    model_scores = []
    with evaluating(model):
        for batch, tokens in decode_dataset(model, dataset, batch_size=batch_size, max_len=max_len,
                                            beam_size=beam_size, length_penalty=length_penalty):
            log_probs = sequence_log_probs(model, batch.source.to(device), batch.source_lengths, tokens).cpu()
            model_scores.append(log_probs / length_penalty_factor(output_lengths(tokens).cpu().float(), length_penalty))
            outputs += [dataset.target_vocab.decode([i for i in row if i != UNK]) for row in tokens.tolist()]
    lang = data.splits.target_lang
    hypotheses = [detokenize(tokens, lang) for tokens in outputs]
    references = [detokenize(e.target, lang) for e in examples]
    return Evaluation(hypotheses, references, torch.cat(model_scores), corpus_scores(hypotheses, references))
