"""Chapter 09's check, ``check_chrf_by_length``, on the shared harness."""

import sacrebleu
import torch

from harness import *  # noqa: F403 - the harness tests, run on SPECS
from harness import CheckSpec, fails
from lib import checks


def chrf_by_length(hypotheses, references, lengths, edges):
    scores = []
    for low, high in zip(edges, edges[1:]):
        inside = ((lengths >= low) & (lengths < high)).nonzero().flatten().tolist()
        scores.append(sacrebleu.corpus_chrf([hypotheses[i] for i in inside], [[references[i] for i in inside]]).score)
    return torch.tensor(scores)


def _buckets(lengths, edges):
    return [((lengths >= low) & (lengths < high)).nonzero().flatten().tolist() for low, high in zip(edges, edges[1:])]


def mean_of_sentences(hypotheses, references, lengths, edges):
    return torch.tensor([sum(sacrebleu.sentence_chrf(hypotheses[i], [references[i]]).score for i in inside) / len(inside)
                         for inside in _buckets(lengths, edges)])


def upper_edge_inside(hypotheses, references, lengths, edges):
    return chrf_by_length(hypotheses, references, lengths - 1, [e for e in edges])  # low < n <= high


def by_output_length(hypotheses, references, lengths, edges):
    return chrf_by_length(hypotheses, references, torch.tensor([len(h.split()) for h in hypotheses]), edges)


def bleu(hypotheses, references, lengths, edges):
    return torch.tensor([sacrebleu.corpus_bleu([hypotheses[i] for i in inside], [[references[i] for i in inside]]).score
                         for inside in _buckets(lengths, edges)])


def whole_corpus(hypotheses, references, lengths, edges):
    return torch.full((len(edges) - 1,), sacrebleu.corpus_chrf(list(hypotheses), [list(references)]).score)


SPECS = [CheckSpec(checks.check_chrf_by_length, "chrf_by_length", chrf_by_length, {
    "mean of sentence chrF": (mean_of_sentences, "you averaged the chrF of single sentences"),
    "upper edge inside": (upper_edge_inside, "a length equal to an edge opens the next bucket"),
    "bucketed by output length": (by_output_length, "bucket by the source length"),
    "BLEU": (bleu, "you computed BLEU"),
    "whole corpus": (whole_corpus, "every bucket got the chrF of the whole corpus"),
})]


def test_unknown_wrong_values_and_the_library():
    from lib.metrics import corpus_scores, scores_by_length

    fails(checks.check_chrf_by_length, lambda **case: chrf_by_length(**case) + 0.5, "returned wrong values")
    fails(checks.check_chrf_by_length, lambda hypotheses, references, lengths, edges: torch.tensor(
        [b.scores.chrf for b in scores_by_length(hypotheses, references, lengths.tolist(), edges,
                                                  score=corpus_scores)]), "runs lib.metrics")
