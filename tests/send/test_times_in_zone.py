"""Every time shown to the user is in the mailbox's zone, in one format; JSON has ISO 8601
with that zone's offset. Through the CLI, after a real send with a deferred message."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from preflight.cli import app
from preflight.sink import Reply, Sink
from send.helpers import mailbox_toml

BOX = "li.wei@brightline.example"
# Shanghai has no daylight saving time: +08:00 all year.
ZONE = 'timezone = "Asia/Shanghai"'
SHOWN = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d\+08:00")


@pytest.fixture
def sink() -> Iterator[Sink]:
    with Sink([Reply("later@*", "451 4.3.0 Try later")]).in_thread() as running:
        yield running


def test_send_status_plan_and_json_use_the_mailbox_zone(
    campaign_dir: Callable[..., Path], tmp_path: Path, sink: Sink
) -> None:
    box = mailbox_toml(BOX, sink.port).replace('timezone = "UTC"', ZONE)
    path = campaign_dir([["ok@buyer.example", "Anna", "Nordlicht"],
                         ["later@buyer.example", "Ben", "Acme"]], [box])
    ledger = str(tmp_path / "l.db")
    runner = CliRunner()
    sent = runner.invoke(app, ["send", str(path), "--ledger", ledger, "--yes", "--offline"])
    assert sent.exit_code == 0, sent.stdout + sent.stderr
    out = sent.stdout
    assert "UTC" not in out, out
    due = re.search(r"deferred retries are due from (\S+ \S+):", out)
    assert due and SHOWN.fullmatch(due.group(1)), out
    assert f"next retry due {due.group(1)}" in out  # status, after the run: the same format

    status = runner.invoke(app, ["status", str(path), "--ledger", ledger])
    assert status.exit_code == 0, status.output
    assert f"next retry due {due.group(1)}" in status.stdout and "UTC" not in status.stdout

    data = json.loads(runner.invoke(
        app, ["status", str(path), "--ledger", ledger, "--format", "json"]).stdout)
    stamps = [data["generated_at"], data["next_retry"], data["plan"]["start"],
              *(h["since"] for h in data["health"] if h["since"])]
    assert data["next_retry"] is not None
    for stamp in stamps:
        assert stamp.endswith("+08:00"), stamps
        assert datetime.fromisoformat(stamp).utcoffset().total_seconds() == 8 * 3600
    # The JSON's retry time and the text's are the same moment.
    assert data["next_retry"][:16].replace("T", " ") == due.group(1)[:16]

    plan = runner.invoke(app, ["plan", str(path), "--ledger", ledger])
    assert plan.exit_code == 0, plan.output
    found = re.search(r"first send (\S+ \S+), finish (\S+ \S+)", plan.stdout)
    assert found and all(SHOWN.fullmatch(t) for t in found.groups()), plan.stdout
    assert "UTC" not in plan.stdout
