"""The events that change what happens are lines in words, with times in the mailbox's zone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from preflight.sink import Sink
from send.helpers import mailbox_toml, run_campaign, sample_rows

pytestmark = pytest.mark.looptime

BOX = "li.wei@brightline.example"
ONE_A_DAY = """name = "one"
hourly_cap = 10
[[steps]]
from_day = 1
daily = 1
"""


async def test_waiting_for_the_window_and_the_daily_cap_are_one_line_each(
    campaign_dir: Callable[..., Path], tmp_path: Path
) -> None:
    async with Sink() as sink:
        box = mailbox_toml(BOX, sink.port, warmup="one.toml", hours="12:00-17:00")
        path = campaign_dir(sample_rows(2), [box.replace('"UTC"', '"Europe/Berlin"')])
        (tmp_path / "one.toml").write_text(ONE_A_DAY, encoding="utf-8")
        # Monday 08:00 UTC is 09:00 in Berlin: three hours before the window opens.
        stats, _ = await run_campaign(path, tmp_path / "l.db")
    assert stats.sent == 2
    assert stats.events == [
        f"{BOX}: waiting for the send window until 2026-01-05 12:00+01:00",
        f"{BOX}: daily cap reached until 2026-01-06 12:00+01:00",
    ]
