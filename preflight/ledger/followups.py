"""Follow-up steps: one campaign row per (campaign, step, mailbox), and each follow-up's
thread (the message it answers, its References, its subject).

A follow-up is an ordinary row of ``messages`` in its step's campaign, so it is claimed,
sent, retried and recovered by the same code as a first mail, and counted in the same caps.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class StepCampaign:
    campaign_id: int
    parent_id: int
    step: int
    mailbox: str
    name: str


@dataclass(frozen=True)
class Previous:
    """A person's latest message of the step before, which a follow-up answers."""

    row_id: int
    recipient: str
    mailbox: str
    message_id: str
    sent_at: str
    fields: dict[str, str]
    seq: int
    line: int | None
    refs: str  # the References of that message ("" for a first mail)
    subject: str | None  # the thread's subject when that message was a follow-up


@dataclass(frozen=True)
class Thread:
    in_reply_to: str
    refs: str
    subject: str


@dataclass(frozen=True)
class QueuedFollowUp:
    step_campaign: int
    previous: Previous
    state: str  # queued | skipped
    not_before: str | None
    thread: Thread
    detail: str | None = None
    lint_score: float | None = None


class FollowUpsMixin:
    db: sqlite3.Connection

    def step_campaign(self, parent: int, name: str, step: int, mailbox: str, now: str) -> int:
        """The campaign row of ``step`` for ``mailbox``, created on first use."""
        row = self.db.execute(
            "SELECT campaign_id FROM campaign_steps WHERE parent_id = ? AND step = ?"
            " AND mailbox = ?",
            (parent, step, mailbox),
        ).fetchone()
        if row is not None:
            return int(row[0])
        label = f"{name} #{step} {mailbox}"
        self.db.execute(
            "INSERT INTO campaigns (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
            (label, now),
        )
        campaign = int(
            self.db.execute("SELECT id FROM campaigns WHERE name = ?", (label,)).fetchone()[0]
        )
        self.db.execute(
            "INSERT INTO campaign_steps (campaign_id, parent_id, step, mailbox)"
            " VALUES (?, ?, ?, ?)",
            (campaign, parent, step, mailbox),
        )
        return campaign

    def step_campaigns(self, parent: int) -> list[StepCampaign]:
        return [
            StepCampaign(int(r[0]), int(r[1]), int(r[2]), str(r[3]), str(r[4]))
            for r in self.db.execute(
                "SELECT s.campaign_id, s.parent_id, s.step, s.mailbox, c.name"
                " FROM campaign_steps s JOIN campaigns c ON c.id = s.campaign_id"
                " WHERE s.parent_id = ? ORDER BY s.step, s.mailbox",
                (parent,),
            )
        ]

    def parent_of(self, campaign_name: str) -> tuple[str, int]:
        """(the campaign's own name, step) for a step campaign's name; (name, 0) otherwise."""
        row = self.db.execute(
            "SELECT p.name, s.step FROM campaigns c JOIN campaign_steps s ON s.campaign_id = c.id"
            " JOIN campaigns p ON p.id = s.parent_id WHERE c.name = ?",
            (campaign_name,),
        ).fetchone()
        return (str(row[0]), int(row[1])) if row else (campaign_name, 0)

    def previous_messages(self, campaigns: list[int], step_campaigns: list[int]) -> list[Previous]:
        """Sent messages of ``campaigns`` (the step before) whose person has no row yet in any
        of ``step_campaigns`` (this step)."""
        if not campaigns:
            return []
        marks = ", ".join("?" * len(campaigns))
        later = ", ".join("?" * len(step_campaigns)) or "NULL"
        return [
            Previous(
                row_id=int(r[0]),
                recipient=str(r[1]),
                mailbox=str(r[2]),
                message_id=str(r[3]),
                sent_at=str(r[4]),
                fields=json.loads(r[5]) if r[5] else {},
                seq=int(r[6] or r[0]),
                line=r[7],
                refs=str(r[8] or ""),
                subject=r[9],
            )
            for r in self.db.execute(
                "SELECT m.id, m.recipient, m.mailbox, m.message_id, m.sent_at, m.fields, m.seq,"
                " m.source_line, t.refs, t.subject FROM messages m"
                " LEFT JOIN threads t ON t.message_row = m.id"
                f" WHERE m.campaign_id IN ({marks}) AND m.state = 'sent'"
                " AND m.message_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM messages n"
                f" WHERE n.campaign_id IN ({later}) AND n.recipient = m.recipient)"
                " ORDER BY m.seq, m.id",
                (*campaigns, *step_campaigns),
            )
        ]

    def queue_follow_ups(self, items: list[QueuedFollowUp], now: str) -> None:
        """Store follow-ups (and their threads) in one transaction; a person already in the
        step is left as is."""
        with self.transaction():  # type: ignore[attr-defined]
            for item in items:
                previous = item.previous
                cursor = self.db.execute(
                    "INSERT INTO messages (campaign_id, recipient, mailbox, state, created_at,"
                    " updated_at, fields, source_line, detail, lint_score, seq, next_attempt_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (campaign_id, recipient) DO NOTHING",
                    (
                        item.step_campaign,
                        previous.recipient,
                        previous.mailbox,
                        item.state,
                        now,
                        now,
                        json.dumps(previous.fields, ensure_ascii=False),
                        previous.line,
                        item.detail,
                        item.lint_score,
                        previous.seq,
                        item.not_before,
                    ),
                )
                if cursor.rowcount != 1:
                    continue
                self.db.execute(
                    "INSERT INTO threads (message_row, previous_row, in_reply_to, refs, subject)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (
                        cursor.lastrowid,
                        previous.row_id,
                        item.thread.in_reply_to,
                        item.thread.refs,
                        item.thread.subject,
                    ),
                )

    def thread_of(self, row_id: int) -> Thread | None:
        row = self.db.execute(
            "SELECT in_reply_to, refs, subject FROM threads WHERE message_row = ?", (row_id,)
        ).fetchone()
        return Thread(str(row[0]), str(row[1]), str(row[2])) if row else None

    def queued_follow_ups(self, campaign: int) -> list[tuple[int, str, str | None]]:
        """(row id, recipient, not before) of a step campaign's queued rows."""
        return [
            (int(r[0]), str(r[1]), r[2])
            for r in self.db.execute(
                "SELECT id, recipient, next_attempt_at FROM messages WHERE campaign_id = ?"
                " AND state = 'queued' AND attempts = 0",
                (campaign,),
            )
        ]

    def lead_rows(self, campaign: int) -> list[tuple[str, str, str, str | None, str | None, int,
                                                      str | None]]:  # fmt: skip
        """(recipient, mailbox, state, next attempt, sent at, step, detail) of every row of a
        campaign and its follow-up steps, in recipients-file order then step."""
        return [tuple(r) for r in self.db.execute(_lead_rows_sql(), (campaign, campaign))]  # type: ignore[misc]

    def hold_until(self, row_id: int, not_before: str, now: str) -> None:
        self.db.execute(
            "UPDATE messages SET next_attempt_at = ?, updated_at = ? WHERE id = ?"
            " AND state = 'queued'",
            (not_before, now, row_id),
        )


__all__ = ["FollowUpsMixin", "Previous", "QueuedFollowUp", "StepCampaign", "Thread"]


def _lead_rows_sql() -> str:
    return (
        "SELECT m.recipient, m.mailbox, m.state, m.next_attempt_at, m.sent_at,"
        " COALESCE(s.step, 0), m.detail FROM messages m"
        " LEFT JOIN campaign_steps s ON s.campaign_id = m.campaign_id"
        " WHERE m.campaign_id = ? OR s.parent_id = ? ORDER BY COALESCE(m.seq, m.id), 6"
    )
