"""The read-only aggregates behind `preflight report` and `status --format json`.

Each query groups in SQL so that a ledger of 100,000 messages answers with a few hundred
rows; the report module turns the rows into its dataclasses. Times are bucketed by UTC hour
here (``substr(started_at, 1, 13)``), and the caller moves each hour to the mailbox's local
day, because caps count per local day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

# The attempt outcomes the hard-bounce brake counts (see MessagesMixin.recent_hard_flags).
BRAKE_OUTCOMES = ("sent", "bounced", "deferred", "failed")

if TYPE_CHECKING:
    from preflight.ledger.backend import Database


# A message preflight tried to deliver: told by its state (and, for a failure, by a server's
# reply code: a message that could not be built failed without one), not by the attempts
# counter, which a recipient refused before DATA does not always raise.
_REACHED_A_SERVER = (
    "(state IN ('sent', 'bounced', 'deferred', 'unknown', 'sending')"
    " OR (state = 'failed' AND reply_code IS NOT NULL))"
)


@dataclass(frozen=True)
class PauseRow:
    mailbox: str
    reason: str
    campaign: str | None
    paused_at: str


class ReportMixin:
    db: Database

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

    def message_groups(
        self, campaign: int
    ) -> list[tuple[str, str, str | None, bool | None, bool, float | None, int]]:
        """(mailbox, state, reason, hard, tried to deliver, lint score to 0.1, count): one
        scan of the campaign's messages that every per-state, per-reason and lint count sums
        up."""
        return [
            (
                row[0],
                row[1],
                row[2],
                None if row[3] is None else bool(row[3]),
                bool(row[4]),
                None if row[5] is None else float(row[5]),
                int(row[6]),
            )
            for row in self.db.execute(
                f"SELECT mailbox, state, reason, hard, {_REACHED_A_SERVER},"
                " ROUND(lint_score, 1), COUNT(*) FROM messages WHERE campaign_id = ?"
                " GROUP BY 1, 2, 3, 4, 5, 6",
                (campaign,),
            )
        ]

    def brake_by_hour(
        self, mailboxes: Sequence[str], window: int
    ) -> list[tuple[str, str, int, int]]:
        """(mailbox, UTC hour, hard bounces, sends) in each mailbox's last ``window``
        completed attempts (all campaigns: what the hard-bounce brake reads) as they stood
        after the hour's last attempt, one row per hour with attempts, oldest first."""
        if not mailboxes:
            return []
        marks = ",".join("?" * len(mailboxes))
        outcomes = ",".join("?" * len(BRAKE_OUTCOMES))
        frame = f"ROWS BETWEEN {int(window) - 1} PRECEDING AND CURRENT ROW"
        return [
            (row[0], row[1], int(row[2]), int(row[3]))
            for row in self.db.execute(
                "SELECT mailbox, hour, hits, sends FROM (SELECT mailbox,"
                " substr(started_at, 1, 13) AS hour,"
                " SUM(CASE WHEN outcome = 'bounced' AND hard = 1 THEN 1 ELSE 0 END)"
                f" OVER (PARTITION BY mailbox ORDER BY id {frame}) AS hits,"
                f" COUNT(*) OVER (PARTITION BY mailbox ORDER BY id {frame}) AS sends,"
                " ROW_NUMBER() OVER (PARTITION BY mailbox, substr(started_at, 1, 13)"
                " ORDER BY id DESC) AS latest"
                f" FROM attempts WHERE mailbox IN ({marks}) AND outcome IN ({outcomes}))"
                # The alias: PostgreSQL before 16 wants every subquery in FROM named.
                " AS windows WHERE latest = 1 ORDER BY mailbox, hour",
                (*mailboxes, *BRAKE_OUTCOMES),
            )
        ]

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

    def first_attempt(self, campaign: int, mailbox: str) -> str | None:
        """The campaign's first attempt from ``mailbox`` (UTC ISO-8601), or None."""
        row = self.db.execute(
            "SELECT a.started_at FROM attempts a JOIN messages m ON m.id = a.message_row"
            " WHERE a.mailbox = ? AND m.campaign_id = ? ORDER BY a.started_at LIMIT 1",
            (mailbox, campaign),
        ).fetchone()
        return row[0] if row else None

    def campaign_answers(self, campaign_name: str) -> tuple[int, int] | None:
        """(people who replied, people who opted out) to the campaign's mail, from the inbox
        imports; None when no import has recorded anything in this ledger yet."""
        if self.db.execute("SELECT 1 FROM contact_events LIMIT 1").fetchone() is None:
            return None
        counts = dict(
            self.db.execute(
                "SELECT kind, COUNT(DISTINCT identity) FROM contact_events"
                " WHERE campaign = ? AND kind IN ('reply', 'optout') GROUP BY kind",
                (campaign_name,),
            ).fetchall()
        )
        return int(counts.get("reply", 0)), int(counts.get("optout", 0))

    def pause_rows(self) -> list[PauseRow]:
        return [
            PauseRow(row[0], row[1], row[2], row[3])
            for row in self.db.execute(
                "SELECT mailbox, reason, campaign, paused_at FROM mailbox_pauses ORDER BY mailbox"
            )
        ]


__all__ = ["BRAKE_OUTCOMES", "PauseRow", "ReportMixin"]
