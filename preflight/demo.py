"""``preflight demo``: the whole send flow on this machine, in seconds.

A local sink with scripted replies (a user unknown, a full mailbox, a spam rejection), the
shipped sample list and ``first-contact`` template, two mailboxes on the shipped
``standard`` warm-up plan, and an accelerated clock (half a day per real second) so that
the send windows, delays, the domain cap and the 24 h / 48 h soft-bounce retries all play
out for real. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from preflight.bounces.importer import ImportSummary
from preflight.campaign import RunStats
from preflight.campaign_config import CampaignConfig, load_campaign
from preflight.clock import LoopClock
from preflight.demo_bounces import write_late_bounces
from preflight.demo_replies import write_answers
from preflight.followups import send_days_after
from preflight.inbox.importer import InboxSummary, import_inbox
from preflight.ledger import Ledger
from preflight.prepare import Validation
from preflight.session import SendRequest, SendSession
from preflight.sink import Reply, Sink

DEMO_DIR = Path(__file__).resolve().parent / "demo_data"
# Twelve virtual hours per real second: the demo's five and a half virtual days take about
# 11 seconds (plus start-up), more on a loaded machine.
DEFAULT_SPEED = 43200.0
# The mailboxes started their warm-up this long ago (day 11 of "standard": 25 a day).
WARMUP_AGE = timedelta(days=10)
# The out-of-office says its writer is back this many days after the first mails: later than
# the follow-up comes due.
FOLLOW_UP_AWAY_DAYS = 14


def import_summary_of(summary: InboxSummary) -> ImportSummary:
    """The bounce part of an inbox import (what `bounces import` would have said)."""
    assert summary.bounce_summary is not None
    return summary.bounce_summary


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
    ledger: Path
    validation: Validation
    stats: RunStats
    delivered: int  # messages the sink accepted
    suppressed: list[tuple[str, str]]
    virtual_start: datetime
    virtual_end: datetime
    inbox: Path  # the Maildir the late bounces and the answers arrived in
    late_bounces: ImportSummary
    inbox_summary: InboxSummary
    answers: list[tuple[str, str]]  # (recipient, kind) of the scripted answers
    away_until: date
    follow_ups: list[str]  # who got the follow-up
    follow_up_stats: list[RunStats]
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


async def run_demo(ledger_path: Path, *, speed: float = DEFAULT_SPEED) -> DemoResult:
    """Run the demo with its ledger at ``ledger_path`` and its inbox folder beside it."""
    sink = Sink(demo_faults())
    async with sink:
        clock = LoopClock(datetime.now(UTC), speed=speed)
        start = clock.now()
        config = demo_config(sink.port, start)
        with Ledger(ledger_path) as ledger:
            # The first mails, with their retries: the same session `preflight send` runs.
            first = await SendSession(
                config, ledger, clock, SendRequest(offline=True, wait_retries=True), seed=7
            ).send(lambda readiness: True)
            accepted = [(rcpt, item.data) for item in sink.received for rcpt in item.rcpt_tos]
            # Accepted now, bounced later: the DSNs land in the sender's inbox, and so do a
            # reply, an out-of-office and an opt-out. `preflight inbox import INBOX` reads them.
            inbox = ledger_path.parent / "inbox"
            now = clock.now()
            back = (now + timedelta(days=FOLLOW_UP_AWAY_DAYS)).date()
            write_late_bounces(accepted, inbox, now)
            answers = write_answers(accepted, inbox, now, back)
            arrived = import_inbox(ledger, str(inbox), now=now)
            late_bounces = import_summary_of(arrived)
            # The follow-up comes due: it goes to everyone else, not to those three.
            before = len(sink.received)
            due = max(
                send_days_after(box.window, now, config.follow_ups[0].after_days)
                for box in config.mailboxes
            )
            await clock.sleep_until(due)
            second = await SendSession(
                config, ledger, clock, SendRequest(offline=True), seed=8
            ).send(lambda readiness: True)
            followed = sorted(
                {rcpt for item in sink.received[before:] for rcpt in item.rcpt_tos}
            )
            suppressed = [(s.address, s.reason) for s in ledger.suppressions()]
            final_states: dict[str, int] = {}
            for (_, state), count in sorted(
                ledger.state_counts(first.readiness.campaign_id).items()
            ):
                final_states[state] = final_states.get(state, 0) + count
        return DemoResult(
            ledger=ledger_path,
            validation=first.readiness.validation,
            stats=first.stats,
            delivered=before,
            suppressed=suppressed,
            virtual_start=start,
            virtual_end=clock.now(),
            inbox=inbox,
            late_bounces=late_bounces,
            inbox_summary=arrived,
            answers=answers,
            away_until=back,
            follow_ups=followed,
            follow_up_stats=[stats for _, _, stats in second.follow_up_stats],
            final_states=final_states,
        )


__all__ = ["DEFAULT_SPEED", "DemoResult", "demo_config", "demo_faults", "run_demo"]
