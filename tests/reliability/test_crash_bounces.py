"""Crash safety of ``preflight bounces import``: killed at random moments and restarted, the
import ends with the same ledger as an uninterrupted run.

A ledger with 200 messages really sent (to a loopback sink) meets a Maildir of delivery
status notifications about them (over 1,600): hard bounces, soft bounces (three for some
addresses, which suppresses them), delay warnings, a spam rejection (which pauses the
mailbox) and ordinary mail. One copy of the ledger imports it in one go; another is
SIGKILLed at random moments (seeded, printed) and restarted until an import completes. The
two must agree on every message's state, the attempts, the suppression list, the bounces
table and the paused mailboxes, modulo ids and the times of the import itself.
"""

from __future__ import annotations

import asyncio
import mailbox
import random
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable
from email.utils import format_datetime
from pathlib import Path

import pytest
from send.helpers import START, mailbox_toml, run_campaign, sample_rows

from preflight.bounces.importer import Importer, import_source
from preflight.bounces.sources import iter_paths
from preflight.ledger import Ledger
from preflight.sink import Sink
from reliability.processes import crash_seed, kill_and_restart, preflight_command

BOX = "li.wei@brightline.example"
SENT = 200
KILLS = 12


def dsn(index: int, original_id: str, recipient: str, status: str, action: str) -> bytes:
    """A Postfix-style delivery status notification (RFC 3464) about one sent message."""
    domain = recipient.rpartition("@")[2]
    diagnostic = {
        "5.1.1": "550 5.1.1 User unknown",
        "4.2.2": "452 4.2.2 Mailbox full",
        "4.4.7": "451 4.4.7 Delivery delayed",
        "5.7.1": "554 5.7.1 Message rejected as spam",
    }[status]
    boundary = f"b{index}"
    text = f"""From: Mail Delivery System <MAILER-DAEMON@mx.{domain}>
To: {BOX}
Subject: Undelivered Mail Returned to Sender
Date: {format_datetime(START)}
Message-ID: <dsn{index}@mx.{domain}>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"

--{boundary}
Content-Type: text/plain

<{recipient}>: host mx.{domain} said: {diagnostic}

--{boundary}
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.{domain}

Final-Recipient: rfc822; {recipient}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; {diagnostic}

--{boundary}
Content-Type: text/rfc822-headers

From: Li Wei <{BOX}>
To: {recipient}
Message-ID: {original_id}

--{boundary}--
"""
    return text.replace("\n", "\r\n").encode()


def not_a_bounce(index: int) -> bytes:
    return (
        f"From: Buyer <buyer{index}@example.org>\r\nTo: {BOX}\r\nSubject: Re: Fittings\r\n"
        f"Message-ID: <reply{index}@example.org>\r\n\r\nThanks, please send the sheet.\r\n"
    ).encode()


@pytest.fixture(scope="module")
def sent_ledger(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A ledger after a real campaign of 200 messages, and a Maildir of bounces about them."""
    folder = tmp_path_factory.mktemp("bounces")
    from send.helpers import FAST_PLAN, TEMPLATE, write_recipients

    (folder / "fast.toml").write_text(FAST_PLAN, encoding="utf-8")
    (folder / "t.j2").write_text(TEMPLATE, encoding="utf-8")
    write_recipients(folder / "r.csv", sample_rows(SENT))
    ledger = folder / "sent.sqlite3"

    async def send() -> None:
        async with Sink() as sink:
            (folder / "campaign.toml").write_text(
                '[campaign]\nname = "test"\ntemplate = "t.j2"\nrecipients = "r.csv"\n'
                "domain_cap = false\n" + mailbox_toml(BOX, sink.port),
                encoding="utf-8",
            )
            stats, _ = await run_campaign(folder / "campaign.toml", ledger)
            assert stats.sent == SENT

    asyncio.run(send())
    with Ledger(ledger) as opened:
        sent = opened.db.execute(
            "SELECT recipient, message_id FROM messages ORDER BY seq"
        ).fetchall()
    inbox = mailbox.Maildir(folder / "inbox", create=True)
    count = 0
    for i, (recipient, message_id) in enumerate(sent):
        kinds: list[tuple[str, str]] = []
        if i % 10 == 0 and i < 140:  # hard; none in the last 50 sends, so no brake
            kinds.append(("5.1.1", "failed"))
        elif i % 30 == 3:  # three soft failures: suppressed on the third
            kinds += [("4.2.2", "failed")] * 3
        elif i % 10 == 3:
            kinds.append(("4.2.2", "failed"))
        elif i == 77:
            kinds.append(("5.7.1", "failed"))
        # Delay warnings change no message but are records too; they make the import long
        # enough to be killed in the middle many times.
        kinds += [("4.4.7", "delayed")] * 8
        for status, action in kinds:
            count += 1
            inbox.add(dsn(count, message_id, recipient, status, action))
        if i % 25 == 1:
            inbox.add(not_a_bounce(i))
    assert count > 1600
    return ledger, folder / "inbox"


def copy_ledger(source: Path, target: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        original = Path(f"{source}{suffix}")
        if original.exists():
            shutil.copyfile(original, f"{target}{suffix}")
    return target


def outcome(path: str | Path) -> dict[str, list[tuple[object, ...]]]:
    """What an import decides, without ids and the times of the import itself."""
    with Ledger(path) as ledger:
        assert ledger.integrity_ok()
        db = ledger.db
        queries = {
            "messages": "SELECT recipient, state, reason, hard, reply_code, reply_status,"
            " reply_text, soft_failures, next_attempt_at IS NOT NULL, attempts FROM messages"
            " ORDER BY recipient",
            "attempts": "SELECT message_row, outcome, hard, reply_status FROM attempts ORDER BY id",
            "suppression": "SELECT address, reason, source, detail FROM suppression"
            " ORDER BY address",
            "bounces": "SELECT fingerprint, message_row, recipient, status, reason, hard,"
            " replycode, action, diagnostic, original_message_id, detector, source, received_at"
            " FROM bounces ORDER BY fingerprint",
            "pauses": "SELECT mailbox, reason, campaign FROM mailbox_pauses ORDER BY mailbox",
        }
        # int(): a boolean expression is 0/1 on SQLite and False/True on PostgreSQL.
        return {
            name: [tuple(int(v) if isinstance(v, bool) else v for v in row)
                   for row in db.execute(query)]
            for name, query in queries.items()
        }


def bounce_rows(path: Path) -> Callable[[], int]:
    def count() -> int:
        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.05)
            try:
                return int(db.execute("SELECT COUNT(*) FROM bounces").fetchone()[0])
            finally:
                db.close()
        except sqlite3.OperationalError:
            return -1  # being created or locked: not progress

    return count


@pytest.fixture(scope="module")
def one_import(
    sent_ledger: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, list[tuple[object, ...]]], float]:
    """What one uninterrupted ``bounces import`` makes of the sent ledger, and its time."""
    source, inbox = sent_ledger
    whole = copy_ledger(source, tmp_path_factory.mktemp("whole") / "whole.sqlite3")
    began = time.monotonic()
    done = subprocess.run(
        preflight_command("bounces", "import", str(inbox), "--ledger", str(whole)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    took = time.monotonic() - began
    # This import pauses a mailbox (its hard bounces pass the brake): exit 1, one line.
    assert done.returncode == 1 and "paused" in done.stderr, done.stderr
    return outcome(whole), took


def test_killed_import_ends_with_the_same_ledger_as_an_uninterrupted_one(
    tmp_path: Path, sent_ledger: tuple[Path, Path],
    one_import: tuple[dict[str, list[tuple[object, ...]]], float],
) -> None:
    seed = crash_seed()
    source, inbox = sent_ledger
    killed = copy_ledger(source, tmp_path / "killed.sqlite3")
    expected, took = one_import
    assert len(expected["bounces"]) > 1600 and expected["suppression"] and expected["pauses"]

    def delay(rng: random.Random, at_work: bool) -> float:
        return rng.uniform(0.0, 0.015) if at_work else rng.uniform(0.0, took / 2)

    log, final = kill_and_restart(
        preflight_command("bounces", "import", str(inbox), "--ledger", str(killed)),
        cwd=tmp_path,
        kills=KILLS,
        seed=seed,
        progress=bounce_rows(killed),
        delay=delay,
        ok_codes=(0, 1),  # the run that pauses the mailbox exits 1; later runs find it paused
    )
    assert final.returncode in (0, 1) and "Traceback" not in final.stderr, (
        f"{final.stderr}; {log}")
    assert log.kills >= 10 and log.kills_mid_work >= 5, str(log)
    got = outcome(killed)
    for table in expected:
        assert got[table] == expected[table], f"{table} differs; {log}"
    print(f"{log}; uninterrupted import {took:.2f} s")


def test_crash_just_before_the_brake_still_pauses_the_mailbox(
    tmp_path: Path, sent_ledger: tuple[Path, Path]
) -> None:
    source, _ = sent_ledger
    # Hard bounces in the mailbox's last 50 sends: the brake must pause it.
    folder = mailbox.Maildir(tmp_path / "late", create=True)
    with Ledger(source) as opened:
        last = opened.db.execute(
            "SELECT recipient, message_id FROM messages ORDER BY seq DESC LIMIT 10"
        ).fetchall()
    for i, (recipient, message_id) in enumerate(last):
        folder.add(dsn(1000 + i, message_id, recipient, "5.1.1", "failed"))
    whole = copy_ledger(source, tmp_path / "whole.sqlite3")
    with Ledger(whole) as opened:
        import_source(opened, str(tmp_path / "late"))
    crashed = copy_ledger(source, tmp_path / "crashed.sqlite3")
    with Ledger(crashed) as opened:
        importer = Importer(opened)
        for raw in iter_paths([tmp_path / "late"]):
            importer.import_one(raw)  # every transaction committed; killed before finish()
    with Ledger(crashed) as opened:
        import_source(opened, str(tmp_path / "late"))  # the restart
    assert outcome(whole)["pauses"], "the uninterrupted import pauses the mailbox"
    assert outcome(crashed)["pauses"] == outcome(whole)["pauses"]


def test_imports_from_several_processes_at_once_end_like_one_import(
    sent_ledger: tuple[Path, Path], postgres_url: str,
    one_import: tuple[dict[str, list[tuple[object, ...]]], float],
) -> None:
    """Three machines importing the same bounce mailbox into the team's PostgreSQL ledger at
    the same moment end with the ledger one import makes."""
    from preflight.ledger.copy import copy_ledger as migrate

    source, inbox = sent_ledger
    migrate(source, postgres_url)
    command = preflight_command("bounces", "import", str(inbox), "--ledger", postgres_url)
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(3)]
    results = [(run.communicate(timeout=300), run.returncode) for run in runs]
    for (_, err), code in results:
        # Exit 1 only for the pause the import itself makes (the one that applied it says so).
        assert code == 0 or (code == 1 and "paused" in err), err
    assert any(code == 1 for _, code in results), "one of them paused the mailbox"
    expected, got = one_import[0], outcome(postgres_url)
    assert len(expected["bounces"]) > 1600
    for table in expected:
        assert got[table] == expected[table], f"{table} differs"
