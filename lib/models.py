"""The models: an encoder, two decoders, and the :class:`Seq2Seq` that joins them.

* :class:`Encoder`: a bidirectional GRU. Its state at every source token is a *key*
  (chapter 02). Bidirectional, because a left-to-right state at "Ju" cannot yet tell June
  from July; with both directions every key has seen the whole input.
* :class:`FixedContextDecoder` (Cho et al., 2014): the whole source squeezed into one vector,
  fed to every decoder step. The bottleneck of chapter 01.
* :class:`AttentionDecoder` (Luong et al., 2015): a GRU step, attention over the keys with its
  state as the query, ``[context; state]`` concatenated and projected to the next token.

Training is teacher-forced and vectorised: the decoder GRU reads the whole target in one call,
and the attention for all ``L`` target positions is one batched matrix product
``(B, L, d) @ (B, d, T)``. Python loops over time appear only in decoding (:meth:`Seq2Seq.greedy`),
where each token depends on the one before.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ._validate import is_int
from .attention import attend, make_score
from .data import EOS, PAD, SOS, SPECIALS, source_mask

__all__ = ["Encoded", "check_source", "check_target", "check_token_ids", "check_max_len", "Encoder",
           "FixedContextDecoder", "AttentionDecoder", "Seq2Seq", "build_model"]


@dataclass
class Encoded:
    """What the encoder hands the decoder.

    Attributes:
        states: ``(B, T, d)`` the hidden state at every source token: the keys (and values).
        final: ``(B, d)`` one summary vector: both directions' last states, concatenated.
        mask: ``(B, T)`` bool, True at real tokens.
    """

    states: Tensor
    final: Tensor
    mask: Tensor


def check_source(source: Tensor, lengths: Tensor) -> None:
    """Refuse a source that is not ``(B, T)`` int64 ids with ``lengths (B,)`` on the CPU, each in ``[1, T]``."""
    if not isinstance(source, Tensor) or source.dim() != 2:
        shape = tuple(source.shape) if isinstance(source, Tensor) else type(source).__name__
        raise ValueError(f"source must be a (batch, src_len) tensor of token ids; got {shape}")
    if source.dtype != torch.long:
        raise TypeError(f"source must hold int64 token ids, got dtype {source.dtype}")
    if not isinstance(lengths, Tensor) or lengths.dim() != 1 or lengths.shape[0] != source.shape[0]:
        shape = tuple(lengths.shape) if isinstance(lengths, Tensor) else type(lengths).__name__
        raise ValueError(
            f"source_lengths must have shape (batch,) = ({source.shape[0]},) to match source "
            f"{tuple(source.shape)}; got {shape}"
        )
    if lengths.device.type != "cpu":
        raise ValueError("source_lengths must live on the CPU (pack_padded_sequence needs them there)")
    if source.shape[1] == 0 or int(lengths.min()) < 1:
        raise ValueError(
            "every source sequence needs at least one token: got lengths "
            f"{lengths.tolist()[:8]} for source of shape {tuple(source.shape)}"
        )
    if int(lengths.max()) > source.shape[1]:
        raise ValueError(
            f"source_lengths go up to {int(lengths.max())} but source has only "
            f"{source.shape[1]} positions (shape {tuple(source.shape)})"
        )


def check_token_ids(name: str, ids: Tensor, vocab_size: int, *, read_device: bool = False) -> None:
    """Refuse ids ``(B, L)`` that are not integers, or that lie outside ``[0, vocab_size)``.

    An ``nn.Embedding`` given a bad id fails with a bare "index out of range in self" (on a GPU, a
    device-side assert), and float ids with a message about its own arguments. The range is read on
    the host: free for ids on the CPU; ids on a GPU only with ``read_device`` (one-off calls such as
    decoding), since the training loop must not wait for the device at every step.
    """
    if ids.dtype not in (torch.int64, torch.int32):
        raise TypeError(f"{name} must hold integer token ids (int64), got dtype {ids.dtype}; build "
                        "ids with dtype=torch.long (never by rounding floats)")
    if not ids.numel() or (ids.device.type != "cpu" and not read_device):
        return
    if int(ids.min()) < 0 or int(ids.max()) >= vocab_size:
        bad = sorted({int(i) for i in ids.flatten().tolist() if not 0 <= i < vocab_size})
        raise ValueError(f"{name} holds ids outside the model's vocabulary: token id {bad[0]} is outside "
                         f"the vocabulary of size {vocab_size} (ids 0..{vocab_size - 1}; all such ids: "
                         f"{bad[:10]}); encode text with the vocabulary the model was built for")


def check_target(target_in: Tensor, source: Tensor, vocab_size: int) -> None:
    """Refuse a teacher-forced input that is not ``(B, L)`` token ids, ``L >= 1``, ``B`` the source's."""
    if not isinstance(target_in, Tensor) or target_in.dim() != 2 or target_in.shape[0] != source.shape[0]:
        shape = tuple(target_in.shape) if isinstance(target_in, Tensor) else type(target_in).__name__
        raise ValueError(
            f"target_in must have shape (batch, tgt_len) with batch = {source.shape[0]} like "
            f"the source {tuple(source.shape)}; got {shape}"
        )
    if target_in.shape[1] == 0:
        raise ValueError(f"target_in is empty: tgt_len is 0 in shape {tuple(target_in.shape)}; every "
                         "target needs at least <sos>, the decoder's first input")
    check_token_ids("target_in", target_in, vocab_size)


def check_max_len(max_len: object) -> int:
    """``max_len`` of a decoding, an int >= 1: with none, there is no output to return."""
    if not is_int(max_len) or max_len < 1:  # type: ignore[operator]
        raise ValueError(f"max_len must be a positive int (the most output tokens), got {max_len!r}")
    return int(max_len)  # type: ignore[arg-type]


class Encoder(nn.Module):
    """Embed the source and run a bidirectional GRU over it.

    Args:
        vocab_size: source vocabulary size.
        embed_size: embedding width.
        hidden_size: ``d``, the size of each key; each direction has ``d / 2`` (must be even).
    """

    def __init__(self, vocab_size: int, embed_size: int, hidden_size: int) -> None:
        super().__init__()
        if hidden_size % 2:
            raise ValueError(f"hidden_size must be even (two directions of d/2), got {hidden_size}")
        self.hidden_size = hidden_size
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=PAD)
        self.rnn = nn.GRU(embed_size, hidden_size // 2, batch_first=True, bidirectional=True)

    def forward(self, source: Tensor, source_lengths: Tensor) -> Encoded:
        """``source (B, T)`` ids, ``source_lengths (B,)`` on the CPU -> :class:`Encoded`."""
        check_source(source, source_lengths)
        check_token_ids("source", source, self.embedding.num_embeddings)
        embedded = self.embedding(source)  # (B, T, e)
        # Packing keeps the backward direction from starting on padding. It needs the rows sorted
        # by length: sorting here, on the CPU, and sending only the two permutations to the device
        # without waiting (``enforce_sorted=False`` copies them with a host-device sync both ways),
        # lets the CPU queue the next batch while the GPU still works on this one.
        order = torch.argsort(source_lengths, descending=True, stable=True)  # (B,) on the CPU
        restore = torch.empty_like(order)
        restore[order] = torch.arange(len(order))  # (B,): row b of the sorted batch goes back here
        on_device = {"device": embedded.device, "non_blocking": True}
        packed = pack_padded_sequence(embedded.index_select(0, order.to(**on_device)), source_lengths[order],
                                      batch_first=True, enforce_sorted=True)
        packed_states, last = self.rnn(packed)  # last: (2, B, d/2), sorted rows
        states, _ = pad_packed_sequence(packed_states, batch_first=True, total_length=source.shape[1])
        restore = restore.to(**on_device)
        states, last = states.index_select(0, restore), last.index_select(1, restore)  # (B, T, d), (2, B, d/2)
        final = torch.cat([last[0], last[1]], dim=-1)  # (B, d)
        return Encoded(states, final, source_mask(source_lengths, source.shape[1], source.device))


class _Decoder(nn.Module):
    """What both decoders share: an embedding, a GRU, an optional score, ``tanh(W_c [c; h])`` and
    the output layer (created in this order, which the seeded initial weights depend on), and
    teacher-forced training as one call of ``step`` over the whole target."""

    def __init__(self, vocab_size: int, embed_size: int, hidden_size: int, *, rnn_input_size: int,
                 score: str | nn.Module | None = None) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=PAD)
        self.rnn = nn.GRU(rnn_input_size, hidden_size, batch_first=True)
        if score is not None:
            self.score = make_score(score, hidden_size)
        self.combine = nn.Linear(2 * hidden_size, hidden_size)
        self.out = nn.Linear(hidden_size, vocab_size)

    def forward(self, target_in: Tensor, encoded: Encoded) -> tuple[Tensor, Tensor | None]:
        """``target_in (B, L)`` -> logits ``(B, L, V)`` for all steps at once, and attention
        weights ``(B, L, T)`` (None without attention)."""
        logits, _, weights = self.step(target_in, encoded.final.unsqueeze(0), encoded)
        return logits, weights


class FixedContextDecoder(_Decoder):
    """A GRU decoder that sees the source only through one vector (Cho et al., 2014).

    The context ``c`` (the encoder's final state) starts the decoder's state, is fed with every
    input token, and joins the state before the output layer, so the only difference from
    :class:`AttentionDecoder` is that ``c`` never changes.
    """

    def __init__(self, vocab_size: int, embed_size: int, hidden_size: int) -> None:
        super().__init__(vocab_size, embed_size, hidden_size, rnn_input_size=embed_size + hidden_size)

    def step(
        self, tokens: Tensor, hidden: Tensor, encoded: Encoded
    ) -> tuple[Tensor, Tensor, None]:
        """``tokens (B, L)`` (``L = 1`` when decoding), ``hidden (1, B, d)`` -> logits, hidden, None."""
        context = encoded.final.unsqueeze(1).expand(-1, tokens.shape[1], -1)  # (B, L, d)
        inputs = torch.cat([self.embedding(tokens), context], dim=-1)
        states, hidden = self.rnn(inputs, hidden)  # (B, L, d)
        attentional = torch.tanh(self.combine(torch.cat([context, states], dim=-1)))
        return self.out(attentional), hidden, None


class AttentionDecoder(_Decoder):
    """Luong-style decoder: GRU step, attend, concat, project (Luong et al., 2015).

    Args:
        vocab_size, embed_size, hidden_size: as for the encoder (``hidden_size`` equals the
            encoder's, so that a query and a key can meet in a dot product).
        score: a name in :data:`lib.attention.SCORES` (``"dot"``, the course's, ``"scaled"``,
            ``"general"``, ``"additive"``) or a module.
    """

    def __init__(
        self, vocab_size: int, embed_size: int, hidden_size: int, score: str | nn.Module = "dot"
    ) -> None:
        super().__init__(vocab_size, embed_size, hidden_size, rnn_input_size=embed_size, score=score)

    def step(
        self, tokens: Tensor, hidden: Tensor, encoded: Encoded
    ) -> tuple[Tensor, Tensor, Tensor]:
        """``tokens (B, L)``, ``hidden (1, B, d)`` -> logits ``(B, L, V)``, hidden, weights ``(B, L, T)``.

        Training calls this once with the whole target (``L`` = target length); decoding calls
        it once per token with ``L = 1``. The code is the same: that is why training needs no loop.
        """
        queries, hidden = self.rnn(self.embedding(tokens), hidden)  # (B, L, d)
        # The mask comes from lengths already checked on the CPU: no need to re-check on device.
        context, weights = attend(
            queries, encoded.states, mask=encoded.mask, score=self.score, check_all_masked=False
        )
        attentional = torch.tanh(self.combine(torch.cat([context, queries], dim=-1)))
        return self.out(attentional), hidden, weights


class Seq2Seq(nn.Module):
    """An encoder and a decoder, trained with teacher forcing, decoded greedily."""

    def __init__(self, encoder: Encoder, decoder: FixedContextDecoder | AttentionDecoder) -> None:
        super().__init__()
        self.encoder, self.decoder = encoder, decoder

    @property
    def uses_attention(self) -> bool:
        return isinstance(self.decoder, AttentionDecoder)

    def forward(
        self, source: Tensor, source_lengths: Tensor, target_in: Tensor
    ) -> tuple[Tensor, Tensor | None]:
        """Teacher-forced: logits ``(B, L, V)`` and weights ``(B, L, T)`` (None without attention)."""
        check_target(target_in, source, self.decoder.embedding.num_embeddings)
        return self.decoder(target_in, self.encoder(source, source_lengths))

    @torch.no_grad()
    def greedy(
        self, source: Tensor, source_lengths: Tensor, max_len: int = 64
    ) -> tuple[Tensor, Tensor | None]:
        """Decode by taking the most likely token at every step.

        Returns:
            tokens ``(B, L')`` (each row ends at its first :data:`EOS`, then :data:`PAD`) and
            weights ``(B, L', T)`` (None for the fixed-context model), ``L' <= max_len``.
        """
        max_len = check_max_len(max_len)
        encoded = self.encoder(source, source_lengths)
        batch = source.shape[0]
        tokens = torch.full((batch, 1), SOS, dtype=torch.long, device=source.device)
        hidden = encoded.final.unsqueeze(0)
        finished = torch.zeros(batch, dtype=torch.bool, device=source.device)
        outputs, weights = [], []
        for _ in range(max_len):
            logits, hidden, step_weights = self.decoder.step(tokens, hidden, encoded)
            tokens = logits.argmax(-1)  # (B, 1)
            tokens = tokens.masked_fill(finished.unsqueeze(1), PAD)
            outputs.append(tokens)
            if step_weights is not None:
                weights.append(step_weights)
            finished |= tokens.squeeze(1) == EOS
            if bool(finished.all()):
                break
        return torch.cat(outputs, 1), torch.cat(weights, 1) if weights else None


def build_model(
    kind: str, source_vocab_size: int, target_vocab_size: int, *, embed_size: int = 32,
    hidden_size: int = 128, score: str | nn.Module = "dot", seed: int | None = 0,
) -> Seq2Seq:
    """``kind="attention"`` or ``"fixed"``: the same encoder, the two decoders of the course.

    ``seed`` fixes the initial weights (without touching the global random state); None leaves
    them to the global generator.
    """
    for name, size in (("source_vocab_size", source_vocab_size), ("target_vocab_size", target_vocab_size)):
        if not is_int(size) or size < len(SPECIALS):
            raise ValueError(f"{name} must be an int >= {len(SPECIALS)} (a vocabulary holds the "
                             f"special tokens {SPECIALS} first), got {size!r}: pass len(vocab) "
                             "of a vocabulary built from the data")
    with torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.manual_seed(seed)
        return _build(kind, source_vocab_size, target_vocab_size, embed_size, hidden_size, score)


def _build(
    kind: str, source_vocab_size: int, target_vocab_size: int, embed_size: int, hidden_size: int,
    score: str | nn.Module,
) -> Seq2Seq:
    encoder = Encoder(source_vocab_size, embed_size, hidden_size)
    if kind == "attention":
        decoder: nn.Module = AttentionDecoder(target_vocab_size, embed_size, hidden_size, score)
    elif kind == "fixed":
        decoder = FixedContextDecoder(target_vocab_size, embed_size, hidden_size)
    else:
        raise ValueError(f"kind must be 'attention' or 'fixed', got {kind!r}")
    return Seq2Seq(encoder, decoder)
