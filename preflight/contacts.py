"""People, not messages: one identity per mailbox across campaigns, its record and history,
and the gate that keeps a campaign from writing again to someone it should leave alone.

The identity is the mailbox key ``check`` already uses to find duplicates (case, Gmail dots
and +tags, provider aliases), so "the same person" means the same thing everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from preflight.addresses import mailbox_key
from preflight.ledger import Ledger
from preflight.ledger.contacts import Blocker, HistoryItem
from preflight.ledger.messages import iso
from preflight.ledger.suppression import normalize_address

STATUSES = ("active", "replied", "opted-out", "bounced", "suppressed")
# Suppression sources and the status they give a person.
_SUPPRESSION_STATUS = {
    "smtp": "bounced",
    "bounce": "bounced",
    "complaint": "opted-out",
    "optout": "opted-out",
}


def identity_of(address: str) -> str:
    """The person an address reaches: ``John.Doe+x@GoogleMail.com`` → ``johndoe@gmail.com``."""
    spelling = normalize_address(address)
    if "@" not in spelling:
        return spelling
    local, domain = spelling.rsplit("@", 1)
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_domain = domain
    return mailbox_key(local, ascii_domain)


def remember(ledger: Ledger, addresses: Iterable[str], now: str) -> None:
    """Map addresses to their identities in the ledger (idempotent)."""
    pairs = [(normalize_address(a), identity_of(a)) for a in addresses]
    ledger.remember_identities(pairs, now)


def backfill(ledger: Ledger, now: str) -> None:
    """Give an identity to addresses the ledger stored before contacts existed."""
    missing = ledger.unmapped_recipients()
    if missing:
        remember(ledger, missing, now)


@dataclass
class ContactRecord:
    """One person, as `contacts export` writes them."""

    address: str
    identity: str
    status: str
    first_contact: str | None = None
    last_contact: str | None = None
    campaigns: list[str] = field(default_factory=list)
    last_reply: str | None = None
    last_bounce_reason: str | None = None
    suppressed: str | None = None  # "reason (source) since DATE"
    addresses: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


_CONTACTED = frozenset({"sent", "unknown", "sending", "bounced"})
EXPORT_CHUNK = 500  # people read together by `contacts export` (SQL parameters per query)


def contact_record(ledger: Ledger, identity: str, history: list[HistoryItem]) -> ContactRecord:
    return _record(
        identity, history, ledger.addresses_of(identity), ledger.suppression_of_identity(identity)
    )


def _record(
    identity: str,
    history: list[HistoryItem],
    addresses: list[str],
    suppression: tuple[str, str, str, str] | None,
) -> ContactRecord:
    record = ContactRecord(address=addresses[0] if addresses else identity, identity=identity,
                           status="active", addresses=addresses)  # fmt: skip
    campaigns: list[str] = []
    bounced_hard = False
    status_events: list[str] = []
    for item in history:
        if item.campaign and item.campaign not in campaigns:
            campaigns.append(item.campaign)
        if item.kind in _CONTACTED and item.at:
            record.first_contact = record.first_contact or item.at
            record.last_contact = item.at
            record.address = item.address
        if item.kind in ("bounce", "bounced"):
            reason = (item.detail or "").split(" ", 1)[0] or None
            if reason and reason not in ("vacation", "delivered"):
                record.last_bounce_reason = reason
                bounced_hard = bounced_hard or item.kind == "bounced"
        if item.kind == "reply":
            record.last_reply = item.at
        if item.kind in ("reply", "optout", "suppressed", "unsuppressed"):
            status_events.append(item.kind)
    record.campaigns = campaigns
    if suppression is not None:
        _, reason, source, created = suppression
        record.suppressed = f"{reason} ({source}) since {created[:10]}"
        record.status = _SUPPRESSION_STATUS.get(source, "suppressed")
        if "optout" in status_events:
            record.status = "opted-out"
    elif "reply" in status_events:
        record.status = "replied"
    elif bounced_hard:
        record.status = "bounced"
    return record


def show(ledger: Ledger, address: str, now: str) -> tuple[ContactRecord, list[HistoryItem]]:
    """One person's record and history (looked up by any of their spellings)."""
    backfill(ledger, now)
    spelling = normalize_address(address)
    identity = ledger.identity_of_address(spelling) or identity_of(spelling)
    history = ledger.history(identity)
    return contact_record(ledger, identity, history), history


def export(ledger: Ledger, now: str) -> Iterator[ContactRecord]:
    """Every person the ledger knows, one record each."""
    backfill(ledger, now)
    people = list(ledger.identities())
    # A few queries per chunk of people, not per person: over a network round trips add up.
    for start in range(0, len(people), EXPORT_CHUNK):
        chunk = people[start : start + EXPORT_CHUNK]
        histories = ledger.histories(chunk)
        addresses = ledger.addresses_by_identity(chunk)
        suppressions = ledger.suppressions_by_identity(chunk)
        for identity in chunk:
            yield _record(
                identity, histories[identity], addresses[identity], suppressions.get(identity)
            )


class ContactGate:
    """Skips people another campaign wrote to recently, and anyone who replied or opted out.

    ``recontact_after_days`` = 0 turns the time rule off (replies and opt-outs still count).
    """

    def __init__(
        self, ledger: Ledger, campaign: str, recontact_after_days: int, now: datetime
    ) -> None:
        self.ledger = ledger
        self.campaign = campaign
        days = recontact_after_days
        self.since = iso(now - timedelta(days=days)) if days else None
        self.stamp = iso(now)
        # A first campaign on a fresh ledger has nobody to protect: skip the per-row lookups.
        self.active = ledger.has_contacts_elsewhere(campaign)

    def blocker(self, recipient: str) -> Blocker | None:
        if not self.active:
            return None
        return self.ledger.recontact_blocker(identity_of(recipient), self.campaign, self.since)


__all__ = [
    "STATUSES",
    "ContactGate",
    "ContactRecord",
    "backfill",
    "contact_record",
    "export",
    "identity_of",
    "remember",
    "show",
]
