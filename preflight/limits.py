"""Provider limits as scheduler gates: even spacing (per second / minute) and 24-hour quotas.

Pure and synchronous, like :mod:`preflight.schedule`, which asks each mailbox's gates for the
earliest moment they allow: ``plan`` and ``send`` therefore apply the very same rule. A gate
may be shared (the host slot of every mailbox sending through one SMTP host and account
domain, the quota of one company domain on one provider); its ``version`` changes with every
send it counts, so a mailbox knows when an answer it cached has gone stale.

The send loop enforces the same spacing again with aiolimiter (:mod:`preflight.rate_limit`),
from the same :func:`rate_slots`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from preflight.provider_limits import DAY, SendLimits


class Gate(Protocol):
    version: int

    def earliest(self, when: float) -> float:
        """The first moment at or after ``when`` this gate lets a send start."""
        ...

    def record(self, when: float) -> None:
        """A send started at ``when``."""
        ...


class Spacing:
    """At most one send every ``interval`` seconds: never a burst, whatever came before.

    This is what ``AsyncLimiter(1, interval)`` does (a leaky bucket of capacity one), and
    unlike a bucket of capacity N it keeps any window of ``N * interval`` seconds to N sends.
    """

    def __init__(self, interval: float, history: Iterable[float] = ()) -> None:
        self.interval = interval
        self.last: float | None = max(history, default=None)
        self.version = 0

    def earliest(self, when: float) -> float:
        if self.last is None:
            return when
        return max(when, self.last + self.interval)

    def record(self, when: float) -> None:
        self.last = when if self.last is None else max(self.last, when)
        self.version += 1


class RollingQuota:
    """At most ``limit`` sends in any ``period`` seconds (a day: the providers' "24 hours")."""

    def __init__(self, limit: int, period: float = DAY, history: Iterable[float] = ()) -> None:
        self.limit = limit
        self.period = period
        # Only the last `limit` sends can decide the answer.
        self._sends: deque[float] = deque(sorted(history)[-limit:], maxlen=limit)
        self.version = 0

    def earliest(self, when: float) -> float:
        sends = self._sends
        if len(sends) >= self.limit and sends[0] > when - self.period:
            return sends[0] + self.period
        return when

    def record(self, when: float) -> None:
        self._sends.append(when)
        self.version += 1


class _Box(Protocol):
    """What the gates need from a mailbox (a :class:`~preflight.campaign_config.MailboxConfig`)."""

    address: str
    host: str
    limits: SendLimits

    @property
    def domain(self) -> str: ...


def host_key(box: _Box) -> str:
    return f"host:{box.host.lower()}|{box.domain}"


def domain_key(box: _Box) -> str:
    # The domain alone: the ledger counts every mailbox of it, so the run must too.
    return f"domain:{box.domain}"


def rate_slots(mailboxes: Sequence[_Box]) -> dict[str, list[tuple[str, float]]]:
    """Each mailbox's spacing slots as ``(key, interval)``: its own, then its host's.

    Mailboxes of one account domain sending through one host share the host slot; when
    they give different host limits, the strictest holds for all of them.
    """
    host_gap: dict[str, float] = {}
    for box in mailboxes:
        gap = box.limits.host_interval
        if gap:
            host_gap[host_key(box)] = max(gap, host_gap.get(host_key(box), 0.0))
    slots: dict[str, list[tuple[str, float]]] = {}
    for box in mailboxes:
        own: list[tuple[str, float]] = []
        if box.limits.interval:
            own.append((f"mailbox:{box.address}", box.limits.interval))
        if host_key(box) in host_gap:
            own.append((host_key(box), host_gap[host_key(box)]))
        slots[box.address] = own
    return slots


def build_gates(
    mailboxes: Sequence[_Box],
    history: Callable[[str], Sequence[float]],
    domain_history: Callable[[str], Sequence[float]],
) -> dict[str, list[Gate]]:
    """The gates of every mailbox, seeded with past sends so a restart keeps every count.

    ``history(address)`` gives a mailbox's recent send times; ``domain_history(domain)`` those
    of every mailbox of a domain (other campaigns' included), both from the ledger.
    """
    shared: dict[str, Gate] = {}
    gates: dict[str, list[Gate]] = {}
    slots = rate_slots(mailboxes)
    members: dict[str, list[str]] = {}
    for box in mailboxes:
        members.setdefault(host_key(box), []).append(box.address)
    quota: dict[str, int] = {}
    for box in mailboxes:
        if box.limits.domain_per_day:
            key = domain_key(box)
            quota[key] = min(box.limits.domain_per_day, quota.get(key, box.limits.domain_per_day))
    for box in mailboxes:
        own: list[Gate] = []
        for key, interval in slots[box.address]:
            if key.startswith("mailbox:"):
                own.append(Spacing(interval, history(box.address)))
                continue
            if key not in shared:
                past = [t for m in members[key] for t in history(m)]
                shared[key] = Spacing(interval, past)
            own.append(shared[key])
        daily = box.limits.daily
        if daily:
            own.append(RollingQuota(daily, DAY, history(box.address)))
        if domain_key(box) in quota:
            key = domain_key(box)
            if key not in shared:
                shared[key] = RollingQuota(quota[key], DAY, domain_history(box.domain))
            own.append(shared[key])
        gates[box.address] = own
    return gates


__all__ = [
    "Gate",
    "RollingQuota",
    "Spacing",
    "build_gates",
    "domain_key",
    "host_key",
    "rate_slots",
]
