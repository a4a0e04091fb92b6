"""The chapter-01 check (check_final_context): passes a learner's correct version, and names
each usual mistake in a sentence the learner can act on."""

import pytest
import torch

from lib import checks
from lib.checks import ExerciseError


def correct(states, lengths):
    half = states.shape[-1] // 2
    forward = states[torch.arange(states.shape[0]), lengths - 1, :half]
    return torch.cat([forward, states[:, 0, half:]], dim=-1)


def test_correct_version_passes(capsys):
    checks.check_final_context(correct)
    assert capsys.readouterr().out.startswith("✓ final_context is correct")


@pytest.mark.parametrize(
    ("wrong", "phrase"),
    [
        (lambda states, lengths: states[:, -1], "which is padding for the shorter sequences"),
        (lambda states, lengths: states[torch.arange(states.shape[0]), lengths - 1],
         "the backward half is wrong"),
        (lambda states, lengths: states.mean(1), "you averaged every position"),
        (lambda states, lengths: torch.cat(
            [states[:, 0, : states.shape[-1] // 2],
             states[torch.arange(states.shape[0]), lengths - 1, states.shape[-1] // 2:]], -1),
         "the two halves are swapped"),
        (lambda states, lengths: states[:, 0], "wrong values"),
    ],
)
def test_mistakes_are_named(wrong, phrase):
    with pytest.raises(ExerciseError, match=phrase):
        checks.check_final_context(wrong)


def test_not_implemented_and_in_place():
    def unfinished(states, lengths):
        raise NotImplementedError()

    with pytest.raises(ExerciseError, match="final_context is not implemented yet"):
        checks.check_final_context(unfinished)

    def in_place(states, lengths):
        result = correct(states, lengths)
        states.zero_()
        return result

    with pytest.raises(ExerciseError, match="changed its input `states` in place"):
        checks.check_final_context(in_place)
