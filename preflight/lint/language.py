"""Which of the languages our users write a text is in: once per part, cached.

Script settles most of it: Han → zh, Cyrillic → ru, Arabic → ar. Latin-script text goes to
py3langid (a maintained fork of langid.py whose model ships inside the package, so it works
offline), restricted to our Latin-script languages. Its model loads once per process and only
when a Latin-script part the English fast path does not settle is seen: about 0.6 s of CPU the
first time (most of it LZMA), a few hundredths from the uncompressed copy
``lint/model_cache.py`` keeps; a call then costs about 0.1 ms (bench/lint_corpus.py reports
both).
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from preflight.lint.text import word_set

# The languages that have phrase lists, opt-out and postal patterns (ISO 639-1).
LANGUAGES = ("en", "zh", "de", "es", "fr", "pt", "it", "ru", "tr", "ar")
_LATIN = ("en", "de", "es", "fr", "pt", "it", "tr")
DEFAULT = "en"
MIN_LETTERS = 20  # fewer letters than this say too little: the default is assumed
# Characters looked at: langid.py's authors report near-ceiling accuracy from about 100
# characters; 600 is a paragraph, and the DFA walk is a Python loop per byte.
_SAMPLE = 600

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_ANY_SCRIPT = re.compile(r"[\u0400-\u04ff\u0600-\u06ff\u3400-\u4dbf\u4e00-\u9fff]")
_LETTERS = re.compile(r"[^\W\d_]+")  # runs of letters: a shorter list than letter by letter
_ASCII_WORD = re.compile(r"[a-z]+")
# For ASCII samples, where [^\W\d_] is [A-Za-z]: bytes.translate counts and splits in C
# what the two regexes above find (a list of every letter, then of every word).
_ASCII_LETTERS = bytes(range(65, 91)) + bytes(range(97, 123))
_LOWER_OR_SPACE = bytes(c if 97 <= c <= 122 else 32 for c in range(256))
# Above this share of English-only function words (data/english_function_words.txt) a text
# is English without asking the model, which stays unloaded on English-only runs; py3langid
# agrees on 2,081 of the 2,082 corpus parts so decided (bench/lint_corpus.py prints it).
ENGLISH_SHARE = 0.12


@cache
def _identifier():  # type: ignore[no-untyped-def]
    from preflight.lint.model_cache import load_identifier

    return load_identifier(_LATIN)


def scripts_present(text: str) -> frozenset[str]:
    """Languages whose script appears in ``text`` at all (a Chinese line in an English mail).

    Their phrases cannot match text without their script, so adding them costs nothing and
    catches the mixed mail exporters write.
    """
    if text.isascii() or not _ANY_SCRIPT.search(text):  # one scan for the usual no
        return frozenset()
    return frozenset(
        code
        for regex, code in ((_HAN, "zh"), (_CYRILLIC, "ru"), (_ARABIC, "ar"))
        if regex.search(text)
    )


@lru_cache(maxsize=64)
def identify(text: str) -> str:
    """The language code of ``text`` (one of :data:`LANGUAGES`); the default when unsure."""
    sample = text[:_SAMPLE]
    if sample.isascii():
        raw = sample.encode("ascii")
        if len(raw) - len(raw.translate(None, _ASCII_LETTERS)) < MIN_LETTERS:
            return DEFAULT
        tokens = raw.lower().translate(_LOWER_OR_SPACE).decode("ascii").split()
    else:
        letters = sum(map(len, _LETTERS.findall(sample)))
        if letters < MIN_LETTERS:
            return DEFAULT
        for regex, code in ((_HAN, "zh"), (_CYRILLIC, "ru"), (_ARABIC, "ar")):
            if len(regex.findall(sample)) * 3 >= letters:  # a third of the letters decides
                return code
        tokens = _ASCII_WORD.findall(sample.lower())
    english = word_set("english_function_words.txt")
    if tokens and sum(map(english.__contains__, tokens)) >= ENGLISH_SHARE * len(tokens):
        return "en"
    return identify_with_model(sample)


def identify_with_model(text: str) -> str:
    """py3langid's answer among our Latin-script languages (no fast path)."""
    language, _ = _identifier().classify(text[:_SAMPLE])
    return str(language)
