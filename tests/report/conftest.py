"""A small campaign really sent to the local SMTP sink, for the report tests.

Two mailboxes on a ramping warm-up plan send 120 messages over the past week (a clock that
jumps to each send's time runs the week in about a second, whatever the machine's load);
the sink answers some addresses with hard
bounces, one with a mailbox-full deferral and one with a spam rejection that pauses the
mailbox that sent it; a real ARF complaint about one delivered message is imported from a
Maildir. Whatever was not sent by "now" stays queued, so the report also shows the plan.
"""

from __future__ import annotations

import asyncio
import mailbox
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from send.helpers import mailbox_toml, run_campaign, write_recipients

from preflight.bounces.importer import import_source
from preflight.campaign import RunStats
from preflight.ledger import Ledger
from preflight.sink import Reply, Sink

BOXES = ("li.wei@brightline.example", "wang.fang@brightline.example")
ROWS = 120
HARD = (7, 19, 33, 58)  # person<N>: 550 5.1.1
FULL = 12  # 452 4.2.2, retried by policy
SPAM = 41  # 554 5.7.1: pauses the mailbox that sent it
COMPLAINT = 3  # delivered, then reported as spam through an ARF report

PLAN = """name = "ramp"
description = "4 a day, +2 a day"
hourly_cap = 1000
[ramp]
start = 4
increment = 2
every_days = 1
max = 30
"""

TEMPLATE = """Subject: Fittings for {{ company }}

Hi {{ first_name }},

I am Li Wei from Ningbo Brightline. We machine stainless steel pipe fittings for
distributors in Europe, and I saw that {{ company }} supplies dairy plants.

Would a one-page spec sheet with our lead times help you? A short reply is enough.
Not interested? Reply 'no' and I won't write again.

Best regards,
Li Wei
Ningbo Brightline Industrial Co., Ltd., No. 88 Jiangnan Road, Ningbo, China
"""


class JumpClock:
    """Virtual time that stands still while work is done and jumps to each wake-up time:
    the schedule of a week, deterministic on a loaded machine."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    async def sleep_until(self, when: datetime, stop: asyncio.Event | None = None) -> bool:
        await asyncio.sleep(0)
        if stop is not None and stop.is_set():
            return False
        self.current = max(self.current, when)
        return True


@dataclass(frozen=True)
class SentCampaign:
    campaign: Path
    ledger: Path
    now: datetime  # the real time the run caught up with: the report's "now"
    delivered: int  # messages the sink accepted


def _write_campaign(folder: Path, port: int, start: datetime, name: str = "spring") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ramp.toml").write_text(PLAN, encoding="utf-8")
    (folder / "t.j2").write_text(TEMPLATE, encoding="utf-8")
    write_recipients(
        folder / "r.csv",
        [[f"person{i}@buyer{i % 9}.example", f"Name{i}", f"Company {i}"] for i in range(ROWS)],
    )
    boxes = "".join(
        mailbox_toml(
            box, port, warmup="ramp.toml", start=start.date().isoformat(), delay="[600, 900]"
        )
        for box in BOXES
    )
    head = f'[campaign]\nname = "{name}"\ntemplate = "t.j2"\nrecipients = "r.csv"\n'
    path = folder / "campaign.toml"
    policy = "[policy]\nhard_bounce_rate = 0.12\n"
    path.write_text(head + "domain_cap = false\n" + policy + boxes, encoding="utf-8")
    return path


def arf_report(original_message_id: str, recipient: str, when: datetime) -> bytes:
    """A feedback (ARF, RFC 5965) report as a mailbox provider sends it."""
    date = format_datetime(when)
    text = f"""From: Abuse Desk <abuse@buyer3.example>
To: li.wei@brightline.example
Subject: Complaint about a message from brightline.example
Date: {date}
Message-ID: <arf-{when.timestamp():.0f}@buyer3.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="arf"

--arf
Content-Type: text/plain; charset=us-ascii

This is an email abuse report for a message received from brightline.example.

--arf
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: BuyerMail/1.0
Version: 1
Original-Rcpt-To: <{recipient}>
Arrival-Date: {date}

--arf
Content-Type: text/rfc822-headers

From: Sender <li.wei@brightline.example>
To: {recipient}
Subject: Fittings
Message-ID: {original_message_id}

--arf--
"""
    return text.replace("\n", "\r\n").encode("utf-8")


def send_small_campaign(folder: Path) -> SentCampaign:
    real_now = datetime.now(UTC)
    start = datetime.combine(real_now.date() - timedelta(days=6), time(8), UTC)
    ledger_path = folder / "ledger.sqlite3"
    faults = [Reply(f"person{n}@*", "550 5.1.1 User unknown") for n in HARD]
    faults.append(Reply(f"person{FULL}@*", "452 4.2.2 Mailbox full"))
    faults.append(Reply(f"person{SPAM}@*", "554 5.7.1 Message rejected as spam"))

    async def run() -> tuple[Path, datetime, int]:
        async with Sink(faults) as sink:
            campaign = _write_campaign(folder, sink.port, start)
            clock = JumpClock(start)
            stop = asyncio.Event()

            def watch(stats: RunStats) -> None:
                # Stop before a send that would happen after the real now.
                if stats.next_send is not None and stats.next_send >= real_now:
                    stop.set()

            await run_campaign(
                campaign, ledger_path, start=start, clock=clock, stop=stop, on_progress=watch
            )
            return campaign, real_now, len(sink.received)

    campaign, now, delivered = asyncio.run(run())
    with Ledger(ledger_path) as ledger:
        row = ledger.db.execute(
            "SELECT message_id, recipient, sent_at FROM messages WHERE recipient LIKE ?",
            (f"person{COMPLAINT}@%",),
        ).fetchone()
        inbox = folder / "inbox"
        mailbox.Maildir(inbox, create=True).add(
            arf_report(row[0], row[1], datetime.fromisoformat(row[2]) + timedelta(hours=2))
        )
        import_source(ledger, str(inbox))
    return SentCampaign(campaign, ledger_path, now, delivered)


@pytest.fixture(scope="package")
def sent_campaign(tmp_path_factory: pytest.TempPathFactory) -> SentCampaign:
    return send_small_campaign(tmp_path_factory.mktemp("sent"))


@pytest.fixture
def planned_campaign(tmp_path: Path) -> Path:
    """A campaign nobody has sent: only its plan can be shown."""
    start = datetime.now(UTC)
    return _write_campaign(tmp_path / "planned", 2525, start, name="planned")
