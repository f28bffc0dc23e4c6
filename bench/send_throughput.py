"""End-to-end send throughput against a local aiosmtpd sink, beside a plain smtplib loop.

preflight: 5,000 rows through the whole pipeline (address checks, render, MIME build, lint
gate, ledger rows, per-message ``sending`` commit before DATA, reply classification, result
commit) with every pacing limit lifted, once on a SQLite ledger file and once on a
PostgreSQL ledger (a throw-away server on 127.0.0.1 with fsync on, as a team would run it,
or the one ``--postgresql URL`` names). Peer, same run, same sink: ``smtplib`` over one
reused connection sending the same messages pre-built. The sink runs in its own process.
Nothing leaves 127.0.0.1.

    .venv/bin/python bench/send_throughput.py [--rows 5000] [--postgresql URL | --no-postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import smtplib
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from preflight.campaign import CampaignRun
from preflight.campaign_config import load_campaign
from preflight.clock import SystemClock
from preflight.ledger import Ledger
from preflight.prepare import BuiltMessages, build_for, prepare_campaign
from preflight.resources import shipped_dir
from preflight.templates import load_template

UNLIMITED_PLAN = (
    'name = "unlimited"\nhourly_cap = 100000000\n[[steps]]\nfrom_day = 1\ndaily = 100000000\n'
)


def write_campaign(folder: Path, rows: int, port: int) -> Path:
    (folder / "unlimited.toml").write_text(UNLIMITED_PLAN)
    with (folder / "r.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "first_name", "company"])
        for i in range(rows):
            writer.writerow([f"buyer{i}@firm{i % 500}.example", f"Name{i}", f"Firm {i} GmbH"])
    template = shipped_dir("templates") / "first-contact.j2"
    path = folder / "campaign.toml"
    path.write_text(
        f"""[campaign]
name = "bench"
template = "{template}"
recipients = "r.csv"
domain_cap = false

[unsubscribe]
url = "https://brightline.example/u?e={{email}}"

[[mailbox]]
from = "Li Wei <li.wei@brightline.example>"
host = "127.0.0.1"
port = {port}
security = "none"
warmup = "unlimited.toml"
warmup_start = 2026-01-05
send_days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
send_hours = "00:00-24:00"
delay_seconds = [0, 0]
"""
    )
    return path


async def preflight_run(campaign: Path, ledger_path: str | Path) -> tuple[float, int]:
    began = time.perf_counter()
    config = load_campaign(campaign)
    template = load_template(config.template)
    with Ledger(ledger_path) as ledger:
        now = datetime.now(UTC)
        built = BuiltMessages()
        campaign_id, summary = prepare_campaign(config, ledger, template, now=now, built=built)
        run = CampaignRun(
            config, ledger, template, SystemClock(), campaign=campaign_id, built=built
        )
        stats = await run.run()
    assert summary.queued == stats.sent, (summary, stats)
    return time.perf_counter() - began, stats.sent


def smtplib_run(campaign: Path, port: int) -> tuple[float, int]:
    config = load_campaign(campaign)
    template = load_template(config.template)
    box = config.mailboxes[0]
    now = datetime.now(UTC)
    messages = []
    with (campaign.parent / "r.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            message, _ = build_for(
                config, template, row, mailbox=box, recipient=row["email"], when=now
            )
            messages.append((row["email"], message))
    began = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as client:
        for recipient, message in messages:
            client.send_message(message, from_addr=box.address, to_addrs=[recipient])
    return time.perf_counter() - began, len(messages)


@contextmanager
def sink_process() -> Iterator[tuple[int, list[str]]]:
    """The sink in its own process, so it does not share a GIL with the client measured."""
    process = subprocess.Popen(
        [sys.executable, "-m", "preflight.sink"], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    first = process.stdout.readline().split()
    lines: list[str] = []
    try:
        yield int(first[1]), lines
    finally:
        process.terminate()
        lines.extend(process.stdout.read().splitlines())
        process.wait(10)


@contextmanager
def postgres_ledger(url: str | None) -> Iterator[str]:
    """A ledger URL: the one given, or a durable throw-away server of our own."""
    if url:
        yield url
        return
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    import os

    from support.postgres_server import PostgresServer

    server = PostgresServer(durable=True).start()
    os.environ["PGPASSWORD"] = server.password
    try:
        yield server.url
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--postgresql", help="a PostgreSQL ledger URL to use (empty database)")
    parser.add_argument("--no-postgresql", action="store_true", help="SQLite only")
    args = parser.parse_args()
    pg_rate: float | None = None
    with tempfile.TemporaryDirectory() as tmp, sink_process() as (port, report):
        folder = Path(tmp)
        campaign = write_campaign(folder, args.rows, port)
        ours, sent = asyncio.run(preflight_run(campaign, folder / "ledger.sqlite3"))
        peer, peer_sent = smtplib_run(campaign, port)
        total = sent + peer_sent
        if not args.no_postgresql:
            with postgres_ledger(args.postgresql) as url:
                pg, pg_sent = asyncio.run(preflight_run(campaign, url))
            total += pg_sent
            pg_rate = pg_sent / pg
    assert report == [f"received {total}"], report
    ours_rate = sent / ours
    peer_rate = peer_sent / peer
    print(
        f"preflight send (render+lint+ledger+SMTP), SQLite ledger: {sent} msgs in {ours:.2f} s "
        f"= {ours_rate:,.0f} msg/s"
    )
    if pg_rate is not None:
        print(
            f"preflight send, PostgreSQL ledger (127.0.0.1, fsync on): {pg_sent} msgs in"
            f" {pg:.2f} s = {pg_rate:,.0f} msg/s"
        )
        print(f"ratio PostgreSQL/SQLite: {pg_rate / ours_rate:.2f}")
    print(
        f"smtplib loop (pre-built, one connection): {peer_sent} msgs in {peer:.2f} s "
        f"= {peer_rate:,.0f} msg/s"
    )
    print(f"ratio preflight/smtplib: {ours_rate / peer_rate:.2f}")
    print(f"target >= 300 msg/s end to end: {'met' if ours_rate >= 300 else 'NOT met'}")


if __name__ == "__main__":
    main()
