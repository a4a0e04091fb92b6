"""lib.checks_extra: the Bahdanau-step check passes the reference, names each known mistake,
and its worked example is the course's running example."""

import pytest
import torch

from lib import checks_extra
from lib.checks import ExerciseError


def test_reference_passes_and_says_so(capsys):
    checks_extra.check_bahdanau_step(checks_extra.reference_bahdanau_step)
    assert "bahdanau_step" in capsys.readouterr().out


def test_reference_matches_a_hand_written_step():
    case = checks_extra.bahdanau_step_cases()[0]
    scores = case["keys"][0] @ case["previous"][0]  # (T,): the query is the previous state
    context = torch.softmax(scores, 0) @ case["keys"][0]  # (d,)
    by_hand = case["cell"](torch.cat([case["embedded"][0], context]).unsqueeze(0), case["previous"])
    assert torch.allclose(checks_extra.reference_bahdanau_step(**case), by_hand)


@pytest.mark.parametrize("mistake", checks_extra.MISTAKES, ids=lambda m: m.message[:30])
def test_every_known_mistake_is_named(mistake):
    with pytest.raises(ExerciseError) as failure:
        checks_extra.check_bahdanau_step(mistake.implementation)
    assert mistake.message in str(failure.value)


def test_at_least_three_mistakes_and_they_differ_from_the_reference():
    assert len(checks_extra.MISTAKES) >= 3
    for case in checks_extra.bahdanau_step_cases()[1:]:
        right = checks_extra.reference_bahdanau_step(**case)
        for mistake in checks_extra.MISTAKES:
            assert not torch.allclose(mistake.implementation(**case), right, atol=1e-4), mistake.message


def test_cases_have_padding_and_e_different_from_d():
    cases = checks_extra.bahdanau_step_cases()
    assert any(not bool(case["mask"].all()) for case in cases)
    assert all(case["embedded"].shape[1] != case["previous"].shape[1] for case in cases[1:])


def test_not_a_function_is_refused():
    with pytest.raises(ExerciseError, match="bahdanau_step should be a function"):
        checks_extra.check_bahdanau_step(3)
