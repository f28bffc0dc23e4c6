"""Check a whole recipients list in one streaming pass, offline or with DNS.

Rows come out in file order, each with its verdict; a row the CSV reader could not read comes
out as a rejected row too, so the output accounts for every line. Memory stays flat: the
reader streams, the duplicate memory spills to a temporary file past a limit (see
:class:`~preflight.addresses.SeenMailboxes`), and the DNS pass keeps at most ``window`` rows
waiting for answers.
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from preflight.addresses import AddressChecker, AddressVerdict, Reason
from preflight.errors import RecipientsError
from preflight.recipients import RecipientReader, RecipientRow

if TYPE_CHECKING:  # only the DNS pass needs dnspython, and its caller brings it
    from preflight.dns.mailhost import MailHost, MailHostChecker


@dataclass(frozen=True, slots=True)
class CheckedRow:
    """One line of the list and what the checks concluded; ``row`` is None if unreadable."""

    line: int
    row: RecipientRow | None
    verdict: AddressVerdict


@dataclass
class ListSummary:
    """Counts per verdict and per reason code, for the closing summary."""

    rows: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    # (severity, code) -> rows; a code fixed by --fix counts under "warn".
    reasons: Counter[tuple[str, str]] = field(default_factory=Counter)
    corrected: int = 0

    def add(self, checked: CheckedRow) -> None:
        self.rows += 1
        self.verdicts[checked.verdict.verdict] += 1
        self.corrected += checked.verdict.corrected
        for key in dict.fromkeys((r.severity, r.code) for r in checked.verdict.reasons):
            self.reasons[key] += 1

    def as_dict(self) -> dict[str, object]:
        by_code: Counter[str] = Counter()
        for (_, code), count in self.reasons.items():
            by_code[code] += count
        return {
            "rows": self.rows,
            "ok": self.verdicts["ok"],
            "warn": self.verdicts["warn"],
            "reject": self.verdicts["reject"],
            "corrected": self.corrected,
            "reasons": dict(by_code.most_common()),
        }


def _rows_and_errors(reader: RecipientReader) -> Iterator[RecipientRow | RecipientsError]:
    """The reader's rows with its collected errors put back in file order.

    Errors are taken out of ``reader.errors`` once passed on, so a file full of broken rows
    does not pile them up in memory.
    """
    for row in reader:
        if reader.errors:
            yield from _drain(reader.errors)
        yield row
    yield from _drain(reader.errors)


def _drain(errors: list[RecipientsError]) -> Iterator[RecipientsError]:
    taken = errors[:]
    errors.clear()
    yield from taken


def _unreadable(error: RecipientsError) -> CheckedRow:
    reason = Reason("unreadable-row", error.message, "repair the row in the file")
    return CheckedRow(error.line or 0, None, AddressVerdict("", "reject", (reason,)))


def _offline(
    items: Iterable[RecipientRow | RecipientsError], checker: AddressChecker
) -> Iterator[CheckedRow]:
    for item in items:
        if isinstance(item, RecipientsError):
            yield _unreadable(item)
        else:
            yield CheckedRow(item.line, item, checker.check(item.email, line=item.line))


def with_value_reasons(checked: CheckedRow, columns: frozenset[str] | None) -> CheckedRow:
    """``checked`` with a ``formula`` reason for each formula-like value in ``columns`` (the
    columns a template uses; every column when None): ``send`` blocks such a row."""
    from preflight.row_values import formula_columns  # jinja2 only when a row has one

    if checked.row is None:
        return checked
    fields = checked.row.fields
    if not any(value and not value[0].isalnum() for value in fields.values()):
        return checked  # the common row: every value starts plainly
    found = formula_columns(fields, columns)
    if not found:
        return checked
    reasons = [
        Reason(
            "formula",
            f"{name} looks like a spreadsheet formula ({fields[name][:40]!r}); send blocks it",
            f"replace the {name} value with plain text",
            "warn",
        )
        for name in found
    ]
    return replace(checked, verdict=checked.verdict.with_reasons(reasons))


def check_rows(reader: RecipientReader, checker: AddressChecker) -> Iterator[CheckedRow]:
    """Offline checks of every row of ``reader`` (open it with ``on_error="collect"``)."""
    return _offline(_rows_and_errors(reader), checker)


# Rows checked offline between chances for the lookups in flight to move on.
_YIELD_EVERY = 4


async def check_rows_dns(
    reader: RecipientReader,
    checker: AddressChecker,
    mailhosts: MailHostChecker,
    *,
    window: int = 10_000,
) -> AsyncIterator[CheckedRow]:
    """Offline checks plus a mail-host lookup per domain, many domains in flight at once.

    Rows already rejected offline are not looked up. Output order is the file's: a row
    waits for its domain's answer while up to ``window`` later rows start theirs.
    """
    pending: deque[tuple[CheckedRow, MailHost | asyncio.Future[MailHost] | None]] = deque()
    for count, checked in enumerate(check_rows(reader, checker), start=1):
        verdict = checked.verdict
        lookup: MailHost | asyncio.Future[MailHost] | None = None
        if verdict.domain and verdict.verdict != "reject":
            lookup = mailhosts.known(verdict.domain) or mailhosts.start(verdict.domain)
        pending.append((checked, lookup))
        if count % _YIELD_EVERY == 0:
            await asyncio.sleep(0)  # let the lookups started so far make progress
        while pending and (len(pending) > window or _ready(pending[0][1])):
            yield await _joined(*pending.popleft())
    while pending:
        yield await _joined(*pending.popleft())


def _ready(lookup: MailHost | asyncio.Future[MailHost] | None) -> bool:
    return not isinstance(lookup, asyncio.Future) or lookup.done()


async def _joined(
    checked: CheckedRow, lookup: MailHost | asyncio.Future[MailHost] | None
) -> CheckedRow:
    if lookup is None:
        return checked
    host = await lookup if isinstance(lookup, asyncio.Future) else lookup
    reasons = host.reasons()
    if not reasons:
        return checked
    return CheckedRow(checked.line, checked.row, checked.verdict.with_reasons(reasons))


__all__ = ["CheckedRow", "ListSummary", "check_rows", "check_rows_dns"]
