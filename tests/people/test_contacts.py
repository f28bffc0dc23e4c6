"""Contacts across campaigns: one identity per mailbox, the history, the re-contact gate."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from send.helpers import START, mailbox_toml, run_campaign, write_recipients
from typer.testing import CliRunner

from preflight import contacts
from preflight.cli import app
from preflight.contacts import identity_of
from preflight.ledger import Ledger
from preflight.outcomes import Event, OutcomeApplier
from preflight.sink import Sink

runner = CliRunner()
BOX = "li.wei@brightline.example"
ROWS = [
    ["John.Doe@gmail.com", "John", "Doe GmbH"],
    ["anna@buyer1.example", "Anna", "Buyer One"],
    ["ben@buyer2.example", "Ben", "Buyer Two"],
]


def test_identity_uses_the_equivalence_rules_of_check() -> None:
    assert identity_of("J.o.h.n.Doe+news@GoogleMail.com") == "johndoe@gmail.com"
    assert identity_of(" Anna@Buyer1.Example ") == "anna@buyer1.example"
    assert identity_of("a.b@buyer1.example") != identity_of("ab@buyer1.example")


async def _first_then_second(
    campaign_dir: Callable[..., Path], tmp_path: Path, head: str, rows: list[list[str]]
) -> tuple[Path, object, set[str]]:
    ledger = tmp_path / "l.db"
    async with Sink() as sink:
        path = campaign_dir(ROWS, [mailbox_toml(BOX, sink.port)])
        stats, _ = await run_campaign(path, ledger)
        assert stats.sent == 3
    second = tmp_path / "second.toml"
    write_recipients(tmp_path / "r2.csv", rows)
    async with Sink() as sink:
        second.write_text(
            '[campaign]\nname = "second"\ntemplate = "t.j2"\nrecipients = "r2.csv"\n'
            + head
            + mailbox_toml(BOX, sink.port),
            encoding="utf-8",
        )
        _, validation = await run_campaign(second, ledger, start=START + timedelta(days=10))
        return ledger, validation, set(sink.recipients())


async def test_a_second_campaign_skips_the_first_ones_contacts(
    campaign_dir: Callable[..., Path], tmp_path: Path
) -> None:
    rows = [
        ["johndoe+offer@gmail.com", "John", "Doe GmbH"],  # the same Gmail mailbox
        ["anna@buyer1.example", "Anna", "Buyer One"],
        ["new@buyer3.example", "New", "Buyer Three"],
    ]
    _, validation, received = await _first_then_second(campaign_dir, tmp_path, "", rows)
    assert received == {"new@buyer3.example"}
    assert validation.skipped_contact == 2  # type: ignore[attr-defined]
    skips = " ".join(validation.contact_skips)  # type: ignore[attr-defined]
    assert "contacted by campaign 'test' on 2026-01-05" in skips
    assert "johndoe+offer@gmail.com" in skips and "anna@buyer1.example" in skips


async def test_recontact_zero_turns_the_time_rule_off_but_a_reply_still_counts(
    campaign_dir: Callable[..., Path], tmp_path: Path
) -> None:
    ledger = tmp_path / "l.db"
    async with Sink() as sink:
        path = campaign_dir(ROWS[:2], [mailbox_toml(BOX, sink.port)])
        await run_campaign(path, ledger)
    with Ledger(ledger) as opened:
        OutcomeApplier(opened, START).apply(
            Event("reply", "anna@buyer1.example", START + timedelta(hours=3), "fp-1", "test")
        )
    write_recipients(tmp_path / "r2.csv", ROWS[:2])
    second = tmp_path / "second.toml"
    async with Sink() as sink:
        second.write_text(
            '[campaign]\nname = "second"\ntemplate = "t.j2"\nrecipients = "r2.csv"\n'
            "recontact_after_days = 0\n" + mailbox_toml(BOX, sink.port),
            encoding="utf-8",
        )
        _, validation = await run_campaign(second, ledger, start=START + timedelta(days=1))
        assert set(sink.recipients()) == {"john.doe@gmail.com"}
    assert validation.contact_skips == [
        "line 3 anna@buyer1.example: contact: replied to campaign 'test' on 2026-01-05"
    ]


async def test_an_old_contact_is_written_to_again(
    campaign_dir: Callable[..., Path], tmp_path: Path
) -> None:
    _, validation, received = await _first_then_second(
        campaign_dir, tmp_path, "recontact_after_days = 7\n", ROWS
    )
    assert validation.skipped_contact == 0  # type: ignore[attr-defined]
    assert received == {"john.doe@gmail.com", "anna@buyer1.example", "ben@buyer2.example"}


async def test_plan_lists_the_skips_with_campaign_and_date(
    campaign_dir: Callable[..., Path], tmp_path: Path
) -> None:
    ledger = tmp_path / "l.db"
    async with Sink() as sink:
        path = campaign_dir(ROWS, [mailbox_toml(BOX, sink.port)])
        await run_campaign(path, ledger, start=START)
        second = tmp_path / "second.toml"
        second.write_text(path.read_text().replace('name = "test"', 'name = "second"'))
    result = runner.invoke(
        app, ["plan", str(second), "--ledger", str(ledger), "--start", "2026-01-06T08:00"]
    )
    assert result.exit_code == 0, result.output
    assert "3 people not contacted again" in result.output
    assert "anna@buyer1.example: contact: contacted by campaign 'test' on 2026-01-05" in (
        result.output
    )
    assert "0 messages" in result.output


async def test_contacts_show_and_export_hold_the_whole_history(
    campaign_dir: Callable[..., Path], tmp_path: Path
) -> None:
    ledger = tmp_path / "l.db"
    async with Sink() as sink:
        path = campaign_dir(ROWS, [mailbox_toml(BOX, sink.port)])
        await run_campaign(path, ledger)
    with Ledger(ledger) as opened:
        applier = OutcomeApplier(opened, START)
        applier.apply(
            Event("optout", "ben@buyer2.example", START + timedelta(hours=5), "fp-2", "test",
                  detail="please remove me")
        )  # fmt: skip
        applier.apply(
            Event("reply", "johndoe@gmail.com", START + timedelta(hours=6), "fp-3", "test")
        )
    shown = runner.invoke(
        app, ["contacts", "show", "J.O.H.N.doe+x@gmail.com", "--ledger", str(ledger), "--format",
              "json"],
    )  # fmt: skip
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.output)
    assert data["status"] == "replied"
    assert [(h["kind"], h["campaign"]) for h in data["history"]] == [
        ("sent", "test"),
        ("reply", "test"),
    ]
    exported = runner.invoke(app, ["contacts", "export", "--ledger", str(ledger)])
    lines = exported.output.splitlines()
    assert lines[0].startswith("address,status,first_contact,last_contact,campaigns")
    by_address = {line.split(",")[0]: line.split(",") for line in lines[1:]}
    assert by_address["ben@buyer2.example"][1] == "opted-out"
    assert by_address["anna@buyer1.example"][1] == "active"
    assert by_address["anna@buyer1.example"][2].startswith("2026-01-05")
    jsonl = runner.invoke(app, ["contacts", "export", "--ledger", str(ledger), "--format", "jsonl"])
    assert len(jsonl.output.splitlines()) == 3
    missing = runner.invoke(app, ["contacts", "show", "nobody@x.example", "--ledger", str(ledger)])
    assert missing.exit_code == 2 and "knows nobody" in missing.output


def test_status_formats_belong_to_their_mode(tmp_path: Path) -> None:
    campaign = tmp_path / "c.toml"
    campaign.write_text("", encoding="utf-8")
    for args, message in (
        (["--format", "csv"], "--format csv needs --leads"),
        (["--leads", "--format", "json"], "with --leads, use --format table, jsonl or csv"),
    ):
        result = runner.invoke(app, ["status", str(campaign), *args])
        assert result.exit_code == 2 and message in result.output, result.output


async def test_export_in_chunks_gives_each_persons_own_record(
    campaign_dir: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = tmp_path / "l.db"
    rows = [*ROWS, ["carl@buyer3.example", "Carl", "Three"], ["dora@buyer4.example", "Dora", "4"]]
    async with Sink() as sink:
        await run_campaign(campaign_dir(rows, [mailbox_toml(BOX, sink.port)]), ledger)
    with Ledger(ledger) as opened:
        applier = OutcomeApplier(opened, START)
        applier.apply(
            Event("reply", "carl@buyer3.example", START + timedelta(hours=2), "f1", "test")
        )
        applier.apply(
            Event("optout", "dora@buyer4.example", START + timedelta(hours=3), "f2", "test")
        )
        opened.suppress("anna@buyer1.example", "asked", "manual")
        monkeypatch.setattr(contacts, "EXPORT_CHUNK", 2)  # chunks of 2, 2 and 1 people
        chunked = list(contacts.export(opened, "2026-01-09T00:00:00+00:00"))
        one_by_one = [
            contacts.contact_record(opened, identity, opened.history(identity))
            for identity in opened.identities()
        ]
    assert len(chunked) == 5
    assert chunked == one_by_one
    assert {r.address: r.status for r in chunked}["carl@buyer3.example"] == "replied"
    assert {r.address: r.status for r in chunked}["dora@buyer4.example"] == "opted-out"
