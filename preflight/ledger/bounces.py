"""Bounce records imported from mailboxes, and what they change in the messages table.

An import matches each record to the message the ledger sent, updates that message's state
and keeps the record itself (with where the raw message lives) in ``bounces``. The
``fingerprint`` column makes an import idempotent: a record already there is skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from preflight.ledger.backend import Database


@dataclass(frozen=True)
class SentMessage:
    """The ledger's row for a message a bounce refers to."""

    row_id: int
    campaign: str
    recipient: str
    mailbox: str
    message_id: str | None
    state: str
    soft_failures: int
    sent_at: str | None


@dataclass(frozen=True)
class StoredBounce:
    """One row of the bounces table."""

    fingerprint: str
    message_row: int | None
    recipient: str
    status: str | None
    reason: str
    hard: bool
    replycode: int | None
    action: str | None
    diagnostic: str | None
    original_message_id: str | None
    detector: str | None
    source: str | None
    received_at: str | None
    imported_at: str


_SENT_COLUMNS = (
    "m.id, c.name, m.recipient, m.mailbox, m.message_id, m.state, m.soft_failures, m.sent_at"
)
_BOUNCE_COLUMNS = (
    "fingerprint, message_row, recipient, status, reason, hard, replycode, action, diagnostic,"
    " original_message_id, detector, source, received_at, imported_at"
)


def _sent(row: Sequence[Any] | None) -> SentMessage | None:
    if row is None:
        return None
    return SentMessage(
        row_id=int(row[0]),
        campaign=str(row[1]),
        recipient=str(row[2]),
        mailbox=str(row[3]),
        message_id=row[4],
        state=str(row[5]),
        soft_failures=int(row[6]),  # type: ignore[arg-type]
        sent_at=row[7],  # type: ignore[arg-type]
    )


class BouncesMixin:
    db: Database

    def bounce_known(self, fingerprint: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM bounces WHERE fingerprint = ?", (fingerprint,)
        ).fetchone()
        return row is not None

    def find_sent_message(
        self, *, message_id: str | None, recipient: str | None, before: str | None = None
    ) -> SentMessage | None:
        """The message a bounce is about: by its Message-ID and recipient, else the latest
        send to the recipient (sent no later than ``before`` when given), else by the
        Message-ID alone (the bounce names a forwarded or rewritten address)."""
        by_id: SentMessage | None = None
        if message_id:
            bare = message_id.strip().strip("<>")
            row = self.db.execute(
                f"SELECT {_SENT_COLUMNS} FROM messages m JOIN campaigns c ON c.id = m.campaign_id"
                " WHERE m.message_id IN (?, ?)",
                (f"<{bare}>", bare),
            ).fetchone()
            by_id = _sent(row)
            if by_id is not None and (recipient is None or by_id.recipient == recipient):
                return by_id
        if not recipient:
            return by_id
        query = (
            f"SELECT {_SENT_COLUMNS} FROM messages m JOIN campaigns c ON c.id = m.campaign_id"
            " WHERE m.recipient = ? AND m.sent_at IS NOT NULL"
        )
        args: list[object] = [recipient]
        if before:
            query += " AND m.sent_at <= ?"
            args.append(before)
        query += " ORDER BY m.sent_at DESC, m.id DESC LIMIT 1"
        return _sent(self.db.execute(query, args).fetchone()) or by_id

    def record_bounce(self, bounce: StoredBounce) -> bool:
        """Store a record; False when its fingerprint was already there (nothing changes)."""
        cursor = self.db.execute(
            f"INSERT INTO bounces ({_BOUNCE_COLUMNS}) VALUES"
            " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (fingerprint) DO NOTHING",
            (
                bounce.fingerprint,
                bounce.message_row,
                bounce.recipient,
                bounce.status,
                bounce.reason,
                int(bounce.hard),
                bounce.replycode,
                bounce.action,
                bounce.diagnostic,
                bounce.original_message_id,
                bounce.detector,
                bounce.source,
                bounce.received_at,
                bounce.imported_at,
            ),
        )
        return cursor.rowcount == 1

    def record_bounce_message(
        self, identity: str, source: str | None, outcome: str, note: str | None, now: str
    ) -> None:
        """Note that a bounce message was read only in part, or not at all (``outcome``
        ``capped`` or ``unreadable``), and why; the first note of a message stays."""
        self.db.execute(
            "INSERT INTO bounce_messages (identity, source, outcome, note, imported_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (identity) DO NOTHING",
            (identity, source, outcome, note, now),
        )

    def bounce_message_notes(self) -> list[tuple[str, str, str | None]]:
        """(source, outcome, note) of every message read in part or not at all."""
        return [
            (str(r[0]), str(r[1]), r[2])
            for r in self.db.execute(
                "SELECT source, outcome, note FROM bounce_messages ORDER BY imported_at, identity"
            )
        ]

    def bounces(self, recipient: str | None = None) -> list[StoredBounce]:
        query = f"SELECT {_BOUNCE_COLUMNS} FROM bounces"
        args: tuple[str, ...] = ()
        if recipient is not None:
            query += " WHERE recipient = ?"
            args = (recipient,)
        return [
            StoredBounce(
                fingerprint=r[0],
                message_row=r[1],
                recipient=r[2],
                status=r[3],
                reason=r[4],
                hard=bool(r[5]),
                replycode=r[6],
                action=r[7],
                diagnostic=r[8],
                original_message_id=r[9],
                detector=r[10],
                source=r[11],
                received_at=r[12],
                imported_at=r[13],
            )
            for r in self.db.execute(query + " ORDER BY id", args)
        ]

    def apply_bounce(
        self,
        row_id: int,
        *,
        state: str,
        reason: str,
        hard: bool,
        code: int | None,
        status: str | None,
        text: str | None,
        soft_failure: bool,
        next_attempt_at: str | None,
        now: str,
    ) -> None:
        """Record a bounce's outcome on the message it answers.

        The send's last attempt is marked bounced too, so the mailbox's hard-bounce brake
        (computed from attempts) sees bounces that arrive after the send.
        """
        self.db.execute(
            "UPDATE messages SET state = ?, reason = ?, hard = ?, reply_code = ?,"
            " reply_status = ?, reply_text = ?, soft_failures = soft_failures + ?,"
            " next_attempt_at = ?, updated_at = ? WHERE id = ?",
            (
                state,
                reason,
                int(hard),
                code,
                status,
                text,
                int(soft_failure),
                next_attempt_at,
                now,
                row_id,
            ),
        )
        if state == "bounced":
            self.db.execute(
                "UPDATE attempts SET outcome = 'bounced', hard = ?, reply_code = ?,"
                " reply_status = ?, reply_text = ? WHERE id = (SELECT MAX(id) FROM attempts"
                " WHERE message_row = ? AND outcome = 'sent')",
                (int(hard), code, status, text, row_id),
            )


__all__ = ["BouncesMixin", "SentMessage", "StoredBounce"]
