"""Chapter 04's check: softmax weights with the padding mask."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from .. import attention
from .cases import random_batches
from .engine import Mistake, Rules, check_function

__all__ = ["check_attention_weights"]


def _softmax_without_mask(scores: Tensor, mask: Tensor) -> Tensor:
    return torch.softmax(scores, -1)


def _softmax_zeroed_after(scores: Tensor, mask: Tensor) -> Tensor:
    return torch.softmax(scores, -1) * mask


def _softmax_zeroed_renormalised(scores: Tensor, mask: Tensor) -> Tensor:
    weights = torch.softmax(scores, -1) * mask
    return weights / weights.sum(-1, keepdim=True)


def check_attention_weights(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """Chapter 04: ``weights(scores (B, T), mask (B, T)) -> (B, T)``, rows sum to 1, padding 0."""
    example = {"scores": torch.tensor([[2.0, 1.0, 0.1, 5.0]]),
               "mask": torch.tensor([[True, True, True, False]])}
    large = {"scores": torch.tensor([[1000.0, 999.0, 998.0]]), "mask": torch.ones(1, 3, dtype=torch.bool)}
    # Very negative real scores beside a padded score of 0: a softmax over every position
    # underflows at the real ones (exp(-1e4) = 0, exp(-100) is a float32 subnormal), so zeroing
    # the padding afterwards and renormalising gives 0/0 or rounded weights.
    negative = {"scores": torch.tensor([[-1e4, -9999.0, 0.0], [-100.0, -101.0, 0.0], [-50.0, -1e4, 5.0]]),
                "mask": torch.tensor([[True, True, False], [True, True, False], [True, True, True]])}
    check_function(
        "attention_weights", learner, lambda scores, mask: attention.attention_weights(scores, mask),
        [example, large, negative] + [{k: b[k] for k in ("scores", "mask")} for b in random_batches(seed=4)],
        mistakes=[
            Mistake(lambda scores, mask: torch.softmax(scores.masked_fill(~mask, float("-inf")), 0),
                    "your weights sum to 1 along the batch axis, not over the keys: take the "
                    "softmax over the last dimension (dim=-1)"),
            Mistake(_softmax_without_mask,
                    "padding positions get weight: the mask is ignored. Set the scores where mask "
                    "is False to -inf before the softmax"),
            Mistake(_softmax_zeroed_after,
                    "you zeroed the padded weights after the softmax, so the rest no longer sum to "
                    "1: mask the scores with -inf *before* the softmax"),
            Mistake(_softmax_zeroed_renormalised,
                    "you took the softmax over every position, zeroed the padding and renormalised: "
                    "with very negative real scores the softmax underflows to 0 before you divide, "
                    "so mask the scores with -inf *before* the softmax"),
            Mistake(lambda scores, mask: scores.masked_fill(~mask, float("-inf")).exp(),
                    "your weights are not normalised: divide exp(scores) by its sum over the keys"),
            Mistake(lambda scores, mask: torch.softmax(scores.masked_fill(~mask, 0.0), -1),
                    "you set the padded scores to 0, but exp(0) = 1, so padding still gets weight: "
                    "fill them with float('-inf'), whose exp is exactly 0"),
            Mistake(lambda scores, mask: torch.softmax(scores.masked_fill(mask, float("-inf")), -1),
                    "you masked the real tokens: the mask is True at real tokens, so fill the "
                    "scores where it is False, masked_fill(~mask, float('-inf'))"),
        ],
        hint="exp(s - max) / sum(exp(s - max)) over the unmasked keys of each row",
        rules=Rules(answers=(attention,), answers_hint="mask the scores with -inf, then torch.softmax (or "
                    "exp(s - max) / its sum) over the keys"),
        quiet=quiet,
    )
