"""The suppression list by hand: add, remove, list, import a CSV, export a CSV.

Every change goes through the outcome applier, so a manual suppression is in the person's
history like an opt-out or a bounce. A CSV round-trips: ``export`` writes the columns
``import`` reads (``email`` and, optionally, ``reason``).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

from preflight.errors import InputError, UsageError
from preflight.ledger import Ledger
from preflight.ledger.suppression import Suppression, normalize_address
from preflight.outcomes import Event, OutcomeApplier
from preflight.recipients import read_recipients, safe_csv_row

EXPORT_COLUMNS = ("email", "reason", "source", "detail", "created_at")
# Good enough to refuse what is certainly not an address; `check` does the thorough job.
_ADDRESS = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
_UNGUARD = re.compile(r"^'(?=[=+\-@\t\r])")


def _checked(address: str, where: str, *, file: Path | None = None, line: int | None = None) -> str:
    spelling = normalize_address(address)
    if not _ADDRESS.match(spelling):
        raise (InputError if file else UsageError)(
            f"not an email address: {address!r}", file=file, line=line, field=where
        )
    return spelling


@dataclass
class ListChange:
    changed: list[str]
    unchanged: list[str]


def add(
    ledger: Ledger, addresses: Iterable[str], *, reason: str | None, now: datetime,
    source_kind: str = "suppressed", detail: str | None = None,
) -> ListChange:  # fmt: skip
    """Suppress each address for every campaign; all are checked before any is written."""
    spellings = [_checked(a, "ADDRESS") for a in addresses]
    return _apply(ledger, spellings, source_kind, reason or "manual", now, detail)


def remove(ledger: Ledger, addresses: Iterable[str], *, now: datetime) -> ListChange:
    """Lift the suppression of each address (and of the same person's other spellings)."""
    spellings = [_checked(a, "ADDRESS") for a in addresses]
    return _apply(ledger, spellings, "unsuppressed", None, now, None)


def _apply(
    ledger: Ledger,
    spellings: list[str],
    kind: str,
    reason: str | None,
    now: datetime,
    detail: str | None,
) -> ListChange:
    applier = OutcomeApplier(ledger, now)
    result = ListChange([], [])
    with ledger.transaction():
        for spelling in spellings:
            done = applier.apply(
                Event(kind, spelling, now, reason=reason, detail=detail or reason, source="cli")
            )
            (result.changed if done else result.unchanged).append(spelling)
    return result


def import_csv(ledger: Ledger, path: Path, *, now: datetime) -> ListChange:
    """Suppress every address of a CSV with an ``email`` column (``reason`` optional).

    The whole file is read and checked first: a bad row stops the import, naming its line,
    and nothing is written.
    """
    rows: list[tuple[str, str | None]] = []
    with read_recipients(path) as reader:
        for row in reader:
            spelling = _checked(row.email, "email", file=path, line=row.line)
            reason = _UNGUARD.sub("", row.fields.get("reason", "").strip()) or None
            rows.append((spelling, reason))
    applier = OutcomeApplier(ledger, now)
    result = ListChange([], [])
    with ledger.transaction():
        for spelling, reason in rows:
            done = applier.apply(
                Event(
                    "imported",
                    spelling,
                    now,
                    reason=reason or "import",
                    detail=f"imported from {path.name}",
                    source=str(path),
                )
            )
            (result.changed if done else result.unchanged).append(spelling)
    return result


def entries(ledger: Ledger) -> list[Suppression]:
    return ledger.suppressions()


def export_csv(ledger: Ledger, out: TextIO) -> int:
    """Write the list as CSV (formula-like cells made inert); returns the row count."""
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for entry in ledger.suppressions():
        writer.writerow(
            safe_csv_row(
                (entry.address, entry.reason, entry.source, entry.detail or "", entry.created_at)
            )
        )
        count += 1
    return count


__all__ = ["EXPORT_COLUMNS", "ListChange", "add", "entries", "export_csv", "import_csv", "remove"]
