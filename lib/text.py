"""Normalising, tokenising and detokenising English, French and Korean sentences.

A translation model sees sentences as lists of tokens; BLEU (``sacrebleu``) wants plain strings
back. This module is the round trip between the two, with one rule per language:

* **Normalisation: Unicode NFC**, then a few hand-picked folds. NFC only composes what is
  *canonically* equal (``e`` + combining acute -> ``é``) and keeps Hangul syllable blocks whole
  (``오`` stays one character). NFKC would also fold "compatibility" characters, which sounds
  helpful but rewrites Korean: it turns the compatibility jamo ``ㅋ`` (U+314B, as in ``ㅋㅋ``) into
  the conjoining jamo U+110F, a different character that renders and tokenises differently.
  NFD/NFKD are worse still: they split every syllable into jamo (``오`` -> ``ᄋ`` + ``ᅩ``). So we use
  NFC and fold by hand only what we want folded: every Unicode space (the no-break spaces French
  puts before ``? ! : ;``, U+00A0 and U+202F, and thin spaces) becomes a plain space, and typographic
  apostrophes and quotes become ASCII ones, so ``j’ai`` and ``j'ai`` are one spelling.
* **Lowercasing** for every language (Korean has no case; it only touches Latin words such as
  ``TV``): with a few thousand sentences, ``Tom`` and ``tom`` should share one embedding.
* **English and French: words**, with punctuation split off and words joined by inner apostrophes
  or hyphens kept whole (``don't``, ``peut-être``, ``aujourd'hui``). French elision is split after
  the apostrophe (``j'ai`` -> ``j'`` ``ai``, ``l'homme`` -> ``l'`` ``homme``, ``qu'il`` -> ``qu'`` ``il``),
  because ``j'`` is the word *je*: splitting lets ``ai`` share its embedding with ``ai`` elsewhere.
  Only the closed list of elided words is split, so ``aujourd'hui``, ``quelqu'un`` and
  ``presqu'île`` stay whole.
* **Korean: syllables.** Korean writes words (*eojeol*) as a stem plus particles glued together
  (``도쿄에`` = Tokyo + "at"), so whitespace words make a huge, sparse vocabulary: the 5.7k
  sentences of Tatoeba's English-Korean file hold 7,841 distinct eojeol (punctuation stripped),
  5,294 of them seen once.
  Syllable blocks make a small, dense vocabulary (1,024 distinct) whose pieces recur across words
  (``오늘``, ``오다``). Word boundaries survive as the token :data:`KOREAN_SPACE` (``▁``, as in
  SentencePiece), so :func:`detokenize` can put the spaces back. Runs of Latin letters or digits
  (``tv``, ``10``) stay one token.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["KOREAN_SPACE", "LANGUAGES", "normalize", "tokenize", "detokenize"]

KOREAN_SPACE = "\u2581"
"""The token that marks a space between two Korean words (``▁``, U+2581)."""

LANGUAGES: dict[str, str] = {"eng": "eng", "en": "eng", "fra": "fra", "fr": "fra", "kor": "kor", "ko": "kor"}
"""Accepted language codes (ISO 639-3 as Tatoeba spells them, and the two-letter ones) -> canonical."""

# Characters folded by hand after NFC (see the module docstring for why not NFKC).
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"'})
_ANY_WHITESPACE = re.compile(r"\s+")  # in Python 3, \s matches U+00A0, U+202F, U+2009 too

# One token per match, tried in order: numbers (3.5, 10:30, 1,000; 12th is a word), words with inner ' or - kept
# whole (don't, peut-être, aujourd'hui), an ellipsis, then any other single non-space character.
_WORD_TOKEN = re.compile(
    r"""\d+(?:[.,:]\d+)*(?![^\W_])
      | [^\W_]+(?:['-][^\W_]+)*
      | \.\.\.
      | \S""",
    re.VERBOSE,
)

# French elided words: the closed list of words that drop their vowel before another vowel.
_FRENCH_ELISION = re.compile(r"(qu|jusqu|lorsqu|puisqu|quoiqu|[cdjlmnst])'(?=[^\W_])", re.IGNORECASE)

_HANGUL_SYLLABLE = "\uac00-\ud7a3"
_HANGUL_JAMO = "\u1100-\u11ff\u3130-\u318f"
# Korean: whitespace (a word boundary), one Hangul syllable, a number, a run of other letters
# (Latin, say), an ellipsis, or any other single character (punctuation, a stray jamo).
_KOREAN_TOKEN = re.compile(
    rf"""(?P<space>\s+)
      | [{_HANGUL_SYLLABLE}]
      | \d+(?:[.,:]\d+)*
      | [^\W\d_{_HANGUL_SYLLABLE}{_HANGUL_JAMO}]+
      | \.\.\.
      | \S""",
    re.VERBOSE,
)

# Detokenisation: which tokens glue to their left or right neighbour, per language. French
# typography puts a space before ? ! : ; and inside « », as Tatoeba's French sentences do.
_NO_SPACE_BEFORE = {
    "eng": {".", ",", "!", "?", ";", ":", "%", ")", "]", "}", "..."},
    "fra": {".", ",", ")", "]", "}", "..."},
}
_NO_SPACE_AFTER = {"eng": {"(", "[", "{", "$"}, "fra": {"(", "[", "{"}}


def _canonical_language(lang: str) -> str:
    try:
        return LANGUAGES[lang.lower()]
    except (KeyError, AttributeError):  # AttributeError: not a str (None has no .lower)
        raise ValueError(f"unknown language {lang!r}: expected one of {sorted(set(LANGUAGES.values()))} "
                         f"(or {sorted(k for k in LANGUAGES if len(k) == 2)})") from None


def normalize(text: str, *, lowercase: bool = True) -> str:
    """Return ``text`` in NFC with every kind of space folded to one ASCII space, typographic
    apostrophes and quotes made ASCII, ends stripped and (by default) lowercased."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str (one sentence), got {type(text).__name__}")
    text = unicodedata.normalize("NFC", text).translate(_APOSTROPHES)
    text = _ANY_WHITESPACE.sub(" ", text).strip()
    return text.lower() if lowercase else text


def tokenize(text: str, lang: str, *, lowercase: bool = True) -> list[str]:
    """Split one sentence into tokens: words for English and French, syllables for Korean.

    >>> tokenize("J'ai vu l'homme aujourd'hui !", "fra")
    ["j'", 'ai', 'vu', "l'", 'homme', "aujourd'hui", '!']
    >>> tokenize("나는 오늘 도쿄에 있다.", "kor")
    ['나', '는', '▁', '오', '늘', '▁', '도', '쿄', '에', '▁', '있', '다', '.']
    """
    lang = _canonical_language(lang)
    text = normalize(text, lowercase=lowercase)
    if lang == "kor":
        return [KOREAN_SPACE if match.group("space") else match.group()
                for match in _KOREAN_TOKEN.finditer(text)]
    tokens = _WORD_TOKEN.findall(text)
    if lang == "fra":
        tokens = [piece for token in tokens for piece in _split_french_elision(token)]
    return tokens


def _split_french_elision(token: str) -> list[str]:
    """``qu'est-ce`` -> ``qu'`` ``est-ce``; repeated, so ``s'l'...`` would peel twice."""
    pieces = []
    while (match := _FRENCH_ELISION.match(token)) is not None:
        pieces.append(token[: match.end()])
        token = token[match.end():]
    return pieces + [token]


def detokenize(tokens: list[str], lang: str) -> str:
    """Join tokens back into a plain sentence, the inverse of :func:`tokenize` (up to its
    normalisation): ``tokenize(detokenize(t, lang), lang) == t`` for the tokens it produces.

    BLEU needs this: ``sacrebleu`` scores plain strings with its own tokeniser, so hypotheses and
    references must both be detokenised the same way (use ``detokenize(tokenize(reference))``
    as the reference, so that both sides are lowercased alike).
    """
    lang = _canonical_language(lang)
    if lang == "kor":
        # Every character was kept and spaces became KOREAN_SPACE, so this is exact.
        return "".join(" " if token == KOREAN_SPACE else token for token in tokens).strip()
    no_space_before, no_space_after = _NO_SPACE_BEFORE[lang], _NO_SPACE_AFTER[lang]
    text, previous, inside_quotes = "", None, False
    for token in tokens:
        glue = previous is None or token in no_space_before or previous in no_space_after
        if lang == "fra" and previous is not None and previous.endswith("'") and len(previous) > 1:
            glue = True  # an elided word: j' + ai -> j'ai
        if token == '"':  # straight quotes: the first of a pair opens, the second closes
            glue = glue or inside_quotes
            inside_quotes = not inside_quotes
        elif previous == '"' and inside_quotes:
            glue = True  # right after an opening quote
        text += token if glue else " " + token
        previous = token
    return text
