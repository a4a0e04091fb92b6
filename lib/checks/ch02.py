"""Chapter 02's check: reverse every sentence of a padded batch within its own length."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from .engine import SIZE_ERRORS, Mistake, Rules, check_function

__all__ = ["check_reverse_within_lengths"]


def _reference_reverse(x: Tensor, lengths: Tensor) -> Tensor:
    positions = torch.arange(x.shape[1], device=x.device).unsqueeze(0)  # (1, T)
    n = lengths.unsqueeze(1)  # (B, 1)
    index = torch.where(positions < n, n - 1 - positions, positions)  # (B, T): padding stays put
    return x.gather(1, index.unsqueeze(-1).expand_as(x))


def _reverse_cases(seed: int = 2) -> list[dict[str, Tensor]]:
    """The chapter's batch (lengths 2, 1, 4), padded to T = 5 as a model with a fixed source length pads, with
    numbered vectors, then random batches whose
    padding holds non-zero numbers (so that a changed padding shows), some padded beyond their longest."""
    example = {"x": torch.arange(1.0, 31.0).view(3, 5, 2), "lengths": torch.tensor([2, 1, 4])}  # padded to T = 5
    generator = torch.Generator().manual_seed(seed)
    cases = [example]
    for batch, src_len, hidden, longest in ((4, 6, 3, 6), (3, 9, 2, 7), (5, 5, 4, 5), (2, 8, 3, 5)):
        lengths = torch.randint(1, longest + 1, (batch,), generator=generator)
        lengths[0], lengths[-1] = longest, max(1, longest // 2)  # the longest, and a padded one
        cases.append({"x": torch.randn(batch, src_len, hidden, generator=generator), "lengths": lengths})
    return cases


def _within_longest(x: Tensor, lengths: Tensor) -> Tensor:
    return _reference_reverse(x, torch.full_like(lengths, int(lengths.max())))


def _padding_zeroed(x: Tensor, lengths: Tensor) -> Tensor:
    real = (torch.arange(x.shape[1]).unsqueeze(0) < lengths.unsqueeze(1)).unsqueeze(-1)  # (B, T, 1)
    return _reference_reverse(x, lengths) * real


def check_reverse_within_lengths(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """Chapter 02: ``reverse_within_lengths(x (B, T, d), lengths (B,)) -> (B, T, d)``: position t < n of
    row b takes x[b, n - 1 - t] (n = lengths[b]); the padding t >= n stays as it is."""
    check_function(
        "reverse_within_lengths", learner, _reference_reverse, _reverse_cases(),
        mistakes=[
            Mistake(lambda x, lengths: x.flip(1),
                    "you reversed the whole padded row, so a short sentence starts with its padding; reverse "
                    "only the first lengths[b] positions of row b and leave the padding where it is"),
            Mistake(_within_longest,
                    "you reversed every row within the longest length; each row has its own, lengths[b], "
                    "so build the index from a (B, 1) column of lengths"),
            Mistake(_padding_zeroed,
                    "the padded positions changed (you zeroed them): leave position t >= lengths[b] as it "
                    "was, index t for t itself"),
            Mistake(lambda x, lengths: x.flip(-1),
                    "you reversed the features of every vector (the last axis); reverse the positions, "
                    "the T axis (dim 1), within each sentence"),
            Mistake(lambda x, lengths: x.flip(0),
                    "you reversed the order of the sentences in the batch (dim 0); reverse the positions "
                    "within each sentence, dim 1"),
        ],
        hint="position t < n takes n - 1 - t, and t >= n keeps t: build that (B, T) index with torch.where, "
             "then x.gather(1, index.unsqueeze(-1).expand_as(x))",
        error_hints=[(SIZE_ERRORS + ("Index tensor must have the same number of dimensions",),
                      "gather needs an index with x's shape: index.unsqueeze(-1).expand_as(x), (B, T, d)")],
        rules=Rules(no_loop="build a (B, T) index of source positions at once, from a (1, T) row of "
                            "positions and a (B, 1) column of lengths, and gather with it"),
        quiet=quiet,
    )
