r"""Attention, one step per function: a query scores every key, softmax turns the scores into
weights, and the weighted sum of the values is the context vector the decoder reads.

.. math::

    s_t = q \cdot k_t, \qquad a_t = \frac{e^{s_t}}{\sum_{t'} e^{s_{t'}}}, \qquad
    c = \sum_t a_t v_t, \qquad \tilde h = \tanh(W_c [c; h])

====  ===========================  ==========================  ====================================
step  function                     math                        chapter
====  ===========================  ==========================  ====================================
1     (the encoder's states)       :math:`k_t = h^{enc}_t`     02 keys: ``encoder_states`` *are* keys
2     :func:`dot_product_scores`   :math:`s_t = q \cdot k_t`   03 query and scores
3     :func:`attention_weights`    :math:`a = softmax(s)`      04 softmax (with the padding mask)
4     :func:`weighted_values`      :math:`a_t v_t`             05 weighting
5     :func:`context_vector`       :math:`c = \sum_t a_t v_t`  06 the context vector
6     :func:`concat_context`       :math:`[c; h]`              07 concat and decode
====  ===========================  ==========================  ====================================

:func:`attend` composes steps 2-5 and is checked against
:func:`torch.nn.functional.scaled_dot_product_attention` (with ``scale=1``) in the tests.
The variants of chapter 08 (:class:`ScaledDotScore`, :class:`GeneralScore`,
:class:`AdditiveScore`) are small modules with the same ``(query, keys) -> scores`` call.

Shapes. ``B`` is the batch, ``T`` the source length (number of keys), ``L`` the number of
queries (1 at a decoding step, the target length in training), ``d`` the hidden size.
A query may be ``(B, d)`` (one decoder step) or ``(B, L, d)`` (all steps at once); every
result then has the same leading shape: scores ``(B, T)`` or ``(B, L, T)``. Masks are boolean,
``True`` where a key is a real token and ``False`` at padding, as in
``scaled_dot_product_attention``'s boolean ``attn_mask``. The argument checks, which name a
wrong shape or dtype before PyTorch would, are in :mod:`lib.attention_checks`.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ._validate import require_dims
from .attention_checks import (check_context_query, check_mask, check_query_keys, check_same_hidden,
                               check_scores, check_some_score_finite, check_values, check_weights_values)
# The learned scores' source is part of lib.fingerprint's cache key: their calls keep the old names
# so that the chapters' cached trainings stay valid.
from .attention_checks import check_query_keys as _check_query_keys
from .attention_checks import check_score_sizes as _check_score_sizes

__all__ = ["dot_product_scores", "attention_weights", "weighted_values", "context_vector", "concat_context",
           "attend", "ScaledDotScore", "GeneralScore", "AdditiveScore", "DotScore", "Score", "SCORES",
           "make_score"]


def dot_product_scores(query: Tensor, keys: Tensor) -> Tensor:
    r"""Step 2: score every key by its dot product with the query.

    .. math:: \text{score}_t = q \cdot k_t = \lVert q \rVert \lVert k_t \rVert \cos\theta_t

    Args:
        query: the decoder state, ``(B, d)`` or ``(B, L, d)``.
        keys: the encoder states, ``(B, T, d)``.

    Returns:
        scores ``(B, T)`` or ``(B, L, T)``: ``(B, L, d) @ (B, d, T)``, one batched matrix product.
    """
    check_query_keys(query, keys)
    check_same_hidden(query, keys)
    if query.dim() == 2:
        return torch.bmm(query.unsqueeze(1), keys.transpose(1, 2)).squeeze(1)
    return torch.bmm(query, keys.transpose(1, 2))


def attention_weights(
    scores: Tensor, mask: Tensor | None = None, *, check_all_masked: bool = True
) -> Tensor:
    """Step 3: turn scores into weights between 0 and 1 that sum to 1 over the keys.

    Padding positions (``mask`` False) get a score of ``-inf`` before the softmax and so a
    weight of exactly zero. ``torch.softmax`` subtracts the row maximum first, so large scores
    do not overflow (chapter 04 shows what happens without it).

    Args:
        scores: ``(B, T)`` or ``(B, L, T)``.
        mask: optional bool ``(B, T)`` (or ``(B, L, T)``), True at real tokens.
        check_all_masked: raise if some row masks every key, by ``mask`` or with scores all
            ``-inf`` (a host-device sync or two on a GPU).

    Returns:
        weights with the shape of ``scores``; each row sums to 1 over the last axis (``T``).
    """
    check_scores(scores)
    if mask is not None:
        mask = check_mask(mask, scores, check_all_masked)
        scores = scores.masked_fill(~mask, float("-inf"))
    if check_all_masked:
        check_some_score_finite(scores)
    return torch.softmax(scores, dim=-1)


def weighted_values(weights: Tensor, values: Tensor) -> Tensor:
    """Step 4: scale every value vector by its weight.

    In the course's simplest form the values are the keys themselves.

    Args:
        weights: ``(B, T)`` or ``(B, L, T)``.
        values: ``(B, T, d)``.

    Returns:
        ``(B, T, d)`` or ``(B, L, T, d)``: row ``t`` is ``weights[..., t] * values[:, t]``.
    """
    check_weights_values(weights, values)
    if weights.dim() == 2:
        return weights.unsqueeze(-1) * values
    return weights.unsqueeze(-1) * values.unsqueeze(1)


def context_vector(weighted: Tensor) -> Tensor:
    """Step 5: add the weighted value vectors up into the context vector.

    The sum of ``weights[t] * values[t]`` with weights that sum to 1 is a weighted average: the
    context vector stays inside the span (the convex hull) of the values.

    Args:
        weighted: ``(B, T, d)`` or ``(B, L, T, d)``, the result of :func:`weighted_values`.

    Returns:
        ``(B, d)`` or ``(B, L, d)``.
    """
    require_dims("weighted", weighted, (3, 4), "(batch, src_len, hidden) or (batch, tgt_len, src_len, hidden)")
    return weighted.sum(dim=-2)


def concat_context(context: Tensor, query: Tensor) -> Tensor:
    """Step 6: put the context vector beside the decoder state, ``[c; h]``.

    The model then maps ``[c; h]`` through ``tanh(W_c [c; h])`` to the *attentional hidden
    state* and on to the next token's logits (Luong et al., 2015, eq. 5).

    Args:
        context: ``(B, d_v)`` or ``(B, L, d_v)``.
        query: the decoder state, ``(B, d)`` or ``(B, L, d)``.

    Returns:
        ``(B, d_v + d)`` or ``(B, L, d_v + d)``.
    """
    check_context_query(context, query)
    return torch.cat([context, query], dim=-1)


def attend(
    query: Tensor,
    keys: Tensor,
    values: Tensor | None = None,
    mask: Tensor | None = None,
    *,
    score: nn.Module | None = None,
    check_all_masked: bool = True,
) -> tuple[Tensor, Tensor]:
    """Steps 2-5: scores, weights, weighting and sum, in one call.

    Weighting and summing are fused into one batched matrix product, ``weights @ values``,
    which is what :func:`weighted_values` followed by :func:`context_vector` computes.

    Args:
        query: ``(B, d)`` or ``(B, L, d)``.
        keys: ``(B, T, d)``.
        values: ``(B, T, d_v)``; the keys themselves when ``None``.
        mask: bool ``(B, T)``, True at real tokens.
        score: a scoring module ``(query, keys) -> scores``; the plain dot product when ``None``.
        check_all_masked: see :func:`attention_weights`.

    Returns:
        ``(context, weights)``: context ``(B, d_v)`` or ``(B, L, d_v)``; weights ``(B, T)`` or
        ``(B, L, T)``. With the default score this equals
        ``F.scaled_dot_product_attention(query, keys, values, attn_mask=mask, scale=1)``.
    """
    check_query_keys(query, keys)
    if values is None:
        values = keys
    check_values(values, keys)
    scores = dot_product_scores(query, keys) if score is None else score(query, keys)
    weights = attention_weights(scores, mask, check_all_masked=check_all_masked)
    if query.dim() == 2:
        context = torch.bmm(weights.unsqueeze(1), values).squeeze(1)
    else:
        context = torch.bmm(weights, values)
    return context, weights


# --------------------------------------------------------------------------------------------
# Chapter 08: other ways to score a key. Each is a module with the call (query, keys) -> scores.
# --------------------------------------------------------------------------------------------


class Score(nn.Module):
    """A way to score keys: ``forward(query (B, d_q) or (B, L, d_q), keys (B, T, d_k)) -> scores``.

    :meth:`for_size` builds one for a model whose queries and keys have ``hidden_size``; a score
    with parameters overrides it. A new score is one subclass and one entry in :data:`SCORES`.
    """

    @classmethod
    def for_size(cls, hidden_size: int) -> Score:
        return cls()


class DotScore(Score):
    """``q · k``: no parameters (Luong et al., 2015, "dot")."""

    def forward(self, query: Tensor, keys: Tensor) -> Tensor:
        return dot_product_scores(query, keys)


class ScaledDotScore(Score):
    r"""``q · k / sqrt(d)`` (Vaswani et al., 2017).

    Dot products of random ``d``-dimensional vectors have a standard deviation that grows like
    :math:`\sqrt{d}`; dividing by it keeps the softmax out of saturation.
    """

    def forward(self, query: Tensor, keys: Tensor) -> Tensor:
        return dot_product_scores(query, keys) / math.sqrt(keys.shape[-1])


class GeneralScore(Score):
    """``q^T W k``, a learned bilinear form (Luong et al., 2015, "general").

    Args:
        query_size: ``d_q``; key_size: ``d_k`` (may differ).
    """

    def __init__(self, query_size: int, key_size: int) -> None:
        super().__init__()
        self.weight = nn.Linear(key_size, query_size, bias=False)

    @classmethod
    def for_size(cls, hidden_size: int) -> GeneralScore:
        return cls(hidden_size, hidden_size)

    def forward(self, query: Tensor, keys: Tensor) -> Tensor:
        _check_query_keys(query, keys)
        _check_score_sizes(self, query, keys, self.weight.out_features, self.weight.in_features)
        # (B, T, d_k) -> (B, T, d_q): then a plain dot product with the query.
        return dot_product_scores(query, self.weight(keys))


class AdditiveScore(Score):
    """``v^T tanh(W_q q + W_k k)`` (Bahdanau et al., 2015, "concat" in Luong et al.).

    Args:
        query_size: ``d_q``; key_size: ``d_k``; attention_size: width of the hidden layer.
    """

    def __init__(self, query_size: int, key_size: int, attention_size: int) -> None:
        super().__init__()
        self.query_proj = nn.Linear(query_size, attention_size, bias=False)
        self.key_proj = nn.Linear(key_size, attention_size, bias=False)
        self.v = nn.Linear(attention_size, 1, bias=False)

    @classmethod
    def for_size(cls, hidden_size: int) -> AdditiveScore:
        return cls(hidden_size, hidden_size, hidden_size)

    def forward(self, query: Tensor, keys: Tensor) -> Tensor:
        _check_query_keys(query, keys)
        _check_score_sizes(self, query, keys, self.query_proj.in_features, self.key_proj.in_features)
        single_step = query.dim() == 2
        queries = query.unsqueeze(1) if single_step else query  # (B, L, d_q)
        # (B, L, 1, a) + (B, 1, T, a) -> (B, L, T, a): every query meets every key.
        hidden = torch.tanh(self.query_proj(queries).unsqueeze(2) + self.key_proj(keys).unsqueeze(1))
        scores = self.v(hidden).squeeze(-1)  # (B, L, T)
        return scores.squeeze(1) if single_step else scores


#: Every score by name: ``build_model(score="additive")`` and the benchmarks' ``--score`` read it.
SCORES: dict[str, type[Score]] = {
    "dot": DotScore,
    "scaled": ScaledDotScore,
    "general": GeneralScore,
    "additive": AdditiveScore,
}


def make_score(score: str | nn.Module, hidden_size: int) -> nn.Module:
    """A module as it is, or the :data:`SCORES` entry ``score`` built for ``hidden_size``."""
    if isinstance(score, nn.Module):
        return score
    if score not in SCORES:
        raise ValueError(f"score must be one of {tuple(SCORES)} or an nn.Module, got {score!r}")
    return SCORES[score].for_size(hidden_size)
