"""DMARC (RFC 7489): find the policy record for a domain and read its tags.

The record is at ``_dmarc.<domain>``; a subdomain without one falls under its organizational
domain's record (its ``sp=`` policy). Without the public-suffix list the organizational
domain is found by walking up the labels, which is right for every domain a sender owns.
"""

from __future__ import annotations

from dataclasses import dataclass

from preflight.dns.answer import Answer
from preflight.dns.dkim import parse_tags
from preflight.dns.resolver import Lookups

POLICIES = ("none", "quarantine", "reject")


@dataclass(frozen=True, slots=True)
class DmarcLookup:
    """What was found: the domain whose ``_dmarc`` record applies, and the DMARC records."""

    found_at: str | None
    records: tuple[str, ...]
    answer: Answer | None
    inherited: bool = False


@dataclass(frozen=True, slots=True)
class DmarcPolicy:
    record: str
    tags: dict[str, str]
    policy: str
    pct: int
    rua: tuple[str, ...]


def is_dmarc(text: str) -> bool:
    return text.replace(" ", "").lower().startswith("v=dmarc1")


async def find_dmarc(lookups: Lookups, domain: str) -> DmarcLookup:
    """The DMARC records governing ``domain``, walking up to its parent domains."""
    labels = domain.split(".")
    first: Answer | None = None
    for start in range(len(labels) - 1):
        owner = ".".join(labels[start:])
        answer = await lookups.get(f"_dmarc.{owner}", "TXT")
        first = first or answer
        if not answer.ok and not answer.missing:
            return DmarcLookup(None, (), answer)  # a failed query: do not guess upward
        records = tuple(t for t in answer.texts() if is_dmarc(t)) if answer.ok else ()
        if records:
            return DmarcLookup(owner, records, answer, inherited=start > 0)
    return DmarcLookup(None, (), first)


def parse_dmarc(record: str, *, inherited: bool = False) -> DmarcPolicy:
    """Read a DMARC record; raises ``ValueError`` with a one-line reason when it is invalid."""
    tags = parse_tags(record, squeeze=False)
    if tags.get("v") != "DMARC1":
        raise ValueError("the record must start with v=DMARC1")
    policy = tags.get("p", "").lower()
    if policy not in POLICIES:
        raise ValueError(f"p= must be none, quarantine or reject (found {tags.get('p', '')!r})")
    if inherited and tags.get("sp", "").lower() in POLICIES:
        policy = tags["sp"].lower()
    pct_text = tags.get("pct", "100")
    if not pct_text.isdigit() or int(pct_text) > 100:
        raise ValueError(f"pct= must be 0-100 (found {pct_text!r})")
    rua = tuple(uri.strip() for uri in tags.get("rua", "").split(",") if uri.strip())
    return DmarcPolicy(record, tags, policy, int(pct_text), rua)


__all__ = ["POLICIES", "DmarcLookup", "DmarcPolicy", "find_dmarc", "is_dmarc", "parse_dmarc"]
