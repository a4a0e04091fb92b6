"""The exercise checks of lib/checks.py (chapters 02-07): each one passes the reference, and
fails with the right learner-facing sentence for the usual wrong implementations.

Every wrong implementation below is a real mistake a learner makes; the test asserts on a
phrase of the message the learner will read, so a check that lets the mistake through, or that
names the wrong mistake, fails here. Nothing is skipped; the whole file runs in about a second.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import torch

from lib import attention, checks
from lib.checks import ExerciseError
from lib.data import source_mask

NEG_INF = float("-inf")


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """The checks run on tensors of a few dozen numbers: a second thread only adds waiting (on a
    busy two-core machine, softmax of a (3, 5) tensor takes ~1000 times longer with two)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# --------------------------------------------------------------------------------------------
# Reference implementations, written as a learner would (not by calling lib.attention).
# --------------------------------------------------------------------------------------------


def ref_key_mask(lengths, src_len):
    return torch.arange(src_len).unsqueeze(0) < lengths.unsqueeze(1)


def ref_scores(query, keys):
    return torch.bmm(query.unsqueeze(1), keys.transpose(1, 2)).squeeze(1)


def ref_weights(scores, mask):
    scores = scores.masked_fill(~mask, NEG_INF)
    exp = (scores - scores.max(-1, keepdim=True).values).exp()
    return exp / exp.sum(-1, keepdim=True)


def ref_weighted(weights, values):
    return weights.unsqueeze(-1) * values


def ref_context(weights, values):
    return torch.einsum("bt,btd->bd", weights, values)


def ref_attend(query, keys, mask):
    weights = ref_weights(ref_scores(query, keys), mask)
    return ref_context(weights, keys), weights


def ref_find_slips(weights, keys, claimed):
    return ~torch.isclose(ref_context(weights, keys), claimed)


CHECKS: dict[str, tuple[Callable, Callable]] = {
    "key_mask": (checks.check_key_mask, ref_key_mask),
    "dot_product_scores": (checks.check_dot_product_scores, ref_scores),
    "attention_weights": (checks.check_attention_weights, ref_weights),
    "weighted_values": (checks.check_weighted_values, ref_weighted),
    "context_vector": (checks.check_context_vector, ref_context),
    "attend": (checks.check_attend, ref_attend),
    "find_slips": (checks.check_find_slips, ref_find_slips),
}


@pytest.mark.parametrize("name", CHECKS)
def test_reference_passes_and_says_so(name, capsys):
    check, reference = CHECKS[name]
    check(reference)
    printed = capsys.readouterr().out
    assert printed.startswith(f"✓ {name} is correct"), printed
    assert "random tests" in printed


@pytest.mark.parametrize("name", CHECKS)
def test_quiet_reference_prints_nothing(name, capsys):
    check, reference = CHECKS[name]
    check(reference, quiet=True)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("name", CHECKS)
def test_lib_reference_passes(name):
    """The lib functions the chapters compare against pass their own checks."""
    def lib_context(weights, values):
        return attention.context_vector(attention.weighted_values(weights, values))

    lib_versions = {
        "key_mask": lambda lengths, src_len: source_mask(lengths, src_len),
        "dot_product_scores": attention.dot_product_scores,
        "attention_weights": attention.attention_weights,
        "weighted_values": attention.weighted_values,
        "context_vector": lib_context,
        "attend": lambda query, keys, mask: attention.attend(query, keys, mask=mask),
        "find_slips": lambda weights, keys, claimed: ~torch.isclose(lib_context(weights, keys), claimed),
    }
    CHECKS[name][0](lib_versions[name], quiet=True)


# --------------------------------------------------------------------------------------------
# Failures every check reports the same way (the student edition, bugs, in-place edits, NaN,
# dtype, type): one per check, with the phrase the learner reads.
# --------------------------------------------------------------------------------------------


def not_implemented(**_):
    raise NotImplementedError()


def fails(check: Callable, learner: object, phrase: str) -> str:
    with pytest.raises(ExerciseError) as caught:
        check(learner, quiet=True)
    message = str(caught.value)
    assert phrase in message, f"expected {phrase!r} in the message, got: {message}"
    assert "\n" not in message, "a check's message is one sentence on one line"
    return message


@pytest.mark.parametrize("name", CHECKS)
def test_student_edition_says_not_implemented(name):
    message = fails(CHECKS[name][0], not_implemented, checks.NOT_IMPLEMENTED)
    assert message.startswith(name)
    assert "raise NotImplementedError()" in message


@pytest.mark.parametrize("name", CHECKS)
def test_not_a_function(name):
    fails(CHECKS[name][0], None, "should be a function")


def _in_place(reference: Callable) -> Callable:
    """The reference, after spoiling its first tensor input in place."""

    def learner(**case):
        result = reference(**{key: (value.clone() if torch.is_tensor(value) else value)
                              for key, value in case.items()})
        first = next(value for value in case.values() if torch.is_tensor(value))
        if first.dtype == torch.bool:
            first.logical_not_()
        else:
            first.add_(1)
        return result

    return learner


@pytest.mark.parametrize("name", CHECKS)
def test_in_place_change_of_an_input(name):
    check, reference = CHECKS[name]
    fails(check, _in_place(reference), "in place")


@pytest.mark.parametrize("name", [n for n in CHECKS if n not in ("attend",)])
def test_returns_a_list(name):
    check, reference = CHECKS[name]
    fails(check, lambda **case: reference(**case).tolist(), "should return a torch.Tensor")


@pytest.mark.parametrize("name", ["dot_product_scores", "attention_weights", "weighted_values",
                                  "context_vector"])
def test_float64_result(name):
    check, reference = CHECKS[name]
    fails(check, lambda **case: reference(**case).double(), "dtype torch.float64")


@pytest.mark.parametrize("name", ["dot_product_scores", "weighted_values", "context_vector"])
def test_nan_result(name):
    check, reference = CHECKS[name]
    fails(check, lambda **case: reference(**case) * float("nan"), "returned NaN")


@pytest.mark.parametrize("name", ["key_mask", "find_slips"])
def test_bool_checks_want_bools(name):
    check, reference = CHECKS[name]
    fails(check, lambda **case: reference(**case).float(), "should return a bool tensor")


def test_learner_bug_is_one_line_not_a_traceback():
    def buggy(query, keys):
        return undefined_name  # noqa: F821

    message = fails(checks.check_dot_product_scores, buggy, "raised NameError on the worked example")
    assert "undefined_name" in message


# --------------------------------------------------------------------------------------------
# Each check's known mistakes: (check, wrong implementation, phrase of its message).
# --------------------------------------------------------------------------------------------

def _positions(src_len):
    return torch.arange(src_len).unsqueeze(0)


MISTAKES = {
    # chapter 02: which keys are real
    "key_mask: (T, B) layout": (
        checks.check_key_mask, lambda lengths, src_len: ref_key_mask(lengths, src_len).T,
        "laid out (T, B)"),
    "key_mask: True at padding": (
        checks.check_key_mask, lambda lengths, src_len: _positions(src_len) >= lengths.unsqueeze(1),
        "True at the padding"),
    "key_mask: <= off by one": (
        checks.check_key_mask, lambda lengths, src_len: _positions(src_len) <= lengths.unsqueeze(1),
        "use <, not <="),
    "key_mask: all True": (
        checks.check_key_mask, lambda lengths, src_len: torch.ones(len(lengths), src_len, dtype=torch.bool),
        "every key is marked real"),
    "key_mask: no broadcasting": (
        checks.check_key_mask, lambda lengths, src_len: torch.arange(src_len) < lengths,
        "broadcasting gives (B, T)"),
    "key_mask: last real token dropped": (
        checks.check_key_mask, lambda lengths, src_len: _positions(src_len) < lengths.unsqueeze(1) - 1,
        "last real token is marked as padding"),
    # chapter 03: scores
    "scores: keys not transposed": (
        checks.check_dot_product_scores, lambda query, keys: torch.bmm(query.unsqueeze(1), keys).squeeze(1),
        "keys.transpose(1, 2)"),
    "scores: summed over positions": (
        checks.check_dot_product_scores, lambda query, keys: (query.unsqueeze(1) * keys).sum(1),
        "summed over the source positions"),
    "scores: not squeezed": (
        checks.check_dot_product_scores, lambda query, keys: query.unsqueeze(1) @ keys.transpose(1, 2),
        "shape (B, 1, T)"),
    "scores: scaled": (
        checks.check_dot_product_scores, lambda query, keys: ref_scores(query, keys) / math.sqrt(keys.shape[-1]),
        "divided by sqrt(d)"),
    "scores: distances": (
        checks.check_dot_product_scores, lambda query, keys: torch.cdist(query.unsqueeze(1), keys).squeeze(1),
        "distances, not dot products"),
    "scores: softmax already": (
        checks.check_dot_product_scores, lambda query, keys: torch.softmax(ref_scores(query, keys), -1),
        "softmax weights"),
    # chapter 04: weights
    "weights: softmax over the batch axis": (
        checks.check_attention_weights,
        lambda scores, mask: torch.softmax(scores.masked_fill(~mask, NEG_INF), 0), "batch axis"),
    "weights: mask ignored": (
        checks.check_attention_weights, lambda scores, mask: torch.softmax(scores, -1), "mask is ignored"),
    "weights: zeroed after softmax": (
        checks.check_attention_weights, lambda scores, mask: torch.softmax(scores, -1) * mask,
        "no longer sum to 1"),
    "weights: not normalised": (
        checks.check_attention_weights, lambda scores, mask: scores.masked_fill(~mask, NEG_INF).exp(),
        "not normalised"),
    "weights: padding filled with 0": (
        checks.check_attention_weights, lambda scores, mask: torch.softmax(scores.masked_fill(~mask, 0.0), -1),
        "exp(0) = 1"),
    "weights: mask inverted": (
        checks.check_attention_weights,
        lambda scores, mask: torch.softmax(scores.masked_fill(mask, NEG_INF), -1), "masked the real tokens"),
    "weights: naive exp overflows": (
        checks.check_attention_weights,
        lambda scores, mask: (lambda e: e / e.sum(-1, keepdim=True))(scores.masked_fill(~mask, NEG_INF).exp()),
        "subtract the maximum"),
    # chapter 05: weighted values
    "weighted: summed already": (
        checks.check_weighted_values, lambda weights, values: torch.bmm(weights.unsqueeze(1), values),
        "already summed"),
    "weighted: another position's weight": (
        checks.check_weighted_values, lambda weights, values: values * weights.flip(-1).unsqueeze(-1),
        "another position's weight"),
    "weighted: added": (
        checks.check_weighted_values, lambda weights, values: values + weights.unsqueeze(-1),
        "you added the weights"),
    "weighted: wrong broadcast": (
        checks.check_weighted_values, lambda weights, values: values * weights.unsqueeze(1),
        "weights.unsqueeze(-1)"),
    # chapter 06: context vector
    "context: equal weights": (
        checks.check_context_vector, lambda weights, values: values.mean(1), "equal weights"),
    "context: summed over d": (
        checks.check_context_vector, lambda weights, values: (weights.unsqueeze(-1) * values).sum(-1),
        "summed over the hidden dimension"),
    "context: divided by T": (
        checks.check_context_vector,
        lambda weights, values: (weights.unsqueeze(-1) * values).sum(1) / values.shape[1],
        "divided by the number of positions"),
    "context: not squeezed": (
        checks.check_context_vector, lambda weights, values: torch.bmm(weights.unsqueeze(1), values),
        "shape (B, 1, d)"),
    "context: weights forgotten": (
        checks.check_context_vector, lambda weights, values: values.sum(1), "without their weights"),
    "context: wrong broadcast": (
        checks.check_context_vector, lambda weights, values: (weights * values).sum(1),
        "line up with the T axis"),
    # chapter 06: find the slip
    "find_slips: exact float comparison": (
        checks.check_find_slips, lambda weights, keys, claimed: ref_context(weights, keys) != claimed,
        "torch.isclose"),
    "find_slips: True where right": (
        checks.check_find_slips,
        lambda weights, keys, claimed: torch.isclose(ref_context(weights, keys), claimed),
        "negate with ~"),
    "find_slips: plain average": (
        checks.check_find_slips, lambda weights, keys, claimed: ~torch.isclose(keys.mean(1), claimed),
        "plain average"),
    "find_slips: one flag per row": (
        checks.check_find_slips,
        lambda weights, keys, claimed: ~torch.isclose(ref_context(weights, keys).sum(-1, keepdim=True),
                                                     claimed.sum(-1, keepdim=True)),
        "entry by entry"),
    "find_slips: weights not broadcast": (
        checks.check_find_slips, lambda weights, keys, claimed: ~torch.isclose((weights * keys).sum(1), claimed),
        "weights.unsqueeze(-1)"),
    # chapter 07: attend
    "attend: mask ignored": (
        checks.check_attend, lambda query, keys, mask: attention.attend(query, keys),
        "padding leaks"),
    "attend: scaled scores": (
        checks.check_attend,
        lambda query, keys, mask: attention.attend(query, keys, mask=mask, score=attention.ScaledDotScore()),
        "scaled by 1/sqrt(d)"),
    "attend: pair swapped": (
        checks.check_attend, lambda query, keys, mask: ref_attend(query, keys, mask)[::-1],
        "return the context first"),
    "attend: context only": (
        checks.check_attend, lambda query, keys, mask: ref_attend(query, keys, mask)[0],
        "should return a pair (context, weights)"),
}


@pytest.mark.parametrize("label", MISTAKES)
def test_known_mistake_is_named(label):
    check, wrong, phrase = MISTAKES[label]
    fails(check, wrong, phrase)


def test_every_check_has_at_least_three_named_mistakes():
    names = {"key_mask": checks.check_key_mask, "scores": checks.check_dot_product_scores,
             "weights": checks.check_attention_weights, "weighted": checks.check_weighted_values,
             "context": checks.check_context_vector, "find_slips": checks.check_find_slips,
             "attend": checks.check_attend}
    for prefix, check in names.items():
        count = sum(1 for label, (c, _, _) in MISTAKES.items() if c is check)
        assert count >= 3, f"{prefix}: only {count} mistakes tested"


def test_unmatched_wrong_values_point_at_the_entry():
    """A wrong result that is no known mistake: the message names the first wrong entry."""
    message = fails(checks.check_context_vector,
                    lambda weights, values: ref_context(weights, values) + 0.5,
                    "returned wrong values on the worked example")
    assert "expected 7.4" in message


# --------------------------------------------------------------------------------------------
# The worked examples of the chapters are what the checks use.
# --------------------------------------------------------------------------------------------


def test_worked_example_is_the_running_example():
    keys, weights = checks.EXAMPLE_KEYS, checks.EXAMPLE_WEIGHTS
    assert keys.shape == (1, 2, 3) and weights.shape == (1, 2)
    assert torch.allclose(0.2 * keys[0, 0], torch.tensor([0.2, 0.4, 1.8]))
    assert torch.allclose(0.8 * keys[0, 1], torch.tensor([7.2, 0.8, 0.8]))
    context = ref_context(weights, keys)
    assert torch.allclose(context, torch.tensor([[7.4, 1.2, 2.6]]))


def test_the_notes_slip_is_found_in_its_third_entry():
    found = ref_find_slips(checks.EXAMPLE_WEIGHTS, checks.EXAMPLE_KEYS, checks.NOTES_CONTEXT)
    assert found.tolist() == [[False, False, True]]
    # The notes' weighted first key has its slip in the same place.
    assert (~torch.isclose(checks.NOTES_WEIGHTED, ref_weighted(checks.EXAMPLE_WEIGHTS, checks.EXAMPLE_KEYS))
            ).tolist() == [[[False, False, True], [False, False, False]]]


def test_slip_cases_catch_exact_comparison_and_have_slips():
    cases = checks.ch06._slip_cases()
    exact_differs = 0
    for case in cases:
        right = ref_find_slips(**case)
        exact = ref_context(case["weights"], case["keys"]) != case["claimed"]
        exact_differs += int((right != exact).any())
        assert torch.allclose(case["weights"].sum(-1), torch.ones(len(case["weights"])))
    assert exact_differs >= 2
    assert all(bool(ref_find_slips(**case).any()) for case in cases[2:])
    assert not bool(ref_find_slips(**cases[1]).any())
