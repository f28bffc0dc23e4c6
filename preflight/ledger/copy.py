"""``preflight ledger migrate``: copy a whole ledger into another, e.g. a file into PostgreSQL.

Every table the schema has (messages, attempts, bounces, suppression, contacts, ... whatever
the migrations made) is copied row for row with its ids, parents before children, in one
transaction on the target: an interrupted copy leaves the target as it was. Rows already
in the target (same key) are left alone, so running it again copies nothing. The counts are
checked before the transaction commits; a mismatch rolls everything back.

The target must be empty or hold an earlier copy of this same source: a ledger that holds
someone else's history would mix ids, and is refused before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from preflight.errors import LedgerError, UsageError
from preflight.ledger import Ledger
from preflight.ledger.location import is_url, redact

SKIP = frozenset({"schema_migrations"})  # each ledger records its own migrations
BATCH = 5000


@dataclass(frozen=True)
class TableCopy:
    table: str
    source: int  # rows in the source
    before: int  # rows the target had before
    copied: int  # rows this run added
    target: int  # rows the target has after


def _count(ledger: Ledger, table: str) -> int:
    return int(ledger.db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])


def _ordered(ledger: Ledger, tables: list[str]) -> list[str]:
    """Parents before children, so foreign keys hold at every insert."""
    done: list[str] = []
    pending = {t: ledger.db.references(t) & set(tables) for t in tables}
    while pending:
        ready = sorted(t for t, parents in pending.items() if parents <= set(done))
        if not ready:  # a cycle: the schema has none, but never loop forever
            ready = sorted(pending)
        for table in ready:
            done.append(table)
            del pending[table]
    return done


def _key(columns: list[str]) -> str:
    return "id" if "id" in columns else ", ".join(f'"{c}"' for c in columns)


def _same_history(source: Ledger, target: Ledger, tables: list[str]) -> str | None:
    """Why ``target`` is not empty nor an earlier copy of ``source`` (None when it is)."""
    for table in tables:
        has = _count(target, table)
        if has == 0:
            continue
        if has > _count(source, table):
            return f"its {table} table has more rows than the source"
    if "campaigns" in tables:
        theirs = {tuple(r) for r in target.db.execute("SELECT id, name FROM campaigns")}
        ours = {tuple(r) for r in source.db.execute("SELECT id, name FROM campaigns")}
        if not theirs <= ours:
            return "it holds campaigns the source does not have"
    return None


def copy_ledger(source: str | Path, target: str | Path) -> list[TableCopy]:
    """Copy every row of ``source`` into ``target``; returns what happened per table."""
    if not is_url(source) and not Path(source).is_file():
        raise UsageError(f"no ledger at {source}", field="--from")
    if redact(source) == redact(target):
        raise UsageError("--from and --to are the same ledger", field="--to")
    with Ledger(source) as src, Ledger(target) as dst:
        if src.applied_migrations() != dst.applied_migrations():
            raise LedgerError(
                "the two ledgers are at different schema versions: upgrade preflight",
                file=dst.where,
            )
        tables = [t for t in src.db.tables() if t not in SKIP]
        missing = sorted(set(tables) - set(dst.db.tables()))
        if missing:
            raise LedgerError(f"the target has no table {missing[0]}", file=dst.where)
        tables = _ordered(src, tables)
        why = _same_history(src, dst, tables)
        if why:
            raise LedgerError(
                f"the target already holds another history ({why}): migrate copies one"
                " ledger into an empty one",
                file=dst.where,
            )
        report: list[TableCopy] = []
        with dst.transaction():
            for table in tables:
                report.append(_copy_table(src, dst, table))
            for table in tables:
                if "id" in dst.db.columns(table):
                    dst.db.reset_ids(table)
            wrong = [r for r in report if r.target != r.source]
            if wrong:
                first = wrong[0]
                raise LedgerError(
                    f"counts differ after the copy: {first.table} has {first.source:,} rows"
                    f" in the source and {first.target:,} in the target; nothing was changed",
                    file=dst.where,
                )
        return report


def _copy_table(src: Ledger, dst: Ledger, table: str) -> TableCopy:
    columns = src.db.columns(table)
    if set(columns) - set(dst.db.columns(table)):
        raise LedgerError(f"the target's {table} table has other columns", file=dst.where)
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" * len(columns))
    insert = f'INSERT INTO "{table}" ({names}) VALUES ({marks}) ON CONFLICT DO NOTHING'
    before = _count(dst, table)
    source_rows = 0
    for batch in src.db.stream(f'SELECT {names} FROM "{table}" ORDER BY {_key(columns)}',
                               size=BATCH):
        source_rows += len(batch)
        try:
            dst.db.executemany(insert, [tuple(row) for row in batch])
        except LedgerError as error:
            raise LedgerError(f"copying {table}: {error.message}", file=dst.where) from None
    after = _count(dst, table)
    return TableCopy(table, source_rows, before, after - before, after)


__all__ = ["TableCopy", "copy_ledger"]
