"""Chapter 07's check: ``attend``, steps 2-5 in one function."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from .. import attention
from .cases import EXAMPLE_KEYS, EXAMPLE_QUERY, cases_with
from .engine import ExerciseError, Mistake, check_function, describe

__all__ = ["check_attend"]


def check_attend(learner: Callable[..., tuple[Tensor, Tensor]], *, quiet: bool = False) -> None:
    """Chapter 07: ``attend(query (B, d), keys (B, T, d), mask (B, T)) -> context (B, d)``.

    The learner's function returns ``(context, weights)``; both are checked.
    """
    if not callable(learner):
        raise ExerciseError(f"attend should be a function, but it is {describe(learner)}")
    example = {"query": EXAMPLE_QUERY, "keys": EXAMPLE_KEYS, "mask": torch.ones(1, 2, dtype=torch.bool)}
    cases = cases_with(example, seed=7)
    for part, index in (("context", 0), ("weights", 1)):
        check_function(
            f"attend (its {part})",
            lambda index=index, **case: _pick(learner(**case), index, "attend"),
            lambda query, keys, mask, index=index: attention.attend(query, keys, mask=mask)[index],
            cases,
            mistakes=[
                Mistake(lambda query, keys, mask, index=index:
                        attention.attend(query, keys)[index],
                        "padding leaks into the result: pass the mask to the softmax step"),
                Mistake(lambda query, keys, mask, index=index:
                        attention.attend(query, keys, mask=mask, score=attention.ScaledDotScore())[index],
                        "your scores are scaled by 1/sqrt(d); this model uses the plain dot product"),
                Mistake(lambda query, keys, mask, index=index:
                        attention.attend(query, keys, mask=mask)[1 - index],
                        "you returned (weights, context): return the context first, then the weights"),
            ],
            quiet=True,
        )
    if not quiet:
        print(f"✓ attend is correct: context and weights match the reference on the worked "
              f"example and {len(cases) - 1} random tests.")


def _pick(result: object, index: int, name: str) -> object:
    if not isinstance(result, tuple) or len(result) != 2:
        raise ExerciseError(f"{name} should return a pair (context, weights), got {describe(result)}")
    return result[index]
