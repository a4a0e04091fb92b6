"""Chapter 05's checks, ``check_weighted_values`` and ``check_weighted_values_every_step``, on the shared harness."""

import torch

from harness import *  # noqa: F403 - the harness tests, run on SPECS
from harness import CheckSpec
from lib import checks


def weighted_values(weights, values):
    return weights.unsqueeze(-1) * values


def weighted_every_step(weights, values):
    return torch.einsum("blt,btd->bltd", weights, values)


SPECS = [CheckSpec(checks.check_weighted_values_every_step, "weighted_every_step", weighted_every_step, {
    "no step axis on the values": (lambda weights, values: weights.unsqueeze(-1) * values, "values.unsqueeze(1)"),
    "summed": (lambda weights, values: weights @ values, "you summed over the positions"),
    "transposed": (lambda weights, values: weights.transpose(1, 2).unsqueeze(-1) * values.unsqueeze(2),
                   "laid out (B, T, L, d)"),
    "last step only": (lambda weights, values: (weights[:, -1].unsqueeze(-1) * values).unsqueeze(1),
                       "the last step only"),
}), CheckSpec(checks.check_weighted_values, "weighted_values", weighted_values, {
    "summed already": (lambda weights, values: torch.bmm(weights.unsqueeze(1), values),
        "already summed"),
    "another position's weight": (lambda weights, values: values * weights.flip(-1).unsqueeze(-1),
        "another position's weight"),
    "added": (lambda weights, values: values + weights.unsqueeze(-1),
        "you added the weights"),
    "wrong broadcast": (lambda weights, values: values * weights.unsqueeze(1),
        "weights.unsqueeze(-1)"),
})]
