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
        "tolerance of 0.1": (lambda weights, keys, claimed: (context_vector(weights, keys) - claimed).abs() > 0.1,
            "tolerance is too loose"),
        "isclose with atol=0.1": (lambda weights, keys, claimed: ~torch.isclose(context_vector(weights, keys), claimed, atol=0.1),
            "tolerance is too loose"),
        "rounded to whole numbers": (lambda weights, keys, claimed: context_vector(weights, keys).round() != claimed.round(),
            "rounded to whole numbers"),
        "rounded to one decimal": (lambda weights, keys, claimed: context_vector(weights, keys).round(decimals=1) != claimed.round(decimals=1),
            "rounded to one decimal"),
        "computed rounded to one decimal": (lambda weights, keys, claimed: context_vector(weights, keys).round(decimals=1) != claimed,
            "torch.isclose"),
        "tolerance of 0.05": (lambda weights, keys, claimed: (context_vector(weights, keys) - claimed).abs() > 0.05,
            "slip of exactly 0.1 (or 0.01"),
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


def test_edge_cases_have_slips_of_exactly_a_tenth_and_a_hundredth_and_unrepresentable_right_claims():
    from lib.checks.ch06 import _edge_slip_cases

    tenth, hundredth = _edge_slip_cases(60)
    for case, slip in ((tenth, 0.1), (hundredth, 0.01)):
        exact = (case["weights"].double().unsqueeze(-1) * case["keys"].double()).sum(1)
        gaps = (case["claimed"].double() - exact).abs()
        assert torch.allclose(gaps[gaps > 1e-4], torch.tensor(slip, dtype=torch.float64), atol=1e-5)
        assert find_slips(**case).sum() == (gaps > 1e-4).sum() > 0
    # Right claims in hundredths that float32 cannot hold: 1.85, 4.55, ...
    exact = (hundredth["weights"].double().unsqueeze(-1) * hundredth["keys"].double()).sum(1)
    assert (hundredth["claimed"][:, :-1].double() != exact[:, :-1]).float().mean() > 0.5
    claims = [case["claimed"] for case in _slip_cases()]
    for edge in (tenth, hundredth):  # both are among the check's cases
        assert any(c.shape == edge["claimed"].shape and torch.equal(c, edge["claimed"]) for c in claims)
