"""`preflight status` (and `contacts export`, where the command exists) on a ledger holding
1,000,000 messages, on SQLite and on PostgreSQL in the same run.

The ledger is filled with plain SQL (one campaign of N messages over 10 mailboxes and 5,000
recipient domains in every state, one attempt per message, 1% of the recipients suppressed)
so that building it costs seconds, not a send of a million messages. Each command then runs
as the real CLI in a child process, best of three, start-up included. The peer of every
PostgreSQL figure is the SQLite figure of the same command in the same run (and the CLI's
bare start-up, `preflight --version`). PostgreSQL is a throw-away server on 127.0.0.1 with
fsync on, or the one ``--postgresql URL`` names (an empty database). Nothing leaves
127.0.0.1.

    .venv/bin/python bench/ledger_scale.py [--messages 1000000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from send_throughput import postgres_ledger, write_campaign

from preflight.ledger import Ledger

STAMP = "'2026-11-02T10:00:00.000+00:00'"
# One SELECT over the numbers 1..N that both databases run (only the number source differs).
ROWS = (
    "SELECT 1, 'r' || i || '@d' || (i % 5000) || '.example', 'box' || (i % 10) || '@team.example',"
    " '<' || i || '.bench@team.example>',"
    " CASE i % 20 WHEN 0 THEN 'bounced' WHEN 1 THEN 'queued' WHEN 2 THEN 'deferred'"
    " WHEN 3 THEN 'unknown' ELSE 'sent' END,"
    f" 1, {STAMP}, {STAMP}, {STAMP}, i, i FROM numbers"
)
INSERT = (
    "INSERT INTO messages (campaign_id, recipient, mailbox, message_id, state, attempts,"
    " created_at, updated_at, sent_at, seq, id) "
)
NUMBERS = {
    "sqlite": "WITH RECURSIVE numbers(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM numbers"
    " WHERE i < {n}) ",
    "postgresql": "WITH numbers(i) AS (SELECT generate_series(1, {n})) ",
}


def fill(location: str | Path, messages: int) -> float:
    began = time.perf_counter()
    with Ledger(location) as ledger:
        numbers = NUMBERS[ledger.dialect].format(n=messages)
        with ledger.transaction():
            ledger.db.execute(
                "INSERT INTO campaigns (id, name, created_at) VALUES (1, 'bench', "
                + STAMP
                + ")"
            )
            ledger.db.execute(numbers + INSERT + ROWS)
            ledger.db.execute(
                "INSERT INTO attempts (message_row, mailbox, recipient_domain, started_at,"
                " outcome) SELECT id, mailbox, substr(recipient, instr(recipient, '@') + 1),"
                " sent_at, state FROM messages"
                if ledger.dialect == "sqlite"
                else "INSERT INTO attempts (message_row, mailbox, recipient_domain, started_at,"
                " outcome) SELECT id, mailbox, split_part(recipient, '@', 2), sent_at, state"
                " FROM messages"
            )
            ledger.db.execute(
                "INSERT INTO suppression (address, reason, source, created_at)"
                f" SELECT recipient, 'userunknown', 'bounce', {STAMP} FROM messages"
                " WHERE id % 100 = 0"
            )
            ledger.db.reset_ids("messages")
            ledger.db.reset_ids("attempts")
            ledger.db.reset_ids("campaigns")
        if ledger.dialect == "postgresql":
            ledger.db.execute("ANALYZE")
        count = ledger.db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
        assert count == messages, count
    return time.perf_counter() - began


def best_of(command: list[str], cwd: Path, runs: int = 3) -> tuple[float, str]:
    times = []
    out = ""
    for _ in range(runs):
        began = time.perf_counter()
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)
        times.append(time.perf_counter() - began)
        assert result.returncode == 0, result.stderr
        out = result.stdout
    return min(times), out


def has_command(name: str) -> bool:
    from preflight.cli import COMMAND_FAMILIES

    return name in COMMAND_FAMILIES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--postgresql", help="a PostgreSQL ledger URL to use (empty database)")
    args = parser.parse_args()
    cli = [sys.executable, "-m", "preflight"]
    with tempfile.TemporaryDirectory() as tmp, postgres_ledger(args.postgresql) as url:
        folder = Path(tmp)
        campaign = write_campaign(folder, 1, 25)
        ledgers: dict[str, str | Path] = {"SQLite": folder / "ledger.sqlite3", "PostgreSQL": url}
        startup, _ = best_of([*cli, "--version"], folder)
        print(f"CLI start-up (preflight --version): {startup:.2f} s")
        results: dict[str, dict[str, float]] = {}
        for name, location in ledgers.items():
            built = fill(location, args.messages)
            print(f"{name}: {args.messages:,} messages + attempts written in {built:.1f} s")
            results[name] = {}
            status, out = best_of([*cli, "status", str(campaign), "--ledger", str(location)],
                                  folder)
            assert "bench" in out or "sent" in out, out
            results[name]["status"] = status
            print(f"  preflight status: {status:.2f} s")
            if has_command("contacts"):
                seconds, out = best_of(
                    [*cli, "contacts", "export", "--ledger", str(location), "--format", "csv"],
                    folder,
                )
                people = out.count("\n") - 1  # the header line
                assert people >= args.messages // 2, people  # every recipient is a person
                results[name]["contacts export"] = seconds
                print(f"  preflight contacts export: {seconds:.2f} s ({people:,} people)")
        for command in results["SQLite"]:
            ratio = results["PostgreSQL"][command] / results["SQLite"][command]
            print(f"ratio PostgreSQL/SQLite, {command}: {ratio:.2f}")
        if not has_command("contacts"):
            print("contacts export: not measured (no `preflight contacts` command in this build)")
    os.environ.pop("PGPASSWORD", None)


if __name__ == "__main__":
    main()
