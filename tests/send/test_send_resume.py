"""Crash safety and resume against a real aiosmtpd server: nothing is sent twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from preflight.campaign import RunStats
from preflight.errors import MailboxError
from preflight.ledger import Ledger
from preflight.ledger.messages import iso
from preflight.sink import Drop, Sink
from send.helpers import START, attempts, mailbox_toml, run_campaign, sample_rows, states

pytestmark = pytest.mark.looptime

BOX = "li.wei@brightline.example"


async def test_stopped_run_resumes_without_sending_twice(
    campaign_dir: Callable[..., Path], tmp_path: Path, ledger_at: str
) -> None:
    stop = asyncio.Event()

    def stop_after_three(stats: RunStats) -> None:
        if stats.sent >= 3:
            stop.set()

    async with Sink() as sink:
        path = campaign_dir(sample_rows(8), [mailbox_toml(BOX, sink.port, delay="[30, 60]")])
        first, _ = await run_campaign(
            path, ledger_at, stop=stop, on_progress=stop_after_three
        )
        assert first.stopped and first.sent == 3 and len(sink.received) == 3
        second, _ = await run_campaign(path, ledger_at)
        assert second.sent == 5
        third, _ = await run_campaign(path, ledger_at)
        assert third.sent == 0
    counts = Counter(sink.recipients())
    assert len(counts) == 8 and set(counts.values()) == {1}


async def test_drop_during_data_is_unknown_and_never_resent_automatically(
    campaign_dir: Callable[..., Path], tmp_path: Path, ledger_at: str
) -> None:
    # The server takes the message, then the line dies before the reply.
    async with Sink([Drop("person2@*", stage="data", deliver=True)]) as sink:
        path = campaign_dir(sample_rows(5), [mailbox_toml(BOX, sink.port)])
        stats, _ = await run_campaign(path, ledger_at)
        assert stats.unknown == 1 and stats.sent == 4
        assert states(ledger_at)["person2@buyer2.example"] == "unknown"
        assert len(sink.received) == 5  # it did arrive
        again, _ = await run_campaign(path, ledger_at)
        assert again.sent == 0 and len(sink.received) == 5
        # The user checked and asks for it again.
        with Ledger(ledger_at) as ledger:
            campaign = ledger.find_campaign("test")
            assert campaign is not None
            assert ledger.requeue_unknown(campaign, iso(START)) == 1
        resent, _ = await run_campaign(path, ledger_at)
        assert resent.sent == 1 and sink.recipients().count("person2@buyer2.example") == 2


async def test_drop_before_data_is_retried_on_a_new_connection(
    campaign_dir: Callable[..., Path], tmp_path: Path, ledger_at: str
) -> None:
    async with Sink([Drop("person1@*", stage="rcpt", times=1)]) as sink:
        path = campaign_dir(sample_rows(3), [mailbox_toml(BOX, sink.port)])
        stats, _ = await run_campaign(path, ledger_at)
    assert stats.sent == 3 and stats.unknown == 0
    assert Counter(sink.recipients()) == Counter(f"person{i}@buyer{i}.example" for i in range(3))


async def test_row_left_sending_by_a_crash_becomes_unknown(
    campaign_dir: Callable[..., Path], tmp_path: Path, ledger_at: str
) -> None:
    async with Sink() as sink:
        path = campaign_dir(sample_rows(3), [mailbox_toml(BOX, sink.port)])
        await run_campaign(path, ledger_at, limit=0)
        # What a process killed between "sending" and the reply leaves behind.
        with Ledger(ledger_at) as ledger:
            row = ledger.db.execute(
                "SELECT id FROM messages WHERE recipient = 'person0@buyer0.example'"
            ).fetchone()[0]
            ledger.mark_sending(row, BOX, "buyer0.example", "<x@brightline.example>", iso(START))
        stats, _ = await run_campaign(path, ledger_at)
    assert stats.recovered_unknown == 1 and stats.sent == 2
    assert "person0@buyer0.example" not in sink.recipients()
    assert states(ledger_at)["person0@buyer0.example"] == "unknown"
    # The interrupted attempt still counts against the mailbox's caps.
    assert attempts(ledger_at)[0][3] == "unknown"


async def test_daily_cap_survives_a_restart(
    campaign_dir: Callable[..., Path], tmp_path: Path, ledger_at: str
) -> None:
    plan = tmp_path / "three.toml"
    plan.write_text('name = "three"\nhourly_cap = 100\n[[steps]]\nfrom_day = 1\ndaily = 3\n')
    async with Sink() as sink:
        path = campaign_dir(
            sample_rows(6), [mailbox_toml(BOX, sink.port, warmup="three.toml", delay="[5, 5]")]
        )
        first, _ = await run_campaign(path, ledger_at, limit=2)
        assert first.sent == 2
        # Same day, a new process: only one more fits today's cap of 3.
        second, _ = await run_campaign(path, ledger_at, start=START)
    log = attempts(ledger_at)
    days = Counter(datetime.fromtimestamp(t, UTC).date() for _, _, t, _ in log)
    assert days == {START.date(): 3, START.date() + timedelta(days=1): 3}
    assert second.sent == 4


async def test_missing_password_variable_stops_before_anything_is_sent(
    campaign_dir: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    ledger_at: str,
) -> None:
    monkeypatch.delenv("PREFLIGHT_TEST_SMTP_PASSWORD", raising=False)
    extra = (
        'username = "li.wei"\npassword_env = "PREFLIGHT_TEST_SMTP_PASSWORD"\n'
        "allow_plaintext_auth = true"
    )
    async with Sink() as sink:
        path = campaign_dir(sample_rows(2), [mailbox_toml(BOX, sink.port, extra=extra)])
        with pytest.raises(MailboxError, match="PREFLIGHT_TEST_SMTP_PASSWORD") as caught:
            await run_campaign(path, ledger_at)
    assert caught.value.field == "password_env"
    assert sink.received == []
    assert set(states(ledger_at).values()) == {"queued"}
