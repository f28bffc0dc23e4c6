"""CLI command `report`: the campaign as one self-contained HTML page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from preflight.commands.send import CampaignArgument, LedgerOption, _open


def report(
    campaign: CampaignArgument,
    ledger: LedgerOption = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="The HTML file to write (default: CAMPAIGN-report.html)."
        ),
    ] = None,
) -> None:
    """Write the campaign report: one HTML file with charts that opens offline.

    Sends per day against each mailbox's warm-up cap, outcomes, the hard-bounce
    rate against the brake, each mailbox's health and fix, the top bounce reasons
    and the lint scores of what was sent. A campaign only planned shows its plan.
    `preflight status CAMPAIGN --format json` prints the same numbers.

    Example: preflight report campaign.toml -o report.html
    """
    from preflight.report.data import gather
    from preflight.report.page import write_page

    config, opened = _open(campaign, ledger)
    with opened:
        data = gather(config, opened)
    path = output or campaign.with_name(f"{campaign.stem}-report.html")
    write_page(data, path)
    typer.echo(f"wrote {path}")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
