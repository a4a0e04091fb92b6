"""lib.evaluation: a split translated greedily and with beam search, scored, the model's mode kept.

The toy task and the models trained on it are test_translation's (its ``trained`` fixture).
"""

from __future__ import annotations

import pytest

from lib.evaluation import evaluate_split
from test_translation import trained  # noqa: F401 - the fixture, used by name


@pytest.mark.parametrize("kind", ["attention", "fixed"])
def test_evaluate_split_greedy_and_beam(trained, kind):
    data, models = trained
    greedy = evaluate_split(models[kind], data, "test")
    beam = evaluate_split(models[kind], data, "test", beam_size=3, length_penalty=1.0)
    count = len(data.test)
    for evaluation in (greedy, beam):
        assert len(evaluation.hypotheses) == len(evaluation.references) == count
        assert evaluation.model_scores.shape == (count,) and bool((evaluation.model_scores <= 0).all())
        assert "nrefs:1" in evaluation.scores.bleu_signature and 0 <= evaluation.scores.chrf <= 100
    assert greedy.references[0] == data.examples("test")[0].raw.target.lower()
    # Beam search maximises the normalised score: on average it finds at least greedy's.
    assert float(beam.model_scores.mean()) >= float(greedy.model_scores.mean()) - 1e-6
    assert greedy.scores.bleu > 20  # the toy task is learnt: word-by-word number translation


def test_evaluate_split_gives_the_model_back_in_its_mode(trained):
    data, models = trained
    model = models["attention"]
    was_training = model.training
    try:
        for mode in (True, False):
            model.train(mode)
            evaluation = evaluate_split(model, data, "test")
            assert model.training is mode and not evaluation.model_scores.requires_grad
    finally:
        model.train(was_training)
