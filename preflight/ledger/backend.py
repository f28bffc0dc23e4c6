"""The two databases the ledger runs on, behind one small connection interface.

The ledger's SQL is written once, in the common subset of SQLite and PostgreSQL, with ``?``
placeholders. :class:`SqliteDatabase` runs it as it is; :class:`PostgresDatabase` rewrites
placeholders (and the few schema words that differ) and gives a write transaction the same
meaning as SQLite's ``BEGIN IMMEDIATE``: one writer at a time across every process on the
ledger, taken with a transaction-scoped advisory lock. Every database error leaves here as
one :class:`~preflight.errors.LedgerError` line that names the ledger (password removed).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from preflight.errors import LedgerError
from preflight.ledger.guard import ledger_error
from preflight.ledger.location import redact, secret_of

# Advisory-lock keys (any 64-bit numbers unique to preflight): one writer at a time, and
# one process applying migrations at a time.
WRITE_LOCK = 0x70726566_6C741
MIGRATE_LOCK = 0x70726566_6C742


class Cursor(Protocol):
    rowcount: int

    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Database(Protocol):
    dialect: str
    where: str

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor: ...
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...
    def begin(self) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def close(self) -> None: ...
    def ddl(self, statement: str) -> str: ...
    def migration_lock(self) -> Any: ...
    def tables(self) -> list[str]: ...
    def columns(self, table: str) -> list[str]: ...
    def references(self, table: str) -> set[str]: ...
    def stream(
        self, sql: str, params: Sequence[Any] = (), size: int = 5000
    ) -> Iterator[list[Any]]: ...
    def reset_ids(self, table: str) -> None: ...
    def integrity_ok(self) -> bool: ...


def one_line(error: BaseException, *secrets: str | None) -> str:
    """A database message as one line: its first line, then DETAIL/HINT joined by '; '.

    Any of ``secrets`` (the passwords in play) that the message quotes becomes ``***``."""
    text = "; ".join(part.strip() for part in str(error).splitlines() if part.strip())
    for secret in secrets:
        if secret and len(secret) >= 3:
            text = text.replace(secret, "***")
    return text or type(error).__name__


def _switch_to_wal(raw: sqlite3.Connection, busy_seconds: float) -> None:
    """Turn on WAL mode, waiting out another process that opens the same new file.

    Changing the journal mode needs an exclusive lock, and SQLite answers "database is locked"
    at once there instead of calling the busy handler, so two runs started together (a cron
    job and a manual run) would have one of them fail on open.
    """
    deadline = time.monotonic() + busy_seconds
    while True:
        try:
            raw.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


class SqliteDatabase:
    """One SQLite file in WAL mode; autocommit, with explicit write transactions."""

    dialect = "sqlite"

    def __init__(self, path: Path, busy_seconds: float = 30.0) -> None:
        self.path = path
        self.where = str(path)
        try:
            _private_file(path)
            # isolation_level=None: we issue BEGIN/COMMIT ourselves so that a state change
            # is on disk before the next network step (crash safety).
            self.raw = sqlite3.connect(path, isolation_level=None, timeout=busy_seconds)
            self.raw.row_factory = sqlite3.Row
            _switch_to_wal(self.raw, busy_seconds)
            self.raw.execute("PRAGMA synchronous=NORMAL")
            self.raw.execute("PRAGMA foreign_keys=ON")
            self.raw.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
            self._check_integrity()
        except sqlite3.DatabaseError as error:
            raise LedgerError(f"cannot open the ledger: {error}", file=path) from None
        except OSError as error:
            raise LedgerError(
                f"cannot create the ledger: {error.strerror or error}", file=path
            ) from None

    def _check_integrity(self) -> None:
        """Every command may write: a damaged ledger stops it before it adds to the damage
        (``quick_check``: the structural checks of integrity_check, without the slow index
        comparison)."""
        problems = [row[0] for row in self.raw.execute("PRAGMA quick_check(3)")]
        if problems != ["ok"]:
            self.raw.close()
            raise LedgerError(
                f"the ledger fails SQLite's integrity check ({problems[0]}): restore it from a "
                "backup, or recover it with `sqlite3 FILE .recover`; preflight does not write "
                "to a damaged ledger",
                file=self.path,
            )

    def _fail(self, error: sqlite3.Error) -> LedgerError:
        return ledger_error(error, self.path)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        try:
            return self.raw.execute(sql, params)
        except sqlite3.Error as error:
            raise self._fail(error) from None

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            self.raw.executemany(sql, rows)
        except sqlite3.Error as error:
            raise self._fail(error) from None

    def begin(self) -> None:
        self.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.execute("COMMIT")

    def rollback(self) -> None:
        if self.raw.in_transaction:
            self.execute("ROLLBACK")

    def close(self) -> None:
        self.raw.close()

    def ddl(self, statement: str) -> str:
        return statement

    @contextmanager
    def migration_lock(self) -> Iterator[None]:
        # Each migration runs in BEGIN IMMEDIATE and re-reads what is applied: enough.
        yield

    def tables(self) -> list[str]:
        return [
            row[0]
            for row in self.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]

    def columns(self, table: str) -> list[str]:
        return [row[1] for row in self.execute(f'PRAGMA table_info("{table}")')]

    def references(self, table: str) -> set[str]:
        return {row[2] for row in self.execute(f'PRAGMA foreign_key_list("{table}")')}

    def stream(self, sql: str, params: Sequence[Any] = (), size: int = 5000) -> Iterator[list[Any]]:
        cursor = self.execute(sql, params)
        while batch := cursor.fetchmany(size):  # type: ignore[attr-defined]
            yield batch

    def reset_ids(self, table: str) -> None:
        """SQLite's INTEGER PRIMARY KEY continues after the largest id by itself."""

    def integrity_ok(self) -> bool:
        return bool(self.execute("PRAGMA integrity_check").fetchone()[0] == "ok")


# Schema words that differ: SQLite's INTEGER is 64-bit and its INTEGER PRIMARY KEY is an
# auto-numbered row id; PostgreSQL's INTEGER is 32-bit and REAL is single precision.
_DDL = (
    (re.compile(r"\bINTEGER\s+PRIMARY\s+KEY\b", re.I),
     "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
    (re.compile(r"\bINTEGER\b", re.I), "BIGINT"),
    (re.compile(r"\bREAL\b", re.I), "DOUBLE PRECISION"),
    (re.compile(r"\bBLOB\b", re.I), "BYTEA"),
    (re.compile(r"\bAUTOINCREMENT\b", re.I), ""),
)
_INSERT_OR_IGNORE = re.compile(r"^\s*INSERT\s+OR\s+IGNORE\s+", re.I)
# SQLite words PostgreSQL spells differently. SQLite's LIKE ignores the case of ASCII letters;
# PostgreSQL's ILIKE is the operator that does.
_SPELLINGS = (
    (re.compile(r"\bLIKE\b", re.I), "ILIKE"),
    (re.compile(r"\bIFNULL\s*\(", re.I), "COALESCE("),
)
# Functions SQLite has that PostgreSQL lacks, created in the ledger's schema (only where
# missing): ROUND(REAL, digits) exists in PostgreSQL for NUMERIC only.
_COMPAT_FUNCTIONS = {
    "round": "CREATE FUNCTION round(double precision, integer) RETURNS double precision"
    " LANGUAGE SQL IMMUTABLE AS 'SELECT pg_catalog.round($1::numeric, $2)::double precision'",
}


@lru_cache(maxsize=512)
def _postgres_sql(sql: str, with_params: bool = True) -> str:
    """``?`` placeholders become ``%s`` (a literal ``%`` is doubled first: psycopg reads
    ``%`` only in a statement that has parameters)."""
    if _INSERT_OR_IGNORE.match(sql):
        sql = _INSERT_OR_IGNORE.sub("INSERT ", sql) + " ON CONFLICT DO NOTHING"
    for pattern, spelling in _SPELLINGS:
        sql = pattern.sub(spelling, sql)
    return sql.replace("%", "%%").replace("?", "%s") if with_params else sql


def _postgres_params(params: Sequence[Any]) -> Sequence[Any]:
    # SQLite stores True as 1 in an INTEGER column; PostgreSQL refuses a boolean there.
    if any(type(p) is bool for p in params):
        return [int(p) if type(p) is bool else p for p in params]
    return params


class _Row(tuple):  # type: ignore[type-arg]
    """A row readable by position and by column name, like ``sqlite3.Row``."""

    _names: dict[str, int] = {}  # noqa: RUF012 - replaced per result shape

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


@lru_cache(maxsize=256)
def _row_class(names: tuple[str, ...]) -> type[_Row]:
    return type("Row", (_Row,), {"_names": {name: i for i, name in enumerate(names)}})


def _row_factory(cursor: Any) -> Any:
    description = cursor.description
    if description is None:
        return tuple
    return _row_class(tuple(column.name for column in description))


class _PostgresCursor:
    """A psycopg cursor that also answers ``lastrowid`` as sqlite3 does (the id of the row
    an INSERT made), so the ledger's SQL need not say ``RETURNING id`` itself."""

    __slots__ = ("_cursor", "lastrowid")

    def __init__(self, cursor: Any, lastrowid: int | None = None) -> None:
        self._cursor = cursor
        self.lastrowid = lastrowid

    @property
    def rowcount(self) -> int:
        return int(self._cursor.rowcount)

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        return list(self._cursor.fetchall())

    def fetchmany(self, size: int) -> list[Any]:
        return list(self._cursor.fetchmany(size))

    def __iter__(self) -> Iterator[Any]:
        return iter(self._cursor)


_INSERT_INTO = re.compile(r'^\s*INSERT\s+INTO\s+"?(\w+)"?', re.I)
_RETURNING = re.compile(r"\bRETURNING\b", re.I)


def _is_local(host: str) -> bool:
    """A Unix socket folder or a loopback address: nothing travels off the machine."""
    if not host or host.startswith("/") or host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def tls_settings(url: str, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """What the connection to ``url`` adds so that the password never travels in clear.

    A server off this machine gets ``sslmode=verify-full`` (the certificate checked against
    ``~/.postgresql/root.crt``, else the system's CAs) unless the URL or ``PGSSLMODE`` says
    otherwise; a mode that may fall back to plain text (disable, allow, prefer) is refused.
    ``sslmode=require`` (encrypted, certificate not checked) is the explicit opt-out, like
    ``--insecure`` for SMTP.
    """
    from psycopg.conninfo import conninfo_to_dict

    env = os.environ if env is None else env
    params = {k: str(v) for k, v in conninfo_to_dict(url).items() if v is not None}
    hosts = (params.get("hostaddr") or params.get("host") or env.get("PGHOSTADDR")
             or env.get("PGHOST") or "").split(",")
    remote = [h for h in hosts if not _is_local(h.strip())]
    if not remote:
        return {}
    mode = params.get("sslmode") or env.get("PGSSLMODE")
    if mode is None:
        extra = {"sslmode": "verify-full"}
        own_ca = Path(env.get("HOME", "~")).expanduser() / ".postgresql" / "root.crt"
        if not (params.get("sslrootcert") or env.get("PGSSLROOTCERT") or own_ca.is_file()):
            extra["sslrootcert"] = "system"
        return extra
    if mode in ("disable", "allow", "prefer"):
        raise LedgerError(
            f"sslmode={mode} could send the password to {remote[0]} without TLS: leave"
            " sslmode out (verify-full) or say sslmode=require",
            field="sslmode",
        )
    return {}


class PostgresDatabase:
    """A PostgreSQL database through psycopg 3, in autocommit with explicit transactions."""

    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        self.where = redact(url)
        self._secret = secret_of(url)
        self._env_secret = os.environ.get("PGPASSWORD")
        self._lost: str | None = None  # why the connection broke, once it has
        self._id_tables: dict[str, bool] = {}  # table -> has an id column (for lastrowid)
        self.path = None
        try:
            import psycopg
        except ImportError:
            raise LedgerError(
                "a postgresql:// ledger needs psycopg: pip install 'psycopg[binary]'",
                file=self.where,
            ) from None
        self._errors = psycopg.Error
        try:
            tls = tls_settings(url)
        except LedgerError as error:
            raise LedgerError(error.message, file=self.where, field=error.field) from None
        except (psycopg.Error, ValueError) as error:
            raise LedgerError(f"not a usable URL: {self._line(error)}",
                              file=self.where) from None
        try:
            # libpq reads the password from the URL, PGPASSWORD or ~/.pgpass by itself.
            self.raw = psycopg.connect(
                url,
                **tls,
                autocommit=True,
                row_factory=_row_factory,
                connect_timeout=10,
                application_name="preflight",
            )
        except psycopg.Error as error:
            raise LedgerError(
                f"cannot open the ledger: {self._line(error)}", file=self.where
            ) from None
        except (ValueError, UnicodeError) as error:
            raise LedgerError(f"not a usable URL: {self._line(error)}",
                              file=self.where) from None

        from psycopg.types.numeric import FloatLoader

        # NUMERIC results (AVG of integers, a numeric literal) as float, as SQLite gives them.
        self.raw.adapters.register_loader("numeric", FloatLoader)

    def _line(self, error: BaseException) -> str:
        return one_line(error, self._secret, self._env_secret)

    def _fail(self, error: BaseException) -> LedgerError:
        line = self._line(error)
        if self.raw.closed or self.raw.broken:
            # Clean-up code after the failure meets a closed connection; the user must read
            # why it closed, not that it is closed.
            if self._lost is None:
                self._lost = line
            line = self._lost
        return LedgerError(f"ledger error: {line}", file=self.where)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        if sql.strip().upper() == "BEGIN IMMEDIATE":
            self.begin()
            return _PostgresCursor(self.raw.cursor())
        returning = self._needs_returning(sql)
        if returning:
            sql += " RETURNING id"
        try:
            cursor = (
                self.raw.execute(_postgres_sql(sql), _postgres_params(params))
                if params
                else self.raw.execute(_postgres_sql(sql, False))
            )
        except self._errors as error:
            raise self._fail(error) from None
        if returning:
            row = cursor.fetchone()
            return _PostgresCursor(cursor, int(row[0]) if row else None)
        return _PostgresCursor(cursor)

    def _needs_returning(self, sql: str) -> bool:
        """An INSERT into a table with an ``id`` column that does not ask for it already."""
        match = _INSERT_INTO.match(sql)
        if match is None or _RETURNING.search(sql):
            return False
        table = match.group(1).lower()
        if table not in self._id_tables:
            self._id_tables[table] = bool(
                self.raw.execute(
                    "SELECT 1 FROM information_schema.columns WHERE table_schema ="
                    " current_schema() AND table_name = %s AND column_name = 'id'",
                    (table,),
                ).fetchone()
            )
        return self._id_tables[table]

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            with self.raw.cursor() as cursor:
                cursor.executemany(_postgres_sql(sql), [_postgres_params(r) for r in rows])
        except self._errors as error:
            raise self._fail(error) from None

    def begin(self) -> None:
        # What BEGIN IMMEDIATE means on SQLite: no other writer until COMMIT, so every
        # read-then-write inside a transaction sees the state it writes over. One round trip
        # for both statements (a query without parameters may hold several).
        self.execute(f"BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})")

    def commit(self) -> None:
        self.execute("COMMIT")

    def rollback(self) -> None:
        # A dropped connection has nothing to roll back (the server did it): say nothing, so
        # that the error that dropped it is the one the user reads.
        if self.raw.closed or self.raw.broken:
            return
        if self.raw.info.transaction_status != 0:  # 0: idle, nothing to roll back
            self.execute("ROLLBACK")

    def close(self) -> None:
        self.raw.close()

    def ddl(self, statement: str) -> str:
        for pattern, replacement in _DDL:
            statement = pattern.sub(replacement, statement)
        return statement

    @contextmanager
    def migration_lock(self) -> Iterator[None]:
        # Several processes starting at once: one applies the migrations, the others wait
        # and then find them applied.
        self.execute(f"SELECT pg_advisory_lock({MIGRATE_LOCK})")
        try:
            self._create_compat_functions()
            yield
        finally:
            self.rollback()
            self.execute(f"SELECT pg_advisory_unlock({MIGRATE_LOCK})")

    def _create_compat_functions(self) -> None:
        present = {
            row[0]
            for row in self.execute(
                "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                " WHERE n.nspname = current_schema()"
            )
        }
        for name, statement in _COMPAT_FUNCTIONS.items():
            if name not in present:
                self.execute(statement)

    def tables(self) -> list[str]:
        return [
            row[0]
            for row in self.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
                " ORDER BY table_name"
            )
        ]

    def columns(self, table: str) -> list[str]:
        return [
            row[0]
            for row in self.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema ="
                " current_schema() AND table_name = ? ORDER BY ordinal_position",
                (table,),
            )
        ]

    def references(self, table: str) -> set[str]:
        return {
            row[0]
            for row in self.execute(
                "SELECT DISTINCT ccu.table_name FROM information_schema.table_constraints tc"
                " JOIN information_schema.constraint_column_usage ccu"
                " ON ccu.constraint_name = tc.constraint_name"
                " AND ccu.constraint_schema = tc.constraint_schema"
                " WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_name = ?"
                " AND tc.table_schema = current_schema()",
                (table,),
            )
        } - {table}

    def stream(self, sql: str, params: Sequence[Any] = (), size: int = 5000) -> Iterator[list[Any]]:
        """Rows in batches through a server-side cursor: a million rows never sit in memory."""
        try:
            with self.raw.transaction(), self.raw.cursor(name="preflight_stream") as cursor:
                cursor.itersize = size
                if params:
                    cursor.execute(_postgres_sql(sql), _postgres_params(params))
                else:
                    cursor.execute(_postgres_sql(sql, False))
                while batch := cursor.fetchmany(size):
                    yield batch
        except self._errors as error:
            raise self._fail(error) from None

    def reset_ids(self, table: str) -> None:
        """After rows were copied with their ids, new rows continue after the largest."""
        sequence = self.execute("SELECT pg_get_serial_sequence(?, 'id')", (table,)).fetchone()
        if sequence and sequence[0]:
            self.execute(
                f'SELECT setval(?, GREATEST((SELECT MAX(id) FROM "{table}"), 1))',
                (sequence[0],),
            )

    def integrity_ok(self) -> bool:
        """PostgreSQL enforces keys and checksums itself; a broken connection is the
        failure this can see."""
        return bool(self.execute("SELECT 1").fetchone()[0] == 1)


def open_database(
    location: str | Path, *, busy_seconds: float = 30.0
) -> SqliteDatabase | PostgresDatabase:
    from preflight.ledger.location import is_url

    if is_url(location):
        return PostgresDatabase(str(location))
    return SqliteDatabase(Path(location), busy_seconds)


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


__all__ = ["Database", "PostgresDatabase", "SqliteDatabase", "one_line", "open_database"]
