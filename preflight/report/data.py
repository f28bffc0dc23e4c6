"""A campaign's numbers, gathered once for the HTML report and `status --format json`.

:func:`gather` reads the ledger's aggregates (all SQL lives in :mod:`preflight.ledger.report`)
and the campaign's plan, and returns plain dataclasses: both outputs serialize the very same
object, so they cannot disagree. Replies and opt-outs come from `preflight inbox import`
(people, each counted once however often they wrote); before any import has recorded
anything in the ledger they are ``None``, which the report shows as "none recorded".
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from importlib.resources import files
from typing import Any

from preflight.campaign import plan_campaign, plan_recipients
from preflight.campaign_config import CampaignConfig, MailboxConfig
from preflight.ledger import Ledger
from preflight.ledger.report import PauseRow
from preflight.pauses import applies, key_address
from preflight.policy import GENERIC_PAUSE_FIX, PAUSE_FIXES
from preflight.wording import iso_time

# How far ahead the report simulates the queue: a chart of the next weeks, in bounded time
# whatever the queue's length (what goes later is counted, not drawn).
PLAN_HORIZON = timedelta(days=42)
LINT_BIN = 0.5
# Message states in the order tables show them.
STATES = ("queued", "sending", "sent", "deferred", "bounced", "failed", "skipped", "unknown")
UNPAUSE_HINT = "then run `preflight send CAMPAIGN --unpause`"


@dataclass(frozen=True)
class DayCount:
    day: str  # the mailbox's local date, ISO
    sent: int
    planned: int
    cap: int


@dataclass(frozen=True)
class MailboxSends:
    mailbox: str
    plan: str
    days: list[DayCount]


@dataclass(frozen=True)
class StepOutcome:
    step: str
    delivered: int  # accepted by the receiving server, no bounce since
    deferred: int
    bounced: dict[str, int]  # reason -> count
    failed: int
    skipped: int
    queued: int
    unknown: int
    replied: int | None = None  # people; None: no inbox import has recorded anything yet
    opted_out: int | None = None


@dataclass(frozen=True)
class RatePoint:
    day: str
    rate: float  # hard bounces / sends in the brake's window at the end of the day
    hard: int
    sends: int  # completed sends in the brake's window
    armed: bool  # the window holds enough sends for the brake to judge


@dataclass(frozen=True)
class MailboxRate:
    mailbox: str
    points: list[RatePoint]


@dataclass(frozen=True)
class BounceRates:
    threshold: float
    window: int
    min_sends: int
    mailboxes: list[MailboxRate]
    complaints: dict[str, int]  # UTC day -> feedback reports
    complaints_total: int


@dataclass(frozen=True)
class MailboxHealth:
    mailbox: str
    state: str  # active | paused
    why: str
    since: str | None
    fix: str | None


@dataclass(frozen=True)
class ReasonCount:
    reason: str
    hard: bool
    count: int
    fix: str


@dataclass(frozen=True)
class LintBin:
    low: float
    high: float
    count: int


@dataclass(frozen=True)
class PlanSummary:
    start: str
    scheduled: int  # within the horizon
    later: int  # after the horizon
    unschedulable: int
    first: str | None
    finish: str | None
    horizon_days: int


@dataclass(frozen=True)
class CampaignData:
    campaign: str
    generated_at: str
    in_ledger: bool  # False: only planned, nothing prepared or sent yet
    totals: dict[str, int]  # message state -> count
    per_mailbox: dict[str, dict[str, int]]  # mailbox ('' = not assigned) -> state -> count
    suppressed: int
    next_retry: str | None
    sends: list[MailboxSends]
    steps: list[StepOutcome]
    bounce_rates: BounceRates
    health: list[MailboxHealth]
    reasons: list[ReasonCount]
    lint_threshold: float
    lint: list[LintBin]
    plan: PlanSummary
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def gather(config: CampaignConfig, ledger: Ledger, *, now: datetime | None = None) -> CampaignData:
    """Everything the report and `status --format json` show about one campaign."""
    now = now or datetime.now(UTC)
    campaign = ledger.find_campaign(config.name)
    boxes = {box.address: box for box in config.mailboxes}
    # A campaign in the ledger plans its queue; one never prepared plans its recipients file.
    queue = (
        [(p.seq, p.recipient) for p in ledger.pending_messages(campaign)]
        if campaign is not None
        else plan_recipients(config, ledger)
    )
    plan = plan_campaign(config, queue, start=now, ledger=ledger, until=now + PLAN_HORIZON)
    planned = {(box, day): n for day, counts in plan.per_day.items() for box, n in counts.items()}
    groups = ledger.message_groups(campaign) if campaign is not None else []
    per_mailbox: dict[str, dict[str, int]] = {}
    outcomes: dict[tuple[str, str | None, bool | None], int] = {}
    scores: dict[float, int] = {}
    for box, state, reason, hard, attempted, score, n in groups:
        counts = per_mailbox.setdefault(box, dict.fromkeys(STATES, 0))
        counts[state] = counts.get(state, 0) + n  # a state added later is counted too
        outcomes[(state, reason, hard)] = outcomes.get((state, reason, hard), 0) + n
        if attempted and score is not None:
            scores[score] = scores.get(score, 0) + n
    names = list(STATES) + sorted({s for c in per_mailbox.values() for s in c} - set(STATES))
    totals = {s: sum(c.get(s, 0) for c in per_mailbox.values()) for s in names}
    outcome_rows = [(state, reason, hard, n) for (state, reason, hard), n in outcomes.items()]
    notes = []
    if campaign is None:
        notes.append("nothing has been prepared or sent yet: the charts show the plan")
    if plan.after_until:
        notes.append(
            f"{plan.after_until} queued messages go after the {PLAN_HORIZON.days}-day horizon "
            "of the plan chart"
        )
    zone = config.mailboxes[0].window.tz if config.mailboxes else UTC

    def _iso(when: datetime | str | None) -> str | None:
        return iso_time(when, zone)

    return CampaignData(
        campaign=config.name,
        generated_at=_iso(now),
        in_ledger=campaign is not None,
        totals=totals,
        per_mailbox=dict(sorted(per_mailbox.items())),
        suppressed=ledger.campaign_suppressed(campaign) if campaign is not None else 0,
        next_retry=_iso(ledger.next_retry_at(campaign)) if campaign is not None else None,
        sends=_sends(config, ledger, campaign, planned),
        steps=[_step("first message", outcome_rows, ledger.campaign_answers(config.name))],
        bounce_rates=_bounce_rates(config, ledger, campaign),
        health=_health(boxes, ledger, campaign, config.name),
        reasons=_reasons(outcome_rows),
        lint_threshold=config.lint.threshold,
        lint=_lint_bins(sorted(scores.items()), config.lint.threshold),
        plan=PlanSummary(
            start=_iso(now) or "",
            scheduled=plan.scheduled,
            later=plan.after_until,
            unschedulable=plan.unscheduled,
            first=_iso(plan.first),
            finish=_iso(plan.finish),
            horizon_days=PLAN_HORIZON.days,
        ),
        notes=notes,
    )


# -- sends per day against the cap ----------------------------------------------------------


class _LocalDays:
    """UTC hour prefix ("2026-01-05T08") -> a mailbox's local date, cached per prefix."""

    def __init__(self, box: MailboxConfig | None) -> None:
        self.tz = box.window.tz if box is not None else UTC
        self._cache: dict[str, date] = {}

    def of(self, stamp: str) -> date:
        hour = stamp[:13]
        day = self._cache.get(hour)
        if day is None:
            when = datetime.fromisoformat(hour + ":00:00+00:00")
            day = self._cache[hour] = when.astimezone(self.tz).date()
        return day


def _cap(box: MailboxConfig | None, day: date) -> int:
    if box is None or day.weekday() not in box.window.days:
        return 0
    return box.plan.daily_cap(box.warmup_start, day)


def _sends(
    config: CampaignConfig,
    ledger: Ledger,
    campaign: int | None,
    planned: dict[tuple[str, date], int],
) -> list[MailboxSends]:
    boxes = {box.address: box for box in config.mailboxes}
    sent: dict[tuple[str, date], int] = {}
    if campaign is not None:
        locals_ = {name: _LocalDays(boxes.get(name)) for name in boxes}
        for name, hour, n in ledger.hourly_sends(campaign):
            local = locals_.setdefault(name, _LocalDays(boxes.get(name)))
            key = (name, local.of(hour))
            sent[key] = sent.get(key, 0) + n
    names = list(boxes) + sorted({name for name, _ in sent} - set(boxes))
    result = []
    for name in names:
        days = [d for (n, d) in (*sent, *planned) if n == name]
        if not days:
            result.append(MailboxSends(name, _plan_name(boxes.get(name)), []))
            continue
        first, last = min(days), max(days)
        series = []
        for offset in range((last - first).days + 1):
            day = first + timedelta(days=offset)
            series.append(
                DayCount(
                    day.isoformat(),
                    sent.get((name, day), 0),
                    planned.get((name, day), 0),
                    _cap(boxes.get(name), day),
                )
            )
        result.append(MailboxSends(name, _plan_name(boxes.get(name)), series))
    return result


def _plan_name(box: MailboxConfig | None) -> str:
    return box.plan.name if box is not None else "(not in the campaign file)"


# -- outcomes -------------------------------------------------------------------------------


def _step(
    name: str,
    outcomes: list[tuple[str, str | None, bool | None, int]],
    answers: tuple[int, int] | None,
) -> StepOutcome:
    by_state: dict[str, int] = {}
    bounced: dict[str, int] = {}
    for state, reason, _hard, n in outcomes:
        by_state[state] = by_state.get(state, 0) + n
        if state == "bounced":
            key = reason or "undefined"
            bounced[key] = bounced.get(key, 0) + n
    return StepOutcome(
        step=name,
        delivered=by_state.get("sent", 0),
        deferred=by_state.get("deferred", 0),
        bounced=dict(sorted(bounced.items(), key=lambda item: (-item[1], item[0]))),
        failed=by_state.get("failed", 0),
        skipped=by_state.get("skipped", 0),
        # A claimed message is held by a run that has not reached DATA yet: still to send.
        queued=by_state.get("queued", 0) + by_state.get("claimed", 0),
        unknown=by_state.get("unknown", 0) + by_state.get("sending", 0),
        replied=answers[0] if answers is not None else None,
        opted_out=answers[1] if answers is not None else None,
    )


def _reasons(outcomes: list[tuple[str, str | None, bool | None, int]]) -> list[ReasonCount]:
    """Failure reasons of bounced, deferred and failed messages, most frequent first."""
    totals: dict[tuple[str, bool], int] = {}
    for state, reason, hard, n in outcomes:
        if state not in ("bounced", "deferred", "failed") or not reason:
            continue
        key = (reason, bool(hard))
        totals[key] = totals.get(key, 0) + n
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0][0]))
    return [ReasonCount(reason, hard, n, reason_fix(reason)) for (reason, hard), n in ranked]


@cache
def _fix_table() -> dict[str, str]:
    text = files("preflight.report").joinpath("bounce_fixes.tsv").read_text(encoding="utf-8")
    rows = csv.reader(
        (line for line in text.splitlines() if not line.startswith("#")), delimiter="\t"
    )
    return {row[0]: row[1] for row in rows if len(row) >= 2}


def reason_fix(reason: str) -> str:
    """What to do about a failure reason: the pause fix for reasons that pause a mailbox."""
    return PAUSE_FIXES.get(reason) or _fix_table().get(reason) or GENERIC_PAUSE_FIX


# -- the hard-bounce brake over time ----------------------------------------------------------


def _bounce_rates(config: CampaignConfig, ledger: Ledger, campaign: int | None) -> BounceRates:
    policy = config.policy
    boxes = {box.address: box for box in config.mailboxes}
    days: dict[str, dict[date, RatePoint]] = {name: {} for name in boxes}
    if campaign is not None:
        locals_ = {name: _LocalDays(box) for name, box in boxes.items()}
        # Hours come oldest first: the last hour of a local day holds the day's end state.
        for name, hour, hits, count in ledger.brake_by_hour(list(boxes), policy.hard_bounce_window):
            days[name][locals_[name].of(hour)] = RatePoint(
                "", hits / count, hits, count, count >= policy.hard_bounce_min_sends
            )
    complaints = dict(ledger.daily_complaints(campaign)) if campaign is not None else {}
    return BounceRates(
        threshold=policy.hard_bounce_rate,
        window=policy.hard_bounce_window,
        min_sends=policy.hard_bounce_min_sends,
        mailboxes=[
            MailboxRate(
                name,
                [
                    RatePoint(day.isoformat(), p.rate, p.hard, p.sends, p.armed)
                    for day, p in sorted(points.items())
                ],
            )
            for name, points in days.items()
        ],
        complaints=complaints,
        complaints_total=sum(complaints.values()),
    )


# -- mailbox health -------------------------------------------------------------------------------


def _health(
    boxes: dict[str, MailboxConfig], ledger: Ledger, campaign: int | None,
    campaign_name: str | None = None,
) -> list[MailboxHealth]:
    pauses: dict[str, PauseRow] = {}
    for row in ledger.pause_rows():
        # Only the pauses that stop this campaign; the address's own pause before a settings one.
        if campaign_name is not None and not applies(row.mailbox, campaign_name):
            continue
        address = key_address(row.mailbox)
        if address not in pauses or address == row.mailbox:
            pauses[address] = row
    first = {
        name: ledger.first_attempt(campaign, name) if campaign is not None else None
        for name in boxes
    }
    result = []
    for name, box in boxes.items():
        pause = pauses.get(name)
        if pause is not None:
            why, fix = split_pause_reason(pause)
            since = iso_time(pause.paused_at, box.window.tz)
            result.append(MailboxHealth(name, "paused", why, since, fix))
        elif first[name] is not None:
            since = iso_time(first[name], box.window.tz)
            result.append(MailboxHealth(name, "active", "sending", since, None))
        else:
            result.append(
                MailboxHealth(
                    name,
                    "active",
                    f"not sent yet; warm-up day 1 is {box.warmup_start.isoformat()}",
                    None,
                    None,
                )
            )
    return result


def split_pause_reason(pause: PauseRow) -> tuple[str, str]:
    """A stored pause reason is "what happened: what to fix"; split it for the table."""
    reason = pause.reason
    for fix in (*PAUSE_FIXES.values(), GENERIC_PAUSE_FIX):
        if reason.endswith(fix):
            return reason[: -len(fix)].rstrip(": "), f"{fix}; {UNPAUSE_HINT}"
    for marker in (" — fix: ", "): "):
        if marker in reason:
            head, tail = reason.rsplit(marker, 1)
            return head + (")" if marker == "): " else ""), f"{tail}; {UNPAUSE_HINT}"
    return reason, f"fix the cause above; {UNPAUSE_HINT}"


# -- lint scores of what was sent -------------------------------------------------------------


def _lint_bins(scores: list[tuple[float, int]], threshold: float) -> list[LintBin]:
    """Bins from 0 up to the lint threshold (and past it, should anything sent score more),
    so the distribution is seen against the gate."""
    if not scores:
        return []
    top = max(max(score for score, _ in scores), threshold - LINT_BIN / 2)
    count = int(top // LINT_BIN) + 1
    bins = [0] * count
    for score, n in scores:
        bins[min(int(max(score, 0.0) // LINT_BIN), count - 1)] += n
    return [
        LintBin(round(i * LINT_BIN, 2), round((i + 1) * LINT_BIN, 2), n) for i, n in enumerate(bins)
    ]


__all__ = [
    "STATES",
    "BounceRates",
    "CampaignData",
    "DayCount",
    "LintBin",
    "MailboxHealth",
    "MailboxRate",
    "MailboxSends",
    "PlanSummary",
    "RatePoint",
    "ReasonCount",
    "StepOutcome",
    "gather",
    "reason_fix",
    "split_pause_reason",
]
