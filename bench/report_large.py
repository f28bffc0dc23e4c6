"""`preflight report` on a ledger of 100,000 messages, against `preflight status` on the same
ledger in the same run (the peer: the command people already run, which reads the same
tables with one GROUP BY).

Target: the report in at most 5 s. Both commands run as child processes, so start-up is
counted honestly; each is run --repeat times and the best time is kept.

    .venv/bin/python bench/report_large.py [--messages 100000] [--mailboxes 10] [--repeat 3]

The ledger is written directly with bulk INSERTs in the ledger's own schema (sending
100,000 messages through SMTP would measure the sender, not the report): 60 days of sends
spread over the mailboxes, 3 % hard bounces, 1 % soft, some failures, a few complaints,
2 % still queued, one mailbox paused by the brake.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from preflight.ledger import Ledger
from preflight.ledger.messages import iso

TEMPLATE = """Subject: Fittings for {{ company }}

Hi {{ first_name }},

We machine stainless steel pipe fittings. Would a spec sheet help {{ company }}?

Best regards,
Li Wei
Ningbo Brightline Industrial Co., Ltd., No. 88 Jiangnan Road, Ningbo, China
"""


def write_campaign(folder: Path, mailboxes: int, start: datetime) -> Path:
    (folder / "t.j2").write_text(TEMPLATE, encoding="utf-8")
    (folder / "r.csv").write_text("email,first_name,company\n", encoding="utf-8")
    boxes = "".join(
        f"""
[[mailbox]]
from = "Sales {n} <sales{n}@brightline.example>"
host = "127.0.0.1"
port = 2525
security = "none"
warmup = "{"standard" if n % 2 else "established"}"
warmup_start = {start.date().isoformat()}
send_days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
send_hours = "00:00-24:00"
timezone = "{"Europe/Berlin" if n % 3 else "Asia/Shanghai"}"
delay_seconds = [0, 0]
"""
        for n in range(mailboxes)
    )
    path = folder / "campaign.toml"
    path.write_text(
        '[campaign]\nname = "bulk"\ntemplate = "t.j2"\nrecipients = "r.csv"\n' + boxes,
        encoding="utf-8",
    )
    return path


def build_ledger(
    path: Path, messages: int, mailboxes: int, start: datetime, seed: int = 7
) -> dict[str, int]:
    """Write the ledger; returns the message count per final state."""
    rng = random.Random(seed)
    boxes = [f"sales{n}@brightline.example" for n in range(mailboxes)]
    counts: dict[str, int] = {}
    message_rows = []
    attempt_rows = []
    bounce_rows = []
    with Ledger(path) as ledger:
        campaign = ledger.campaign_id("bulk", iso(start))
        for i in range(messages):
            box = boxes[i % mailboxes]
            roll = rng.random()
            when = start + timedelta(seconds=int(i / messages * 60 * 86400))
            if roll < 0.02:
                state, reason, hard, code, status = "queued", None, None, None, None
            elif roll < 0.05:
                state, reason, hard, code, status = "bounced", "userunknown", 1, 550, "5.1.1"
            elif roll < 0.06:
                state, reason, hard, code, status = "deferred", "mailboxfull", 0, 452, "4.2.2"
            elif roll < 0.062:
                state, reason, hard, code, status = "failed", "mesgtoobig", 0, 552, "5.3.4"
            else:
                state, reason, hard, code, status = "sent", None, None, 250, "2.0.0"
            counts[state] = counts.get(state, 0) + 1
            queued = state == "queued"
            message_rows.append(
                (
                    i + 1,
                    campaign,
                    f"buyer{i}@firm{i % 5000}.example",
                    "" if queued else box,
                    None if queued else f"<{i}@brightline.example>",
                    state,
                    0 if queued else 1,
                    code,
                    status,
                    reason,
                    hard,
                    iso(start),
                    iso(when),
                    None if queued else iso(when),
                    i + 1,
                    round(rng.uniform(0.0, 2.5), 1),
                    '{"first_name": "A", "company": "B"}',
                )
            )
            if not queued:
                outcome = state
                attempt_rows.append(
                    (i + 1, box, f"firm{i % 5000}.example", iso(when), outcome, code, status, hard)
                )
            if state == "sent" and rng.random() < 0.0005:
                bounce_rows.append(
                    (
                        f"fp{i}",
                        i + 1,
                        f"buyer{i}@firm{i % 5000}.example",
                        "feedback",
                        0,
                        iso(when + timedelta(hours=3)),
                        iso(when + timedelta(hours=4)),
                    )
                )
        with ledger.transaction():
            ledger.db.executemany(
                "INSERT INTO messages (id, campaign_id, recipient, mailbox, message_id, state,"
                " attempts, reply_code, reply_status, reason, hard, created_at, updated_at,"
                " sent_at, seq, lint_score, fields)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                message_rows,
            )
            ledger.db.executemany(
                "INSERT INTO attempts (message_row, mailbox, recipient_domain, started_at,"
                " outcome, reply_code, reply_status, hard) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                attempt_rows,
            )
            ledger.db.executemany(
                "INSERT INTO bounces (fingerprint, message_row, recipient, reason, hard,"
                " received_at, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                bounce_rows,
            )
        ledger.pause_mailbox(
            boxes[0],
            "4 of the last 50 sends bounced hard (over 5%): clean the list with "
            "`preflight check list` before resuming",
            "bulk",
            iso(start + timedelta(days=59)),
        )
    counts["complaints"] = len(bounce_rows)
    return counts


def _best(command: list[str], repeat: int) -> tuple[float, str]:
    best = float("inf")
    output = ""
    for _ in range(repeat):
        began = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        best = min(best, time.perf_counter() - began)
        output = done.stdout
    return best, output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--mailboxes", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cli = str(Path(sys.executable).with_name("preflight"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=60)
        campaign = write_campaign(folder, args.mailboxes, start)
        ledger = folder / "ledger.sqlite3"
        began = time.perf_counter()
        counts = build_ledger(ledger, args.messages, args.mailboxes, start)
        print(
            f"ledger: {args.messages:,} messages, {args.mailboxes} mailboxes, {counts} "
            f"(built in {time.perf_counter() - began:.1f} s)"
        )
        base = [cli]
        status_s, _ = _best([*base, "status", str(campaign), "--ledger", str(ledger)], args.repeat)
        json_s, numbers = _best(
            [*base, "status", str(campaign), "--ledger", str(ledger), "--format", "json"],
            args.repeat,
        )
        out = folder / "report.html"
        report_s, _ = _best(
            [*base, "report", str(campaign), "--ledger", str(ledger), "-o", str(out)],
            args.repeat,
        )
        data = json.loads(numbers)
        assert sum(data["totals"].values()) == args.messages
        size = out.stat().st_size
    print(f"preflight status                : {status_s:6.2f} s (peer)")
    print(f"preflight status --format json  : {json_s:6.2f} s  ({json_s / status_s:.1f}x)")
    print(
        f"preflight report                : {report_s:6.2f} s  ({report_s / status_s:.1f}x), "
        f"{size / 1024:.0f} KiB, target <= 5 s: {'ok' if report_s <= 5 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
