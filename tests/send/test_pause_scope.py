"""Whose a pause is, through the CLI: two campaigns send from the same address.

A settings pause (a wrong password) belongs to the campaign file that holds the settings: the
other campaign, with its own password variable, is not paused, and its status never names
the first one's variable. A reputation pause (a spam rejection) belongs to the address in
every campaign, and says which campaign and message caused it; plan names it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from preflight.cli import app
from preflight.sink import Reply, Sink
from send.helpers import FAST_PLAN, TEMPLATE, mailbox_toml, write_recipients

BOX = "li.wei@brightline.example"


@pytest.fixture
def sink() -> Iterator[Sink]:
    faults = [Reply("spam@*", "554 5.7.1 Message rejected as spam content", stage="data")]
    with Sink(faults, auth=("li.wei", "the-password")).in_thread() as running:
        yield running


def _campaign(folder: Path, name: str, port: int, password_env: str,
              rows: list[list[str]]) -> Path:
    folder.mkdir()
    (folder / "fast.toml").write_text(FAST_PLAN, encoding="utf-8")
    (folder / "t.j2").write_text(TEMPLATE, encoding="utf-8")
    write_recipients(folder / "r.csv", rows)
    extra = (f'username = "li.wei"\npassword_env = "{password_env}"\n'
             "allow_plaintext_auth = true\n")
    path = folder / "campaign.toml"
    path.write_text(f'[campaign]\nname = "{name}"\ntemplate = "t.j2"\nrecipients = "r.csv"\n'
                    + mailbox_toml(BOX, port, extra=extra), encoding="utf-8")
    return path


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout + result.stderr


def test_settings_pause_is_the_campaigns_and_reputation_pause_the_address(
    tmp_path: Path, sink: Sink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPRING_PASSWORD", "not-the-password")
    monkeypatch.setenv("AUTUMN_PASSWORD", "the-password")
    ledger = str(tmp_path / "l.db")
    spring = _campaign(tmp_path / "spring", "spring", sink.port, "SPRING_PASSWORD",
                       [["anna@buyer.example", "Anna", "Nordlicht"]])
    autumn = _campaign(tmp_path / "autumn", "autumn", sink.port, "AUTUMN_PASSWORD",
                       [["ben@buyer.example", "Ben", "Acme"],
                        ["spam@buyer.example", "Carl", "Acme"],
                        ["dora@buyer.example", "Dora", "Acme"]])
    send = ("--ledger", ledger, "--yes", "--offline")

    code, out = _run("send", str(spring), *send)
    assert code == 1 and "paused sending mailbox li.wei@brightline.example" in out, out
    code, out = _run("status", str(spring), "--ledger", ledger)
    assert "paused sending mailbox li.wei@brightline.example: username:" in out
    assert "the password in $SPRING_PASSWORD" in out, out

    # The other campaign, with its own (right) password: not paused, and its status says
    # nothing of spring's variable.
    code, out = _run("status", str(autumn), "--ledger", ledger)
    assert "paused" not in out and "SPRING_PASSWORD" not in out, out
    code, out = _run("plan", str(autumn), "--ledger", ledger)
    assert "paused" not in out, out
    code, out = _run("send", str(autumn), *send)
    # ben goes out; the spam rejection pauses the address itself, so dora waits.
    assert code == 1, out
    assert sink.recipients() == ["ben@buyer.example"]
    assert "campaign autumn, message to spam@buyer.example" in out, out

    # The reputation pause stops every campaign of the address, and says why.
    for campaign in (spring, autumn):
        code, out = _run("status", str(campaign), "--ledger", ledger)
        assert "paused sending mailbox li.wei@brightline.example: 554 5.7.1" in out, out
        assert "campaign autumn, message to spam@buyer.example" in out
    code, out = _run("plan", str(spring), "--ledger", ledger)
    assert "every sending mailbox is paused" in out and "554 5.7.1" in out, out

    # --unpause in autumn lifts the address's pause, but not spring's settings pause.
    monkeypatch.setenv("AUTUMN_PASSWORD", "the-password")
    code, out = _run("send", str(autumn), *send, "--unpause")
    assert code == 0 and "dora@buyer.example" in sink.recipients(), out
    code, out = _run("status", str(spring), "--ledger", ledger)
    assert "paused sending mailbox" in out and "5.7.1" not in out, out


def test_skipped_means_the_same_in_the_send_summary_and_in_status(
    tmp_path: Path, sink: Sink, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A duplicate is not skipped (its first row is sent); a typo and an empty name are."""
    monkeypatch.setenv("AUTUMN_PASSWORD", "the-password")
    ledger = str(tmp_path / "l.db")
    path = _campaign(tmp_path / "autumn", "autumn", sink.port, "AUTUMN_PASSWORD",
                     [["ben@buyer.example", "Ben", "Acme"],
                      ["BEN@buyer.example", "Ben", "Acme"],
                      ["kevin@gamil.com", "Kevin", "Acme"],
                      ["empty@buyer.example", "", "Acme"]])
    code, out = _run("send", str(path), "--ledger", ledger, "--yes", "--offline")
    assert code == 0, out
    assert "4 rows: 1 pass, 2 skipped" in out and "1 duplicate of a row above" in out, out
    code, out = _run("status", str(path), "--ledger", ledger)
    header = next(line for line in out.splitlines() if line.startswith("mailbox"))
    total = next(line for line in out.splitlines() if line.startswith("total"))
    counts = dict(zip(header.split()[1:], total.split()[1:], strict=True))
    assert counts["skipped"] == "2" and counts["sent"] == "1", out
