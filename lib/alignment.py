"""Where a translation model looks: its attention measured against what the words mean.

An attention map is easy to draw and easy to over-read (chapter 09's exercise "A right answer from
the wrong place"). So chapter 09 measures instead: for a small bilingual word list, how much
attention the model puts on a source word while it writes that word's translation, over every
test pair that holds both (:func:`alignment_shares`), against what uniform attention would give.
:func:`reference_attention` draws one sentence the same way.

Both read the *reference* translation (teacher forcing, as in training), so every row of the
weights belongs to a known reference word, whatever the model would have written instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from ._validate import evaluating
from .data import SOS, make_loader
from .models import Seq2Seq
from .text import tokenize
from .translation import Translation, TranslationData

__all__ = ["AlignmentShare", "alignment_shares", "reference_attention"]


def _require_attention(model: Seq2Seq, name: str) -> None:
    if not model.uses_attention:
        raise ValueError(f"{name} needs an attention model: the fixed-context model has no weights")


@dataclass(frozen=True)
class AlignmentShare:
    """How much attention the reference word ``target`` puts on its dictionary translation ``source``.

    Attributes:
        source, target: one entry of the word list (``"오늘"``, ``"today"``).
        occurrences: pairs of the split with ``source`` in the source and ``target`` in the reference.
        share: mean attention weight that ``target``'s row puts on ``source``'s tokens.
        uniform: the same mean for attention spread evenly over the source (``len(piece) / T``).
    """

    source: str
    target: str
    occurrences: int
    share: float
    uniform: float


@torch.no_grad()
def alignment_shares(model: Seq2Seq, data: TranslationData, lexicon: Sequence[tuple[str, str]],
                     split: str = "test", *, batch_size: int = 256) -> list[AlignmentShare]:
    """For each ``(source word, target word)`` of ``lexicon``, the attention the model puts on the
    source word when it writes the target word, over every pair of ``split`` that holds both."""
    _require_attention(model, "alignment_shares")
    dataset, examples = data.dataset(split), data.examples(split)
    device = next(model.parameters()).device
    weights = []  # one (L, T) tensor per pair, in split order
    with evaluating(model):
        for batch in make_loader(dataset, batch_size, shuffle=False):
            _, found = model(batch.source.to(device), batch.source_lengths, batch.target_in.to(device))
            weights += list(found.float().cpu())
    rows = []
    for source_word, target_word in lexicon:
        piece = tokenize(source_word, data.splits.source_lang)
        target_tokens = tokenize(target_word, data.splits.target_lang)
        if len(target_tokens) != 1 or not piece:
            raise ValueError(f"each lexicon entry needs a source word and a one-token target word; "
                             f"{(source_word, target_word)!r} tokenises as {piece} and {target_tokens}")
        target = target_tokens[0]
        shares, uniform = [], []
        for example, attention in zip(examples, weights):
            starts = [i for i in range(len(example.source) - len(piece) + 1)
                      if example.source[i:i + len(piece)] == piece]
            if target not in example.target or not starts:
                continue
            row = attention[example.target.index(target)]  # (T,): the step that writes `target`
            shares.append(sum(float(row[i:i + len(piece)].sum()) for i in starts))
            uniform.append(len(piece) * len(starts) / len(example.source))
        count = len(shares)
        rows.append(AlignmentShare(source_word, target_word, count, sum(shares) / count if count else math.nan,
                                   sum(uniform) / count if count else math.nan))
    return rows


@torch.no_grad()
def reference_attention(model: Seq2Seq, data: TranslationData, source: str, reference: str) -> Translation:
    """The weights ``(L', T)`` of ``model`` reading ``reference`` as its output (teacher forcing, as in
    :func:`alignment_shares`): where it looks while writing each reference token, ``<eos>`` last.

    Args:
        source, reference: raw sentences, tokenised as the training data (unknown tokens -> ``<unk>``).
    """
    _require_attention(model, "reference_attention")
    source_tokens = tokenize(source, data.splits.source_lang)
    target_tokens = tokenize(reference, data.splits.target_lang)
    if not source_tokens or not target_tokens:
        raise ValueError(f"nothing to read: {source!r} -> {reference!r} has no tokens on one side")
    device = next(model.parameters()).device
    ids = torch.tensor([data.source_vocab.encode(source_tokens, unknown="unk")], device=device)
    target_in = torch.tensor([[SOS] + data.target_vocab.encode(target_tokens, unknown="unk")], device=device)
    with evaluating(model):
        _, weights = model(ids, torch.tensor([len(source_tokens)]), target_in)
    return Translation(source_tokens, target_tokens + ["<eos>"], reference, weights[0].float().cpu())
