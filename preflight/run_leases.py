"""The send loop's side of concurrency: hold the mailboxes' leases and claim each message.

The rules live in the ledger (:mod:`preflight.ledger.leases`); this module is the small piece
the send loop calls: take the leases at the start (the mailboxes another live run holds are
left to it), keep them alive from a heartbeat thread while the run lives (a thread, in wall
time, because the send loop's clock may be virtual), claim a message with the caps the
schedule knows, and release everything at the end.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime

from preflight.errors import MailboxBusy, PreflightError
from preflight.ledger import Ledger
from preflight.ledger.leases import (
    HEARTBEAT_SECONDS,
    Claim,
    ClaimCaps,
    LeaseHolder,
    new_owner,
    wall_now,
)
from preflight.ledger.messages import iso
from preflight.schedule import DomainCap, MailboxSchedule


class MailboxLeases:
    """The leases of one run. ``held`` are the mailboxes it may send from."""

    def __init__(self, ledger: Ledger, mailboxes: Sequence[str]) -> None:
        self.ledger = ledger
        self.mailboxes = list(mailboxes)
        self.owner = new_owner()
        self.held: set[str] = set()
        self.busy: dict[str, LeaseHolder] = {}
        self.lost: set[str] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> dict[str, LeaseHolder]:
        """Take the free mailboxes; raises :class:`MailboxBusy` (one line) when none is."""
        self.busy = self.ledger.acquire_leases(self.mailboxes, self.owner)
        self.held = {m for m in self.mailboxes if m not in self.busy}
        if not self.held and self.mailboxes:
            first = next(iter(self.busy.values()))
            names = ", ".join(self.busy)
            raise MailboxBusy(
                f"another `preflight send` is sending from {names} ({first.describe()}): "
                "nothing sent; run again when it has finished (it resumes where it stopped)"
            )
        return self.busy

    def start_heartbeat(self) -> None:
        self._thread = threading.Thread(target=self._beat, name="lease-heartbeat", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        try:
            other = self.ledger.open_another()
        except PreflightError:
            return  # the claims still check the lease: a stale one only stops this run
        with other:
            while not self._stop.wait(HEARTBEAT_SECONDS):
                try:
                    self.lost |= other.renew_leases(sorted(self.held), self.owner)
                except Exception:  # a busy or locked ledger: try again at the next beat
                    continue

    def claim(
        self,
        row_id: int,
        *,
        mailbox: str,
        domain: str,
        when: datetime,
        schedule: MailboxSchedule,
        domain_cap: DomainCap | None,
    ) -> Claim:
        day_start, daily, _ = schedule.day_limits(when.timestamp())
        caps = ClaimCaps(
            day_start=iso(day_start),
            daily=daily,
            hourly=schedule.plan.hourly_cap,
            domain_limit=domain_cap.limit if domain_cap else None,
            domain_period=domain_cap.period if domain_cap else 3600.0,
        )
        return self.ledger.claim_message(
            row_id, mailbox=mailbox, domain=domain, owner=self.owner, started_at=when, caps=caps
        )

    def recover(self, campaign: int, now: datetime) -> int:
        """What a crashed run left behind, except the live work of other runs."""
        return self.ledger.recover_interrupted(
            campaign, iso(now), owner=self.owner, lease_now=iso(wall_now())
        )

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.ledger.release_leases(self.owner)


__all__ = ["MailboxLeases"]
