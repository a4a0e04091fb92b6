"""Chapter 09's check: the length-normalised score of beam search (GNMT's length penalty)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from ..decoding import length_penalty_factor
from .engine import Mistake, check_function

__all__ = ["check_gnmt_score"]


def _gnmt_cases(seed: int) -> list[dict[str, object]]:
    """The worked example (log-probabilities of outputs of 1, 3 and 7 tokens, alpha 0.6), then
    random batches with alpha in (0, 2) but never 1 (where forgetting alpha changes nothing)."""
    example = {"log_prob": torch.tensor([-2.0, -3.0, -6.0]), "length": torch.tensor([1, 3, 7]), "alpha": 0.6}
    generator = torch.Generator().manual_seed(seed)
    cases: list[dict[str, object]] = [example]
    for alpha in (0.3, 0.7, 1.5, 1.9, 0.5):
        batch = int(torch.randint(2, 9, (1,), generator=generator))
        cases.append({"log_prob": -12 * torch.rand(batch, generator=generator),
                      "length": torch.randint(1, 30, (batch,), generator=generator), "alpha": alpha})
    return cases


def check_gnmt_score(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """Chapter 09: ``gnmt_score(log_prob (B,), length (B,) int64, alpha) -> (B,)``,
    ``log_prob / ((5 + length) / 6) ** alpha``."""
    def reference(log_prob: Tensor, length: Tensor, alpha: float) -> Tensor:
        return log_prob / length_penalty_factor(length, alpha, "gnmt")

    check_function(
        "gnmt_score", learner, reference, _gnmt_cases(seed=9),
        mistakes=[
            Mistake(lambda log_prob, length, alpha: log_prob / length ** alpha,
                    "you divided by length ** alpha, the plain length normalisation; GNMT's "
                    "penalty is ((5 + length) / 6) ** alpha, gentler on short outputs"),
            Mistake(lambda log_prob, length, alpha: log_prob * ((5 + length) / 6) ** alpha,
                    "you multiplied by the penalty: divide log_prob by ((5 + length) / 6) ** alpha "
                    "(a log-probability is negative, so multiplying punishes long outputs more)"),
            Mistake(lambda log_prob, length, alpha: log_prob / ((5 + length) / 6),
                    "alpha is missing: raise (5 + length) / 6 to the power alpha"),
            Mistake(lambda log_prob, length, alpha: log_prob / ((5 + length) / 6 ** alpha),
                    "operator precedence: 6 ** alpha is computed before the division, so only 6 is "
                    "raised to alpha; write ((5 + length) / 6) ** alpha"),
            Mistake(lambda log_prob, length, alpha: log_prob / ((5 + length - 1) / 6) ** alpha,
                    "your length is one short: |Y| counts every output token, <eos> included"),
        ],
        hint="score = log_prob / ((5 + length) / 6) ** alpha, element by element",
        quiet=quiet,
    )
