"""Guards that several modules of ``lib`` share: argument checks, and :func:`evaluating`.

Python's ``bool`` is an ``int`` (``True == 1``), so ``isinstance(x, int)`` lets ``heads=True`` or
``causal_mask(True)`` through as 1: a slip (a flag passed where a count belongs) that would run
and give a wrong result instead of an error. :func:`is_int` refuses bools; :func:`require_int`
turns that into the one-sentence error every count and size of ``lib`` gives. The tensor guards
(:func:`require_tensor`, :func:`require_dims`, :func:`require_same_dtype`) read only shapes and
dtypes, host-side metadata, so they cost nothing on a GPU.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import Tensor, nn

__all__ = ["is_int", "is_number", "require_int", "require_tensor", "require_dims", "require_same_dtype",
           "evaluating"]


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


def require_tensor(name: str, value: object) -> Tensor:
    """``value`` if it is a tensor; else a TypeError naming ``name`` and what came instead."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    return value


def require_dims(name: str, value: object, dims: tuple[int, ...], layout: str) -> Tensor:
    """``value``, a tensor with one of ``dims`` axes; else an error that names ``layout``."""
    if require_tensor(name, value).dim() not in dims:
        raise ValueError(f"{name} must have shape {layout}; got {value.dim()}-D shape {tuple(value.shape)}")
    return value


def require_same_dtype(first: str, a: Tensor, second: str, b: Tensor) -> None:
    """Matrix products refuse mixed precisions with a bare RuntimeError; say which and how to fix.

    Under autocast (mixed-precision training on a GPU) PyTorch converts the inputs itself.
    """
    if a.dtype != b.dtype and not torch.is_autocast_enabled(a.device.type):
        raise TypeError(
            f"{first} and {second} must have the same dtype: {first} is {a.dtype}, {second} "
            f"{b.dtype}; convert one, e.g. {second}.to({first}.dtype) (torch.tensor on Python "
            "floats gives float32, NumPy arrays give float64)"
        )
