"""Crash safety of the people features: a SIGKILL in the middle of ``inbox import`` or of a
follow-up send, restarted until done, leaves nothing done twice.

* ``inbox import``: a ledger with 120 sent messages meets a Maildir of 304 replies,
  out-of-office notes, opt-outs and mails to the unsubscribe address. One copy imports it in
  one go; another is killed at random moments (seeded, printed) and restarted. Both end with
  the same contact events (one per message, none twice) and the same suppressions.
* follow-up send: the first mails of a 120-person campaign go out; then the follow-up step is
  sent by a ``preflight send`` that is killed at random moments and restarted. Every person is
  accepted at most once per step, exactly once unless the ledger says ``unknown``.
"""

from __future__ import annotations

import mailbox
import shutil
import sqlite3
import subprocess
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from inbox.mail import out_of_office, reply, to_unsubscribe, write_maildir
from send.helpers import FAST_PLAN, START, TEMPLATE, mailbox_toml, sample_rows, write_recipients

from preflight.contacts import remember
from preflight.ledger import Ledger
from preflight.ledger.messages import AttemptResult, RowRecord, iso
from reliability.processes import crash_seed, kill_and_restart, preflight_command, sink_process

BOX = "li.wei@brightline.example"
UNSUB = "unsub@brightline.example"


def sent_ledger(path: Path, count: int) -> dict[str, str]:
    """A ledger that sent one message to each of ``count`` people; recipient -> Message-ID."""
    stamp = iso(START)
    ids: dict[str, str] = {}
    with Ledger(path) as ledger:
        campaign = ledger.campaign_id("crash", stamp)
        ledger.store_policy(campaign, {"unsubscribe_mailto": UNSUB}, stamp)
        rows = [RowRecord(i, i + 1, f"p{i}@buyer{i % 30}.example", {}, "queued")
                for i in range(count)]  # fmt: skip
        remember(ledger, (r.recipient for r in rows), stamp)
        ledger.store_rows(campaign, rows, stamp)
        for row_id, recipient in ledger.db.execute(
            "SELECT id, recipient FROM messages"
        ).fetchall():
            message_id = f"<m{row_id}@brightline.example>"
            domain = recipient.rsplit("@", 1)[1]
            attempt = ledger.mark_sending(row_id, BOX, domain, message_id, stamp)
            ledger.record_result(row_id, attempt, AttemptResult("sent", 250), mailbox=BOX,
                                 domain=domain, message_id=message_id, started_at=stamp,
                                 now=stamp)  # fmt: skip
            ids[recipient] = message_id
    return ids


def inbox_of(folder: Path, ids: dict[str, str]) -> Path:
    messages = []
    when = START + timedelta(days=1)
    for n, (person, message_id) in enumerate(sorted(ids.items())):
        messages.append(reply(person, BOX, message_id, "Yes, send prices.", when, 4 * n))
        messages.append(out_of_office(person, BOX, message_id, "January 20, 2026", when, 4 * n + 1))
        if n % 3 == 0:
            messages.append(reply(person, BOX, message_id, "Please remove me.", when, 4 * n + 2))
        if n % 5 == 0:
            messages.append(to_unsubscribe(person, UNSUB, when, 4 * n + 3))
    return write_maildir(folder, messages)


def outcome(path: Path) -> dict[str, list[tuple[object, ...]]]:
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return {
            "events": db.execute(
                "SELECT fingerprint, identity, address, kind, at, campaign, message_row,"
                " until_date, detail, source FROM contact_events ORDER BY fingerprint"
            ).fetchall(),
            "suppression": db.execute(
                "SELECT address, reason, source FROM suppression ORDER BY address"
            ).fetchall(),
            "messages": db.execute("SELECT id, state FROM messages ORDER BY id").fetchall(),
        }
    finally:
        db.close()


def counter(path: Path, query: str) -> Callable[[], int]:
    def count() -> int:
        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.05)
            try:
                return int(db.execute(query).fetchone()[0])
            finally:
                db.close()
        except sqlite3.OperationalError:
            return -1

    return count


def test_killed_inbox_import_does_nothing_twice(tmp_path: Path) -> None:
    seed = crash_seed()
    whole = tmp_path / "whole.sqlite3"
    ids = sent_ledger(whole, 120)
    inbox = inbox_of(tmp_path / "Maildir", ids)
    killed = tmp_path / "killed.sqlite3"
    shutil.copyfile(whole, killed)
    done = subprocess.run(
        preflight_command("inbox", "import", str(inbox), "--ledger", str(whole)),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    again = subprocess.run(
        preflight_command("inbox", "import", str(inbox), "--ledger", str(whole)),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert "already imported: 304" in again.stdout, again.stdout
    expected = outcome(whole)
    assert len(expected["events"]) == 120 + 120 + 40 + 24
    log, final = kill_and_restart(
        preflight_command("inbox", "import", str(inbox), "--ledger", str(killed)),
        cwd=tmp_path,
        kills=10,
        seed=seed,
        progress=counter(killed, "SELECT COUNT(*) FROM contact_events"),
        delay=lambda rng, at_work: rng.uniform(0.0, 0.05) if at_work else rng.uniform(0, 0.6),
    )
    assert final.returncode == 0, f"{final.stderr}; {log}"
    assert log.kills_mid_work >= 5, str(log)
    assert "read 304 messages" in final.stdout, final.stdout
    assert outcome(killed) == expected, str(log)
    print(log)


def accepted(maildir: Path) -> Counter[tuple[str, bool]]:
    """(recipient, is a follow-up) -> how many times the sink accepted it."""
    counts: Counter[tuple[str, bool]] = Counter()
    for message in mailbox.Maildir(maildir, create=False):
        for recipient in message.get_all("Delivered-To", []):
            counts[(recipient, message["In-Reply-To"] is not None)] += 1
    return counts


FOLLOW_UP = """Subject:

Hi {{ first_name }},

A short follow-up about fittings for {{ company }}: a one-line reply is enough.

Best regards,
Li Wei
Ningbo Brightline Industrial Co., Ltd., No. 88 Jiangnan Road, Ningbo, China
"""


def test_killed_follow_up_send_sends_nothing_twice(tmp_path: Path) -> None:
    seed = crash_seed()
    maildir = tmp_path / "sink"
    rows = sample_rows(120, lambda i: f"buyer{i % 30}.example")
    (tmp_path / "fast.toml").write_text(FAST_PLAN, encoding="utf-8")
    (tmp_path / "t.j2").write_text(TEMPLATE, encoding="utf-8")
    (tmp_path / "f.j2").write_text(FOLLOW_UP, encoding="utf-8")
    write_recipients(tmp_path / "r.csv", rows)
    ledger = tmp_path / "ledger.sqlite3"
    with sink_process(maildir, "--reply-delay", "0.004") as port:
        (tmp_path / "campaign.toml").write_text(
            '[campaign]\nname = "crash"\ntemplate = "t.j2"\nrecipients = "r.csv"\n'
            'domain_cap = false\n[[follow_up]]\ntemplate = "f.j2"\nafter_days = 0\n'
            + mailbox_toml(BOX, port),
            encoding="utf-8",
        )
        command = preflight_command(
            "send", "campaign.toml", "--ledger", str(ledger), "--yes", "--offline"
        )
        first = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert first.returncode == 0, first.stderr
        assert sum(accepted(maildir).values()) == 120
        follow_ups = counter(
            ledger,
            "SELECT COUNT(*) FROM messages WHERE state <> 'queued' AND campaign_id IN"
            " (SELECT campaign_id FROM campaign_steps)",
        )
        log, final = kill_and_restart(
            command, cwd=tmp_path, kills=10, seed=seed, progress=follow_ups,
            delay=lambda rng, at_work: rng.uniform(0.0, 0.05) if at_work else rng.uniform(0, 0.8),
        )  # fmt: skip
    assert final.returncode == 0, f"{final.stderr}; {log}"
    db = sqlite3.connect(ledger)
    assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    states = dict(db.execute(
        "SELECT recipient, state FROM messages WHERE campaign_id IN"
        " (SELECT campaign_id FROM campaign_steps)"
    ).fetchall())  # fmt: skip
    db.close()
    counts = accepted(maildir)
    assert set(states) == {row[0] for row in rows}, str(log)
    assert set(states.values()) <= {"sent", "unknown"}, f"{Counter(states.values())}; {log}"
    for recipient, state in states.items():
        assert counts[(recipient, False)] == 1, f"{recipient}: first mail twice; {log}"
        if state == "sent":
            assert counts[(recipient, True)] == 1, f"{recipient}: follow-up; {log}"
        else:
            assert counts[(recipient, True)] <= 1, f"{recipient}: unknown, twice; {log}"
    print(log)
