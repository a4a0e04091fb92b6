"""The course's generated tasks: dates (chapters 02-08), reversal (chapters 01 and 07), copy
(chapter 10) and the notes' sentences (the page after chapter 07).

* **Dates** (:func:`date_pairs`): human-readable dates in five languages, formatted by Babel from
  the Unicode CLDR, mapped to ISO ``YYYY-MM-DD``. Only CLDR's *full*, *long* and *medium*
  formats are used: the *short* ones are numeric and ambiguous across locales (en ``11/04/26``
  is 4 November, fr ``11/04/26`` is 11 April), which caps any model's accuracy.
* **Reversal** (:func:`reversal_pairs`): random symbol strings of a controlled length and their
  reverse, to measure how a fixed-size context vector degrades with length.
* **Copy** (:func:`copy_pairs`): the same strings, unchanged; the sanity run of *The Annotated
  Transformer*, and the order that positions counted from the start give away (chapter 10's race).
* **The notes' sentences** (:func:`notes_split`): Korean sentences in the pattern of the course's
  notes, 나는 오늘 도쿄에 있다 (subject, time, place, predicate), and their English, where the time
  moves from second to last and the verb from last to second: "I am in Tokyo today". Held-out
  (subject, time) combinations never meet in training.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from functools import lru_cache

from babel import Locale
from babel.dates import get_date_format

from ._validate import is_int
from .data import Vocab
from .text import tokenize

__all__ = ["DATE_LOCALES", "DATE_FORMATS", "format_date", "random_dates", "date_pairs", "date_vocabs",
           "encode_date", "REVERSAL_ALPHABET", "reversal_pairs", "reversal_vocab", "copy_pairs", "NOTES_SUBJECTS",
           "NOTES_TIMES", "NOTES_PLACES", "NOTES_PREDICATES", "notes_sentence", "notes_combinations",
           "notes_split", "notes_vocabs", "encode_notes"]


# --------------------------------------------------------------------------------------------
# Task 1: dates
# --------------------------------------------------------------------------------------------

DATE_LOCALES: tuple[str, ...] = ("en", "ko", "fr", "de", "es")
DATE_FORMATS: tuple[str, ...] = ("full", "long", "medium")
_FIRST_DAY, _LAST_DAY = dt.date(1900, 1, 1), dt.date(2099, 12, 31)


@lru_cache(maxsize=None)
def _date_pattern(locale: str, style: str):
    return get_date_format(style, locale=locale), Locale.parse(locale)


def format_date(date: dt.date, locale: str = "en", style: str = "long") -> str:
    """``date`` as CLDR writes it in ``locale`` (``"ko"``, ``"full"`` -> ``2026년 11월 24일 화요일``)."""
    if locale not in DATE_LOCALES:
        raise ValueError(f"locale must be one of {DATE_LOCALES}, got {locale!r}")
    if style not in DATE_FORMATS:
        raise ValueError(
            f"style must be one of {DATE_FORMATS} (CLDR's numeric 'short' formats are ambiguous "
            f"across locales), got {style!r}"
        )
    if not isinstance(date, dt.date):  # babel's pattern would fail on a bare assert
        raise TypeError(f"date must be a datetime.date, got {type(date).__name__} {date!r}: e.g. "
                        "datetime.date.fromisoformat('2026-11-24')")
    pattern, parsed_locale = _date_pattern(locale, style)
    return pattern.apply(date, parsed_locale)


def _check_count(count: int, what: str) -> None:
    """A count of examples is an int >= 0 (a negative one would silently give nothing)."""
    if not is_int(count) or count < 0:
        raise ValueError(f"the number of {what} must be an int >= 0, got {count!r}")


def random_dates(count: int, seed: int = 0) -> list[dt.date]:
    """``count`` dates drawn uniformly from 1900-01-01 to 2099-12-31."""
    _check_count(count, "dates")
    rng = random.Random(seed)
    span = (_LAST_DAY - _FIRST_DAY).days
    return [_FIRST_DAY + dt.timedelta(days=rng.randint(0, span)) for _ in range(count)]


def date_pairs(count: int, seed: int = 0) -> list[tuple[str, str]]:
    """``count`` (human-readable, ISO) pairs, each in a random locale and style.

    >>> date_pairs(1, seed=3)[0]   # doctest: +SKIP
    ('24. November 2026', '2026-11-24')
    """
    _check_count(count, "date pairs")
    rng = random.Random(seed + 1)
    return [
        (format_date(date, rng.choice(DATE_LOCALES), rng.choice(DATE_FORMATS)), date.isoformat())
        for date in random_dates(count, seed)
    ]


@lru_cache(maxsize=1)
def date_vocabs() -> tuple[Vocab, Vocab]:
    """Character vocabularies (source, target) that cover every date the task can produce.

    Every month and weekday name appears in the dates of one year, every digit in years
    2000-2009, so formatting those in every locale and style collects every character.
    """
    characters: set[str] = set()
    for offset in range(3653):  # 2000-01-01 .. 2009-12-31
        date = dt.date(2000, 1, 1) + dt.timedelta(days=offset)
        for locale in DATE_LOCALES:
            for style in DATE_FORMATS:
                characters.update(format_date(date, locale, style))
    return Vocab(sorted(characters)), Vocab("0123456789-")


def encode_date(text: str) -> list[int]:
    """Source ids of a date string; :class:`ValueError` names any character the task never uses."""
    if not isinstance(text, str):
        raise TypeError(f"a date must be a str, got {type(text).__name__}")
    if not text.strip():
        raise ValueError(f"the date is empty (got {text!r}): expected text such as "
                         "'November 24, 2026'")
    source_vocab, _ = date_vocabs()
    return source_vocab.encode(text)


# --------------------------------------------------------------------------------------------
# Task 2: reversal, with controlled lengths
# --------------------------------------------------------------------------------------------

REVERSAL_ALPHABET = "abcdefghijklmnopqrst"


def reversal_pairs(
    count: int, min_len: int = 5, max_len: int = 50, seed: int = 0,
    alphabet: str = REVERSAL_ALPHABET,
) -> list[tuple[str, str]]:
    """``count`` (string, reversed string) pairs, lengths uniform in ``[min_len, max_len]``."""
    _check_count(count, "reversal pairs")
    _check_alphabet(alphabet)
    if not 1 <= min_len <= max_len:
        raise ValueError(f"need 1 <= min_len <= max_len, got min_len={min_len}, max_len={max_len}")
    rng = random.Random(seed)
    pairs = []
    for _ in range(count):
        text = "".join(rng.choices(alphabet, k=rng.randint(min_len, max_len)))
        pairs.append((text, text[::-1]))
    return pairs


def reversal_vocab(alphabet: str = REVERSAL_ALPHABET) -> Vocab:
    """One vocabulary serves both sides of the reversal task."""
    _check_alphabet(alphabet)
    return Vocab(alphabet)


def copy_pairs(
    count: int, min_len: int = 5, max_len: int = 50, seed: int = 0,
    alphabet: str = REVERSAL_ALPHABET,
) -> list[tuple[str, str]]:
    """``count`` (string, same string) pairs: :func:`reversal_pairs`' strings, with the same seed, not reversed.

    Output token ``i`` is input token ``i``; reversal's is input token ``n - 1 - i``, which needs
    the length ``n``. Vocabulary: :func:`reversal_vocab`.
    """
    return [(text, text) for text, _ in reversal_pairs(count, min_len, max_len, seed, alphabet)]


def _check_alphabet(alphabet: str) -> None:
    """The symbols strings are drawn from: a non-empty str (an empty one has nothing to draw)."""
    if not alphabet:
        raise ValueError(f"alphabet must be a non-empty str of symbols such as {REVERSAL_ALPHABET!r}, "
                         f"got {alphabet!r}")


# --------------------------------------------------------------------------------------------
# Task 3: the notes' sentences, 나는 오늘 도쿄에 있다 -> "I am in Tokyo today"
# --------------------------------------------------------------------------------------------

#: Subject -> (English subject, its forms of "be" in the present and the past).
NOTES_SUBJECTS: dict[str, tuple[str, str, str]] = {
    "나는": ("I", "am", "was"), "너는": ("you", "are", "were"), "그는": ("he", "is", "was"),
    "그녀는": ("she", "is", "was"), "우리는": ("we", "are", "were"), "그들은": ("they", "are", "were"),
}
#: Time -> (English, the tenses it takes). English agreement decides the set: "yesterday" only
#: with the past, "tomorrow" only with the future, "now" only with the present; "today" with all.
NOTES_TIMES: dict[str, tuple[str, tuple[str, ...]]] = {
    "오늘": ("today", ("present", "past", "future")), "어제": ("yesterday", ("past",)),
    "내일": ("tomorrow", ("future",)), "지금": ("now", ("present",)),
}
#: Place -> (English after "be", English after "go"): "at home" but "went home", "at school" but
#: "to school".
NOTES_PLACES: dict[str, tuple[str, str]] = {
    "도쿄에": ("in Tokyo", "to Tokyo"), "서울에": ("in Seoul", "to Seoul"), "부산에": ("in Busan", "to Busan"),
    "파리에": ("in Paris", "to Paris"), "런던에": ("in London", "to London"), "베를린에": ("in Berlin", "to Berlin"),
    "로마에": ("in Rome", "to Rome"), "공원에": ("in the park", "to the park"), "집에": ("at home", "home"),
    "학교에": ("at school", "to school"),
}
#: Predicate -> (verb, tense): 있다 "be", 가다 "go".
NOTES_PREDICATES: dict[str, tuple[str, str]] = {
    "있다": ("be", "present"), "있었다": ("be", "past"), "있을 것이다": ("be", "future"),
    "간다": ("go", "present"), "갔다": ("go", "past"), "갈 것이다": ("go", "future"),
}
Combination = tuple[str, str, str, str]


def _one_of(name: str, value: object, table: dict) -> None:
    if value not in table:
        raise ValueError(f"{name} must be one of {list(table)}, got {value!r}")


def notes_sentence(subject: str, time: str, place: str, predicate: str) -> tuple[str, str]:
    """The Korean sentence and its English, ``("나는 오늘 도쿄에 있다", "I am in Tokyo today")``.

    Raises:
        ValueError: a word outside the task's tables, or a time the predicate's tense does not take
            (어제 with 있다 would need "I am in Tokyo yesterday").
    """
    for name, value, table in (("subject", subject, NOTES_SUBJECTS), ("time", time, NOTES_TIMES),
                               ("place", place, NOTES_PLACES), ("predicate", predicate, NOTES_PREDICATES)):
        _one_of(name, value, table)
    (english_subject, am, was), (when, tenses) = NOTES_SUBJECTS[subject], NOTES_TIMES[time]
    verb, tense = NOTES_PREDICATES[predicate]
    if tense not in tenses:
        raise ValueError(f"{time} ({when}) takes the {' or '.join(tenses)}, not the {tense} of {predicate!r}: "
                         f"pick a predicate in that tense")
    where = NOTES_PLACES[place][verb == "go"]
    verb_phrase = {("be", "present"): am, ("be", "past"): was, ("be", "future"): "will be",
                   ("go", "present"): f"{am} going", ("go", "past"): "went", ("go", "future"): "will go"}
    return f"{subject} {time} {place} {predicate}", f"{english_subject} {verb_phrase[verb, tense]} {where} {when}"


def notes_combinations() -> list[Combination]:
    """Every (subject, time, place, predicate) the task writes, in table order: 6 x 10 x 12 = 720
    (6 subjects, 10 places, 12 = the (time, predicate) pairs whose tenses agree)."""
    return [(subject, time, place, predicate) for subject in NOTES_SUBJECTS for time, (_, tenses) in NOTES_TIMES.items()
            for place in NOTES_PLACES for predicate, (_, tense) in NOTES_PREDICATES.items() if tense in tenses]


_SLOTS = {"subject": NOTES_SUBJECTS, "time": NOTES_TIMES, "place": NOTES_PLACES, "predicate": NOTES_PREDICATES}


def _slot(word: object) -> str | None:
    return next((slot for slot, table in _SLOTS.items() if word in table), None)


def notes_split(seed: int = 0, held_out: Sequence[tuple[str, str]] | None = None
                ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Every sentence of the task, split by combination: ``(training, held-out)`` (Korean, English) pairs.

    ``held_out`` names pairs of words of two different slots, such as ``("나는", "오늘")`` (subject,
    time) or ``("오늘", "서울에")`` (time, place): a sentence that holds both words of a pair is
    held out, so the two never meet in training and the model must combine words it has only
    seen apart. By default each time word is held out with one subject, the subjects all
    different, drawn by ``seed``. Each list is in :func:`notes_combinations` order.

    Raises:
        ValueError: ``seed`` is not an int; a pair is not two words of two different slots; or the
            pairs leave a word no training sentence.
    """
    if not is_int(seed):
        raise ValueError(f"seed must be an int, got {seed!r} ({type(seed).__name__})")
    if held_out is None:
        subjects = random.Random(seed).sample(list(NOTES_SUBJECTS), len(NOTES_TIMES))
        held_out = list(zip(subjects, NOTES_TIMES))
    if isinstance(held_out, (str, bytes)) or not isinstance(held_out, Sequence):
        raise ValueError(f"held_out must be a sequence of word pairs such as [('나는', '오늘')], got {held_out!r}")
    held = []
    for pair in held_out:
        slots = tuple(map(_slot, pair)) if isinstance(pair, tuple) and len(pair) == 2 else (None, None)
        if None in slots or slots[0] == slots[1]:
            raise ValueError(f"each held-out pair must be two words of two different slots, such as ('나는', '오늘') "
                             f"(subject, time) or ('오늘', '서울에') (time, place), from {list(_SLOTS)}; got {pair!r}")
        held.append(set(pair))
    train, test = [], []
    for combination in notes_combinations():
        (test if any(pair <= set(combination) for pair in held) else train).append(combination)
    for slot, table in _SLOTS.items():
        if missing := [word for word in table if not any(word in combination for combination in train)]:
            raise ValueError(f"held_out leaves no training sentence with the {slot} {missing[0]!r}: hold out fewer pairs")
    return [notes_sentence(*c) for c in train], [notes_sentence(*c) for c in test]


@lru_cache(maxsize=1)
def notes_vocabs() -> tuple[Vocab, Vocab]:
    """(Korean syllables, English words): :func:`lib.text.tokenize`'s tokens of every sentence."""
    pairs = [notes_sentence(*combination) for combination in notes_combinations()]
    return (Vocab(sorted({token for korean, _ in pairs for token in tokenize(korean, "kor")})),
            Vocab(sorted({token for _, english in pairs for token in tokenize(english, "eng")})))


def encode_notes(text: str) -> list[int]:
    """Source ids of a Korean sentence (syllables and ``▁``); :class:`ValueError` names a syllable
    the task never uses."""
    if not isinstance(text, str):
        raise TypeError(f"a sentence must be a str, got {type(text).__name__}")
    if not text.strip():
        raise ValueError(f"the sentence is empty (got {text!r}): expected Korean such as '나는 오늘 도쿄에 있다'")
    return notes_vocabs()[0].encode(tokenize(text, "kor"))
