"""The bounce reasons: one enum, and one record per reason read from ``data/reasons.toml``.

:class:`Reason` is a :class:`~enum.StrEnum`, so ``reason == "userunknown"`` still holds
everywhere a reason was a bare string (the ledger stores the value).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from enum import StrEnum

from preflight.bounces.data import DATA_DIR


class Reason(StrEnum):
    USERUNKNOWN = "userunknown"
    HOSTUNKNOWN = "hostunknown"
    HASMOVED = "hasmoved"
    NOTACCEPT = "notaccept"
    MAILBOXFULL = "mailboxfull"
    SUSPEND = "suspend"
    EXCEEDLIMIT = "exceedlimit"
    MESGTOOBIG = "mesgtoobig"
    FILTERED = "filtered"
    REJECTED = "rejected"
    BLOCKED = "blocked"
    BADREPUTATION = "badreputation"
    SPAMDETECTED = "spamdetected"
    VIRUSDETECTED = "virusdetected"
    POLICYVIOLATION = "policyviolation"
    CONTENTERROR = "contenterror"
    NOTCOMPLIANTRFC = "notcompliantrfc"
    AUTHFAILURE = "authfailure"
    REQUIREPTR = "requireptr"
    SECURITYERROR = "securityerror"
    FAILEDSTARTTLS = "failedstarttls"
    NORELAYING = "norelaying"
    TOOMANYCONN = "toomanyconn"
    SPEEDING = "speeding"
    SENDINGLIMIT = "sendinglimit"
    SYSTEMERROR = "systemerror"
    SYSTEMFULL = "systemfull"
    NETWORKERROR = "networkerror"
    EXPIRED = "expired"
    MAILERERROR = "mailererror"
    SYNTAXERROR = "syntaxerror"
    ONHOLD = "onhold"
    UNDEFINED = "undefined"
    DELIVERED = "delivered"
    FEEDBACK = "feedback"
    VACATION = "vacation"


@dataclass(frozen=True)
class ReasonRecord:
    """What a reason means and what it does."""

    reason: Reason
    meaning: str
    hard: bool  # a permanent address problem: suppress the recipient
    pauses: bool  # the sender is at fault: stop the mailbox until fixed
    bounce: bool  # False for delivery reports, complaints' kin and auto-replies
    fix: str  # what the user reads when the mailbox is paused ("" if it never pauses)
    source: str


def _load() -> dict[Reason, ReasonRecord]:
    text = (DATA_DIR / "reasons.toml").read_text("utf-8")
    table = tomllib.loads(text)
    records = {
        Reason(name): ReasonRecord(
            reason=Reason(name),
            meaning=entry["meaning"],
            hard=bool(entry.get("hard", False)),
            pauses=bool(entry.get("pauses", False)),
            bounce=bool(entry.get("bounce", True)),
            fix=entry.get("fix", ""),
            source=entry["source"],
        )
        for name, entry in table.items()
    }
    missing = set(Reason) - set(records)
    if missing:  # a packaging or editing mistake, caught on import by the test suite
        raise RuntimeError(f"reasons.toml has no record for {sorted(missing)}")
    return records


REASONS: dict[Reason, ReasonRecord] = _load()


def record(reason: str) -> ReasonRecord:
    """The record of a reason (given as a :class:`Reason` or its value)."""
    return REASONS[Reason(reason)]


HARD_REASONS = frozenset(r for r, rec in REASONS.items() if rec.hard)
NOT_BOUNCES = frozenset(r for r, rec in REASONS.items() if not rec.bounce)
PAUSE_REASONS = frozenset(r for r, rec in REASONS.items() if rec.pauses)
PAUSE_FIXES = {r: rec.fix for r, rec in REASONS.items() if rec.fix}

__all__ = [
    "HARD_REASONS",
    "NOT_BOUNCES",
    "PAUSE_FIXES",
    "PAUSE_REASONS",
    "REASONS",
    "Reason",
    "ReasonRecord",
    "record",
]
