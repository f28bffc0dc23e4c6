"""Pacing against a real aiosmtpd server in virtual time: caps, windows, delays, rotation."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from preflight.campaign import RunStats, plan_campaign
from preflight.campaign_config import load_campaign
from preflight.clock import LoopClock
from preflight.ledger import Ledger
from preflight.sink import Sink
from preflight.warmup import load_plan
from send.helpers import START, attempts, mailbox_toml, run_campaign, sample_rows, states

pytestmark = pytest.mark.looptime

BERLIN = ZoneInfo("Europe/Berlin")


async def test_thirty_days_of_warm_up_in_virtual_time(
    campaign_dir: Callable[..., Path], tmp_path: Path, ledger_at: str
) -> None:
    boxes = ["li.wei@brightline.example", "wang.fang@brightline.example"]
    window = dict(
        warmup="new-mailbox",
        start="2026-01-05",
        days='["mon", "tue", "wed", "thu", "fri"]',
        hours="09:00-17:00",
        delay="[60, 300]",
    )
    stop = asyncio.Event()
    end = START + timedelta(days=30)
    clock_box: list[LoopClock] = []

    def stop_after_thirty_days(stats: RunStats) -> None:
        if stats.next_send is not None and stats.next_send >= end:
            stop.set()

    async with Sink() as sink:
        mailboxes = [
            mailbox_toml(box, sink.port, **window).replace('"UTC"', '"Europe/Berlin"')
            for box in boxes
        ]
        # More recipients than 30 days can carry, over 40 domains.
        rows = sample_rows(1200, lambda i: f"firm{i % 40}.example")
        path = campaign_dir(rows, mailboxes, head="domain_cap = 3\n")
        clock_box.append(LoopClock(START))
        stats, _ = await run_campaign(
            path,
            ledger_at,
            stop=stop,
            on_progress=stop_after_thirty_days,
            clock=clock_box[0],
            seed=3,
        )
        received = list(sink.received)
    log = attempts(ledger_at)
    assert stats.stopped and stats.sent == len(log) == len(received)
    plan = load_plan("new-mailbox")
    start_day = START.date()
    by_box: dict[str, list[datetime]] = defaultdict(list)
    for mailbox, _, when, outcome in log:
        assert outcome == "sent"
        by_box[mailbox].append(datetime.fromtimestamp(when, BERLIN))
    assert set(by_box) == set(boxes), "both mailboxes carried the campaign"
    total_capacity = 0
    for mailbox, times in by_box.items():
        per_day = Counter(t.date() for t in times)
        for day, count in per_day.items():
            assert count <= plan.daily_cap(start_day, day), (mailbox, day, count)
        for day_offset in range(30):
            day = start_day + timedelta(days=day_offset)
            if day.weekday() < 5:
                total_capacity += plan.daily_cap(start_day, day)
                # Plenty of recipients: every weekday is filled exactly to its cap.
                assert per_day[day] == plan.daily_cap(start_day, day), (mailbox, day)
        for when in times:
            assert when.weekday() < 5 and 9 <= when.hour < 17, when
        for earlier, later in itertools.pairwise(sorted(times)):
            assert (later - earlier).total_seconds() >= 60
        for index in range(plan.hourly_cap, len(times)):
            hour_span = (times[index] - times[index - plan.hourly_cap]).total_seconds()
            assert hour_span >= 3600, "more than the hourly cap within an hour"
    assert stats.sent == total_capacity
    # The Date headers the sink received come from the same virtual clock.
    for item in received:
        sent_at = parsedate_to_datetime(item.message()["Date"]).astimezone(BERLIN)
        assert sent_at.weekday() < 5 and 9 <= sent_at.hour < 17
    # `plan` predicts exactly this: same scheduler, same seed, no clock.
    config = load_campaign(path)
    predicted = plan_campaign(
        config, [(i + 1, rows[i][0]) for i in range(len(rows))], start=START, seed=3
    )
    actual = Counter((datetime.fromtimestamp(t, BERLIN).date(), m) for m, _, t, _ in log)
    for day, counts in predicted.per_day.items():
        if day < (end - timedelta(days=1)).date():
            for mailbox, count in counts.items():
                assert actual[(day, mailbox)] == count, (day, mailbox)


async def test_inbox_rotation_spreads_recipients(
    campaign_dir: Callable[..., Path], tmp_path: Path, ledger_at: str
) -> None:
    boxes = ["a@brightline.example", "b@brightline.example", "c@brightline.example"]
    async with Sink() as sink:
        path = campaign_dir(
            sample_rows(12), [mailbox_toml(box, sink.port, delay="[30, 30]") for box in boxes]
        )
        stats, _ = await run_campaign(path, ledger_at)
    senders = [parseaddr(item.message()["From"])[1] for item in sink.received]
    assert stats.sent == 12
    assert Counter(senders) == {box: 4 for box in boxes}
    assert senders[:3] == boxes and senders[3:6] == boxes, "round robin at equal pace"
    assert [item.mail_from for item in sink.received] == senders


async def test_per_domain_cap_across_mailboxes(
    campaign_dir: Callable[..., Path], tmp_path: Path, ledger_at: str
) -> None:
    rows = [[f"p{i}@bigcorp.example", f"N{i}", "Big Corp"] for i in range(6)]
    rows += [[f"q{i}@small{i}.example", f"M{i}", "Small"] for i in range(4)]
    boxes = ["a@brightline.example", "b@brightline.example"]
    async with Sink() as sink:
        path = campaign_dir(
            rows,
            [mailbox_toml(box, sink.port, delay="[10, 10]") for box in boxes],
            head="domain_cap = 2\ndomain_cap_hours = 1\n",
        )
        stats, _ = await run_campaign(path, ledger_at)
    assert stats.sent == 10
    log = attempts(ledger_at)
    big = sorted(t for _, r, t, _ in log if r.endswith("@bigcorp.example"))
    for index in range(2, len(big)):
        assert big[index] - big[index - 2] >= 3600, "3 sends to one domain within an hour"
    # The capped domain does not hold the others up: they all go in the first minutes.
    small = [t for _, r, t, _ in log if "@small" in r]
    assert max(small) - START.timestamp() < 120
    assert {m for m, r, _, _ in log if "@bigcorp" in r} == set(boxes)


async def test_header_injection_is_refused_and_not_sent(
    campaign_dir: Callable[..., Path], tmp_path: Path, ledger_at: str
) -> None:
    rows = sample_rows(3)
    rows[1][2] = "Evil Corp\r\nBcc: victim@elsewhere.example"
    async with Sink() as sink:
        path = campaign_dir(rows, [mailbox_toml("a@brightline.example", sink.port)])
        stats, validation = await run_campaign(path, ledger_at)
    assert stats.sent == 2 and validation.skipped_other == 1
    assert "person1@buyer1.example" not in sink.recipients()
    assert all("victim" not in str(item.data) for item in sink.received)
    with Ledger(ledger_at) as ledger:
        detail = ledger.db.execute(
            "SELECT detail FROM messages WHERE recipient = 'person1@buyer1.example'"
        ).fetchone()[0]
    assert states(ledger_at)["person1@buyer1.example"] == "skipped"
    assert "Subject" in detail and "line break" in detail
