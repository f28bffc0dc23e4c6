"""Exit codes a script or cron job relies on: a stopped run, a paused mailbox (real CLI)."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from preflight.cli import app
from preflight.ledger import Ledger
from preflight.sink import Reply, Sink
from send.helpers import mailbox_toml, sample_rows

BOX = "li.wei@brightline.example"
OTHER = "wang.fang@brightline.example"
PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture
def sink() -> Iterator[Sink]:
    with Sink([Reply("person1@*", "554 5.7.1 Message rejected as spam content",
                     stage="data")]).in_thread() as running:
        yield running


def _sent(ledger: Path) -> int:
    if not ledger.exists():
        return 0
    try:
        with sqlite3.connect(ledger, timeout=1) as db:
            return int(db.execute("SELECT COUNT(*) FROM messages WHERE state = 'sent'")
                       .fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def test_ctrl_c_during_send_says_how_to_resume_and_exits_130(
    campaign_dir: Callable[..., Path], tmp_path: Path, sink: Sink
) -> None:
    # A long pause between messages: the run is waiting for its next send when Ctrl-C comes.
    path = campaign_dir([["a0@buyer.example", "A", "B"], ["a2@buyer.example", "C", "D"]],
                        [mailbox_toml(BOX, sink.port, delay="[600, 600]")])
    ledger = tmp_path / "l.db"
    process = subprocess.Popen(
        [sys.executable, "-m", "preflight", "send", str(path), "--ledger", str(ledger),
         "--yes", "--offline"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=PROJECT)
    try:
        deadline = time.monotonic() + 60
        while _sent(ledger) < 1 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.1)
        assert _sent(ledger) == 1
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    assert "stopped; run the same command again to resume" in out
    assert "Traceback" not in err


def test_the_send_that_pauses_a_mailbox_exits_1_and_then_send_refuses_first(
    campaign_dir: Callable[..., Path], tmp_path: Path, sink: Sink
) -> None:
    path = campaign_dir(sample_rows(3), [mailbox_toml(BOX, sink.port)])
    ledger = str(tmp_path / "l.db")
    runner = CliRunner()
    first = runner.invoke(app, ["send", str(path), "--ledger", ledger, "--yes", "--offline"])
    assert first.exit_code == 1, first.stdout
    assert f"paused sending mailbox {BOX}" in first.stdout
    again = runner.invoke(app, ["send", str(path), "--ledger", ledger, "--yes", "--offline"])
    assert again.exit_code == 1
    assert again.stdout == ""  # said first: no validation summary, no "planned finish never"
    assert again.stderr.startswith(
        "preflight: error: every sending mailbox of this campaign is paused")
    assert "--unpause" in again.stderr and again.stderr.count("\n") == 1


def test_bounces_import_that_pauses_a_mailbox_exits_1(tmp_path: Path) -> None:
    from bounces.helpers import seed_messages

    ledger = tmp_path / "l.db"
    rows = [(f"user{i}@buyer{i}.example", f"<m{i}@brightline.example>") for i in range(20)]
    with Ledger(ledger) as opened:
        ids = seed_messages(opened.db, rows, mailbox=OTHER)
        for row_id in ids.values():  # the hard-bounce brake counts completed attempts
            opened.db.execute(
                "INSERT INTO attempts (message_row, mailbox, recipient_domain, started_at,"
                " outcome) VALUES (?, ?, 'buyer.example', '2026-11-01T09:00:00.000+00:00',"
                " 'sent')", (row_id, OTHER))
    inbox = tmp_path / "inbox"
    for sub in ("new", "cur", "tmp"):
        (inbox / sub).mkdir(parents=True)
    for i, (recipient, message_id) in enumerate(rows):
        (inbox / "new" / f"{i}.eml").write_text(_dsn(recipient, message_id))
    result = CliRunner().invoke(app, ["bounces", "import", str(inbox), "--ledger", str(ledger)])
    assert result.exit_code == 1, result.stdout + result.stderr
    assert f"paused sending mailbox {OTHER}" in result.stdout
    assert result.stderr.startswith(f"preflight: error: sending mailbox {OTHER} paused")


def _dsn(recipient: str, message_id: str) -> str:
    return f"""From: Mail Delivery System <MAILER-DAEMON@mx.buyer.example>
To: {OTHER}
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-{recipient}>
Date: Mon, 2 Nov 2026 10:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

This is the mail system. Your message could not be delivered: user unknown.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.buyer.example

Final-Recipient: rfc822; {recipient}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: Recipient address rejected: User unknown

--B
Content-Type: message/rfc822-headers

From: Li <{OTHER}>
To: {recipient}
Message-ID: {message_id}
Subject: Fittings

--B--
"""


def test_send_with_dns_unreachable_says_so_not_that_the_domain_fails(
    campaign_dir: Callable[..., Path], tmp_path: Path, sink: Sink,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import socket

    path = campaign_dir(sample_rows(2), [mailbox_toml(BOX, sink.port)])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))  # receives the questions, never answers
        address = f"127.0.0.1:{silent.getsockname()[1]}"
        monkeypatch.setenv("PREFLIGHT_NAMESERVER", address)
        result = CliRunner().invoke(
            app, ["send", str(path), "--ledger", str(tmp_path / "l.db"), "--yes"])
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "fails SPF" not in result.stderr and "fix the DNS records" not in result.stderr
    assert f"the DNS server {address} did not answer" in result.stderr
    assert "--offline" in result.stderr
    assert len(sink.received) == 0


def test_nothing_listening_pauses_within_the_first_minute_with_the_fix(
    campaign_dir: Callable[..., Path], tmp_path: Path,
) -> None:
    from support.session_server import free_port

    port = free_port()  # nothing listens there
    path = campaign_dir(sample_rows(2), [mailbox_toml(BOX, port)])
    began = time.monotonic()
    result = CliRunner().invoke(
        app, ["send", str(path), "--ledger", str(tmp_path / "l.db"), "--yes", "--offline"])
    assert time.monotonic() - began < 60
    assert result.exit_code == 1, result.stdout + result.stderr
    fix = f"nothing listens on 127.0.0.1:{port}: check host, port and security"
    # Not a terminal: each event is one line as it happens, in words, not exception text.
    lines = result.stdout.splitlines()
    retrying = [x for x in lines if x.startswith(f"{BOX}: {fix}; retrying at ")]
    assert len(retrying) == 1, result.stdout
    assert retrying[0].endswith("+00:00")  # the mailbox's zone (UTC here), with its offset
    assert any(x.startswith(f"paused sending mailbox {BOX}: {fix}") for x in lines)
    assert "Errno" not in result.stdout and "Connect call failed" not in result.stdout
    assert fix in result.stderr

