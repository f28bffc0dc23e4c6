"""The ledger: every SQL statement preflight runs lives in this package.

A SQLite file (WAL) at a per-user location by default. Schema changes are numbered
``migrations/NNNN_name.sql`` files applied in order and recorded in ``schema_migrations``.
Each table family has its own module (a mixin of :class:`Ledger`).
"""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import platformdirs

from preflight.errors import LedgerError
from preflight.ledger.bounces import BouncesMixin
from preflight.ledger.leases import LeasesMixin
from preflight.ledger.limits import LimitsMixin
from preflight.ledger.messages import MessagesMixin
from preflight.ledger.suppression import SuppressionMixin

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def default_ledger_path() -> Path:
    """The per-user ledger file (``PREFLIGHT_LEDGER`` overrides it)."""
    override = os.environ.get("PREFLIGHT_LEDGER")
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir("preflight")) / "ledger.sqlite3"


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Ledger(MessagesMixin, LeasesMixin, BouncesMixin, SuppressionMixin, LimitsMixin):
    """An open ledger. Use as a context manager or call :meth:`close`."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_ledger_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: we issue BEGIN/COMMIT ourselves so that a state change
            # is on disk before the next network step (crash safety).
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.execute("PRAGMA busy_timeout=30000")
            self._migrate()
        except sqlite3.DatabaseError as error:
            raise LedgerError(f"cannot open the ledger: {error}", file=self.path) from error

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def open_another(self) -> Ledger:
        """A second connection to the same ledger (the lease heartbeat's, in its thread)."""
        return type(self)(self.path)

    def _migrate(self) -> None:
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations"
            " (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        done = {row[0] for row in self.db.execute("SELECT name FROM schema_migrations")}
        for script in sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql")):
            if script.stem in done:
                continue
            with self.transaction():
                # Asked again under the write lock: two processes opening a new ledger at
                # once must not both apply the same migration.
                again = self.db.execute(
                    "SELECT 1 FROM schema_migrations WHERE name = ?", (script.stem,)
                ).fetchone()
                if again is not None:
                    continue
                for statement in _statements(script.read_text(encoding="utf-8")):
                    self.db.execute(statement)
                self.db.execute(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                    (script.stem, utc_now()),
                )

    def integrity_ok(self) -> bool:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _statements(script: str) -> list[str]:
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


__all__ = ["Ledger", "default_ledger_path", "utc_now"]
