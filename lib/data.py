"""Data: vocabularies and batching, for every task (the generated ones are in :mod:`lib.tasks`).

* :class:`Vocab` maps tokens to ids, with the specials ``<pad> <sos> <eos> <unk>`` at ids 0-3
  in every vocabulary, so models and decoders can use the constants :data:`PAD`, :data:`SOS`,
  :data:`EOS` whatever the task.
* :func:`make_loader` pads once, up front, and serves batches as tensor slices;
  :func:`bucketed_loader` serves batches of similar lengths (:class:`LengthBuckets`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset, Sampler

from ._validate import is_int, require_int

__all__ = ["PAD", "SOS", "EOS", "UNK", "SPECIALS", "Vocab", "is_token_id", "Batch", "PairDataset", "make_loader",
           "collate_batch", "source_mask", "LengthBuckets", "bucketed_loader"]

PAD, SOS, EOS, UNK = 0, 1, 2, 3
SPECIALS = ("<pad>", "<sos>", "<eos>", "<unk>")


class Vocab:
    """A token <-> id map whose first four ids are ``<pad> <sos> <eos> <unk>``.

    Args:
        tokens: the vocabulary's ordinary tokens; duplicates and specials are dropped, order kept.
    """

    def __init__(self, tokens: Iterable[str]) -> None:
        self.itos: list[str] = list(SPECIALS)
        seen = set(self.itos)
        for token in tokens:
            if token not in seen:
                seen.add(token)
                self.itos.append(token)
        self.stoi: dict[str, int] = {token: index for index, token in enumerate(self.itos)}

    @classmethod
    def from_sequences(cls, sequences: Iterable[Sequence[str]], min_count: int = 1) -> Vocab:
        """Build from tokenised sequences, most frequent first (ties in first-seen order)."""
        counts: dict[str, int] = {}
        for sequence in sequences:
            for token in sequence:
                counts[token] = counts.get(token, 0) + 1
        ordered = sorted(counts, key=lambda token: -counts[token])
        return cls(token for token in ordered if counts[token] >= min_count)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and self.itos == other.itos

    def __repr__(self) -> str:
        return f"Vocab({len(self)} tokens: {self.itos[4:12]}...)"

    def encode(
        self, tokens: Sequence[str], *, add_sos: bool = False, add_eos: bool = False,
        unknown: str = "error",
    ) -> list[int]:
        """Tokens to ids.

        Args:
            tokens: a sequence of tokens (a ``str`` is a sequence of characters).
            add_sos, add_eos: wrap the ids in ``<sos>`` ... ``<eos>``.
            unknown: ``"error"`` raises :class:`ValueError` naming the first unknown token and its
                position; ``"unk"`` maps unknown tokens to ``<unk>``.
        """
        if unknown not in ("error", "unk"):
            raise ValueError(f"unknown must be 'error' or 'unk', got {unknown!r}")
        ids = [SOS] if add_sos else []
        for position, token in enumerate(tokens):
            index = self.stoi.get(token)
            if index is None:
                if unknown == "error":
                    raise ValueError(
                        f"unknown token {token!r} at position {position} of {_show(tokens)}: the "
                        f"vocabulary has {len(self)} tokens, e.g. {self.itos[4:14]}"
                    )
                index = UNK
            ids.append(index)
        if add_eos:
            ids.append(EOS)
        return ids

    def decode(self, ids: Iterable[int], *, stop_at_eos: bool = True) -> list[str]:
        """Ids to tokens, dropping ``<pad>``/``<sos>`` and (by default) stopping at ``<eos>``."""
        tokens = []
        for index in ids:
            if not is_token_id(index):  # int() would truncate 4.7 to 4, a token never predicted
                raise TypeError(f"ids must be int token ids, got {index!r} ({type(index).__name__})")
            index = int(index)
            if index == EOS and stop_at_eos:
                break
            if index in (PAD, SOS):
                continue
            if not 0 <= index < len(self):
                raise ValueError(f"id {index} is outside the vocabulary of {len(self)} tokens")
            tokens.append(self.itos[index])
        return tokens

    def state_dict(self) -> dict[str, list[str]]:
        """A plain, ``torch.load(weights_only=True)``-safe description of the vocabulary."""
        return {"itos": list(self.itos)}

    @classmethod
    def from_state_dict(cls, state: dict[str, list[str]]) -> Vocab:
        itos = state.get("itos")
        if not isinstance(itos, list) or tuple(itos[:4]) != SPECIALS:
            raise ValueError(
                f"not a vocabulary state: expected {{'itos': [{', '.join(SPECIALS)}, ...]}}, got "
                f"{str(state)[:80]}"
            )
        return cls(itos[4:])


def is_token_id(value: object) -> bool:
    """An int (a NumPy one too) or a 0-d integer tensor; not a bool, nor a float int() would truncate."""
    if isinstance(value, Tensor):
        return value.dim() == 0 and not (value.is_floating_point() or value.is_complex() or value.dtype == torch.bool)
    return is_int(value)


def _show(tokens: Sequence[str]) -> str:
    return repr(tokens) if isinstance(tokens, str) else repr(list(tokens))


# --------------------------------------------------------------------------------------------
# Batching
# --------------------------------------------------------------------------------------------


@dataclass
class Batch:
    """One padded batch of (source, target) pairs.

    Attributes:
        source: ``(B, T)`` source ids, padded with :data:`PAD`.
        source_lengths: ``(B,)`` int64 **on the CPU** (``pack_padded_sequence`` wants them
            there, and checks on them cost no host-device sync).
        target_in: ``(B, L)`` ``<sos> y1 ... yn`` (the decoder's input under teacher forcing).
        target_out: ``(B, L)`` ``y1 ... yn <eos>`` (what it must predict), padded with PAD.
    """

    source: Tensor
    source_lengths: Tensor
    target_in: Tensor
    target_out: Tensor

    def to(self, device: torch.device | str, non_blocking: bool = True) -> Batch:
        return Batch(
            self.source.to(device, non_blocking=non_blocking),
            self.source_lengths,
            self.target_in.to(device, non_blocking=non_blocking),
            self.target_out.to(device, non_blocking=non_blocking),
        )

    def tensors(self) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """``(source, source_lengths, target_in, target_out)``: what a batch is made of."""
        return self.source, self.source_lengths, self.target_in, self.target_out


def _pad(rows: Sequence[Sequence[int]]) -> tuple[Tensor, Tensor]:
    lengths = torch.tensor([len(row) for row in rows], dtype=torch.long)
    padded = torch.full((len(rows), int(lengths.max())), PAD, dtype=torch.long)
    for index, row in enumerate(rows):
        padded[index, : len(row)] = torch.tensor(row, dtype=torch.long)
    return padded, lengths


class PairDataset(Dataset):
    """Encoded (source, target) pairs, padded once so that a batch is a slice.

    Args:
        sources: token sequences (strings are sequences of characters).
        targets: token sequences, same count.
        source_vocab, target_vocab: the vocabularies.
        unknown: passed to :meth:`Vocab.encode`.
    """

    def __init__(
        self, sources: Sequence[Sequence[str]], targets: Sequence[Sequence[str]],
        source_vocab: Vocab, target_vocab: Vocab, *, unknown: str = "error",
    ) -> None:
        if len(sources) != len(targets):
            raise ValueError(
                f"sources and targets must pair up: got {len(sources)} sources and "
                f"{len(targets)} targets"
            )
        if len(sources) == 0:
            raise ValueError("no pairs: a dataset needs at least one (source, target) pair")
        for index, (source, target) in enumerate(zip(sources, targets)):
            if len(source) == 0 or len(target) == 0:
                side = "source" if len(source) == 0 else "target"
                raise ValueError(f"pair {index} has an empty {side}: every sequence needs a token")
        self.source_vocab, self.target_vocab = source_vocab, target_vocab
        self.sources = [list(source) for source in sources]
        self.targets = [list(target) for target in targets]
        self.source, self.source_lengths = _pad(
            [source_vocab.encode(s, unknown=unknown) for s in sources]
        )
        target_ids = [target_vocab.encode(t, unknown=unknown) for t in targets]
        self.target_in, _ = _pad([[SOS, *ids] for ids in target_ids])
        self.target_out, _ = _pad([[*ids, EOS] for ids in target_ids])

    def tensors(self) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """``(source, source_lengths, target_in, target_out)`` of every pair, padded: ``(N, T)``,
        ``(N,)``, ``(N, L)``, ``(N, L)``; they determine every batch the dataset serves."""
        return self.source, self.source_lengths, self.target_in, self.target_out

    def __len__(self) -> int:
        return len(self.sources)

    def __getitem__(self, index: int) -> Batch:
        return self.__getitems__([index])

    def __getitems__(self, indices: Sequence[int]) -> Batch:
        # DataLoader calls this with a whole batch of indices: one gather, no per-item collate.
        index = torch.as_tensor(indices, dtype=torch.long)
        source_lengths = self.source_lengths[index]
        target_in = self.target_in[index]
        target_width = int((target_in != PAD).sum(1).max())
        return Batch(
            self.source[index, : int(source_lengths.max())],
            source_lengths,
            target_in[:, :target_width],
            self.target_out[index, :target_width],
        )


def collate_batch(batch: Batch) -> Batch:
    """The ``collate_fn`` for :class:`PairDataset`: its ``__getitems__`` already made the Batch."""
    return batch


def make_loader(
    dataset: PairDataset, batch_size: int = 64, *, shuffle: bool = True, seed: int = 0,
    drop_last: bool = False,
) -> DataLoader:
    """A ``DataLoader`` of :class:`Batch` es, shuffled reproducibly by ``seed``."""
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(
        dataset, batch_size=batch_size, shuffle=shuffle, generator=generator,
        collate_fn=collate_batch, drop_last=drop_last,
    )


def source_mask(lengths: Tensor, max_len: int, device: torch.device | str | None = None) -> Tensor:
    """``(B, T)`` bool mask, True at real tokens: position ``t < lengths[b]``."""
    device = device if device is not None else lengths.device
    positions = torch.arange(max_len, device=device)
    return positions.unsqueeze(0) < lengths.to(device, non_blocking=True).unsqueeze(1)


class LengthBuckets(Sampler[list[int]]):
    """Batches of pairs of similar length, in a random order, reshuffled every epoch.

    A batch is as wide as its longest sentence, so random batches of Korean (3 to 24 syllables)
    are mostly padding, and a CPU computes the GRU over it anyway. Each epoch this shuffles the
    pairs, sorts them by (source, target) length (a stable sort: equal lengths stay shuffled),
    cuts batches and shuffles the batches. Same seed, same batches.
    """

    def __init__(self, dataset: PairDataset, batch_size: int, seed: int = 0) -> None:
        require_int("batch_size", batch_size, 1, "pairs per batch")  # 0 divided by zero in __len__
        self.batch_size, self.seed, self.epoch = batch_size, seed, 0
        target_lengths = (dataset.target_out != PAD).sum(1)
        self.keys = (dataset.source_lengths * (int(target_lengths.max()) + 1) + target_lengths).tolist()

    def __len__(self) -> int:
        return math.ceil(len(self.keys) / self.batch_size)

    def __iter__(self) -> Iterator[list[int]]:
        generator = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        self.epoch += 1
        order = sorted(torch.randperm(len(self.keys), generator=generator).tolist(), key=self.keys.__getitem__)
        batches = [order[i:i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        for index in torch.randperm(len(batches), generator=generator).tolist():
            yield batches[index]


def bucketed_loader(dataset: PairDataset, batch_size: int, seed: int = 0) -> DataLoader:
    """A ``DataLoader`` of :class:`Batch` es from :class:`LengthBuckets`."""
    return DataLoader(dataset, batch_sampler=LengthBuckets(dataset, batch_size, seed), collate_fn=collate_batch)
