"""The ledger: every SQL statement preflight runs lives in this package.

A SQLite file (WAL) at a per-user location by default, or a PostgreSQL database a team
shares (``postgresql://user@host:port/db``); :mod:`preflight.ledger.backend` runs the same
SQL on both. Schema changes are numbered ``migrations/NNNN_name.sql`` files applied in
order and recorded in ``schema_migrations``. Each table family has its own module (a mixin
of :class:`Ledger`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from preflight.ledger import location as _location
from preflight.ledger.backend import Database, open_database
from preflight.ledger.bounces import BouncesMixin
from preflight.ledger.contacts import ContactsMixin
from preflight.ledger.followups import FollowUpsMixin
from preflight.ledger.leases import LeasesMixin
from preflight.ledger.limits import LimitsMixin
from preflight.ledger.messages import MessagesMixin
from preflight.ledger.report import ReportMixin
from preflight.ledger.suppression import SuppressionMixin

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def default_ledger_path() -> Path:
    """The per-user ledger file (``PREFLIGHT_LEDGER`` overrides it when it is a path)."""
    found = _location.resolve()
    return found if isinstance(found, Path) else _location.default_ledger_file()


def default_ledger() -> str | Path:
    """Where commands keep the ledger when ``--ledger`` is not given."""
    return _location.resolve()


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
    """An open ledger. Use as a context manager or call :meth:`close`.

    ``location`` is a file path (SQLite) or a ``postgresql://`` URL; None means the
    default (:func:`preflight.ledger.location.resolve`).
    """

    db: Database

    def __init__(
        self, location: str | Path | None = None, *, busy_seconds: float = 30.0
    ) -> None:
        resolved = _location.resolve(location)
        self.busy_seconds = busy_seconds
        # Where it is, password included when the URL has one: for a second connection,
        # never for display (``where`` is that).
        self.location = resolved
        self.db = open_database(resolved, busy_seconds=busy_seconds)
        # For SQLite, the file; for PostgreSQL, None (see ``where``).
        self.path: Path | None = resolved if isinstance(resolved, Path) else None
        # What output and errors may show: the path, or the URL without its password.
        self.where = self.db.where
        try:
            self._migrate()
        except BaseException:
            self.db.close()
            raise

    @property
    def dialect(self) -> str:
        return self.db.dialect

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def open_another(self) -> Ledger:
        """A second connection to the same ledger (the lease heartbeat's, in its thread)."""
        return type(self)(self.location, busy_seconds=self.busy_seconds)

    def _migrate(self) -> None:
        scripts = sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql"))
        with self.db.migration_lock():
            with self.transaction():
                self.db.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations"
                    " (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
                )
            done = {row[0] for row in self.db.execute("SELECT name FROM schema_migrations")}
            for script in scripts:
                if script.stem in done:
                    continue
                with self.transaction():
                    # Re-read inside the write transaction: another process may have
                    # applied it since (SQLite has no lock outside a transaction).
                    if self.db.execute(
                        "SELECT 1 FROM schema_migrations WHERE name = ?", (script.stem,)
                    ).fetchone():
                        continue
                    for statement in _statements(script.read_text(encoding="utf-8")):
                        self.db.execute(self.db.ddl(statement))
                    self.db.execute(
                        "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                        (script.stem, utc_now()),
                    )

    def applied_migrations(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT name FROM schema_migrations ORDER BY name")]

    def integrity_ok(self) -> bool:
        return self.db.integrity_ok()


def _statements(script: str) -> list[str]:
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


__all__ = ["Ledger", "default_ledger", "default_ledger_path", "utc_now"]
