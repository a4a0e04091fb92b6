"""Chapter 07's check, ``check_attend``, on the shared harness."""

import torch

from harness import *  # noqa: F403 - the harness tests, run on SPECS
from harness import CheckSpec
from lib import attention, checks


def attend(query, keys, mask):
    scores = torch.bmm(query.unsqueeze(1), keys.transpose(1, 2)).squeeze(1).masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, -1)
    return torch.einsum("bt,btd->bd", weights, keys), weights


SPECS = [CheckSpec(checks.check_attend, "attend", attend, {
    "mask ignored": (lambda query, keys, mask: attention.attend(query, keys),
        "padding leaks"),
    "scaled scores": (lambda query, keys, mask: attention.attend(query, keys, mask=mask, score=attention.ScaledDotScore()),
        "scaled by 1/sqrt(d)"),
    "pair swapped": (lambda query, keys, mask: attend(query, keys, mask)[::-1],
        "return the context first"),
    "context only": (lambda query, keys, mask: attend(query, keys, mask)[0],
        "should return a pair (context, weights)"),
}, result="pair")]
