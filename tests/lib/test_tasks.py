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


# --------------------------------------------------------------------------------------------
# The notes' sentences
# --------------------------------------------------------------------------------------------

from lib.tasks import (NOTES_PLACES, NOTES_PREDICATES, NOTES_SUBJECTS, NOTES_TIMES,  # noqa: E402
                       encode_notes, notes_combinations, notes_sentence, notes_split, notes_vocabs)
from lib.text import tokenize  # noqa: E402

# An independent table, written out by hand: each subject's English and its "be" in the present
# and the past; each predicate's English before the place, by person.
_PERSON = {"나는": ("I", "am", "was"), "너는": ("you", "are", "were"), "그는": ("he", "is", "was"),
           "그녀는": ("she", "is", "was"), "우리는": ("we", "are", "were"), "그들은": ("they", "are", "were")}
_TENSE = {"있다": "present", "간다": "present", "있었다": "past", "갔다": "past", "있을 것이다": "future",
          "갈 것이다": "future"}
_WHEN = {"오늘": ("today", {"present", "past", "future"}), "어제": ("yesterday", {"past"}),
         "내일": ("tomorrow", {"future"}), "지금": ("now", {"present"})}
_HOME_AND_SCHOOL = {("집에", "be"): "at home", ("집에", "go"): "home", ("학교에", "be"): "at school",
                    ("학교에", "go"): "to school", ("공원에", "be"): "in the park", ("공원에", "go"): "to the park"}


def _expected_english(subject, time, place, predicate):
    who, am, was = _PERSON[subject]
    verb = "go" if predicate in ("간다", "갔다", "갈 것이다") else "be"
    city = {"도쿄에": "Tokyo", "서울에": "Seoul", "부산에": "Busan", "파리에": "Paris", "런던에": "London",
            "베를린에": "Berlin", "로마에": "Rome"}.get(place)
    where = (f"in {city}" if verb == "be" else f"to {city}") if city else _HOME_AND_SCHOOL[place, verb]
    verb_phrase = {"있다": am, "있었다": was, "있을 것이다": "will be", "간다": f"{am} going", "갔다": "went",
                   "갈 것이다": "will go"}[predicate]
    return f"{who} {verb_phrase} {where} {_WHEN[time][0]}"


def test_notes_sentence_is_the_notes_own():
    assert notes_sentence("나는", "오늘", "도쿄에", "있다") == ("나는 오늘 도쿄에 있다", "I am in Tokyo today")
    assert notes_sentence("우리는", "어제", "학교에", "있었다")[1] == "we were at school yesterday"
    assert notes_sentence("그녀는", "내일", "집에", "있을 것이다")[1] == "she will be at home tomorrow"
    assert notes_sentence("그는", "어제", "서울에", "갔다")[1] == "he went to Seoul yesterday"
    assert notes_sentence("나는", "어제", "집에", "갔다")[1] == "I went home yesterday"


def test_every_pair_agrees_with_an_independent_table():
    """Every subject with every tense, every place with both verbs: each English sentence as the
    hand-written table says, and each time word only with the tenses English allows with it."""
    combinations = notes_combinations()
    assert len(combinations) == len(set(combinations)) == 6 * 10 * 12
    for combination in combinations:
        subject, time, place, predicate = combination
        assert _TENSE[predicate] in _WHEN[time][1], combination
        korean, english = notes_sentence(*combination)
        assert korean == " ".join(combination)
        assert english == _expected_english(*combination), combination
    made = {(c[0], _TENSE[c[3]]) for c in combinations}
    assert made == {(s, t) for s in _PERSON for t in ("present", "past", "future")}
    assert {c[1:3] for c in combinations} == {(t, p) for t in _WHEN for p in NOTES_PLACES}
    assert set(NOTES_SUBJECTS) == set(_PERSON) and set(NOTES_PREDICATES) == set(_TENSE) and set(NOTES_TIMES) == set(_WHEN)


def test_tense_and_time_that_disagree_are_refused():
    with pytest.raises(ValueError, match=r"어제 \(yesterday\) takes the past, not the present of '있다'"):
        notes_sentence("나는", "어제", "도쿄에", "있다")
    with pytest.raises(ValueError, match="place must be one of"):
        notes_sentence("나는", "오늘", "교토에", "있다")


def _words(korean):
    subject, time, place, *predicate = korean.split()
    return {subject, time, place, " ".join(predicate)}


@pytest.mark.parametrize("held_out", [None, (("오늘", "서울에"), ("어제", "집에")), (("나는", "오늘"), ("그는", "갔다"))])
def test_held_out_combinations_never_meet_in_training(held_out):
    train, test = notes_split(seed=3, held_out=held_out)
    pairs = [set(pair) for pair in held_out] if held_out else None
    if pairs is None:  # the default: each time word with one subject, the subjects all different
        subjects = {next(w for w in _words(k) if w in NOTES_SUBJECTS) for k, _ in test}
        assert len(subjects) == len(NOTES_TIMES)
        pairs = [{s, t} for s in subjects for t in NOTES_TIMES
                 if any(_words(k) >= {s, t} for k, _ in test)]
        assert len(pairs) == len(NOTES_TIMES)
    assert test and train and not {k for k, _ in train} & {k for k, _ in test}
    assert all(any(_words(k) >= pair for pair in pairs) for k, _ in test)
    assert not any(_words(k) >= pair for k, _ in train for pair in pairs)
    assert len(train) + len(test) == len(notes_combinations())


def test_notes_split_repeats_by_seed():
    assert notes_split(seed=4) == notes_split(seed=4)
    assert any(notes_split(seed=s)[1] != notes_split(seed=4)[1] for s in range(5))


def test_notes_split_refuses_bad_pairs():
    with pytest.raises(ValueError, match="two words of two different slots"):
        notes_split(held_out=[("오늘", "어제")])
    with pytest.raises(ValueError, match="two words of two different slots"):
        notes_split(held_out=[("오늘", "교토에")])
    with pytest.raises(ValueError, match="no training sentence with the time '어제'"):
        notes_split(held_out=[("어제", s) for s in NOTES_SUBJECTS])
    with pytest.raises(ValueError, match="seed must be an int"):
        notes_split(seed=1.5)
    with pytest.raises(ValueError, match="sequence of word pairs"):
        notes_split(held_out="오늘")


def test_notes_are_tokenised_as_the_course_tokenises_korean():
    source_vocab, target_vocab = notes_vocabs()
    assert encode_notes("나는 오늘 도쿄에 있다") == source_vocab.encode(["나", "는", "▁", "오", "늘", "▁", "도", "쿄", "에", "▁", "있", "다"])
    for korean, english in (notes_sentence(*c) for c in notes_combinations()):
        source_vocab.encode(tokenize(korean, "kor"))
        target_vocab.encode(tokenize(english, "eng"))
    with pytest.raises(ValueError, match="unknown token '토'"):
        encode_notes("나는 오늘 교토에 있다")
    with pytest.raises(ValueError, match="the sentence is empty"):
        encode_notes("  ")


def test_copy_pairs_are_the_reversal_strings_unchanged():
    pairs = copy_pairs(50, 5, 9, seed=3)
    assert all(target == source and 5 <= len(source) <= 9 for source, target in pairs)
    assert [source for source, _ in pairs] == [source for source, _ in reversal_pairs(50, 5, 9, seed=3)]
    assert len({len(source) for source, _ in pairs}) > 1  # lengths vary
    with pytest.raises(ValueError, match="min_len <= max_len"):
        copy_pairs(1, 10, 5)
