"""The send loop that joins the pieces: validate, queue, pace, send, classify, record.

Three entry points, each a thin pipeline over the library:

* :func:`validate_rows` streams the recipients file through the address checks, the
  template, the MIME builder and the linter (the gate), one row at a time, so 100,000 rows
  never sit in memory; :func:`prepare_campaign` stores the verdicts in the ledger.
* :func:`plan_campaign` runs the scheduler with no clock at all: what goes out when.
* :class:`CampaignRun` sends the queued rows, committing every state change per message
  (``sending`` before DATA), so a killed process never sends a message twice.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import re
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from preflight.addresses import AddressChecker
from preflight.bounces.classify import classify_reply
from preflight.campaign_config import CampaignConfig, MailboxConfig
from preflight.clock import Clock
from preflight.draft import Draft
from preflight.errors import InputError, TemplateError
from preflight.ledger import Ledger
from preflight.ledger.messages import AttemptResult, RowRecord, epoch, iso
from preflight.ledger.suppression import normalize_address
from preflight.lint.linter import lint_draft
from preflight.message import build_message, make_message_id
from preflight.policy import decide, hard_bounce_brake
from preflight.recipients import read_recipients
from preflight.schedule import Dispatcher, DomainCap, MailboxSchedule, Pick, QueuedMessage
from preflight.smtp import LoginRefused, MailboxConnection, MailboxUnavailable, SmtpReply
from preflight.templates import Template, load_template

# A mailbox that cannot be reached is retried after these delays, then paused.
CONNECT_BACKOFF = (60.0, 300.0, 900.0, 3600.0)
_STORE_BATCH = 1000
_POOL_BATCH = 200
_POOL_MIN_BYTES = 100_000  # about 2,000 rows
_KEEP_EXAMPLES = 20
_DATE_LINE = re.compile(rb"(?m)^Date: [^\r\n]*")


class BuiltMessages:
    """Messages built (and linted) during validation, kept as bytes for the send loop.

    What is sent is then byte for byte what the gate linted, and the MIME work is not done
    twice; only the Date line is brought up to the moment of sending. A byte budget bounds
    the memory: rows past it are simply built again when their turn comes.
    """

    def __init__(self, budget_bytes: int = 64 * 1024 * 1024) -> None:
        self.budget = budget_bytes
        self.used = 0
        self._items: dict[str, tuple[bytes, str]] = {}

    def keep(self, recipient: str, payload: bytes, message_id: str) -> None:
        if self.used + len(payload) > self.budget or recipient in self._items:
            return
        self._items[recipient] = (payload, message_id)
        self.used += len(payload)

    def take(self, recipient: str, when: datetime) -> tuple[bytes, str] | None:
        item = self._items.pop(recipient, None)
        if item is None:
            return None
        payload, message_id = item
        self.used -= len(payload)
        dated = _DATE_LINE.sub(b"Date: " + format_datetime(when).encode(), payload, count=1)
        return dated, message_id

    def __len__(self) -> int:
        return len(self._items)


# -- validation -----------------------------------------------------------------------------


@dataclass
class RowOutcome:
    """One recipients-file row after the gate."""

    seq: int
    line: int
    recipient: str
    fields: dict[str, str]
    state: str  # queued | skipped | duplicate
    detail: str | None = None
    score: float | None = None
    warnings: tuple[str, ...] = ()
    payload: bytes | None = None  # the exact message, when asked for
    message_id: str | None = None


@dataclass
class Validation:
    """The pre-send summary."""

    rows: int = 0
    queued: int = 0
    skipped_address: int = 0
    skipped_lint: int = 0
    skipped_other: int = 0
    duplicates: int = 0
    warnings: int = 0
    score_min: float | None = None
    score_max: float | None = None
    examples: list[str] = field(default_factory=list)  # "line 7 a@b: why" (first few)
    warning_examples: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return self.skipped_address + self.skipped_lint + self.skipped_other

    def add(self, outcome: RowOutcome) -> None:
        self.rows += 1
        if outcome.score is not None:
            low, high = self.score_min, self.score_max
            self.score_min = outcome.score if low is None else min(low, outcome.score)
            self.score_max = outcome.score if high is None else max(high, outcome.score)
        if outcome.warnings:
            self.warnings += 1
            if len(self.warning_examples) < _KEEP_EXAMPLES:
                self.warning_examples.append(
                    f"line {outcome.line} {outcome.recipient}: {'; '.join(outcome.warnings)}"
                )
        if outcome.state == "queued":
            self.queued += 1
            return
        if outcome.state == "duplicate":
            self.duplicates += 1
        elif (outcome.detail or "").startswith("address"):
            self.skipped_address += 1
        elif (outcome.detail or "").startswith("lint"):
            self.skipped_lint += 1
        else:
            self.skipped_other += 1
        if len(self.examples) < _KEEP_EXAMPLES:
            self.examples.append(f"line {outcome.line} {outcome.recipient}: {outcome.detail}")


def check_columns(config: CampaignConfig, template: Template) -> None:
    """Every template variable must be a column, or every row would fail the same way."""
    with read_recipients(config.recipients) as reader:
        columns = list(reader.columns)
    missing = sorted(template.variables - set(columns))
    if missing:
        raise TemplateError(
            f"the template uses {', '.join(missing)} but the recipients file has no such "
            f"column (columns: {', '.join(columns)})",
            file=config.recipients,
            field=missing[0],
        )


def unsubscribe_headers(config: CampaignConfig, recipient: str) -> dict[str, str]:
    return config.unsubscribe.headers(recipient)


def build_for(
    config: CampaignConfig,
    template: Template,
    fields: dict[str, str],
    *,
    mailbox: MailboxConfig,
    recipient: str,
    when: datetime,
) -> tuple[EmailMessage, Draft]:
    """Render, build and parse one message; raises our own errors on bad input."""
    rendered = template.render(fields)
    message = build_message(
        rendered,
        from_addr=mailbox.from_header,
        to_addr=recipient,
        extra_headers=unsubscribe_headers(config, recipient),
        message_id=make_message_id(mailbox.domain),
        date=when,
    )
    draft = Draft.from_message(
        message, f"{template.name} [{recipient}]", personalization=rendered.personalization
    )
    return message, draft


def _checked_rows(config: CampaignConfig, checker: AddressChecker) -> Iterator[RowOutcome]:
    """Rows after the address checks, in file order (the checker keeps duplicate state, so
    this part stays in one process)."""
    with read_recipients(config.recipients) as reader:
        for seq, row in enumerate(reader, 1):
            verdict = checker.check(row.email, line=row.line)
            recipient = normalize_address(verdict.normalized or row.email)
            warnings = tuple(r.message for r in verdict.reasons if r.severity == "warn")
            outcome = RowOutcome(
                seq, row.line, recipient, dict(row.fields), "queued", warnings=warnings
            )
            if verdict.verdict == "reject":
                outcome.state = "duplicate" if "duplicate" in verdict.codes else "skipped"
                rejects = [r for r in verdict.reasons if r.severity == "reject"]
                outcome.detail = "address: " + "; ".join(f"{r.message} ({r.fix})" for r in rejects)
            yield outcome


def gate_row(
    config: CampaignConfig, template: Template, outcome: RowOutcome, now: datetime, keep: bool
) -> RowOutcome:
    """Render, build and lint one row that passed the address checks (in place)."""
    if outcome.state != "queued":
        return outcome
    mailboxes = config.mailboxes
    mailbox = mailboxes[(outcome.seq - 1) % len(mailboxes)]
    try:
        message, draft = build_for(
            config,
            template,
            outcome.fields,
            mailbox=mailbox,
            recipient=outcome.recipient,
            when=now,
        )
    except InputError as error:  # TemplateError, HeaderInjectionError, bad address
        outcome.state = "skipped"
        outcome.detail = f"message: {error}"
        return outcome
    report = lint_draft(draft, config.lint)
    outcome.score = report.score
    if not report.passed:
        worst = sorted(report.findings, key=lambda f: -f.points)[:3]
        outcome.state = "skipped"
        outcome.detail = (
            f"lint: score {report.score:g} is over the threshold {config.lint.threshold:g}"
            f" ({', '.join(f'{f.code} {f.name}' for f in worst)})"
        )
    elif keep:
        outcome.payload = message.as_bytes()
        outcome.message_id = str(message["Message-ID"])
    return outcome


# Worker-process state for pooled validation: loaded once per worker.
_WORKER: dict[str, object] = {}


def _worker_init(config: CampaignConfig, template_path: Path) -> None:
    _WORKER["config"] = config
    _WORKER["template"] = load_template(template_path)


def _worker_gate(batch: list[RowOutcome], now: datetime, keep: bool) -> list[RowOutcome]:
    config = _WORKER["config"]
    template = _WORKER["template"]
    assert isinstance(config, CampaignConfig) and isinstance(template, Template)
    return [gate_row(config, template, outcome, now, keep) for outcome in batch]


def validation_workers(path: Path) -> int:
    """Processes worth starting for a recipients file: rendering, MIME and lint are CPU
    bound, but a worker costs a second of start-up, so small lists stay in-process."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        size = path.stat().st_size
    except OSError:
        return 1
    return min(cpus or 1, 4) if size > _POOL_MIN_BYTES else 1


def validate_rows(
    config: CampaignConfig,
    template: Template,
    checker: AddressChecker,
    *,
    now: datetime,
    keep_message: bool = False,
    workers: int | None = None,
) -> Iterator[RowOutcome]:
    """Stream every row through the gate (addresses, template, headers, lint), in order.

    ``keep_message`` fills each passing outcome's ``payload`` (the exact bytes). With more
    than one worker, batches of rows are gated in a process pool, a bounded number in
    flight, so memory stays flat however long the list is.
    """
    rows = _checked_rows(config, checker)
    count = validation_workers(config.recipients) if workers is None else workers
    if count <= 1:
        for outcome in rows:
            yield gate_row(config, template, outcome, now, keep_message)
        return
    context = multiprocessing.get_context("spawn")  # no fork of a process holding a loop
    with ProcessPoolExecutor(
        max_workers=count,
        mp_context=context,
        initializer=_worker_init,
        initargs=(config, template.path),
    ) as pool:
        pending: deque[Future[list[RowOutcome]]] = deque()
        batch: list[RowOutcome] = []
        for outcome in rows:
            batch.append(outcome)
            if len(batch) >= _POOL_BATCH:
                pending.append(pool.submit(_worker_gate, batch, now, keep_message))
                batch = []
                if len(pending) >= count * 3:
                    yield from pending.popleft().result()
        if batch:
            pending.append(pool.submit(_worker_gate, batch, now, keep_message))
        while pending:
            yield from pending.popleft().result()


def prepare_campaign(
    config: CampaignConfig,
    ledger: Ledger,
    template: Template,
    *,
    now: datetime,
    built: BuiltMessages | None = None,
    workers: int | None = None,
) -> tuple[int, Validation]:
    """Validate every row and store the verdicts; returns the campaign id and the summary.

    With ``built``, the messages that pass are kept for :class:`CampaignRun` to send as is.
    """
    campaign = ledger.campaign_id(config.name, iso(now))
    checker = AddressChecker(ledger.suppression)
    summary = Validation()
    batch: list[RowRecord] = []
    stamp = iso(now)
    keep = built is not None
    for outcome in validate_rows(
        config, template, checker, now=now, keep_message=keep, workers=workers
    ):
        summary.add(outcome)
        if outcome.state == "duplicate":
            continue  # the first row of that mailbox is the one kept
        if built is not None and outcome.payload is not None and outcome.message_id:
            built.keep(outcome.recipient, outcome.payload, outcome.message_id)
        batch.append(
            RowRecord(
                seq=outcome.seq,
                line=outcome.line,
                recipient=outcome.recipient,
                fields=outcome.fields,
                state=outcome.state,
                detail=outcome.detail,
                lint_score=outcome.score,
            )
        )
        if len(batch) >= _STORE_BATCH:
            ledger.store_rows(campaign, batch, stamp)
            batch.clear()
    if batch:
        ledger.store_rows(campaign, batch, stamp)
    return campaign, summary


def write_dry_run(
    config: CampaignConfig,
    ledger: Ledger,
    template: Template,
    directory: Path,
    *,
    now: datetime,
    limit: int | None = None,
) -> tuple[Validation, int]:
    """Write the exact .eml of every message that would be sent; the ledger is only read."""
    directory.mkdir(parents=True, exist_ok=True)
    checker = AddressChecker(ledger.suppression)
    summary = Validation()
    written = 0
    for outcome in validate_rows(config, template, checker, now=now, keep_message=True):
        summary.add(outcome)
        if outcome.payload is None or (limit is not None and written >= limit):
            continue
        safe = "".join(c if c.isalnum() or c in "._@-" else "_" for c in outcome.recipient)
        (directory / f"{outcome.seq:06d}-{safe}.eml").write_bytes(outcome.payload)
        written += 1
    return summary, written


# -- scheduling -------------------------------------------------------------------------------


def build_dispatcher(
    config: CampaignConfig,
    ledger: Ledger | None,
    now: float,
    rng: random.Random,
) -> Dispatcher:
    """Schedules seeded from the ledger, so a restart keeps today's counts and delays."""
    schedules: dict[str, MailboxSchedule] = {}
    # Two days back covers "today" in any time zone, and the last hour.
    since = iso(now - 2 * 86400)
    for mailbox in config.mailboxes:
        history = ledger.mailbox_attempt_times(mailbox.address, since) if ledger else []
        schedules[mailbox.address] = MailboxSchedule(
            mailbox.address,
            mailbox.plan,
            mailbox.warmup_start,
            mailbox.window,
            mailbox.delay_seconds,
            rng,
            history,
        )
    cap = None
    if config.domain_cap is not None:
        period = config.domain_cap_hours * 3600
        history_domains = ledger.domain_attempt_times(iso(now - period)) if ledger else []
        cap = DomainCap(config.domain_cap, period, history_domains)
    dispatcher = Dispatcher(schedules, cap)
    if ledger is not None:
        for address in ledger.paused_mailboxes():
            if address in schedules:
                dispatcher.pause(address)
    return dispatcher


@dataclass
class Plan:
    start: datetime
    per_day: dict[date, dict[str, int]]  # mailbox-local date -> mailbox -> count
    first: datetime | None
    finish: datetime | None
    scheduled: int
    unscheduled: int  # no mailbox can ever send them (plans at 0, all paused)
    paused: list[str]


def plan_campaign(
    config: CampaignConfig,
    recipients: list[tuple[int, str]],
    *,
    start: datetime,
    ledger: Ledger | None = None,
    seed: int = 0,
) -> Plan:
    """Simulate the sender on ``(seq, recipient)`` pairs from ``start``: no clock, no network."""
    now = start.timestamp()
    dispatcher = build_dispatcher(config, ledger, now, random.Random(seed))
    for seq, recipient in recipients:
        dispatcher.add(QueuedMessage(seq, seq, recipient, _domain(recipient)))
    per_day: dict[date, dict[str, int]] = {}
    first = last = None
    scheduled = 0
    while True:
        pick = dispatcher.next(now)
        if pick is None:
            break
        dispatcher.record(pick, pick.when)
        now = pick.when
        day = dispatcher.mailboxes[pick.mailbox].local_date(now)
        counts = per_day.setdefault(day, {})
        counts[pick.mailbox] = counts.get(pick.mailbox, 0) + 1
        first = first if first is not None else now
        last = now
        scheduled += 1
    return Plan(
        start=start,
        per_day=per_day,
        first=_dt(first),
        finish=_dt(last),
        scheduled=scheduled,
        unscheduled=len(dispatcher),
        paused=sorted(dispatcher.paused),
    )


def plan_recipients(config: CampaignConfig, ledger: Ledger) -> list[tuple[int, str]]:
    """What ``plan`` schedules: the ledger's queue when the campaign was prepared, else the
    recipients file (deduplicated, suppressed addresses left out; no template or lint work)."""
    campaign = ledger.find_campaign(config.name)
    if campaign is not None:
        pending = ledger.pending_messages(campaign)
        if pending:
            return [(p.seq, p.recipient) for p in pending]
    rows: list[tuple[int, str]] = []
    seen: set[str] = set()
    with read_recipients(config.recipients) as reader:
        for seq, row in enumerate(reader, 1):
            address = normalize_address(row.email)
            if "@" not in address or address in seen:
                continue
            seen.add(address)
            rows.append((seq, address))
    suppressed = ledger.suppressed_among(address for _, address in rows)
    return [(seq, address) for seq, address in rows if address not in suppressed]


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[-1].lower()


def _dt(when: float | None) -> datetime | None:
    return None if when is None else datetime.fromtimestamp(when, UTC)


# -- sending ----------------------------------------------------------------------------------


@dataclass
class RunStats:
    """Live counters for the progress view and the final report."""

    total: int = 0
    sent: int = 0
    deferred: int = 0
    bounced: int = 0
    failed: int = 0
    unknown: int = 0
    skipped: int = 0
    recovered_unknown: int = 0
    paused: dict[str, str] = field(default_factory=dict)
    next_send: datetime | None = None
    next_retry: datetime | None = None
    stopped: bool = False
    limit_reached: bool = False
    last: str = ""
    slowed: set[str] = field(default_factory=set)

    @property
    def done(self) -> int:
        return self.sent + self.deferred + self.bounced + self.failed + self.unknown + self.skipped


ConnectionFactory = Callable[[MailboxConfig], MailboxConnection]


class CampaignRun:
    """Send a prepared campaign's queue. Create inside the loop that runs it."""

    def __init__(
        self,
        config: CampaignConfig,
        ledger: Ledger,
        template: Template,
        clock: Clock,
        *,
        campaign: int,
        limit: int | None = None,
        wait_for_retries: bool = False,
        insecure: bool = False,
        seed: int | None = None,
        on_progress: Callable[[RunStats], None] | None = None,
        stop: asyncio.Event | None = None,
        connection_factory: ConnectionFactory | None = None,
        built: BuiltMessages | None = None,
    ) -> None:
        self.config = config
        self.built = built
        self.ledger = ledger
        self.template = template
        self.clock = clock
        self.campaign = campaign
        self.limit = limit
        self.wait_for_retries = wait_for_retries
        self.rng = random.Random(seed)
        self.on_progress = on_progress
        self.stop = stop or asyncio.Event()
        factory = connection_factory or (lambda box: MailboxConnection(box, insecure=insecure))
        self.connections = {box.address: factory(box) for box in config.mailboxes}
        self.stats = RunStats()
        self._hard: dict[str, deque[bool]] = {}
        self._connect_failures: dict[str, int] = {}
        self._soft: dict[int, int] = {}

    def _progress(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.stats)

    async def run(self) -> RunStats:
        now = self.clock.now()
        for mailbox in self.config.mailboxes:
            mailbox.password()  # a missing variable stops the run before anything is sent
        self.stats.recovered_unknown = self.ledger.recover_interrupted(self.campaign, iso(now))
        dispatcher = build_dispatcher(self.config, self.ledger, now.timestamp(), self.rng)
        policy = self.config.policy
        for address in self.connections:
            self._hard[address] = deque(
                self.ledger.recent_hard_flags(address, policy.hard_bounce_window),
                maxlen=policy.hard_bounce_window,
            )
        for pending in self.ledger.pending_messages(self.campaign):
            not_before = epoch(pending.next_attempt_at) if pending.next_attempt_at else 0.0
            self._soft[pending.row_id] = pending.soft_failures
            dispatcher.add(
                QueuedMessage(
                    pending.seq,
                    pending.row_id,
                    pending.recipient,
                    _domain(pending.recipient),
                    not_before=not_before,
                    attempts=pending.attempts,
                )
            )
        self.stats.total = len(dispatcher)
        self.stats.paused = {
            m: r for m, r in self.ledger.paused_mailboxes().items() if m in self.connections
        }
        sent_this_run = 0
        try:
            while not self.stop.is_set():
                if self.limit is not None and sent_this_run >= self.limit:
                    self.stats.limit_reached = True
                    break
                pick = dispatcher.next(
                    self.clock.now().timestamp(), include_later=self.wait_for_retries
                )
                if pick is None:
                    break
                self.stats.next_send = _dt(pick.when)
                self._progress()
                if not await self.clock.sleep_until(_dt(pick.when) or now, self.stop):
                    dispatcher.put_back(pick.message)
                    break
                if await self._send_one(dispatcher, pick):
                    sent_this_run += 1
                self._progress()
        finally:
            for connection in self.connections.values():
                await connection.close()
        self.stats.stopped = self.stop.is_set()
        retry = dispatcher.next_retry()
        self.stats.next_retry = _dt(retry)
        self.stats.next_send = None
        self._progress()
        return self.stats

    async def _send_one(self, dispatcher: Dispatcher, pick: Pick) -> bool:
        """One attempt; returns True when the message reached the server's DATA stage."""
        message = pick.message
        box = self.config.mailbox(pick.mailbox)
        started = self.clock.now()
        stamp = iso(started)
        if self.ledger.suppression(message.recipient) is not None:
            # Suppressed since it was queued (a bounce import, another campaign).
            self.ledger.mark_not_sent(message.row_id, "skipped", "address: suppressed", stamp)
            self.stats.skipped += 1
            return False
        ready = self._prebuilt(message, box, started)
        if ready is None:
            try:
                fields = self.ledger.message_fields(message.row_id)
                email, _ = build_for(
                    self.config,
                    self.template,
                    fields,
                    mailbox=box,
                    recipient=message.recipient,
                    when=started,
                )
            except InputError as error:
                self.ledger.mark_not_sent(message.row_id, "failed", f"message: {error}", stamp)
                self.stats.failed += 1
                self.stats.last = f"{message.recipient}: not sent: {error}"
                return False
            ready = (email.as_bytes(), str(email["Message-ID"]))
        payload, message_id = ready
        domain = message.domain
        attempt: list[int] = []

        def before_data() -> None:
            attempt.append(
                self.ledger.mark_sending(message.row_id, box.address, domain, message_id, stamp)
            )

        connection = self.connections[box.address]
        try:
            reply = await connection.send(payload, box.address, message.recipient, before_data)
        except LoginRefused as error:
            self._pause(dispatcher, box.address, str(error))
            dispatcher.put_back(message)
            return False
        except MailboxUnavailable as error:
            self._unreachable(dispatcher, pick, str(error))
            return False
        self._connect_failures[box.address] = 0
        dispatcher.record(pick, started.timestamp())
        self._record_reply(
            dispatcher, pick, reply, attempt[0] if attempt else None, started, message_id
        )
        return True

    def _prebuilt(
        self, message: QueuedMessage, box: MailboxConfig, when: datetime
    ) -> tuple[bytes, str] | None:
        """The validated message, when it can go as is: first attempt, the From it was
        built with (validation uses round robin; rotation may pick another mailbox)."""
        if self.built is None or message.attempts:
            return None
        item = self.built.take(message.recipient, when)
        if item is None or not item[1].endswith(f"@{box.domain}>"):
            return None
        payload, message_id = item
        if f"<{box.address}>".encode() not in payload.split(b"\n\n", 1)[0]:
            return None
        return payload, message_id

    def _record_reply(
        self,
        dispatcher: Dispatcher,
        pick: Pick,
        reply: SmtpReply,
        attempt: int | None,
        started: datetime,
        message_id: str,
    ) -> None:
        message = pick.message
        mailbox = pick.mailbox
        policy = self.config.policy
        now = self.clock.now()
        common = {
            "mailbox": mailbox,
            "domain": message.domain,
            "message_id": message_id,
            "started_at": iso(started),
            "now": iso(now),
        }
        if reply.uncertain:
            result = AttemptResult(state="unknown", text=reply.text, detail=reply.text)
            self.stats.unknown += 1
        elif reply.accepted:
            result = AttemptResult(
                state="sent", code=reply.code, status=reply.status, text=reply.text
            )
            self.stats.sent += 1
        else:
            verdict = classify_reply(reply.code, reply.status, reply.text)
            soft_so_far = self._soft.get(message.row_id, 0)
            decision = decide(policy, verdict, soft_so_far)
            soft = decision.counts_against_recipient and not verdict.hard
            retry_at = started + decision.retry_after if decision.retry_after else None
            result = AttemptResult(
                state=decision.state,
                code=reply.code,
                status=reply.status or verdict.status,
                text=reply.text,
                reason=verdict.reason,
                hard=verdict.hard,
                next_attempt_at=iso(retry_at) if retry_at else None,
                soft_failure=soft and decision.state != "sent",
                detail=decision.pause_mailbox,
            )
            if result.soft_failure:
                self._soft[message.row_id] = soft_so_far + 1
            counter = {"deferred": "deferred", "bounced": "bounced", "failed": "failed"}
            name = counter.get(decision.state, "sent")
            setattr(self.stats, name, getattr(self.stats, name) + 1)
            if decision.suppress:
                self.ledger.suppress(
                    message.recipient,
                    decision.suppress_reason or verdict.reason,
                    "smtp",
                    detail=str(reply),
                )
            if retry_at is not None:
                message.not_before = retry_at.timestamp()
                dispatcher.put_back(message)
            if decision.slow_down:
                dispatcher.mailboxes[mailbox].slow_down(now.timestamp(), policy.slow_down_factor)
                self.stats.slowed.add(mailbox)
            if decision.pause_mailbox:
                self._pause(dispatcher, mailbox, f"{reply}: {decision.pause_mailbox}")
        self.ledger.record_result(message.row_id, attempt, result, **common)
        self.stats.last = f"{message.recipient}: {result.state} ({reply})"
        flags = self._hard[mailbox]
        if result.state in ("sent", "bounced", "deferred", "failed"):
            flags.append(result.state == "bounced" and bool(result.hard))
            brake = hard_bounce_brake(policy, flags)
            if brake and mailbox not in dispatcher.paused:
                self._pause(dispatcher, mailbox, brake)

    def _pause(self, dispatcher: Dispatcher, mailbox: str, reason: str) -> None:
        dispatcher.pause(mailbox)
        self.ledger.pause_mailbox(mailbox, reason, self.config.name, iso(self.clock.now()))
        self.stats.paused[mailbox] = reason

    def _unreachable(self, dispatcher: Dispatcher, pick: Pick, error: str) -> None:
        mailbox = pick.mailbox
        failures = self._connect_failures.get(mailbox, 0)
        self._connect_failures[mailbox] = failures + 1
        dispatcher.put_back(pick.message)
        if failures >= len(CONNECT_BACKOFF):
            self._pause(dispatcher, mailbox, f"{error} (gave up after {failures + 1} tries)")
            return
        schedule = dispatcher.mailboxes[mailbox]
        wait = CONNECT_BACKOFF[failures]
        schedule.not_before = max(schedule.not_before, self.clock.now().timestamp() + wait)
        self.stats.last = f"{mailbox}: {error}; retrying in {wait:g} s"


__all__ = [
    "BuiltMessages",
    "CampaignRun",
    "Plan",
    "RowOutcome",
    "RunStats",
    "Validation",
    "build_dispatcher",
    "check_columns",
    "plan_campaign",
    "plan_recipients",
    "prepare_campaign",
    "validate_rows",
    "write_dry_run",
]
