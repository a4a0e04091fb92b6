"""The course's generated tasks: dates (chapters 02-08), reversal (chapters 01 and 07) and copy (chapter 10).

* **Dates** (:func:`date_pairs`): human-readable dates in five languages, formatted by Babel from
  the Unicode CLDR, mapped to ISO ``YYYY-MM-DD``. Only CLDR's *full*, *long* and *medium*
  formats are used: the *short* ones are numeric and ambiguous across locales (en ``11/04/26``
  is 4 November, fr ``11/04/26`` is 11 April), which caps any model's accuracy.
* **Reversal** (:func:`reversal_pairs`): random symbol strings of a controlled length and their
  reverse, to measure how a fixed-size context vector degrades with length.
* **Copy** (:func:`copy_pairs`): the same strings, unchanged; the sanity run of *The Annotated
  Transformer*, and the order that positions counted from the start give away (chapter 10's race).
"""

from __future__ import annotations

import datetime as dt
import random
from functools import lru_cache

from babel import Locale
from babel.dates import get_date_format

from ._validate import is_int
from .data import Vocab

__all__ = ["DATE_LOCALES", "DATE_FORMATS", "format_date", "random_dates", "date_pairs", "date_vocabs",
           "encode_date", "REVERSAL_ALPHABET", "reversal_pairs", "reversal_vocab", "copy_pairs"]


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
