"""Chapter 05's check, ``check_weighted_values``, on the shared harness."""

import torch

from harness import *  # noqa: F403 - the harness tests, run on SPECS
from harness import CheckSpec
from lib import checks


def weighted_values(weights, values):
    return weights.unsqueeze(-1) * values


SPECS = [CheckSpec(checks.check_weighted_values, "weighted_values", weighted_values, {
    "summed already": (lambda weights, values: torch.bmm(weights.unsqueeze(1), values),
        "already summed"),
    "another position's weight": (lambda weights, values: values * weights.flip(-1).unsqueeze(-1),
        "another position's weight"),
    "added": (lambda weights, values: values + weights.unsqueeze(-1),
        "you added the weights"),
    "wrong broadcast": (lambda weights, values: values * weights.unsqueeze(1),
        "weights.unsqueeze(-1)"),
})]
