"""CLI commands of the check family: ``preflight check`` and ``preflight check-domain``."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable
from contextlib import ExitStack
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from preflight.errors import UsageError
from preflight.wording import plural

# The library is imported inside the commands: `preflight --help` loads every family, and
# neither it nor an offline `preflight check` should pay for dnspython and email-validator.
if TYPE_CHECKING:
    from preflight.addresses import AddressChecker
    from preflight.dnscheck import DomainReport
    from preflight.ledger import Ledger
    from preflight.listcheck import CheckedRow, ListSummary
    from preflight.listreport import CleanListWriter
    from preflight.recipients import RecipientReader

# The text report lists this many problem rows; jsonl and csv list every row.
TEXT_ROW_LIMIT = 100


class ListFormat(StrEnum):
    text = "text"
    jsonl = "jsonl"
    csv = "csv"


class DomainFormat(StrEnum):
    text = "text"
    json = "json"


def _open_ledger(where: str | None) -> Ledger | None:
    """The ledger named, or the default one if it exists; never create one just to read."""
    from preflight.ledger import Ledger, default_ledger
    from preflight.ledger.location import check_location, is_url

    if where is not None:
        check_location(where)
        if not is_url(where) and not Path(where).is_file():
            raise UsageError(f"no ledger at {where}", field="--ledger")
        return Ledger(where)
    default = default_ledger()
    if isinstance(default, Path) and not default.is_file():
        return None
    return Ledger(default)


def check(
    recipients: Annotated[
        Path, typer.Argument(help="The recipients CSV (UTF-8, a header row with an email column).")
    ],
    dns: Annotated[
        bool, typer.Option("--dns", help="Also check that each domain can receive mail (MX).")
    ] = False,
    output_format: Annotated[
        ListFormat,
        typer.Option("--format", help="text: problems and a summary; jsonl/csv: every row."),
    ] = ListFormat.text,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the rows worth sending (ok and warn) to this CSV."),
    ] = None,
    fix: Annotated[
        bool,
        typer.Option("--fix", help="Repair what can be repaired (typos, spaces) in --out."),
    ] = False,
    ledger: Annotated[
        str | None,
        typer.Option(
            "--ledger",
            help="Suppression list to check against: a ledger file or postgresql:// URL"
            " (default: yours, if it exists).",
        ),
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds to wait for each DNS answer.")
    ] = 3.0,
    template: Annotated[
        Path | None,
        typer.Option(
            "--template",
            help="The template the list is for: formula-like values are looked for in the "
            "columns it uses (default: every column).",
        ),
    ] = None,
) -> None:
    """Check a recipients list: each row is ok, warn or reject, with the reasons and a fix.

    Exit code 1 when a row is rejected, unless --out wrote the list without those rows.

    Example: preflight check leads.csv --dns --fix --out leads-clean.csv
    """
    if out is not None and out.resolve() == recipients.resolve():
        raise UsageError("--out must not overwrite the list being checked", field="--out")
    if timeout <= 0:
        raise UsageError("must be more than 0 seconds", field="--timeout")
    from preflight.addresses import AddressChecker
    from preflight.consoles import file_progress
    from preflight.listcheck import ListSummary, check_rows, with_value_reasons
    from preflight.listreport import CleanListWriter
    from preflight.recipients import read_recipients

    used: frozenset[str] | None = None
    if template is not None:
        from preflight.templates import load_template

        used = load_template(template).variables
    summary = ListSummary()
    emit = _Emitter(str(recipients), output_format)
    domains: int | None = None  # None: DNS not checked
    with ExitStack() as stack:
        reader = stack.enter_context(read_recipients(recipients, on_error="collect"))
        opened = _open_ledger(ledger)
        if opened is not None:
            stack.enter_context(opened)
        writer = None
        if out is not None:
            writer = stack.enter_context(CleanListWriter(out, reader.columns, reader.email_column))
        checker = AddressChecker(opened.suppression if opened else None, fix=fix)
        columns = used if used is not None else frozenset(reader.columns) - {reader.email_column}

        step = stack.enter_context(
            file_progress(recipients, lambda: reader.bytes_read, f"checking {recipients.name}")
        )

        def take(checked: CheckedRow) -> None:
            step()
            checked = with_value_reasons(checked, columns)
            summary.add(checked)
            emit(checked)
            if writer is not None:
                writer.write(checked, use_corrected=fix)

        if dns:
            import asyncio

            domains = asyncio.run(_run_dns(reader, checker, take, timeout))
        else:
            for checked in check_rows(reader, checker):
                take(checked)
    _finish(str(recipients), output_format, summary, emit, opened, domains, writer)
    if summary.verdicts["reject"] and out is None:
        raise typer.Exit(1)


async def _run_dns(
    reader: RecipientReader,
    checker: AddressChecker,
    take: Callable[[CheckedRow], None],
    timeout: float,
) -> int:
    from preflight.dns.mailhost import MailHostChecker
    from preflight.dns.resolver import Lookups, make_resolver
    from preflight.listcheck import check_rows_dns

    mailhosts = MailHostChecker(Lookups(make_resolver(timeout=timeout), remember=False))
    async for checked in check_rows_dns(reader, checker, mailhosts):
        take(checked)
    return mailhosts.domains_checked


class _Emitter:
    """Prints each row as the chosen format asks; text keeps only the first problem rows."""

    def __init__(self, source: str, output_format: ListFormat) -> None:
        from preflight import listreport

        self._report = listreport  # imported once here, not per row
        self.source = source
        self.format = output_format
        self.hidden = 0
        self.shown = 0
        self._csv = csv.writer(sys.stdout, lineterminator="\n")
        if output_format is ListFormat.csv:
            self._csv.writerow(listreport.REPORT_COLUMNS)

    def __call__(self, checked: CheckedRow) -> None:
        if self.format is ListFormat.jsonl:
            typer.echo(self._report.jsonl_line(checked))
        elif self.format is ListFormat.csv:
            self._csv.writerow(self._report.report_csv_row(checked))
        elif checked.verdict.verdict != "ok":
            if self.shown < TEXT_ROW_LIMIT:
                typer.echo(self._report.text_line(self.source, checked))
                self.shown += 1
            else:
                self.hidden += 1


def _finish(
    source: str,
    output_format: ListFormat,
    summary: ListSummary,
    emit: _Emitter,
    ledger: Ledger | None,
    domains: int | None,
    writer: CleanListWriter | None,
) -> None:
    from preflight.ledger import default_ledger_path
    from preflight.listreport import summary_lines

    to_stderr = output_format is not ListFormat.text
    lines = []
    if emit.hidden:
        lines.append(
            f"… and {emit.hidden:,} more rows with problems (--format jsonl or csv lists all)"
        )
    lines += summary_lines(source, summary)
    lines.append(
        f"suppression list: {ledger.where}"
        if ledger
        else f"suppression list: not checked (no ledger at {default_ledger_path()})"
    )
    lines.append(
        "DNS: not checked (add --dns)" if domains is None else f"DNS: {domains:,} domains checked"
    )
    if writer is not None:
        lines.append(f"wrote {writer.rows:,} rows to {writer.path}")
    for line in lines:
        typer.echo(line, err=to_stderr)


def check_domain(
    domain: Annotated[str, typer.Argument(help="The domain you send from (the From address's).")],
    selector: Annotated[
        list[str] | None,
        typer.Option(
            "--selector",
            "-s",
            help="DKIM selector to check (repeat for more); default: common ones.",
        ),
    ] = None,
    ip: Annotated[
        str | None,
        typer.Option("--ip", help="The IP your mail leaves from: SPF, PTR and blocklist checks."),
    ] = None,
    output_format: Annotated[
        DomainFormat, typer.Option("--format", help="text for people, json for scripts.")
    ] = DomainFormat.text,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds to wait for each DNS answer.")
    ] = 3.0,
) -> None:
    """Audit a sending domain: MX, SPF, DKIM, DMARC, reverse DNS and blocklists.

    Exit code 1 when any check fails.

    Example: preflight check-domain example.com --selector google --ip 192.0.2.10
    """
    if timeout <= 0:
        raise UsageError("must be more than 0 seconds", field="--timeout")
    from preflight.dnscheck import audit_domain

    report = audit_domain(domain, selectors=selector or (), ip=ip, timeout=timeout)
    if output_format is DomainFormat.json:
        typer.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        for line in domain_report_lines(report):
            typer.echo(line)
    if report.failed():
        raise typer.Exit(1)


def _shorten(text: str, width: int = 110) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def domain_report_lines(report: DomainReport) -> list[str]:
    """The text form of a domain audit: one block per check, then the counts."""
    ip = f" from {report.ip}" if report.ip else ""
    lines = [f"{report.domain}{ip}"]
    width = max(len(check.name) for check in report.checks)
    status_width = max(4, *(len(check.status) for check in report.checks))
    for check in report.checks:
        lines.append(
            f"  {check.status.upper():<{status_width}}  {check.name:<{width}}  {check.message}"
        )
        pad = " " * (width + status_width + 6)
        if check.record and check.status != "pass":
            lines.append(f"{pad}record: {_shorten(check.record)}")
        if check.fix and check.status != "pass":
            lines.append(f"{pad}fix: {check.fix}")
    counts = {
        status: sum(c.status == status for c in report.checks)
        for status in ("fail", "unverified", "warn", "pass")
    }
    unverified = f"{counts['unverified']} unverified (no answer), " if counts["unverified"] else ""
    lines.append(
        f"{counts['fail']} failed, {unverified}{plural(counts['warn'], 'warning')}, "
        f"{counts['pass']} passed"
    )
    return lines


def register(app: typer.Typer) -> None:
    """Add the check commands to the app."""
    app.command("check")(check)
    app.command("check-domain")(check_domain)
