"""Recipients on internationalized domains: the A-label on the wire, a valid To header, and
an address that cannot be sent refused for its row without stopping the run."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable
from pathlib import Path

import pytest

from preflight.errors import InputError
from preflight.idn import ascii_address
from preflight.sink import Sink
from send.helpers import mailbox_toml, run_campaign, states

pytestmark = pytest.mark.looptime

BOX = "li.wei@brightline.example"


def test_a_labels_and_refusals() -> None:
    assert ascii_address("max@müller.example") == "max@xn--mller-kva.example"
    assert ascii_address("info@xn--mller-kva.example") == "info@xn--mller-kva.example"
    assert ascii_address("a@MÜLLER.example") == "a@xn--mller-kva.example"
    for bad in ("müller@müller.example", "a@xn--zz-.example", "a@ex\u200dample.example"):
        with pytest.raises(InputError) as refused:
            ascii_address(bad)
        assert "\n" not in str(refused.value)


async def test_idn_recipients_are_sent_and_never_stop_the_run(
    campaign_dir: Callable[..., Path], tmp_path: Path
) -> None:
    rows = [
        ["person0@buyer0.example", "Ana", "A Co"],
        ["max@müller.example", "Max", "Müller GmbH"],
        ["info@xn--mller-kva.example", "Info", "Müller AG"],
        ["jörg@müller.example", "Jörg", "Müller KG"],
        ["person4@buyer4.example", "Eve", "E Co"],
    ]
    async with Sink() as sink:
        path = campaign_dir(rows, [mailbox_toml(BOX, sink.port)], head="domain_cap = false\n")
        stats, validation = await run_campaign(path, tmp_path / "l.db")
        for _ in range(2):  # and on every re-run
            again, _ = await run_campaign(path, tmp_path / "l.db")
            assert again.sent == 0
    assert sorted(sink.recipients()) == [
        "info@xn--mller-kva.example",
        "max@xn--mller-kva.example",
        "person0@buyer0.example",
        "person4@buyer4.example",
    ]
    assert stats.sent == 4
    refused = [line for line in validation.examples if "jörg" in line]
    assert len(refused) == 1 and "SMTPUTF8" in refused[0]
    for item in sink.received:
        parsed = email.message_from_bytes(item.data, policy=email.policy.default)
        to = parsed["To"].addresses[0].addr_spec
        assert to.isascii() and "=?" not in str(parsed["To"]) and to in sink.recipients()
    assert states(tmp_path / "l.db")["jörg@müller.example"] == "skipped"
