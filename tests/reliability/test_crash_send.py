"""Crash safety of ``preflight send``: SIGKILL at random moments, restart, repeat.

A real ``preflight send`` process sends a 300-recipient campaign (limits lifted) to a sink in
another process that stores every message it accepts in a Maildir. The sender is killed
with SIGKILL at 20+ random moments (seeded; the seed is printed) and restarted each time
until the campaign ends. Afterwards every recipient was accepted exactly once, except the
messages the ledger calls ``unknown`` (at most one per kill, none accepted twice); nothing is
lost; the ledger passes its integrity check. Runs on both ledger backends (on PostgreSQL
with 150 recipients and 10 kills, to keep the suite's time).
"""

from __future__ import annotations

import mailbox
import os
import random
from collections import Counter
from pathlib import Path

from send.helpers import FAST_PLAN, TEMPLATE, mailbox_toml, sample_rows, write_recipients

from preflight.ledger import Ledger
from reliability.processes import crash_seed, kill_and_restart, preflight_command, sink_process

RECIPIENTS = 300
KILLS = 22
# On PostgreSQL each restart also connects and every statement is a round trip to the
# server's own process: fewer kills keep the test's time near the SQLite one. A kill is the
# same event for the server either way (the connection drops, its transaction rolls back).
POSTGRESQL_KILLS = 10
POSTGRESQL_RECIPIENTS = 150
BOX = "li.wei@brightline.example"


def accepted(maildir: Path) -> Counter[str]:
    """How many times the sink accepted a message for each recipient (its Delivered-To)."""
    counts: Counter[str] = Counter()
    for message in mailbox.Maildir(maildir, create=False):
        for recipient in message.get_all("Delivered-To", []):
            counts[recipient] += 1
    return counts


def stored(maildir: Path) -> int:
    try:
        return len(os.listdir(maildir / "new"))
    except FileNotFoundError:
        return 0


def test_sigkill_at_random_moments_never_sends_twice_or_loses_a_message(
    tmp_path: Path, ledger_at: str
) -> None:
    seed = crash_seed()
    maildir = tmp_path / "sink"
    on_sqlite = ledger_at.endswith(".sqlite3")
    count = RECIPIENTS if on_sqlite else POSTGRESQL_RECIPIENTS
    rows = sample_rows(count, lambda i: f"buyer{i % 40}.example")
    expected = {row[0] for row in rows}
    (tmp_path / "fast.toml").write_text(FAST_PLAN, encoding="utf-8")
    (tmp_path / "t.j2").write_text(TEMPLATE, encoding="utf-8")
    write_recipients(tmp_path / "r.csv", rows)
    ledger = ledger_at
    kills = KILLS if on_sqlite else POSTGRESQL_KILLS
    # A few milliseconds between storing a message and answering 250: the window in which
    # a kill leaves a message delivered but not recorded as sent.
    with sink_process(maildir, "--reply-delay", "0.004") as port:
        (tmp_path / "campaign.toml").write_text(
            '[campaign]\nname = "crash"\ntemplate = "t.j2"\nrecipients = "r.csv"\n'
            "domain_cap = false\n" + mailbox_toml(BOX, port),
            encoding="utf-8",
        )
        command = preflight_command(
            "send", "campaign.toml", "--ledger", ledger, "--yes", "--offline"
        )

        def delay(rng: random.Random, at_work: bool) -> float:
            # Mid-send: a few messages in. Otherwise anywhere in start-up and validation.
            return rng.uniform(0.0, 0.05) if at_work else rng.uniform(0.0, 0.8)

        log, final = kill_and_restart(
            command,
            cwd=tmp_path,
            kills=kills,
            seed=seed,
            progress=lambda: stored(maildir),
            delay=delay,
        )
    assert final.returncode == 0, f"{final.stderr}; {log}"
    assert log.kills >= kills - 2 and log.kills_mid_work >= kills * 2 // 3, (
        f"not enough kills: {log}"
    )

    opened = Ledger(ledger)
    assert opened.integrity_ok(), str(log)
    db = opened.db
    states = {r[0]: r[1] for r in db.execute("SELECT recipient, state FROM messages")}
    attempts = Counter(
        r
        for (r,) in db.execute(
            "SELECT m.recipient FROM attempts a JOIN messages m ON m.id = a.message_row"
        )
    )
    db.close()
    counts = accepted(maildir)
    # Nothing lost: every recipient has a row, in a settled state.
    assert set(states) == expected, str(log)
    assert set(states.values()) <= {"sent", "unknown"}, f"{Counter(states.values())}; {log}"
    unknown = {r for r, s in states.items() if s == "unknown"}
    assert len(unknown) <= log.kills, f"{len(unknown)} unknown for {log.kills} kills; {log}"
    for recipient, state in states.items():
        if state == "sent":
            assert counts[recipient] == 1, f"{recipient} sent, accepted {counts[recipient]}x; {log}"
        else:
            assert counts[recipient] <= 1, f"{recipient} unknown, accepted twice; {log}"
        assert attempts[recipient] == 1, f"{recipient}: {attempts[recipient]} attempts; {log}"
    assert set(counts) <= expected
    print(
        f"{log}; sent {len(states) - len(unknown)}, unknown {len(unknown)} "
        f"(accepted {sum(counts[r] for r in unknown)} of them)"
    )
