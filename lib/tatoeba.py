"""Real sentence pairs: Tatoeba's English-French and English-Korean translations.

The Tatoeba Project (tatoeba.org) collects sentences and their translations; manythings.org/anki
packages them as one zip per language pair, each holding a tab-separated text file::

    I am in Tokyo today.<TAB>나는 오늘 도쿄에 있다.<TAB>CC-BY 2.0 (France) Attribution: tatoeba.org #257596 …

This module parses that file into :class:`SentencePair` objects, tokenises them (:mod:`lib.text`)
and splits them into train/validation/test sets that share no sentence. Getting the file and
checking that it is the pinned one is :mod:`lib.tatoeba_files`'s work: the course's own copy,
downloaded once into a cache, or a mirror folder (the ``mirror`` argument or
``ATTENTION_COURSE_TATOEBA_MIRROR``) for machines without internet. Its names are re-exported here.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

from ._validate import is_number
from .paths import CACHE_ENV
from .tatoeba_files import (
    MIRROR_ENV, OFFLINE_HINT, PAIRS, PairSpec, TatoebaArchiveError, TatoebaChecksumError, TatoebaDownloadError,
    TatoebaError, TatoebaNotFoundError, UnknownPairError, default_cache_dir, fetch, pair_spec, read_text,
)
from .text import tokenize

__all__ = [
    "ATTRIBUTION", "MIRROR_ENV", "CACHE_ENV", "PAIRS", "PairSpec", "SentencePair", "TokenizedPair", "Splits",
    "TatoebaError", "UnknownPairError", "TatoebaDownloadError", "TatoebaChecksumError",
    "TatoebaArchiveError", "MalformedLineError", "TatoebaNotFoundError",
    "direction", "default_cache_dir", "fetch", "load_pairs", "split_indices", "load_splits",
]

ATTRIBUTION = ("Sentence pairs from the Tatoeba Project (tatoeba.org), packaged by manythings.org/anki, "
               "licensed CC-BY 2.0 FR (creativecommons.org/licenses/by/2.0/fr).")
"""The credit every page or output that shows these sentences must carry."""


@dataclass(frozen=True)
class SentencePair:
    """One translation, raw text as in the file, oriented source -> target."""

    source: str
    target: str
    attribution: str  # "CC-BY 2.0 (France) Attribution: tatoeba.org #… (author) & #… (author)", or ""


class MalformedLineError(TatoebaError, ValueError):
    """A line of the text file that is not ``English<TAB>translation[<TAB>attribution]``."""


def direction(pair: str, *, reverse: bool = False) -> tuple[str, str]:
    """The (source, target) languages :func:`load_pairs` returns: ``fra-eng`` gives ``("eng", "fra")``,
    ``kor-eng`` gives ``("kor", "eng")``; ``reverse=True`` swaps them."""
    source, target = pair_spec(pair).direction
    return (target, source) if reverse else (source, target)


def _parse(text: str, origin: str, reverse_columns: bool) -> list[SentencePair]:
    pairs = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue  # a trailing blank line is not an error
        fields = line.split("\t")
        # Three fields in manythings' current files; two in older releases such as d2l's fra-eng copy.
        if len(fields) not in (2, 3) or not fields[0].strip() or not fields[1].strip():
            raise MalformedLineError(f"{origin}, line {line_number}: expected 2 or 3 tab-separated fields "
                                     f"(English, translation, attribution), got {len(fields)}: {line[:120]!r}. "
                                     "The file is damaged or not a Tatoeba file; delete it or fix the mirror.")
        english, translation = fields[0].strip(), fields[1].strip()
        attribution = fields[2].strip() if len(fields) == 3 else ""
        source, target = (translation, english) if reverse_columns else (english, translation)
        pairs.append(SentencePair(source, target, attribution))
    return pairs


def load_pairs(pair: str, *, reverse: bool = False, mirror: str | Path | None = None,
               cache_dir: Path | None = None, download: bool = True) -> list[SentencePair]:
    """All sentence pairs of ``pair`` (``"fra-eng"`` or ``"kor-eng"``), raw text, in file order.

    They come oriented as :func:`direction` says: English -> French for ``fra-eng``, Korean ->
    English for ``kor-eng``; ``reverse=True`` flips that. :mod:`lib.tatoeba_files` says where the
    file comes from; ``download=False`` forbids the network (an error if nothing is mirrored or cached).
    """
    text, origin = read_text(pair, mirror=mirror, cache_dir=cache_dir, download=download)
    file_is_source_first = direction(pair, reverse=reverse)[0] == "eng"
    pairs = _parse(text, origin, reverse_columns=not file_is_source_first)
    if not pairs:  # else every split would be empty, and every score 0/0
        raise TatoebaArchiveError(f"{origin} holds no sentence pairs (the file is empty): delete it and run "
                                  f"again to re-download, or {OFFLINE_HINT}.")
    return pairs


# --- Splits ------------------------------------------------------------------------------------

def split_indices(keys: list[tuple[str, str]], fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
                  seed: int = 0) -> list[int]:
    """For each ``(source, target)`` key, its split: 0 train, 1 validation, 2 test.

    Tatoeba repeats sentences: one English sentence has several translations, and one translation
    serves several English sentences ("Go." -> "Va !", "Marche."; "Walk." -> "Marche."). A sentence
    seen in training and again at test time makes the test score lie, so we join every two pairs
    that share a source or a target sentence into one group (a connected component of the graph
    whose nodes are sentences and whose edges are pairs). Groups go whole into one split, so no
    source and no target sentence is in two splits.

    The groups are lined up in a pseudo-random order fixed by ``seed`` (a hash of each group's
    smallest sentence, so the order depends neither on file order nor on Python's hash seed), and
    the line is cut at the fractions, counted in pairs. A large group can push a split a little
    past its fraction.
    """
    # Every fraction finite and >= 0, each tested alone: min() of a tuple holding NaN can return
    # the NaN, which compares False with everything, so (nan, 0.1, 0.1) sent every pair to test.
    if len(fractions) != 3 or not all(is_number(f) and math.isfinite(f) and f >= 0 for f in fractions) or (
            abs(sum(fractions) - 1) > 1e-9):
        raise ValueError(f"fractions must be three finite non-negative numbers (train, validation, test) "
                         f"summing to 1, got {fractions}")
    parent: dict[str, str] = {}

    def find(node: str) -> str:  # union-find with path halving
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    # Tag each side, so that a source and a target spelled alike ("OK.") are still two sentences.
    nodes = [("s\0" + source, "t\0" + target) for source, target in keys]
    for source_node, target_node in nodes:
        root_a, root_b = find(source_node), find(target_node)
        if root_a != root_b:
            parent[max(root_a, root_b)] = min(root_a, root_b)  # the root is always the group's smallest node
    groups: dict[str, list[int]] = {}
    for index, (source_node, _) in enumerate(nodes):
        groups.setdefault(find(source_node), []).append(index)

    def shuffled_rank(root: str) -> str:
        return hashlib.blake2b(f"{seed}\0{root}".encode(), digest_size=8).hexdigest()

    split_of = [0] * len(keys)
    boundaries = (fractions[0] * len(keys), (fractions[0] + fractions[1]) * len(keys))
    placed = 0
    for root in sorted(groups, key=shuffled_rank):
        members = groups[root]
        middle = placed + len(members) / 2  # a group goes where its middle falls
        split = 0 if middle < boundaries[0] else 1 if middle < boundaries[1] else 2
        for index in members:
            split_of[index] = split
        placed += len(members)
    return split_of


@dataclass(frozen=True)
class TokenizedPair:
    """One pair ready for a vocabulary: token lists, plus the raw pair (for references and credit)."""

    source: list[str]
    target: list[str]
    raw: SentencePair

    def fits(self, max_len: int) -> bool:
        """At most ``max_len`` tokens on either side: the one length rule of every filter."""
        return len(self.source) <= max_len and len(self.target) <= max_len


@dataclass(frozen=True)
class Splits:
    """Train/validation/test pairs of one language pair, sharing no sentence between them."""

    pair: str
    source_lang: str
    target_lang: str
    train: list[TokenizedPair]
    validation: list[TokenizedPair]
    test: list[TokenizedPair]

    @property
    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "validation": len(self.validation), "test": len(self.test)}


def load_splits(pair: str, *, reverse: bool = False, mirror: str | Path | None = None,
                cache_dir: Path | None = None, download: bool = True, max_len: int | None = None,
                fractions: tuple[float, float, float] = (0.8, 0.1, 0.1), seed: int = 0) -> Splits:
    """Load, tokenise and split ``pair``: the one call a chapter needs.

    ``max_len`` drops pairs whose source or target has more tokens than that (before ``<sos>``/
    ``<eos>``; Korean counts syllables, spaces and punctuation). The split is made before that
    filter, so changing ``max_len`` never moves a sentence from one split to another. Duplicate
    pairs (same tokens on both sides) are kept: they are in the same split by construction.
    """
    if max_len is not None and max_len < 1:
        raise ValueError(f"max_len must be a positive number of tokens or None, got {max_len}")
    source_lang, target_lang = direction(pair, reverse=reverse)
    raw_pairs = load_pairs(pair, reverse=reverse, mirror=mirror, cache_dir=cache_dir, download=download)
    tokenized = [TokenizedPair(tokenize(raw.source, source_lang), tokenize(raw.target, target_lang), raw)
                 for raw in raw_pairs]
    # Group by the tokenised sentence, so "Go." and "go ." count as the same sentence.
    keys = [(" ".join(example.source), " ".join(example.target)) for example in tokenized]
    buckets: tuple[list[TokenizedPair], ...] = ([], [], [])
    for example, split in zip(tokenized, split_indices(keys, fractions, seed)):
        if max_len is None or example.fits(max_len):
            buckets[split].append(example)
    return Splits(pair, source_lang, target_lang, *buckets)
