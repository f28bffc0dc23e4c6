"""Fixtures of the bounce tests: the shared corpus, a ledger with sent messages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from preflight.ledger import Ledger
from preflight.ledger.backend import Database

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
CORPUS = SHARED / "corpora" / "bounces" / "emails"
MAILBOX = "sales@sender.example"


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The shared bounce corpus beside the checkout; missing is a failure, not a skip."""
    if not (CORPUS / "labels.jsonl").is_file():
        pytest.fail(f"the shared bounce corpus is missing: expected {CORPUS.resolve()} "
                    "(the shared folder must sit beside the checkout as ../shared)")
    return CORPUS


def seed_messages(db: Database, rows: list[tuple[str, str | None]],
                  campaign: str = "spring", mailbox: str = MAILBOX,
                  now: datetime | None = None,
                  mailboxes: dict[str, str] | None = None) -> dict[str, int]:
    """Insert sent messages (recipient, Message-ID) with plain SQL; returns recipient → id.

    They were sent an hour ago (or at ``now``), from ``mailbox`` or, per recipient, from
    ``mailboxes[recipient]`` (the envelope a bounce matched by recipient must come back to).
    """
    now = now or datetime.now(UTC) - timedelta(hours=1)
    db.execute("INSERT INTO campaigns (name, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
               (campaign, now.isoformat()))
    campaign_id = db.execute("SELECT id FROM campaigns WHERE name = ?", (campaign,)).fetchone()[0]
    ids: dict[str, int] = {}
    for index, (recipient, message_id) in enumerate(rows):
        sent = (now + timedelta(minutes=index)).isoformat(timespec="milliseconds")
        cursor = db.execute(
            "INSERT INTO messages (campaign_id, recipient, mailbox, message_id, state, attempts,"
            " created_at, updated_at, sent_at) VALUES (?, ?, ?, ?, 'sent', 1, ?, ?, ?)"
            " RETURNING id",
            (campaign_id, recipient, (mailboxes or {}).get(recipient, mailbox), message_id,
             sent, sent, sent),
        )
        ids[recipient] = int(cursor.fetchone()[0])
    return ids


def snapshot(ledger: Ledger) -> tuple[list[tuple[object, ...]], ...]:
    """Everything an import may change, to compare before and after a second import."""
    return (
        [tuple(r) for r in ledger.db.execute("SELECT * FROM messages ORDER BY id")],
        [tuple(r) for r in ledger.db.execute("SELECT * FROM suppression ORDER BY address")],
        [tuple(r) for r in ledger.db.execute("SELECT * FROM bounces ORDER BY id")],
        [tuple(r) for r in ledger.db.execute("SELECT * FROM mailbox_pauses ORDER BY mailbox")],
    )


@pytest.fixture
def ledger(ledger_at: str) -> Iterator[Ledger]:
    with Ledger(ledger_at) as opened:
        yield opened
