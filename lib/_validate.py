"""Guards that several modules of ``lib`` share: argument checks, and :func:`evaluating`.

Python's ``bool`` is an ``int`` (``True == 1``), so ``isinstance(x, int)`` lets ``heads=True`` or
``causal_mask(True)`` through as 1: a slip (a flag passed where a count belongs) that would run
and give a wrong result instead of an error. :func:`is_int` refuses bools; :func:`require_int`
turns that into the one-sentence error every count and size of ``lib`` gives.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn

__all__ = ["is_int", "is_number", "require_int", "evaluating"]


@contextmanager
def evaluating(model: nn.Module) -> Iterator[nn.Module]:
    """``model`` in eval mode (no dropout) without autograd for the body, then back in the mode it
    was in: a caller that evaluates in the middle of training gets its training mode back."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield model
    finally:
        model.train(was_training)


def is_int(value: object) -> bool:
    """True for an integer (``int``, a NumPy integer), False for a bool, a float or anything else."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    """True for an int or a float (NaN and infinities included: callers bound them), False for a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def require_int(name: str, value: object, minimum: int, meaning: str = "") -> int:
    """``value`` if it is an int (not a bool) ``>= minimum``; else a ValueError naming both.

    Args:
        name: the argument as its caller spells it (``"heads"``, ``"seed"``).
        meaning: what the number counts, said in the message (``"the number of positions"``).
    """
    if not is_int(value) or value < minimum:  # type: ignore[operator]
        what = f" ({meaning})" if meaning else ""
        raise ValueError(f"{name} must be an int >= {minimum}{what}, got {value!r} "
                         f"({type(value).__name__})")
    return int(value)  # type: ignore[arg-type]
