"""The send loop that joins the pieces, and the plan that predicts it.

:class:`CampaignRun` sends a prepared campaign's queue (see :mod:`preflight.prepare`),
committing every state change per message (``sending`` before DATA), so a killed process
never sends a message twice. :func:`plan_campaign` runs the very same scheduler with no clock
and no network: what goes out when.
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from preflight.bounces.classify import classify_reply
from preflight.campaign_config import CampaignConfig, MailboxConfig
from preflight.clock import Clock
from preflight.contacts import ContactGate
from preflight.errors import ClaimLost, InputError
from preflight.followups import send_days_after
from preflight.idn import ascii_address
from preflight.ledger import Ledger
from preflight.ledger.messages import AttemptResult, epoch, iso
from preflight.ledger.suppression import normalize_address
from preflight.limits import build_gates
from preflight.outcomes import Failure, apply_failure
from preflight.pauses import PauseKind, campaign_pauses, pause_key
from preflight.policy import hard_bounce_brake, refuses_our_syntax
from preflight.prepare import BuiltMessages, build_for
from preflight.provider_limits import binding_limit, reset_at
from preflight.rate_limit import RateLimiters
from preflight.recipients import read_recipients
from preflight.run_leases import MailboxLeases
from preflight.schedule import Dispatcher, DomainCap, MailboxSchedule, Pick, QueuedMessage
from preflight.smtp import (
    ConnectionRefused,
    MailboxConnection,
    MailboxMisconfigured,
    MailboxUnavailable,
    SmtpReply,
)
from preflight.templates import Template
from preflight.wording import local_time

# A mailbox that cannot be reached is retried after these delays, then paused.
CONNECT_BACKOFF = (60.0, 300.0, 900.0, 3600.0)
# A refused connection early in a run is almost always a wrong host, port or security
# setting: retry it quickly, and pause when it is still refused within the first minute.
REFUSED_RETRY = 5.0
REFUSED_WINDOW = 60.0
# A wait at least this long is an event worth a line (window, cap); shorter ones are pacing.
WAIT_NOTICE = 120.0


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
    histories = {
        box.address: ledger.mailbox_attempt_times(box.address, since) if ledger else []
        for box in config.mailboxes
    }
    gates = build_gates(
        config.mailboxes,
        histories.__getitem__,
        lambda domain: ledger.domain_mailbox_attempt_times(domain, since) if ledger else [],
    )
    for mailbox in config.mailboxes:
        history = histories[mailbox.address]
        schedules[mailbox.address] = MailboxSchedule(
            mailbox.address,
            mailbox.plan,
            mailbox.warmup_start,
            mailbox.window,
            mailbox.delay_seconds,
            rng,
            history,
            gates[mailbox.address],
        )
    cap = None
    if config.domain_cap is not None:
        period = config.domain_cap_hours * 3600
        history_domains = ledger.domain_attempt_times(iso(now - period)) if ledger else []
        cap = DomainCap(config.domain_cap, period, history_domains)
    dispatcher = Dispatcher(schedules, cap)
    if ledger is not None:
        for address in campaign_pauses(ledger, config.name, schedules):
            dispatcher.pause(address)
        for address, (_, until) in ledger.mailbox_holds(iso(now)).items():
            if address in schedules:
                schedules[address].hold_until(epoch(until))
    return dispatcher


@dataclass
class StepForecast:
    """When one step (0 = the first mail, 1.. the follow-ups) goes out, if nobody answers."""

    step: int
    count: int = 0
    first: datetime | None = None
    last: datetime | None = None


@dataclass
class Plan:
    start: datetime
    per_day: dict[date, dict[str, int]]  # mailbox-local date -> mailbox -> count
    first: datetime | None
    finish: datetime | None
    scheduled: int
    unscheduled: int  # no mailbox can ever send them (plans at 0, all paused)
    paused: list[str]
    steps: list[StepForecast] = field(default_factory=list)
    # Messages that would go after ``until`` (plan_campaign's horizon), not simulated.
    after_until: int = 0
    # mailbox-local date -> mailbox -> the daily limit that binds and what it is
    binding: dict[date, dict[str, tuple[int, str]]] = field(default_factory=dict)


def plan_campaign(
    config: CampaignConfig,
    recipients: list[tuple[int, str]],
    *,
    start: datetime,
    ledger: Ledger | None = None,
    seed: int = 0,
    not_before: Mapping[int, float] | None = None,
    until: datetime | None = None,
    on_pick: Callable[[Pick], None] | None = None,
) -> Plan:
    """Simulate the sender on ``(seq, recipient)`` pairs from ``start``: no clock, no network.

    ``not_before`` maps a seq to the moment its deferred retry is due (epoch seconds): the
    plan sends it no earlier, so the finish includes tomorrow's retries. With ``until``, the
    simulation stops at that moment (a report's horizon): what would go later is counted in
    ``after_until``, not in ``unscheduled``. ``on_pick`` sees every planned send (who, to whom,
    when) without the plan keeping them.
    """
    now = start.timestamp()
    dispatcher = build_dispatcher(config, ledger, now, random.Random(seed))
    due = not_before or {}
    # Row ids of the simulation: the seq for first mails; follow-ups get ids past them, and
    # this map says which step each one is.
    step_of: dict[int, int] = {}
    for seq, recipient in recipients:
        dispatcher.add(
            QueuedMessage(seq, seq, recipient, _domain(recipient), not_before=due.get(seq, 0.0))
        )
    next_id = max((seq for seq, _ in recipients), default=0) + 1
    steps = [StepForecast(0), *(StepForecast(f.number) for f in config.follow_ups)]
    per_day: dict[date, dict[str, int]] = {}
    first = last = None
    scheduled = 0
    horizon = until.timestamp() if until is not None else None
    after_until = 0
    while True:
        pick = dispatcher.next(now)
        if pick is None:
            break
        if horizon is not None and pick.when > horizon:
            after_until = len(dispatcher) + 1
            break
        dispatcher.record(pick, pick.when)
        if on_pick is not None:
            on_pick(pick)
        now = pick.when
        day = dispatcher.mailboxes[pick.mailbox].local_date(now)
        counts = per_day.setdefault(day, {})
        counts[pick.mailbox] = counts.get(pick.mailbox, 0) + 1
        first = first if first is not None else now
        last = now
        scheduled += 1
        step = step_of.pop(pick.message.row_id, 0)
        forecast = steps[step]
        forecast.count += 1
        forecast.first = forecast.first or _dt(now)
        forecast.last = _dt(now)
        if step < len(config.follow_ups):
            # Nobody answers in a plan: the next step comes due after its send days.
            window = config.mailbox(pick.mailbox).window
            comes = send_days_after(window, _dt(now) or start, config.follow_ups[step].after_days)
            message = pick.message
            not_before = max(comes.timestamp(), now + 1e-3)
            dispatcher.add(
                QueuedMessage(
                    message.seq, next_id, message.recipient, message.domain, not_before=not_before
                )
            )
            step_of[next_id] = step + 1
            next_id += 1
    return Plan(
        start=start,
        binding=day_limits(config, per_day),
        per_day=per_day,
        first=_dt(first),
        finish=_dt(last),
        scheduled=scheduled,
        unscheduled=0 if after_until else len(dispatcher),
        paused=sorted(dispatcher.paused),
        steps=steps,
        after_until=after_until,
    )


def day_limits(
    config: CampaignConfig, per_day: dict[date, dict[str, int]]
) -> dict[date, dict[str, tuple[int, str]]]:
    """For each planned day and mailbox: the daily limit that binds (the plan's or the
    provider's), as ``preflight plan`` shows it. A domain quota is the whole domain's, shared
    by all its mailboxes (see :func:`preflight.limits.build_gates`)."""
    quota: dict[str, int] = {}
    for box in config.mailboxes:
        if box.limits.domain_per_day:
            quota[box.domain] = min(box.limits.domain_per_day, quota.get(box.domain, 10**9))
    limits = {
        box.address: replace(box.limits, domain_per_day=quota.get(box.domain))
        for box in config.mailboxes
    }
    return {
        day: {
            box.address: binding_limit(
                box.plan.daily_cap(box.warmup_start, day),
                limits[box.address],
                _window_hours(box),
            )
            for box in config.mailboxes
        }
        for day in per_day
    }


def _window_hours(box: MailboxConfig) -> float:
    window = box.window
    end = 24 * 60 if window.end is None else window.end.hour * 60 + window.end.minute
    return (end - (window.start.hour * 60 + window.start.minute)) / 60


def plan_recipients(
    config: CampaignConfig,
    ledger: Ledger,
    skips: list[str] | None = None,
    now: datetime | None = None,
) -> list[tuple[int, str]]:
    """A quick estimate for the report: the ledger's queue when the campaign was prepared,
    else the recipients file (deduplicated, suppressed addresses left out; no template or
    lint work). ``plan`` uses :func:`preflight.prepare.plan_messages`, send's validation.

    People the campaign must leave alone (replied, opted out, contacted by another campaign
    recently) are left out too; with ``skips``, one line per such person is appended to it.
    """
    gate = ContactGate(
        ledger, config.name, config.recontact_after_days, now or datetime.now(UTC)
    )

    def allowed(address: str) -> bool:
        blocker = gate.blocker(address)
        if blocker is not None and skips is not None:
            skips.append(f"{address}: {blocker.describe()}")
        return blocker is None

    campaign = ledger.find_campaign(config.name)
    if campaign is not None:
        pending = ledger.pending_messages(campaign)
        if pending:
            return [(p.seq, p.recipient) for p in pending if allowed(p.recipient)]
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
    return [
        (seq, address)
        for seq, address in rows
        if address not in suppressed and allowed(address)
    ]


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
    # Deferrals whose message was attempted again in the same run (counted again there).
    retried: int = 0
    # Messages another concurrent run claimed first (it sends them, not this run).
    taken_elsewhere: int = 0
    # Mailboxes another live run holds: this run leaves them to it.
    busy: dict[str, str] = field(default_factory=dict)
    recovered_unknown: int = 0
    paused: dict[str, str] = field(default_factory=dict)
    # Mailboxes this run paused (the user must act before they send again).
    paused_now: dict[str, str] = field(default_factory=dict)
    next_send: datetime | None = None
    next_retry: datetime | None = None
    stopped: bool = False
    # The signal that stopped the run (SIGINT, SIGTERM), 0 when none; set by the caller
    # that installed the handlers.
    stopped_by: int = 0
    # Events that change what happens (cannot connect, retrying at T, paused, waiting for the
    # send window until T, daily cap reached until T), oldest first, one line each.
    events: list[str] = field(default_factory=list)
    limit_reached: bool = False
    last: str = ""
    slowed: set[str] = field(default_factory=set)
    # Mailboxes held until their provider's limit resets: reason, until when.
    held: dict[str, tuple[str, datetime]] = field(default_factory=dict)

    @property
    def done(self) -> int:
        return (
            self.sent
            + self.deferred
            + self.bounced
            + self.failed
            + self.unknown
            + self.skipped
            + self.taken_elsewhere
        )


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
        still_wanted: Callable[[str], str | None] | None = None,
    ) -> None:
        self.config = config
        self.built = built
        # A follow-up step asks, right before each send, whether the person still wants to
        # hear from us (no reply, opt-out or bounce since it was queued): None means yes.
        self.still_wanted = still_wanted
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
        # An accelerated clock (the demo) runs `speed` campaign seconds per loop second.
        self.rate_limits = RateLimiters(config.mailboxes, 1.0 / getattr(clock, "speed", 1.0))
        self.stats = RunStats()
        self._hard: dict[str, deque[bool]] = {}
        self._connect_failures: dict[str, int] = {}
        self._soft: dict[int, int] = {}
        # Rows deferred in this run, to count a later retry of one message only once.
        self._deferred_rows: set[int] = set()
        self._started = 0.0
        self._last_wait = ""
        self.leases = MailboxLeases(ledger, [box.address for box in config.mailboxes])

    def _progress(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.stats)

    async def run(self) -> RunStats:
        now = self.clock.now()
        self._started = now.timestamp()
        for mailbox in self.config.mailboxes:
            mailbox.password()  # a missing variable stops the run before anything is sent
        busy = self.leases.acquire()  # MailboxBusy when another run holds every mailbox
        try:
            return await self._run_leased(now, busy)
        finally:
            self.leases.release()

    async def _run_leased(self, now: datetime, busy: dict[str, Any]) -> RunStats:
        self.stats.busy = {box: holder.describe() for box, holder in busy.items()}
        self.stats.recovered_unknown = self.leases.recover(self.campaign, now)
        dispatcher = build_dispatcher(self.config, self.ledger, now.timestamp(), self.rng)
        for address in busy:
            dispatcher.pause(address)  # another run's, for as long as this run lasts
        self.leases.start_heartbeat()
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
        self.stats.paused = campaign_pauses(self.ledger, self.config.name, self.connections)
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
                self._notice_wait(dispatcher, pick)
                self._progress()
                if not await self.clock.sleep_until(_dt(pick.when) or now, self.stop):
                    dispatcher.put_back(pick.message)
                    break
                await self.rate_limits.acquire(pick.mailbox)
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
        claim = self._claim(dispatcher, pick, started)
        if claim is None:
            return False
        owner = self.leases.owner
        if self.ledger.suppression(message.recipient) is not None:
            # Suppressed since it was queued (a bounce import, another campaign).
            self.ledger.settle_claim(
                message.row_id, claim, owner, "skipped", "address: suppressed", stamp
            )
            self.stats.skipped += 1
            return False
        why = self.still_wanted(message.recipient) if self.still_wanted else None
        if why is not None:
            self.ledger.settle_claim(
                message.row_id, claim, owner, "skipped", f"follow-up: {why}", stamp
            )
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
                    thread=self.ledger.thread_of(message.row_id),
                )
            except InputError as error:
                self.ledger.settle_claim(
                    message.row_id, claim, owner, "failed", f"message: {error}", stamp
                )
                self.stats.failed += 1
                self.stats.last = f"{message.recipient}: not sent: {error}"
                return False
            ready = (email.as_bytes(), str(email["Message-ID"]))
        payload, message_id = ready
        domain = message.domain
        attempt: list[int] = []

        def before_data() -> None:
            attempt.append(
                self.ledger.mark_sending(
                    message.row_id,
                    box.address,
                    domain,
                    message_id,
                    stamp,
                    attempt=claim,
                    owner=owner,
                )
            )

        connection = self.connections[box.address]
        try:
            envelope = ascii_address(message.recipient)
        except InputError as error:
            self.ledger.settle_claim(
                message.row_id, claim, owner, "failed", f"address: {error}", stamp
            )
            self.stats.failed += 1
            return False
        try:
            reply = await connection.send(payload, box.address, envelope, before_data)
        except ClaimLost:
            # Recovered or taken by another run while this one waited on the server.
            self.stats.taken_elsewhere += 1
            return False
        except MailboxMisconfigured as error:
            # A wrong password or TLS setting fails the same way every time: stop now.
            self.ledger.release_claim(message.row_id, claim, owner, stamp)
            self._pause(dispatcher, box.address, str(error), "settings")
            dispatcher.put_back(message)
            return False
        except MailboxUnavailable as error:
            self.ledger.release_claim(message.row_id, claim, owner, stamp)
            self._unreachable(dispatcher, pick, error)
            return False
        self._connect_failures[box.address] = 0
        dispatcher.record(pick, started.timestamp())
        self._record_reply(dispatcher, pick, reply, claim, started, message_id)
        return True

    def _claim(self, dispatcher: Dispatcher, pick: Pick, started: datetime) -> int | None:
        """Claim the picked message in the ledger (compare-and-set, caps counted inside);
        returns the claim's attempt id, or None when this run must not send it now."""
        message = pick.message
        schedule = dispatcher.mailboxes[pick.mailbox]
        claim = self.leases.claim(
            message.row_id,
            mailbox=pick.mailbox,
            domain=message.domain,
            when=started,
            schedule=schedule,
            domain_cap=dispatcher.domain_cap,
        )
        if claim.ok:
            return claim.attempt
        if claim.refused == "taken":
            self.stats.taken_elsewhere += 1
        elif claim.refused == "lease":
            dispatcher.put_back(message)
            dispatcher.pause(pick.mailbox)
            self.stats.busy[pick.mailbox] = "its lease was taken over by another run"
            self.stats.last = f"{pick.mailbox}: lease lost; this run stops sending from it"
        elif claim.refused == "domain":
            # Another run's sends filled the domain's cap: wait until it frees.
            message.not_before = claim.retry_at or started.timestamp() + 60.0
            dispatcher.put_back(message)
        else:
            # Another run sent from this mailbox (a lease taken over): its cap is full.
            _, _, next_day = schedule.day_limits(started.timestamp())
            free = claim.retry_at if claim.refused == "hourly" else next_day
            schedule.hold_until(free or next_day)
            dispatcher.put_back(message)
        return None

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
        if message.row_id in self._deferred_rows:
            self._deferred_rows.discard(message.row_id)
            self.stats.retried += 1
        if reply.uncertain:
            result = AttemptResult(state="unknown", text=reply.text, detail=reply.text)
            self.stats.unknown += 1
        elif reply.accepted:
            result = AttemptResult(
                state="sent", code=reply.code, status=reply.status, text=reply.text
            )
            self.stats.sent += 1
        elif refuses_our_syntax(reply.code, reply.text, reply.stage):
            result = AttemptResult(
                state="failed",
                code=reply.code,
                status=reply.status,
                text=reply.text,
                detail=f"the server refused the message's format ({reply}): preflight's or "
                "the template's fault, the address is not charged",
            )
            self.stats.failed += 1
        else:
            verdict = classify_reply(reply.code, reply.status, reply.text)
            soft_so_far = self._soft.get(message.row_id, 0)
            decision, _ = apply_failure(
                self.ledger,
                policy,
                Failure(message.recipient, verdict, soft_so_far, "smtp", detail=str(reply)),
            )
            soft = decision.counts_against_recipient and not verdict.hard
            retry_at = started + decision.retry_after if decision.retry_after else None
            if decision.hold_until_reset:
                retry_at = self._hold(dispatcher, mailbox, reply, now)
            result = AttemptResult(
                state=decision.state,
                code=reply.code,
                status=reply.status or verdict.status,
                text=reply.text,
                reason=verdict.reason,
                hard=verdict.hard,
                next_attempt_at=iso(retry_at) if retry_at else None,
                soft_failure=soft and decision.state != "sent",
                detail=decision.pause_mailbox
                or (f"mailbox held until {iso(retry_at)}" if decision.hold_until_reset else None),
            )
            if result.soft_failure:
                self._soft[message.row_id] = soft_so_far + 1
            # The decision's states are RunStats counters of the same name.
            setattr(self.stats, decision.state, getattr(self.stats, decision.state) + 1)
            if decision.state == "deferred":
                self._deferred_rows.add(message.row_id)
            if retry_at is not None:
                message.not_before = retry_at.timestamp()
                dispatcher.put_back(message)
            if decision.slow_down:
                dispatcher.mailboxes[mailbox].slow_down(now.timestamp(), policy.slow_down_factor)
                self.stats.slowed.add(mailbox)
            if decision.pause_mailbox:
                cause = f"campaign {self.config.name}, message to {message.recipient}"
                self._pause(dispatcher, mailbox, f"{reply} ({cause}): {decision.pause_mailbox}")
        self.ledger.record_result(message.row_id, attempt, result, **common)
        self.stats.last = f"{message.recipient}: {result.state} ({reply})"
        flags = self._hard[mailbox]
        if result.state in ("sent", "bounced", "deferred", "failed"):
            flags.append(result.state == "bounced" and bool(result.hard))
            brake = hard_bounce_brake(policy, flags)
            if brake and mailbox not in dispatcher.paused:
                cause = f"in campaign {self.config.name}, last message to {message.recipient}"
                self._pause(dispatcher, mailbox, brake.replace("): ", f"; {cause}): ", 1))

    def _hold(
        self, dispatcher: Dispatcher, mailbox: str, reply: SmtpReply, now: datetime
    ) -> datetime:
        """The provider's own limit is reached: send nothing from ``mailbox`` until it resets.

        Under a domain-wide quota the refusal speaks for the whole domain, so every mailbox of
        it here is held too.
        """
        box = self.config.mailbox(mailbox)
        limits = box.limits
        until = reset_at(limits, reply.text, now.timestamp())
        why = f"{reply}: {limits.label} sending limit reached"
        held = [mailbox]
        if limits.domain_per_day:
            held += [b.address for b in self.config.mailboxes if b.domain == box.domain]
        for address in dict.fromkeys(held):
            dispatcher.mailboxes[address].hold_until(until)
            self.ledger.hold_mailbox(address, why, iso(until), self.config.name, iso(now))
            self.stats.held[address] = (why, _dt(until) or now)
        return _dt(until) or now

    def _pause(
        self, dispatcher: Dispatcher, mailbox: str, reason: str,
        kind: PauseKind = "reputation",
    ) -> None:
        dispatcher.pause(mailbox)
        key = pause_key(mailbox, kind, self.config.name)
        self.ledger.pause_mailbox(key, reason, self.config.name, iso(self.clock.now()))
        self.stats.paused[mailbox] = reason
        self.stats.paused_now[mailbox] = reason
        self._event(f"paused sending mailbox {mailbox}: {reason}")

    def _event(self, line: str) -> None:
        self.stats.events.append(line)
        self.stats.last = line

    def _local(self, mailbox: str, when: float) -> str:
        """A moment in the mailbox's own time zone, in the one format the output uses."""
        return local_time(when, self.config.mailbox(mailbox).window.tz)

    def _notice_wait(self, dispatcher: Dispatcher, pick: Pick) -> None:
        now = self.clock.now().timestamp()
        if pick.when - now < WAIT_NOTICE:
            return
        reason = dispatcher.mailboxes[pick.mailbox].wait_reason(now)
        line = f"{pick.mailbox}: {reason} until {self._local(pick.mailbox, pick.when)}"
        if line != self._last_wait:
            self._last_wait = line
            self._event(line)

    def _unreachable(self, dispatcher: Dispatcher, pick: Pick, error: MailboxUnavailable) -> None:
        mailbox = pick.mailbox
        failures = self._connect_failures.get(mailbox, 0)
        self._connect_failures[mailbox] = failures + 1
        dispatcher.put_back(pick.message)
        now = self.clock.now().timestamp()
        if isinstance(error, ConnectionRefused) and now - self._started < REFUSED_WINDOW:
            if failures >= 1:
                self._pause(dispatcher, mailbox, f"{error} (refused {failures + 1} times in "
                            "the first minute)", "settings")
                return
            wait = REFUSED_RETRY
        elif failures >= len(CONNECT_BACKOFF):
            self._pause(dispatcher, mailbox, f"{error} (gave up after {failures + 1} tries)",
                        "settings")
            return
        else:
            wait = CONNECT_BACKOFF[min(failures, len(CONNECT_BACKOFF) - 1)]
        dispatcher.mailboxes[mailbox].hold_until(now + wait)
        self._event(f"{mailbox}: {error}; retrying at {self._local(mailbox, now + wait)}")


__all__ = [
    "CONNECT_BACKOFF",
    "CampaignRun",
    "Plan",
    "RunStats",
    "StepForecast",
    "build_dispatcher",
    "plan_campaign",
    "plan_recipients",
]
