"""Chapter 03's checks, ``check_dot_product_scores`` and ``check_general_scores``, on the shared harness."""

import math

import torch

from harness import *  # noqa: F403 - the harness tests, run on SPECS
from harness import CheckSpec
from lib import checks


def dot_product_scores(query, keys):
    return torch.bmm(query.unsqueeze(1), keys.transpose(1, 2)).squeeze(1)


def general_scores(query, keys, W):  # noqa: N803
    return torch.einsum("bq,qk,btk->bt", query, W, keys)


SPECS = [CheckSpec(checks.check_general_scores, "general_scores", general_scores, {
    "W transposed": (lambda query, keys, W: dot_product_scores(query @ W.T, keys), "W transposed"),
    "W missing": (lambda query, keys, W: dot_product_scores(query, keys), "W is missing"),
    "not squeezed": (lambda query, keys, W: (query @ W).unsqueeze(1) @ keys.transpose(1, 2), "shape (B, 1, T)"),
    "softmax": (lambda query, keys, W: torch.softmax(general_scores(query, keys, W), -1), "softmax weights"),
}), CheckSpec(checks.check_dot_product_scores, "dot_product_scores", dot_product_scores, {
    "keys not transposed": (lambda query, keys: torch.bmm(query.unsqueeze(1), keys).squeeze(1),
        "keys.transpose(1, 2)"),
    "summed over positions": (lambda query, keys: (query.unsqueeze(1) * keys).sum(1),
        "summed over the source positions"),
    "not squeezed": (lambda query, keys: query.unsqueeze(1) @ keys.transpose(1, 2),
        "shape (B, 1, T)"),
    "scaled": (lambda query, keys: dot_product_scores(query, keys) / math.sqrt(keys.shape[-1]),
        "divided by sqrt(d)"),
    "distances": (lambda query, keys: torch.cdist(query.unsqueeze(1), keys).squeeze(1),
        "distances, not dot products"),
    "softmax already": (lambda query, keys: torch.softmax(dot_product_scores(query, keys), -1),
        "softmax weights"),
})]
