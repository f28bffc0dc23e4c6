"""CLI commands of the ledger family: ``preflight ledger migrate``."""

from __future__ import annotations

from typing import Annotated

import typer

ledger_app = typer.Typer(
    help="The ledger itself: copy a personal ledger into a team's PostgreSQL database.",
    no_args_is_help=True,
)


@ledger_app.command("migrate")
def migrate(
    source: Annotated[
        str,
        typer.Option("--from", help="The ledger to copy: a file or a postgresql:// URL.",
                     show_default=False),
    ],
    target: Annotated[
        str,
        typer.Option("--to", help="The ledger to copy into, e.g. postgresql://user@host/db.",
                     show_default=False),
    ],
) -> None:
    """Copy a whole ledger (every table, with its ids) and check the counts.

    Safe to run again: rows already there are left as they are. The password comes from
    PGPASSWORD or ~/.pgpass (or the URL); it is never printed.

    Example: preflight ledger migrate --from ~/.local/share/preflight/ledger.sqlite3
    --to postgresql://ann@db.example.com/sales
    """
    from preflight.ledger.copy import copy_ledger
    from preflight.ledger.location import check_location, redact

    report = copy_ledger(check_location(source), check_location(target))
    width = max(len(r.table) for r in report) if report else 5
    for row in report:
        typer.echo(
            f"{row.table:<{width}}  {row.source:>10,} in source  {row.copied:>10,} copied"
            f"  {row.target:>10,} in target"
        )
    copied = sum(r.copied for r in report)
    typer.echo(
        f"counts match: {redact(target)} holds every row of {redact(source)}"
        + (f" ({copied:,} rows copied)" if copied else " (nothing to copy: already there)")
    )


def register(app: typer.Typer) -> None:
    """Add the ledger commands to the app."""
    app.add_typer(ledger_app, name="ledger")
