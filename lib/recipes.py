"""Each chapter's configuration, written once: the data, the model's sizes and seeds, training.

Chapters, benchmarks and tests import a recipe instead of restating its numbers, so "trained
exactly as chapter 07" is true by construction:

* :data:`BOTTLENECK`: the reversal task of chapters 01 and 07 (``benchmarks/bottleneck.py``,
  ``benchmarks/train_speed.py --task reversal``): strings of 5 to 50 symbols, where a fixed
  context vector runs out of room.
* :data:`DATES`: the dates task of chapters 07 and 08 (``benchmarks/dates_accuracy.py``,
  ``benchmarks/train_speed.py``).

A recipe is a frozen dataclass: a variant is ``dataclasses.replace(DATES, steps=100)``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from torch import nn
from torch.utils.data import DataLoader

from .data import PairDataset, Vocab, make_loader
from .models import Seq2Seq, build_model
from .tasks import date_pairs, date_vocabs, reversal_pairs, reversal_vocab

__all__ = ["Recipe", "ReversalRecipe", "DatesRecipe", "BOTTLENECK", "DATES"]

Pairs = list[tuple[str, str]]


@dataclass(frozen=True)
class Recipe(ABC):
    """What a chapter's training run is made of, apart from its data (see the subclasses).

    Attributes:
        train_size, train_seed: how many training pairs, and the seed that draws them.
        embed_size, hidden_size: the model's widths (``d = hidden_size``).
        model_seed: the initial weights (:func:`~lib.models.build_model`'s ``seed``).
        batch_size, loader_seed: the batches, and the order they come in.
        steps, lr: the optimiser's schedule (:func:`~lib.train.fit`).
    """

    train_size: int = 20_000
    train_seed: int = 0
    embed_size: int = 32
    hidden_size: int = 128
    model_seed: int = 0
    batch_size: int = 64
    loader_seed: int = 0
    steps: int = 300
    lr: float = 3e-3

    @abstractmethod
    def vocabs(self) -> tuple[Vocab, Vocab]:
        """The (source, target) vocabularies."""

    @abstractmethod
    def pairs(self) -> tuple[Pairs, Pairs]:
        """The (training, test) pairs of strings."""

    def datasets(self, pairs: tuple[Pairs, Pairs] | None = None) -> tuple[PairDataset, PairDataset]:
        """The (training, test) datasets, of :meth:`pairs` (or of ``pairs`` already drawn from it)."""
        source_vocab, target_vocab = self.vocabs()
        train, test = pairs if pairs is not None else self.pairs()
        return (PairDataset(*zip(*train), source_vocab, target_vocab),
                PairDataset(*zip(*test), source_vocab, target_vocab))

    def model(self, kind: str = "attention", *, score: str | nn.Module = "dot") -> Seq2Seq:
        """A freshly initialised model of ``kind`` (``"attention"`` or ``"fixed"``)."""
        source_vocab, target_vocab = self.vocabs()
        return build_model(kind, len(source_vocab), len(target_vocab), embed_size=self.embed_size,
                           hidden_size=self.hidden_size, score=score, seed=self.model_seed)

    def loader(self, dataset: PairDataset) -> DataLoader:
        """The training batches: ``batch_size`` pairs, shuffled by ``loader_seed``."""
        return make_loader(dataset, self.batch_size, seed=self.loader_seed)


@dataclass(frozen=True)
class ReversalRecipe(Recipe):
    """Reverse a string of ``min_len`` to ``max_len`` symbols.

    Attributes:
        min_len, max_len: the training strings' lengths, uniform in ``[min_len, max_len]``.
        test_per_length, test_seed: ``test_per_length`` test strings of every length, drawn with
            seed ``test_seed + length`` (never the training seed).
    """

    min_len: int = 5
    max_len: int = 50
    test_per_length: int = 20
    test_seed: int = 1_000
    steps: int = 600

    def vocabs(self) -> tuple[Vocab, Vocab]:
        vocab = reversal_vocab()
        return vocab, vocab

    def pairs(self) -> tuple[Pairs, Pairs]:
        train = reversal_pairs(self.train_size, self.min_len, self.max_len, seed=self.train_seed)
        test = [pair for length in range(self.min_len, self.max_len + 1)
                for pair in reversal_pairs(self.test_per_length, length, length, seed=self.test_seed + length)]
        return train, test


@dataclass(frozen=True)
class DatesRecipe(Recipe):
    """Read a date written in one of five languages and write it as ``YYYY-MM-DD``.

    Attributes:
        test_size, test_seed: the held-out dates.
    """

    test_size: int = 2_000
    test_seed: int = 12_345
    steps: int = 300

    def vocabs(self) -> tuple[Vocab, Vocab]:
        return date_vocabs()

    def pairs(self) -> tuple[Pairs, Pairs]:
        return date_pairs(self.train_size, seed=self.train_seed), date_pairs(self.test_size, seed=self.test_seed)


#: Chapters 01 and 07: fixed context against attention on reversal.
BOTTLENECK = ReversalRecipe()
#: Chapters 07 and 08: the attention model on dates.
DATES = DatesRecipe()
