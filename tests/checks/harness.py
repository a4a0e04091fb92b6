"""The shared harness every exercise check must pass, and the helpers its tests use.

A ``tests/checks/test_chNN.py`` module lists its checks as ``SPECS``: each a :class:`CheckSpec`
with a correct implementation written as a learner would (never by calling ``lib``) and at least
three known mistakes, each with the phrase of the message the learner must read. The harness
tests below, imported into every module by ``from harness import *``, run on each spec
(``conftest.py`` parametrizes them): the reference passes and says so, quietly when asked; the
student edition's stub says "is not implemented yet"; an in-place edit of an input (of a check
whose inputs include a tensor), a result that is not a tensor, and (for float results) float64
and NaN are each rejected; and every mistake is named with its phrase.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
import torch

from lib import checks
from lib.checks import ExerciseError

__all__ = [
    "CheckSpec", "fails", "test_reference_passes_and_says_so", "test_quiet_reference_prints_nothing",
    "test_not_implemented", "test_not_a_function", "test_in_place_edit_is_rejected",
    "test_result_that_is_not_a_tensor", "test_float64_result", "test_nan_result", "test_known_mistake_is_named",
]


@dataclass(frozen=True)
class CheckSpec:
    """One check under test.

    Attributes:
        check: the ``lib.checks`` function.
        name: the learner's function name, as the check's messages start.
        reference: a correct implementation, written as a learner would.
        mistakes: ``label -> (wrong implementation, phrase its message must contain)``.
        result: ``"float"``, ``"bool"`` or ``"pair"`` (a (context, weights) tuple).
        tensor_inputs: False for a function of ints only (``causal_mask(length)``), which has
            no input to edit in place.
    """

    check: Callable[..., None]
    name: str
    reference: Callable[..., object]
    mistakes: dict[str, tuple[Callable[..., object], str]] = field(default_factory=dict)
    result: str = "float"
    tensor_inputs: bool = True

    def __str__(self) -> str:
        return self.name


def fails(check: Callable[..., None], learner: object, phrase: str) -> str:
    """Run ``check`` on ``learner``; it must raise one line containing ``phrase``."""
    with pytest.raises(ExerciseError) as caught:
        check(learner, quiet=True)
    message = str(caught.value)
    assert phrase in message, f"expected {phrase!r} in the message, got: {message}"
    assert "\n" not in message, "a check's message is one sentence on one line"
    return message


def test_reference_passes_and_says_so(spec: CheckSpec, capsys: pytest.CaptureFixture[str]) -> None:
    spec.check(spec.reference)
    printed = capsys.readouterr().out
    assert printed.startswith(f"✓ {spec.name} is correct") and "random tests" in printed, printed


def test_quiet_reference_prints_nothing(spec: CheckSpec, capsys: pytest.CaptureFixture[str]) -> None:
    spec.check(spec.reference, quiet=True)
    assert capsys.readouterr().out == ""


def test_not_implemented(spec: CheckSpec) -> None:
    def stub(**_: object) -> object:
        raise NotImplementedError()  # the student edition's stub

    message = fails(spec.check, stub, checks.NOT_IMPLEMENTED)
    assert message.startswith(spec.name) and "raise NotImplementedError()" in message


def test_not_a_function(spec: CheckSpec) -> None:
    fails(spec.check, None, "should be a function")


def test_in_place_edit_is_rejected(spec: CheckSpec) -> None:
    spoiled = []

    def spoils_its_input(**case: object) -> object:
        result = spec.reference(**{k: v.clone() if torch.is_tensor(v) else v for k, v in case.items()})
        tensors = [value for value in case.values() if torch.is_tensor(value)]
        if tensors:
            tensors[0].logical_not_() if tensors[0].dtype == torch.bool else tensors[0].add_(1)
        spoiled.append(bool(tensors))
        return result

    if spec.tensor_inputs:
        fails(spec.check, spoils_its_input, "in place")
    else:  # only ints go in (a length, a width): nothing can be edited in place, and no case has a tensor
        spec.check(spoils_its_input, quiet=True)
        assert spoiled and not any(spoiled), "a case passes a tensor: set tensor_inputs=True"


def test_result_that_is_not_a_tensor(spec: CheckSpec) -> None:
    if spec.result == "pair":
        fails(spec.check, lambda **case: spec.reference(**case)[0], "should return a pair")
    else:
        fails(spec.check, lambda **case: spec.reference(**case).tolist(), "should return a torch.Tensor")


def test_float64_result(spec: CheckSpec) -> None:
    if spec.result == "bool":
        fails(spec.check, lambda **case: spec.reference(**case).float(), "should return a bool tensor")
    elif spec.result == "pair":
        fails(spec.check, lambda **case: tuple(r.double() for r in spec.reference(**case)), "dtype torch.float64")
    else:
        fails(spec.check, lambda **case: spec.reference(**case).double(), "dtype torch.float64")


def test_nan_result(spec: CheckSpec) -> None:
    nan = float("nan")
    if spec.result == "bool":  # a bool tensor holds no NaN: a float one with NaN is refused as not bool
        fails(spec.check, lambda **case: spec.reference(**case).float() * nan, "should return a bool tensor")
    elif spec.result == "pair":
        fails(spec.check, lambda **case: tuple(r * nan for r in spec.reference(**case)), "returned NaN")
    else:
        fails(spec.check, lambda **case: spec.reference(**case) * nan, "returned NaN")


def test_known_mistake_is_named(spec: CheckSpec, mistake: str) -> None:
    wrong, phrase = spec.mistakes[mistake]
    assert fails(spec.check, wrong, phrase).startswith(spec.name)
