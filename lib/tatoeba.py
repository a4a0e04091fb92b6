"""Real sentence pairs: Tatoeba's English-French and English-Korean translations.

The Tatoeba Project (tatoeba.org) collects sentences and their translations; manythings.org/anki
packages them as one zip per language pair, each holding a tab-separated text file::

    I am in Tokyo today.<TAB>나는 오늘 도쿄에 있다.<TAB>CC-BY 2.0 (France) Attribution: tatoeba.org #257596 …

This module gets that file, checks it is the file we expect, parses it into :class:`SentencePair`
objects, tokenises them (:mod:`lib.text`) and splits them into train/validation/test sets that share
no sentence. Where the file comes from, first match wins:

1. the ``mirror`` argument, a folder laid out like ``shared/data/tatoeba-full`` (``fra-eng/fra.txt``,
   ``kor-eng/kor.txt``): for machines without internet, such as the course's CI;
2. the environment variable ``ATTENTION_COURSE_TATOEBA_MIRROR``, the same kind of folder;
3. the zip in the cache folder (``~/.cache/attention-step-by-step/tatoeba``, or
   ``$ATTENTION_COURSE_CACHE/tatoeba``), downloaded on first use and never again.

Every file is verified before use: mirror files by sha256, downloads by the archive's pinned sha1
where one is published, and every archive by opening it as a zip that holds the expected file.
"""

from __future__ import annotations

import hashlib
import math
import http.client
import os
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ._validate import is_number
from .paths import CACHE_ENV, cache_dir
from .text import tokenize

__all__ = [
    "ATTRIBUTION", "MIRROR_ENV", "CACHE_ENV", "PAIRS", "PairSpec", "SentencePair", "TokenizedPair", "Splits",
    "TatoebaError", "UnknownPairError", "TatoebaDownloadError", "TatoebaChecksumError",
    "TatoebaArchiveError", "MalformedLineError", "TatoebaNotFoundError",
    "direction", "default_cache_dir", "fetch_archive", "load_pairs", "split_indices", "load_splits",
]

ATTRIBUTION = ("Sentence pairs from the Tatoeba Project (tatoeba.org), packaged by manythings.org/anki, "
               "licensed CC-BY 2.0 FR (creativecommons.org/licenses/by/2.0/fr).")
"""The credit every page or output that shows these sentences must carry."""

MIRROR_ENV = "ATTENTION_COURSE_TATOEBA_MIRROR"

# manythings.org answers 403 Forbidden to Python's default User-Agent, so we look like a browser.
_USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) attention-step-by-step/0.1 (course data loader)"
_TIMEOUT_S = 60


@dataclass(frozen=True)
class PairSpec:
    """Where one language pair lives and how to check it."""

    name: str                   # manythings' name, e.g. "fra-eng"
    url: str                    # the zip to download
    zip_sha1: str | None        # pinned sha1 of that zip; None where no stable copy exists
    member: str                 # the text file inside the zip (and inside the mirror's folder)
    mirror_sha256: str          # sha256 of <mirror>/<name>/<member>, as in shared/data/tatoeba-full/README.md
    direction: tuple[str, str]  # (source, target) the course translates; the file's English column is first


PAIRS: dict[str, PairSpec] = {
    # d2l's stable copy of manythings' file: the release of 2019-04-07, 167,130 pairs, two columns
    # (no attribution). The mirror holds that zip's fra.txt whole, so both paths give the same pairs.
    "fra-eng": PairSpec("fra-eng", "http://d2l-data.s3-accelerate.amazonaws.com/fra-eng.zip",
                        "94646ad1522d915e7b0f9296181140edcf86a4f5", "fra.txt",
                        "0bb85dbaa1c896844649094d7eaf2e34bee34e84fe362b26ce7e8f2e12aae104", ("eng", "fra")),
    # manythings updates this zip in place and publishes no checksum: we check it is a zip holding kor.txt.
    "kor-eng": PairSpec("kor-eng", "https://www.manythings.org/anki/kor-eng.zip", None, "kor.txt",
                        "6c9d8de3e500306997e4083274fb0038ef521651ffb2b7923e4e607a59d09dbc", ("kor", "eng")),
}


@dataclass(frozen=True)
class SentencePair:
    """One translation, raw text as in the file, oriented source -> target."""

    source: str
    target: str
    attribution: str  # "CC-BY 2.0 (France) Attribution: tatoeba.org #… (author) & #… (author)", or ""


# --- Errors: each says what happened and what to do about it. ---------------------------------------

class TatoebaError(Exception):
    """Base class of every error this module raises on purpose."""


class UnknownPairError(TatoebaError, ValueError):
    """A pair name that is not in :data:`PAIRS`."""


class TatoebaDownloadError(TatoebaError, ConnectionError):
    """The download failed: no internet, a refusing server, a cut connection."""


class TatoebaChecksumError(TatoebaError, ValueError):
    """A file whose digest is not the pinned one."""


class TatoebaArchiveError(TatoebaError, ValueError):
    """A zip that is corrupt, truncated, or lacks the expected text file."""


class MalformedLineError(TatoebaError, ValueError):
    """A line of the text file that is not ``English<TAB>translation[<TAB>attribution]``."""


class TatoebaNotFoundError(TatoebaError, FileNotFoundError):
    """The file is neither in the mirror folder nor in the cache (and downloading is off)."""


_OFFLINE_HINT = (f"pass mirror='path/to/tatoeba' to load_pairs()/load_splits(), or set {MIRROR_ENV} to "
                 "a folder laid out like shared/data/tatoeba-full (fra-eng/fra.txt, kor-eng/kor.txt)")


def _spec(pair: str) -> PairSpec:
    try:
        return PAIRS[pair]
    except KeyError:
        raise UnknownPairError(f"unknown Tatoeba pair {pair!r}: choose one of {sorted(PAIRS)}") from None


def direction(pair: str, *, reverse: bool = False) -> tuple[str, str]:
    """The (source, target) languages :func:`load_pairs` returns: ``fra-eng`` gives ``("eng", "fra")``,
    ``kor-eng`` gives ``("kor", "eng")``; ``reverse=True`` swaps them."""
    source, target = _spec(pair).direction
    return (target, source) if reverse else (source, target)


def default_cache_dir() -> Path:
    """``tatoeba`` inside the course's cache folder (:func:`lib.paths.cache_dir`)."""
    return cache_dir() / "tatoeba"


def _file_digest(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_digest(path: Path, algorithm: str, expected: str, what_to_do: str) -> None:
    got = _file_digest(path, algorithm)
    if got != expected:
        raise TatoebaChecksumError(f"{path}: {algorithm} is {got}, expected {expected}. The file is corrupt, "
                                   f"truncated or a different release. {what_to_do}")


def _read_member(archive: Path, spec: PairSpec) -> tuple[str, str]:
    """The text of ``spec.member`` inside ``archive`` and its ``archive:member`` name; the member is
    found at any depth (d2l's zip holds ``fra-eng/fra.txt``, manythings' ``fra.txt``). Reading it
    whole also checks its CRC."""
    try:
        with zipfile.ZipFile(archive) as zipped:
            names = [name for name in zipped.namelist()
                     if name.rsplit("/", 1)[-1] == spec.member and not name.startswith("__MACOSX")]
            if not names:
                raise TatoebaArchiveError(f"{archive} holds no {spec.member} (it holds {zipped.namelist()[:5]}). "
                                          f"Delete it and run again to re-download, or {_OFFLINE_HINT}.")
            data = zipped.read(names[0])
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise TatoebaArchiveError(f"{archive} is not a valid zip ({error}): the download was corrupt or cut "
                                  f"short. Delete it and run again to re-download, or {_OFFLINE_HINT}.") from error
    origin = f"{archive}:{names[0]}"
    return _decode(data, origin), origin


def _decode(data: bytes, origin: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise TatoebaArchiveError(f"{origin} is not UTF-8 text ({error}); it is not a Tatoeba file.") from error


def fetch_archive(pair: str, *, cache_dir: Path | None = None) -> Path:
    """Download ``pair``'s zip into the cache unless a verified copy is already there; return its path.

    The download goes to a temporary file beside the final one, is verified (sha1 where pinned,
    then opened as a zip holding the expected file), and only then renamed into place with
    ``os.replace``, which is atomic: the cache never holds a half-written file under the real name,
    and a failed download leaves nothing behind.
    """
    spec = _spec(pair)
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    archive = cache_dir / f"{spec.name}.zip"
    if archive.exists():
        _verify_archive(archive, spec, "Delete it and run again to re-download it.")
        return archive
    cache_dir.mkdir(parents=True, exist_ok=True)
    descriptor, partial_name = tempfile.mkstemp(dir=cache_dir, prefix=f".{spec.name}.", suffix=".part")
    partial = Path(partial_name)
    try:
        with os.fdopen(descriptor, "wb") as file:
            _download_into(spec, file)
        _verify_archive(partial, spec,
                        f"The download from {spec.url} was discarded; try again later, or {_OFFLINE_HINT}.")
        os.replace(partial, archive)
    finally:
        partial.unlink(missing_ok=True)  # gone already after a successful os.replace
    return archive


def _download_into(spec: PairSpec, file: BinaryIO) -> None:
    print(f"Downloading {spec.url} (once; it is cached afterwards)")
    request = urllib.request.Request(spec.url, headers={"User-Agent": _USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
            for block in iter(lambda: response.read(1 << 20), b""):
                file.write(block)
    except urllib.error.HTTPError as error:  # before URLError: it is a subclass
        raise TatoebaDownloadError(f"downloading {spec.url} failed: the server answered HTTP {error.code} "
                                   f"{error.reason}. Try again later, or {_OFFLINE_HINT}.") from error
    except urllib.error.URLError as error:
        raise TatoebaDownloadError(f"could not reach {spec.url} ({error.reason}): this machine seems to have "
                                   f"no internet access. To work offline, {_OFFLINE_HINT}.") from error
    except (TimeoutError, ConnectionError, http.client.HTTPException) as error:
        raise TatoebaDownloadError(f"the download of {spec.url} was cut off ({error!r}). Try again, or "
                                   f"{_OFFLINE_HINT}.") from error


def _verify_archive(archive: Path, spec: PairSpec, what_to_do: str) -> None:
    if spec.zip_sha1 is not None:
        _check_digest(archive, "sha1", spec.zip_sha1, what_to_do)
    _read_member(archive, spec)  # raises TatoebaArchiveError unless a readable zip with spec.member


def _read_text(spec: PairSpec, mirror: str | Path | None, cache_dir: Path | None,
               download: bool) -> tuple[str, str]:
    """The raw text of ``spec``'s file and where it came from (for error messages)."""
    named = "the mirror= argument" if mirror is not None else f"${MIRROR_ENV}"
    mirror = mirror if mirror is not None else (os.environ.get(MIRROR_ENV) or None)
    if mirror is not None:
        if Path(mirror).expanduser().exists() and not Path(mirror).expanduser().is_dir():
            raise TatoebaNotFoundError(f"{named} points at {mirror}, a file, not a folder: set it to a "
                                       f"folder laid out like shared/data/tatoeba-full, with "
                                       f"{spec.name}/{spec.member} inside.")
        path = Path(mirror).expanduser() / spec.name / spec.member
        if not path.is_file():
            raise TatoebaNotFoundError(f"the Tatoeba mirror has no {path}: a mirror folder must be laid out "
                                       f"like shared/data/tatoeba-full, with {spec.name}/{spec.member} inside.")
        _check_digest(path, "sha256", spec.mirror_sha256,
                      "Copy it again from the course's shared/data/tatoeba-full, or delete it to download instead.")
        return _decode(path.read_bytes(), str(path)), str(path)
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    if not download and not (cache_dir / f"{spec.name}.zip").exists():
        raise TatoebaNotFoundError(f"{spec.name} is not in the cache {cache_dir} and download=False: "
                                   f"allow the download, or {_OFFLINE_HINT}.")
    return _read_member(fetch_archive(spec.name, cache_dir=cache_dir), spec)


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
    English for ``kor-eng``; ``reverse=True`` flips that. See the module docstring for where the file
    comes from; ``download=False`` forbids the network (an error if nothing is mirrored or cached).
    """
    spec = _spec(pair)
    text, origin = _read_text(spec, mirror, cache_dir, download)
    file_is_source_first = direction(pair, reverse=reverse)[0] == "eng"
    pairs = _parse(text, origin, reverse_columns=not file_is_source_first)
    if not pairs:  # else every split would be empty, and every score 0/0
        raise TatoebaArchiveError(f"{origin} holds no sentence pairs (the file is empty): delete it and run "
                                  f"again to re-download, or {_OFFLINE_HINT}.")
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
