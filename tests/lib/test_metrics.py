"""lib.metrics: exact match, token accuracy, the predict/evaluate path, sacrebleu's scores."""

import pytest

from lib.metrics import accuracy_by_length, corpus_scores, exact_match, predict, token_accuracy
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
    assert set(accuracy_by_length(model, dataset)) == {3, 4, 5}


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
