"""Chapter 03's check, ``check_dot_product_scores``, on the shared harness."""

import math

import torch

from harness import *  # noqa: F403 - the harness tests, run on SPECS
from harness import CheckSpec
from lib import checks


def dot_product_scores(query, keys):
    return torch.bmm(query.unsqueeze(1), keys.transpose(1, 2)).squeeze(1)


SPECS = [CheckSpec(checks.check_dot_product_scores, "dot_product_scores", dot_product_scores, {
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
