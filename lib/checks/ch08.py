"""Chapter 08's checks: the scaled dot product and the additive (Bahdanau) score."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

from .. import attention
from .cases import cases_with
from .engine import SIZE_ERRORS, Mistake, check_function

__all__ = ["check_scaled_dot_product_scores", "check_additive_scores", "EXAMPLE_08_QUERY", "EXAMPLE_08_KEYS"]


#: Chapter 08's worked example: d = 4 (so sqrt(d) = 2) and T = 3 keys (so sqrt(T) is not 2).
#: Dot scores [4, 2, 8]; scaled by 1/sqrt(4): [2, 1, 4].
EXAMPLE_08_QUERY = torch.tensor([[1.0, 0.0, 2.0, 1.0]])  # (1, 4)
EXAMPLE_08_KEYS = torch.tensor([[[2.0, 1.0, 0.0, 2.0],
                                 [0.0, 3.0, 1.0, 0.0],
                                 [1.0, 1.0, 3.0, 1.0]]])  # (1, 3, 4)


def _reference_scaled_scores(query: Tensor, keys: Tensor) -> Tensor:
    return attention.ScaledDotScore()(query, keys)


def check_scaled_dot_product_scores(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """Chapter 08: ``scaled_dot_product_scores(query (B, d), keys (B, T, d)) -> (B, T)``."""
    example = {"query": EXAMPLE_08_QUERY, "keys": EXAMPLE_08_KEYS}
    dot = attention.dot_product_scores
    check_function(
        "scaled_dot_product_scores",
        learner,
        _reference_scaled_scores,
        cases_with(example, seed=8),
        mistakes=[
            Mistake(lambda query, keys: dot(query, keys),
                    "your scores are not scaled: divide the dot products by sqrt(d), the square "
                    "root of the hidden size d = keys.shape[-1]"),
            Mistake(lambda query, keys: dot(query, keys) / keys.shape[-1],
                    "you divided by d; divide by its square root, math.sqrt(d): the standard "
                    "deviation of a dot product grows like sqrt(d), not like d"),
            Mistake(lambda query, keys: dot(query, keys) / math.sqrt(keys.shape[1]),
                    "you divided by the square root of the number of keys T = keys.shape[1]; d is "
                    "the hidden size, the last axis: keys.shape[-1]"),
            Mistake(lambda query, keys: dot(query, keys) / keys.shape[1],
                    "you divided by the number of keys T = keys.shape[1]; divide by sqrt(d), the "
                    "square root of the hidden size keys.shape[-1]"),
            Mistake(lambda query, keys: dot(query, keys) * math.sqrt(keys.shape[-1]),
                    "you multiplied by sqrt(d): divide by it, so that the scores shrink back to a "
                    "standard deviation near 1"),
            Mistake(lambda query, keys: torch.softmax(_reference_scaled_scores(query, keys), -1),
                    "you returned softmax weights: this function stops at the scaled scores (the "
                    "softmax comes after it)"),
        ],
        hint="each score is (query[b] * keys[b, t]).sum() / math.sqrt(d), with d = keys.shape[-1]",
        error_hints=[(SIZE_ERRORS, "A query (B, 1, d) meets the keys as (B, d, T): transpose the keys "
                                "with keys.transpose(1, 2) before the matrix product")],
        quiet=quiet,
    )


def _reference_additive_scores(query: Tensor, keys: Tensor, W_q: Tensor, W_k: Tensor, v: Tensor) -> Tensor:  # noqa: N803
    module = attention.AdditiveScore(query.shape[-1], keys.shape[-1], v.shape[0]).to(query)
    with torch.no_grad():
        module.query_proj.weight.copy_(W_q)
        module.key_proj.weight.copy_(W_k)
        module.v.weight.copy_(v.unsqueeze(0))
        return module(query, keys)


def _additive_parts(query: Tensor, keys: Tensor, W_q: Tensor, W_k: Tensor) -> tuple[Tensor, Tensor]:  # noqa: N803
    return (query @ W_q.T).unsqueeze(1), keys @ W_k.T  # (B, 1, a), (B, T, a)


def _additive_cases(seed: int) -> list[dict[str, Tensor]]:
    """The worked example (d_q = 2, d_k = 3, a = 2, T = 3), then random sizes with d_q != d_k."""
    example = {
        "query": torch.tensor([[1.0, -1.0]]),                                    # (1, 2)
        "keys": torch.tensor([[[0.5, 0.0, 1.0], [0.0, 1.0, -0.5], [1.0, 1.0, 0.0]]]),  # (1, 3, 3)
        "W_q": torch.tensor([[1.0, 0.0], [0.5, -1.0]]),                          # (2, 2)
        "W_k": torch.tensor([[0.0, 1.0, 1.0], [1.0, 0.0, -1.0]]),                # (2, 3)
        "v": torch.tensor([1.0, -2.0]),                                          # (2,)
    }
    generator = torch.Generator().manual_seed(seed)
    cases = [example]
    for batch, src_len, query_size, key_size, attention_size in (
        (2, 5, 3, 4, 6), (4, 3, 5, 2, 3), (3, 7, 4, 6, 5), (5, 4, 2, 3, 4),
    ):
        cases.append({
            "query": torch.randn(batch, query_size, generator=generator),
            "keys": torch.randn(batch, src_len, key_size, generator=generator),
            "W_q": torch.randn(attention_size, query_size, generator=generator) / math.sqrt(query_size),
            "W_k": torch.randn(attention_size, key_size, generator=generator) / math.sqrt(key_size),
            "v": torch.randn(attention_size, generator=generator),
        })
    return cases


def check_additive_scores(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """Chapter 08: ``additive_scores(query (B, d_q), keys (B, T, d_k), W_q (a, d_q), W_k (a, d_k),
    v (a,)) -> (B, T)``, the score ``v · tanh(W_q q + W_k k)``."""

    def no_tanh(query, keys, W_q, W_k, v):  # noqa: N803
        q, k = _additive_parts(query, keys, W_q, W_k)
        return (q + k) @ v

    def tanh_last(query, keys, W_q, W_k, v):  # noqa: N803
        q, k = _additive_parts(query, keys, W_q, W_k)
        return torch.tanh((q + k) @ v)

    def no_v(query, keys, W_q, W_k, v):  # noqa: N803
        q, k = _additive_parts(query, keys, W_q, W_k)
        return torch.tanh(q + k).sum(-1)

    def multiplied(query, keys, W_q, W_k, v):  # noqa: N803
        q, k = _additive_parts(query, keys, W_q, W_k)
        return (q * k).sum(-1)

    def multiplied_tanh(query, keys, W_q, W_k, v):  # noqa: N803
        q, k = _additive_parts(query, keys, W_q, W_k)
        return torch.tanh(q * k) @ v

    check_function(
        "additive_scores",
        learner,
        _reference_additive_scores,
        _additive_cases(seed=9),
        mistakes=[
            Mistake(no_tanh, "the tanh is missing: without it the score is linear, v·W_q q + v·W_k "
                    "k, and the query's part is the same for every key (it cancels in the softmax); "
                    "apply torch.tanh to W_q q + W_k k"),
            Mistake(tanh_last, "you applied tanh after the dot product with v: apply it to "
                    "W_q q + W_k k (an a-vector for each key), then take the dot product with v"),
            Mistake(no_v, "you summed the hidden layer tanh(W_q q + W_k k) instead of taking its "
                    "dot product with v: multiply by v before summing over the last axis"),
            Mistake(multiplied, "you multiplied the projected query and key (a dot product of "
                    "projections); the additive score *adds* them: v · tanh(W_q q + W_k k)"),
            Mistake(multiplied_tanh, "you multiplied the projected query and key inside the "
                    "tanh; the additive score *adds* them: v · tanh(W_q q + W_k k)"),
        ],
        hint="project with query @ W_q.T (B, a) and keys @ W_k.T (B, T, a), add them with the "
             "query unsqueezed to (B, 1, a), take torch.tanh, then @ v",
        error_hints=[(SIZE_ERRORS, "W_q is (a, d_q) and W_k is (a, d_k): project with query @ W_q.T and "
                                "keys @ W_k.T (or torch.nn.functional.linear)")],
        quiet=quiet,
    )
