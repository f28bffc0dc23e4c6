"""``inbox import``: read a mailbox, sort every message, apply it to the ledger.

Bounces go to the bounce importer exactly as ``bounces import`` handles them (judged by the
policy of the campaign they answer); replies, auto-replies and opt-outs become events of the
person through the outcome applier. Each message is applied in one transaction under a
fingerprint of the message itself, so a re-import — or a re-run after a crash — changes
nothing that was already done.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from preflight.bounces.importer import (
    Importer,
    ImportSummary,
    fingerprint,
    message_identity,
    visit_source,
)
from preflight.bounces.sources import RawMessage
from preflight.contacts import backfill, identity_of
from preflight.inbox.message import read_inbox_message
from preflight.inbox.sorters import KINDS, SentRef, Sorted, sort_message
from preflight.ledger import Ledger
from preflight.ledger.messages import iso
from preflight.outcomes import Event, OutcomeApplier


class LedgerCorrespondence:
    """What the sorter knows of our own mail, read from the ledger."""

    def __init__(self, ledger: Ledger, unsubscribe: set[str] | None = None) -> None:
        self.ledger = ledger
        self.unsubscribe = {a.lower() for a in unsubscribe or ()} | ledger.unsubscribe_addresses()
        self.mailboxes = ledger.sending_mailboxes()
        self.domains = {m.rsplit("@", 1)[-1] for m in self.mailboxes}

    def answered(self, message_ids: list[str]) -> SentRef | None:
        found = self.ledger.sent_by_message_ids(message_ids)
        return SentRef(*found) if found else None

    def wrote_to(self, address: str) -> SentRef | None:
        found = self.ledger.latest_sent_to(identity_of(address))
        return SentRef(*found) if found else None

    def is_unsubscribe_address(self, address: str) -> bool:
        return address.lower() in self.unsubscribe

    def is_ours(self, address: str) -> bool:
        address = address.lower()
        return address in self.mailboxes or address.rsplit("@", 1)[-1] in self.domains


@dataclass
class InboxSummary:
    messages: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    already_imported: int = 0
    suppressed: int = 0
    moved: int = 0
    bounces_summary: str = ""
    bounce_summary: ImportSummary | None = None

    def describe(self) -> str:
        counts = ", ".join(f"{kind} {self.kinds.get(kind, 0)}" for kind in KINDS)
        lines = [
            f"read {self.messages} messages: {counts}",
            f"already imported: {self.already_imported}; opt-outs suppressed: {self.suppressed}",
        ]
        if self.moved:
            lines.append(f"moved to the processed folder: {self.moved}")
        if self.bounces_summary:
            lines.append("bounces: " + self.bounces_summary.replace("\n", "; "))
        return "\n".join(lines)


class InboxImporter:
    """Sorts and applies messages to one ledger (``now`` injectable for tests)."""

    def __init__(
        self, ledger: Ledger, *, now: datetime | None = None, unsubscribe: set[str] | None = None
    ) -> None:
        self.ledger = ledger
        self.now = now or datetime.now(UTC)
        backfill(ledger, iso(self.now))
        self.known = LedgerCorrespondence(ledger, unsubscribe)
        self.applier = OutcomeApplier(ledger, self.now)
        self.bounces = Importer(ledger, now=self.now, policy_for=ledger.campaign_policy)
        self.summary = InboxSummary()

    def import_one(self, raw: RawMessage) -> Sorted | None:
        self.summary.messages += 1
        print_ = fingerprint(message_identity(raw.data), "inbox")
        if self.applier.known(print_):
            self.summary.already_imported += 1
            return None
        try:
            message = read_inbox_message(raw.data)
        except (ValueError, TypeError, LookupError, AssertionError):
            self.summary.kinds["other"] += 1
            return None
        verdict = sort_message(message, raw.data, self.known)
        self.summary.kinds[verdict.kind] += 1
        if verdict.kind == "bounce":
            before = self.bounces.summary.records
            self.bounces.import_one(raw)
            if self.bounces.summary.records == before:
                self.summary.already_imported += 1
            return verdict
        if not verdict.person or (verdict.sent is None and verdict.kind != "optout"):
            return verdict  # a stranger's mail changes nothing (an opt-out always counts)
        at = message.date or raw.received_at or self.now
        sent = verdict.sent
        with self.ledger.transaction():
            applied = self.applier.apply(
                Event(
                    verdict.kind,
                    verdict.person,
                    at,
                    fingerprint=print_,
                    campaign=sent.campaign if sent else None,
                    message_row=sent.row_id if sent else None,
                    until=verdict.until,
                    detail=verdict.detail,
                    source=raw.location,
                    reason="optout",
                )
            )
        if applied and verdict.kind == "optout":
            self.summary.suppressed += 1
        return verdict


def import_inbox(
    ledger: Ledger,
    source: str,
    *,
    since: date | None = None,
    move_to: str | None = None,
    password_env: str | None = None,
    cafile: str | Path | None = None,
    insecure: bool = False,
    unsubscribe: set[str] | None = None,
    now: datetime | None = None,
) -> InboxSummary:
    """Import from an mbox file, a Maildir, a folder of files, or an IMAP folder."""
    importer = InboxImporter(ledger, now=now, unsubscribe=unsubscribe)
    importer.summary.moved = visit_source(
        source,
        importer.import_one,
        since=since,
        move_to=move_to,
        password_env=password_env,
        cafile=cafile,
        insecure=insecure,
    )
    bounce = importer.bounces.summary
    importer.summary.bounce_summary = bounce
    if bounce.records or bounce.already_imported:
        importer.summary.bounces_summary = bounce.describe()
    return importer.summary


__all__ = ["InboxImporter", "InboxSummary", "LedgerCorrespondence", "import_inbox"]
