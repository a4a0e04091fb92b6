"""The argument checks of :mod:`lib.attention`, kept apart so that module reads as the math.

Each check turns a shape, dtype or mask that PyTorch would either refuse with a bare error or,
worse, broadcast into a wrong result, into one sentence that names the argument and the fix.
Shapes and dtypes are host-side metadata, so these cost nothing on a GPU; only the "every
position masked" checks read data, and callers that build masks from validated lengths (the
models) switch them off to keep the training loop free of host-device syncs.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ._validate import require_dims, require_same_dtype, require_tensor

__all__ = [
    "check_query_keys",
    "check_same_hidden",
    "check_score_sizes",
    "check_scores",
    "check_mask",
    "check_some_score_finite",
    "check_weights_values",
    "check_context_query",
    "check_values",
]


def check_query_keys(query: Tensor, keys: Tensor) -> None:
    """query ``(B, d)`` or ``(B, L, d)`` and keys ``(B, T, d)`` with ``T >= 1``, one batch, one dtype."""
    require_tensor("query", query)
    require_dims("keys", keys, (3,), "(batch, src_len, hidden), a 3-D tensor")
    require_dims("query", query, (2, 3), "(batch, hidden) for one decoder step or (batch, tgt_len, hidden) "
                 "for all steps")
    if query.shape[0] != keys.shape[0]:
        raise ValueError(
            f"query and keys must have the same batch size: query has {query.shape[0]} "
            f"(shape {tuple(query.shape)}), keys have {keys.shape[0]} (shape {tuple(keys.shape)})"
        )
    if keys.shape[1] == 0:
        raise ValueError(
            f"keys are empty: src_len is 0 in shape {tuple(keys.shape)}; a sequence needs at "
            "least one token to attend to"
        )
    require_same_dtype("query", query, "keys", keys)


def check_same_hidden(query: Tensor, keys: Tensor) -> None:
    """A dot product needs ``d`` equal on both sides."""
    if query.shape[-1] != keys.shape[-1]:
        raise ValueError(
            "a dot product needs query and keys of the same hidden size: query has "
            f"{query.shape[-1]} (shape {tuple(query.shape)}), keys have {keys.shape[-1]} "
            f"(shape {tuple(keys.shape)})"
        )


def check_score_sizes(score: nn.Module, query: Tensor, keys: Tensor, query_size: int, key_size: int) -> None:
    """A learned score fits queries of ``query_size`` and keys of ``key_size``: say so if not."""
    if query.shape[-1] != query_size or keys.shape[-1] != key_size:
        raise ValueError(
            f"this {type(score).__name__} was built for queries of size {query_size} and keys of "
            f"size {key_size}; got query {tuple(query.shape)} and keys {tuple(keys.shape)} "
            f"(hidden sizes {query.shape[-1]} and {keys.shape[-1]}); build it with "
            f"{type(score).__name__}({query.shape[-1]}, {keys.shape[-1]}, ...)"
        )
    weight = next(score.parameters())
    require_same_dtype(f"{type(score).__name__}'s weights", weight, "keys", keys)
    require_same_dtype(f"{type(score).__name__}'s weights", weight, "query", query)


def check_scores(scores: Tensor) -> None:
    """scores ``(B, T)`` or ``(B, L, T)`` with ``T >= 1``."""
    require_dims("scores", scores, (2, 3), "(batch, src_len) or (batch, tgt_len, src_len)")
    if scores.shape[-1] == 0:
        raise ValueError(f"scores are empty: src_len is 0 in shape {tuple(scores.shape)}")


def _first_row(hidden: Tensor) -> str:
    """``"batch row b"`` or ``"batch row b, query l"``: the first True of ``hidden`` (B,) or (B, L)."""
    where = hidden.nonzero()[0].tolist()
    return f"batch row {where[0]}" + (f", query {where[1]}" if len(where) > 1 else "")


def check_mask(mask: Tensor, scores: Tensor, check_all_masked: bool) -> Tensor:
    """A bool mask that fits ``scores``, as ``(B, T)`` or ``(B, 1 or L, T)`` to broadcast against them."""
    require_tensor("mask", mask)
    if mask.dtype != torch.bool:
        raise TypeError(
            f"mask must be a bool tensor (True = real token, False = padding); got dtype {mask.dtype}"
        )
    batch, src_len = scores.shape[0], scores.shape[-1]
    if scores.dim() == 3 and mask.dim() == 2:
        # One mask per sequence serves every query of that sequence.
        mask = mask.unsqueeze(1)
    expected = tuple(scores.shape)
    if mask.dim() != scores.dim() or mask.shape[0] != batch or mask.shape[-1] != src_len or (
        mask.dim() == 3 and mask.shape[1] not in (1, scores.shape[1])
    ):
        raise ValueError(
            f"mask must have shape (batch, src_len) = ({batch}, {src_len}) to match scores of "
            f"shape {expected}; got {tuple(mask.shape)}"
        )
    if check_all_masked:
        fully_masked = ~mask.any(dim=-1)
        if bool(fully_masked.any()):
            raise ValueError(
                f"mask hides every key of {_first_row(fully_masked)}: softmax over no positions is "
                "undefined; every sequence needs at least one real (unmasked) token"
            )
    return mask


def check_some_score_finite(scores: Tensor) -> None:
    """A row of scores all ``-inf`` (every key masked, by the mask or in the scores themselves)
    has no softmax: ``exp(-inf) / sum(exp(-inf))`` is 0/0, NaN weights. Say so instead."""
    hidden = torch.isneginf(scores).all(dim=-1)
    if bool(hidden.any()):
        raise ValueError(
            f"every score of {_first_row(hidden)} is -inf, so every key of that row is masked: softmax "
            "over no positions is undefined (0/0 would give NaN weights); leave at least one key "
            "unmasked in each row"
        )


def check_weights_values(weights: Tensor, values: Tensor) -> None:
    """weights ``(B, T)`` or ``(B, L, T)`` that fit values ``(B, T, d)``."""
    require_tensor("weights", weights)
    require_dims("values", values, (3,), "(batch, src_len, hidden)")
    if weights.dim() not in (2, 3) or weights.shape[0] != values.shape[0] or (
        weights.shape[-1] != values.shape[1]
    ):
        raise ValueError(
            f"weights must have shape (batch, src_len) = ({values.shape[0]}, {values.shape[1]}) "
            f"or (batch, tgt_len, src_len) to match values of shape {tuple(values.shape)}; got "
            f"{tuple(weights.shape)}"
        )


def check_context_query(context: Tensor, query: Tensor) -> None:
    """context and query that agree on every axis but the last, so they concatenate."""
    require_tensor("context", context)
    require_tensor("query", query)
    if context.shape[:-1] != query.shape[:-1]:
        raise ValueError(
            "context and query must agree on every axis but the last: context has shape "
            f"{tuple(context.shape)}, query has shape {tuple(query.shape)}"
        )


def check_values(values: Tensor, keys: Tensor) -> None:
    """values ``(B, T, d_v)``: one per key, in the keys' dtype."""
    require_tensor("values", values)
    if values.dim() != 3 or values.shape[:2] != keys.shape[:2]:
        raise ValueError(
            f"values must have shape (batch, src_len, hidden_v) = ({keys.shape[0]}, "
            f"{keys.shape[1]}, ...) like the keys {tuple(keys.shape)}; got {tuple(values.shape)}"
        )
    require_same_dtype("keys", keys, "values", values)
