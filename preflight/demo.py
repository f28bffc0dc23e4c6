"""``preflight demo``: the whole send flow on this machine, in seconds.

A local sink with scripted replies (a user unknown, a full mailbox, a spam rejection), the
shipped sample list and ``first-contact`` template, two mailboxes on the shipped
``standard`` warm-up plan, and an accelerated clock (half a day per real second) so that
the send windows, delays, the domain cap and the 24 h / 48 h soft-bounce retries all play
out for real. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from preflight.bounces.importer import ImportSummary, import_source
from preflight.campaign import CampaignRun, RunStats
from preflight.campaign_config import CampaignConfig, load_campaign
from preflight.clock import LoopClock
from preflight.demo_bounces import write_late_bounces
from preflight.ledger import Ledger
from preflight.ledger.location import is_url
from preflight.prepare import BuiltMessages, Validation, check_columns, prepare_campaign
from preflight.sink import Reply, Sink
from preflight.templates import load_template

DEMO_DIR = Path(__file__).resolve().parent / "demo_data"
# Twelve virtual hours per real second: the demo's five and a half virtual days take about
# 11 seconds (plus start-up), more on a loaded machine.
DEFAULT_SPEED = 43200.0
# The mailboxes started their warm-up this long ago (day 11 of "standard": 25 a day).
WARMUP_AGE = timedelta(days=10)


def demo_faults() -> list[Reply]:
    """The scripted far end: which sample addresses get which answer."""
    return [
        Reply("nobody@*", "550 5.1.1 <nobody>: Recipient address rejected: User unknown"),
        Reply("gone@*", "550 5.1.1 The email account that you tried to reach does not exist"),
        Reply("full.box@*", "452 4.2.2 Mailbox full, try again later"),
        Reply("strict.filter@*", "554 5.7.1 Message rejected as spam content", stage="data"),
    ]


@dataclass
class DemoResult:
    ledger: str  # the file, or the URL without its password
    validation: Validation
    stats: RunStats
    delivered: int  # messages the sink accepted
    suppressed: list[tuple[str, str]]
    virtual_start: datetime
    virtual_end: datetime
    inbox: Path  # the Maildir the late bounces arrived in
    late_bounces: ImportSummary
    # Messages by the state they are in after the late bounces (each message once).
    final_states: dict[str, int]


def demo_config(port: int, today: datetime) -> CampaignConfig:
    """The shipped demo campaign pointed at the sink, its warm-up started 10 days ago."""
    config = load_campaign(DEMO_DIR / "campaign.toml")
    start = (today - WARMUP_AGE).date()
    mailboxes = tuple(
        dataclasses.replace(box, port=port, warmup_start=start) for box in config.mailboxes
    )
    return dataclasses.replace(config, mailboxes=mailboxes)


async def run_demo(ledger_path: str | Path, *, speed: float = DEFAULT_SPEED) -> DemoResult:
    """Run the demo with its ledger at ``ledger_path`` and its inbox folder beside it (in a
    temporary folder when the ledger is a PostgreSQL URL)."""
    if is_url(ledger_path):
        folder = Path(tempfile.mkdtemp(prefix="preflight-demo-"))
    else:
        ledger_path = Path(ledger_path)
        folder = ledger_path.parent
    sink = Sink(demo_faults())
    async with sink:
        clock = LoopClock(datetime.now(UTC), speed=speed)
        start = clock.now()
        config = demo_config(sink.port, start)
        template = load_template(config.template)
        check_columns(config, template)
        with Ledger(ledger_path) as ledger:
            built = BuiltMessages()
            campaign, validation = prepare_campaign(
                config, ledger, template, now=start, built=built
            )
            run = CampaignRun(
                config,
                ledger,
                template,
                clock,
                campaign=campaign,
                wait_for_retries=True,
                seed=7,
                built=built,
            )
            stats = await run.run()
            # Accepted now, bounced later: the DSNs land in the sender's inbox and are
            # imported exactly as `preflight bounces import INBOX` would.
            inbox = folder / "inbox"
            write_late_bounces(
                ((rcpt, item.data) for item in sink.received for rcpt in item.rcpt_tos),
                inbox,
                clock.now(),
            )
            late_bounces = import_source(ledger, str(inbox))
            suppressed = [(s.address, s.reason) for s in ledger.suppressions()]
            final_states: dict[str, int] = {}
            for (_, state), count in sorted(ledger.state_counts(campaign).items()):
                final_states[state] = final_states.get(state, 0) + count
        return DemoResult(
            ledger=ledger.where,
            validation=validation,
            stats=stats,
            delivered=len(sink.received),
            suppressed=suppressed,
            virtual_start=start,
            virtual_end=clock.now(),
            inbox=inbox,
            late_bounces=late_bounces,
            final_states=final_states,
        )


__all__ = ["DEFAULT_SPEED", "DemoResult", "demo_config", "demo_faults", "run_demo"]
