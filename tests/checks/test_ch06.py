"""Chapter 06's checks, ``check_context_vector`` and ``check_find_slips``, on the shared harness."""

import torch

from harness import *  # noqa: F403 - the harness tests, run on SPECS
from harness import CheckSpec, fails
from lib import checks
from lib.checks.ch06 import _slip_cases


def context_vector(weights, values):
    return torch.einsum("bt,btd->bd", weights, values)


def find_slips(weights, keys, claimed):
    return ~torch.isclose(context_vector(weights, keys), claimed)


SPECS = [
    CheckSpec(checks.check_context_vector, "context_vector", context_vector, {
        "equal weights": (lambda weights, values: values.mean(1),
            "equal weights"),
        "summed over d": (lambda weights, values: (weights.unsqueeze(-1) * values).sum(-1),
            "summed over the hidden dimension"),
        "divided by T": (lambda weights, values: (weights.unsqueeze(-1) * values).sum(1) / values.shape[1],
            "divided by the number of positions"),
        "not squeezed": (lambda weights, values: torch.bmm(weights.unsqueeze(1), values),
            "shape (B, 1, d)"),
        "weights forgotten": (lambda weights, values: values.sum(1),
            "without their weights"),
        "wrong broadcast": (lambda weights, values: (weights * values).sum(1),
            "line up with the T axis"),
    }),
    CheckSpec(checks.check_find_slips, "find_slips", find_slips, {
        "exact float comparison": (lambda weights, keys, claimed: context_vector(weights, keys) != claimed,
            "torch.isclose"),
        "True where right": (lambda weights, keys, claimed: torch.isclose(context_vector(weights, keys), claimed),
            "negate with ~"),
        "plain average": (lambda weights, keys, claimed: ~torch.isclose(keys.mean(1), claimed),
            "plain average"),
        "one flag per row": (lambda weights, keys, claimed: ~torch.isclose(context_vector(weights, keys).sum(-1, keepdim=True), claimed.sum(-1, keepdim=True)),
            "entry by entry"),
        "weights not broadcast": (lambda weights, keys, claimed: ~torch.isclose((weights * keys).sum(1), claimed),
            "weights.unsqueeze(-1)"),
    }, result="bool"),
]


def test_unmatched_wrong_values_point_at_the_entry():
    """A wrong result that is no known mistake: the message names the first wrong entry."""
    message = fails(checks.check_context_vector, lambda weights, values: context_vector(weights, values) + 0.5,
                    "returned wrong values on the worked example")
    assert "expected 7.4" in message


def test_worked_example_is_the_running_example():
    keys, weights = checks.EXAMPLE_KEYS, checks.EXAMPLE_WEIGHTS
    assert keys.shape == (1, 2, 3) and weights.shape == (1, 2)
    assert torch.allclose(0.2 * keys[0, 0], torch.tensor([0.2, 0.4, 1.8]))
    assert torch.allclose(0.8 * keys[0, 1], torch.tensor([7.2, 0.8, 0.8]))
    assert torch.allclose(context_vector(weights, keys), torch.tensor([[7.4, 1.2, 2.6]]))


def test_the_notes_slip_is_found_in_its_third_entry():
    found = find_slips(checks.EXAMPLE_WEIGHTS, checks.EXAMPLE_KEYS, checks.NOTES_CONTEXT)
    assert found.tolist() == [[False, False, True]]
    # The notes' weighted first key has its slip in the same place.
    weighted = checks.EXAMPLE_WEIGHTS.unsqueeze(-1) * checks.EXAMPLE_KEYS
    assert (~torch.isclose(checks.NOTES_WEIGHTED, weighted)).tolist() == [[[False, False, True], [False, False, False]]]


def test_slip_cases_catch_exact_comparison_and_have_slips():
    cases = _slip_cases()
    exact_differs = 0
    for case in cases:
        right = find_slips(**case)
        exact = context_vector(case["weights"], case["keys"]) != case["claimed"]
        exact_differs += int((right != exact).any())
        assert torch.allclose(case["weights"].sum(-1), torch.ones(len(case["weights"])))
    assert exact_differs >= 2
    assert all(bool(find_slips(**case).any()) for case in cases[2:])
    assert not bool(find_slips(**cases[1]).any())
