"""Chapter 09's check: chrF by source length, the page's BLEU-by-length figure with another metric."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import sacrebleu
import torch
from torch import Tensor

from .. import metrics
from .engine import Mistake, Rules, check_function

__all__ = ["check_chrf_by_length"]

#: A worked example small enough to read: six pairs, English source lengths 3 to 12, three buckets.
EXAMPLE_HYPOTHESES = ["je suis là .", "il est parti .", "nous avons faim maintenant .",
                      "elle lit un livre dans le jardin .", "ils sont allés à la gare hier soir .",
                      "je ne sais pas pourquoi il a dit cela à tout le monde ."]
EXAMPLE_REFERENCES = ["je suis ici .", "il est parti .", "nous avons faim .",
                      "elle lit un livre au jardin .", "ils sont allés à la gare hier .",
                      "je ne sais pas pourquoi il a dit ça à tout le monde ."]
EXAMPLE_LENGTHS = torch.tensor([3, 4, 6, 7, 9, 12])
EXAMPLE_EDGES = [1, 5, 8, 25]

_WORDS = ("le chat la maison je tu il elle nous vous ils est suis sommes a ai avons mange lit voit "
          "un une des dans sur avec pour ne pas plus très grand petit rouge hier demain").split()


def _reference_chrf_by_length(hypotheses: Sequence[str], references: Sequence[str], lengths: Tensor,
                              edges: Sequence[int]) -> Tensor:
    scores = []
    for low, high in zip(edges, edges[1:]):
        inside = [i for i, n in enumerate(lengths.tolist()) if low <= n < high]
        scores.append(sacrebleu.corpus_chrf([hypotheses[i] for i in inside], [[references[i] for i in inside]]).score)
    return torch.tensor(scores)  # (K,) float32


def _sentence(rng: random.Random, length: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(length)) + " ."


def _chrf_cases(seed: int) -> list[dict[str, object]]:
    """The worked example, then random corpora: references of about the source's length, outputs that
    drop, change or keep words, more often the longer the sentence (so that buckets differ)."""
    rng = random.Random(seed)
    cases: list[dict[str, object]] = [{"hypotheses": EXAMPLE_HYPOTHESES, "references": EXAMPLE_REFERENCES,
                                       "lengths": EXAMPLE_LENGTHS, "edges": EXAMPLE_EDGES}]
    for pairs, edges in ((12, [1, 5, 8, 11, 25]), (20, [1, 4, 9, 25]), (15, [2, 6, 10, 14, 20, 30])):
        lengths = [rng.randrange(low, high) for low, high in zip(edges, edges[1:])]  # one in every bucket
        lengths += [rng.randrange(edges[0], edges[-1]) for _ in range(pairs - len(lengths))]
        rng.shuffle(lengths)
        hypotheses, references = [], []
        for length in lengths:
            reference = _sentence(rng, max(1, length + rng.randrange(-1, 2))).split()
            error = min(0.8, 0.05 * length)
            hypothesis = [word if rng.random() > error else rng.choice(_WORDS)
                          for word in reference if rng.random() > error / 2]
            references.append(" ".join(reference))
            hypotheses.append(" ".join(hypothesis))
        cases.append({"hypotheses": hypotheses, "references": references,
                      "lengths": torch.tensor(lengths), "edges": edges})
    return cases


def _buckets(lengths: Tensor, edges: Sequence[int], closed_above: bool = False) -> list[list[int]]:
    return [[i for i, n in enumerate(lengths.tolist()) if (low < n <= high if closed_above else low <= n < high)]
            for low, high in zip(edges, edges[1:])]


def _per_bucket(score: Callable[[list[str], list[str]], float]) -> Callable[..., Tensor]:
    def scored(hypotheses, references, lengths, edges, closed_above=False):
        return torch.tensor([score([hypotheses[i] for i in inside], [references[i] for i in inside]) if inside
                             else 0.0 for inside in _buckets(lengths, edges, closed_above)])
    return scored


def _corpus_chrf(hypotheses: list[str], references: list[str]) -> float:
    return sacrebleu.corpus_chrf(hypotheses, [references]).score


def _mean_sentence_chrf(hypotheses: list[str], references: list[str]) -> float:
    return sum(sacrebleu.sentence_chrf(h, [r]).score for h, r in zip(hypotheses, references)) / len(hypotheses)


def _corpus_bleu(hypotheses: list[str], references: list[str]) -> float:
    return sacrebleu.corpus_bleu(hypotheses, [references]).score


def _by_output_length(hypotheses, references, lengths, edges):
    return _per_bucket(_corpus_chrf)(hypotheses, references, torch.tensor([len(h.split()) for h in hypotheses]),
                                     edges)


def _whole_corpus(hypotheses, references, lengths, edges):
    return torch.full((len(edges) - 1,), _corpus_chrf(list(hypotheses), list(references)))


def check_chrf_by_length(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """Chapter 09: ``chrf_by_length(hypotheses (N str), references (N str), lengths (N,) int64,
    edges (K + 1 ints)) -> (K,)`` float32, the corpus chrF of each source-length bucket."""
    check_function(
        "chrf_by_length", learner, _reference_chrf_by_length, _chrf_cases(seed=9),
        mistakes=[
            Mistake(_per_bucket(_mean_sentence_chrf),
                    "you averaged the chrF of single sentences: score each bucket as one corpus, "
                    "sacrebleu.corpus_chrf(bucket_hypotheses, [bucket_references]), which pools the "
                    "character n-gram counts of the whole bucket before it takes the F-score"),
            Mistake(lambda hypotheses, references, lengths, edges:
                    _per_bucket(_corpus_chrf)(hypotheses, references, lengths, edges, closed_above=True),
                    "your buckets hold edges[k] < length <= edges[k + 1]; bucket k holds "
                    "edges[k] <= length < edges[k + 1], so a length equal to an edge opens the next bucket"),
            Mistake(_by_output_length,
                    "you bucketed by the length of each translation; bucket by the source length, "
                    "`lengths`, which is the same for every system you compare"),
            Mistake(_per_bucket(_corpus_bleu),
                    "you computed BLEU; the exercise asks for chrF, sacrebleu.corpus_chrf"),
            Mistake(_whole_corpus,
                    "every bucket got the chrF of the whole corpus: score only the pairs whose source "
                    "length falls in the bucket"),
        ],
        hint="for each bucket, select the pairs with edges[k] <= lengths < edges[k + 1] and score them "
             "together with sacrebleu.corpus_chrf(hypotheses, [references]).score",
        error_hints=[(("reference",), "sacrebleu takes a list of reference *streams*: pass [bucket_references], "
                                       "a list holding one list of sentences")],
        rules=Rules(answers=(metrics,), answers_hint="select each bucket's pairs and call sacrebleu.corpus_chrf"),
        atol=1e-3,
        quiet=quiet,
    )
