"""lib.metrics: exact match, token accuracy, the predict/evaluate path, sacrebleu's scores, scores by length."""

import pytest

from lib.data import PairDataset
from lib.metrics import (accuracy_by_bucket, accuracy_by_length, corpus_scores, exact_match, predict,
                         scores_by_length, token_accuracy)
from lib.models import build_model
from tiny import VOCAB, tiny_dataset


def test_metrics():
    assert exact_match([["a", "b"], ["c"]], [["a", "b"], ["d"]]) == 0.5
    assert token_accuracy([["a", "x", "c"], ["d"]], [["a", "b", "c"], ["d", "e"]]) == 3 / 5
    with pytest.raises(ValueError, match="2 predictions and 1 references"):
        exact_match([["a"], ["b"]], [["a"]])


def test_predict_and_accuracy_by_length():
    dataset = tiny_dataset(32, 3, 5)
    model = build_model("attention", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8)
    assert len(predict(model, dataset)) == 32
    by_length = accuracy_by_length(model, dataset)
    assert list(by_length) == [3, 4, 5]
    predictions = predict(model, dataset)
    for length, accuracy in by_length.items():
        rows = [i for i, source in enumerate(dataset.sources) if len(source) == length]
        assert accuracy == token_accuracy([predictions[i] for i in rows], [dataset.targets[i] for i in rows])


def test_scores_by_length_buckets_the_pairs_by_source_length():
    hypotheses = ["a b", "a b c", "x", "a b c d e"]
    references = ["a b", "a b c", "y", "a b c d e"]
    lengths = [2, 3, 1, 6]
    buckets = scores_by_length(hypotheses, references, lengths, (1, 3, 5, 25), score=corpus_scores)
    assert [(b.label, b.pairs) for b in buckets] == [("1-2", 2), ("3-4", 1), ("5-24", 1)]
    assert buckets[1].scores.chrf == pytest.approx(100.0) and buckets[0].scores.chrf < 100
    # Without complete=True, a pair outside the edges is ignored and an empty bucket left out.
    assert [b.label for b in scores_by_length(hypotheses, references, lengths, (2, 3, 5, 6),
                                              score=corpus_scores)] == ["2-2", "3-4"]
    with pytest.raises(ValueError, match="increasing"):
        scores_by_length(hypotheses, references, lengths, (4, 4), score=corpus_scores)
    with pytest.raises(ValueError, match="3 source lengths for 4 predictions"):
        scores_by_length(hypotheses, references, lengths[:-1], (1, 25), score=corpus_scores)
    with pytest.raises(ValueError, match="outside the buckets"):
        scores_by_length(hypotheses, references, lengths, (2, 7), score=corpus_scores, complete=True)
    with pytest.raises(ValueError, match=r"no pair has a source length in \[3, 5\)"):
        scores_by_length(hypotheses, references, [2, 2, 1, 6], (1, 3, 5, 7), score=corpus_scores, complete=True)


def test_accuracy_by_bucket():
    dataset = tiny_dataset(32, 3, 6)
    model = build_model("attention", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8)
    scores = accuracy_by_bucket(model, dataset, (3, 5, 7))
    assert list(scores) == ["exact_match", "3-4", "5-6"]
    assert all(0.0 <= value <= 1.0 for value in scores.values())
    gapped = PairDataset(["abc", "abcdef"], ["cba", "fedcba"], VOCAB, VOCAB)
    with pytest.raises(ValueError, match="no pair has a source length"):
        accuracy_by_bucket(model, gapped, (3, 4, 6, 7))
    with pytest.raises(ValueError, match="outside the buckets"):
        accuracy_by_bucket(model, dataset, (3, 5))


def test_predict_decodes_in_eval_mode_and_gives_the_mode_back():
    dataset = tiny_dataset(16, 3, 5)
    model = build_model("attention", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8).eval()
    in_eval = predict(model, dataset)
    model.train()
    assert predict(model, dataset) == in_eval and model.training


def test_corpus_scores_use_sacrebleu():
    scores = corpus_scores(["the cat sat on the mat"], ["the cat sat on the mat"])
    assert scores.bleu == pytest.approx(100.0) and scores.chrf == pytest.approx(100.0)
    assert scores.bleu_signature.startswith("nrefs:1") and "chrF" in scores.chrf_signature or "nc:" in scores.chrf_signature
