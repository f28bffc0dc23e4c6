"""The one clock every scheduling decision reads: real, accelerated or virtual.

The send loop never calls ``datetime.now`` or ``asyncio.sleep`` itself; it asks a clock.
:class:`SystemClock` is wall time. :class:`LoopClock` maps the event loop's own time onto
a calendar from a chosen start, optionally ``speed`` times faster: the demo uses it to run
days in seconds, and under ``looptime`` (whose loop time is virtual) a test runs a 30-day
warm-up in a second. ``preflight plan`` needs no clock at all: the schedule is pure and
takes "now" as an argument.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...

    async def sleep_until(self, when: datetime, stop: asyncio.Event | None = None) -> bool:
        """Wait until ``when``; return False early if ``stop`` is set first."""
        ...


async def _wait(seconds: float, stop: asyncio.Event | None) -> bool:
    if seconds <= 0:
        return not (stop is not None and stop.is_set())
    if stop is None:
        await asyncio.sleep(seconds)
        return True
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return True
    return False


class SystemClock:
    """Wall-clock time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep_until(self, when: datetime, stop: asyncio.Event | None = None) -> bool:
        return await _wait((when - self.now()).total_seconds(), stop)


class LoopClock:
    """Calendar time derived from the running event loop's clock.

    ``now = start + (loop.time() - loop time at creation) * speed``. Create it inside the
    loop that will run the campaign.
    """

    def __init__(self, start: datetime, speed: float = 1.0) -> None:
        if start.tzinfo is None:
            raise ValueError("LoopClock needs a timezone-aware start")
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.start = start.astimezone(UTC)
        self.speed = speed
        self._loop = asyncio.get_running_loop()
        self._origin = self._loop.time()

    def now(self) -> datetime:
        elapsed = (self._loop.time() - self._origin) * self.speed
        return self.start + timedelta(seconds=elapsed)

    async def sleep_until(self, when: datetime, stop: asyncio.Event | None = None) -> bool:
        return await _wait((when - self.now()).total_seconds() / self.speed, stop)


__all__ = ["Clock", "LoopClock", "SystemClock"]
