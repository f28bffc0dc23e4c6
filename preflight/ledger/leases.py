"""Mailbox leases and message claims: what keeps two concurrent runs from sending twice.

A run holds a *lease* on each mailbox it sends from (owner, expiry, heartbeat): a row in
``mailbox_leases`` that another run may take over only once it has expired, or at once when
its owner is a process on this host that no longer exists (a SIGKILLed run must not block
the next one for a minute). Then every message is *claimed* by a compare-and-set inside one
transaction before the SMTP transaction starts: the row must still be ``queued`` or
``deferred`` and due, the run must still hold the mailbox's lease, and the mailbox's daily
and hourly caps and the recipient domain's cap are counted from ``attempts`` inside that same
transaction. ``claimed`` becomes ``sending`` right before DATA (again compare-and-set, see
:meth:`~preflight.ledger.messages.MessagesMixin.mark_sending`), or goes back to the queue when
the connection fails before anything was sent.

Everything is plain SQL that runs on SQLite and PostgreSQL: ``INSERT ... ON CONFLICT ... DO
UPDATE ... WHERE`` for the lease, conditional ``UPDATE`` + rowcount for every change of owner or
state. On PostgreSQL the lease ``UPDATE`` that opens a claim also locks the lease row, which
serializes the claims of one mailbox; SQLite's ``BEGIN IMMEDIATE`` serializes all of them.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from preflight.ledger.messages import iso

if TYPE_CHECKING:
    from preflight.ledger.backend import Database



def _lease_seconds() -> float:
    """``PREFLIGHT_LEASE_SECONDS``: a team on a slow link may want longer leases, the tests
    want short ones (a killed run's mailboxes are taken over after it). Default 60."""
    try:
        seconds = float(os.environ.get("PREFLIGHT_LEASE_SECONDS", "60"))
    except ValueError:
        return 60.0
    return seconds if 1.0 <= seconds <= 86400.0 else 60.0


# A lease lives this long without a heartbeat; the heartbeat renews it every quarter of that.
LEASE_SECONDS = _lease_seconds()
HEARTBEAT_SECONDS = LEASE_SECONDS / 4


def new_owner() -> str:
    """This run's identity in the ledger: host, process id and a random token."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def wall_now() -> datetime:
    # Leases are wall time on purpose: the send loop's clock may be virtual or accelerated,
    # while another process on another machine only shares the wall clock.
    return datetime.now(UTC)


@dataclass(frozen=True)
class LeaseHolder:
    mailbox: str
    owner: str
    expires_at: str

    @property
    def host(self) -> str:
        return self.owner.split(":", 1)[0]

    @property
    def pid(self) -> int | None:
        parts = self.owner.split(":")
        return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else None

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host}, lease until {self.expires_at[:19]} UTC"


@dataclass(frozen=True)
class ClaimCaps:
    """The limits a claim counts inside its transaction (None: no such limit)."""

    day_start: str | None = None  # the mailbox's local midnight, as ledger time
    daily: int | None = None
    hourly: int | None = None
    domain_limit: int | None = None
    domain_period: float = 3600.0


@dataclass(frozen=True)
class Claim:
    """The outcome of :meth:`LeasesMixin.claim_message`.

    ``ok``: the row is ``claimed`` by this run and ``attempt`` is its attempt row. Otherwise
    ``refused`` says why: ``taken`` (another run claimed, sent or settled it, or it is not due),
    ``lease`` (this run no longer holds the mailbox), ``daily`` / ``hourly`` / ``domain`` (a
    cap is full; ``retry_at`` is when it frees, as a timestamp, when known).
    """

    attempt: int | None = None
    refused: Literal["taken", "lease", "daily", "hourly", "domain"] | None = None
    retry_at: float | None = None

    @property
    def ok(self) -> bool:
        return self.refused is None


class LeasesMixin:
    db: Database
    transaction: Callable[[], AbstractContextManager[None]]

    # -- leases ----------------------------------------------------------------------------

    def acquire_leases(
        self,
        mailboxes: Iterable[str],
        owner: str,
        *,
        now: datetime | None = None,
        seconds: float = LEASE_SECONDS,
    ) -> dict[str, LeaseHolder]:
        """Take every mailbox nobody else holds; returns the holders of the others."""
        now = now or wall_now()
        stamp, until = iso(now), iso(now + timedelta(seconds=seconds))
        busy: dict[str, LeaseHolder] = {}
        for mailbox in mailboxes:
            with self.transaction():
                self.db.execute(
                    "INSERT INTO mailbox_leases (mailbox, owner, acquired_at, heartbeat_at,"
                    " expires_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (mailbox) DO UPDATE SET"
                    " owner = excluded.owner, acquired_at = excluded.acquired_at,"
                    " heartbeat_at = excluded.heartbeat_at, expires_at = excluded.expires_at"
                    " WHERE mailbox_leases.expires_at < excluded.heartbeat_at"
                    " OR mailbox_leases.owner = excluded.owner",
                    (mailbox, owner, stamp, stamp, until),
                )
                holder = self.lease_holder(mailbox)
                if holder is not None and holder.owner != owner and _dead_here(holder):
                    # Compare-and-set on the dead owner: of two runs that both saw it dead,
                    # only one takes the mailbox.
                    self.db.execute(
                        "UPDATE mailbox_leases SET owner = ?, acquired_at = ?, heartbeat_at = ?,"
                        " expires_at = ? WHERE mailbox = ? AND owner = ?",
                        (owner, stamp, stamp, until, mailbox, holder.owner),
                    )
                    holder = self.lease_holder(mailbox)
            if holder is None or holder.owner != owner:
                busy[mailbox] = holder or LeaseHolder(mailbox, "?", "?")
        return busy

    def lease_holder(self, mailbox: str) -> LeaseHolder | None:
        row = self.db.execute(
            "SELECT mailbox, owner, expires_at FROM mailbox_leases WHERE mailbox = ?", (mailbox,)
        ).fetchone()
        return LeaseHolder(row[0], row[1], row[2]) if row else None

    def renew_leases(
        self,
        mailboxes: Iterable[str],
        owner: str,
        *,
        now: datetime | None = None,
        seconds: float = LEASE_SECONDS,
    ) -> set[str]:
        """The heartbeat; returns the mailboxes this owner no longer holds."""
        now = now or wall_now()
        lost: set[str] = set()
        with self.transaction():
            for mailbox in mailboxes:
                cursor = self.db.execute(
                    "UPDATE mailbox_leases SET heartbeat_at = ?, expires_at = ?"
                    " WHERE mailbox = ? AND owner = ?",
                    (iso(now), iso(now + timedelta(seconds=seconds)), mailbox, owner),
                )
                if cursor.rowcount != 1:
                    lost.add(mailbox)
        return lost

    def release_leases(self, owner: str) -> None:
        self.db.execute("DELETE FROM mailbox_leases WHERE owner = ?", (owner,))

    # -- claims ----------------------------------------------------------------------------

    def claim_message(
        self,
        row_id: int,
        *,
        mailbox: str,
        domain: str,
        owner: str,
        started_at: datetime,
        caps: ClaimCaps = ClaimCaps(),
        lease_now: datetime | None = None,
        lease_seconds: float = LEASE_SECONDS,
    ) -> Claim:
        """Claim one message for one attempt from ``mailbox``: all checks in one transaction.

        ``started_at`` is the send loop's clock (what caps and ``next_attempt_at`` are
        measured in); the lease is checked and renewed in wall time.
        """
        lease_now = lease_now or wall_now()
        stamp = iso(started_at)
        with self.transaction():
            # First statement: proves the lease and (on PostgreSQL) locks its row.
            renewed = self.db.execute(
                "UPDATE mailbox_leases SET heartbeat_at = ?, expires_at = ?"
                " WHERE mailbox = ? AND owner = ?",
                (
                    iso(lease_now),
                    iso(lease_now + timedelta(seconds=lease_seconds)),
                    mailbox,
                    owner,
                ),
            )
            if renewed.rowcount != 1:
                return Claim(refused="lease")
            full = self._full_cap(mailbox, domain, started_at, caps)
            if full is not None:
                return full
            taken = self.db.execute(
                "UPDATE messages SET state = 'claimed', claimed_by = ?, mailbox = ?,"
                " updated_at = ? WHERE id = ? AND state IN ('queued', 'deferred')"
                " AND (next_attempt_at IS NULL OR next_attempt_at <= ?)",
                (owner, mailbox, stamp, row_id, stamp),
            )
            if taken.rowcount != 1:
                return Claim(refused="taken")
            cursor = self.db.execute(
                "INSERT INTO attempts (message_row, mailbox, recipient_domain, started_at,"
                " outcome) VALUES (?, ?, ?, ?, 'claimed')",
                (row_id, mailbox, domain, stamp),
            )
        return Claim(attempt=int(cursor.lastrowid or 0))

    def _full_cap(self, mailbox: str, domain: str, when: datetime, caps: ClaimCaps) -> Claim | None:
        hour_ago = iso(when - timedelta(hours=1))
        if (
            caps.daily is not None
            and caps.day_start is not None
            and self._count_since("mailbox", mailbox, caps.day_start) >= caps.daily
        ):
            return Claim(refused="daily")
        if caps.hourly is not None:
            oldest = self._nth_newest("mailbox", mailbox, hour_ago, caps.hourly)
            if oldest is not None:
                return Claim(refused="hourly", retry_at=oldest + 3600.0)
        if caps.domain_limit is not None:
            since = iso(when - timedelta(seconds=caps.domain_period))
            oldest = self._nth_newest("recipient_domain", domain, since, caps.domain_limit)
            if oldest is not None:
                return Claim(refused="domain", retry_at=oldest + caps.domain_period)
        return None

    def _count_since(
        self, column: Literal["mailbox", "recipient_domain"], value: str, since: str
    ) -> int:
        row = self.db.execute(
            f"SELECT COUNT(*) FROM attempts WHERE {column} = ? AND started_at >= ?",
            (value, since),
        ).fetchone()
        return int(row[0])

    def _nth_newest(
        self, column: Literal["mailbox", "recipient_domain"], value: str, after: str, limit: int
    ) -> float | None:
        """The start of the ``limit``-th newest attempt after ``after``: the cap is full until
        it ages out. None when fewer than ``limit`` attempts are in the window."""
        row = self.db.execute(
            f"SELECT started_at FROM attempts WHERE {column} = ? AND started_at > ?"
            " ORDER BY started_at DESC LIMIT 1 OFFSET ?",
            (value, after, max(limit - 1, 0)),
        ).fetchone()
        return datetime.fromisoformat(row[0]).timestamp() if row else None

    def release_claim(self, row_id: int, attempt: int, owner: str, now: str) -> bool:
        """Nothing was sent (the connection failed first): the message goes back as it was."""
        with self.transaction():
            cursor = self.db.execute(
                "UPDATE messages SET state = CASE WHEN attempts = 0 THEN 'queued'"
                " ELSE 'deferred' END, claimed_by = NULL, updated_at = ?"
                " WHERE id = ? AND state = 'claimed' AND claimed_by = ?",
                (now, row_id, owner),
            )
            if cursor.rowcount == 1:
                self.db.execute(
                    "DELETE FROM attempts WHERE id = ? AND outcome = 'claimed'", (attempt,)
                )
        return cursor.rowcount == 1

    def settle_claim(
        self, row_id: int, attempt: int, owner: str, state: str, detail: str, now: str
    ) -> bool:
        """A claimed message that cannot be built or was suppressed meanwhile: no attempt."""
        with self.transaction():
            cursor = self.db.execute(
                "UPDATE messages SET state = ?, detail = ?, claimed_by = NULL, updated_at = ?"
                " WHERE id = ? AND state = 'claimed' AND claimed_by = ?",
                (state, detail, now, row_id, owner),
            )
            if cursor.rowcount == 1:
                self.db.execute(
                    "DELETE FROM attempts WHERE id = ? AND outcome = 'claimed'", (attempt,)
                )
        return cursor.rowcount == 1


def _dead_here(holder: LeaseHolder) -> bool:
    """Whether the holder is a process on this host that no longer runs."""
    if holder.host != socket.gethostname() or holder.pid is None:
        return False
    if holder.pid == os.getpid():
        return False  # this process: an earlier run in it ended without releasing
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False


__all__ = [
    "HEARTBEAT_SECONDS",
    "LEASE_SECONDS",
    "Claim",
    "ClaimCaps",
    "LeaseHolder",
    "LeasesMixin",
    "new_owner",
    "wall_now",
]
