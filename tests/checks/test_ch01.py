"""Chapter 01's check, ``check_final_context``, on the shared harness."""

import torch

from harness import *  # noqa: F403 - the harness tests, run on SPECS
from harness import CheckSpec, fails
from lib import checks


def final_context(states, lengths):
    half = states.shape[-1] // 2
    forward = states[torch.arange(states.shape[0]), lengths - 1, :half]
    return torch.cat([forward, states[:, 0, half:]], dim=-1)


def _halves_swapped(states, lengths):
    half = states.shape[-1] // 2
    return torch.cat([states[:, 0, :half], states[torch.arange(states.shape[0]), lengths - 1, half:]], -1)


SPECS = [CheckSpec(checks.check_final_context, "final_context", final_context, {
    "last padded position": (lambda states, lengths: states[:, -1], "which is padding for the shorter sequences"),
    "backward half at the end": (lambda states, lengths: states[torch.arange(states.shape[0]), lengths - 1],
                                 "the backward half is wrong"),
    "mean of every position": (lambda states, lengths: states.mean(1), "you averaged every position"),
    "halves swapped": (_halves_swapped, "the two halves are swapped"),
})]


def test_an_unknown_mistake_gets_the_hint():
    message = fails(checks.check_final_context, lambda states, lengths: states[:, 0], "wrong values")
    assert "forward half" in message
