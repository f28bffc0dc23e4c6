"""CLI commands about people: ``contacts show|export`` and ``suppress add|remove|list|import|
export``. Thin: each parses flags, calls the library and prints."""

from __future__ import annotations

import csv
import json
import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from preflight.commands.bounces import checked_ledger
from preflight.commands.send import LedgerOption

contacts_app = typer.Typer(
    help="People across all campaigns: one record per mailbox, with its history.",
    no_args_is_help=True,
)
suppress_app = typer.Typer(
    help="The suppression list shared by every campaign: add, remove, list, import, export.",
    no_args_is_help=True,
)


class ShowFormat(StrEnum):
    text = "text"
    json = "json"


class ExportFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


_EXPORT_COLUMNS = (
    "address", "status", "first_contact", "last_contact", "campaigns", "last_reply",
    "last_bounce_reason", "suppressed", "identity",
)  # fmt: skip


def _now() -> datetime:
    return datetime.now(UTC)


def _stamp() -> str:
    from preflight.ledger.messages import iso

    return iso(_now())


@contacts_app.command("show")
def contacts_show(
    address: Annotated[str, typer.Argument(help="Any spelling of the person's address.")],
    ledger: LedgerOption = None,
    output_format: Annotated[
        ShowFormat, typer.Option("--format", help="text or json.")
    ] = ShowFormat.text,
) -> None:
    """One person's record and every message, reply, bounce and opt-out, with time and campaign.

    Example: preflight contacts show anna.schmidt@nordlicht.example
    """
    from rich.console import Console
    from rich.table import Table

    from preflight.contacts import show
    from preflight.errors import UsageError
    from preflight.ledger import Ledger

    with Ledger(checked_ledger(ledger)) as opened:
        record, history = show(opened, address, _stamp())
    if not history and record.suppressed is None and not record.addresses:
        raise UsageError(f"the ledger knows nobody at {address!r}", field="ADDRESS")
    if output_format is ShowFormat.json:
        data = record.as_dict()
        data["history"] = [
            {"at": i.at, "kind": i.kind, "address": i.address, "campaign": i.campaign,
             "step": i.step, "detail": i.detail}
            for i in history
        ]  # fmt: skip
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    console = Console(highlight=False, soft_wrap=True, width=160)
    console.print(f"{record.address}: {record.status}", markup=False)
    if len(record.addresses) > 1:
        console.print(f"addresses: {', '.join(record.addresses)}", markup=False)
    if record.suppressed:
        console.print(f"suppressed: {record.suppressed}", markup=False)
    table = Table("time (UTC)", "event", "campaign", "address", "detail", box=None, pad_edge=False)
    for item in history:
        table.add_row(
            (item.at or "")[:19].replace("T", " "),
            item.kind,
            (item.campaign or "-") + (f" #{item.step}" if item.step else ""),
            item.address,
            item.detail or "",
        )
    console.print(table)


@contacts_app.command("export")
def contacts_export(
    ledger: LedgerOption = None,
    output_format: Annotated[
        ExportFormat, typer.Option("--format", help="csv (for a spreadsheet) or jsonl.")
    ] = ExportFormat.csv,
) -> None:
    """Every person: address, status, first and last contact, campaigns, last reply, last
    bounce reason. Written to stdout.

    Example: preflight contacts export --format csv > contacts.csv
    """
    from preflight.contacts import export
    from preflight.ledger import Ledger
    from preflight.recipients import safe_csv_row

    writer = csv.writer(sys.stdout) if output_format is ExportFormat.csv else None
    with Ledger(checked_ledger(ledger)) as opened:  # a wrong --ledger fails before any line
        if writer is not None:
            writer.writerow(_EXPORT_COLUMNS)
        for record in export(opened, _stamp()):
            data = record.as_dict()
            if writer is None:
                sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
                continue
            data["campaigns"] = "; ".join(record.campaigns)
            writer.writerow(safe_csv_row(str(data[c] or "") for c in _EXPORT_COLUMNS))


@suppress_app.command("add")
def suppress_add(
    addresses: Annotated[list[str], typer.Argument(help="Addresses to suppress.")],
    reason: Annotated[str | None, typer.Option(help="Why (kept in the list).")] = None,
    ledger: LedgerOption = None,
) -> None:
    """Never send to these addresses again, from any campaign.

    Example: preflight suppress add buyer@example.com --reason "asked by phone"
    """
    from preflight import suppression_list
    from preflight.ledger import Ledger

    with Ledger(checked_ledger(ledger)) as opened:
        change = suppression_list.add(opened, addresses, reason=reason, now=_now())
    typer.echo(f"suppressed {len(change.changed)}, already suppressed {len(change.unchanged)}")


@suppress_app.command("remove")
def suppress_remove(
    addresses: Annotated[list[str], typer.Argument(help="Addresses to take off the list.")],
    ledger: LedgerOption = None,
) -> None:
    """Take addresses off the suppression list (the person's history keeps both events).

    Example: preflight suppress remove buyer@example.com
    """
    from preflight import suppression_list
    from preflight.ledger import Ledger

    with Ledger(checked_ledger(ledger)) as opened:
        change = suppression_list.remove(opened, addresses, now=_now())
    typer.echo(f"removed {len(change.changed)}, not on the list {len(change.unchanged)}")


@suppress_app.command("list")
def suppress_list(ledger: LedgerOption = None) -> None:
    """Print the suppression list: address, reason, source, since.

    Example: preflight suppress list
    """
    from preflight import suppression_list
    from preflight.ledger import Ledger

    with Ledger(checked_ledger(ledger)) as opened:
        items = suppression_list.entries(opened)
    for entry in items:
        typer.echo(f"{entry.address}\t{entry.reason}\t{entry.source}\t{entry.created_at[:10]}")
    typer.echo(f"{len(items)} suppressed", err=True)


@suppress_app.command("import")
def suppress_import(
    file: Annotated[Path, typer.Argument(help="A CSV with an email column (reason optional).")],
    ledger: LedgerOption = None,
) -> None:
    """Suppress every address of a CSV; the file is checked whole before anything is written.

    Example: preflight suppress import do-not-contact.csv
    """
    from preflight import suppression_list
    from preflight.ledger import Ledger

    with Ledger(checked_ledger(ledger)) as opened:
        change = suppression_list.import_csv(opened, file, now=_now())
    typer.echo(f"suppressed {len(change.changed)}, already suppressed {len(change.unchanged)}")


@suppress_app.command("export")
def suppress_export(ledger: LedgerOption = None) -> None:
    """Write the suppression list as CSV to stdout (the columns `suppress import` reads).

    Example: preflight suppress export > suppressed.csv
    """
    from preflight import suppression_list
    from preflight.ledger import Ledger

    with Ledger(checked_ledger(ledger)) as opened:
        suppression_list.export_csv(opened, sys.stdout)


def register(app: typer.Typer) -> None:
    """Add the people commands to the app."""
    app.add_typer(contacts_app, name="contacts")
    app.add_typer(suppress_app, name="suppress")
