"""Chapter 10's checks: the causal mask, splitting into heads, sinusoidal position encodings.

The references are :mod:`lib.transformer`'s own functions, so the exercises and the chapter's
model agree by construction.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from .. import transformer
from .engine import Mistake, Rules, check_function

__all__ = ["check_causal_mask", "check_split_heads", "check_sinusoidal_positions"]


def _ones(length: int) -> Tensor:
    return torch.ones(length, length, dtype=torch.bool)


def check_causal_mask(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """Chapter 10: ``causal_mask(length) -> (length, length)`` bool, True where row i may see column j <= i."""
    check_function(
        "causal_mask", learner, transformer.causal_mask,
        [{"length": 4}, {"length": 1}, {"length": 2}, {"length": 7}],
        mistakes=[
            Mistake(lambda length: _ones(length).triu(),
                    "you kept the upper triangle: row i may then see the future positions j > i and "
                    "nothing before it; keep j <= i, the lower triangle (torch.tril)"),
            Mistake(lambda length: _ones(length).tril(-1),
                    "the diagonal is False, so a position cannot see itself (and row 0 sees nothing "
                    "at all); use torch.tril with diagonal=0"),
            Mistake(lambda length: _ones(length).triu(1),
                    "you returned PyTorch's convention (True = hidden, as nn.Transformer's tgt_mask); "
                    "this course's masks are True where attending is allowed: negate it"),
            Mistake(lambda length: _ones(length),
                    "every position may see every other: nothing is masked, the future leaks"),
        ],
        hint="Row i (a query) should be True in columns 0 to i and False after",
        boolean="True where query row i may attend to key column j",
        rules=Rules(answers=(transformer.causal_mask,), answers_hint="build it with torch.tril or by comparing "
                    "a row of positions with a column"),
        quiet=quiet,
    )


def _split_cases(seed: int = 10) -> list[dict[str, object]]:
    """The worked example ``x = 0 ... 23`` as ``(1, 3, 8)`` in 2 heads, then random batches."""
    generator = torch.Generator().manual_seed(seed)
    cases: list[dict[str, object]] = [{"x": torch.arange(24, dtype=torch.float32).reshape(1, 3, 8), "heads": 2}]
    for batch, length, heads, d_head in ((2, 5, 4, 3), (3, 6, 2, 4), (1, 4, 8, 2), (2, 7, 3, 5)):
        cases.append({"x": torch.randn(batch, length, heads * d_head, generator=generator), "heads": heads})
    return cases


def check_split_heads(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """Chapter 10: ``split_heads(x (B, T, d), heads) -> (B, h, T, d/h)``; head i holds features
    i*d/h to (i+1)*d/h."""
    check_function(
        "split_heads", learner, transformer.split_heads, _split_cases(),
        mistakes=[
            Mistake(lambda x, heads: x.reshape(x.shape[0], x.shape[1], heads, x.shape[2] // heads),
                    "you returned (B, T, h, d/h): the head axis must come before the time axis; "
                    "transpose axes 1 and 2 after the reshape"),
            Mistake(lambda x, heads: x.reshape(x.shape[0], heads, x.shape[1], x.shape[2] // heads),
                    "a reshape straight to (B, h, T, d/h) mixes tokens: each head gets pieces of "
                    "several tokens; reshape to (B, T, h, d/h) first, then transpose(1, 2)"),
            Mistake(lambda x, heads: x.reshape(x.shape[0], x.shape[1], x.shape[2] // heads, heads)
                    .permute(0, 3, 1, 2),
                    "your heads take every h-th feature (interleaved); each head should take a "
                    "contiguous slice of d/h features: reshape to (B, T, h, d/h), not (B, T, d/h, h)"),
            Mistake(lambda x, heads: transformer.split_heads(x, heads).reshape(-1, x.shape[1], x.shape[2] // heads),
                    "you returned (B*h, T, d/h): keep the batch and head axes apart, (B, h, T, d/h)"),
        ],
        hint="Head i should hold features i*d/h to (i+1)*d/h of every token, in token order",
        rules=Rules(answers=(transformer.split_heads, transformer.multi_head_attention),
                    answers_hint="one reshape and one transpose do it"),
        quiet=quiet,
    )


def _angles(length: int, d_model: int, *, start: int = 0, step: int = 2) -> Tensor:
    """``(length, d_model / 2)``: position ``p`` over ``10000^(step*i/(2d))`` (``step=2``: the paper's)."""
    positions = torch.arange(start, start + length, dtype=torch.float32).unsqueeze(1)
    exponents = torch.arange(0, d_model, 2, dtype=torch.float32) * (step / 2) / d_model
    return positions * torch.pow(10_000.0, -exponents)


def _interleave(even: Tensor, odd: Tensor) -> Tensor:
    return torch.stack([even, odd], dim=-1).flatten(-2)


def check_sinusoidal_positions(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """Chapter 10: ``sinusoidal_positions(length, d_model) -> (length, d_model)`` float32
    (Vaswani et al., 2017)."""
    check_function(
        "sinusoidal_positions", learner, transformer.sinusoidal_positions,
        [{"length": 4, "d_model": 6}, {"length": 1, "d_model": 2}, {"length": 10, "d_model": 16},
         {"length": 50, "d_model": 64}, {"length": 7, "d_model": 12}],
        mistakes=[
            Mistake(lambda length, d_model: _interleave(torch.cos(_angles(length, d_model)),
                                                         torch.sin(_angles(length, d_model))),
                    "sine and cosine are swapped: even columns 2i take the sine, odd columns 2i+1 "
                    "the cosine"),
            Mistake(lambda length, d_model: torch.cat([torch.sin(_angles(length, d_model)),
                                                       torch.cos(_angles(length, d_model))], dim=-1),
                    "you put all sines in the first half and all cosines in the second; interleave "
                    "them: column 2i is a sine, column 2i+1 the cosine of the same frequency"),
            Mistake(lambda length, d_model: _interleave(torch.sin(_angles(length, d_model, step=1)),
                                                         torch.cos(_angles(length, d_model, step=1))),
                    "the exponent should be 2i/d for the pair i (columns 2i and 2i+1); yours is i/d, "
                    "so the wavelengths stop growing halfway"),
            Mistake(lambda length, d_model: _interleave(torch.sin(_angles(length, d_model, start=1)),
                                                         torch.cos(_angles(length, d_model, start=1))),
                    "positions start at 0, not 1: row 0 should be [0, 1, 0, 1, ...]"),
        ],
        hint="Row p, column 2i is sin(p / 10000^(2i/d)); column 2i+1 is the cosine of the same angle",
        rules=Rules(answers=(transformer.sinusoidal_positions,), answers_hint="compute the angles p / 10000^(2i/d) "
                    "as a (length, d/2) table, then fill the even and odd columns"),
        quiet=quiet,
    )
