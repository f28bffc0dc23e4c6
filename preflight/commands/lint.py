"""CLI commands of the lint family."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the lint commands to the app."""
