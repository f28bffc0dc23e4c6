"""Provider limits in the ledger: mailbox holds until a provider's reset, and the send times
a company domain's quota is counted from. Plain SQL that runs on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3

from preflight.ledger.messages import epoch


class LimitsMixin:
    db: sqlite3.Connection

    def hold_mailbox(
        self, mailbox: str, reason: str, until: str, campaign: str | None, now: str
    ) -> None:
        """Send nothing from ``mailbox`` before ``until`` (a provider said its limit is hit)."""
        self.db.execute(
            "INSERT INTO mailbox_holds (mailbox, reason, until_at, campaign, held_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (mailbox) DO UPDATE SET"
            " reason = excluded.reason, until_at = excluded.until_at,"
            " campaign = excluded.campaign, held_at = excluded.held_at",
            (mailbox, reason, until, campaign, now),
        )

    def mailbox_holds(self, now: str) -> dict[str, tuple[str, str]]:
        """Holds still running at ``now``: mailbox -> (reason, until)."""
        return {
            row[0]: (row[1], row[2])
            for row in self.db.execute(
                "SELECT mailbox, reason, until_at FROM mailbox_holds WHERE until_at > ?",
                (now,),
            )
        }

    def domain_mailbox_attempt_times(self, domain: str, since: str) -> list[float]:
        """Send attempts since ``since`` by every mailbox of ``domain`` (any campaign)."""
        suffix = f"@{domain.lower()}"
        # LIKE narrows the scan; the exact suffix test keeps "_" in a domain from matching
        # any character.
        return [
            epoch(row[1])
            for row in self.db.execute(
                "SELECT mailbox, started_at FROM attempts WHERE started_at >= ? AND mailbox LIKE ?",
                (since, f"%{suffix}"),
            )
            if row[0].lower().endswith(suffix)
        ]


__all__ = ["LimitsMixin"]
