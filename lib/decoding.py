"""Decoding: turning a trained :class:`~lib.models.Seq2Seq` into output sentences.

* :func:`greedy_decode` takes the most likely token at every step (it wraps
  :meth:`Seq2Seq.greedy <lib.models.Seq2Seq.greedy>`). It is *myopic*: a token that looks best
  now may force poor tokens later.
* :func:`beam_search` keeps the ``K`` best partial translations (the *beam*) at every step,
  for a whole batch at once: the batch of ``B`` sources becomes ``B * K`` rows, one per
  hypothesis, and every step is one call of ``decoder.step`` (the same call training uses), so
  it works for both decoders of the course.
* :func:`search` is the one dispatch between them (greedy for ``beam_size=1``, else beam), and
  :func:`translate` decodes one source sequence with it.
* :func:`sequence_log_probs` scores given outputs with teacher forcing: the quantity beam search
  maximises, used to compare searches.

**Length normalisation.** Every extra token multiplies the probability by a number below 1, so a
raw log-probability prefers short outputs. Beam search ranks *finished* hypotheses by

    score(Y) = log P(Y | X) / lp(|Y|)

where ``|Y|`` counts the output tokens including the final ``<eos>``, ``alpha = length_penalty``
and ``lp`` is one of (``normalisation=``)

* ``"length"`` (the default): ``lp = |Y| ** alpha``; ``alpha = 1`` ranks by the mean
  log-probability per token (fairseq's ``lenpen``);
* ``"gnmt"``: ``lp = ((5 + |Y|) / 6) ** alpha`` (Wu et al., 2016), a gentler push (GNMT uses
  ``alpha`` 0.6-0.7).

``alpha = 0`` turns normalisation off (plain log-probability) in both.

Output convention (shared with :meth:`Seq2Seq.greedy`): tokens ``(B, L')``, each row ending at
its first :data:`~lib.data.EOS` and padded with :data:`~lib.data.PAD`; a row that never chose
``<eos>`` within ``max_len`` steps has ``max_len`` tokens and no ``<eos>``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ._validate import evaluating, is_number, require_int
from .data import EOS, PAD, SOS, is_token_id
from .models import Encoded, Seq2Seq, check_max_len, check_source, check_token_ids

__all__ = ["Decoded", "NORMALISATIONS", "greedy_decode", "beam_search", "search", "translate",
           "length_penalty_factor", "sequence_log_probs", "output_lengths"]

NORMALISATIONS = ("length", "gnmt")


class Decoded(NamedTuple):
    """What a search returns.

    Attributes:
        tokens: ``(B, L')`` int64, as in the module docstring.
        weights: ``(B, L', T)`` attention weights of the returned hypothesis (zeros after its
            end), or None for a model without attention.
        scores: ``(B,)`` the search's score of each returned hypothesis: its log-probability
            divided by ``lp`` (:func:`length_penalty_factor`). None for :func:`greedy_decode`.
    """

    tokens: Tensor
    weights: Tensor | None
    scores: Tensor | None = None


def _check_model(model: object, *, greedy_only: bool = False) -> None:
    """Greedy decoding needs ``model.greedy`` (a Seq2Seq, or chapter 10's Transformer); beam
    search and teacher-forced scoring need ``.encoder`` and ``.decoder.step`` (a Seq2Seq)."""
    if greedy_only and isinstance(model, nn.Module) and callable(getattr(model, "greedy", None)):
        return
    if not (isinstance(model, nn.Module) and hasattr(model, "encoder")
            and hasattr(getattr(model, "decoder", None), "step")):
        needs = "with .greedy" if greedy_only else "with .encoder and .decoder.step, as beam search needs"
        raise TypeError(f"model must be a Seq2Seq (an nn.Module {needs}), got {type(model).__name__}")


def _check_ids(name: str, ids: Tensor, part: nn.Module | None) -> None:
    """Ids outside the vocabulary of ``part`` (the encoder or decoder): named, not a bare IndexError.

    Reads the ids on the host even on a GPU: these are one-off calls (translate, search, scoring),
    not the training loop. A part without an ``nn.Embedding`` named ``embedding`` is not checked.
    """
    embedding = getattr(part, "embedding", None)
    if isinstance(embedding, nn.Embedding):
        check_token_ids(name, ids, embedding.num_embeddings, read_device=True)


def length_penalty_factor(length: int | Tensor, alpha: float, normalisation: str = "length") -> float | Tensor:
    """``lp(length)``: ``length ** alpha`` (``"length"``) or ``((5 + length) / 6) ** alpha``
    (``"gnmt"``); both are 1 for ``alpha = 0`` or ``length = 1``, and grow with ``length``."""
    if normalisation == "length":
        return length ** alpha
    if normalisation == "gnmt":
        return ((5 + length) / 6) ** alpha
    raise ValueError(f"normalisation must be one of {NORMALISATIONS}, got {normalisation!r}")


def greedy_decode(model: Seq2Seq, source: Tensor, source_lengths: Tensor, max_len: int = 64) -> Decoded:
    """The most likely token at every step: :meth:`Seq2Seq.greedy`, with checked arguments.

    Args:
        source: ``(B, T)`` source ids; source_lengths: ``(B,)`` int64 on the CPU.
        max_len: the most output tokens (``<eos>`` included).

    Returns:
        :class:`Decoded` with tokens ``(B, L')``, weights ``(B, L', T)`` or None, scores None.
    """
    _check_model(model, greedy_only=True)
    check_source(source, source_lengths)
    _check_ids("source", source, getattr(model, "encoder", None))
    tokens, weights = model.greedy(source, source_lengths, max_len=check_max_len(max_len))
    return Decoded(tokens, weights, None)


def _repeat(encoded: Encoded, beams: int) -> Encoded:
    """Each source's encoding ``beams`` times in a row: ``(B, ...)`` -> ``(B * K, ...)``."""
    return Encoded(encoded.states.repeat_interleave(beams, 0), encoded.final.repeat_interleave(beams, 0),
                   encoded.mask.repeat_interleave(beams, 0))


def _gather_beams(values: Tensor, index: Tensor) -> Tensor:
    """``values (B, K, ...)``, ``index (B, J)`` of beams -> ``(B, J, ...)``: each row's chosen beams."""
    expanded = index.reshape(*index.shape, *([1] * (values.dim() - 2))).expand(-1, -1, *values.shape[2:])
    return values.gather(1, expanded)


class _Hypotheses(NamedTuple):
    """``J`` hypotheses per source: scores ``(B, J)``, tokens ``(B, J, t)``, weights ``(B, J, t, T)``."""

    scores: Tensor
    tokens: Tensor
    weights: Tensor

    def pick(self, index: Tensor) -> _Hypotheses:
        """The hypotheses ``index (B, J')`` of each source."""
        return _Hypotheses(*(_gather_beams(part, index) for part in self))


def _check_beam_arguments(model: Seq2Seq, source: Tensor, source_lengths: Tensor, beam_size: int,
                          max_len: int, length_penalty: float, normalisation: str) -> int:
    """``max_len``, once every argument of :func:`beam_search` is checked."""
    _check_model(model)
    require_int("beam_size", beam_size, 1, "hypotheses kept per source")
    max_len = check_max_len(max_len)
    if not is_number(length_penalty) or not math.isfinite(length_penalty) or length_penalty < 0:
        raise ValueError(f"length_penalty must be a finite number >= 0 (the alpha of lp; 0 = no length "
                         f"normalisation), got {length_penalty!r}")
    if normalisation not in NORMALISATIONS:
        raise ValueError(f"normalisation must be one of {NORMALISATIONS}, got {normalisation!r}")
    check_source(source, source_lengths)
    _check_ids("source", source, model.encoder)
    return max_len


def _start(batch: int, beams: int, max_len: int, src_len: int,
           device: torch.device) -> tuple[_Hypotheses, _Hypotheses]:
    """The live beams before the first step, and the empty pool of finished hypotheses.

    Only beam 0 is live at first (the others score ``-inf``), so the first step expands one
    hypothesis, not ``K`` copies of it. The pool is padded to ``max_len``; its scores are normalised.
    """
    alive_scores = torch.full((batch, beams), float("-inf"), device=device)
    alive_scores[:, 0] = 0.0
    alive = _Hypotheses(alive_scores, torch.empty((batch, beams, 0), dtype=torch.long, device=device),
                        torch.empty((batch, beams, 0, src_len), device=device))
    pool = _Hypotheses(torch.full((batch, beams), float("-inf"), device=device),
                       torch.full((batch, beams, max_len), PAD, dtype=torch.long, device=device),
                       torch.zeros((batch, beams, max_len, src_len), device=device))
    return alive, pool


def _propose(alive: _Hypotheses, log_probs: Tensor,
             step_weights: Tensor | None) -> tuple[_Hypotheses, Tensor]:
    """The ``2K`` best one-token extensions of each source's ``K`` live hypotheses, with their
    histories, and the live beam ``(B, 2K)`` each extends.

    Args:
        log_probs: ``(B*K, V)``, of the next token; step_weights: ``(B*K, 1, T)``, of this step
            (None without attention: zeros stand in, and the search returns no weights).
    """
    batch, beams = alive.scores.shape
    if step_weights is None:
        step_weights = torch.zeros((batch * beams, 1, alive.weights.shape[-1]), device=alive.weights.device)
    vocab = log_probs.shape[-1]
    candidates = (alive.scores.reshape(-1, 1) + log_probs).reshape(batch, beams * vocab)
    top_scores, top_index = candidates.topk(min(2 * beams, beams * vocab), dim=1)  # (B, 2K)
    top_beam, top_token = top_index // vocab, top_index % vocab
    # Every candidate's history: its parent beam's tokens and weights, plus this step.
    parent_weights = step_weights.float().reshape(batch, beams, 1, -1)
    tokens = torch.cat([_gather_beams(alive.tokens, top_beam), top_token.unsqueeze(2)], 2)
    weights = torch.cat([_gather_beams(alive.weights, top_beam), _gather_beams(parent_weights, top_beam)], 2)
    return _Hypotheses(top_scores, tokens, weights), top_beam


def _merge(pool: _Hypotheses, candidates: _Hypotheses) -> _Hypotheses:
    """The best ``K`` of the pool and the candidates ``(B, J)`` (normalised scores, ``-inf`` for
    those not finished), the candidates padded to the pool's ``max_len``."""
    padding = pool.tokens.shape[2] - candidates.tokens.shape[2]
    tokens = F.pad(candidates.tokens, (0, padding), value=PAD)
    weights = F.pad(candidates.weights, (0, 0, 0, padding))
    scores, keep = torch.cat([pool.scores, candidates.scores], 1).topk(pool.scores.shape[1], dim=1)
    return _Hypotheses(scores, _gather_beams(torch.cat([pool.tokens, tokens], 1), keep),
                       _gather_beams(torch.cat([pool.weights, weights], 1), keep))


def _best(pool: _Hypotheses, uses_attention: bool) -> Decoded:
    """Each source's best finished hypothesis, all cut to the longest of them."""
    best_scores, best = pool.scores.max(1)                                            # (B,)
    chosen = pool.pick(best.unsqueeze(1))
    tokens, weights = chosen.tokens.squeeze(1), chosen.weights.squeeze(1)            # (B, max_len[, T])
    width = max(int((tokens != PAD).sum(1).max()), 1)
    return Decoded(tokens[:, :width], weights[:, :width] if uses_attention else None, best_scores)


@torch.no_grad()
def beam_search(model: Seq2Seq, source: Tensor, source_lengths: Tensor, *, beam_size: int = 5,
                max_len: int = 64, length_penalty: float = 1.0, normalisation: str = "length") -> Decoded:
    """Batched beam search with finished hypotheses kept and length normalisation.

    At step ``t`` each of the ``K`` live hypotheses of a source proposes every token, scored by
    its summed log-probability; of the ``2K`` best proposals, the ``<eos>`` ones among the first
    ``K`` join the source's pool of *finished* hypotheses (ranked by the normalised score of the
    module docstring; the pool keeps the ``K`` best), and the best ``K`` others live on. A source
    is done when its best finished score beats anything a live hypothesis could still reach: a
    log-probability only falls as tokens are added, so a live hypothesis with log-probability
    ``s`` can reach at most ``s / lp(max_len)``. This makes the stop exact: running on to
    ``max_len`` would return the same result. Hypotheses still live at ``max_len`` join the pool
    unfinished. With ``beam_size=1`` and ``length_penalty=0`` this is greedy decoding exactly.

    Args:
        model: a :class:`~lib.models.Seq2Seq` (either decoder).
        source: ``(B, T)`` source ids; source_lengths: ``(B,)`` int64 on the CPU.
        beam_size: ``K >= 1``, hypotheses kept per source.
        max_len: the most output tokens (``<eos>`` included), ``>= 1``.
        length_penalty: ``alpha >= 0`` of ``lp``; 0 ranks by plain log-probability.
        normalisation: ``"length"`` or ``"gnmt"``, the ``lp`` of the module docstring.

    Returns:
        :class:`Decoded`: the best hypothesis per source, tokens ``(B, L')``, its attention
        weights ``(B, L', T)`` (None without attention) and its score ``(B,)``.
    """
    max_len = _check_beam_arguments(model, source, source_lengths, beam_size, max_len, length_penalty,
                                    normalisation)
    batch, src_len, device = source.shape[0], source.shape[1], source.device
    encoded_k = _repeat(model.encoder(source, source_lengths), beam_size)           # (B*K, T, d)
    hidden = encoded_k.final.unsqueeze(0).contiguous()                               # (1, B*K, d)
    last = torch.full((batch * beam_size, 1), SOS, dtype=torch.long, device=device)
    alive, pool = _start(batch, beam_size, max_len, src_len, device)
    uses_attention = False
    best_possible_lp = length_penalty_factor(max_len, length_penalty, normalisation)
    for step in range(1, max_len + 1):
        logits, hidden, step_weights = model.decoder.step(last, hidden, encoded_k)
        uses_attention = uses_attention or step_weights is not None
        proposals, parent = _propose(alive, F.log_softmax(logits[:, -1].float(), dim=-1), step_weights)
        # <eos> among the K best proposals: finished.
        is_eos = proposals.tokens[:, :, -1] == EOS
        ranked_first = torch.arange(proposals.scores.shape[1], device=device) < beam_size
        finished = is_eos & ranked_first & torch.isfinite(proposals.scores)
        if bool(finished.any()):
            normalised = proposals.scores / length_penalty_factor(step, length_penalty, normalisation)
            pool = _merge(pool, proposals._replace(scores=normalised.masked_fill(~finished, float("-inf"))))
        # The best K proposals that are not <eos> live on (2K proposals hold at most K <eos>).
        alive_scores, keep = proposals.scores.masked_fill(is_eos, float("-inf")).topk(beam_size, dim=1)
        alive = proposals.pick(keep)._replace(scores=alive_scores)
        # The decoder state of each survivor is its parent's: row b * K + beam of the (B*K) rows.
        rows = torch.arange(batch, device=device).unsqueeze(1) * beam_size + _gather_beams(parent, keep)
        hidden = hidden.index_select(1, rows.reshape(-1))
        last = alive.tokens[:, :, -1].reshape(-1, 1)
        # Done when no live hypothesis can beat the best finished one, whatever it adds.
        if bool((pool.scores.max(1).values >= alive.scores.max(1).values / best_possible_lp).all()):
            break
    else:  # max_len reached: the live hypotheses compete unfinished
        pool = _merge(pool, alive._replace(scores=alive.scores / best_possible_lp))
    return _best(pool, uses_attention)


def search(model: Seq2Seq, source: Tensor, source_lengths: Tensor, *, beam_size: int = 1, max_len: int = 64,
           length_penalty: float = 1.0, normalisation: str = "length") -> Decoded:
    """Greedy decoding for ``beam_size=1``, else :func:`beam_search`: the one place that chooses.

    Args and returns as :func:`beam_search`; greedy's :class:`Decoded` has ``scores`` None.
    """
    if beam_size == 1:
        return greedy_decode(model, source, source_lengths, max_len)
    return beam_search(model, source, source_lengths, beam_size=beam_size, max_len=max_len,
                       length_penalty=length_penalty, normalisation=normalisation)


@torch.no_grad()
def translate(model: Seq2Seq, source_ids: Sequence[int], *, beam_size: int = 1, max_len: int = 64,
              length_penalty: float = 1.0) -> tuple[list[int], Tensor | None]:
    """Translate one source sequence (greedy by default, beam search for ``beam_size > 1``).

    Args:
        model: a trained :class:`~lib.models.Seq2Seq` (for greedy decoding, any model with its
            ``greedy``, such as :class:`lib.transformer.TransformerSeq2Seq`).
        source_ids: the source token ids, e.g. ``lib.tasks.encode_date("24 nov. 2026")``.

    Returns:
        the output ids up to (not including) ``<eos>``, and the attention weights
        ``(len(output), len(source))`` on the CPU (None for the fixed-context model).
    """
    if isinstance(source_ids, (str, bytes)) or not isinstance(source_ids, (Sequence, Tensor)):
        raise TypeError(f"source_ids must be a list of token ids (e.g. vocab.encode(text)), got "
                        f"{type(source_ids).__name__}")
    if len(source_ids) == 0:
        raise ValueError("nothing to translate: source_ids is empty")
    _check_model(model, greedy_only=beam_size == 1)
    check_max_len(max_len)
    if not all(is_token_id(i) for i in source_ids):  # torch.tensor(..., dtype=long) would truncate 4.7 to 4
        raise TypeError(f"source_ids must be int token ids, got {list(source_ids)[:10]} (a float id "
                        "would be truncated to another token)")
    device = next(model.parameters()).device
    try:
        source = torch.tensor([list(source_ids)], dtype=torch.long, device=device)
    except (TypeError, ValueError, RuntimeError) as error:
        raise TypeError(f"source_ids must be int token ids, got {list(source_ids)[:10]}") from error
    _check_ids("source_ids", source, model.encoder)
    with evaluating(model):
        found = search(model, source, torch.tensor([len(source_ids)]), beam_size=beam_size, max_len=max_len,
                       length_penalty=length_penalty)
    length = int(output_lengths(found.tokens)[0])
    output = found.tokens[0, :length].tolist()
    if output and output[-1] == EOS:  # the sentence, without its end
        length -= 1
    return output[:length], None if found.weights is None else found.weights[0, :length].float().cpu()


@torch.no_grad()
def sequence_log_probs(model: Seq2Seq, source: Tensor, source_lengths: Tensor, tokens: Tensor) -> Tensor:
    """``log P(tokens | source)`` per row, by teacher forcing: the sum over the row's tokens up to
    and including its first ``<eos>`` (the whole row if it has none; ``PAD`` after ``<eos>`` is
    ignored).

    Args:
        source: ``(B, T)``; source_lengths: ``(B,)`` on the CPU; tokens: ``(B, L)`` as a search
            returns them (no leading ``<sos>``).

    Returns:
        ``(B,)`` float32 log-probabilities.
    """
    _check_model(model)
    if tokens.dim() != 2 or tokens.shape[0] != source.shape[0]:
        raise ValueError(f"tokens must have shape (batch, out_len) with batch {source.shape[0]}, "
                         f"got {tuple(tokens.shape)}")
    _check_ids("source", source, model.encoder)
    _check_ids("tokens", tokens, model.decoder)
    encoded = model.encoder(source, source_lengths)
    start = torch.full((tokens.shape[0], 1), SOS, dtype=torch.long, device=tokens.device)
    inputs = torch.cat([start, tokens[:, :-1]], 1)                                    # (B, L)
    logits, _, _ = model.decoder.step(inputs, encoded.final.unsqueeze(0), encoded)
    log_probs = F.log_softmax(logits.float(), -1).gather(2, tokens.unsqueeze(2)).squeeze(2)  # (B, L)
    after_eos = torch.arange(tokens.shape[1], device=tokens.device) >= output_lengths(tokens).unsqueeze(1)
    return log_probs.masked_fill(after_eos, 0.0).sum(1)


def output_lengths(tokens: Tensor) -> Tensor:
    """``(B,)`` the length of each output row ``(B, L)``: up to and including its first ``<eos>``,
    the whole row if it has none (what follows ``<eos>`` is padding, never part of the output)."""
    is_eos = tokens == EOS
    return torch.where(is_eos.any(1), is_eos.int().argmax(1) + 1, tokens.shape[1])
