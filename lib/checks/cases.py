"""The inputs the checks of chapters 02-07 share: the running example, then random batches."""

from __future__ import annotations


import torch
from torch import Tensor

__all__ = ["EXAMPLE_KEYS", "EXAMPLE_WEIGHTS", "EXAMPLE_QUERY", "random_batches", "cases_with"]

#: The running example: two keys ("나는", "오늘") and weights 0.2 / 0.8.
EXAMPLE_KEYS = torch.tensor([[[1.0, 2.0, 9.0], [9.0, 1.0, 1.0]]])  # (1, 2, 3)
EXAMPLE_WEIGHTS = torch.tensor([[0.2, 0.8]])  # (1, 2)
EXAMPLE_QUERY = torch.tensor([[1.0, 0.0, 0.5]])  # (1, 3)


def random_batches(count: int = 5, seed: int = 0) -> list[dict[str, Tensor]]:
    """Random query (B, d), keys (B, T, d), a padding mask (B, T) with >= 1 real key a row,
    scores (B, T) and weights (B, T)."""
    generator = torch.Generator().manual_seed(seed)
    batches = []
    for _ in range(count):
        batch, src_len, hidden = (int(torch.randint(2, 6, (1,), generator=generator)) for _ in range(3))
        src_len += 2
        lengths = torch.randint(1, src_len + 1, (batch,), generator=generator)
        lengths[0] = src_len  # at least one row without padding
        batches.append({
            "query": torch.randn(batch, hidden, generator=generator),
            "keys": torch.randn(batch, src_len, hidden, generator=generator),
            "mask": torch.arange(src_len).unsqueeze(0) < lengths.unsqueeze(1),
            "scores": 3 * torch.randn(batch, src_len, generator=generator),
            "weights": torch.softmax(torch.randn(batch, src_len, generator=generator), -1),
        })
    return batches


def cases_with(example: dict[str, Tensor], seed: int, **renamed: str) -> list[dict[str, Tensor]]:
    """``example`` first, then random batches holding the same arguments.

    ``renamed`` maps an argument to the random batch's field it takes (``values="keys"``).
    """
    fields = {argument: renamed.get(argument, argument) for argument in example}
    return [example] + [{arg: batch[field] for arg, field in fields.items()}
                        for batch in random_batches(seed=seed)]
