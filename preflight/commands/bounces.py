"""CLI commands of the bounces family: ``preflight bounces classify`` and ``... import``."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from preflight.errors import UsageError


class ClassifyFormat(StrEnum):
    text = "text"
    jsonl = "jsonl"


# The jsonl line of a message that holds no bounce record.
_NOT_A_BOUNCE = {"recipient": None, "status": None, "reason": None, "hard": None, "detector": None}

bounces_app = typer.Typer(
    help="Read bounce messages (DSN/NDR), classify them, import them into the ledger.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@bounces_app.command("classify")
def classify(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help=".eml files, folders of them, mbox files or Maildirs.", show_default=False
        ),
    ],
    output_format: Annotated[
        ClassifyFormat, typer.Option("--format", help="text (a table) or jsonl.")
    ] = ClassifyFormat.text,
) -> None:
    """Classify bounce messages; no ledger needed.

    Example: preflight bounces classify --format jsonl ~/Mail/bounces/
    """
    from preflight.bounces.reader import classify_message
    from preflight.bounces.sources import iter_paths

    rows: list[tuple[str, ...]] = []
    for raw in iter_paths(paths):
        records = classify_message(raw.data)
        if output_format is ClassifyFormat.jsonl:
            lines = [{"file": raw.location, **record.as_dict()} for record in records]
            for line in lines or [{"file": raw.location, **_NOT_A_BOUNCE}]:
                sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
        elif not records:
            rows.append((raw.location, "-", "-", "not a bounce", "-", "-"))
        else:
            rows.extend(
                (
                    raw.location,
                    record.recipient or "-",
                    record.status or "-",
                    record.reason,
                    "hard" if record.hard else "soft" if record.is_bounce else "-",
                    record.detector,
                )
                for record in records
            )
    if output_format is ClassifyFormat.text:
        _print_table(("file", "recipient", "status", "reason", "hard", "detector"), rows)


def _print_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from preflight.terminal import visible_line

    table = Table(*header, box=None, pad_edge=False)
    for row in rows:
        # Text, not markup: a path or header holding "[/x]" is data, not a rich tag.
        table.add_row(*(Text(visible_line(cell)) for cell in row))
    Console(width=200, soft_wrap=False).print(table)


def _parse_since(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as error:
        raise UsageError(f"not a date (YYYY-MM-DD): {value!r}", field="--since") from error


# The options of every command that reads a mailbox (`bounces import`, `inbox import`).
SourceArgument = Annotated[
    str,
    typer.Argument(
        help="An mbox file, a Maildir, a folder of .eml files, or "
        "imaps://user@host[:port]/FOLDER (imap:// uses STARTTLS).",
        show_default=False,
    ),
]
LedgerPathOption = Annotated[
    str | None,
    typer.Option(
        "--ledger",
        help="The ledger: a file or postgresql://user@host:port/db (default: per-user).",
    ),
]
SinceOption = Annotated[
    str | None,
    typer.Option("--since", help="IMAP: only messages since this date (YYYY-MM-DD)."),
]
MoveToOption = Annotated[
    str | None,
    typer.Option(
        "--move-to", help="IMAP: move processed messages to this folder (created if missing)."
    ),
]
PasswordEnvOption = Annotated[
    str | None,
    typer.Option(
        "--password-env",
        help="IMAP: the environment variable "
        "holding the password (default PREFLIGHT_IMAP_PASSWORD).",
    ),
]
CafileOption = Annotated[
    Path | None, typer.Option("--cafile", help="IMAP: trust this CA certificate file.")
]
InsecureOption = Annotated[
    bool,
    typer.Option(
        "--insecure",
        help="IMAP: do not verify the server certificate (loopback servers only, for tests).",
    ),
]


def checked_ledger(ledger: str | None) -> str | None:
    """The ``--ledger`` value of an import command, validated before anything is read."""
    from preflight.ledger.location import check_location

    return check_location(ledger) if ledger else None


def refuse_paused(paused: dict[str, str]) -> None:
    """Fail an import that paused a sending mailbox.

    A paused mailbox needs the user before it sends again: a failing exit code, so the cron
    job that imports bounces notices.
    """
    if paused:
        from preflight.errors import MailboxError

        raise MailboxError(
            "; ".join(f"sending mailbox {box} paused: {why}" for box, why in sorted(paused.items()))
            + " (preflight send CAMPAIGN --unpause after fixing)"
        )


@bounces_app.command("import")
def import_(
    source: SourceArgument,
    ledger: LedgerPathOption = None,
    since: SinceOption = None,
    move_to: MoveToOption = None,
    password_env: PasswordEnvOption = None,
    cafile: CafileOption = None,
    insecure: InsecureOption = False,
) -> None:
    """Import bounces into the ledger: match sends, update them, suppress hard bounces.

    Example: PREFLIGHT_IMAP_PASSWORD=... preflight bounces import
    imaps://me@mail.example.com/INBOX --since 2026-11-01 --move-to Bounces
    """
    from preflight.bounces.importer import import_source
    from preflight.ledger import Ledger

    since_date = _parse_since(since)
    with Ledger(checked_ledger(ledger)) as opened:
        summary = import_source(
            opened,
            source,
            since=since_date,
            move_to=move_to,
            password_env=password_env,
            cafile=cafile,
            insecure=insecure,
        )
    typer.echo(summary.describe())
    refuse_paused(summary.paused)


def register(app: typer.Typer) -> None:
    """Add the bounces commands to the app."""
    app.add_typer(bounces_app, name="bounces")
