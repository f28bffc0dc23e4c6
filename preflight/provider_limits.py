"""A mailbox provider's documented sending limits, and when its "limit reached" wears off.

The numbers live in ``provider_limits.toml`` (one table per provider, each with its source and
the date it was read). A mailbox names its ``provider`` and may override any number in its
``[mailbox.limits]`` table; :func:`resolve_limits` merges the two into :class:`SendLimits`.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from preflight.errors import ConfigError

DATA_FILE = Path(__file__).resolve().parent / "provider_limits.toml"
DAY = 86400.0
# The numbers a mailbox may override; `false` switches one off.
NUMBERS = (
    "per_second",
    "per_minute",
    "per_day",
    "recipients_per_day",
    "host_per_second",
    "host_per_minute",
    "domain_per_day",
)
_ENTRY_KEYS = {*NUMBERS, "name", "reset", "timezone", "source", "checked", "note", "hosts"}
RESETS = ("rolling", "midnight")


@dataclass(frozen=True)
class SendLimits:
    """The limits one mailbox sends under. None means no limit of that kind."""

    provider: str | None = None
    per_second: int | None = None
    per_minute: int | None = None
    per_day: int | None = None
    recipients_per_day: int | None = None
    host_per_second: int | None = None
    host_per_minute: int | None = None
    domain_per_day: int | None = None
    reset: str = "rolling"
    timezone: str = "UTC"

    @property
    def active(self) -> bool:
        return any(getattr(self, name) is not None for name in NUMBERS)

    @property
    def label(self) -> str:
        return self.provider or "provider"

    @property
    def interval(self) -> float | None:
        """Seconds between two sends of this mailbox (its per-second and per-minute limits)."""
        return _interval(self.per_second, self.per_minute)

    @property
    def host_interval(self) -> float | None:
        """Seconds between two sends through this mailbox's host and account domain."""
        return _interval(self.host_per_second, self.host_per_minute)

    @property
    def daily(self) -> int | None:
        """Messages in any 24 hours: one recipient per message, so recipients count alike."""
        caps = [c for c in (self.per_day, self.recipients_per_day) if c is not None]
        return min(caps) if caps else None


def _interval(per_second: int | None, per_minute: int | None) -> float | None:
    # The stricter spacing of the two: one send per interval is never a burst above either.
    gaps = [1.0 / per_second if per_second else 0.0, 60.0 / per_minute if per_minute else 0.0]
    gap = max(gaps)
    return gap or None


@dataclass(frozen=True)
class ProviderEntry:
    key: str
    name: str
    limits: SendLimits
    source: str
    checked: date
    note: str = ""
    hosts: tuple[str, ...] = ()


@cache
def providers() -> dict[str, ProviderEntry]:
    """Every provider in the data file, by key."""
    try:
        data = tomllib.loads(DATA_FILE.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"cannot read the provider limits: {error}", file=DATA_FILE) from error
    return {key: _entry(key, raw) for key, raw in data.items()}


def _entry(key: str, raw: Any) -> ProviderEntry:
    def fail(message: str, name: str) -> ConfigError:
        return ConfigError(message, file=DATA_FILE, field=f"{key}.{name}")

    if not isinstance(raw, dict):
        raise fail("must be a table", "")
    unknown = set(raw) - _ENTRY_KEYS
    if unknown:
        raise fail("unknown key", sorted(unknown)[0])
    for name in ("source", "checked"):
        if not raw.get(name):
            raise fail("every provider needs a source and the date it was checked", name)
    if not isinstance(raw["checked"], date):
        raise fail("must be a date", "checked")
    numbers = {name: _number(raw.get(name), lambda m, n=name: fail(m, n)) for name in NUMBERS}
    limits = SendLimits(provider=key, **numbers, **_reset(raw, fail))
    return ProviderEntry(
        key=key,
        name=str(raw.get("name", key)),
        limits=limits,
        source=str(raw["source"]),
        checked=raw["checked"],
        note=str(raw.get("note", "")),
        hosts=tuple(str(h).lower() for h in raw.get("hosts", ())),
    )


def _number(value: Any, fail: Callable[[str], ConfigError]) -> int | None:
    if value is None or value is False:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise fail("must be a whole number of at least 1, or false for no limit")
    return value


def _reset(raw: Mapping[str, Any], fail: Callable[[str, str], ConfigError]) -> dict[str, str]:
    reset = raw.get("reset", "rolling")
    if reset not in RESETS:
        raise fail(f"must be one of {', '.join(RESETS)}", "reset")
    zone = raw.get("timezone", "UTC")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
        raise fail(f"unknown time zone {zone!r}", "timezone") from error
    return {"reset": reset, "timezone": zone}


def resolve_limits(
    provider: str | None, overrides: Any, fail: Callable[[str, str], ConfigError]
) -> SendLimits:
    """A mailbox's limits: its provider's numbers with its own ``[mailbox.limits]`` on top.

    ``fail(message, key)`` builds the error naming the campaign file's key ("provider",
    "limits.per_minute").
    """
    if provider is None and overrides is None:
        return SendLimits()
    known = providers()
    if provider is not None and provider not in known:
        raise fail(f"unknown provider {provider!r} (known: {', '.join(known)})", "provider")
    base = known[provider].limits if provider else SendLimits()
    if overrides is None:
        return base
    if not isinstance(overrides, dict):
        raise fail("must be a table of limits", "limits")
    allowed = {*NUMBERS, "reset", "timezone"}
    values: dict[str, Any] = {f.name: getattr(base, f.name) for f in fields(SendLimits)}
    for name, value in overrides.items():
        if name not in allowed:
            raise fail(f"unknown key (known: {', '.join(sorted(allowed))})", f"limits.{name}")
        if name in NUMBERS:
            values[name] = _number(value, lambda m, n=name: fail(m, f"limits.{n}"))
    values.update(_reset({**values, **overrides}, lambda m, n: fail(m, f"limits.{n}")))
    if provider is None:
        values["provider"] = "custom"
    return SendLimits(**values)


def providers_for_host(host: str) -> list[str]:
    """The providers whose submission host this is (a hint for a mailbox without one)."""
    host = host.lower().rstrip(".")
    return [
        key
        for key, entry in providers().items()
        if any(fnmatch.fnmatchcase(host, pattern) for pattern in entry.hosts)
    ]


# "try again in 2 hours", "retry after 30 minutes", "wait 45 seconds"
_AFTER = re.compile(
    r"(?:try again|retry|wait|resume)\D{0,20}?(\d{1,5})\s*(second|sec|minute|min|hour|hr)s?\b",
    re.IGNORECASE,
)
# "until 2026-12-02T08:00:00Z", "after 2026-12-02 08:00 UTC"
_STAMP = re.compile(
    r"(?:until|after|at|before)\s+(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?)"
    r"\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?",
    re.IGNORECASE,
)
_UNITS = {"second": 1, "sec": 1, "minute": 60, "min": 60, "hour": 3600, "hr": 3600}


def reset_at(limits: SendLimits, text: str, now: float) -> float:
    """When a provider's "limit reached" answer wears off: the time the answer names, else
    the provider's reset (24 hours later, or the next midnight in its time zone)."""
    named = _named_time(text, now)
    if named is not None and named > now:
        return named
    if limits.reset == "midnight":
        tz = ZoneInfo(limits.timezone)
        today = datetime.fromtimestamp(now, tz).date()
        return datetime.combine(today + timedelta(days=1), time(), tz).timestamp()
    return now + DAY


def _named_time(text: str, now: float) -> float | None:
    stamp = _STAMP.search(text)
    if stamp:
        zone = (stamp.group(2) or "UTC").upper()
        zone = "+00:00" if zone in ("Z", "UTC", "GMT") else zone
        try:
            return datetime.fromisoformat(f"{stamp.group(1).replace(' ', 'T')}{zone}").timestamp()
        except ValueError:
            pass
    after = _AFTER.search(text)
    if after:
        return now + int(after.group(1)) * _UNITS[after.group(2).lower()]
    return None


def binding_limit(plan_cap: int, limits: SendLimits, window_hours: float) -> tuple[int, str]:
    """The daily limit that binds a mailbox on a day, and what it is ("plan", "microsoft365
    per day", ...). Ties go to the plan: the provider's limit only binds when it is lower."""
    best = (plan_cap, "plan")
    candidates: list[tuple[float | None, str]] = [
        (limits.daily, "per day"),
        (limits.domain_per_day, "domain quota"),
    ]
    if limits.interval:
        candidates.append((window_hours * 3600 / limits.interval, "rate"))
    if limits.host_interval:
        candidates.append((window_hours * 3600 / limits.host_interval, "host rate"))
    for value, what in candidates:
        if value is not None and int(value) < best[0]:
            best = (int(value), f"{limits.label} {what}")
    return best


__all__ = [
    "NUMBERS",
    "ProviderEntry",
    "SendLimits",
    "binding_limit",
    "providers",
    "providers_for_host",
    "reset_at",
    "resolve_limits",
]
