"""Every SQLite error the ledger meets becomes one :class:`LedgerError` line, not a traceback
(:class:`preflight.ledger.backend.SqliteDatabase` raises what :func:`ledger_error` makes).

A full disk or a ledger locked by another program for longer than the busy timeout can hit
any statement, mid-send included; the send loop commits every state change before the next
network step, so stopping with one line there loses nothing (the next run resumes).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from preflight.errors import LedgerError


def ledger_error(error: sqlite3.Error, path: Path) -> LedgerError:
    text = str(error) or type(error).__name__
    lowered = text.lower()
    if "full" in lowered:
        hint = "free some disk space, then run the same command again: it resumes"
    elif "locked" in lowered or "busy" in lowered:
        hint = (
            "another program holds the ledger locked; close it (a database browser, a backup "
            "tool) and run the same command again: it resumes"
        )
    elif "readonly" in lowered or "read-only" in lowered:
        hint = "the ledger file or its folder is not writable by this user"
    else:
        hint = "the ledger may be damaged: `sqlite3 FILE 'PRAGMA integrity_check'` tells"
    return LedgerError(f"cannot use the ledger: {text} — {hint}", file=path)


__all__ = ["ledger_error"]
