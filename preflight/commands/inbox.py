"""CLI command of the inbox family: ``preflight inbox import``. Thin: flags in, summary out."""

from __future__ import annotations

from typing import Annotated

import typer

from preflight.commands.bounces import (
    CafileOption,
    InsecureOption,
    LedgerPathOption,
    MoveToOption,
    PasswordEnvOption,
    SinceOption,
    SourceArgument,
)

inbox_app = typer.Typer(
    help="Read what arrives after a campaign: bounces, auto-replies, replies, opt-outs.",
    no_args_is_help=True,
)


@inbox_app.command("import")
def import_(
    source: SourceArgument,
    ledger: LedgerPathOption = None,
    since: SinceOption = None,
    move_to: MoveToOption = None,
    password_env: PasswordEnvOption = None,
    cafile: CafileOption = None,
    insecure: InsecureOption = False,
    unsubscribe: Annotated[
        list[str] | None,
        typer.Option(
            "--unsubscribe",
            help="Another unsubscribe address (the campaigns' [unsubscribe] mailto addresses "
            "are known from the ledger).",
        ),
    ] = None,
) -> None:
    """Sort every message (bounce, auto-reply, reply, opt-out, other) and record it.

    Bounces are handled as `bounces import` handles them; a reply or an opt-out stops the
    person's follow-ups, an opt-out suppresses them for every campaign, an out-of-office with
    a return date holds the next step until the day after. Importing again changes nothing.

    Example: preflight inbox import ~/Maildir
    """
    from preflight.commands.bounces import _parse_since, checked_ledger, refuse_paused
    from preflight.inbox.importer import import_inbox
    from preflight.ledger import Ledger

    since_date = _parse_since(since)
    with Ledger(checked_ledger(ledger)) as opened:
        summary = import_inbox(
            opened,
            source,
            since=since_date,
            move_to=move_to,
            password_env=password_env,
            cafile=cafile,
            insecure=insecure,
            unsubscribe=set(unsubscribe or ()),
        )
    typer.echo(summary.describe())
    if summary.bounce_summary is not None:
        refuse_paused(summary.bounce_summary.paused)


def register(app: typer.Typer) -> None:
    """Add the inbox commands to the app."""
    app.add_typer(inbox_app, name="inbox")
