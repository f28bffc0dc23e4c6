"""The command line: a thin typer layer over the library.

Each command family lives in ``preflight/commands/<family>.py`` and adds itself to the
app through ``register(app)``. This module only wires them together and turns our own
errors into one line on stderr and an exit code, never a traceback.
"""

from __future__ import annotations

import sys
from importlib import import_module
from typing import Any

import typer
from typer.core import TyperGroup

from preflight import __version__
from preflight.consoles import PIPE_WIDTH
from preflight.errors import PreflightError
from preflight.terminal import visible_line

# Command name -> the family module that registers it, in the order `--help` lists them.
# Families are imported only when one of their commands runs: `preflight bounces classify`
# must not pay for dnspython, and `preflight lint` not for aiosmtplib.
COMMAND_FAMILIES: dict[str, str] = {
    "lint": "lint",
    "rules": "lint",
    "check": "check",
    "check-domain": "check",
    "warmup": "send",
    "plan": "send",
    "send": "send",
    "status": "send",
    "report": "report",
    "demo": "send",
    "bounces": "bounces",
    "inbox": "inbox",
    "contacts": "people",
    "suppress": "people",
    "ledger": "ledger",
}


def _family_group(family: str) -> TyperGroup:
    holder = typer.Typer(rich_markup_mode=None)  # the top level's plain help, one width
    import_module(f"preflight.commands.{family}").register(holder)
    return typer.main.get_group(holder)


class PreflightGroup(TyperGroup):
    """The top-level group: lazy command families; PreflightError reported as one line."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        # In a pipe there is no window to fit: help paragraphs end where their sentences do
        # (click would wrap them at 78 columns). Subcommands inherit the width.
        if not sys.stdout.isatty():
            extra.setdefault("terminal_width", PIPE_WIDTH)
            extra.setdefault("max_content_width", PIPE_WIDTH)
        return super().make_context(info_name, args, parent, **extra)

    def list_commands(self, ctx: typer.Context) -> list[str]:
        return list(COMMAND_FAMILIES)

    def get_command(self, ctx: typer.Context, cmd_name: str) -> Any:
        family = COMMAND_FAMILIES.get(cmd_name)
        if family is None:
            return super().get_command(ctx, cmd_name)
        return _family_group(family).get_command(ctx, cmd_name)

    def resolve_command(self, ctx: typer.Context, args: list[str]) -> Any:
        name = args[0] if args else ""
        if name and not name.startswith("-") and name not in COMMAND_FAMILIES:
            from difflib import get_close_matches  # only for a mistyped command

            matches = get_close_matches(name, list(COMMAND_FAMILIES), n=3, cutoff=0.6)
            hint = f" Did you mean {' or '.join(matches)}?" if matches else ""
            ctx.fail(f"No such command {name!r}.{hint}")
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: typer.Context, formatter: Any) -> None:
        """Each command's whole first sentence and its example, never cut at the width."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is None or command.hidden:
                continue
            text = (command.help or "").strip()
            summary = " ".join(text.split("\n\n", 1)[0].split())
            example = next(
                (
                    line.strip().removeprefix("Example:").strip()
                    for line in text.splitlines()
                    if line.strip().startswith("Example:")
                ),
                "",
            )
            if not example and isinstance(command, typer.core.TyperGroup):
                example = f"preflight {name} --help"
            rows.append((name, summary + (f"  e.g. {example}" if example else "")))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PreflightError as error:
            typer.echo(f"preflight: error: {visible_line(str(error))}", err=True)
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
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """preflight: fix outbound mail before and while you send it."""
