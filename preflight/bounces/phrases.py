"""The standard phrases mail servers use for each failure reason, from ``data/phrases.toml``.

A phrase is a lower-case substring of a diagnostic text (whitespace collapsed); ``…`` inside
a phrase means "these parts, in this order, anything between". Each entry in the data file
names its source (mostly sisimai's reason classes, BSD-2-Clause, github.com/sisimai).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable

from preflight.bounces.data import DATA_DIR


def _load() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    data = (DATA_DIR / "phrases.toml").read_text("utf-8")
    table = tomllib.loads(data)
    negative = table.pop("not", {})
    return _texts(table), _texts(negative)


def _texts(table: dict[str, dict[str, list[str]]]) -> dict[str, tuple[str, ...]]:
    """reason → {source: [phrases]} as reason → phrases."""
    return {
        reason: tuple(text for texts in by_source.values() for text in texts)
        for reason, by_source in table.items()
    }


_PHRASES, _NOT = _load()


# Plain phrases are tested with substring search, gapped ones ("a … b") by finding their
# parts in order: no regular expressions to compile at start-up, and faster than one big
# alternation per reason.
PHRASES: dict[str, tuple[str, ...]] = {
    reason: tuple(p for p in phrases if "…" not in p) for reason, phrases in _PHRASES.items()
}
GAPPED: dict[str, tuple[tuple[str, ...], ...]] = {
    reason: tuple(tuple(p.split("…")) for p in phrases if "…" in p)
    for reason, phrases in _PHRASES.items()
}


def _in_order(text: str, parts: tuple[str, ...]) -> bool:
    position = 0
    for part in parts:
        found = text.find(part, position)
        if found < 0:
            return False
        position = found + len(part)
    return True


def says(reason: str, text: str) -> bool:
    """True when ``text`` (lower-case, whitespace collapsed) has one of the reason's phrases."""
    if not text:
        return False
    negative = _NOT.get(reason)
    # map(text.__contains__, ...) runs the substring tests without a Python frame per phrase:
    # the phrase lists are the reader's hottest loop.
    if negative is not None and any(map(text.__contains__, negative)):
        return False
    if any(map(text.__contains__, PHRASES.get(reason, ()))):
        return True
    return any(_in_order(text, parts) for parts in GAPPED.get(reason, ()))


def phrase_reason(text: str, table: dict[str, tuple[str, ...]]) -> str | None:
    """The first reason in ``table`` with one of its phrases in ``text``, compared as given
    (a detector's or a provider's fixed texts, in the case the server writes them)."""
    contains = text.__contains__
    for reason, phrases in table.items():
        if any(map(contains, phrases)):
            return reason
    return None


def first_said(reasons: Iterable[str], text: str) -> str | None:
    """The first reason in ``reasons`` whose phrases occur in ``text``."""
    for reason in reasons:
        if says(reason, text):
            return reason
    return None


__all__ = [
    "GAPPED",
    "PHRASES",
    "first_said",
    "phrase_reason",
    "says",
]
