"""The sender against a real aiosmtpd server on loopback: every policy branch.

The event loop runs in virtual time (looptime), so 24 h and 48 h retries take no real time;
the SMTP traffic itself is real.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from email.utils import parseaddr
from pathlib import Path

import pytest

from preflight.campaign import RunStats
from preflight.ledger import Ledger
from preflight.sink import Reply, Sink
from send.helpers import START, attempts, mailbox_toml, run_campaign, sample_rows, states

pytestmark = pytest.mark.looptime

BOX = "li.wei@brightline.example"


async def test_delivers_with_unsubscribe_headers_and_own_message_id(
    campaign_dir: Callable[..., Path], tmp_path: Path
) -> None:
    head = (
        '[unsubscribe]\nmailto = "unsub@brightline.example"\n'
        'url = "https://brightline.example/u?e={email}"\n'
    )
    async with Sink() as sink:
        path = campaign_dir(sample_rows(4), [mailbox_toml(BOX, sink.port)], head=head)
        stats, validation = await run_campaign(path, tmp_path / "l.db")
    assert validation.queued == 4 and stats.sent == 4
    assert len(sink.received) == 4
    for item in sink.received:
        message = item.message()
        assert item.mail_from == BOX
        unsubscribe = message["List-Unsubscribe"]
        recipient = item.rcpt_tos[0].replace("@", "%40")
        assert unsubscribe == (
            "<mailto:unsub@brightline.example?subject=unsubscribe>, "
            f"<https://brightline.example/u?e={recipient}>"
        )
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message["Message-ID"].endswith("@brightline.example>")
        assert parseaddr(message["From"])[1] == BOX
    assert set(states(tmp_path / "l.db").values()) == {"sent"}


async def test_hard_bounce_is_suppressed_and_skipped_next_time(
    campaign_dir: Callable[..., Path], tmp_path: Path
) -> None:
    async with Sink([Reply("person1@*", "550 5.1.1 User unknown")]) as sink:
        path = campaign_dir(sample_rows(3), [mailbox_toml(BOX, sink.port)])
        stats, _ = await run_campaign(path, tmp_path / "l.db")
    assert stats.bounced == 1 and stats.sent == 2
    assert "person1@buyer1.example" not in sink.recipients()
    with Ledger(tmp_path / "l.db") as ledger:
        entry = ledger.suppression("person1@buyer1.example")
        assert entry is not None and entry.reason == "userunknown" and entry.source == "smtp"
        row = ledger.db.execute(
            "SELECT state, reply_code, reply_status, reason, hard FROM messages"
            " WHERE recipient = 'person1@buyer1.example'"
        ).fetchone()
    assert tuple(row) == ("bounced", 550, "5.1.1", "userunknown", 1)
    # A second campaign to the same list, re-contact allowed at once: the suppressed
    # address is not even queued.
    path.write_text(
        path.read_text().replace('name = "test"', 'name = "second"\nrecontact_after_days = 0')
    )
    async with Sink() as sink:
        path.write_text(_with_port(path.read_text(), sink.port))
        stats, validation = await run_campaign(path, tmp_path / "l.db")
    assert validation.skipped_address == 1
    assert "person1@buyer1.example" not in sink.recipients()
    assert stats.sent == 2


def _with_port(text: str, port: int) -> str:
    import re

    return re.sub(r"port = \d+", f"port = {port}", text)


async def test_soft_bounce_retried_after_24_then_48_hours_then_suppressed(
    campaign_dir: Callable[..., Path], tmp_path: Path
) -> None:
    async with Sink([Reply("person0@*", "452 4.2.2 Mailbox full")]) as sink:
        path = campaign_dir(sample_rows(2), [mailbox_toml(BOX, sink.port)])
        await run_campaign(path, tmp_path / "l.db", wait_for_retries=True)
    tries = [a for a in attempts(tmp_path / "l.db") if a[1].startswith("person0@")]
    assert [a[3] for a in tries] == ["deferred", "deferred", "bounced"]
    gaps = [round((b[2] - a[2]) / 3600, 3) for a, b in itertools.pairwise(tries)]
    assert gaps == [24.0, 48.0]
    with Ledger(tmp_path / "l.db") as ledger:
        entry = ledger.suppression("person0@buyer0.example")
    assert entry is not None and entry.reason == "soft-limit"
    assert sink.recipients() == ["person1@buyer1.example"]


async def test_soft_bounce_that_clears_is_delivered_on_retry(
    campaign_dir: Callable[..., Path], tmp_path: Path
) -> None:
    async with Sink([Reply("person0@*", "451 4.3.0 Try later", times=1)]) as sink:
        path = campaign_dir(sample_rows(1), [mailbox_toml(BOX, sink.port)])
        await run_campaign(path, tmp_path / "l.db", wait_for_retries=True)
    assert states(tmp_path / "l.db") == {"person0@buyer0.example": "sent"}
    assert sink.recipients() == ["person0@buyer0.example"]
    with Ledger(tmp_path / "l.db") as ledger:
        assert ledger.suppression("person0@buyer0.example") is None


async def test_deferred_retry_waits_for_the_next_run_by_default(
    campaign_dir: Callable[..., Path], tmp_path: Path
) -> None:
    async with Sink([Reply("person0@*", "452 4.2.2 Mailbox full")]) as sink:
        path = campaign_dir(sample_rows(2), [mailbox_toml(BOX, sink.port)])
        stats, _ = await run_campaign(path, tmp_path / "l.db")
    assert stats.next_retry is not None
    assert (stats.next_retry - START).total_seconds() == pytest.approx(24 * 3600, abs=5)
    assert states(tmp_path / "l.db")["person0@buyer0.example"] == "deferred"


@pytest.mark.parametrize(
    ("reply", "stage", "fix"),
    [
        ("554 5.7.1 Message rejected as spam content", "data", "lint"),
        ("550 5.7.26 Unauthenticated email is not accepted due to DMARC policy", "rcpt", "DMARC"),
        (
            "550 5.7.515 Access denied, sending domain does not meet the required"
            " authentication level",
            "rcpt",
            "SPF",
        ),
    ],
)
async def test_spam_or_auth_rejection_pauses_the_mailbox_at_once(
    campaign_dir: Callable[..., Path], tmp_path: Path, reply: str, stage: str, fix: str
) -> None:
    async with Sink([Reply("person1@*", reply, stage=stage)]) as sink:
        path = campaign_dir(sample_rows(5), [mailbox_toml(BOX, sink.port)])
        stats, _ = await run_campaign(path, tmp_path / "l.db")
        assert sink.recipients() == ["person0@buyer0.example"], "nothing after the rejection"
        assert BOX in stats.paused and fix in stats.paused[BOX]
        current = states(tmp_path / "l.db")
        assert current["person1@buyer1.example"] == "failed"
        assert list(current.values()).count("queued") == 3
        with Ledger(tmp_path / "l.db") as ledger:
            assert ledger.suppression("person1@buyer1.example") is None
            assert BOX in ledger.paused_mailboxes()
        # The pause outlives the run: a second run sends nothing.
        stats, _ = await run_campaign(path, tmp_path / "l.db")
        assert stats.sent == 0 and len(sink.received) == 1
        with Ledger(tmp_path / "l.db") as ledger:
            ledger.unpause_mailbox(BOX)
        stats, _ = await run_campaign(path, tmp_path / "l.db")
        assert stats.sent == 3 and len(sink.received) == 4


@pytest.mark.parametrize(
    ("reply", "reason", "fix"),
    [
        ("550 5.4.5 Daily user sending limit exceeded.", "sendinglimit", "sending limit"),
        ("554 5.2.2 Submission quota exceeded. Cannot send the message.", "sendinglimit",
         "reset"),
        ("554 DT:SPM 163 smtp14,EsCowAD3Xq0v1 1696332272,please see http://mail.163.com/help/"
         "help_spam_16.htm?ip=1.2.3.4&hostid=smtp14", "spamdetected", "own mail provider"),
        ("454 Transient reject by behaviour spamANTISPAM_BAT[01201311R1468S4530114229]: too "
         "frequently sending", "sendinglimit", "sending limit"),
    ],
)
async def test_own_provider_refusing_to_send_pauses_and_never_charges_the_recipient(
    campaign_dir: Callable[..., Path], tmp_path: Path, reply: str, reason: str, fix: str
) -> None:
    stop = asyncio.Event()

    def stop_once_held(stats: RunStats) -> None:
        # A sending limit holds the mailbox until the provider's reset (issue 16): the run
        # would wait for it; stop it there.
        if stats.held:
            stop.set()

    async with Sink([Reply("person1@*", reply, stage="rcpt")]) as sink:
        path = campaign_dir(sample_rows(4), [mailbox_toml(BOX, sink.port)])
        stats, _ = await run_campaign(
            path, tmp_path / "l.db", stop=stop, on_progress=stop_once_held
        )
        assert sink.recipients() == ["person0@buyer0.example"], "nothing after the refusal"
        if reason == "sendinglimit":
            assert BOX in stats.held and "sending limit" in stats.held[BOX][0]
        else:
            assert BOX in stats.paused and fix in stats.paused[BOX]
        # The message waits for the mailbox to resume; the address is not charged.
        assert states(tmp_path / "l.db")["person1@buyer1.example"] == "deferred"
        with Ledger(tmp_path / "l.db") as ledger:
            assert ledger.suppression("person1@buyer1.example") is None
            row = ledger.db.execute(
                "SELECT reason, soft_failures FROM messages WHERE recipient = ?",
                ("person1@buyer1.example",)).fetchone()
            assert tuple(row) == (reason, 0)


async def test_hard_bounces_over_five_percent_pause_the_mailbox(
    campaign_dir: Callable[..., Path], tmp_path: Path
) -> None:
    faults = [Reply(f"person{i}@*", "550 5.1.1 User unknown") for i in (0, 1, 2)]
    async with Sink(faults) as sink:
        path = campaign_dir(sample_rows(40), [mailbox_toml(BOX, sink.port)])
        stats, _ = await run_campaign(path, tmp_path / "l.db")
    # 3 hard bounces: the brake holds its judgement until 20 sends, then 3/20 > 5 %.
    assert len(attempts(tmp_path / "l.db")) == 20
    assert "3 of the last 20" in stats.paused[BOX]
    assert len(sink.received) == 17


async def test_rate_answer_slows_the_mailbox_down(
    campaign_dir: Callable[..., Path], tmp_path: Path
) -> None:
    fault = Reply("person1@*", "421 4.7.0 Try again later, closing connection", times=1)
    async with Sink([fault]) as sink:
        path = campaign_dir(sample_rows(5), [mailbox_toml(BOX, sink.port, delay="[10, 10]")])
        stats, _ = await run_campaign(path, tmp_path / "l.db", wait_for_retries=True)
    assert BOX in stats.slowed
    log = attempts(tmp_path / "l.db")
    times = [a[2] for a in log]
    gaps = [round(b - a, 3) for a, b in itertools.pairwise(times)]
    assert gaps[0] == 10.0, "normal pace before the rate answer"
    assert gaps[1] >= 120.0, "a pause right after it"
    assert all(gap >= 20.0 for gap in gaps[1:]), "and double delays from then on"
    assert log[1][3] == "deferred" and log[-1][1] == "person1@buyer1.example"
    assert sorted(sink.recipients()) == sorted(f"person{i}@buyer{i}.example" for i in range(5))
