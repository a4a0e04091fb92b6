"""lib.history: what a History answers, and its round trip through a plain dict."""

from lib.history import History


def test_a_history_answers_from_its_records_and_survives_a_dict():
    history = History(step=[25, 50], loss=[2.0, 1.0], seconds=[1.0, 4.0], tokens=800,
                      evals=[{"step": 25, "seconds": 1.0, "exact_match": 0.5},
                             {"step": 50, "seconds": 4.0, "exact_match": 0.9}])
    assert history.train_seconds == 4.0 and history.tokens_per_second == 200.0
    assert history.first_reaching("exact_match", 0.8)["step"] == 50
    assert history.first_reaching("exact_match", 0.95) is None
    assert History.from_dict(history.to_dict()) == history
    assert History().train_seconds == 0.0 and History().tokens_per_second == 0.0
