"""Provider limits against the local SMTP server in virtual time: spacing, shared host slots,
domain quotas across mailboxes and restarts, holds after a provider's "limit reached"."""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiolimiter import AsyncLimiter

from preflight.campaign import RunStats, plan_campaign
from preflight.campaign_config import load_campaign
from preflight.clock import LoopClock
from preflight.errors import ConfigError
from preflight.ledger import Ledger
from preflight.provider_limits import SendLimits, providers, reset_at
from preflight.rate_limit import RateLimiters
from preflight.schedule import Pick
from preflight.sink import Reply, Sink
from send.helpers import START, attempts, mailbox_toml, run_campaign, sample_rows

pytestmark = pytest.mark.looptime

LIMIT_REPLY = (
    "550 5.4.5 Daily user sending limit exceeded. For more information on Gmail sending "
    "limits go to https://support.google.com/a/answer/166852"
)


def most_in_window(times: Sequence[float], window: float) -> int:
    """The largest number of ``times`` inside any half-open window of ``window`` seconds."""
    ordered = sorted(times)
    return max(
        (bisect.bisect_left(ordered, t + window) - i for i, t in enumerate(ordered)), default=0
    )


def limits_toml(provider: str, **limits: object) -> str:
    lines = [f'provider = "{provider}"']
    if limits:
        lines.append("[mailbox.limits]")
        lines += [f"{key} = {str(value).lower()}" for key, value in limits.items()]
    return "\n".join(lines)


# -- the data file and the campaign keys ---------------------------------------------------


def test_every_provider_has_numbers_a_source_and_a_date() -> None:
    known = providers()
    assert set(known) >= {
        "microsoft365",
        "google-workspace",
        "gmail",
        "outlook-com",
        "exmail",
        "netease-qiye",
        "aliyun-qiye",
        "custom",
    }
    for key, entry in known.items():
        assert entry.source and entry.checked.year >= 2026, key
        assert entry.limits.provider == key
        if key != "custom":
            assert entry.limits.active, f"{key} has no limit"
    assert known["microsoft365"].limits.per_minute == 30
    assert known["microsoft365"].limits.recipients_per_day == 10000
    assert known["google-workspace"].limits.per_day == 2000
    assert known["exmail"].limits.domain_per_day is not None


def test_a_mailbox_overrides_its_providers_numbers(
    campaign_dir: Callable[..., Path],
) -> None:
    extra = limits_toml("microsoft365", per_minute=20, recipients_per_day=False)
    path = campaign_dir(sample_rows(1), [mailbox_toml("a@x.example", 25, extra=extra)])
    limits = load_campaign(path).mailboxes[0].limits
    assert limits.provider == "microsoft365"
    assert limits.per_minute == 20 and limits.interval == 3.0
    assert limits.recipients_per_day is None, "false switches a limit off"
    plain = campaign_dir(sample_rows(1), [mailbox_toml("a@x.example", 25)])
    assert load_campaign(plain).mailboxes[0].limits == SendLimits()


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        ('provider = "hotmale"', "mailbox[1].provider", "unknown provider 'hotmale'"),
        (limits_toml("gmail", per_day=0), "mailbox[1].limits.per_day", "at least 1"),
        (limits_toml("gmail", per_hour=5), "mailbox[1].limits.per_hour", "unknown key"),
        (limits_toml("exmail", reset='"weekly"'), "mailbox[1].limits.reset", "rolling"),
    ],
)
def test_bad_provider_settings_name_the_key(
    campaign_dir: Callable[..., Path], extra: str, field: str, words: str
) -> None:
    path = campaign_dir(sample_rows(1), [mailbox_toml("a@x.example", 25, extra=extra)])
    with pytest.raises(ConfigError) as caught:
        load_campaign(path)
    assert caught.value.field == field and caught.value.line is not None
    assert words in str(caught.value)


def test_reset_is_the_time_the_answer_names_else_the_providers_reset() -> None:
    now = datetime(2026, 1, 5, 15, 30, tzinfo=UTC).timestamp()
    rolling = SendLimits(provider="x", per_day=5)
    assert reset_at(rolling, "5.4.5 Daily user sending limit exceeded", now) == now + 86400
    midnight = SendLimits(provider="x", per_day=5, reset="midnight", timezone="Asia/Shanghai")
    # 15:30 UTC is 23:30 in Shanghai: the reset is half an hour away.
    assert reset_at(midnight, "quota exceeded", now) == now + 1800
    assert reset_at(rolling, "451 4.4.2 throttled, try again in 15 minutes", now) == now + 900
    named = "554 5.2.2 submission quota exceeded until 2026-01-06 08:00 UTC"
    assert reset_at(rolling, named, now) == datetime(2026, 1, 6, 8, tzinfo=UTC).timestamp()


# -- aiolimiter as the sender uses it ------------------------------------------------------


async def test_aiolimiter_slot_admits_one_send_per_interval_without_a_first_burst() -> None:
    loop = asyncio.get_running_loop()
    config_box = _Box("a@x.example", "smtp.x.example", providers()["microsoft365"].limits)
    limiters = RateLimiters([config_box])
    times = []
    for _ in range(65):
        await limiters.acquire("a@x.example")
        times.append(loop.time())
    assert most_in_window(times, 60.0) == 30
    assert times[1] - times[0] == pytest.approx(2.0), "no burst at the start"
    # What the default configuration would have done: a full bucket's burst, 59 in a minute.
    burst = AsyncLimiter(30, 60)
    start = loop.time()
    bursty = []
    for _ in range(65):
        await burst.acquire()
        bursty.append(loop.time() - start)
    assert most_in_window(bursty, 60.0) > 30


class _Box:
    def __init__(self, address: str, host: str, limits: SendLimits) -> None:
        self.address, self.host, self.limits = address, host, limits

    @property
    def domain(self) -> str:
        return self.address.rsplit("@", 1)[1]


# -- sending against the local server ------------------------------------------------------


async def test_microsoft365_mailbox_never_sends_more_than_30_in_any_minute(
    campaign_dir: Callable[..., Path], tmp_path: Path
) -> None:
    box = "li.wei@brightline.example"
    async with Sink() as sink:
        path = campaign_dir(
            sample_rows(100),
            [mailbox_toml(box, sink.port, extra=limits_toml("microsoft365"))],
            head="domain_cap = false\n",
        )
        stats, _ = await run_campaign(path, tmp_path / "l.db")
        assert len(sink.received) == 100
    assert stats.sent == 100
    times = [t for _, _, t, _ in attempts(tmp_path / "l.db")]
    assert most_in_window(times, 60.0) == 30
    # Paced, not throttled: one every 2 seconds, so 100 sends take 198 seconds.
    assert max(times) - min(times) == pytest.approx(198.0, abs=0.01)


async def test_mailboxes_on_one_host_and_domain_share_its_per_minute_limit(
    campaign_dir: Callable[..., Path], tmp_path: Path
) -> None:
    shared = ["a@brightline.example", "b@brightline.example"]
    other = "c@otherco.example"
    extra = limits_toml("custom", host_per_minute=10)
    async with Sink() as sink:
        path = campaign_dir(
            sample_rows(60),
            [mailbox_toml(box, sink.port, extra=extra) for box in [*shared, other]],
            head="domain_cap = false\n",
        )
        stats, _ = await run_campaign(path, tmp_path / "l.db")
    assert stats.sent == 60
    log = attempts(tmp_path / "l.db")
    together = [t for m, _, t, _ in log if m in shared]
    assert {m for m, _, _, _ in log} == {*shared, other}
    assert most_in_window(together, 60.0) == 10, "the host's limit holds for both together"
    # Another account domain on the same host has a slot of its own: 10 more a minute.
    assert most_in_window([t for m, _, t, _ in log if m == other], 60.0) == 10
    assert most_in_window([t for _, _, t, _ in log], 60.0) == 20


async def test_a_relays_per_second_limit_spaces_every_mailbox_of_the_account(
    campaign_dir: Callable[..., Path], tmp_path: Path
) -> None:
    boxes = ["a@brightline.example", "b@brightline.example", "c@brightline.example"]
    async with Sink() as sink:
        path = campaign_dir(
            sample_rows(30),
            [
                mailbox_toml(box, sink.port, extra=limits_toml("amazon-ses-sandbox"))
                for box in boxes
            ],
            head="domain_cap = false\n",
        )
        stats, _ = await run_campaign(path, tmp_path / "l.db")
    times = sorted(t for _, _, t, _ in attempts(tmp_path / "l.db"))
    assert stats.sent == 30
    assert most_in_window(times, 1.0) == 1, "one a second across the three mailboxes"
    assert times[-1] - times[0] == pytest.approx(29.0, abs=0.01)


async def test_domain_quota_holds_across_mailboxes_and_restarts(
    campaign_dir: Callable[..., Path], tmp_path: Path
) -> None:
    boxes = ["a@brightline.example", "b@brightline.example"]
    extra = limits_toml("exmail", domain_per_day=5)
    ledger = tmp_path / "l.db"
    async with Sink() as sink:
        path = campaign_dir(
            sample_rows(12),
            [mailbox_toml(box, sink.port, extra=extra, delay="[5, 5]") for box in boxes],
            head="domain_cap = false\n",
        )
        clock = LoopClock(START)
        first, _ = await run_campaign(path, ledger, clock=clock, limit=3)
        assert first.sent == 3
        # A restart: a new run, counting from the ledger, stopped once it would wait a day.
        stop = asyncio.Event()

        def stop_at_the_quota(stats: RunStats) -> None:
            if stats.next_send is not None and stats.next_send > START + timedelta(hours=1):
                stop.set()

        second, _ = await run_campaign(
            path, ledger, clock=clock, stop=stop, on_progress=stop_at_the_quota
        )
        assert second.sent == 2 and second.stopped
        # The whole domain's quota is spent: even a third mailbox of it waits a day.
        newcomer = campaign_dir(
            sample_rows(12),
            [mailbox_toml(box, sink.port, extra=extra) for box in [*boxes, "n@brightline.example"]],
            head="domain_cap = false\n",
        )
        with Ledger(ledger) as opened:
            forecast = plan_campaign(
                load_campaign(newcomer),
                [(i, r[0]) for i, r in enumerate(sample_rows(12)[5:], 6)],
                start=clock.now(),
                ledger=opened,
            )
    log = attempts(ledger)
    assert len(log) == 5 and {m for m, _, _, _ in log} == set(boxes)
    assert forecast.first is not None
    assert forecast.first.timestamp() >= min(t for _, _, t, _ in log) + 86400


@pytest.mark.parametrize(
    ("provider", "resume"),
    [
        # Google counts over a rolling 24 hours: the hold lasts a day from the refusal.
        ("google-workspace", lambda refused: refused + 86400),
        # Outlook.com resets at midnight UTC: the next day starts the hold's end.
        ("outlook-com", lambda refused: datetime(2026, 1, 6, tzinfo=UTC).timestamp()),
    ],
)
async def test_provider_limit_answer_holds_the_mailbox_until_the_next_day(
    campaign_dir: Callable[..., Path],
    tmp_path: Path,
    provider: str,
    resume: Callable[[float], float],
) -> None:
    box = "li.wei@brightline.example"
    ledger = tmp_path / "l.db"
    rows = sample_rows(6, lambda i: f"buyer{i}.example")
    async with Sink([Reply("person3@*", LIMIT_REPLY, times=1)]) as sink:
        path = campaign_dir(
            rows, [mailbox_toml(box, sink.port, extra=limits_toml(provider), delay="[10, 10]")]
        )
        clock = LoopClock(START)
        stop = asyncio.Event()

        def stop_once_held(stats: RunStats) -> None:
            if stats.held:
                stop.set()

        first, _ = await run_campaign(
            path, ledger, clock=clock, stop=stop, on_progress=stop_once_held
        )
        assert first.sent == 3 and first.deferred == 1 and box in first.held
        # A restart before the reset keeps the hold (it is in the ledger), then sends all.
        second, _ = await run_campaign(path, ledger, clock=clock, wait_for_retries=True)
        assert second.sent == 3 and len(sink.received) == 6
    log = attempts(ledger)
    refused = next(t for _, r, t, o in log if r.startswith("person3@") and o == "deferred")
    later = sorted(t for _, _, t, _ in log if t > refused)
    assert later[0] == pytest.approx(resume(refused), abs=0.01)
    with Ledger(ledger) as opened:
        row = opened.db.execute(
            "SELECT state, soft_failures FROM messages WHERE recipient LIKE 'person3@%'"
        ).fetchone()
        refusal = opened.db.execute(
            "SELECT reply_status, outcome FROM attempts WHERE reply_code = 550"
        ).fetchall()
        hold = opened.db.execute("SELECT reason, until_at FROM mailbox_holds").fetchone()
        assert tuple(row) == ("sent", 0), "never charged to the recipient"
        assert [tuple(r) for r in refusal] == [("5.4.5", "deferred")]
        assert opened.suppression("person3@buyer3.example") is None
        assert "5.4.5" in hold[0] and "sending limit reached" in hold[0]
        assert datetime.fromisoformat(hold[1]).timestamp() == pytest.approx(resume(refused))
        assert opened.paused_mailboxes() == {}, "a hold ends by itself; no --unpause needed"


async def test_plan_agrees_with_send_under_provider_limits(
    campaign_dir: Callable[..., Path], tmp_path: Path
) -> None:
    boxes = ["a@brightline.example", "b@brightline.example"]
    extra = limits_toml("microsoft365", per_minute=20, host_per_minute=30, domain_per_day=70)
    rows = sample_rows(90)
    async with Sink() as sink:
        path = campaign_dir(
            rows,
            [mailbox_toml(box, sink.port, extra=extra, delay="[1, 4]") for box in boxes],
            head="domain_cap = false\n",
        )
        picks: list[Pick] = []
        predicted = plan_campaign(
            load_campaign(path),
            [(i + 1, r[0]) for i, r in enumerate(rows)],
            start=START,
            seed=7,
            on_pick=picks.append,
        )
        stop = asyncio.Event()

        def stop_after_two_days(stats: RunStats) -> None:
            if stats.next_send is not None and stats.next_send > START + timedelta(days=2):
                stop.set()

        await run_campaign(
            path, tmp_path / "l.db", seed=7, stop=stop, on_progress=stop_after_two_days
        )
    log = attempts(tmp_path / "l.db")
    assert len(log) == 90 and predicted.scheduled == 90
    # The plan's exact sequence: who sends to whom, and when (to the ledger's millisecond).
    assert [(p.mailbox, p.message.recipient) for p in picks] == [(m, r) for m, r, _, _ in log]
    for pick, (_, _, when, _) in zip(picks, log, strict=True):
        assert when == pytest.approx(pick.when, abs=0.002)
    # The domain quota binds: 70 on the first day, the rest 24 hours after the first send.
    assert sum(1 for *_, t, _ in log if t < START.timestamp() + 86400) == 70
    assert min(t for *_, t, _ in log[70:]) == pytest.approx(log[0][2] + 86400, abs=0.002)
    bindings = {limit for day in predicted.binding.values() for limit in day.values()}
    assert bindings == {(70, "microsoft365 domain quota")}


# -- what plan and warmup show print -------------------------------------------------------


def test_plan_and_warmup_show_say_which_limit_binds(
    campaign_dir: Callable[..., Path], tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from preflight.cli import app

    runner = CliRunner()
    extra = limits_toml("gmail", per_day=10)
    path = campaign_dir(
        sample_rows(150),
        [
            mailbox_toml("a@brightline.example", 25, warmup="standard", extra=extra),
            mailbox_toml("b@brightline.example", 25, warmup="standard"),
        ],
    )
    result = runner.invoke(
        app,
        ["plan", str(path), "--ledger", str(tmp_path / "l.db"), "--start", "2026-01-05T08:00"],
    )
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "a@brightline.example: gmail: 10 a day, 500 recipients a day" in out
    assert "daily limit that binds" in out
    # Day 1 of `standard` is 5 a day: the plan binds; from day 4 (11) the override does.
    binding = out[out.index("daily limit that binds") :].splitlines()
    day1 = next(line for line in binding if line.startswith("Mon 2026-01-05"))
    assert day1.split()[2:] == ["5", "(plan)", "5", "(plan)"]
    late = [line for line in binding if "10 (gmail per day)" in line]
    assert late and all("(plan)" in line for line in late), "b has no provider: its plan binds"
    shown = runner.invoke(app, ["warmup", "show", "established", "--provider", "gmail"])
    assert shown.exit_code == 0
    rows = [line.split() for line in shown.stdout.splitlines() if line[:1].isdigit()]
    assert rows[0][:3] == ["1", "100", "plan"]
    # A mailbox on a known provider's host without `provider` gets a hint naming it.
    hinted = campaign_dir(
        sample_rows(3),
        [mailbox_toml("c@brightline.example", 25).replace("127.0.0.1", "smtp.office365.com")],
    )
    result = runner.invoke(app, ["plan", str(hinted), "--ledger", str(tmp_path / "l.db")])
    assert result.exit_code == 0, result.stderr
    assert 'sends through smtp.office365.com: add provider = "microsoft365"' in result.stdout
    bad = runner.invoke(app, ["warmup", "show", "standard", "--provider", "yahooo"])
    assert bad.exit_code == 2 and "unknown provider 'yahooo'" in bad.stderr


async def test_a_refusal_under_a_domain_quota_holds_every_mailbox_of_the_domain(
    campaign_dir: Callable[..., Path], tmp_path: Path
) -> None:
    boxes = ["a@brightline.example", "b@brightline.example"]
    ledger = tmp_path / "l.db"
    async with Sink([Reply("person2@*", LIMIT_REPLY, times=1)]) as sink:
        path = campaign_dir(
            sample_rows(6, lambda i: f"buyer{i}.example"),
            [
                mailbox_toml(box, sink.port, extra=limits_toml("exmail"), delay="[10, 10]")
                for box in boxes
            ],
        )
        stats, _ = await run_campaign(path, ledger, wait_for_retries=True)
        assert len(sink.received) == 6
    assert set(stats.held) == set(boxes)
    log = attempts(ledger)
    refused = next(t for _, r, t, o in log if r.startswith("person2@") and o == "deferred")
    # Exmail's quota resets at midnight in Shanghai: 16:00 UTC on the same day.
    midnight_shanghai = datetime(2026, 1, 5, 16, tzinfo=UTC).timestamp()
    after = sorted(t for _, _, t, _ in log if t > refused)
    assert after[0] == pytest.approx(midnight_shanghai, abs=0.01)
    with Ledger(ledger) as opened:
        holds = opened.db.execute("SELECT mailbox FROM mailbox_holds").fetchall()
    assert sorted(row[0] for row in holds) == boxes


SUBMISSION_QUOTA_NDR = b"""From: postmaster@outlook.example
To: sales@sender.example
Subject: Undeliverable: Fittings for you
Message-ID: <ndr-quota-1@outlook.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain

Your message couldn't be delivered because you exceeded your sending limit.

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; outlook.example

Final-Recipient: rfc822; buyer@firm.example
Action: failed
Status: 5.2.2
Diagnostic-Code: smtp; 554 5.2.2 STOREDRV.Submit; submission quota exceeded

--b1
Content-Type: message/rfc822

Message-ID: <quota-1@sender.example>
From: sales@sender.example
To: buyer@firm.example
Subject: Fittings for you

Hello
--b1--
"""


def test_an_imported_submission_quota_ndr_holds_the_mailbox_and_spares_the_recipient(
    tmp_path: Path,
) -> None:
    from bounces.helpers import MAILBOX, seed_messages

    from preflight.bounces.importer import Importer
    from preflight.bounces.sources import RawMessage

    now = datetime(2026, 11, 2, 9, tzinfo=UTC)
    with Ledger(tmp_path / "l.db") as ledger:
        seed_messages(ledger.db, [("buyer@firm.example", "<quota-1@sender.example>")])
        Importer(ledger, now=now).import_one(RawMessage(data=SUBMISSION_QUOTA_NDR, location="t"))
        row = ledger.db.execute(
            "SELECT state, reason, soft_failures, next_attempt_at FROM messages"
        ).fetchone()
        holds = ledger.mailbox_holds(now.isoformat())
        # Accepted, then reported undelivered: not sent again (a later bounce never re-sends,
        # so a forged one cannot), and not charged to the recipient.
        assert tuple(row) == ("bounced", "sendinglimit", 0, None)
        assert datetime.fromisoformat(holds[MAILBOX][1]) == now + timedelta(days=1)
        assert set(holds) == {MAILBOX} and "sending limit" in holds[MAILBOX][0]
        assert ledger.suppression("buyer@firm.example") is None
        assert ledger.paused_mailboxes() == {}
