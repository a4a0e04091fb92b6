"""Chapter 08's checks, ``check_additive_scores`` and ``check_query_gradient``, on the shared harness."""

import math

import torch

from harness import *  # noqa: F403 - the harness tests, run on SPECS
from harness import CheckSpec, fails
from lib import checks
from lib.checks.ch08 import _additive_cases, _query_gradient_cases, _reference_query_gradient


def _dot(query, keys):
    return (query.unsqueeze(1) * keys).sum(-1)


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


def _weights(query, keys, scale=1.0, dim=-1):
    return torch.softmax(_dot(query, keys) / scale, dim=dim)  # (B, T)


def _context(weights, keys):
    return torch.bmm(weights.unsqueeze(1), keys).squeeze(1)  # (B, 1, T) @ (B, T, d) -> (B, d)


def _target_keys(keys, target):
    return keys[torch.arange(keys.shape[0]), target]  # (B, d)


def query_gradient(query, keys, target):
    """The closed form: the target key minus the context."""
    return _target_keys(keys, target) - _context(_weights(query, keys), keys)


def _weight_times_gradient(query, keys, target):
    weights = _weights(query, keys)
    return weights[torch.arange(keys.shape[0]), target].unsqueeze(1) * query_gradient(query, keys, target)


def _scaled_gradient(query, keys, target):
    root_d = math.sqrt(keys.shape[-1])
    return (_target_keys(keys, target) - _context(_weights(query, keys, root_d), keys)) / root_d


def _one_hot(target, size):
    return (torch.arange(size) == target.unsqueeze(1)).float()  # (B, size)


GRADIENT_MISTAKES = {
    "target key alone": (lambda query, keys, target: _target_keys(keys, target), "the target key alone"),
    "sign flipped": (lambda query, keys, target: -query_gradient(query, keys, target), "points the wrong way"),
    "plain mean": (lambda query, keys, target: _target_keys(keys, target) - keys.mean(1),
                   "the plain mean of the keys"),
    "gradient of the weight": (_weight_times_gradient, "the gradient of the weight α_t itself"),
    "target[0] for every row": (lambda query, keys, target: keys[:, target[0]] - _context(_weights(query, keys), keys),
                                "you used target[0] for every row"),
    "scaled score": (_scaled_gradient, "you used the scaled score"),
    "scaled weights, unscaled key": (
        lambda query, keys, target: _target_keys(keys, target)
        - _context(_weights(query, keys, math.sqrt(keys.shape[-1])), keys), "you used the scaled score"),
    "softmax over the batch": (
        lambda query, keys, target: _target_keys(keys, target) - _context(_weights(query, keys, dim=0), keys),
        "over the batch axis"),
    "gradient of the scores": (lambda query, keys, target: _one_hot(target, keys.shape[1]) - _weights(query, keys),
                               "with respect to the scores"),
    "keys[target]": (lambda query, keys, target: keys[target] - _context(_weights(query, keys), keys).unsqueeze(1),
                     "keys[target] indexes the batch axis"),
    "context of the wrong axis": (
        lambda query, keys, target: _target_keys(keys, target) - (_weights(query, keys).unsqueeze(1) * keys).sum(1),
        "(weights.unsqueeze(-1) * keys).sum(1)"),
}


SPECS = [
    CheckSpec(checks.check_additive_scores, "additive_scores", additive_reference, ADDITIVE_MISTAKES),
    CheckSpec(checks.check_query_gradient, "query_gradient", query_gradient, GRADIENT_MISTAKES),
]


def test_mistakes_differ_from_the_reference_on_the_worked_examples():
    """Every known mistake is wrong on the first case, so it is named there, not by chance later."""
    example = _additive_cases(seed=9)[0]
    expected = additive_reference(**example)
    for name, (implementation, _) in list(ADDITIVE_MISTAKES.items())[:5]:
        assert not torch.allclose(implementation(**example), expected), name


def test_query_gradient_worked_example_and_cases():
    """The exercise's numbers; the autograd reference is the closed form; the cases reach every mix-up."""
    example = {"query": checks.EXAMPLE_08_QUERY, "keys": checks.EXAMPLE_08_KEYS, "target": checks.EXAMPLE_08_TARGET}
    gradient = _reference_query_gradient(**example)
    assert gradient.dtype == torch.float32 and gradient.shape == (1, 4)
    assert [f"{x:.2f}" for x in gradient[0].tolist()] == ["-1.02", "2.00", "-1.94", "-1.02"]
    keys = checks.EXAMPLE_08_KEYS[0]
    assert torch.allclose(gradient[0], keys[1] - keys[2], atol=0.07)  # close to k_2 - k_3: k_3 holds 0.98
    cases = _query_gradient_cases(seed=18)
    for case in cases:
        assert torch.allclose(_reference_query_gradient(**case), query_gradient(**case), atol=1e-6)
        assert case["target"].dtype == torch.int64 and case["keys"].shape[1] != case["keys"].shape[2]
    assert all(case["keys"].shape[0] > 1 and case["target"][0] != case["target"][1] for case in cases[1:])
    assert any(case["keys"].shape[0] == case["keys"].shape[1] for case in cases)  # T == B
    for name, (implementation, _) in GRADIENT_MISTAKES.items():  # wrong on the worked example already
        if name not in ("target[0] for every row", "keys[target]", "context of the wrong axis"):
            wrong = implementation(**example)
            assert wrong.shape != gradient.shape or not torch.allclose(wrong, gradient), name


def test_query_gradient_hint_for_an_unknown_mistake():
    message = fails(checks.check_query_gradient,
                    lambda query, keys, target: 2 * query_gradient(query, keys, target), "wrong values")
    assert "differentiate log α_t" in message
