"""Campaigns and their messages: the state machine of every message sent.

A message row moves ``queued -> sending -> sent | deferred | bounced | failed``; rows the
gate refused are ``skipped``. ``sending`` is committed before the DATA command, so a crash
leaves evidence: :meth:`MessagesMixin.recover_interrupted` turns such rows into ``unknown``
and nothing sends them again unless the user asks. Every statement here either runs alone
(autocommit) or inside one explicit transaction, so each state change is on disk before
the next network step.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from preflight.errors import ClaimLost

# States from which a new run may (re)write a row from the recipients file.
REWRITABLE = ("queued", "skipped")

if TYPE_CHECKING:
    from preflight.ledger.backend import Database


def iso(when: float | datetime) -> str:
    """The ledger's time format: UTC ISO-8601 with milliseconds (sorts as text)."""
    if not isinstance(when, datetime):
        when = datetime.fromtimestamp(when, UTC)
    return when.astimezone(UTC).isoformat(timespec="milliseconds")


def epoch(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


@dataclass(frozen=True)
class RowRecord:
    """One recipients-file row after validation, as the ledger stores it."""

    seq: int
    line: int
    recipient: str
    fields: dict[str, str]
    state: str  # "queued" | "skipped"
    detail: str | None = None
    lint_score: float | None = None


@dataclass(frozen=True)
class PendingMessage:
    row_id: int
    seq: int
    recipient: str
    state: str
    attempts: int
    soft_failures: int
    next_attempt_at: str | None


@dataclass(frozen=True)
class AttemptResult:
    state: str  # sent | deferred | bounced | failed | unknown
    code: int | None = None
    status: str | None = None
    text: str | None = None
    reason: str | None = None
    hard: bool | None = None
    next_attempt_at: str | None = None
    soft_failure: bool = False
    detail: str | None = None


class MessagesMixin:
    db: Database

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.db.begin()
        try:
            yield
        except BaseException:
            self.db.rollback()
            raise
        self.db.commit()

    # -- campaigns -----------------------------------------------------------------------

    def campaign_id(self, name: str, now: str | None = None) -> int:
        """The id of the campaign called ``name``, created on first use."""
        self.db.execute(
            "INSERT INTO campaigns (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
            (name, now or iso(datetime.now(UTC))),
        )
        return int(
            self.db.execute("SELECT id FROM campaigns WHERE name = ?", (name,)).fetchone()[0]
        )

    def find_campaign(self, name: str) -> int | None:
        row = self.db.execute("SELECT id FROM campaigns WHERE name = ?", (name,)).fetchone()
        return int(row[0]) if row else None

    # -- writing the rows ------------------------------------------------------------------

    def store_rows(self, campaign: int, rows: Iterable[RowRecord], now: str) -> int:
        """Insert or refresh rows in one transaction; returns how many were written.

        A row already attempted (sent, deferred, bounced, ...) is left exactly as it is: a
        re-run must never reset what happened to a message.
        """
        params = [
            (
                campaign,
                row.recipient,
                row.state,
                now,
                now,
                json.dumps(row.fields, ensure_ascii=False),
                row.line,
                row.detail,
                row.lint_score,
                row.seq,
            )
            for row in rows
        ]
        with self.transaction():
            self.db.executemany(
                "INSERT INTO messages (campaign_id, recipient, mailbox, state, created_at,"
                " updated_at, fields, source_line, detail, lint_score, seq)"
                " VALUES (?, ?, '', ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (campaign_id, recipient) DO UPDATE SET"
                " state = excluded.state, updated_at = excluded.updated_at,"
                " fields = excluded.fields, source_line = excluded.source_line,"
                " detail = excluded.detail, lint_score = excluded.lint_score, seq = excluded.seq"
                " WHERE messages.state IN ('queued', 'skipped') AND messages.attempts = 0",
                params,
            )
        return len(params)

    def will_queue(self, campaign: int, recipient: str) -> bool:
        """Whether storing ``recipient`` as queued makes it a message to send: it is new, or
        its row is one :meth:`store_rows` may rewrite (never attempted)."""
        row = self.db.execute(
            "SELECT state, attempts FROM messages WHERE campaign_id = ? AND recipient = ?",
            (campaign, recipient),
        ).fetchone()
        return row is None or (row[0] in REWRITABLE and row[1] == 0)

    def recover_interrupted(
        self, campaign: int, now: str, *, owner: str | None = None, lease_now: str | None = None
    ) -> int:
        """Rows a crashed run left behind; returns how many became ``unknown``.

        ``sending`` rows become ``unknown`` (the content may have gone out); ``claimed`` rows
        never reached DATA and go back to the queue. With ``owner``, rows of a mailbox that
        another live run holds a lease on are that run's work in progress and left alone.
        """
        live_elsewhere = (
            " AND mailbox NOT IN (SELECT mailbox FROM mailbox_leases WHERE owner <> ?"
            " AND expires_at >= ?)"
        )
        extra: tuple[str, ...] = ()
        scope = ""
        if owner is not None:
            scope = live_elsewhere
            extra = (owner, lease_now or now)
        with self.transaction():
            self.db.execute(
                "DELETE FROM attempts WHERE outcome = 'claimed' AND message_row IN"
                " (SELECT id FROM messages WHERE campaign_id = ? AND state = 'claimed'"
                + scope
                + ")",
                (campaign, *extra),
            )
            self.db.execute(
                "UPDATE messages SET state = CASE WHEN attempts = 0 THEN 'queued'"
                " ELSE 'deferred' END, claimed_by = NULL, updated_at = ?"
                " WHERE campaign_id = ? AND state = 'claimed'" + scope,
                (now, campaign, *extra),
            )
            self.db.execute(
                "UPDATE attempts SET outcome = 'unknown' WHERE outcome = 'sending' AND"
                " message_row IN (SELECT id FROM messages WHERE campaign_id = ?"
                " AND state = 'sending'" + scope + ")",
                (campaign, *extra),
            )
            cursor = self.db.execute(
                "UPDATE messages SET state = 'unknown', updated_at = ?, claimed_by = NULL,"
                " detail = 'interrupted during sending: it may or may not have been delivered'"
                " WHERE campaign_id = ? AND state = 'sending'" + scope,
                (now, campaign, *extra),
            )
        return cursor.rowcount

    def requeue_unknown(self, campaign: int, now: str) -> int:
        """``--resend-unknown``: the user checked, send those rows again."""
        cursor = self.db.execute(
            "UPDATE messages SET state = 'queued', updated_at = ?, detail = NULL"
            " WHERE campaign_id = ? AND state = 'unknown'",
            (now, campaign),
        )
        return cursor.rowcount

    # -- reading the queue -----------------------------------------------------------------

    def pending_messages(self, campaign: int) -> list[PendingMessage]:
        """Queued and deferred rows, in recipients-file order."""
        return [
            PendingMessage(*row)
            for row in self.db.execute(
                "SELECT id, COALESCE(seq, id), recipient, state, attempts, soft_failures,"
                " next_attempt_at FROM messages WHERE campaign_id = ? AND state IN"
                " ('queued', 'deferred') ORDER BY COALESCE(seq, id)",
                (campaign,),
            )
        ]

    def message_fields(self, row_id: int) -> dict[str, str]:
        row = self.db.execute("SELECT fields FROM messages WHERE id = ?", (row_id,)).fetchone()
        return json.loads(row[0]) if row and row[0] else {}

    # -- one attempt -----------------------------------------------------------------------

    def mark_sending(
        self,
        row_id: int,
        mailbox: str,
        domain: str,
        message_id: str,
        now: str,
        *,
        attempt: int | None = None,
        owner: str | None = None,
    ) -> int:
        """Commit ``sending`` (and the attempt) before DATA; returns the attempt id.

        A compare-and-set on the state it expects: ``claimed`` by ``owner`` when ``attempt``
        is that claim's attempt row, otherwise ``queued`` or ``deferred``. Raises
        :class:`~preflight.errors.ClaimLost` when the row is not in that state (another run
        took it, or recovered it): the caller must not send the content.
        """
        with self.transaction():
            if attempt is not None:
                cursor = self.db.execute(
                    "UPDATE messages SET state = 'sending', message_id = ?,"
                    " attempts = attempts + 1, updated_at = ?, sent_at = ?"
                    " WHERE id = ? AND state = 'claimed' AND claimed_by = ? AND mailbox = ?",
                    (message_id, now, now, row_id, owner, mailbox),
                )
                if cursor.rowcount != 1:
                    raise ClaimLost(f"message {row_id} is no longer claimed by this run")
                self.db.execute(
                    "UPDATE attempts SET outcome = 'sending' WHERE id = ? AND outcome = 'claimed'",
                    (attempt,),
                )
                return attempt
            cursor = self.db.execute(
                "UPDATE messages SET state = 'sending', mailbox = ?, message_id = ?,"
                " attempts = attempts + 1, updated_at = ?, sent_at = ?"
                " WHERE id = ? AND state IN ('queued', 'deferred')",
                (mailbox, message_id, now, now, row_id),
            )
            if cursor.rowcount != 1:
                raise ClaimLost(f"message {row_id} is not queued any more")
            cursor = self.db.execute(
                "INSERT INTO attempts (message_row, mailbox, recipient_domain, started_at,"
                " outcome) VALUES (?, ?, ?, ?, 'sending')",
                (row_id, mailbox, domain, now),
            )
        return int(cursor.lastrowid or 0)

    def record_result(
        self,
        row_id: int,
        attempt: int | None,
        result: AttemptResult,
        *,
        mailbox: str,
        domain: str,
        message_id: str | None,
        started_at: str,
        now: str,
    ) -> None:
        """The reply (or its absence) for one attempt, in one transaction.

        ``attempt`` is None when the server refused before DATA (no ``sending`` was written):
        the attempt row is created here.
        """
        with self.transaction():
            if attempt is None:
                self.db.execute(
                    "INSERT INTO attempts (message_row, mailbox, recipient_domain, started_at,"
                    " outcome, reply_code, reply_status, reply_text, hard)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        row_id,
                        mailbox,
                        domain,
                        started_at,
                        result.state,
                        result.code,
                        result.status,
                        result.text,
                        _flag(result.hard),
                    ),
                )
                self.db.execute(
                    "UPDATE messages SET attempts = attempts + 1, mailbox = ?, message_id = ?,"
                    " sent_at = ? WHERE id = ?",
                    (mailbox, message_id, started_at, row_id),
                )
            else:
                self.db.execute(
                    "UPDATE attempts SET outcome = ?, reply_code = ?, reply_status = ?,"
                    " reply_text = ?, hard = ? WHERE id = ?",
                    (
                        result.state,
                        result.code,
                        result.status,
                        result.text,
                        _flag(result.hard),
                        attempt,
                    ),
                )
            self.db.execute(
                "UPDATE messages SET state = ?, reply_code = ?, reply_status = ?,"
                " reply_text = ?, reason = ?, hard = ?, next_attempt_at = ?,"
                " soft_failures = soft_failures + ?, detail = ?, updated_at = ?, claimed_by = NULL"
                " WHERE id = ? AND state IN ('sending', 'claimed', 'queued', 'deferred')",
                (
                    result.state,
                    result.code,
                    result.status,
                    result.text,
                    result.reason,
                    _flag(result.hard),
                    result.next_attempt_at,
                    int(result.soft_failure),
                    result.detail,
                    now,
                    row_id,
                ),
            )

    def mark_not_sent(self, row_id: int, state: str, detail: str, now: str) -> None:
        """A message dropped before any attempt: ``failed`` (it could not be built, e.g.
        header injection) or ``skipped`` (suppressed since it was queued)."""
        self.db.execute(
            "UPDATE messages SET state = ?, detail = ?, updated_at = ? WHERE id = ?",
            (state, detail, now, row_id),
        )

    # -- history for caps and brakes ------------------------------------------------------

    def mailbox_attempt_times(self, mailbox: str, since: str) -> list[float]:
        return [
            epoch(row[0])
            for row in self.db.execute(
                "SELECT started_at FROM attempts WHERE mailbox = ? AND started_at >= ?"
                " ORDER BY started_at",
                (mailbox, since),
            )
        ]

    def domain_attempt_times(self, since: str) -> list[tuple[str, float]]:
        return [
            (row[0], epoch(row[1]))
            for row in self.db.execute(
                "SELECT recipient_domain, started_at FROM attempts WHERE started_at >= ?",
                (since,),
            )
        ]

    def recent_hard_flags(self, mailbox: str, limit: int) -> list[bool]:
        """Whether each of the mailbox's last completed attempts bounced hard, oldest first."""
        rows = self.db.execute(
            "SELECT hard, outcome FROM attempts WHERE mailbox = ? AND outcome IN"
            " ('sent', 'bounced', 'deferred', 'failed') ORDER BY id DESC LIMIT ?",
            (mailbox, limit),
        ).fetchall()
        return [bool(row[0]) and row[1] == "bounced" for row in reversed(rows)]

    # -- paused mailboxes ------------------------------------------------------------------

    def pause_mailbox(self, mailbox: str, reason: str, campaign: str | None, now: str) -> None:
        self.db.execute(
            "INSERT INTO mailbox_pauses (mailbox, reason, campaign, paused_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (mailbox) DO UPDATE SET reason = excluded.reason,"
            " campaign = excluded.campaign, paused_at = excluded.paused_at",
            (mailbox, reason, campaign, now),
        )

    def unpause_mailbox(self, mailbox: str) -> bool:
        cursor = self.db.execute("DELETE FROM mailbox_pauses WHERE mailbox = ?", (mailbox,))
        return cursor.rowcount == 1

    def paused_mailboxes(self) -> dict[str, str]:
        return {
            row[0]: row[1] for row in self.db.execute("SELECT mailbox, reason FROM mailbox_pauses")
        }

    # -- status ----------------------------------------------------------------------------

    def state_counts(self, campaign: int) -> dict[tuple[str, str], int]:
        """(mailbox, state) -> count; queued rows have no mailbox yet ('')."""
        return {
            (row[0], row[1]): int(row[2])
            for row in self.db.execute(
                "SELECT mailbox, state, COUNT(*) FROM messages WHERE campaign_id = ?"
                " GROUP BY mailbox, state",
                (campaign,),
            )
        }

    def next_retry_at(self, campaign: int) -> str | None:
        row = self.db.execute(
            "SELECT MIN(next_attempt_at) FROM messages WHERE campaign_id = ?"
            " AND state = 'deferred'",
            (campaign,),
        ).fetchone()
        return row[0] if row else None

    def campaign_suppressed(self, campaign: int) -> int:
        row = self.db.execute(
            "SELECT COUNT(*) FROM messages m JOIN suppression s ON s.address = m.recipient"
            " WHERE m.campaign_id = ?",
            (campaign,),
        ).fetchone()
        return int(row[0])


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


__all__ = ["AttemptResult", "MessagesMixin", "PendingMessage", "RowRecord", "epoch", "iso"]
