"""The demo is the README's first command: it must lint, send, and record bounces for real."""

import asyncio
import sqlite3
from pathlib import Path

from preflight.demo import run_demo


def test_demo_sends_through_the_sink_and_records_both_kinds_of_bounce(tmp_path: Path) -> None:
    result = asyncio.run(run_demo(tmp_path / "ledger.sqlite3", speed=200000.0))

    suppressed = dict(result.suppressed)
    # Rejected at RCPT by the scripted sink (a bounce in the SMTP reply) ...
    assert suppressed["nobody@nordlicht-handel.example"] == "userunknown"
    # ... and accepted, then bounced later by a DSN read from the inbox Maildir.
    assert suppressed["left.company@suomi-brew.example"] == "userunknown"
    assert result.late_bounces.matched == 1 and result.late_bounces.hard == 1
    assert any(result.inbox.joinpath("new").iterdir())

    db = sqlite3.connect(result.ledger)
    states = dict(
        db.execute(
            "SELECT recipient, state FROM messages WHERE campaign_id ="
            " (SELECT id FROM campaigns WHERE name = 'demo')"
        )
    )
    assert states["left.company@suomi-brew.example"] == "bounced"
    assert states["anna.berg@nordlicht-handel.example"] == "sent"
    assert "sending" not in states.values() and "unknown" not in states.values()
    # The sink accepted exactly the messages the ledger calls sent, plus the one that was
    # accepted and bounced later; RCPT- and DATA-time rejections never arrived.
    sent = [r for r, s in states.items() if s == "sent"]
    assert result.delivered == len(sent) + 1

    # A reply, an out-of-office with a return date and an opt-out arrived in the Maildir;
    # the follow-up went to others, never to those three.
    answered = {address for address, _ in result.answers}
    assert {kind for _, kind in result.answers} == {"reply", "autoreply", "optout"}
    assert result.inbox_summary.kinds["reply"] == 1
    assert result.inbox_summary.kinds["optout"] == 1
    assert result.inbox_summary.kinds["autoreply"] == 1
    assert result.follow_ups and not answered & set(result.follow_ups)
    assert set(result.follow_ups) <= set(sent)
    assert "left.company@suomi-brew.example" not in result.follow_ups
    assert suppressed["m.rossi@rossi-impianti.example"] == "optout"

