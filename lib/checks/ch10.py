"""Chapter 10's checks: causal and padding masks together, splitting into heads, the linear map between
sinusoidal position encodings k positions apart.

The references are :mod:`lib.transformer`'s own functions, so the exercises and the chapter's
model agree by construction.
"""

from __future__ import annotations

from collections.abc import Callable

import math

import torch
from torch import Tensor

from .. import attention, transformer
from .engine import SIZE_ERRORS, Mistake, Rules, check_function

__all__ = ["check_causal_padded_attention", "check_split_heads", "check_offset_matrix"]


def _reference_causal_padded(queries: Tensor, keys: Tensor, values: Tensor, lengths: Tensor) -> Tensor:
    length = queries.shape[1]
    allowed = transformer.causal_mask(length) & (torch.arange(length) < lengths.unsqueeze(1)).unsqueeze(1)  # (B, T, T)
    scores = queries @ keys.transpose(1, 2) / math.sqrt(keys.shape[-1])  # (B, T, T)
    weights = torch.softmax(scores.masked_fill(~allowed, float("-inf")), dim=-1)
    return weights @ values  # (B, T, d_v)


def _causal_padded_cases(seed: int = 11) -> list[dict[str, Tensor]]:
    """The worked example (two sequences of 4 and 2 tokens, d = 2, d_v = 3), then random padded
    batches, each with a padded row, and d_v != d."""
    example = {"queries": torch.tensor([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.5, -1.0]],
                                        [[1.0, 1.0], [-1.0, 0.0], [2.0, 0.0], [0.0, 2.0]]]),  # (2, 4, 2)
               "keys": torch.tensor([[[1.0, 2.0], [2.0, 0.0], [0.0, 1.0], [1.0, -1.0]],
                                     [[0.0, 1.0], [1.0, 0.0], [3.0, 3.0], [-2.0, 2.0]]]),  # (2, 4, 2)
               "values": torch.arange(24, dtype=torch.float32).reshape(2, 4, 3),  # (2, 4, 3)
               "lengths": torch.tensor([4, 2])}
    generator = torch.Generator().manual_seed(seed)
    cases = [example]
    for batch, length, d, d_v in ((3, 5, 4, 6), (2, 6, 3, 2), (4, 4, 8, 5)):
        lengths = torch.randint(1, length + 1, (batch,), generator=generator)
        lengths[0], lengths[-1] = length, max(1, length // 2)  # one full row, one padded
        cases.append({"queries": torch.randn(batch, length, d, generator=generator),
                      "keys": torch.randn(batch, length, d, generator=generator),
                      "values": torch.randn(batch, length, d_v, generator=generator), "lengths": lengths})
    return cases


def _attention_with(allowed: Tensor, queries: Tensor, keys: Tensor, values: Tensor, *, scale: bool = True,
                    dim: int = -1) -> Tensor:
    scores = queries @ keys.transpose(1, 2) / (math.sqrt(keys.shape[-1]) if scale else 1.0)
    return torch.softmax(scores.masked_fill(~allowed, float("-inf")), dim=dim) @ values


def _masks(queries: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
    length = queries.shape[1]
    causal = torch.ones(length, length, dtype=torch.bool).tril()  # (T, T)
    padding = (torch.arange(length) < lengths.unsqueeze(1)).unsqueeze(1)  # (B, 1, T)
    return causal, padding


def _causal_padded_mistakes() -> list[Mistake]:
    def made(combine, **options):
        def wrong(queries, keys, values, lengths):
            causal, padding = _masks(queries, lengths)
            return _attention_with(combine(causal, padding), queries, keys, values, **options)
        return wrong

    return [
        Mistake(made(lambda causal, padding: causal.expand(padding.shape[0], -1, -1)),
                "the padding mask is missing: the rows of the padded positions (i >= lengths[b]) attend to "
                "padded keys; combine the causal mask with a (B, 1, T) padding mask using &"),
        Mistake(made(lambda causal, padding: padding.expand(-1, causal.shape[0], -1)),
                "the causal mask is missing: position i sees the keys after it, the future; combine a "
                "(T, T) lower-triangular mask with the padding mask"),
        Mistake(made(lambda causal, padding: causal | padding),
                "you combined the masks with | (or): a key is allowed only where *both* masks allow it, "
                "causal & padding"),
        Mistake(made(lambda causal, padding: causal.T & padding),
                "your causal mask is the upper triangle: row i (a query) may see columns j <= i, the "
                "lower triangle (torch.tril)"),
        Mistake(lambda queries, keys, values, lengths: _attention_with(
                    _masks(queries, lengths)[0] & _masks(queries, lengths)[1], queries, keys, keys),
                "you mixed the keys: the weights come from the keys, but the context is the weighted sum "
                "of the *values*, weights @ values"),
        Mistake(made(lambda causal, padding: causal & padding, scale=False),
                "your scores are not scaled: divide q_i · k_j by sqrt(d), d = keys.shape[-1]"),
        Mistake(made(lambda causal, padding: causal & padding, dim=1),
                "your softmax runs over the queries (dim 1); each query's weights sum to 1 over the keys, "
                "dim=-1"),
        Mistake(made(lambda causal, padding: causal & padding.transpose(1, 2)),
                "your padding mask is laid out along the queries, (B, T, 1): it must hide padded *keys*, "
                "the columns, as (B, 1, T)"),
    ]


def check_causal_padded_attention(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """Chapter 10: ``causal_padded_attention(queries (B, T, d), keys (B, T, d), values (B, T, d_v),
    lengths (B,)) -> (B, T, d_v)``: scaled scores, the causal and the padding mask combined."""
    check_function(
        "causal_padded_attention", learner, _reference_causal_padded, _causal_padded_cases(),
        mistakes=_causal_padded_mistakes(),
        hint="allowed = (a (T, T) lower triangle) & (a (B, 1, T) padding mask) gives (B, T, T); fill the "
             "scaled scores with -inf where it is False, softmax over the keys, then @ values",
        error_hints=[(SIZE_ERRORS, "line the masks up with the scores (B, T, T): the causal mask is (T, T), "
                      "the padding mask (B, 1, T), one row of real keys per sequence")],
        rules=Rules(answers=(transformer, attention), answers_hint="build both masks and the attention "
                    "with torch operations"),
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


def _reference_offset_matrix(k: int, d_model: int) -> Tensor:
    frequencies = torch.pow(10_000.0, -torch.arange(0, d_model, 2, dtype=torch.float32) / d_model)  # (d/2,)
    cos, sin = torch.cos(k * frequencies), torch.sin(k * frequencies)
    blocks = torch.stack([torch.stack([cos, sin], -1), torch.stack([-sin, cos], -1)], -2)  # (d/2, 2, 2)
    return torch.block_diag(*blocks)  # (d, d)


def _offset_with(k: int, d_model: int, *, sign: float = 1.0, exponent: float = 2.0, one_frequency: bool = False,
                 swap: bool = False) -> Tensor:
    frequencies = torch.pow(10_000.0, -torch.arange(0, d_model, 2, dtype=torch.float32) * (exponent / 2) / d_model)
    if one_frequency:
        frequencies = torch.ones_like(frequencies)
    cos, sin = torch.cos(k * frequencies), sign * torch.sin(k * frequencies)
    rows = [torch.stack([cos, sin], -1), torch.stack([-sin, cos], -1)]
    blocks = torch.stack(rows[::-1] if swap else rows, -2)
    return torch.block_diag(*blocks)


def check_offset_matrix(learner: Callable[..., Tensor], *, quiet: bool = False) -> None:
    """Chapter 10: ``offset_matrix(k, d_model) -> (d_model, d_model)`` float32, the matrix M_k with
    ``M_k @ PE[p] = PE[p + k]`` for the sinusoidal encodings of Vaswani et al. (2017)."""
    check_function(
        "offset_matrix", learner, _reference_offset_matrix,
        [{"k": 1, "d_model": 4}, {"k": 3, "d_model": 8}, {"k": 0, "d_model": 6}, {"k": 5, "d_model": 16},
         {"k": 7, "d_model": 10}],
        mistakes=[
            Mistake(lambda k, d_model: _offset_with(k, d_model, sign=-1.0),
                    "your rotation turns the wrong way: that matrix maps PE[p] to PE[p - k]; from "
                    "sin(a + b) = sin a cos b + cos a sin b, the sine row is [cos(k w), sin(k w)]"),
            Mistake(lambda k, d_model: _offset_with(k, d_model, exponent=1.0),
                    "the frequency of pair i is 1 / 10000^(2i/d); yours uses the exponent i/d"),
            Mistake(lambda k, d_model: _offset_with(k, d_model, one_frequency=True),
                    "every pair turns by the same angle k: pair i has its own frequency, "
                    "w_i = 1 / 10000^(2i/d), so it turns by k * w_i"),
            Mistake(lambda k, d_model: _offset_with(k, d_model, swap=True),
                    "the two rows of each 2x2 block are swapped: column 2i holds the sine, so row 2i is "
                    "[cos(k w), sin(k w)] and row 2i+1 is [-sin(k w), cos(k w)]"),
            Mistake(lambda k, d_model: torch.eye(d_model),
                    "you returned the identity: that is M_0; an offset k turns each (sin, cos) pair by k * w_i"),
        ],
        hint="pair i holds (sin(p w_i), cos(p w_i)); adding k turns it by the angle k w_i: a 2x2 block "
             "[[cos, sin], [-sin, cos]] of k w_i, one per pair on the diagonal (torch.block_diag)",
        rules=Rules(answers=(transformer,), answers_hint="compute the frequencies and the 2x2 blocks yourself"),
        quiet=quiet,
    )
