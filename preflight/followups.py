"""Follow-up steps: who gets the next mail, when, threaded on what.

For each ``[[follow_up]]`` step, every person whose previous step was sent gets a row in the
step's campaign (one per sending mailbox: a follow-up goes from the mailbox of the first
mail), due ``after_days`` send days of that mailbox after the previous mail, later when an
out-of-office named a return date (the send day after it). A person who replied, opted out,
bounced or was suppressed gets none — checked when the step is queued, again when each
session starts, and once more right before the send. Each follow-up is rendered with the
same row, threaded (In-Reply-To, References, "Re: " + the first subject unless its template
sets one) and linted as what it is: a reply in a thread, not a first contact.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from preflight.campaign_config import CampaignConfig, FollowUpConfig, MailboxConfig
from preflight.contacts import identity_of
from preflight.errors import InputError
from preflight.ledger import Ledger
from preflight.ledger.followups import Previous, QueuedFollowUp, Thread
from preflight.ledger.messages import epoch, iso
from preflight.lint.linter import lint_draft
from preflight.prepare import build_for
from preflight.schedule import SendWindow
from preflight.templates import Template, load_template

_RE = ("re:", "aw:", "sv:", "回复:", "回复：")


def send_days_after(window: SendWindow, sent_at: datetime, days: int) -> datetime:
    """The moment a step ``days`` send days after ``sent_at`` may go: the start of the
    window on that day (0: at once, the window permitting)."""
    if days == 0:
        return sent_at
    day = sent_at.astimezone(window.tz).date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        counted += day.weekday() in window.days
    return datetime.combine(day, window.start, window.tz)


def after_return(window: SendWindow, back: date) -> datetime:
    """The first send day after an out-of-office's return date, at the window's start."""
    day = back + timedelta(days=1)
    for _ in range(8):
        if day.weekday() in window.days:
            break
        day += timedelta(days=1)
    return datetime.combine(day, window.start, window.tz)


def stop_reason(ledger: Ledger, recipient: str) -> str | None:
    """Why a person must get no more follow-ups, or None."""
    blocker = ledger.recontact_blocker(identity_of(recipient), "", None)
    if blocker is not None:
        return blocker.describe().removeprefix("contact: ")
    entry = ledger.suppression(recipient)
    if entry is not None:
        return f"suppressed ({entry.reason}, {entry.source})"
    return None


def thread_subject(subject: str) -> str:
    return subject if subject.casefold().startswith(_RE) else f"Re: {subject}"


@dataclass
class StepReport:
    number: int
    queued: int = 0
    skipped: int = 0
    held: int = 0  # delayed by an out-of-office's return date
    examples: list[str] = field(default_factory=list)


@dataclass
class FollowUpPlan:
    steps: list[StepReport] = field(default_factory=list)


class FollowUps:
    """Queues and refreshes a campaign's follow-up steps in the ledger."""

    def __init__(self, config: CampaignConfig, ledger: Ledger, now: datetime) -> None:
        self.config = config
        self.ledger = ledger
        self.now = now
        self.stamp = iso(now)
        self.parent = ledger.campaign_id(config.name, self.stamp)
        self.first = load_template(config.template)
        self.templates: dict[int, Template] = {
            step.number: load_template(step.template) for step in config.follow_ups
        }

    def step_campaigns(self, number: int) -> dict[str, int]:
        """Mailbox -> the step's campaign id, for every mailbox of the campaign."""
        return {
            box.address: self.ledger.step_campaign(
                self.parent, self.config.name, number, box.address, self.stamp
            )
            for box in self.config.mailboxes
        }

    def template(self, number: int) -> Template:
        return self.templates[number]

    def schedule(self) -> FollowUpPlan:
        """Queue every follow-up that has become possible, refresh those already queued."""
        plan = FollowUpPlan()
        previous = [self.parent]
        for step in self.config.follow_ups:
            campaigns = self.step_campaigns(step.number)
            report = StepReport(step.number)
            self._refresh(step, campaigns, report)
            candidates = self.ledger.previous_messages(previous, list(campaigns.values()))
            items = [self._queue_one(step, campaigns, p, report) for p in candidates]
            self.ledger.queue_follow_ups([i for i in items if i is not None], self.stamp)
            plan.steps.append(report)
            previous = list(campaigns.values())
        return plan

    def _box(self, address: str) -> MailboxConfig | None:
        for box in self.config.mailboxes:
            if box.address == address:
                return box
        return None

    def _due(self, box: MailboxConfig, sent_at: datetime, step: FollowUpConfig,
             recipient: str) -> tuple[datetime, bool]:  # fmt: skip
        due = send_days_after(box.window, sent_at, step.after_days)
        back = self.ledger.return_date(identity_of(recipient))
        if back:
            later = after_return(box.window, date.fromisoformat(back))
            if later > due:
                return later, True
        return due, False

    def _queue_one(
        self, step: FollowUpConfig, campaigns: dict[str, int], previous: Previous,
        report: StepReport,
    ) -> QueuedFollowUp | None:  # fmt: skip
        box = self._box(previous.mailbox)
        if box is None:
            return None  # its mailbox left the campaign file: nobody else may continue it
        first_subject = previous.subject or self._first_subject(previous)
        thread = Thread(
            in_reply_to=previous.message_id,
            refs=" ".join(filter(None, (previous.refs, previous.message_id)))[-900:],
            subject=thread_subject(first_subject) if first_subject else "Re:",
        )
        state, detail, score = "queued", None, None
        why = stop_reason(self.ledger, previous.recipient)
        if why is not None:
            state, detail = "skipped", f"follow-up: {why}"
        else:
            state, detail, score = self._lint(step, box, previous, thread)
        sent_at = datetime.fromisoformat(previous.sent_at)
        due, held = self._due(box, sent_at, step, previous.recipient)
        if state == "queued":
            report.queued += 1
            report.held += held
        else:
            report.skipped += 1
            if len(report.examples) < 20:
                report.examples.append(f"{previous.recipient}: {detail}")
        return QueuedFollowUp(
            step_campaign=campaigns[box.address],
            previous=previous,
            state=state,
            not_before=iso(due),
            thread=thread,
            detail=detail,
            lint_score=score,
        )

    def _first_subject(self, previous: Previous) -> str:
        try:
            return self.first.render(previous.fields).subject
        except InputError:
            return ""

    def _lint(
        self, step: FollowUpConfig, box: MailboxConfig, previous: Previous, thread: Thread
    ) -> tuple[str, str | None, float | None]:
        try:
            _, draft = build_for(
                self.config, self.template(step.number), previous.fields, mailbox=box,
                recipient=previous.recipient, when=self.now, thread=thread,
            )  # fmt: skip
        except InputError as error:
            return "skipped", f"message: {error}", None
        # A follow-up answers a message in a thread: judged as such, not as a first contact.
        report = lint_draft(draft, replace(self.config.lint, first_contact=False))
        if report.passed:
            return "queued", None, report.score
        worst = sorted(report.findings, key=lambda f: -f.points)[:3]
        return "skipped", (
            f"lint: score {report.score:g} is over the threshold {self.config.lint.threshold:g}"
            f" ({', '.join(f'{f.code} {f.name}' for f in worst)})"
        ), report.score

    def _refresh(self, step: FollowUpConfig, campaigns: dict[str, int], report: StepReport) -> None:
        """Queued follow-ups: drop those whose person answered since; hold those whose
        person is away until later."""
        for address, campaign in campaigns.items():
            box = self._box(address)
            for row_id, recipient, not_before in self.ledger.queued_follow_ups(campaign):
                why = stop_reason(self.ledger, recipient)
                if why is not None:
                    self.ledger.mark_not_sent(row_id, "skipped", f"follow-up: {why}", self.stamp)
                    report.skipped += 1
                    continue
                back = self.ledger.return_date(identity_of(recipient))
                if back and box is not None:
                    later = after_return(box.window, date.fromisoformat(back))
                    if not_before is None or epoch(not_before) < later.timestamp():
                        self.ledger.hold_until(row_id, iso(later), self.stamp)
                        report.held += 1


__all__ = [
    "FollowUpPlan",
    "FollowUps",
    "StepReport",
    "after_return",
    "send_days_after",
    "stop_reason",
    "thread_subject",
]
