"""CLI commands of the lint family: ``preflight lint`` and ``preflight rules``."""

from __future__ import annotations

import sys
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from preflight.errors import PreflightError
from preflight.terminal import visible_line

EXIT_FAILED = 1
EXIT_INPUT_ERROR = 2


class ReportFormat(StrEnum):
    text = "text"
    json = "json"
    jsonl = "jsonl"
    github = "github"
    sarif = "sarif"


class RulesFormat(StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"


def lint(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Drafts to lint: .eml files, .j2 templates, or folders searched for both.",
            metavar="PATH",
            show_default=False,
        ),
    ],
    select: Annotated[
        list[str] | None,
        typer.Option(
            "--select",
            metavar="RULES",
            help="Only these rules: code prefixes or rule names, comma-separated or repeated "
            "(replaces the configured list).",
        ),
    ] = None,
    ignore: Annotated[
        list[str] | None,
        typer.Option(
            "--ignore", metavar="RULES", help="Skip these rules (added to the configured list)."
        ),
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold",
            metavar="SCORE",
            help="A draft fails at this score or above (default 5.0).",
        ),
    ] = None,
    output_format: Annotated[
        ReportFormat, typer.Option("--format", help="How to print the reports.")
    ] = ReportFormat.text,
    exit_zero: Annotated[
        bool,
        typer.Option("--exit-zero", help="Exit 0 even when drafts fail (errors still exit 2)."),
    ] = False,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            metavar="FILE",
            help="Read settings from this file instead of the nearest preflight.toml "
            "or pyproject.toml [tool.preflight].",
        ),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data", metavar="FILE", help="Render templates with the row(s) of this JSON file."
        ),
    ] = None,
    recipients: Annotated[
        Path | None,
        typer.Option(
            "--recipients", metavar="FILE", help="Render templates once per row of this CSV file."
        ),
    ] = None,
    sample: Annotated[
        int | None,
        typer.Option(
            "--sample",
            metavar="N",
            help="Render only N rows of --data/--recipients, picked at "
            "random (the same rows every run).",
        ),
    ] = None,
    campaign: Annotated[
        Path | None,
        typer.Option(
            "--campaign",
            metavar="FILE",
            help="Render templates from this campaign's first mailbox (default: the lint "
            "'sender' setting, else a campaign file beside the template that sends it).",
        ),
    ] = None,
) -> None:
    """Score drafts for what spam filters punish, and say how to fix it.

    Exit code 0 when every draft passes, 1 when any fails, 2 for usage, configuration or
    input errors (each printed as one line naming the file, line or field).

    Example: preflight lint templates/first-contact.j2 --recipients leads.csv --sample 5
    """
    # Imported here, not at the top: every other `preflight` command starts faster.
    from preflight.lint.config import load_config, split_selectors, with_overrides
    from preflight.lint.formatters import make_formatter
    from preflight.lint.inputs import TemplateData, lint_paths
    from preflight.lint.rules import all_rules

    # Configuration and data files are checked before any draft is read.
    lint_config = with_overrides(
        load_config(config),
        select=split_selectors(select),
        ignore=split_selectors(ignore),
        threshold=threshold,
    )
    lint_config = replace(lint_config, sender=_sender(lint_config.sender, campaign, paths))
    template_data = TemplateData(data=data, recipients=recipients, sample=sample)
    formatter = make_formatter(output_format.value, sys.stdout, all_rules())

    def report_error(error: PreflightError) -> None:
        formatter.input_error()
        sys.stdout.flush()  # keep the order of stdout and stderr lines readable
        typer.echo(f"preflight: error: {visible_line(str(error))}", err=True)

    for item, report in lint_paths(paths, lint_config, data=template_data, on_error=report_error):
        formatter.report(report, item.path)
    formatter.finish()
    sys.stdout.flush()
    if formatter.errors:
        raise typer.Exit(EXIT_INPUT_ERROR)
    if formatter.failed and not exit_zero:
        raise typer.Exit(EXIT_FAILED)


def _sender(configured: str, campaign: Path | None, paths: list[Path]) -> str:
    """Who templates are rendered from: --campaign's mailbox, the lint setting, or the
    mailbox of a campaign beside the first template that has one."""
    from preflight.lint.config import DEFAULT_SENDER
    from preflight.lint.inputs import is_template

    # campaign_config (zoneinfo, policies, warm-up plans: 0.04 s) only for templates.
    if campaign is not None:
        from preflight.campaign_config import load_campaign

        mailboxes = load_campaign(campaign).mailboxes
        return mailboxes[0].from_header if mailboxes else configured
    if configured != DEFAULT_SENDER:
        return configured
    for path in paths:
        if is_template(path) and path.is_file():
            from preflight.campaign_config import campaign_sender

            found = campaign_sender(path)
            if found:
                return found
    return configured


def rules(
    output_format: Annotated[
        RulesFormat, typer.Option("--format", help="text, a Markdown table, or JSON.")
    ] = RulesFormat.text,
) -> None:
    """List every lint rule: code, name, points and what it flags.

    Example: preflight rules --format markdown
    """
    from preflight.lint.formatters import RULE_FORMATS
    from preflight.lint.rules import all_rules

    typer.echo(RULE_FORMATS[output_format.value](all_rules()))


def register(app: typer.Typer) -> None:
    """Add the lint commands to the app."""
    app.command("lint")(lint)
    app.command("rules")(rules)
