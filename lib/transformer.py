"""The Transformer's attention as the course's six steps, and a small Transformer to race the GRU.

* :func:`self_attention`: queries, keys and values all projected from one sequence by
  ``W_Q, W_K, W_V``, then steps 2-5 of :mod:`lib.attention` with the scaled score
  (Vaswani et al., 2017). Equals :func:`torch.nn.functional.scaled_dot_product_attention`.
* :func:`split_heads` / :func:`merge_heads` and :func:`multi_head_attention`: ``h`` heads are
  ``h`` times more batch rows, so the same steps serve them. Equals :class:`torch.nn.MultiheadAttention`.
* :func:`causal_mask` and :func:`sinusoidal_positions`: what a decoder and word order need.
* :class:`TransformerSeq2Seq`: embeddings and positions around PyTorch's Transformer layers,
  with the interface of :class:`lib.models.Seq2Seq` (``forward``, ``greedy``), so that
  :func:`lib.train.fit`, :mod:`lib.metrics` and :func:`lib.decoding.translate` serve it too.
  Its source positions count from the first token (Vaswani et al.) or, with
  ``recipe.source_positions = "end"``, from the last, so that token ``i`` of ``n`` gets position
  ``n - 1 - i``: what reversal needs, with no length to infer. Its sizes come in as an argument (a :class:`lib.recipes.TransformerRecipe`): chapter 10 passes
  :data:`lib.recipes.TRANSFORMER`, the tests smaller ones; this module holds no default.

Masks follow the course: bool, **True where attending is allowed** (a real token, a past
position). PyTorch's ``key_padding_mask`` and boolean ``attn_mask`` of ``nn.Transformer`` and
``nn.MultiheadAttention`` mean the opposite (True = ignore): the model passes ``~mask``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

from ._validate import is_int
from ._validate import require_same_dtype as _check_same_dtype
from .attention import attention_weights, context_vector, dot_product_scores, weighted_values
from .data import EOS, PAD, SOS, source_mask
from .models import check_max_len, check_source, check_target, check_token_ids

if TYPE_CHECKING:  # the sizes come in as an argument: no default recipe is imported
    from .recipes import TransformerRecipe

__all__ = [
    "self_attention", "split_heads", "merge_heads",
    "multi_head_attention", "causal_mask", "sinusoidal_positions", "TransformerSeq2Seq",
    "build_transformer", "SOURCE_POSITIONS",
]


# --------------------------------------------------------------------------------------------
# Self-attention, heads, masks and positions, written with the course's steps.
# --------------------------------------------------------------------------------------------


def _check_sequence(name: str, x: Tensor) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() != 3:
        raise ValueError(
            f"{name} must have shape (batch, seq_len, d_model), a 3-D tensor; got {x.dim()}-D "
            f"shape {tuple(x.shape)}"
        )


def _check_projection(name: str, weight: Tensor, d_model: int) -> None:
    if not isinstance(weight, Tensor) or weight.dim() != 2 or weight.shape[1] != d_model:
        shape = tuple(weight.shape) if isinstance(weight, Tensor) else type(weight).__name__
        raise ValueError(
            f"{name} must be a (d_out, d_model) = (..., {d_model}) matrix like nn.Linear's weight, "
            f"applied as x @ {name}.T; got {shape}"
        )


def self_attention(
    x: Tensor, W_q: Tensor, W_k: Tensor, W_v: Tensor, mask: Tensor | None = None,  # noqa: N803
    *, causal: bool = False,
) -> tuple[Tensor, Tensor]:
    """Scaled dot-product self-attention, through the course's steps 2-5.

    Args:
        x: ``(B, T, d_model)``, one sequence per row: it gives the queries, keys and values.
        W_q, W_k: ``(d_k, d_model)``; W_v: ``(d_v, d_model)``, as ``nn.Linear`` stores weights.
        mask: bool ``(B, T)``, True at real tokens (padding is never attended to).
        causal: position ``i`` attends only to positions ``j <= i`` (:func:`causal_mask`).

    Returns:
        context ``(B, T, d_v)``, one per query position, and weights ``(B, T, T)``.
    """
    _check_sequence("x", x)
    for name, weight in (("W_q", W_q), ("W_k", W_k), ("W_v", W_v)):
        _check_projection(name, weight, x.shape[-1])
    if W_q.shape[0] != W_k.shape[0]:
        raise ValueError(
            f"queries and keys meet in a dot product, so W_q and W_k need the same d_k: got "
            f"W_q {tuple(W_q.shape)}, W_k {tuple(W_k.shape)}"
        )
    for name, weight in (("W_q", W_q), ("W_k", W_k), ("W_v", W_v)):
        _check_same_dtype("x", x, name, weight)
    queries, keys, values = x @ W_q.T, x @ W_k.T, x @ W_v.T  # (B, T, d_k), (B, T, d_k), (B, T, d_v)
    scores = dot_product_scores(queries, keys) / math.sqrt(keys.shape[-1])  # step 2, scaled
    mask = _combine_masks(mask, causal, x.shape[0], x.shape[1], x.device)
    weights = attention_weights(scores, mask)  # step 3
    return context_vector(weighted_values(weights, values)), weights  # steps 4 and 5


def _combine_masks(
    mask: Tensor | None, causal: bool, batch: int, length: int, device: torch.device
) -> Tensor | None:
    """A padding mask ``(B, T)`` and/or the causal mask as one ``(B, T, T)`` (or ``(B, T)``) mask."""
    if mask is not None and (not isinstance(mask, Tensor) or mask.shape != (batch, length)):
        shape = tuple(mask.shape) if isinstance(mask, Tensor) else type(mask).__name__
        raise ValueError(
            f"mask must have shape (batch, seq_len) = ({batch}, {length}), True at real tokens; "
            f"got {shape}"
        )
    if not causal:
        return mask
    allowed = causal_mask(length, device).expand(batch, length, length)  # (B, T, T)
    return allowed if mask is None else allowed & mask.unsqueeze(1)


def split_heads(x: Tensor, heads: int) -> Tensor:
    """``(B, T, d)`` -> ``(B, h, T, d/h)``: each head gets its own slice of every vector."""
    _check_sequence("x", x)
    if not is_int(heads) or heads < 1 or x.shape[-1] % heads:  # heads=True is not 1 head
        raise ValueError(
            f"heads must be a positive int that divides d_model = {x.shape[-1]}; got {heads!r}"
        )
    batch, length, d_model = x.shape
    return x.reshape(batch, length, heads, d_model // heads).transpose(1, 2)


def merge_heads(x: Tensor) -> Tensor:
    """``(B, h, T, d/h)`` -> ``(B, T, d)``: the inverse of :func:`split_heads` (concatenate heads)."""
    if not isinstance(x, Tensor) or x.dim() != 4:
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"x must have shape (batch, heads, seq_len, d_head), 4-D; got {shape}")
    batch, heads, length, d_head = x.shape
    return x.transpose(1, 2).reshape(batch, length, heads * d_head)


def multi_head_attention(
    query: Tensor, key: Tensor, value: Tensor, attention: nn.MultiheadAttention,
    mask: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """Multi-head attention with the weights of ``attention``, written as split, attend, merge.

    Args:
        query: ``(B, L, d)``; key, value: ``(B, T, d)``.
        attention: a ``nn.MultiheadAttention(d, h, batch_first=True)`` whose weights are used.
        mask: bool ``(B, T)``, True = real token (``key_padding_mask`` is its negation).

    Returns:
        output ``(B, L, d)`` and the weights ``(B, h, L, T)`` of every head.
    """
    for name, tensor in (("query", query), ("key", key), ("value", value)):
        _check_sequence(name, tensor)
    if not isinstance(attention, nn.MultiheadAttention) or attention.in_proj_weight is None or (
        attention.in_proj_bias is None or not attention.batch_first
    ):
        raise ValueError(
            "attention must be an nn.MultiheadAttention(d, h, batch_first=True) with its default "
            f"packed input projection and biases; got {attention!r}"
        )
    heads, d_model = attention.num_heads, attention.embed_dim
    if query.shape[-1] != d_model:
        raise ValueError(f"query has d_model {query.shape[-1]}, the attention module {d_model}")
    if key.shape[-1] != d_model or value.shape[-1] != d_model or key.shape[:2] != value.shape[:2] or (
            key.shape[0] != query.shape[0]):
        raise ValueError(
            f"query (batch, tgt_len, d_model), key and value (batch, src_len, d_model) must share batch "
            f"and d_model = {d_model} (the attention module's), and key and value src_len; got query "
            f"{tuple(query.shape)}, key {tuple(key.shape)}, value {tuple(value.shape)}"
        )
    for name, tensor in (("query", query), ("key", key), ("value", value)):
        _check_same_dtype("the attention module's weights", attention.in_proj_weight, name, tensor)
    W_q, W_k, W_v = attention.in_proj_weight.chunk(3)  # noqa: N806 - each (d, d)
    b_q, b_k, b_v = attention.in_proj_bias.chunk(3)
    q = split_heads(query @ W_q.T + b_q, heads)  # (B, h, L, d/h)
    k = split_heads(key @ W_k.T + b_k, heads)  # (B, h, T, d/h)
    v = split_heads(value @ W_v.T + b_v, heads)
    batch, _, length, d_head = q.shape
    # Heads are just more rows of the batch: (B, h, ., d/h) -> (B*h, ., d/h) for the steps.
    flat = lambda t: t.reshape(batch * heads, t.shape[2], d_head)  # noqa: E731
    scores = dot_product_scores(flat(q), flat(k)) / math.sqrt(d_head)  # (B*h, L, T)
    if mask is not None:
        if mask.shape != (batch, key.shape[1]):
            raise ValueError(
                f"mask must have shape (batch, src_len) = ({batch}, {key.shape[1]}), True at real "
                f"tokens; got {tuple(mask.shape)}"
            )
        mask = mask.repeat_interleave(heads, dim=0)  # (B*h, T): row b*h + i is sequence b
    weights = attention_weights(scores, mask)
    context = context_vector(weighted_values(weights, flat(v)))  # (B*h, L, d/h)
    context = merge_heads(context.reshape(batch, heads, length, d_head))  # (B, L, d)
    output = attention.out_proj(context)
    return output, weights.reshape(batch, heads, length, key.shape[1])


def causal_mask(length: int, device: torch.device | str | None = None) -> Tensor:
    """``(length, length)`` bool, True where query row ``i`` may see key column ``j <= i``."""
    if not is_int(length) or length < 1:  # causal_mask(True) is not a mask of length 1
        raise ValueError(f"length must be a positive int (the number of positions), got {length!r}")
    return torch.ones(length, length, dtype=torch.bool, device=device).tril()


def sinusoidal_positions(length: int, d_model: int) -> Tensor:
    r"""``(length, d_model)`` position encodings of Vaswani et al. (2017).

    .. math:: PE_{p, 2i} = \sin(p / 10000^{2i/d}), \quad PE_{p, 2i+1} = \cos(p / 10000^{2i/d})
    """
    if not is_int(length) or length < 1:
        raise ValueError(f"length must be a positive int, got {length!r}")
    if not is_int(d_model) or d_model < 2 or d_model % 2:
        raise ValueError(f"d_model must be a positive even int (sine, cosine pairs), got {d_model!r}")
    positions = torch.arange(length, dtype=torch.float32).unsqueeze(1)  # (length, 1)
    frequencies = torch.pow(10_000.0, -torch.arange(0, d_model, 2, dtype=torch.float32) / d_model)
    encoding = torch.zeros(length, d_model)
    encoding[:, 0::2] = torch.sin(positions * frequencies)
    encoding[:, 1::2] = torch.cos(positions * frequencies)
    return encoding


# --------------------------------------------------------------------------------------------
# The small Transformer encoder-decoder of the race.
# --------------------------------------------------------------------------------------------


SOURCE_POSITIONS = ("start", "end")


class TransformerSeq2Seq(nn.Module):
    """Token embeddings plus sinusoidal positions, around PyTorch's Transformer encoder and decoder.

    Same calls as :class:`lib.models.Seq2Seq`: ``model(source, source_lengths, target_in)`` ->
    ``(logits (B, L, V), None)`` for teacher-forced training, and :meth:`greedy` for decoding,
    which also returns the last decoder layer's cross-attention (averaged over heads).

    Args:
        source_vocab_size, target_vocab_size: vocabulary sizes.
        recipe: the sizes (a :class:`lib.recipes.TransformerRecipe`; chapter 10's is :data:`lib.recipes.TRANSFORMER`).
        max_len: the longest source or target the position table covers.
    """

    def __init__(
        self, source_vocab_size: int, target_vocab_size: int,
        recipe: TransformerRecipe, max_len: int = 128,
    ) -> None:
        super().__init__()
        if recipe.source_positions not in SOURCE_POSITIONS:
            raise ValueError(f"source_positions must be one of {SOURCE_POSITIONS} (count the source's positions "
                             f"from its first or its last token), got {recipe.source_positions!r}")
        d_model = recipe.d_model
        self.d_model, self.max_len, self.source_positions = d_model, max_len, recipe.source_positions
        self.source_embedding = nn.Embedding(source_vocab_size, d_model, padding_idx=PAD)
        self.target_embedding = nn.Embedding(target_vocab_size, d_model, padding_idx=PAD)
        self.register_buffer("positions", sinusoidal_positions(max_len, d_model), persistent=False)
        layer = dict(d_model=d_model, nhead=recipe.heads, dim_feedforward=recipe.feedforward,
                     dropout=recipe.dropout, batch_first=True, norm_first=recipe.norm_first)
        # What nn.Transformer builds, spelled out: nested tensors off (they would drop padded
        # positions in eval mode only, and warn with pre-norm layers).
        self.encoder = nn.TransformerEncoder(
            nn.TransformerEncoderLayer(**layer), recipe.encoder_layers, nn.LayerNorm(d_model),
            enable_nested_tensor=False,
        )
        self.decoder = nn.TransformerDecoder(
            nn.TransformerDecoderLayer(**layer), recipe.decoder_layers, nn.LayerNorm(d_model)
        )
        self.out = nn.Linear(d_model, target_vocab_size)

    def extra_repr(self) -> str:
        # In the repr, so that the training cache's fingerprint tells the two kinds of positions apart.
        return f"source_positions={self.source_positions!r}"

    def _embed(self, embedding: nn.Embedding, tokens: Tensor, lengths: Tensor | None = None) -> Tensor:
        """Token embeddings plus positions ``(B, T, d)``: from the start, or from each row's last
        real token when ``lengths (B,)`` are given (padding gets position 0; it is masked)."""
        length = tokens.shape[1]
        if length > self.max_len:
            raise ValueError(
                f"sequences of {length} tokens are longer than the {self.max_len} "
                "positions this model encodes; build it with a larger max_len"
            )
        index = torch.arange(length, device=tokens.device)  # (T,)
        if lengths is not None:
            index = (lengths.to(tokens.device).unsqueeze(1) - 1 - index).clamp(min=0)  # (B, T)
        # Not scaled by sqrt(d) as in Vaswani et al.: their embeddings start with norm ~1, nn.Embedding's
        # with norm ~sqrt(d), already the size of the positions' (sqrt(d/2)); scaling would drown them.
        return embedding(tokens) + self.positions[index]

    def encode(self, source: Tensor, source_lengths: Tensor) -> tuple[Tensor, Tensor]:
        """``source (B, T)`` -> memory ``(B, T, d)`` and the mask ``(B, T)``, True at real tokens."""
        check_source(source, source_lengths)
        check_token_ids("source", source, self.source_embedding.num_embeddings)
        mask = source_mask(source_lengths, source.shape[1], source.device)
        from_end = source_lengths if self.source_positions == "end" else None
        memory = self.encoder(
            self._embed(self.source_embedding, source, from_end), src_key_padding_mask=~mask
        )
        return memory, mask

    def decode(self, target_in: Tensor, memory: Tensor, mask: Tensor) -> Tensor:
        """``target_in (B, L)`` -> logits ``(B, L, V)``, all positions at once under the causal mask."""
        length = target_in.shape[1]
        # Torch's boolean masks are True where attention is *not* allowed: negate ours.
        states = self.decoder(
            self._embed(self.target_embedding, target_in), memory,
            tgt_mask=~causal_mask(length, target_in.device), memory_key_padding_mask=~mask,
        )
        return self.out(states)

    def forward(
        self, source: Tensor, source_lengths: Tensor, target_in: Tensor
    ) -> tuple[Tensor, None]:
        """Teacher-forced: logits ``(B, L, V)``; no weights (``nn.Transformer`` does not return them)."""
        check_target(target_in, source, self.target_embedding.num_embeddings)
        memory, mask = self.encode(source, source_lengths)
        return self.decode(target_in, memory, mask), None

    def cross_attention(self, target_in: Tensor, memory: Tensor, mask: Tensor) -> Tensor:
        """The last decoder layer's cross-attention weights ``(B, L, T)``, averaged over heads."""
        captured: list[Tensor] = []
        layer = self.decoder.layers[-1].multihead_attn

        def recompute(module: nn.Module, args: tuple, kwargs: dict, output: object) -> None:
            # The layer calls attention with need_weights=False; ask again (once), with weights.
            handle.remove()
            query, key, value = (kwargs.get(n, a) for n, a in zip(("query", "key", "value"), args))
            _, weights = module(query, key, value, key_padding_mask=kwargs.get("key_padding_mask"),
                                need_weights=True, average_attn_weights=True)
            captured.append(weights)

        handle = layer.register_forward_hook(recompute, with_kwargs=True)
        try:
            self.decode(target_in, memory, mask)
        finally:
            handle.remove()
        return captured[0]

    @torch.no_grad()
    def greedy(
        self, source: Tensor, source_lengths: Tensor, max_len: int = 64
    ) -> tuple[Tensor, Tensor]:
        """Decode by taking the most likely token at every step (re-reading the prefix each time).

        Returns:
            tokens ``(B, L')`` (each row ends at its first EOS, then PAD) and the cross-attention
            weights ``(B, L', T)`` of the last decoder layer, ``L' <= max_len``.
        """
        max_len = check_max_len(max_len)
        memory, mask = self.encode(source, source_lengths)
        batch = source.shape[0]
        prefix = torch.full((batch, 1), SOS, dtype=torch.long, device=source.device)
        finished = torch.zeros(batch, dtype=torch.bool, device=source.device)
        for _ in range(min(max_len, self.max_len)):
            next_tokens = self.decode(prefix, memory, mask)[:, -1].argmax(-1)  # (B,)
            next_tokens = next_tokens.masked_fill(finished, PAD)
            prefix = torch.cat([prefix, next_tokens.unsqueeze(1)], dim=1)
            finished |= next_tokens == EOS
            if bool(finished.all()):
                break
        tokens = prefix[:, 1:]
        return tokens, self.cross_attention(prefix[:, :-1], memory, mask)


def build_transformer(
    source_vocab_size: int, target_vocab_size: int, recipe: TransformerRecipe, *, max_len: int = 128,
) -> TransformerSeq2Seq:
    """A :class:`TransformerSeq2Seq` of ``recipe``'s sizes (e.g. :data:`lib.recipes.TRANSFORMER`), whose
    initial weights depend only on ``recipe.seed``."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(recipe.seed)
        return TransformerSeq2Seq(source_vocab_size, target_vocab_size, recipe, max_len)
