"""``preflight ledger migrate``: a real personal ledger copied into PostgreSQL, twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from send.helpers import FAST_PLAN, TEMPLATE, mailbox_toml, run_campaign, write_recipients
from typer.testing import CliRunner

from preflight.cli import app
from preflight.ledger import Ledger
from preflight.ledger.bounces import StoredBounce
from preflight.sink import Reply, Sink

pytestmark = pytest.mark.looptime
BOX = "li.wei@brightline.example"


def everything(location: str) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table but schema_migrations, in key order."""
    with Ledger(location) as ledger:
        tables = [t for t in ledger.db.tables() if t != "schema_migrations"]
        result = {}
        for table in tables:
            columns = sorted(ledger.db.columns(table))
            names = ", ".join(columns)
            rows = [tuple(r) for r in ledger.db.execute(f"SELECT {names} FROM {table}")]
            # Sorted here: the two databases order NULLs differently.
            result[table] = sorted(rows, key=lambda r: [(v is not None, str(v)) for v in r])
        return result


async def personal_history(folder: Path) -> Path:
    """A ledger as one person's laptop has it: a sent campaign, a bounce, a pause."""
    (folder / "fast.toml").write_text(FAST_PLAN, encoding="utf-8")
    (folder / "t.j2").write_text(TEMPLATE, encoding="utf-8")
    rows = [[f"person{i}@buyer{i % 3}.example", f"Name{i}", f"Co {i}"] for i in range(12)]
    write_recipients(folder / "r.csv", rows)
    ledger = folder / "mine.sqlite3"
    async with Sink([Reply("person3@*", "550 5.1.1 no such user"),
                     Reply("person5@*", "452 4.2.2 mailbox full")]) as sink:
        campaign = folder / "campaign.toml"
        campaign.write_text(
            '[campaign]\nname = "spring"\ntemplate = "t.j2"\nrecipients = "r.csv"\n'
            + mailbox_toml(BOX, sink.port), encoding="utf-8")
        await run_campaign(campaign, ledger)
    with Ledger(ledger) as opened:
        opened.suppress("Left@Company.example", "manual", "manual", "asked by phone")
        opened.pause_mailbox("other@brightline.example", "hard bounces", "spring",
                             "2026-01-05T09:00:00.000+00:00")
        opened.record_bounce(StoredBounce(
            fingerprint="f" * 40, message_row=1, recipient="person0@buyer0.example",
            status="5.2.2", reason="mailboxfull", hard=False, replycode=552, action="failed",
            diagnostic="552 over quota", original_message_id=None, detector="rfc3464",
            source="inbox#1", received_at=None, imported_at="2026-01-06T10:00:00+00:00"))
    return ledger


async def test_migrate_copies_every_table_and_a_second_run_changes_nothing(
    tmp_path: Path, postgres_url: str
) -> None:
    source = await personal_history(tmp_path)
    before = everything(str(source))
    assert before["messages"] and before["attempts"] and before["bounces"]
    assert before["suppression"] and before["mailbox_pauses"]

    runner = CliRunner()
    first = runner.invoke(app, ["ledger", "migrate", "--from", str(source), "--to", postgres_url])
    assert first.exit_code == 0, first.stderr
    assert "counts match" in first.stdout and f"{len(before['messages'])} copied" in \
        " ".join(first.stdout.split())
    assert everything(postgres_url) == before

    second = runner.invoke(app, ["ledger", "migrate", "--from", str(source), "--to", postgres_url])
    assert second.exit_code == 0, second.stderr
    assert "nothing to copy: already there" in second.stdout
    assert everything(postgres_url) == before

    with Ledger(postgres_url) as team:  # new rows continue after the copied ids
        largest = team.db.execute("SELECT MAX(id) FROM attempts").fetchone()[0]
        message = team.db.execute("SELECT MIN(id) FROM messages").fetchone()[0]
        attempt = team.db.execute(
            "INSERT INTO attempts (message_row, mailbox, recipient_domain, started_at, outcome)"
            " VALUES (?, ?, 'buyer0.example', '2026-01-07T09:00:00.000+00:00', 'sent')",
            (message, BOX),
        ).lastrowid
        assert attempt == largest + 1
        assert team.campaign_id("summer") == len(before["campaigns"]) + 1


def test_migrate_refuses_a_target_with_another_history(
    tmp_path: Path, postgres_url: str
) -> None:
    mine, theirs = tmp_path / "mine.sqlite3", tmp_path / "theirs.sqlite3"
    with Ledger(mine) as ledger:
        ledger.campaign_id("spring")
    with Ledger(theirs) as ledger:
        ledger.campaign_id("autumn")
    runner = CliRunner()
    assert runner.invoke(app, ["ledger", "migrate", "--from", str(theirs),
                               "--to", postgres_url]).exit_code == 0
    refused = runner.invoke(app, ["ledger", "migrate", "--from", str(mine), "--to", postgres_url])
    assert refused.exit_code == 1
    assert refused.stderr.count("\n") == 1
    assert "already holds another history (it holds campaigns the source does not have)" \
        in refused.stderr
    missing = runner.invoke(app, ["ledger", "migrate", "--from", str(tmp_path / "typo.db"),
                                  "--to", postgres_url])
    assert missing.exit_code == 2 and "--from: no ledger at" in missing.stderr
    assert not (tmp_path / "typo.db").exists()


async def test_the_report_reads_the_same_numbers_from_both_backends(
    tmp_path: Path, postgres_url: str
) -> None:
    """The report's grouped SQL (windows, ROUND, booleans) on a copy of the same history."""
    from dataclasses import asdict
    from datetime import UTC, datetime

    from preflight.campaign_config import load_campaign
    from preflight.ledger.copy import copy_ledger
    from preflight.report.data import gather

    source = await personal_history(tmp_path)
    copy_ledger(source, postgres_url)
    config = load_campaign(tmp_path / "campaign.toml")
    now = datetime(2026, 1, 8, 12, 0, tzinfo=UTC)
    with Ledger(source) as mine, Ledger(postgres_url) as team:
        assert asdict(gather(config, team, now=now)) == asdict(gather(config, mine, now=now))
