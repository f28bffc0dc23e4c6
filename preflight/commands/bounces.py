"""CLI commands of the bounces family."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the bounces commands to the app."""
