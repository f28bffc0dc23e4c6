"""The read-only aggregates behind `preflight report` and `status --format json`.

Each query groups in SQL so that a ledger of 100,000 messages answers with a few hundred
rows; the report module turns the rows into its dataclasses. Times are bucketed by UTC hour
here (``substr(started_at, 1, 13)``), and the caller moves each hour to the mailbox's local
day, because caps count per local day.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

# The attempt outcomes the hard-bounce brake counts (see MessagesMixin.recent_hard_flags).
BRAKE_OUTCOMES = ("sent", "bounced", "deferred", "failed")


@dataclass(frozen=True)
class PauseRow:
    mailbox: str
    reason: str
    campaign: str | None
    paused_at: str


class ReportMixin:
    db: sqlite3.Connection

    def hourly_sends(self, campaign: int) -> list[tuple[str, str, int]]:
        """(mailbox, UTC hour "YYYY-MM-DDTHH", attempts) for the campaign's messages."""
        return [
            (row[0], row[1], int(row[2]))
            for row in self.db.execute(
                "SELECT a.mailbox, substr(a.started_at, 1, 13), COUNT(*) FROM attempts a"
                " JOIN messages m ON m.id = a.message_row WHERE m.campaign_id = ?"
                " GROUP BY a.mailbox, substr(a.started_at, 1, 13)",
                (campaign,),
            )
        ]

    def outcome_counts(self, campaign: int) -> list[tuple[str, str | None, bool | None, int]]:
        """(state, reason, hard, count) over the campaign's messages."""
        return [
            (row[0], row[1], None if row[2] is None else bool(row[2]), int(row[3]))
            for row in self.db.execute(
                "SELECT state, reason, hard, COUNT(*) FROM messages WHERE campaign_id = ?"
                " GROUP BY state, reason, hard",
                (campaign,),
            )
        ]

    def brake_history(self, mailboxes: Sequence[str]) -> Iterator[tuple[str, str, bool]]:
        """(mailbox, started_at, hard bounce?) of every completed attempt of these
        mailboxes, oldest first: the sequence the hard-bounce brake reads, all campaigns."""
        if not mailboxes:
            return iter(())
        marks = ",".join("?" * len(mailboxes))
        outcomes = ",".join("?" * len(BRAKE_OUTCOMES))
        cursor = self.db.execute(
            "SELECT mailbox, started_at, (outcome = 'bounced' AND COALESCE(hard, 0) = 1)"
            f" FROM attempts WHERE mailbox IN ({marks}) AND outcome IN ({outcomes})"
            " ORDER BY id",
            (*mailboxes, *BRAKE_OUTCOMES),
        )
        return ((row[0], row[1], bool(row[2])) for row in cursor)

    def daily_complaints(self, campaign: int) -> list[tuple[str, int]]:
        """(UTC day, complaints) from the feedback reports matched to the campaign's sends."""
        return [
            (row[0], int(row[1]))
            for row in self.db.execute(
                "SELECT substr(COALESCE(b.received_at, b.imported_at), 1, 10), COUNT(*)"
                " FROM bounces b JOIN messages m ON m.id = b.message_row"
                " WHERE m.campaign_id = ? AND b.reason = 'feedback' GROUP BY 1 ORDER BY 1",
                (campaign,),
            )
        ]

    def sent_lint_scores(self, campaign: int) -> list[tuple[float, int]]:
        """(lint score to one decimal, count) of the messages that went to a server."""
        return [
            (float(row[0]), int(row[1]))
            for row in self.db.execute(
                "SELECT ROUND(lint_score, 1), COUNT(*) FROM messages WHERE campaign_id = ?"
                " AND attempts > 0 AND lint_score IS NOT NULL GROUP BY 1 ORDER BY 1",
                (campaign,),
            )
        ]

    def first_attempts(self, campaign: int) -> dict[str, str]:
        """mailbox -> the campaign's first attempt from it (UTC ISO-8601)."""
        return {
            row[0]: row[1]
            for row in self.db.execute(
                "SELECT a.mailbox, MIN(a.started_at) FROM attempts a"
                " JOIN messages m ON m.id = a.message_row WHERE m.campaign_id = ?"
                " GROUP BY a.mailbox",
                (campaign,),
            )
        }

    def pause_rows(self) -> list[PauseRow]:
        return [
            PauseRow(row[0], row[1], row[2], row[3])
            for row in self.db.execute(
                "SELECT mailbox, reason, campaign, paused_at FROM mailbox_pauses ORDER BY mailbox"
            )
        ]


__all__ = ["BRAKE_OUTCOMES", "PauseRow", "ReportMixin"]
