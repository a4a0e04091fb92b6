"""Chapter 08's checks: the additive (Bahdanau) score, and the gradient of a log attention weight with
respect to the query."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

from .. import attention
from .cases import cases_with
from .engine import SIZE_ERRORS, Mistake, Rules, check_function

__all__ = ["check_additive_scores", "check_query_gradient", "EXAMPLE_08_QUERY",
           "EXAMPLE_08_KEYS", "EXAMPLE_08_TARGET"]


#: Chapter 08's worked example: d = 4 (so sqrt(d) = 2) and T = 3 keys (so sqrt(T) is not 2).
#: Dot scores [4, 2, 8]; scaled by 1/sqrt(4): [2, 1, 4].
EXAMPLE_08_QUERY = torch.tensor([[1.0, 0.0, 2.0, 1.0]])  # (1, 4)
EXAMPLE_08_KEYS = torch.tensor([[[2.0, 1.0, 0.0, 2.0],
                                 [0.0, 3.0, 1.0, 0.0],
                                 [1.0, 1.0, 3.0, 1.0]]])  # (1, 3, 4)
#: The worked example's target for ``query_gradient``: the second key, whose weight is 0.002 (the
#: third holds 0.98), so the gradient is close to k_2 - k_3: about [-1.02, 2.00, -1.94, -1.02].
EXAMPLE_08_TARGET = torch.tensor([1])  # (1,) int64


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
        rules=Rules(answers=(attention.AdditiveScore,), answers_hint="the exercise asks for the score with "
                    "plain tensors: project, add, tanh, then @ v"),
        quiet=quiet,
    )


def _reference_query_gradient(query: Tensor, keys: Tensor, target: Tensor) -> Tensor:
    """By autograd, so that the reference does not rest on the closed form k_target - context."""
    with torch.enable_grad():
        query = query.detach().clone().requires_grad_(True)
        log_weights = torch.log_softmax(attention.dot_product_scores(query, keys), dim=-1)  # (B, T)
        chosen = log_weights.gather(1, target.unsqueeze(1)).sum()  # rows are independent: one backward
        (gradient,) = torch.autograd.grad(chosen, query)
    return gradient


def _query_gradient_cases(seed: int) -> list[dict[str, Tensor]]:
    """The worked example, then random batches (B >= 2, targets that differ between rows 0 and 1)
    and one with T == B != d, where a (B, T) tensor read along the wrong axis keeps its shape."""
    example = {"query": EXAMPLE_08_QUERY, "keys": EXAMPLE_08_KEYS, "target": EXAMPLE_08_TARGET}
    generator = torch.Generator().manual_seed(seed)
    cases = [example]
    for case in cases_with({"query": EXAMPLE_08_QUERY, "keys": EXAMPLE_08_KEYS}, seed=seed)[1:] + [
        {"query": torch.randn(4, 6, generator=generator), "keys": torch.randn(4, 4, 6, generator=generator)},
    ]:
        batch, src_len = case["keys"].shape[:2]
        target = torch.randint(0, src_len, (batch,), generator=generator)
        if target[1] == target[0]:
            target[1] = (target[0] + 1) % src_len
        cases.append({**case, "target": target})
    return cases


def _weights(query: Tensor, keys: Tensor, scale: float = 1.0, dim: int = -1) -> Tensor:
    return torch.softmax(attention.dot_product_scores(query, keys) / scale, dim=dim)  # (B, T)


def _mix(weights: Tensor, keys: Tensor) -> Tensor:
    return (weights.unsqueeze(-1) * keys).sum(1)  # (B, T), (B, T, d) -> (B, d)


def _chosen(keys: Tensor, target: Tensor) -> Tensor:
    return keys[torch.arange(keys.shape[0]), target]  # (B, d): key target[b] of row b


def check_query_gradient(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """Chapter 08: ``query_gradient(query (B, d), keys (B, T, d), target (B,) int64) -> (B, d)``,
    the gradient of log softmax(q · k)[target] with respect to the query."""
    check_function(
        "query_gradient",
        learner,
        _reference_query_gradient,
        _query_gradient_cases(seed=18),
        mistakes=_query_gradient_mistakes(),
        hint="differentiate log α_t = q·k_t - log Σ_j exp(q·k_j) term by term: the first term "
             "gives the target key, keys[b, target[b]], the second the keys weighted by the "
             "softmax of the plain dot-product scores",
        error_hints=[
            (SIZE_ERRORS, "the weights (B, T) mix the keys (B, T, d) along T: (weights.unsqueeze(-1) "
                          "* keys).sum(1), or (B, 1, T) @ (B, T, d); row b's target key is "
                          "keys[torch.arange(B), target], (B, d)"),
            (("out of bounds",), "target holds an index into the T keys of each row: "
                                 "keys[torch.arange(B), target] picks them (keys[target] indexes the "
                                 "batch axis)"),
        ],
        rules=Rules(answers=(_reference_query_gradient,),
                    no_autograd="compute k_target - Σ_j α_j k_j with tensor operations, from your derivation",
                    no_loop="index every row's target key at once, keys[torch.arange(B), target], and mix "
                            "the keys with one bmm"),
        quiet=quiet,
    )


# The known wrong answers of query_gradient, each (query, keys, target) -> what a learner who made
# that slip returns, and what the check then tells them.


def _key_only(query: Tensor, keys: Tensor, target: Tensor) -> Tensor:
    return _chosen(keys, target)


def _flipped(query: Tensor, keys: Tensor, target: Tensor) -> Tensor:
    return _mix(_weights(query, keys), keys) - _chosen(keys, target)


def _plain_mean(query: Tensor, keys: Tensor, target: Tensor) -> Tensor:
    return _chosen(keys, target) - keys.mean(1)


def _of_the_weight(query: Tensor, keys: Tensor, target: Tensor) -> Tensor:
    weights = _weights(query, keys)
    chosen = weights.gather(1, target.unsqueeze(1))  # (B, 1)
    return chosen * (_chosen(keys, target) - _mix(weights, keys))


def _first_target(query: Tensor, keys: Tensor, target: Tensor) -> Tensor:
    return _chosen(keys, target[0].expand_as(target)) - _mix(_weights(query, keys), keys)


def _scaled(query: Tensor, keys: Tensor, target: Tensor) -> Tensor:
    root_d = math.sqrt(keys.shape[-1])
    return (_chosen(keys, target) - _mix(_weights(query, keys, root_d), keys)) / root_d


def _scaled_weights(query: Tensor, keys: Tensor, target: Tensor) -> Tensor:
    return _chosen(keys, target) - _mix(_weights(query, keys, math.sqrt(keys.shape[-1])), keys)


def _batch_softmax(query: Tensor, keys: Tensor, target: Tensor) -> Tensor:
    return _chosen(keys, target) - _mix(_weights(query, keys, dim=0), keys)


def _of_the_scores(query: Tensor, keys: Tensor, target: Tensor) -> Tensor:
    return torch.nn.functional.one_hot(target, keys.shape[1]).to(keys) - _weights(query, keys)


def _query_gradient_mistakes() -> list[Mistake]:
    scaled_message = ("you used the scaled score q·k/sqrt(d); this exercise's score is the plain dot "
                      "product q·k of chapters 3 to 7: compute the weights as softmax(q·k), without "
                      "dividing by sqrt(d)")
    return [
        Mistake(_key_only, "you returned the target key alone: log α_t = q·k_t - log Σ_j exp(q·k_j) "
                "has a second term, whose gradient is the context vector Σ_j α_j k_j; subtract it"),
        Mistake(_flipped, "your gradient points the wrong way, context - key: the gradient of "
                "log α_t is the target key minus the context, k_t - Σ_j α_j k_j"),
        Mistake(_plain_mean, "you subtracted the plain mean of the keys: the gradient of "
                "log Σ_j exp(q·k_j) is their mean *weighted* by the softmax weights of the query, "
                "the context vector Σ_j α_j k_j"),
        Mistake(_of_the_weight, "you returned the gradient of the weight α_t itself, "
                "α_t (k_t - context); the exercise asks for the gradient of its log, which divides "
                "it by α_t: k_t - context"),
        Mistake(_first_target, "you used target[0] for every row: each row b has its own target; "
                "pick row b's key with keys[torch.arange(B), target]"),
        Mistake(_scaled, scaled_message),
        Mistake(_scaled_weights, scaled_message),
        Mistake(_batch_softmax, "your softmax runs over the batch axis: take it over the keys, "
                "dim=-1, so that each row's weights sum to 1"),
        Mistake(_of_the_scores, "you returned the gradient with respect to the scores, one-hot "
                "minus the weights (B, T); the query's gradient is (B, d): the chain rule "
                "multiplies it by the keys, (B, 1, T) @ (B, T, d)"),
    ]
