"""Shared helpers: campaign folders, and running a campaign in the current event loop."""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from preflight.campaign import CampaignRun, RunStats
from preflight.campaign_config import load_campaign
from preflight.clock import Clock, LoopClock
from preflight.ledger import Ledger
from preflight.prepare import BuiltMessages, Validation, prepare_campaign
from preflight.templates import load_template

# A short, plain, personal template that passes the lint gate.
TEMPLATE = """Subject: Fittings for {{ company }}

Hi {{ first_name }},

I am Li Wei from Ningbo Brightline. We machine stainless steel pipe fittings for
distributors in Europe, and I saw that {{ company }} supplies dairy plants.

Would a one-page spec sheet with our lead times help you? A short reply is enough.

Best regards,
Li Wei
Ningbo Brightline Industrial Co., Ltd., No. 88 Jiangnan Road, Ningbo, China
"""

FAST_PLAN = """name = "fast"
hourly_cap = 100000
[[steps]]
from_day = 1
daily = 100000
"""


def write_recipients(path: Path, rows: Sequence[Sequence[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "first_name", "company"])
        writer.writerows(rows)
    return path


def sample_rows(count: int, domain_of: Callable[[int], str] | None = None) -> list[list[str]]:
    domain_of = domain_of or (lambda i: f"buyer{i % 7}.example")
    return [[f"person{i}@{domain_of(i)}", f"Name{i}", f"Company {i}"] for i in range(count)]


def mailbox_toml(
    address: str,
    port: int,
    *,
    warmup: str = "fast.toml",
    start: str = "2026-01-05",
    days: str = '["mon", "tue", "wed", "thu", "fri", "sat", "sun"]',
    hours: str = "00:00-24:00",
    delay: str = "[0, 0]",
    extra: str = "",
) -> str:
    return f"""
[[mailbox]]
from = "Sender <{address}>"
host = "127.0.0.1"
port = {port}
security = "none"
warmup = "{warmup}"
warmup_start = {start}
send_days = {days}
send_hours = "{hours}"
timezone = "UTC"
delay_seconds = {delay}
{extra}
"""


# A Monday, 08:00 UTC.
START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


async def run_campaign(
    campaign: Path,
    ledger_path: Path,
    *,
    start: datetime = START,
    wait_for_retries: bool = False,
    limit: int | None = None,
    stop: asyncio.Event | None = None,
    on_progress: Callable[[RunStats], None] | None = None,
    clock: Clock | None = None,
    seed: int = 1,
) -> tuple[RunStats, Validation]:
    config = load_campaign(campaign)
    template = load_template(config.template)
    clock = clock or LoopClock(start)
    with Ledger(ledger_path) as ledger:
        built = BuiltMessages()
        campaign_id, validation = prepare_campaign(
            config, ledger, template, now=clock.now(), built=built
        )
        run = CampaignRun(
            config,
            ledger,
            template,
            clock,
            campaign=campaign_id,
            limit=limit,
            wait_for_retries=wait_for_retries,
            stop=stop,
            on_progress=on_progress,
            seed=seed,
            built=built,
        )
        stats = await run.run()
    return stats, validation


def states(ledger_path: Path) -> dict[str, str]:
    with Ledger(ledger_path) as ledger:
        return {
            row[0]: row[1] for row in ledger.db.execute("SELECT recipient, state FROM messages")
        }


def attempts(ledger_path: Path) -> list[tuple[str, str, float, str]]:
    """(mailbox, recipient, started_at epoch, outcome) in order."""
    with Ledger(ledger_path) as ledger:
        rows = ledger.db.execute(
            "SELECT a.mailbox, m.recipient, a.started_at, a.outcome FROM attempts a"
            " JOIN messages m ON m.id = a.message_row ORDER BY a.id"
        ).fetchall()
    return [(r[0], r[1], datetime.fromisoformat(r[2]).timestamp(), r[3]) for r in rows]
