"""Chapter 03's check: the dot-product scores of a query against every key."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

from .. import attention
from .cases import EXAMPLE_KEYS, EXAMPLE_QUERY, cases_with
from .engine import SIZE_ERRORS, Mistake, Rules, check_function

__all__ = ["check_dot_product_scores"]


def check_dot_product_scores(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """Chapter 03: ``scores(query (B, d), keys (B, T, d)) -> (B, T)``."""
    example = {"query": EXAMPLE_QUERY, "keys": EXAMPLE_KEYS}
    check_function(
        "dot_product_scores", learner, attention.dot_product_scores,
        cases_with(example, seed=3),
        mistakes=[
            Mistake(lambda query, keys: attention.dot_product_scores(query, keys).unsqueeze(1),
                    "your scores have shape (B, 1, T): squeeze the middle axis of length 1 that "
                    "(B, 1, d) @ (B, d, T) leaves, .squeeze(1), to get (B, T)"),
            Mistake(lambda query, keys: torch.bmm(query.unsqueeze(1), keys).squeeze(1),
                    "the keys are not transposed: (B, 1, d) @ (B, T, d) only runs when T = d, and "
                    "then multiplies the wrong entries; use keys.transpose(1, 2), shape (B, d, T)"),
            Mistake(lambda query, keys: (query.unsqueeze(1) * keys).sum(1),
                    "you summed over the source positions (dim 1) instead of the hidden "
                    "dimension: a score multiplies q and k element by element and sums over d"),
            Mistake(lambda query, keys: torch.cdist(query.unsqueeze(1), keys).squeeze(1),
                    "you computed distances, not dot products: use (query.unsqueeze(1) @ "
                    "keys.transpose(1, 2)).squeeze(1)"),
            Mistake(lambda query, keys: attention.dot_product_scores(query, keys)
                    / math.sqrt(keys.shape[-1]),
                    "your scores are divided by sqrt(d): that is the *scaled* dot product of "
                    "chapter 08; here the score is the plain dot product"),
            Mistake(lambda query, keys: torch.softmax(attention.dot_product_scores(query, keys), -1),
                    "you returned softmax weights: this step stops at the raw scores (softmax is "
                    "chapter 04)"),
        ],
        hint="each score is (query[b] * keys[b, t]).sum() over the hidden dimension",
        error_hints=[(SIZE_ERRORS, "a score is a dot product over d: (B, 1, d) @ (B, d, T) needs "
                      "the keys transposed, keys.transpose(1, 2)")],
        rules=Rules(answers=(attention,), answers_hint="write the batched product with torch.bmm, @ or torch.einsum",
                    no_loop="one batched product scores every (b, t): (B, 1, d) @ (B, d, T), then squeeze(1)"),
        quiet=quiet,
    )
