"""The word lists behind the recipient checks, and the typo finder that uses them.

The lists are plain text files beside this module (one entry a line, ``#`` comments) so that
anyone can extend them without reading code; each is read once per process.
"""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path

_HERE = Path(__file__).resolve().parent

# Characters a slip of the finger can add or change in a domain.
_DOMAIN_ALPHABET = string.ascii_lowercase + string.digits + "-."


def _lines(name: str) -> list[str]:
    entries = []
    for raw in (_HERE / name).read_text(encoding="utf-8").splitlines():
        entry = raw.split("#", 1)[0].strip().lower()
        if entry:
            entries.append(entry)
    return entries


def _pairs(name: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for entry in _lines(name):
        typo, correct = entry.split()
        pairs[typo] = correct
    return pairs


@cache
def role_local_parts() -> frozenset[str]:
    """Local parts that name a function (``info``, ``sales``, ``noreply``…)."""
    return frozenset(_lines("role_local_parts.txt"))


@cache
def free_mail_domains() -> frozenset[str]:
    """Domains of free mailbox providers, Western and Chinese."""
    return frozenset(_lines("free_mail_domains.txt"))


@cache
def domain_typos() -> dict[str, str]:
    """Known misspellings of provider domains and the domain meant."""
    return _pairs("domain_typos.txt")


@cache
def tld_typos() -> dict[str, str]:
    """Top-level domains that do not exist, and the one meant."""
    return _pairs("tld_typos.txt")


@cache
def providers() -> tuple[str, ...]:
    """Provider domains whose one-edit misspellings are caught without a table entry."""
    return tuple(_lines("providers.txt"))


def _one_edit_away(word: str) -> set[str]:
    """Every string one deletion, swap of neighbours, change or insertion from ``word``."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {left + right[1:] for left, right in splits if right}
    swaps = {left + right[1] + right[0] + right[2:] for left, right in splits if len(right) > 1}
    changes = {left + c + right[1:] for left, right in splits if right for c in _DOMAIN_ALPHABET}
    inserts = {left + c + right for left, right in splits for c in _DOMAIN_ALPHABET}
    return deletes | swaps | changes | inserts


@cache
def _near_misses() -> dict[str, str]:
    # Precomputed once (~20k strings) so that each address costs one dict lookup.
    known = free_mail_domains()
    misses: dict[str, str] = {}
    for provider in providers():
        if len(provider.split(".", 1)[0]) < 5:
            continue
        for variant in _one_edit_away(provider):
            if variant not in known and "." in variant and not variant.startswith("."):
                misses.setdefault(variant, provider)
    return misses


def suggest_domain(domain: str) -> tuple[str, str] | None:
    """The domain probably meant when ``domain`` looks misspelled, with the kind of slip.

    Returns ``(suggestion, "domain-typo" | "tld-typo")`` or ``None``. ``domain`` is the ASCII
    (IDNA) form in lower case. Known provider domains are never "corrected".
    """
    if domain in free_mail_domains():
        return None
    fixed = domain_typos().get(domain) or _near_misses().get(domain)
    if fixed:
        return fixed, "domain-typo"
    head, dot, tld = domain.rpartition(".")
    if dot and tld in tld_typos():
        repaired = f"{head}.{tld_typos()[tld]}"
        return (
            domain_typos().get(repaired) or _near_misses().get(repaired) or repaired,
            "tld-typo",
        )
    return None


__all__ = [
    "domain_typos",
    "free_mail_domains",
    "providers",
    "role_local_parts",
    "suggest_domain",
    "tld_typos",
]
