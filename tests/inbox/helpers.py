"""The labeled inbox set, and a ledger that sent the mail it answers."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from preflight.contacts import remember
from preflight.ledger import Ledger
from preflight.ledger.messages import AttemptResult, RowRecord, iso

LABELED = Path(__file__).resolve().parent / "labeled"
OUR_MAILBOX = "sales@yourco.example"
UNSUBSCRIBE = "unsubscribe@yourco.example"
SENT_AT = datetime(2026, 11, 24, 8, 14, tzinfo=UTC)


@dataclass(frozen=True)
class Label:
    file: str
    kind: str
    return_date: str
    person: str
    we_wrote: bool
    our_message_id: str


def labels() -> list[Label]:
    with (LABELED / "labels.csv").open(encoding="utf-8", newline="") as handle:
        return [
            Label(r["file"], r["kind"], r["return_date"], r["person"].lower(),
                  r["we_wrote"] == "yes", r["our_message_id"])
            for r in csv.DictReader(handle)
        ]


def record_sent(ledger: Ledger, campaign: str = "labeled") -> None:
    """Record, as the sender would have, a sent message to every person we wrote to."""
    stamp = iso(SENT_AT)
    campaign_id = ledger.campaign_id(campaign, stamp)
    ledger.store_policy(campaign_id, {"unsubscribe_mailto": UNSUBSCRIBE}, stamp)
    people = [label for label in labels() if label.we_wrote]
    rows = [
        RowRecord(seq=i, line=i + 1, recipient=label.person, fields={}, state="queued")
        for i, label in enumerate(people, 1)
    ]
    remember(ledger, (row.recipient for row in rows), stamp)
    ledger.store_rows(campaign_id, rows, stamp)
    ids = {
        row[1]: row[0]
        for row in ledger.db.execute(
            "SELECT id, recipient FROM messages WHERE campaign_id = ?", (campaign_id,)
        )
    }
    for number, label in enumerate(people, 1):
        message_id = label.our_message_id or f"<x{number:04d}.m1@preflight.test>"
        row_id = ids[label.person]
        domain = label.person.rsplit("@", 1)[1]
        attempt = ledger.mark_sending(row_id, OUR_MAILBOX, domain, message_id, stamp)
        ledger.record_result(
            row_id, attempt, AttemptResult(state="sent", code=250), mailbox=OUR_MAILBOX,
            domain=domain, message_id=message_id, started_at=stamp, now=stamp,
        )  # fmt: skip
