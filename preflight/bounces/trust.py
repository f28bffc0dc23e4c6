"""Whether a bounce may change the ledger: the one trust decision for every bounce.

Anyone can send a "bounce" to our mailbox, so what it says is a claim. A claim changes a
message's state, suppresses an address or feeds a mailbox's brake only when it is tied to
mail we sent:

- it quotes the Message-ID of a message we sent (a stranger does not know it), or
- it names a recipient we sent to recently, and it came back to the envelope we sent from
  (it is addressed to our sending mailbox, or quotes our From/Return-Path).

Anything else is stored for the record and changes nothing. Callers (the bounce importer and
the outcome applier) ask :func:`bounce_trust`; nothing else decides this.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from enum import StrEnum

# How long after a send a bounce matched by recipient alone is believed. Real bounces come
# within minutes; expiry notices after the sender's queue lifetime (5 days by default).
RECENT = timedelta(days=14)


class Match(StrEnum):
    """How a bounce was tied to a sent message."""

    MESSAGE_ID = "message-id"
    RECIPIENT = "recipient"
    NONE = "none"


@dataclass(frozen=True)
class Trust:
    """The verdict: may this bounce act, and why (or why not)."""

    match: Match
    acts: bool
    why: str


def bounce_trust(
    *,
    matched_by_message_id: bool,
    sent_at: datetime | None,
    mailbox: str | None,
    envelope: Collection[str],
    now: datetime,
    recent: timedelta = RECENT,
) -> Trust:
    """Decide whether a bounce that matched a sent message (or none) may act on it.

    ``matched_by_message_id``: the bounce quotes the Message-ID of the message it matched.
    ``sent_at`` / ``mailbox``: that message's send time and sending address (None: no match).
    ``envelope``: the addresses the bounce was sent back to or quotes as the original
    sender (lower case).
    """
    if mailbox is None:
        return Trust(Match.NONE, False, "no message we sent matches it")
    if matched_by_message_id:
        return Trust(Match.MESSAGE_ID, True, "it quotes the Message-ID of our message")
    if sent_at is None or not (now - recent <= sent_at <= now + timedelta(minutes=5)):
        return Trust(Match.RECIPIENT, False, "our last send to the recipient is not recent")
    sender = (parseaddr(mailbox)[1] or mailbox).lower()  # "Name <addr>" or a bare address
    if sender not in envelope:
        return Trust(Match.RECIPIENT, False, "it was not sent back to our envelope sender")
    return Trust(Match.RECIPIENT, True, "a recent send to the recipient, to our envelope")


__all__ = ["RECENT", "Match", "Trust", "bounce_trust"]
