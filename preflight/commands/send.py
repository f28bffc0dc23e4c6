"""CLI commands of the send family."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the send commands to the app."""
