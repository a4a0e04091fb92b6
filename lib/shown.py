"""Show a number the prose quotes, and check it in the same line.

A chapter quotes numbers ("the context is [7.4, 1.2, 2.6]"); each must be computed and checked,
but a page of ``assert`` lines hides the lesson. :func:`show` prints the value a reader should
look at and raises, naming what was expected and what arrived, when it is not that value: one
line instead of a ``print`` and an ``assert``.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import torch

__all__ = ["show"]


def _as_tensor(value: object) -> torch.Tensor | None:
    """``value`` as a float64 tensor when it is a number, a tensor or a (nested) sequence of numbers."""
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", torch.float64)
    if isinstance(value, bool) or isinstance(value, str):
        return None
    if isinstance(value, Sequence) and any(isinstance(item, bool) for item in value):
        return None  # a list of yes/no answers reads best as [True, False], compared exactly
    if isinstance(value, numbers.Real) or (isinstance(value, Sequence) and value):
        try:
            return torch.as_tensor(value, dtype=torch.float64)
        except (TypeError, ValueError, RuntimeError):
            return None
    try:  # NumPy arrays and scalars, without importing NumPy here
        return torch.as_tensor(value.tolist(), dtype=torch.float64)  # type: ignore[attr-defined]
    except (AttributeError, TypeError, ValueError, RuntimeError):
        return None


def _decimals(within: float) -> int:
    """Enough decimals to see a difference of ``within`` (at least 1, at most 6)."""
    decimals = 1
    while decimals < 6 and 10 ** -decimals > within / 2:
        decimals += 1
    return decimals if within > 0 else 4


def show(label: str, value: object, expected: object, within: float = 0.0) -> None:
    """Print ``label: value`` and check that ``value`` is ``expected``.

    Returns None, so that a cell ending with ``show(...)`` prints the line and nothing else (a
    returned value would be shown again, as the cell's result).

    Numbers, tensors and sequences of numbers match when every entry is within ``within``
    (absolute) of ``expected`` and the shapes agree; NaN never matches. Anything else (strings,
    bools, lists of words) must equal ``expected`` exactly.

    Args:
        label: what the value is, as the prose names it (``"context"``).
        value: the computed value.
        expected: the value the prose quotes.
        within: the largest absolute difference allowed per entry (``0.05`` for a number quoted
            to one decimal).

    Raises:
        AssertionError: ``value`` is not ``expected``, with both in the message.
        ValueError: ``within`` is negative or not a finite number.
    """
    if isinstance(within, bool) or not isinstance(within, numbers.Real) or not 0 <= within < float("inf"):
        raise ValueError(f"within must be a finite number >= 0, got {within!r}")
    got, want = _as_tensor(value), _as_tensor(expected)
    if got is not None and want is not None:
        decimals = _decimals(float(within))
        # Whole numbers as ints (600, not 600.0); others rounded to what ``within`` can tell apart.
        whole = bool((torch.isfinite(got) & (got == got.round())).all())
        shown = got.long() if whole else got.round(decimals=decimals)
        text = f"{shown.item():g}" if shown.dim() == 0 and shown.is_floating_point() else (
            str(shown.item()) if shown.dim() == 0 else str(shown.tolist()))
        print(f"{label}: {text}")
        if got.shape != want.shape:
            raise AssertionError(f"{label}: expected shape {tuple(want.shape)}, got {tuple(got.shape)}")
        # Equal entries match (infinities too); NaN equals nothing and is refused.
        if not bool(((got == want) | ((got - want).abs() <= within)).all()):
            raise AssertionError(f"{label}: expected {want.tolist()} (within {within}), got {got.tolist()}")
        return
    print(f"{label}: {value}")
    if value != expected:
        raise AssertionError(f"{label}: expected {expected!r}, got {value!r}")
