"""Chapter 04's check, ``check_attention_weights``, on the shared harness."""

import torch

from harness import *  # noqa: F403 - the harness tests, run on SPECS
from harness import CheckSpec
from lib import checks


NEG_INF = float("-inf")


def attention_weights(scores, mask):
    scores = scores.masked_fill(~mask, NEG_INF)
    exp = (scores - scores.max(-1, keepdim=True).values).exp()
    return exp / exp.sum(-1, keepdim=True)


SPECS = [CheckSpec(checks.check_attention_weights, "attention_weights", attention_weights, {
    "softmax over the batch axis": (lambda scores, mask: torch.softmax(scores.masked_fill(~mask, NEG_INF), 0),
        "batch axis"),
    "mask ignored": (lambda scores, mask: torch.softmax(scores, -1),
        "mask is ignored"),
    "zeroed after softmax": (lambda scores, mask: torch.softmax(scores, -1) * mask,
        "no longer sum to 1"),
    "not normalised": (lambda scores, mask: scores.masked_fill(~mask, NEG_INF).exp(),
        "not normalised"),
    "padding filled with 0": (lambda scores, mask: torch.softmax(scores.masked_fill(~mask, 0.0), -1),
        "exp(0) = 1"),
    "mask inverted": (lambda scores, mask: torch.softmax(scores.masked_fill(mask, NEG_INF), -1),
        "masked the real tokens"),
    "naive exp overflows": (lambda scores, mask: (lambda e: e / e.sum(-1, keepdim=True))(scores.masked_fill(~mask, NEG_INF).exp()),
        "subtract the maximum"),
})]
