"""The send loop's rate limits, enforced with aiolimiter on the event loop's monotonic clock.

The scheduler already spaces sends (:class:`preflight.limits.Spacing`); this is the guard that
holds even when the calendar clock the scheduler reads jumps (an NTP step backwards) or a
send is attempted outside the scheduler's picks. Each slot is ``AsyncLimiter(1, interval)``:
aiolimiter's bucket starts empty and holds ``max_rate`` tokens, so ``AsyncLimiter(30, 60)``
would let 30 sends through at once and 59 within the first minute; a capacity of one admits
exactly one send per interval, which is the rule :mod:`preflight.limits` models.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from preflight.limits import _Box, rate_slots

if TYPE_CHECKING:
    from aiolimiter import AsyncLimiter


class RateLimiters:
    """One limiter per slot (a mailbox, or a host and account domain); create in the loop
    that sends. ``loop_seconds`` converts the campaign clock's seconds into the loop's (an
    accelerated demo clock runs ``speed`` times faster than the loop)."""

    def __init__(self, mailboxes: Sequence[_Box], loop_seconds: float = 1.0) -> None:
        limiters: dict[str, AsyncLimiter] = {}
        self._by_mailbox: dict[str, list[AsyncLimiter]] = {}
        for address, slots in rate_slots(mailboxes).items():
            own = []
            for key, interval in slots:
                if key not in limiters:
                    # Imported only when a slot exists: aiolimiter reads its own package
                    # metadata at import (importlib.metadata), ~50 ms of every start-up.
                    from aiolimiter import AsyncLimiter

                    limiters[key] = AsyncLimiter(1, interval * loop_seconds)
                own.append(limiters[key])
            self._by_mailbox[address] = own

    async def acquire(self, mailbox: str) -> None:
        """Wait until every slot of ``mailbox`` admits one more send, then take it."""
        for limiter in self._by_mailbox.get(mailbox, ()):
            await limiter.acquire()


__all__ = ["RateLimiters"]
