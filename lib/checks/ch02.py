"""Chapter 02's check: which keys are real (the padding mask)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from .. import data
from .engine import SIZE_ERRORS, Mistake, Rules, check_function

__all__ = ["check_key_mask"]


def _reference_key_mask(lengths: Tensor, src_len: int) -> Tensor:
    return torch.arange(src_len, device=lengths.device).unsqueeze(0) < lengths.unsqueeze(1)


def check_key_mask(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """Chapter 02: ``key_mask(lengths (B,), src_len) -> (B, T)`` bool, True at real tokens."""
    generator = torch.Generator().manual_seed(2)
    # The chapter's batch: "나는 오늘" (2 tokens), "네" (1), "나는 오늘 학교에 간다" (4).
    cases: list[dict[str, object]] = [{"lengths": torch.tensor([2, 1, 4]), "src_len": 4}]
    for batch, src_len in ((4, 6), (3, 9), (6, 5), (2, 7)):
        lengths = torch.randint(1, src_len + 1, (batch,), generator=generator)
        lengths[0] = src_len  # the longest sequence sets the padded length
        lengths[1] = min(lengths[1], src_len - 1)  # and at least one sequence is padded
        cases.append({"lengths": lengths, "src_len": src_len})
    # Batches padded to a fixed length longer than their longest sentence (as a model with a
    # fixed source length pads): the mask has src_len columns, not max(lengths).
    cases += [{"lengths": torch.tensor([2, 1, 3]), "src_len": 5},
              {"lengths": torch.tensor([4, 6, 2, 1]), "src_len": 8}]
    check_function(
        "key_mask", learner, _reference_key_mask, cases,
        mistakes=[
            Mistake(lambda lengths, src_len: _reference_key_mask(lengths, src_len).T,
                    "your mask is laid out (T, B), one row per position; the keys are (B, T, d), so "
                    "the mask is (B, T): one row per sequence (compare a (1, T) row of positions "
                    "with a (B, 1) column of lengths)"),
            Mistake(lambda lengths, src_len: ~_reference_key_mask(lengths, src_len),
                    "your mask is True at the padding; the course's masks are True at the real "
                    "tokens (as in scaled_dot_product_attention) and False at padding"),
            Mistake(lambda lengths, src_len: torch.arange(src_len).unsqueeze(0) <= lengths.unsqueeze(1),
                    "one position too many is marked real: positions count from 0, so a sequence "
                    "of length n has real tokens at 0 .. n - 1 (use <, not <=)"),
            Mistake(lambda lengths, src_len: torch.arange(src_len) < lengths,
                    "you compared positions and lengths element by element: compare a (1, T) row "
                    "of positions, torch.arange(src_len).unsqueeze(0), with a (B, 1) column of "
                    "lengths, lengths.unsqueeze(1); broadcasting gives (B, T)"),
            Mistake(lambda lengths, src_len: torch.ones(len(lengths), src_len, dtype=torch.bool),
                    "every key is marked real: position t of sequence b is padding when "
                    "t >= lengths[b]"),
            Mistake(lambda lengths, src_len: torch.arange(int(lengths.max())).unsqueeze(0) < lengths.unsqueeze(1),
                    "your mask has max(lengths) columns, but a batch may be padded further: use "
                    "src_len positions, torch.arange(src_len), so that the mask lines up with the keys"),
            Mistake(lambda lengths, src_len: torch.arange(src_len).unsqueeze(0) < lengths.unsqueeze(1) - 1,
                    "the last real token is marked as padding: a sequence of length n has real "
                    "tokens at positions 0 .. n - 1 (use t < n)"),
        ],
        error_hints=[(SIZE_ERRORS, "compare a (1, T) row of positions, torch.arange(src_len)"
                      ".unsqueeze(0), with a (B, 1) column of lengths: broadcasting gives (B, T)")],
        boolean="True at a real token, False at padding",
        rules=Rules(answers=(data.source_mask,), answers_hint="compare a row of positions with a column of lengths",
                    no_loop="compare a (1, T) row of positions with a (B, 1) column of lengths: broadcasting "
                            "gives every (b, t) in one comparison"),
        quiet=quiet,
    )
