"""When the next message may go: warm-up caps, hourly caps, windows, delays, domain caps.

Everything here is pure and synchronous and works on POSIX timestamps (floats): the live
sender and ``preflight plan`` run the very same :class:`Dispatcher`, one sleeping on a clock
between picks and the other not, so the plan is what the sender will do.
"""

from __future__ import annotations

import heapq
import random
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from preflight.limits import Gate
from preflight.warmup import WarmupPlan

HOUR = 3600.0
# How far ahead a mailbox's next slot is searched before it is declared "never"
# (a plan whose every remaining day has cap 0, a window with no allowed day).
_MAX_DAY_STEPS = 3700


@dataclass(frozen=True)
class SendWindow:
    """The local days and hours a mailbox sends in. ``end`` of None means midnight."""

    days: frozenset[int]  # 0 = Monday
    start: time
    end: time | None
    tz: ZoneInfo

    def contains(self, when: datetime) -> bool:
        local = when.astimezone(self.tz)
        if local.weekday() not in self.days:
            return False
        clock = local.time().replace(tzinfo=None)
        return clock >= self.start and (self.end is None or clock < self.end)


@dataclass
class _Day:
    window_start: float
    window_end: float
    next_day: float
    allowed: bool
    cap: int


class MailboxSchedule:
    """One mailbox's pacing: the earliest moment it may send and what a send consumes."""

    def __init__(
        self,
        name: str,
        plan: WarmupPlan,
        start_date: date,
        window: SendWindow,
        delay_range: tuple[float, float],
        rng: random.Random,
        history: Iterable[float] = (),
        gates: Sequence[Gate] = (),
    ) -> None:
        self.name = name
        # Provider limits (spacing, 24-hour quotas), some shared with other mailboxes.
        self.gates = tuple(gates)
        self.plan = plan
        self.start_date = start_date
        self.window = window
        self.delay_range = delay_range
        self.rng = rng
        self.slowdown = 1.0
        self.not_before = 0.0
        self._span: tuple[float, float, date] = (0.0, 0.0, date.min)
        # (asked at, answer, gate versions): valid for any later "now" up to the answer,
        # until a send, a slow-down, a hold or a send through a shared gate changes it.
        self._cached: tuple[float, float | None, int] | None = None
        self._days: dict[date, _Day] = {}
        self.sent_on: dict[date, int] = {}
        self._recent: deque[float] = deque()
        for when in sorted(history):
            self._count(when)
        if self._recent:
            # A restart must respect the delay after the last send made before it.
            self.not_before = self._recent[-1] + delay_range[0]

    def local_date(self, when: float) -> date:
        # The last day looked up answers most calls without a time-zone conversion.
        if self._span[0] <= when < self._span[1]:
            return self._span[2]
        day = datetime.fromtimestamp(when, self.window.tz).date()
        tz = self.window.tz
        start = datetime.combine(day, time(), tz).timestamp()
        end = datetime.combine(day + timedelta(days=1), time(), tz).timestamp()
        self._span = (start, end, day)
        return day

    def _day(self, day: date) -> _Day:
        info = self._days.get(day)
        if info is None:
            tz = self.window.tz
            start = datetime.combine(day, self.window.start, tz).timestamp()
            next_day = datetime.combine(day + timedelta(days=1), time(), tz).timestamp()
            end = (
                next_day
                if self.window.end is None
                else datetime.combine(day, self.window.end, tz).timestamp()
            )
            info = _Day(
                window_start=start,
                window_end=end,
                next_day=next_day,
                allowed=day.weekday() in self.window.days,
                cap=self.plan.daily_cap(self.start_date, day),
            )
            self._days[day] = info
        return info

    def day_limits(self, when: float) -> tuple[float, int, float]:
        """The local day of ``when``: its midnight, its cap, and the next midnight."""
        day = self.local_date(when)
        info = self._day(day)
        midnight = datetime.combine(day, time(), self.window.tz).timestamp()
        return midnight, info.cap, info.next_day

    def earliest(self, now: float) -> float | None:
        """The first moment at or after ``now`` this mailbox may send; None if never."""
        cached = self._cached
        versions = sum(gate.version for gate in self.gates)
        if cached is not None and cached[0] <= now and (cached[1] is None or now <= cached[1]):
            answer = cached[1]
            if cached[2] == versions:
                return answer
            # Another mailbox sent through a shared gate. Sends only add constraints, so an
            # answer the gates still allow is still the earliest one.
            if answer is not None and all(gate.earliest(answer) <= answer for gate in self.gates):
                self._cached = (cached[0], answer, versions)
                return answer
        answer = self._search(now)
        self._cached = (now, answer, versions)
        return answer

    def _search(self, now: float) -> float | None:
        recent = self._recent
        # Forget only what is over an hour older than `now`: the tentative times below run
        # ahead of `now`, and a caller may still ask about an earlier moment next.
        while recent and recent[0] <= now - HOUR:
            recent.popleft()
        when = max(now, self.not_before)
        hourly = self.plan.hourly_cap
        for _ in range(_MAX_DAY_STEPS):
            day = self.local_date(when)
            info = self._day(day)
            if (
                not info.allowed
                or self.sent_on.get(day, 0) >= info.cap
                or (when >= info.window_end)
            ):
                when = info.next_day
                continue
            when = max(when, info.window_start)
            if len(recent) >= hourly and recent[-hourly] > when - HOUR:
                # `hourly` sends within the hour before `when`: wait for the oldest to age out.
                when = recent[-hourly] + HOUR
                continue
            gated = max((gate.earliest(when) for gate in self.gates), default=when)
            if gated > when:
                when = gated  # and check the window and the caps again at that moment
                continue
            return when
        return None

    def wait_reason(self, now: float) -> str:
        """Why this mailbox cannot send at ``now``, in words (for the progress lines)."""
        if self.not_before > now:
            return "pausing between messages"
        day = self.local_date(now)
        info = self._day(day)
        if not info.allowed or now < info.window_start or now >= info.window_end:
            return "waiting for the send window"
        if self.sent_on.get(day, 0) >= info.cap:
            return "daily cap reached"
        return "hourly cap reached"

    def record(self, when: float) -> None:
        """A send attempt started at ``when``: it counts against today's and this hour's cap."""
        self._cached = None
        self._count(when)
        for gate in self.gates:
            gate.record(when)
        low, high = self.delay_range
        delay = (low if high <= low else self.rng.uniform(low, high)) * self.slowdown
        self.not_before = max(self.not_before, when + delay)

    def _count(self, when: float) -> None:
        day = self.local_date(when)
        self.sent_on[day] = self.sent_on.get(day, 0) + 1
        self._recent.append(when)

    def hold_until(self, when: float) -> None:
        """Send nothing before ``when`` (a server that cannot be reached right now)."""
        self._cached = None
        self.not_before = max(self.not_before, when)

    def slow_down(self, when: float, factor: float) -> None:
        """A rate answer (421, 4.7.0): longer delays from now on, and a pause now."""
        self._cached = None
        self.slowdown *= factor
        high = self.delay_range[1]
        self.not_before = max(self.not_before, when + max(high, 60.0) * self.slowdown)


class DomainCap:
    """At most ``limit`` sends to one recipient domain in any ``period`` seconds."""

    def __init__(self, limit: int, period: float, history: Iterable[tuple[str, float]] = ()):
        self.limit = limit
        self.period = period
        self._sends: dict[str, deque[float]] = {}
        for domain, when in sorted(history, key=lambda item: item[1]):
            self.record(domain, when)

    def earliest(self, domain: str, now: float) -> float:
        sends = self._sends.get(domain)
        if not sends:
            return now
        while sends and sends[0] <= now - self.period:
            sends.popleft()
        if len(sends) < self.limit:
            return now
        return sends[-self.limit] + self.period

    def record(self, domain: str, when: float) -> None:
        self._sends.setdefault(domain, deque()).append(when)


@dataclass
class QueuedMessage:
    """A message waiting for its turn. ``seq`` keeps the recipients file's order."""

    seq: int
    row_id: int
    recipient: str
    domain: str
    not_before: float = 0.0
    attempts: int = 0


@dataclass(frozen=True)
class Pick:
    when: float
    mailbox: str
    message: QueuedMessage


class Dispatcher:
    """Picks which message goes next, from which mailbox, and when.

    Inbox rotation: each message goes to whichever mailbox may send soonest (ties go to the
    mailbox used least recently), so mailboxes with equal plans alternate and a bigger plan
    carries more. Within the domain cap, messages keep the recipients file's order.
    """

    def __init__(
        self, mailboxes: Mapping[str, MailboxSchedule], domain_cap: DomainCap | None = None
    ) -> None:
        self.mailboxes = dict(mailboxes)
        self.domain_cap = domain_cap
        self.paused: set[str] = set()
        self._queues: dict[str, list[tuple[int, QueuedMessage]]] = {}
        self._ready: list[tuple[int, str]] = []
        self._waiting: list[tuple[float, str]] = []
        self._waiting_set: set[str] = set()
        self._later: list[tuple[float, int, QueuedMessage]] = []
        self._used: dict[str, int] = dict.fromkeys(self.mailboxes, 0)
        self._turn = 0
        self._pending = 0

    def __len__(self) -> int:
        return self._pending

    def add(self, message: QueuedMessage) -> None:
        self._pending += 1
        if message.not_before > 0:
            heapq.heappush(self._later, (message.not_before, message.seq, message))
        else:
            self._enqueue(message)

    def _enqueue(self, message: QueuedMessage) -> None:
        queue = self._queues.setdefault(message.domain, [])
        heapq.heappush(queue, (message.seq, message))
        if message.domain not in self._waiting_set and queue[0][1] is message:
            heapq.heappush(self._ready, (message.seq, message.domain))

    def pause(self, mailbox: str) -> None:
        self.paused.add(mailbox)

    def next_retry(self) -> float | None:
        return self._later[0][0] if self._later else None

    def next(self, now: float, *, include_later: bool = True) -> Pick | None:
        """Remove and return the next message to send, with its mailbox and time.

        ``include_later=False`` ignores messages deferred for a retry (a run that should not
        wait a day for them). None when nothing can be sent (empty, or every mailbox paused
        or out of plan).
        """
        while True:
            mailbox: str | None = None
            when = 0.0
            used = 0
            for name, schedule in self.mailboxes.items():
                if name in self.paused:
                    continue
                candidate = schedule.earliest(now)
                if candidate is None:
                    continue
                turn = self._used[name]
                if mailbox is None or candidate < when or (candidate == when and turn < used):
                    mailbox, when, used = name, candidate, turn
            if mailbox is None:
                return None
            self._release(when)
            message = self._pop_ready()
            if message is not None:
                self._turn += 1
                self._used[mailbox] = self._turn
                self._pending -= 1
                return Pick(when, mailbox, message)
            wake = [self._waiting[0][0]] if self._waiting else []
            if include_later and self._later:
                wake.append(self._later[0][0])
            if not wake:
                return None
            now = max(now, min(wake))

    def _release(self, when: float) -> None:
        while self._later and self._later[0][0] <= when:
            _, _, message = heapq.heappop(self._later)
            self._enqueue(message)
        while self._waiting and self._waiting[0][0] <= when:
            _, domain = heapq.heappop(self._waiting)
            self._waiting_set.discard(domain)
            queue = self._queues.get(domain)
            if queue:
                heapq.heappush(self._ready, (queue[0][0], domain))

    def _pop_ready(self) -> QueuedMessage | None:
        while self._ready:
            seq, domain = heapq.heappop(self._ready)
            queue = self._queues.get(domain)
            if domain in self._waiting_set or not queue or queue[0][0] != seq:
                continue  # a stale entry
            _, message = heapq.heappop(queue)
            if queue:
                heapq.heappush(self._ready, (queue[0][0], domain))
            return message
        return None

    def record(self, pick: Pick, when: float) -> None:
        """The picked message's send attempt started at ``when``."""
        self.mailboxes[pick.mailbox].record(when)
        if self.domain_cap is None:
            return
        domain = pick.message.domain
        self.domain_cap.record(domain, when)
        free_at = self.domain_cap.earliest(domain, when)
        if free_at > when and domain not in self._waiting_set:
            self._waiting_set.add(domain)
            heapq.heappush(self._waiting, (free_at, domain))

    def put_back(self, message: QueuedMessage) -> None:
        """Return a picked message that was not sent (stopped, connection down)."""
        self.add(message)


__all__ = [
    "Dispatcher",
    "DomainCap",
    "MailboxSchedule",
    "Pick",
    "QueuedMessage",
    "SendWindow",
]
