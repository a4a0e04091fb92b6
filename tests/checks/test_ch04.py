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
    "zeroed after softmax, then renormalised": (lambda scores, mask: (lambda w: w / w.sum(-1, keepdim=True))(torch.softmax(scores, -1) * mask),
        "zeroed the padding and renormalised"),
})]


def test_renormalising_after_the_softmax_breaks_on_very_negative_scores():
    scores = torch.tensor([[-1e4, -9999.0, 0.0], [-100.0, -101.0, 0.0]])
    mask = torch.tensor([[True, True, False], [True, True, False]])
    right = attention_weights(scores, mask)
    renormalised = torch.softmax(scores, -1) * mask
    renormalised = renormalised / renormalised.sum(-1, keepdim=True)
    assert torch.isnan(renormalised[0]).all() and not torch.isnan(right).any()
    assert (renormalised[1] - right[1]).abs().max() > 1e-3  # float32 subnormals: rounded weights
