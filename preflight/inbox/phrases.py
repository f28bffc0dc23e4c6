"""The inbox sorter's data files (``preflight/inbox/data/``), each entry with its source."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Phrase:
    language: str
    text: str
    source: str


def _entries(name: str) -> list[str]:
    return [
        line.strip()
        for line in (_DATA / name).read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


@cache
def phrases(name: str) -> tuple[Phrase, ...]:
    """``LANG | PHRASE | SOURCE`` lines; phrases are kept case-folded."""
    found = []
    for entry in _entries(name):
        language, text, source = (part.strip() for part in entry.split(" | ", 2))
        found.append(Phrase(language, text.casefold(), source))
    return tuple(found)


@cache
def phrase_pattern(name: str) -> re.Pattern[str]:
    """One regex for a phrase file: whole words, except for scripts without spaces."""
    parts = []
    for phrase in sorted(phrases(name), key=lambda p: -len(p.text)):
        escaped = re.escape(phrase.text).replace(r"\ ", r"\s+")
        parts.append(escaped if phrase.language == "zh" else rf"(?<!\w){escaped}(?!\w)")
    return re.compile("|".join(parts), re.IGNORECASE)


@cache
def quote_headers() -> tuple[re.Pattern[str], ...]:
    """``PATTERN | SOURCE`` lines: the attribution lines that start a quoted original."""
    return tuple(
        re.compile(entry.rsplit(" | ", 1)[0].strip(), re.IGNORECASE)
        for entry in _entries("quote_headers.txt")
    )


__all__ = ["Phrase", "phrase_pattern", "phrases", "quote_headers"]
