"""lib.shown.show: prints the value, passes on a match, names both sides on a miss."""

import math

import numpy as np
import pytest
import torch

from lib.shown import show


def test_show_prints_the_value_when_it_matches_and_returns_nothing(capsys):
    """Nothing returned: a cell that ends with show(...) shows its line once, not the value again."""
    assert show("context", torch.tensor([7.4, 1.2, 2.6]), [7.4, 1.2, 2.6], within=0.05) is None
    assert show("ratio", math.exp(4.0), 54.6, within=0.05) is None
    assert show("word", "today", "today") is None
    assert show("numpy", np.float32(0.5), 0.5) is None
    show("divided by zero", torch.tensor([1.0, -1.0]) / 0.0, [math.inf, -math.inf])
    show("sentences", [600, 120], [600, 120])
    show("steps", 18, 18)
    assert capsys.readouterr().out.splitlines() == [
        "context: [7.4, 1.2, 2.6]", "ratio: 54.6", "word: today", "numpy: 0.5", "divided by zero: [inf, -inf]",
        "sentences: [600, 120]", "steps: 18"]


@pytest.mark.parametrize("value, expected, within, message", [
    (torch.tensor([7.4, 1.2]), [7.4, 1.2, 2.6], 0.05, "expected shape (3,), got (2,)"),
    (float("nan"), 1.0, 10.0, "got nan"),
    (0.2, 0.8, 0.05, "expected 0.8 (within 0.05), got 0.2"),
    ("tomorrow", "today", 0.0, "expected 'today', got 'tomorrow'"),
])
def test_show_names_what_was_expected_and_what_arrived(value, expected, within, message):
    with pytest.raises(AssertionError, match="x: .*" + message.replace("(", r"\(").replace(")", r"\)")):
        show("x", value, expected, within=within)


@pytest.mark.parametrize("within", [-0.1, float("inf"), float("nan"), True, "0.1"])
def test_show_refuses_a_tolerance_that_is_not_a_finite_number(within):
    with pytest.raises(ValueError, match="within must be a finite number >= 0"):
        show("x", 1.0, 1.0, within=within)
