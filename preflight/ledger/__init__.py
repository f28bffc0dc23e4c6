"""The ledger: every SQL statement preflight runs lives in this package.

A SQLite file (WAL) at a per-user location by default. Schema changes are numbered
``migrations/NNNN_name.sql`` files applied in order and recorded in ``schema_migrations``.
Each table family has its own module (a mixin of :class:`Ledger`).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import platformdirs

from preflight.errors import LedgerError
from preflight.ledger.bounces import BouncesMixin
from preflight.ledger.contacts import ContactsMixin
from preflight.ledger.followups import FollowUpsMixin
from preflight.ledger.guard import GuardedConnection
from preflight.ledger.leases import LeasesMixin
from preflight.ledger.limits import LimitsMixin
from preflight.ledger.messages import MessagesMixin
from preflight.ledger.report import ReportMixin
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


class Ledger(
    MessagesMixin,
    LeasesMixin,
    BouncesMixin,
    SuppressionMixin,
    ReportMixin,
    ContactsMixin,
    FollowUpsMixin,
    LimitsMixin,
):
    """An open ledger. Use as a context manager or call :meth:`close`."""

    def __init__(self, path: str | Path | None = None, *, busy_seconds: float = 30.0) -> None:
        self.path = Path(path) if path is not None else default_ledger_path()
        self.busy_seconds = busy_seconds
        try:
            _private_file(self.path)
            # isolation_level=None: we issue BEGIN/COMMIT ourselves so that a state change
            # is on disk before the next network step (crash safety).
            raw = sqlite3.connect(self.path, isolation_level=None, timeout=busy_seconds)
            raw.row_factory = sqlite3.Row
            self.db = cast(sqlite3.Connection, GuardedConnection(raw, self.path))
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
            self._check_integrity()
            self._migrate()
        except sqlite3.DatabaseError as error:
            raise LedgerError(f"cannot open the ledger: {error}", file=self.path) from error
        except OSError as error:
            raise LedgerError(
                f"cannot create the ledger: {error.strerror or error}", file=self.path
            ) from error

    def _check_integrity(self) -> None:
        """Every command may write: a damaged ledger stops it before it adds to the damage
        (``quick_check``: the structural checks of integrity_check, without the slow index
        comparison)."""
        problems = [row[0] for row in self.db.execute("PRAGMA quick_check(3)")]
        if problems != ["ok"]:
            self.db.close()
            raise LedgerError(
                f"the ledger fails SQLite's integrity check ({problems[0]}): restore it from a "
                "backup, or recover it with `sqlite3 FILE .recover`; preflight does not write "
                "to a damaged ledger",
                file=self.path,
            )

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def open_another(self) -> Ledger:
        """A second connection to the same ledger (the lease heartbeat's, in its thread)."""
        return type(self)(self.path, busy_seconds=self.busy_seconds)

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


def _private_file(path: Path) -> None:
    """The ledger holds recipients' addresses and replies: 0600 in a 0700 folder.

    Folders preflight creates are 0700; a new ledger file is created 0600 before SQLite
    opens it (its -wal and -shm files take the same mode); an existing ledger readable by
    others is tightened.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        mode = path.stat().st_mode
        if mode & 0o077 and path.is_file():
            with contextlib.suppress(PermissionError):
                path.chmod(0o600)


def _statements(script: str) -> list[str]:
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


__all__ = ["Ledger", "default_ledger_path", "utc_now"]
