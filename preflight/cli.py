"""The command line: a thin typer layer over the library.

Each command family lives in ``preflight/commands/<family>.py`` and adds itself to the
app through ``register(app)``. This module only wires them together and turns our own
errors into one line on stderr and an exit code, never a traceback.
"""

from __future__ import annotations

import sys
from typing import Any

import click
import typer
from typer.core import TyperGroup

from preflight import __version__
from preflight.errors import PreflightError


class PreflightGroup(TyperGroup):
    """A command group that reports :class:`PreflightError` as one line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PreflightError as error:
            click.echo(f"preflight: error: {error}", err=True)
            sys.exit(error.exit_code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"preflight {__version__}")
        raise typer.Exit()


app = typer.Typer(
    cls=PreflightGroup,
    help="Lint, check, pace and track outbound email so it lands in the inbox.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """preflight: fix outbound mail before and while you send it."""


def _register_commands() -> None:
    # Explicit, ordered list: the help output follows it.
    from preflight.commands import bounces, check, lint, send

    for family in (lint, check, send, bounces):
        family.register(app)


_register_commands()
