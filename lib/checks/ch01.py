"""Chapter 01's check: the fixed context vector of a bidirectional encoder."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from .engine import Mistake, check_function

__all__ = ["check_final_context"]


def _reference_final_context(states: Tensor, lengths: Tensor) -> Tensor:
    half = states.shape[-1] // 2
    last = (lengths - 1).view(-1, 1, 1).expand(-1, 1, half)  # (B, 1, d/2)
    forward_last = states[..., :half].gather(1, last).squeeze(1)  # forward GRU at its last token
    backward_first = states[:, 0, half:]  # backward GRU ends at the first token
    return torch.cat([forward_last, backward_first], dim=-1)


def check_final_context(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """Chapter 01: ``final_context(states (B, T, d), lengths (B,)) -> (B, d)``."""
    generator = torch.Generator().manual_seed(1)
    # Two sequences of d = 4, padded to T = 3: the second has 2 real tokens and one of padding.
    example_states = torch.arange(1.0, 25.0).view(2, 3, 4)
    cases: list[dict[str, object]] = [{"states": example_states, "lengths": torch.tensor([3, 2])}]
    for batch, src_len, hidden in ((4, 6, 8), (3, 5, 6), (5, 9, 4)):
        lengths = torch.randint(1, src_len + 1, (batch,), generator=generator)
        lengths[0] = src_len
        lengths[1] = 1
        cases.append({"states": torch.randn(batch, src_len, hidden, generator=generator),
                      "lengths": lengths})
    half = lambda states: states.shape[-1] // 2  # noqa: E731
    check_function(
        "final_context", learner, _reference_final_context, cases,
        mistakes=[
            Mistake(lambda states, lengths: states[:, -1],
                    "you took the last position of the padded tensor, which is padding for the "
                    "shorter sequences: use each sequence's own last token, lengths - 1"),
            Mistake(lambda states, lengths: states[torch.arange(states.shape[0]), lengths - 1],
                    "the backward half is wrong: the backward GRU reads right to left, so its "
                    "final state sits at position 0, not at the last token"),
            Mistake(lambda states, lengths: states.mean(1),
                    "you averaged every position: the fixed context is the final state of each "
                    "direction (forward at lengths - 1, backward at 0)"),
            Mistake(lambda states, lengths: torch.cat(
                [states[:, 0, :half(states)], states[torch.arange(states.shape[0]), lengths - 1, half(states):]], -1),
                    "the two halves are swapped: the forward direction (first d/2 features) ends "
                    "at the last token, the backward direction (last d/2) at the first"),
        ],
        hint="forward half: states[b, lengths[b] - 1, :d/2]; backward half: states[b, 0, d/2:]",
        quiet=quiet,
    )
