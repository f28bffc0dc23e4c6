"""The PostgreSQL server drops a running `preflight send` (a restart, a failover, an admin's
pg_terminate_backend): the run ends with one line, and the next run finishes the campaign
without sending anything twice."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import psycopg
from send.helpers import sample_rows
from support.postgres_server import PostgresServer

from preflight.ledger import Ledger
from reliability.processes import preflight_command, sink_process
from reliability.test_concurrent_send import BOXES, accepted, campaign


def test_a_dropped_database_connection_is_one_line_and_the_next_run_finishes(
    tmp_path: Path, postgres_server: PostgresServer, postgres_url: str
) -> None:
    rows = sample_rows(40, lambda i: f"buyer{i % 5}.example")
    maildir = tmp_path / "sink"
    with sink_process(maildir, "--reply-delay", "0.02") as port:
        folder = campaign(tmp_path / "c", port, rows, BOXES[:1], head="domain_cap = false\n")
        command = preflight_command(
            "send", "campaign.toml", "--ledger", postgres_url, "--yes", "--offline"
        )
        run = subprocess.Popen(command, cwd=folder, env=dict(os.environ),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while len(accepted(maildir)[0]) < 5 and time.monotonic() < deadline:
            time.sleep(0.02)
        with psycopg.connect(postgres_server.url, autocommit=True) as admin:
            dropped = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE application_name = 'preflight'"
            ).fetchone()
        _, err = run.communicate(timeout=60)
        assert dropped is not None and dropped[0] >= 1
        assert run.returncode == 1, err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in err, err
        assert lines[0].startswith("preflight: error: postgresql://preflight@127.0.0.1:"), err
        assert "ledger error: terminating connection due to administrator command" in lines[0], err
        again = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=120)
        assert again.returncode == 0, again.stderr
        counts, _ = accepted(maildir)
    with Ledger(postgres_url) as ledger:
        states = {r[0]: r[1] for r in ledger.db.execute("SELECT recipient, state FROM messages")}
    assert set(counts.values()) == {1}, f"sent twice: {counts}"
    assert set(states) == {row[0] for row in rows}
    assert set(states.values()) <= {"sent", "unknown"}
    assert [r for r, s in states.items() if s == "sent"] == [r for r in states if r in counts
                                                            and states[r] == "sent"]
    assert len([s for s in states.values() if s == "unknown"]) <= 1
