"""Mailbox leases and message claims in the ledger: every change of owner or state is a
compare-and-set, so a second run (another process, later another machine) cannot take what
the first one holds."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from preflight.errors import ClaimLost
from preflight.ledger import Ledger
from preflight.ledger.leases import ClaimCaps, new_owner
from preflight.ledger.messages import RowRecord, iso

BOX = "li.wei@brightline.example"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _queue(ledger: Ledger, count: int) -> list[int]:
    campaign = ledger.campaign_id("c", iso(T0))
    ledger.store_rows(
        campaign,
        [RowRecord(i, i + 1, f"p{i}@buyer.example", {}, "queued") for i in range(count)],
        iso(T0),
    )
    return [p.row_id for p in ledger.pending_messages(campaign)]


def test_a_lease_is_taken_only_when_free_expired_or_its_owner_is_dead(ledger_at: str) -> None:
    with Ledger(ledger_at) as ledger:
        first, second = new_owner(), new_owner()
        assert ledger.acquire_leases([BOX], first, now=T0) == {}
        busy = ledger.acquire_leases([BOX], second, now=T0 + timedelta(seconds=30))
        assert busy[BOX].owner == first
        assert ledger.renew_leases([BOX], second, now=T0) == {BOX}  # not the holder's
        assert ledger.renew_leases([BOX], first, now=T0) == set()
        # Expired (no heartbeat for a minute): the other run takes it over.
        assert ledger.acquire_leases([BOX], second, now=T0 + timedelta(seconds=61)) == {}
        assert ledger.renew_leases([BOX], first, now=T0 + timedelta(seconds=62)) == {BOX}
        # A process on this host that is gone: taken over at once, before the expiry.
        dead = subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpid())"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        ledger.release_leases(second)
        import socket

        ghost = f"{socket.gethostname()}:{dead}:feed"
        assert ledger.acquire_leases([BOX], ghost, now=T0) == {}
        assert ledger.acquire_leases([BOX], first, now=T0 + timedelta(seconds=1)) == {}


def test_a_claim_is_a_compare_and_set_on_lease_state_due_time_and_caps(ledger_at: str) -> None:
    with Ledger(ledger_at) as ledger:
        rows = _queue(ledger, 4)
        me, other = new_owner(), new_owner()
        ledger.acquire_leases([BOX], me)
        args = {"mailbox": BOX, "domain": "buyer.example", "started_at": T0}
        assert ledger.claim_message(rows[0], owner=other, **args).refused == "lease"
        claim = ledger.claim_message(rows[0], owner=me, **args)
        assert claim.ok
        # Claimed once: a second claim of the same row (any run) is refused.
        assert ledger.claim_message(rows[0], owner=me, **args).refused == "taken"
        # mark_sending checks the state it expects: a wrong owner or a settled row fails.
        with pytest.raises(ClaimLost):
            ledger.mark_sending(
                rows[0], BOX, "buyer.example", "<a@x>", iso(T0), attempt=claim.attempt, owner=other
            )
        ledger.mark_sending(
            rows[0], BOX, "buyer.example", "<a@x>", iso(T0), attempt=claim.attempt, owner=me
        )
        with pytest.raises(ClaimLost):
            ledger.mark_sending(rows[0], BOX, "buyer.example", "<b@x>", iso(T0))
        # Caps are counted inside the claim: one attempt today fills a daily cap of 1.
        caps = ClaimCaps(day_start=iso(T0 - timedelta(hours=9)), daily=1)
        assert ledger.claim_message(rows[1], owner=me, caps=caps, **args).refused == "daily"
        hourly = ledger.claim_message(rows[1], owner=me, caps=ClaimCaps(hourly=1), **args)
        assert (
            hourly.refused == "hourly" and hourly.retry_at == (T0 + timedelta(hours=1)).timestamp()
        )
        full = ledger.claim_message(rows[1], owner=me, caps=ClaimCaps(domain_limit=1), **args)
        assert full.refused == "domain"
        # Not due yet: a deferred row is claimed only once its retry time has come.
        ledger.db.execute(
            "UPDATE messages SET state = 'deferred', next_attempt_at = ? WHERE id = ?",
            (iso(T0 + timedelta(minutes=5)), rows[2]),
        )
        assert ledger.claim_message(rows[2], owner=me, **args).refused == "taken"
        later = {**args, "started_at": T0 + timedelta(minutes=5)}
        again = ledger.claim_message(rows[2], owner=me, **later)
        assert again.ok and again.attempt is not None
        # A connection that failed first gives the claim back, attempt row and all.
        assert ledger.release_claim(rows[2], again.attempt, me, iso(T0))
        # Never attempted, so queued again; the claim's attempt row is gone.
        state = ledger.db.execute("SELECT state FROM messages WHERE id = ?", (rows[2],))
        assert state.fetchone()[0] == "queued"
        assert ledger.mailbox_attempt_times(BOX, iso(T0 - timedelta(days=1))) == [T0.timestamp()]


def test_recovery_leaves_the_rows_of_a_live_run_alone(ledger_at: str) -> None:
    with Ledger(ledger_at) as ledger:
        rows = _queue(ledger, 2)
        campaign = ledger.find_campaign("c")
        assert campaign is not None
        live, me = new_owner(), new_owner()
        ledger.acquire_leases([BOX], live)
        args = {"mailbox": BOX, "domain": "buyer.example", "started_at": T0}
        claim = ledger.claim_message(rows[0], owner=live, **args)
        ledger.mark_sending(
            rows[0], BOX, "buyer.example", "<a@x>", iso(T0), attempt=claim.attempt, owner=live
        )
        ledger.claim_message(rows[1], owner=live, **args)
        lease_now = iso(datetime.now(UTC))
        assert ledger.recover_interrupted(campaign, iso(T0), owner=me, lease_now=lease_now) == 0
        ledger.release_leases(live)  # it died: now its rows are recovered
        assert ledger.recover_interrupted(campaign, iso(T0), owner=me, lease_now=lease_now) == 1
        states = dict(ledger.db.execute("SELECT id, state FROM messages"))
        assert states == {rows[0]: "unknown", rows[1]: "queued"}
