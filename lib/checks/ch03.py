"""Chapter 03's checks: the dot-product scores of a query against every key, and the general
(bilinear) score of a query and keys of different sizes."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

from .. import attention
from .cases import EXAMPLE_KEYS, EXAMPLE_QUERY, cases_with
from .engine import SIZE_ERRORS, Mistake, Rules, check_function

__all__ = ["check_dot_product_scores", "check_general_scores"]


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


def _reference_general_scores(query: Tensor, keys: Tensor, W: Tensor) -> Tensor:  # noqa: N803
    return torch.bmm((query @ W).unsqueeze(1), keys.transpose(1, 2)).squeeze(1)  # (B, 1, d_k) @ (B, d_k, T)


def _general_cases(seed: int = 33) -> list[dict[str, Tensor]]:
    """The worked example (the running example's query and keys, a square W that is not symmetric, so that
    a transposed or missing W runs and is named), then random sizes, most with d_q != d_k."""
    example = {"query": EXAMPLE_QUERY, "keys": EXAMPLE_KEYS,  # (1, 3), (1, 2, 3): 나는, 오늘
               "W": torch.tensor([[1.0, 0.0, 0.0], [0.0, 2.0, 1.0], [1.0, 0.0, 1.0]])}  # (d_q, d_k) = (3, 3)
    generator = torch.Generator().manual_seed(seed)
    cases = [example]
    for batch, src_len, d_q, d_k in ((3, 5, 4, 6), (2, 4, 5, 5), (4, 3, 3, 2), (2, 6, 4, 4)):
        cases.append({"query": torch.randn(batch, d_q, generator=generator),
                      "keys": torch.randn(batch, src_len, d_k, generator=generator),
                      "W": torch.randn(d_q, d_k, generator=generator)})
    return cases


def check_general_scores(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """Chapter 03: ``general_scores(query (B, d_q), keys (B, T, d_k), W (d_q, d_k)) -> (B, T)``,
    the score ``q^T W k_t``."""
    def dot(query: Tensor, keys: Tensor) -> Tensor:
        return (query.unsqueeze(1) * keys).sum(-1)

    check_function(
        "general_scores", learner, _reference_general_scores, _general_cases(),
        mistakes=[
            Mistake(lambda query, keys, W: dot(query @ W.T, keys),
                    "you multiplied by W transposed: in q^T W k the query meets W's rows (d_q of them), so "
                    "project the query as query @ W, shape (B, d_k); with d_q != d_k W.T would not even fit"),
            Mistake(lambda query, keys, W: dot(query, keys),
                    "W is missing: that is the plain dot product, which needs d_q = d_k; put W between "
                    "them, (query @ W) · k_t"),
            Mistake(lambda query, keys, W: _reference_general_scores(query, keys, W).unsqueeze(1),
                    "your scores have shape (B, 1, T): squeeze the axis of length 1, .squeeze(1)"),
            Mistake(lambda query, keys, W: torch.softmax(_reference_general_scores(query, keys, W), -1),
                    "you returned softmax weights: this step stops at the raw scores"),
            Mistake(lambda query, keys, W: _reference_general_scores(query, keys, W) / math.sqrt(keys.shape[-1]),
                    "your scores are divided by sqrt(d_k): the general score has no scale"),
        ],
        hint="project the query once, query @ W (B, d_k), then score it against every key as in "
             "dot_product_scores: (B, 1, d_k) @ (B, d_k, T)",
        error_hints=[(SIZE_ERRORS, "W is (d_q, d_k): query (B, d_q) @ W gives (B, d_k), the keys' size; then "
                      "(B, 1, d_k) @ keys.transpose(1, 2), (B, d_k, T)")],
        rules=Rules(answers=(attention,), answers_hint="write the products with @, torch.bmm or torch.einsum",
                    no_loop="project the whole batch of queries at once, query @ W, then one batched product"),
        quiet=quiet,
    )
