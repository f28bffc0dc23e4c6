"""Small wording helpers shared by the command-line output: counts with the right noun form."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo


def plural(count: int, singular: str, many: str | None = None) -> str:
    """``1 day``, ``2 days``; ``plural(1, "message was", "messages were")``."""
    if count == 1:
        return f"{count} {singular}"
    return f"{count} {many if many is not None else singular + 's'}"


def local_time(when: float | datetime, tz: tzinfo | None = None) -> str:
    """A moment as people read it in ``tz`` (the mailbox's zone), with its UTC offset:
    ``2026-12-07 09:00+01:00`` (ISO 8601, minutes), the one format the output uses."""
    moment = when if isinstance(when, datetime) else datetime.fromtimestamp(when, UTC)
    return moment.astimezone(tz or UTC).isoformat(sep=" ", timespec="minutes")


def iso_time(when: float | str | datetime | None, tz: tzinfo | None = None) -> str | None:
    """A moment for JSON output: ISO 8601 in ``tz`` (the mailbox's zone) with its offset,
    to the second (``2026-12-07T09:00:00+01:00``); a ledger time string is read first."""
    if when is None:
        return None
    if isinstance(when, str):
        when = datetime.fromisoformat(when)
    moment = when if isinstance(when, datetime) else datetime.fromtimestamp(when, UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # the ledger's times are UTC
    return moment.astimezone(tz or UTC).isoformat(timespec="seconds")


__all__ = ["iso_time", "local_time", "plural"]
