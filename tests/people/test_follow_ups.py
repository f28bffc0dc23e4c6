"""A three-step campaign over 30 days of virtual time, against the real loopback SMTP sink
and a real Maildir: replies, an out-of-office, opt-outs and bounces arrive in between, and
every person gets exactly the mails they should, threaded, from the same mailbox."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import timedelta
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest
from inbox.mail import dsn, out_of_office, reply, to_unsubscribe, write_maildir
from send.helpers import START, mailbox_toml
from typer.testing import CliRunner

from preflight.campaign_config import load_campaign
from preflight.cli import app
from preflight.clock import LoopClock
from preflight.inbox.importer import import_inbox
from preflight.ledger import Ledger
from preflight.session import SendRequest, SendSession
from preflight.sink import Reply, Sink

pytestmark = pytest.mark.looptime
runner = CliRunner()

BOX = "li.wei@brightline.example"
UNSUB = "unsub@brightline.example"
FOLLOW_1 = """Subject:

Hi {{ first_name }},

A short follow-up to my note about stainless fittings for {{ company }}. If a spec sheet
would help, a one-line reply is enough.

Best regards,
Li Wei
Ningbo Brightline Industrial Co., Ltd., No. 88 Jiangnan Road, Ningbo, China
"""
FOLLOW_2 = """Subject: Last note about fittings for {{ company }}

Hi {{ first_name }},

This is my last note. If fittings become relevant for {{ company }}, just reply.

Best regards,
Li Wei
Ningbo Brightline Industrial Co., Ltd., No. 88 Jiangnan Road, Ningbo, China
"""
NAMES = ["replier", "away", "stopper", "mailto", "late.bounce", "quiet1", "quiet2", "nobody"]


def people() -> list[str]:
    return [f"{name}@buyer{i}.example" for i, name in enumerate(NAMES)]


def campaign_file(campaign_dir: Callable[..., Path], tmp_path: Path, port: int) -> Path:
    (tmp_path / "f1.j2").write_text(FOLLOW_1, encoding="utf-8")
    (tmp_path / "f2.j2").write_text(FOLLOW_2, encoding="utf-8")
    rows = [[address, address.split("@")[0].title(), f"Company {i}"]
            for i, address in enumerate(people())]  # fmt: skip
    return campaign_dir(
        rows,
        [mailbox_toml(BOX, port, days='["mon", "tue", "wed", "thu", "fri"]', hours="09:00-17:00")],
        head=f'[unsubscribe]\nmailto = "{UNSUB}"\n'
        '[[follow_up]]\ntemplate = "f1.j2"\nafter_days = 3\n'
        '[[follow_up]]\ntemplate = "f2.j2"\nafter_days = 5\n',
    )


async def session(path: Path, ledger: Path, clock: LoopClock, port: int) -> int:
    config = load_campaign(path)
    with Ledger(ledger) as opened:
        result = await SendSession(
            config, opened, clock, SendRequest(offline=True), seed=1
        ).send(lambda readiness: True)
    return result.sent


def received(sink: Sink) -> dict[str, list[tuple[str, str, str, str]]]:
    """recipient -> [(Message-ID, In-Reply-To, References, Subject)] in order received."""
    got: dict[str, list[tuple[str, str, str, str]]] = {}
    for item in sink.received:
        message = message_from_bytes(item.data, policy=default_policy)
        for rcpt in item.rcpt_tos:
            got.setdefault(rcpt, []).append(
                (str(message["Message-ID"]), str(message["In-Reply-To"] or ""),
                 str(message["References"] or ""), str(message["Subject"]))
            )  # fmt: skip
    return got


async def test_every_person_gets_exactly_the_mails_they_should(
    campaign_dir: Callable[..., Path], tmp_path: Path
) -> None:
    ledger = tmp_path / "l.db"
    everyone = people()
    async with Sink([Reply("nobody@*", "550 5.1.1 User unknown")]) as sink:
        path = campaign_file(campaign_dir, tmp_path, sink.port)
        clock = LoopClock(START)  # Monday 2026-01-05 08:00 UTC
        assert await session(path, ledger, clock, sink.port) == 7
        first = {r: mails[0] for r, mails in received(sink).items()}
        assert set(first) == set(everyone) - {"nobody@buyer7.example"}

        # Tuesday: the answers arrive.
        await asyncio.sleep(86400)
        when = clock.now()
        inbox = write_maildir(tmp_path / "Maildir", [
            reply(everyone[0], BOX, first[everyone[0]][0], "Yes, please send prices.", when, 1),
            out_of_office(everyone[1], BOX, first[everyone[1]][0], "January 14, 2026", when, 2),
            reply(everyone[2], BOX, first[everyone[2]][0], "Please stop emailing me.", when, 3),
            to_unsubscribe(everyone[3], UNSUB, when, 4),
            dsn(everyone[4], first[everyone[4]][0], when, 5),
        ])  # fmt: skip
        with Ledger(ledger) as opened:
            summary = import_inbox(opened, str(inbox), now=when)
        assert summary.kinds == {"reply": 1, "autoreply": 1, "optout": 2, "bounce": 1}

        # Every morning for 30 days, a session sends what has come due.
        for _ in range(29):
            await session(path, ledger, clock, sink.port)
            await asyncio.sleep(86400)
        got = received(sink)

    quiet = [everyone[5], everyone[6]]
    # Nothing more to those who replied, opted out or bounced.
    for person in everyone[0], everyone[2], everyone[3], everyone[4]:
        assert len(got[person]) == 1, person
    assert "nobody@buyer7.example" not in got
    # The quiet ones get both follow-ups; the one away gets them after her return.
    for person in [*quiet, everyone[1]]:
        mails = got[person]
        assert len(mails) == 3, person
        first_id, _, _, first_subject = mails[0]
        one_id, one_reply_to, one_refs, one_subject = mails[1]
        _, two_reply_to, two_refs, two_subject = mails[2]
        assert (one_reply_to, one_refs, one_subject) == (first_id, first_id, f"Re: {first_subject}")
        assert (two_reply_to, two_refs) == (one_id, f"{first_id} {one_id}")
        assert two_subject.startswith("Last note about fittings")
    with Ledger(ledger) as opened:
        sent = {
            (row[0], row[1][:10])
            for row in opened.db.execute(
                "SELECT m.recipient, m.sent_at FROM messages m WHERE m.state = 'sent'"
                " AND m.campaign_id IN (SELECT campaign_id FROM campaign_steps)"
            )
        }
        # 3 send days after Monday = Thursday; 5 after that = Thursday a week later. The one
        # away until Wednesday 14 January gets the first follow-up on Thursday the 15th.
        assert (everyone[5], "2026-01-08") in sent and (everyone[5], "2026-01-15") in sent
        assert (everyone[1], "2026-01-15") in sent and (everyone[1], "2026-01-22") in sent
        froms = {str(row[0]) for row in opened.db.execute(
            "SELECT DISTINCT mailbox FROM messages WHERE state = 'sent'")}  # fmt: skip
    assert froms == {BOX}
    assert START + timedelta(days=29) <= clock.now()
    shown = runner.invoke(
        app, ["status", str(path), "--ledger", str(ledger), "--leads", "--format", "jsonl"]
    )
    assert shown.exit_code == 0, shown.output
    leads = {d["address"]: d for d in map(json.loads, shown.output.splitlines())}
    assert {a: (d["step"], d["state"]) for a, d in leads.items()} == {
        everyone[0]: (0, "replied"),
        everyone[1]: (2, "sent"),
        everyone[2]: (0, "opted-out"),
        everyone[3]: (0, "opted-out"),
        everyone[4]: (0, "bounced"),
        everyone[5]: (2, "sent"),
        everyone[6]: (2, "sent"),
        everyone[7]: (0, "bounced"),
    }
    assert leads[everyone[0]]["last_event"] == "reply"
    assert leads[everyone[1]]["last_event_at"].startswith("2026-01-22T")


def test_plan_shows_each_step_and_when_the_last_follow_up_goes(
    campaign_dir: Callable[..., Path], tmp_path: Path
) -> None:
    path = campaign_file(campaign_dir, tmp_path, 2525)
    result = runner.invoke(
        app, ["plan", str(path), "--ledger", str(tmp_path / "l.db"), "--start",
              "2026-01-05T08:00"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "first mail: 8 messages, 2026-01-05 → 2026-01-05" in result.output
    assert "follow-up 1: 8 messages, 2026-01-08 → 2026-01-08" in result.output
    assert "follow-up 2: 8 messages, 2026-01-15 → 2026-01-15" in result.output
    assert "the last follow-up goes out 2026-01-15" in result.output
