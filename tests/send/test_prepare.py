"""The pre-send gate: the process pool gives exactly the in-process verdicts, in order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

from preflight.addresses import AddressChecker
from preflight.campaign_config import load_campaign
from preflight.prepare import BuiltMessages, validate_rows
from preflight.templates import load_template
from send.helpers import mailbox_toml, sample_rows

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def test_pool_matches_in_process(campaign_dir: Callable[..., Path]) -> None:
    rows = sample_rows(60)
    rows[7][2] = "Evil\nBcc: x@elsewhere.example"
    rows[20] = list(rows[3])  # a duplicate
    rows[33][0] = "not-an-address"
    path = campaign_dir(rows, [mailbox_toml("a@brightline.example", 25)])
    config = load_campaign(path)
    template = load_template(config.template)

    def run(workers: int) -> list[tuple[object, ...]]:
        outcomes = validate_rows(
            config, template, AddressChecker(), now=NOW, keep_message=True, workers=workers
        )
        return [
            (o.seq, o.recipient, o.state, o.detail, o.score, o.payload is not None)
            for o in outcomes
        ]

    alone, pooled = run(1), run(2)
    assert pooled == alone
    assert [item[0] for item in pooled] == list(range(1, 61))
    states = {item[0]: item[2] for item in pooled}
    assert states[8] == "skipped" and states[21] == "duplicate" and states[34] == "skipped"
    assert list(states.values()).count("queued") == 57


def test_built_messages_are_sent_with_a_fresh_date() -> None:
    built = BuiltMessages(budget_bytes=100)
    payload = (
        b"From: a@b.example\nDate: Mon, 05 Jan 2026 08:00:00 +0000\nSubject: x\n\nDate: body\n"
    )
    built.keep("r@x.example", payload, "<1@b.example>")
    built.keep("s@x.example", payload, "<2@b.example>")  # over the budget: not kept
    assert len(built) == 1
    later = datetime(2026, 1, 6, 9, 30, tzinfo=UTC)
    taken = built.take("r@x.example", later)
    assert taken is not None and taken[1] == "<1@b.example>"
    message = message_from_bytes(taken[0], policy=default_policy)
    assert message["Date"] == "Tue, 06 Jan 2026 09:30:00 +0000"
    assert taken[0].endswith(b"\nDate: body\n"), "only the header line changes"
    assert built.take("r@x.example", later) is None and built.used == 0
