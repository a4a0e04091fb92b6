"""Chapter 08's checks, ``check_scaled_dot_product_scores`` and ``check_additive_scores``, on the shared harness."""

import math

import torch

from harness import *  # noqa: F403 - the harness tests, run on SPECS
from harness import CheckSpec
from lib import checks
from lib.checks.ch08 import _additive_cases, _reference_scaled_scores


def scaled_reference(query, keys):
    return torch.bmm(query.unsqueeze(1), keys.transpose(1, 2)).squeeze(1) / math.sqrt(keys.shape[-1])


def _dot(query, keys):
    return (query.unsqueeze(1) * keys).sum(-1)


SCALED_MISTAKES = {
    "not scaled": (_dot, "not scaled"),
    "divided by d": (lambda query, keys: _dot(query, keys) / keys.shape[-1], "you divided by d"),
    "divided by sqrt(T)": (lambda query, keys: _dot(query, keys) / math.sqrt(keys.shape[1]),
                           "square root of the number of keys"),
    "divided by T": (lambda query, keys: _dot(query, keys) / keys.shape[1],
                     "you divided by the number of keys"),
    "multiplied by sqrt(d)": (lambda query, keys: _dot(query, keys) * math.sqrt(keys.shape[-1]),
                              "you multiplied by sqrt(d)"),
    "softmax": (lambda query, keys: torch.softmax(scaled_reference(query, keys), -1),
                "you returned softmax weights"),
    "keys not transposed": (lambda query, keys: torch.bmm(query.unsqueeze(1), keys).squeeze(1)
                            / math.sqrt(keys.shape[-1]), "transpose the keys"),
    "wrong shape": (lambda query, keys: scaled_reference(query, keys).unsqueeze(1), "returned shape"),
}


def additive_reference(query, keys, W_q, W_k, v):  # noqa: N803
    hidden = torch.tanh((query @ W_q.T).unsqueeze(1) + keys @ W_k.T)  # (B, T, a)
    return hidden @ v  # (B, T)


def _parts(query, keys, W_q, W_k):  # noqa: N803
    return (query @ W_q.T).unsqueeze(1), keys @ W_k.T


ADDITIVE_MISTAKES = {
    "no tanh": (lambda query, keys, W_q, W_k, v: sum(_parts(query, keys, W_q, W_k)) @ v,
                "the tanh is missing"),
    "tanh after v": (lambda query, keys, W_q, W_k, v: torch.tanh(sum(_parts(query, keys, W_q, W_k)) @ v),
                     "you applied tanh after the dot product with v"),
    "no v": (lambda query, keys, W_q, W_k, v: torch.tanh(sum(_parts(query, keys, W_q, W_k))).sum(-1),
             "instead of taking its dot product with v"),
    "multiplied": (lambda query, keys, W_q, W_k, v: torch.mul(*_parts(query, keys, W_q, W_k)).sum(-1),
                   "the additive score *adds* them"),
    "multiplied inside tanh": (
        lambda query, keys, W_q, W_k, v: torch.tanh(torch.mul(*_parts(query, keys, W_q, W_k))) @ v,
        "inside the tanh"),
    "weights not transposed": (
        lambda query, keys, W_q, W_k, v: torch.tanh((query @ W_q).unsqueeze(1) + keys @ W_k) @ v,
        "project with query @ W_q.T"),
    "query not unsqueezed": (
        lambda query, keys, W_q, W_k, v: torch.tanh(query @ W_q.T + (keys @ W_k.T).sum(1)) @ v,
        "returned shape"),
}


SPECS = [
    CheckSpec(checks.check_scaled_dot_product_scores, "scaled_dot_product_scores", scaled_reference, SCALED_MISTAKES),
    CheckSpec(checks.check_additive_scores, "additive_scores", additive_reference, ADDITIVE_MISTAKES),
]


def test_scaled_worked_example():
    scores = _reference_scaled_scores(checks.EXAMPLE_08_QUERY, checks.EXAMPLE_08_KEYS)
    assert torch.equal(scores, torch.tensor([[2.0, 1.0, 4.0]]))


def test_mistakes_differ_from_the_reference_on_the_worked_examples():
    """Every known mistake is wrong on the first case, so it is named there, not by chance later."""
    example = {"query": checks.EXAMPLE_08_QUERY, "keys": checks.EXAMPLE_08_KEYS}
    expected = scaled_reference(**example)
    for name, (implementation, _) in SCALED_MISTAKES.items():
        if name in ("keys not transposed", "wrong shape"):
            continue
        assert not torch.allclose(implementation(**example), expected), name
    example = _additive_cases(seed=9)[0]
    expected = additive_reference(**example)
    for name, (implementation, _) in list(ADDITIVE_MISTAKES.items())[:5]:
        assert not torch.allclose(implementation(**example), expected), name
