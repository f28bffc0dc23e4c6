"""The outcome applier: one event about a person becomes ledger changes, in one place.

Two families of events come through here. A *delivery failure* about a message we sent — the
SMTP reply at send time or a bounce read later — goes through :func:`apply_failure`: the
campaign's policy decides (:func:`preflight.policy.decide`) and the person is suppressed
when it says so; the caller then writes the message's own state (the send loop its attempt,
the bounce importer the bounce). Every other event about a person goes through
:class:`OutcomeApplier`.

An event is something that happened to a person — a reply, an auto-reply, an opt-out, a
manual suppression or its removal, a bounce — with its time, its campaign and a fingerprint
that makes applying it twice a no-op. What each kind changes is declared in :data:`EFFECTS`
(record it in the person's history, suppress the person for every campaign, lift a
suppression); the campaign's own policy, as the ledger stored it when the campaign was sent,
is what bounce decisions are judged by (:func:`campaign_policy`). Adding a kind of event
means adding one entry here, not touching the importers.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from preflight.contacts import identity_of, remember
from preflight.ledger import Ledger
from preflight.ledger.contacts import ContactEvent
from preflight.ledger.messages import iso
from preflight.ledger.suppression import normalize_address
from preflight.policy import BouncePolicy, Decision, decide

if TYPE_CHECKING:
    from preflight.bounces.classify import ReplyClass


@dataclass(frozen=True)
class Effect:
    """What one kind of event does besides entering the person's history."""

    suppress: str | None = None  # the suppression source, when the person is suppressed
    unsuppress: bool = False
    # The event only counts when it changes something (a suppression already there, a
    # removal of nothing): then it is not recorded either, so repeating it changes nothing.
    only_if_changed: bool = False


# Every kind of event, and what it does. Replies and auto-replies change no state of their
# own: the follow-up scheduler and the re-contact gate read them from the history.
EFFECTS: dict[str, Effect] = {
    "reply": Effect(),
    "autoreply": Effect(),
    "other": Effect(),
    "optout": Effect(suppress="optout"),
    "suppressed": Effect(suppress="manual", only_if_changed=True),
    "imported": Effect(suppress="import", only_if_changed=True),
    "unsuppressed": Effect(unsuppress=True, only_if_changed=True),
}


@dataclass(frozen=True)
class Event:
    kind: str
    address: str
    at: datetime
    fingerprint: str | None = None  # None: a one-off action (a manual command)
    campaign: str | None = None
    message_row: int | None = None
    until: date | None = None  # an auto-reply's return date
    detail: str | None = None
    source: str | None = None
    reason: str | None = None  # the suppression reason (default: the kind)


def event_fingerprint(*parts: str | None) -> str:
    key = "\0".join(p or "" for p in parts)
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


def campaign_policy(ledger: Ledger, campaign: str | None) -> BouncePolicy:
    """The policy ``campaign`` was last sent under; the defaults when it is unknown."""
    return ledger.campaign_policy(campaign)


@dataclass(frozen=True)
class Failure:
    """A delivery failure of one message we sent to ``recipient``."""

    recipient: str
    reply: ReplyClass
    soft_so_far: int  # soft failures of this message before this one
    source: str  # smtp | bounce
    detail: str | None = None


def apply_failure(ledger: Ledger, policy: BouncePolicy, failure: Failure) -> tuple[Decision, bool]:
    """Decide a failure under ``policy`` and suppress the person when the decision says so;
    returns the decision and whether a suppression was added."""
    decision = decide(policy, failure.reply, failure.soft_so_far)
    if not decision.suppress:
        return decision, False
    source = "complaint" if failure.reply.reason == "feedback" else failure.source
    added = ledger.suppress(
        failure.recipient,
        decision.suppress_reason or failure.reply.reason,
        source,
        failure.detail,
    )
    return decision, added


class OutcomeApplier:
    """Applies events to one ledger. The caller owns the transaction (one per message read,
    so a crash never leaves half an event)."""

    def __init__(self, ledger: Ledger, now: datetime) -> None:
        self.ledger = ledger
        self.now = now

    def known(self, fingerprint: str) -> bool:
        return self.ledger.event_known(fingerprint)

    def apply(self, event: Event) -> bool:
        """Apply one event; False when it was applied before or changes nothing."""
        effect = EFFECTS[event.kind]
        address = normalize_address(event.address)
        identity = identity_of(address)
        stamp = iso(self.now)
        remember(self.ledger, [address], stamp)
        fingerprint = event.fingerprint or uuid.uuid4().hex
        if self.ledger.event_known(fingerprint):
            return False
        changed = True
        if effect.suppress:
            # The person may be suppressed under another spelling already.
            changed = self.ledger.suppression(address) is None and self.ledger.suppress(
                address,
                event.reason or event.kind,
                effect.suppress,
                (event.detail or "")[:200] or None,
            )
        if effect.unsuppress:
            changed = False
            for spelling in {address, *self.ledger.addresses_of(identity)}:
                changed = self.ledger.unsuppress(spelling) or changed
        if effect.only_if_changed and not changed:
            return False
        return self.ledger.add_contact_event(
            ContactEvent(
                fingerprint=fingerprint,
                identity=identity,
                address=address,
                kind=event.kind,
                at=iso(event.at),
                imported_at=stamp,
                campaign=event.campaign,
                message_row=event.message_row,
                until_date=event.until.isoformat() if event.until else None,
                detail=(event.detail or "")[:500] or None,
                source=event.source,
            )
        )


__all__ = [
    "EFFECTS",
    "Effect",
    "Event",
    "Failure",
    "OutcomeApplier",
    "apply_failure",
    "campaign_policy",
    "event_fingerprint",
]
