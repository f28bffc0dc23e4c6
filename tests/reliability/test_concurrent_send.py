"""Two and three real ``preflight send`` processes at once on one campaign and one ledger.

A cron job overlapping a manual run: the processes start together against one sink (in its
own process, storing every accepted message in a Maildir). Mailbox leases split the
mailboxes between the runs, and every message is claimed by compare-and-set in the ledger,
so the sink accepts each recipient at most once, the daily and per-domain caps hold across
the processes, and a final re-run sends whatever the others left. Repeated a few times.
"""

from __future__ import annotations

import mailbox
import os
import subprocess
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from send.helpers import FAST_PLAN, TEMPLATE, mailbox_toml, sample_rows, write_recipients

from preflight.ledger import Ledger
from reliability.processes import preflight_command, sink_process

BOXES = ["li.wei@brightline.example", "ana.silva@brightline.example", "tom.berg@brightline.example"]
BUSY = "another `preflight send` is sending from"


def accepted(maildir: Path) -> tuple[Counter[str], Counter[str]]:
    """(deliveries per recipient, deliveries per From address) the sink stored."""
    recipients: Counter[str] = Counter()
    senders: Counter[str] = Counter()
    for message in mailbox.Maildir(maildir, create=False):
        for recipient in message.get_all("Delivered-To", []):
            recipients[recipient] += 1
        senders[str(message["From"]).rsplit("<", 1)[-1].rstrip(">")] += 1
    return recipients, senders


def campaign(
    folder: Path,
    port: int,
    rows: list[list[str]],
    boxes: list[str],
    head: str = "",
    warmup: str = "fast.toml",
) -> Path:
    folder.mkdir()
    today = datetime.now(UTC).date()
    (folder / "fast.toml").write_text(FAST_PLAN, encoding="utf-8")
    (folder / "twenty.toml").write_text(
        # 20 today and none after: the runs end instead of waiting for tomorrow.
        'name = "twenty"\nhourly_cap = 1000\n[[steps]]\nfrom_day = 1\ndaily = 20\n'
        "[[steps]]\nfrom_day = 2\ndaily = 0\n",
        encoding="utf-8",
    )
    (folder / "t.j2").write_text(TEMPLATE, encoding="utf-8")
    write_recipients(folder / "r.csv", rows)
    (folder / "campaign.toml").write_text(
        '[campaign]\nname = "overlap"\ntemplate = "t.j2"\nrecipients = "r.csv"\n'
        + head
        + "".join(mailbox_toml(b, port, warmup=warmup, start=str(today)) for b in boxes),
        encoding="utf-8",
    )
    return folder


def run_together(
    folder: Path, ledger: str, count: int
) -> list[subprocess.CompletedProcess[str]]:
    command = preflight_command("send", "campaign.toml", "--ledger", ledger, "--yes", "--offline")
    processes = [
        subprocess.Popen(
            command,
            cwd=folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        for _ in range(count)
    ]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return results


def check_runs(results: list[subprocess.CompletedProcess[str]]) -> None:
    for result in results:
        if result.returncode != 0:
            # The only acceptable failure: every mailbox was taken, said in one line.
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and BUSY in lines[0], result.stderr
        assert "Traceback" not in result.stderr, result.stderr


def ledger_states(ledger: str) -> Counter[str]:
    with Ledger(ledger) as opened:
        return Counter(row[0] for row in opened.db.execute("SELECT state FROM messages"))


def test_concurrent_sends_never_deliver_twice_and_a_rerun_finishes(
    tmp_path: Path, new_ledger: Callable[[str], str]
) -> None:
    rows = sample_rows(90, lambda i: f"buyer{i % 9}.example")
    expected = {row[0] for row in rows}
    for repeat, (processes, boxes) in enumerate([(2, 3), (3, 3), (3, 2), (2, 1)]):
        maildir = tmp_path / f"sink{repeat}"
        # A few milliseconds per reply: the runs overlap for the whole campaign.
        with sink_process(maildir, "--reply-delay", "0.01") as port:
            folder = campaign(
                tmp_path / f"c{repeat}", port, rows, BOXES[:boxes], head="domain_cap = false\n"
            )
            ledger = new_ledger(f"c{repeat}")
            results = run_together(folder, ledger, processes)
            check_runs(results)
            counts, _ = accepted(maildir)
            twice = {r: n for r, n in counts.items() if n > 1}
            assert not twice, f"{processes} processes, {boxes} mailboxes: sent twice {twice}"
            final = run_together(folder, ledger, 1)[0]
            assert final.returncode == 0, final.stderr
            counts, _ = accepted(maildir)
        assert set(counts) == expected and set(counts.values()) == {1}, (
            f"{processes} processes, {boxes} mailboxes: {Counter(counts.values())}"
        )
        assert ledger_states(ledger) == Counter({"sent": len(rows)})


def test_concurrent_sends_hold_the_daily_and_domain_caps(
    tmp_path: Path, new_ledger: Callable[[str], str]
) -> None:
    rows = sample_rows(80, lambda i: f"buyer{i % 4}.example")
    # Daily cap 20 per mailbox (two mailboxes), three processes: at most 40, 20 per mailbox.
    maildir = tmp_path / "sink-daily"
    with sink_process(maildir, "--reply-delay", "0.005") as port:
        folder = campaign(
            tmp_path / "daily",
            port,
            rows,
            BOXES[:2],
            head="domain_cap = false\n",
            warmup="twenty.toml",
        )
        ledger = new_ledger("daily")
        check_runs(run_together(folder, ledger, 3))
        check_runs(run_together(folder, ledger, 1))  # a re-run the same day sends nothing more
        counts, senders = accepted(maildir)
    assert set(counts.values()) == {1}
    assert senders == Counter({BOXES[0]: 20, BOXES[1]: 20}), senders
    # A cap per recipient domain counts every mailbox's and every run's sends.
    maildir = tmp_path / "sink-domain"
    with sink_process(maildir, "--reply-delay", "0.005") as port:
        folder = campaign(
            tmp_path / "domain",
            port,
            rows,
            BOXES,
            head="domain_cap = 6\ndomain_cap_hours = 24\n",
            warmup="twenty.toml",
        )
        check_runs(run_together(folder, new_ledger("domain"), 3))
        counts, _ = accepted(maildir)
    per_domain = Counter(r.rsplit("@", 1)[1] for r in counts)
    assert set(counts.values()) == {1}
    assert per_domain == Counter({f"buyer{i}.example": 6 for i in range(4)}), per_domain


def test_a_killed_senders_mailboxes_are_finished_by_another_after_its_lease_expires(
    tmp_path: Path, postgres_url: str
) -> None:
    """Sender A, on "another machine" of the team, is SIGKILLed mid-run. Its leases stay
    until they expire (a dead process elsewhere cannot be seen, only its silence); sender B
    is refused its mailboxes until then, then takes them over and finishes: nothing is sent
    twice. (The lease logic is the same SQL on SQLite; this runs where teams need it.)"""
    import signal
    import time

    rows = sample_rows(60, lambda i: f"buyer{i % 6}.example")
    expected = {row[0] for row in rows}
    lease = 4.0
    maildir = tmp_path / "sink"
    with sink_process(maildir, "--reply-delay", "0.02") as port:
        folder = campaign(tmp_path / "c", port, rows, BOXES[:2], head="domain_cap = false\n")
        ledger = postgres_url
        env = {**os.environ, "PREFLIGHT_LEASE_SECONDS": str(lease)}  # after: PGPASSWORD
        command = preflight_command(
            "send", "campaign.toml", "--ledger", ledger, "--yes", "--offline"
        )
        log = (tmp_path / "first.log").open("w")
        first = subprocess.Popen(command, cwd=folder, env=env, stdout=log, stderr=log)
        deadline = time.monotonic() + 60
        while len(accepted(maildir)[0]) < 8 and time.monotonic() < deadline:
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        killed_at = time.monotonic()
        killed_wall = datetime.now(UTC).isoformat(timespec="milliseconds")
        sent_by_first = len(accepted(maildir)[0])
        log.close()
        assert 8 <= sent_by_first < len(rows), (sent_by_first, (tmp_path / "first.log").read_text())
        with Ledger(ledger) as opened:
            owners = {r[0] for r in opened.db.execute("SELECT owner FROM mailbox_leases")}
            assert len(owners) == 1, owners
            (owner,) = owners
            expiry = max(r[0] for r in opened.db.execute("SELECT expires_at FROM mailbox_leases"))
            # A on another machine: its process id means nothing here.
            elsewhere = "elsewhere.example" + owner[owner.index(":"):]
            opened.db.execute("UPDATE mailbox_leases SET owner = ? WHERE owner = ?",
                              (elsewhere, owner))
            opened.db.execute("UPDATE messages SET claimed_by = ? WHERE claimed_by = ?",
                              (elsewhere, owner))
        refused = 0
        while True:
            second = subprocess.run(command, cwd=folder, env=env, capture_output=True,
                                    text=True, timeout=120)
            if second.returncode == 0:
                break
            lines = second.stderr.strip().splitlines()
            assert len(lines) == 1 and BUSY in lines[0] and "elsewhere.example" in lines[0], (
                second.stderr
            )
            refused += 1
            assert time.monotonic() - killed_at < lease + 60, "the lease never expired"
        counts, _ = accepted(maildir)
    with Ledger(ledger) as opened:
        states = {r[0]: r[1] for r in opened.db.execute("SELECT recipient, state FROM messages")}
        taken_over = opened.db.execute(
            "SELECT MIN(started_at) FROM attempts WHERE started_at > ?", (killed_wall,)
        ).fetchone()[0]
    assert taken_over is not None and taken_over >= expiry, (taken_over, expiry, refused)
    assert set(counts.values()) == {1}, f"sent twice: {counts}"
    assert set(states) == expected
    unknown = {r for r, s in states.items() if s == "unknown"}
    assert set(states.values()) <= {"sent", "unknown"} and len(unknown) <= 2, states
    assert {r for r, s in states.items() if s == "sent"} <= set(counts)
    assert set(counts) | unknown == expected, "every mailbox's messages were finished"
