"""Warm-up plan files and campaign files: shipped plans, every validation error."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from preflight.campaign_config import load_campaign
from preflight.errors import ConfigError
from preflight.schedule import Dispatcher, DomainCap, MailboxSchedule, QueuedMessage, SendWindow
from preflight.warmup import load_plan, shipped_plans
from send.helpers import mailbox_toml, sample_rows

MONDAY = date(2026, 1, 5)


def test_shipped_plans_ramp_as_documented() -> None:
    assert set(shipped_plans()) >= {"new-mailbox", "standard", "established"}
    new = load_plan("new-mailbox")
    assert new.base_cap(1) <= 5 and new.base_cap(43) == 40
    assert 35 <= new.days_to_reach_max() <= 45, "about six weeks"
    standard = load_plan("standard")
    assert standard.base_cap(1) == 5 and standard.base_cap(60) == 50
    assert standard.days_to_reach_max() <= 28, "about four weeks"
    established = load_plan("established")
    assert established.base_cap(3) > standard.base_cap(60)
    for plan in (new, standard, established):
        assert plan.description, "every shipped plan says what it is for"


def test_weekday_factor_and_days_before_start() -> None:
    plan = load_plan("new-mailbox")
    sunday = MONDAY + timedelta(days=6)
    saturday = MONDAY + timedelta(days=5)
    assert plan.daily_cap(MONDAY, sunday) == 0
    assert plan.daily_cap(MONDAY, saturday) == plan.base_cap(6) // 2
    assert plan.daily_cap(MONDAY, MONDAY - timedelta(days=1)) == 0


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("hourly_cap = 5\nspeed = 3\n[ramp]\nstart=1\nincrement=1\nmax=5\n", "speed"),
        ("hourly_cap = 5\n", "ramp"),
        ("hourly_cap = 0\n[ramp]\nstart=1\nincrement=1\nmax=5\n", "hourly_cap"),
        ("hourly_cap = 5\n[[steps]]\nfrom_day = 2\ndaily = 3\n", "steps[1].from_day"),
        (
            "hourly_cap = 5\n[ramp]\nstart=1\nincrement=1\nmax=5\n[weekdays]\nsunday=0\n",
            "weekdays.sunday",
        ),
    ],
)
def test_bad_plan_names_the_key(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_plan(str(path))
    assert caught.value.field == field and caught.value.file == str(path)


def test_unknown_plan_name_lists_the_shipped_ones() -> None:
    with pytest.raises(ConfigError, match="new-mailbox, standard"):
        load_plan("turbo")


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ('timezone = "Mars/Olympus"', "mailbox[1].timezone", "unknown time zone"),
        ('send_hours = "17:00-09:00"', "mailbox[1].send_hours", "end after start"),
        ("delay_seconds = [10]", "mailbox[1].delay_seconds", "minimum, maximum"),
        ('security = "ssl"', "mailbox[1].security", "starttls, tls, none"),
        ('username = "li"', "mailbox[1].password_env", "NAME of the environment"),
        (
            'username = "li"\npassword_env = "hunter2 secret"',
            "mailbox[1].password_env",
            "never the password itself",
        ),
    ],
)
def test_bad_mailbox_values(
    campaign_dir: Callable[..., Path], extra: str, field: str, message: str
) -> None:
    box = mailbox_toml("a@b.example", 25)
    key = extra.split(" ", 1)[0]
    if re.search(rf"^{key} = ", box, flags=re.M):
        box = re.sub(rf"^{key} = .*$", extra, box, flags=re.M)
    else:
        box += extra + "\n"
    path = campaign_dir(sample_rows(1), [box])
    with pytest.raises(ConfigError, match=message) as caught:
        load_campaign(path)
    assert caught.value.field == field and caught.value.file == str(path)
    assert "hunter2" not in str(caught.value)


def test_campaign_level_errors(campaign_dir: Callable[..., Path]) -> None:
    box = mailbox_toml("a@b.example", 25)
    path = campaign_dir(sample_rows(1), [box], head='[unsubscribe]\nurl = "http://x.example/u"\n')
    with pytest.raises(ConfigError, match="https://"):
        load_campaign(path)
    path.write_text(path.read_text().replace("[unsubscribe]", "[unsubscrib]"))
    with pytest.raises(ConfigError) as caught:
        load_campaign(path)
    assert caught.value.field == "unsubscrib" and caught.value.line is not None
    path.write_text('[campaign\nname = "x"\n')
    with pytest.raises(ConfigError, match="invalid TOML") as caught:
        load_campaign(path)
    assert caught.value.line == 1


def test_defaults_and_policy_overrides(campaign_dir: Callable[..., Path]) -> None:
    head = "[policy]\nsoft_retry_hours = [6, 12, 24]\nsuppress_after_soft = 4\n"
    path = campaign_dir(sample_rows(1), [mailbox_toml("Li@B.Example", 25)], head=head)
    config = load_campaign(path)
    assert config.domain_cap == 20 and config.lint.threshold == 5.0
    assert config.policy.soft_retry_after == (
        timedelta(hours=6),
        timedelta(hours=12),
        timedelta(hours=24),
    )
    assert config.policy.suppress_after_soft == 4
    assert config.mailboxes[0].address == "Li@b.example"


def _schedule(name: str = "a", delay: tuple[float, float] = (0, 0)) -> MailboxSchedule:
    window = SendWindow(frozenset(range(5)), time(9), time(17), ZoneInfo("Asia/Shanghai"))
    return MailboxSchedule(name, load_plan("standard"), MONDAY, window, delay, random.Random(1))


def test_window_is_local_time_and_skips_the_weekend() -> None:
    schedule = _schedule()
    friday_evening = datetime(2026, 1, 9, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai
    when = datetime.fromtimestamp(schedule.earliest(friday_evening.timestamp()) or 0, UTC)
    assert when == datetime(2026, 1, 12, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai


def test_a_plan_with_no_room_left_is_never() -> None:
    plan_path_free = _schedule()
    plan_path_free.plan = load_plan("standard")
    plan_path_free.window = SendWindow(frozenset(), time(9), None, ZoneInfo("UTC"))
    assert plan_path_free.earliest(datetime(2026, 1, 5, tzinfo=UTC).timestamp()) is None


def test_dispatcher_keeps_file_order_within_the_domain_cap() -> None:
    dispatcher = Dispatcher({"a": _schedule()}, DomainCap(1, 3600))
    for seq, address in enumerate(["x1@big.example", "x2@big.example", "y@other.example"], 1):
        dispatcher.add(QueuedMessage(seq, seq, address, address.split("@")[1]))
    now = datetime(2026, 1, 5, 1, 0, tzinfo=UTC).timestamp()
    order = []
    while (pick := dispatcher.next(now)) is not None:
        dispatcher.record(pick, pick.when)
        order.append((pick.message.recipient, pick.when - now))
        now = pick.when
    assert [r for r, _ in order] == ["x1@big.example", "y@other.example", "x2@big.example"]
    assert order[2][1] == 3600
