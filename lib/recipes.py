"""Each chapter's configuration, written once: the data, the model's sizes and seeds, training.

Chapters, benchmarks and tests import a recipe instead of restating its numbers, so "trained
exactly as chapter 07" is true by construction:

* :data:`BOTTLENECK`: the reversal task of chapters 01 and 07 (``benchmarks/bottleneck.py``,
  ``benchmarks/train_speed.py --task reversal``): strings of 5 to 50 symbols, where a fixed
  context vector runs out of room.
* :data:`DATES`: the dates task of chapters 07 and 08 (``benchmarks/dates_accuracy.py``,
  ``benchmarks/train_speed.py``).
* :data:`NOTES`: the notes' sentences, 나는 오늘 도쿄에 있다 -> "I am in Tokyo today", of the page
  after chapter 07 (``benchmarks/notes_accuracy.py``).
* :data:`CPU_PLAN`, :data:`GPU_PLAN` (a :class:`Plan`): real translation in chapter 09 and
  ``benchmarks/translation.py``, chosen by :func:`lib.translation.plan_training`; with
  :data:`SEEDS`, :data:`LENGTH_EDGES` and :data:`KOREAN_WORDS`, chapter 09's measurements.
* :data:`TRANSFORMER` (a :class:`TransformerRecipe`): chapter 10's small Transformer, which races
  chapter 07's GRU on :data:`RACE_TASKS` (copy, reversal, dates), each at its own learning rate
  (:data:`RACE_LRS`), in ``benchmarks/race.py``.

A recipe is a frozen dataclass: a variant is ``dataclasses.replace(DATES, steps=100)``. Every one
that trains (a :class:`Recipe`, a :class:`Plan`) is a :class:`Schedule`: its ``training`` is the
:class:`~lib.train.TrainingSettings` that :func:`~lib.train.fit` takes, as in
``fit(model, DATES.loader(train), DATES.training, cache=DATES.cache)``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, replace

from torch import nn
from torch.utils.data import DataLoader

from .data import PairDataset, Vocab, make_loader
from .models import Seq2Seq, build_model
from .tasks import copy_pairs, date_pairs, date_vocabs, notes_split, notes_vocabs, reversal_pairs, reversal_vocab
from .text import tokenize
from .train import TrainingSettings

__all__ = ["Schedule", "Recipe", "ReversalRecipe", "DatesRecipe", "BOTTLENECK", "DATES", "Plan", "CPU_PLAN", "GPU_PLAN",
           "GPU_EPOCHS", "SEEDS", "LENGTH_EDGES", "KOREAN_WORDS", "TransformerRecipe", "TRANSFORMER",
           "CopyRecipe", "COPY_RACE", "REVERSAL_RACE", "DATES_RACE", "RACE_TASKS", "RACE_CONTESTANTS",
           "RACE_SWEEP_LRS", "RACE_SWEEP_STEPS", "RACE_LRS", "RACE_SEEDS", "RACE_EVAL_EVERY", "NotesRecipe", "NOTES"]

Pairs = list[tuple[str, str]]


class Schedule:
    """What every recipe that trains shares: its optimiser's ``steps`` and ``lr`` (fields of the
    dataclasses that derive from it), handed to :func:`~lib.train.fit` as one settings object."""

    steps: int
    lr: float

    @property
    def training(self) -> TrainingSettings:
        """The settings :func:`~lib.train.fit` trains with (its other settings at their defaults)."""
        return TrainingSettings(steps=self.steps, lr=self.lr)


@dataclass(frozen=True)
class Recipe(Schedule, ABC):
    """What a chapter's training run is made of, apart from its data (see the subclasses).

    Attributes:
        train_size, train_seed: how many training pairs, and the seed that draws them.
        embed_size, hidden_size: the model's widths (``d = hidden_size``).
        model_seed: the initial weights (:func:`~lib.models.build_model`'s ``seed``).
        batch_size, loader_seed: the batches, and the order they come in.
        steps, lr: the optimiser's schedule (:attr:`~Schedule.training`).
        cache: the name of its runs in the training cache (``fit(cache=...)``): the files are
            ``{cache}-{fingerprint}.pt``, so each model trained on the task has one of its own.
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
    cache: str = "recipe"

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
    """Reverse a string of ``min_len`` to ``max_len`` symbols (:class:`CopyRecipe`: copy it).

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
    cache: str = "reversal"

    def vocabs(self) -> tuple[Vocab, Vocab]:
        vocab = reversal_vocab()
        return vocab, vocab

    def pairs(self) -> tuple[Pairs, Pairs]:
        make = self._make_pairs
        train = make(self.train_size, self.min_len, self.max_len, seed=self.train_seed)
        test = [pair for length in range(self.min_len, self.max_len + 1)
                for pair in make(self.test_per_length, length, length, seed=self.test_seed + length)]
        return train, test

    @staticmethod
    def _make_pairs(count: int, min_len: int, max_len: int, seed: int) -> Pairs:
        return reversal_pairs(count, min_len, max_len, seed=seed)


@dataclass(frozen=True)
class CopyRecipe(ReversalRecipe):
    """Copy a string of ``min_len`` to ``max_len`` symbols: reversal's strings, not reversed."""

    cache: str = "copy"

    @staticmethod
    def _make_pairs(count: int, min_len: int, max_len: int, seed: int) -> Pairs:
        return copy_pairs(count, min_len, max_len, seed=seed)


@dataclass(frozen=True)
class DatesRecipe(Recipe):
    """Read a date written in one of five languages and write it as ``YYYY-MM-DD``.

    Attributes:
        test_size, test_seed: the held-out dates.
    """

    test_size: int = 2_000
    test_seed: int = 12_345
    steps: int = 300
    cache: str = "dates"

    def vocabs(self) -> tuple[Vocab, Vocab]:
        return date_vocabs()

    def pairs(self) -> tuple[Pairs, Pairs]:
        return date_pairs(self.train_size, seed=self.train_seed), date_pairs(self.test_size, seed=self.test_seed)


#: Chapters 01 and 07: fixed context against attention on reversal.
BOTTLENECK = ReversalRecipe()
#: Chapters 07 and 08: the attention model on dates.
DATES = DatesRecipe()


@dataclass(frozen=True)
class Plan(Schedule):
    """The sizes of one training run.

    Attributes:
        max_len: longest sentence kept, in tokens, on either side (every split).
        train_pairs, validation_pairs, test_pairs: how many pairs of each split to keep, drawn by
            :func:`~lib.translation.sample_by_length`; None keeps them all.
        embed_size, hidden_size: model widths.
        batch_size, steps, lr: the optimiser's schedule (:attr:`~Schedule.training`).
        min_count: a token enters the vocabulary if seen this often in training.
        score: the attention model's score (:data:`~lib.attention.SCORES`).
        beam_size, length_penalty: beam search's ``K`` and ``alpha`` (:mod:`lib.decoding`).
    """

    max_len: int
    train_pairs: int | None
    validation_pairs: int | None
    test_pairs: int | None
    embed_size: int
    hidden_size: int
    batch_size: int
    steps: int
    lr: float
    min_count: int = 2
    score: str = "additive"
    beam_size: int = 5
    length_penalty: float = 1.0


#: Chapter 09 on a CPU: a length-stratified sample, sized so that the chapter runs in minutes on two cores.
CPU_PLAN = Plan(max_len=24, train_pairs=8_000, validation_pairs=500, test_pairs=1_200, embed_size=64,
                hidden_size=128, batch_size=64, steps=700, lr=6e-3, min_count=3)
#: Chapter 09 on a GPU: every pair, a wider model; ``steps`` is set by
#: :func:`lib.translation.plan_training`.
GPU_PLAN = Plan(max_len=24, train_pairs=None, validation_pairs=None, test_pairs=None, embed_size=128,
                hidden_size=256, batch_size=128, steps=20_000, lr=3e-3, min_count=2)
#: Passes over the training pairs on a GPU.
GPU_EPOCHS = 10


#: Seeds of the weights and batches that chapter 09 trains each English-French model with
#: (``benchmarks/translation.py --full`` adds a third, and the Korean models).
SEEDS = (0, 1)
#: Source-length buckets (in tokens) of chapter 09's BLEU-by-length figure: 1-4, 5-7, 8-10, 11-13, 14-24.
LENGTH_EDGES = (1, 5, 8, 11, 14, 25)
#: A small Korean-English word list: chapter 09 measures how much attention each English word puts
#: on its Korean translation.
KOREAN_WORDS = (("오늘", "today"), ("어제", "yesterday"), ("내일", "tomorrow"), ("학교", "school"),
                ("책", "book"), ("고양이", "cat"), ("물", "water"), ("프랑스어", "french"), ("시간", "time"),
                ("돈", "money"), ("집", "home"), ("선생님", "teacher"), ("톰", "tom"), ("메리", "mary"))


@dataclass(frozen=True)
class TransformerRecipe:
    """Sizes of the chapter-10 Transformer, matched to chapter 07's GRU with attention.

    Attributes:
        d_model, heads: the model's width and its number of heads (``d_model / heads`` each).
        encoder_layers, decoder_layers, feedforward: the depth and the feed-forward width. Two
            encoder layers and one decoder layer of width 64, feed-forward 160: 135,855 parameters
            on the dates against the GRU's 137,199 (-1 %); 2 + 2 layers of feed-forward 256 had 239,759.
        dropout: none; the tasks are generated afresh, so there is nothing to regularise against.
        norm_first: pre-norm layers, which train without a warm-up (Xiong et al., 2020).
        source_positions: ``"start"``: the source's positions count from its first token
            (Vaswani et al., 2017); ``"end"``: from its last (:mod:`lib.transformer`).
        seed: the initial weights (:func:`~lib.transformer.build_transformer`).
    """

    d_model: int = 64
    heads: int = 4
    encoder_layers: int = 2
    decoder_layers: int = 1
    feedforward: int = 160
    dropout: float = 0.0
    norm_first: bool = True
    source_positions: str = "start"
    seed: int = 0


#: Chapter 10: the Transformer that races chapter 07's GRU.
TRANSFORMER = TransformerRecipe()

#: Chapter 10's race (``benchmarks/race.py``): three tasks, each contestant at its own learning rate,
#: same batches, same steps. Copy and reversal: strings of 5 to 20 symbols, batches of 32, 10 test
#: strings of every length (160). Dates: chapter 07's data and batches of 64, 300 held-out dates.
COPY_RACE = CopyRecipe(max_len=20, batch_size=32, test_per_length=10, steps=400)
REVERSAL_RACE = ReversalRecipe(max_len=20, batch_size=32, test_per_length=10, steps=400)
DATES_RACE = replace(DATES, test_size=300, steps=400)
RACE_TASKS: dict[str, Recipe] = {"copy": COPY_RACE, "reversal": REVERSAL_RACE, "dates": DATES_RACE}
#: The contestants: chapter 07's model (``Recipe.model()``), the Transformer, and the Transformer
#: with its source positions counted from the end (on reversal).
RACE_CONTESTANTS: dict[str, TransformerRecipe | None] = {
    "GRU + attention": None, "Transformer": TRANSFORMER,
    "Transformer, positions from the end": replace(TRANSFORMER, source_positions="end"),
}
#: The learning rates swept (one seed, :data:`RACE_SWEEP_STEPS` steps, the race's own length: a shorter
#: sweep favours whoever learns first; the Transformers then also with a warm-up of a tenth of the
#: steps at their best rate), and the setting each contestant races with on each task, (learning
#: rate, warm-up steps), from ``benchmarks/results/race-cpu.md``.
RACE_SWEEP_LRS = (1e-3, 2e-3, 4e-3, 8e-3, 1.6e-2)
RACE_SWEEP_STEPS = 400
RACE_LRS: dict[tuple[str, str], tuple[float, int]] = {
    ("copy", "GRU + attention"): (8e-3, 0), ("copy", "Transformer"): (4e-3, 0),
    ("reversal", "GRU + attention"): (4e-3, 0), ("reversal", "Transformer"): (4e-3, 0),
    ("reversal", "Transformer, positions from the end"): (8e-3, 40),
    ("dates", "GRU + attention"): (1.6e-2, 0), ("dates", "Transformer"): (8e-3, 40),
}
#: The race's seeds (of the weights, the batches and training) and the steps between evaluations.
RACE_SEEDS = (0, 1, 2)
RACE_EVAL_EVERY = 50


@dataclass(frozen=True)
class NotesRecipe(Recipe):
    """Translate the notes' Korean sentences (:func:`~lib.tasks.notes_split`) into English.

    The task has 720 sentences in all, so there is no sample to draw: training is every sentence
    whose (subject, time) is not held out, and ``train_size``/``train_seed`` are unused.

    Attributes:
        held_out: the (subject, time) pairs that never meet in training. 나는 with 오늘 is one, so
            the notes' own sentence, 나는 오늘 도쿄에 있다, is one the model has never seen; each
            time is held out with one subject, each subject at most once.
    """

    held_out: tuple[tuple[str, str], ...] = (("나는", "오늘"), ("너는", "어제"), ("그녀는", "내일"), ("그들은", "지금"))
    embed_size: int = 32
    hidden_size: int = 64
    batch_size: int = 32
    steps: int = 300
    lr: float = 1e-2
    cache: str = "notes"

    def vocabs(self) -> tuple[Vocab, Vocab]:
        return notes_vocabs()

    def pairs(self) -> tuple[Pairs, Pairs]:
        return notes_split(held_out=self.held_out)

    def datasets(self, pairs: tuple[Pairs, Pairs] | None = None) -> tuple[PairDataset, PairDataset]:
        """Korean as syllables, English as words (:func:`lib.text.tokenize`), not characters."""
        source_vocab, target_vocab = self.vocabs()
        made = []
        for split in pairs if pairs is not None else self.pairs():
            made.append(PairDataset([tokenize(korean, "kor") for korean, _ in split],
                                    [tokenize(english, "eng") for _, english in split], source_vocab, target_vocab))
        return made[0], made[1]


#: The page after chapter 07: the notes' sentence, learned.
NOTES = NotesRecipe()
