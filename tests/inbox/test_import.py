"""`preflight inbox import` on a real campaign's replies in a real Maildir: every kind lands
where it should, opt-outs suppress for every campaign, a re-import changes nothing, and
`bounces import` keeps working on the same mail."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from send.helpers import START, mailbox_toml, run_campaign, sample_rows
from typer.testing import CliRunner

from inbox.mail import dsn, newsletter, out_of_office, reply, to_unsubscribe, write_maildir
from preflight.cli import app
from preflight.contacts import show
from preflight.ledger import Ledger
from preflight.sink import Sink

runner = CliRunner()
BOX = "li.wei@brightline.example"
UNSUB = "unsub@brightline.example"


def message_ids(ledger: Path) -> dict[str, str]:
    with Ledger(ledger) as opened:
        return {
            row[0]: row[1]
            for row in opened.db.execute("SELECT recipient, message_id FROM messages")
        }


@pytest.fixture
def campaign(campaign_dir: Callable[..., Path], tmp_path: Path) -> tuple[Path, Path]:
    async def send() -> None:
        async with Sink() as sink:
            path = campaign_dir(
                sample_rows(6),
                [mailbox_toml(BOX, sink.port)],
                head=f'[unsubscribe]\nmailto = "{UNSUB}"\n',
            )
            stats, _ = await run_campaign(path, tmp_path / "l.db")
            assert stats.sent == 6

    import asyncio

    asyncio.run(send())
    return tmp_path / "campaign.toml", tmp_path / "l.db"


def dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    db = sqlite3.connect(path)
    try:
        return {
            table: db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
            for table in ("messages", "suppression", "bounces", "contact_events", "attempts")
        }
    finally:
        db.close()


def test_inbox_import_sorts_applies_and_is_idempotent(
    campaign: tuple[Path, Path], tmp_path: Path
) -> None:
    _, ledger = campaign
    ids = message_ids(ledger)
    people = sorted(ids)
    when = START + timedelta(days=1)
    inbox = write_maildir(
        tmp_path / "Maildir",
        [
            reply(people[0], BOX, ids[people[0]], "Yes, send the spec sheet please.", when, 1),
            reply(people[1], BOX, ids[people[1]], "Not now, maybe in spring.", when, 2),
            reply(people[2], BOX, ids[people[2]], "Please remove me from your list.", when, 3),
            out_of_office(people[3], BOX, ids[people[3]], "January 19, 2026", when, 4),
            to_unsubscribe(people[4], UNSUB, when, 5),
            dsn(people[5], ids[people[5]], when, 6),
            newsletter(when, 7),
        ],
    )
    result = runner.invoke(app, ["inbox", "import", str(inbox), "--ledger", str(ledger)])
    assert result.exit_code == 0, result.output
    assert "read 7 messages: bounce 1, autoreply 1, reply 2, optout 2, other 1" in result.output
    assert "opt-outs suppressed: 2" in result.output
    with Ledger(ledger) as opened:
        statuses = {p: show(opened, p, "2026-01-06")[0].status for p in people}
        suppressed = {s.address: s.source for s in opened.suppressions()}
        until = opened.db.execute(
            "SELECT until_date FROM contact_events WHERE kind = 'autoreply'"
        ).fetchall()
        until = [tuple(row) for row in until]
    assert statuses == {
        people[0]: "replied",
        people[1]: "replied",  # "not now" is a reply
        people[2]: "opted-out",
        people[3]: "active",
        people[4]: "opted-out",
        people[5]: "bounced",
    }
    assert suppressed == {people[2]: "optout", people[4]: "optout", people[5]: "bounce"}
    assert until == [("2026-01-19",)]
    before = dump(ledger)
    again = runner.invoke(app, ["inbox", "import", str(inbox), "--ledger", str(ledger)])
    assert again.exit_code == 0, again.output
    assert "already imported: 6" in again.output
    assert dump(ledger) == before
    bounces = runner.invoke(app, ["bounces", "import", str(inbox), "--ledger", str(ledger)])
    assert bounces.exit_code == 0, bounces.output
    assert "1 already imported" in bounces.output
    after = dump(ledger)
    # It keeps its own record of the out-of-office (informational) and changes nothing else.
    had = before.pop("bounces")
    added = [row for row in after.pop("bounces") if row not in had]
    assert [row[5] for row in added] == ["vacation"]
    assert after == before


def test_an_address_only_in_the_quoted_text_is_never_matched(
    campaign: tuple[Path, Path], tmp_path: Path
) -> None:
    _, ledger = campaign
    ids = message_ids(ledger)
    person = sorted(ids)[0]
    # A stranger forwards our mail: our recipient's address appears only in the quote.
    text = f"Fwd. See below.\n\n> From: {person}\n> Please remove me"
    data = reply("stranger@else.example", BOX, "<unknown@else.example>", text, START, 9)
    inbox = write_maildir(tmp_path / "Maildir", [data])
    result = runner.invoke(app, ["inbox", "import", str(inbox), "--ledger", str(ledger)])
    assert "other 1" in result.output, result.output
    with Ledger(ledger) as opened:
        assert opened.suppressions() == []
        assert opened.contact_events() == []
