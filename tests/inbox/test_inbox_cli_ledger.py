"""`inbox import` validates --ledger as `bounces import` does, before reading anything."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from preflight.cli import app


def test_inbox_import_refuses_a_ledger_url_it_cannot_read(tmp_path: Path) -> None:
    maildir = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    for family in ("inbox", "bounces"):
        result = CliRunner().invoke(
            app, [family, "import", str(maildir), "--ledger", "mysql://u:secret@h/db"]
        )
        assert result.exit_code == 2, (family, result.output)
        assert "not a ledger" in result.output, (family, result.output)
        assert "secret" not in result.output
