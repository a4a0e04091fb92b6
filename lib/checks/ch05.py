"""Chapter 05's checks: every value vector scaled by its weight, for one step and for every step."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from .. import attention
from .cases import EXAMPLE_KEYS, EXAMPLE_WEIGHTS, cases_with
from .engine import SIZE_ERRORS, Mistake, Rules, check_function

__all__ = ["check_weighted_values", "check_weighted_values_every_step"]


def check_weighted_values(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """Chapter 05: ``weighted(weights (B, T), values (B, T, d)) -> (B, T, d)``."""
    example = {"weights": EXAMPLE_WEIGHTS, "values": EXAMPLE_KEYS}
    cases = cases_with(example, seed=5, values="keys")
    check_function(
        "weighted_values", learner, attention.weighted_values, cases,
        mistakes=[
            Mistake(lambda weights, values: torch.bmm(weights.unsqueeze(1), values),
                    "you already summed the weighted vectors (that is the context vector, chapter "
                    "06); here keep one scaled vector per source position, shape (B, T, d)"),
            Mistake(lambda weights, values: values * weights.flip(-1).unsqueeze(-1),
                    "each vector is scaled by another position's weight: multiply values[:, t] by "
                    "weights[:, t]"),
            Mistake(lambda weights, values: values + weights.unsqueeze(-1),
                    "you added the weights; scale (multiply) each vector by its weight"),
            Mistake(lambda weights, values: values * weights.unsqueeze(1),
                    "weights.unsqueeze(1) lines the weights up with the hidden axis d, not with the "
                    "positions T: use weights.unsqueeze(-1), shape (B, T, 1)"),
        ],
        hint="weights.unsqueeze(-1) * values scales row t of values by weights[:, t]",
        error_hints=[(SIZE_ERRORS, "weights (B, T) must line up with the T axis of values (B, T, d): "
                      "weights.unsqueeze(-1) has shape (B, T, 1) and broadcasts over d")],
        rules=Rules(answers=(attention,), answers_hint="give the weights a trailing axis and let broadcasting "
                    "scale each row",
                    no_loop="a weight of shape (B, T, 1) broadcasts over the d entries of every row at once"),
        quiet=quiet,
    )


def _reference_every_step(weights: Tensor, values: Tensor) -> Tensor:
    return weights.unsqueeze(-1) * values.unsqueeze(1)  # (B, L, T, 1) * (B, 1, T, d)


def _every_step_cases(seed: int = 55) -> list[dict[str, Tensor]]:
    """The worked example (the running example's values, two steps: 0.2 / 0.8, then 0.5 / 0.5), then
    random batches, one with L == B (where forgetting the values' step axis broadcasts without an
    error) and one with L == T (where a transposed result has the right shape)."""
    example = {"weights": torch.tensor([[[0.2, 0.8], [0.5, 0.5]]]), "values": EXAMPLE_KEYS}  # (1, 2, 2), (1, 2, 3)
    generator = torch.Generator().manual_seed(seed)
    cases = [example]
    for batch, steps, src_len, hidden in ((3, 3, 4, 2), (2, 5, 5, 3), (4, 2, 3, 5)):
        cases.append({"weights": torch.softmax(torch.randn(batch, steps, src_len, generator=generator), -1),
                      "values": torch.randn(batch, src_len, hidden, generator=generator)})
    return cases


def check_weighted_values_every_step(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """Chapter 05: ``weighted_every_step(weights (B, L, T), values (B, T, d)) -> (B, L, T, d)``: one
    weighted copy of every value for every output step."""
    check_function(
        "weighted_every_step", learner, _reference_every_step, _every_step_cases(),
        mistakes=[
            Mistake(lambda weights, values: weights.unsqueeze(-1) * values,
                    "the values have no axis for the steps, so broadcasting lined their batch axis up with "
                    "the steps L (it runs only when L = B or B = 1, and mixes sentences): give them one, "
                    "values.unsqueeze(1), shape (B, 1, T, d)"),
            Mistake(lambda weights, values: weights @ values,
                    "you summed over the positions (that is the context of every step, chapter 6); keep one "
                    "weighted copy per position, (B, L, T, d)"),
            Mistake(lambda weights, values: weights.transpose(1, 2).unsqueeze(-1) * values.unsqueeze(2),
                    "your result is laid out (B, T, L, d): keep the steps before the positions, "
                    "weights.unsqueeze(-1) (B, L, T, 1) times values.unsqueeze(1) (B, 1, T, d)"),
            Mistake(lambda weights, values: (weights[:, -1].unsqueeze(-1) * values).unsqueeze(1),
                    "you weighted for the last step only: every step l has its own weights, weights[:, l]"),
        ],
        hint="weights.unsqueeze(-1) is (B, L, T, 1) and values.unsqueeze(1) is (B, 1, T, d): their product "
             "broadcasts to (B, L, T, d)",
        error_hints=[(SIZE_ERRORS, "line the axes up: weights (B, L, T) -> (B, L, T, 1), values (B, T, d) -> "
                      "(B, 1, T, d); broadcasting then copies along d and along L")],
        rules=Rules(answers=(attention,), answers_hint="give each input the axis it lacks and multiply",
                    no_loop="unsqueeze each input where it lacks an axis and let one multiplication broadcast"),
        quiet=quiet,
    )
