"""lib.tasks: the dates, reversal and copy tasks."""

import datetime as dt

import pytest

from lib.tasks import copy_pairs, date_pairs, date_vocabs, encode_date, format_date, reversal_pairs


def test_format_date_uses_cldr():
    date = dt.date(2026, 11, 24)
    assert format_date(date, "ko", "full") == "2026년 11월 24일 화요일"
    assert format_date(date, "en", "full") == "Tuesday, November 24, 2026"
    with pytest.raises(ValueError, match="short"):
        format_date(date, "en", "short")


def test_date_task_is_unambiguous():
    """No source string maps to two different targets, over a large sample."""
    seen: dict[str, str] = {}
    for source, target in date_pairs(60_000, seed=7):
        assert seen.setdefault(source, target) == target, f"{source!r} -> {seen[source]} and {target}"


def test_date_pairs_repeat_and_cover_locales():
    assert date_pairs(50, seed=1) == date_pairs(50, seed=1)
    sources = [source for source, _ in date_pairs(500, seed=2)]
    assert any("년" in s for s in sources) and any("de" in s.split() for s in sources)


def test_date_vocab_covers_every_generated_character():
    source_vocab, target_vocab = date_vocabs()
    for source, target in date_pairs(5_000, seed=3):
        source_vocab.encode(source)
        target_vocab.encode(target)


def test_unknown_character_in_a_date():
    with pytest.raises(ValueError, match=r"unknown token '@' at position 3"):
        encode_date("Nov@24, 2026")
    with pytest.raises(ValueError, match="the date is empty"):
        encode_date("")


def test_reversal_pairs():
    pairs = reversal_pairs(100, 5, 9, seed=0)
    assert all(target == source[::-1] and 5 <= len(source) <= 9 for source, target in pairs)
    with pytest.raises(ValueError, match="min_len <= max_len"):
        reversal_pairs(1, 10, 5)


def test_copy_pairs_are_the_reversal_strings_unchanged():
    pairs = copy_pairs(50, 5, 9, seed=3)
    assert all(target == source and 5 <= len(source) <= 9 for source, target in pairs)
    assert [source for source, _ in pairs] == [source for source, _ in reversal_pairs(50, 5, 9, seed=3)]
    assert len({len(source) for source, _ in pairs}) > 1  # lengths vary
    with pytest.raises(ValueError, match="min_len <= max_len"):
        copy_pairs(1, 10, 5)
