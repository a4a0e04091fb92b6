"""Chapter 05's check: every value vector scaled by its weight."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from .. import attention
from .cases import EXAMPLE_KEYS, EXAMPLE_WEIGHTS, cases_with
from .engine import SIZE_ERRORS, Mistake, Rules, check_function

__all__ = ["check_weighted_values"]


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
