"""Empty, formula-like and leftover values block their row in send, whatever the score."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from preflight.cli import app
from preflight.sink import Sink
from send.helpers import TEMPLATE, mailbox_toml

BOX = "li.wei@brightline.example"


@pytest.fixture
def sink() -> Iterator[Sink]:
    with Sink([]).in_thread() as running:
        yield running


def _send(path: Path, ledger: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["send", str(path), "--ledger", str(ledger), "--yes",
                                      "--offline"])
    return result.exit_code, result.stdout + result.stderr


def test_empty_formula_and_guarded_formula_values_never_go_out(
    campaign_dir: Callable[..., Path], tmp_path: Path, sink: Sink
) -> None:
    rows = [
        ["ok@buyer.example", "Anna", "Nordlicht"],
        ["empty@buyer.example", "", "Nordlicht"],
        ["formula@buyer.example", '=HYPERLINK("http://evil.example","click me")', "X"],
        # What `check --fix --out` writes: the guard apostrophe is not part of the value.
        ["guarded@buyer.example", "'=HYPERLINK(\"http://evil.example\",\"click me\")", "X"],
        ["phone@buyer.example", "+49 30 1234", "Nordlicht"],  # a number, not a formula
    ]
    path = campaign_dir(rows, [mailbox_toml(BOX, sink.port)])
    code, out = _send(path, tmp_path / "l.db")
    assert code == 0, out
    sent = {rcpt for item in sink.received for rcpt in item.rcpt_tos}
    assert sent == {"ok@buyer.example", "phone@buyer.example"}
    assert "skipped line 3 empty@buyer.example: value: empty first_name" in out
    assert '{{ first_name or "there" }}' in out
    assert "skipped line 4 formula@buyer.example: value: first_name looks like a spreadsheet" in out
    assert "skipped line 5 guarded@buyer.example: value: first_name looks like" in out
    for item in sink.received:
        assert b"'=" not in item.data and b"HYPERLINK" not in item.data


def test_a_template_default_lets_an_empty_value_through(
    campaign_dir: Callable[..., Path], tmp_path: Path, sink: Sink
) -> None:
    template = TEMPLATE.replace("Hi {{ first_name }},", 'Hi {{ first_name or "there" }},')
    path = campaign_dir([["empty@buyer.example", "", "Nordlicht"]],
                        [mailbox_toml(BOX, sink.port)], template=template)
    code, out = _send(path, tmp_path / "l.db")
    assert code == 0, out
    assert len(sink.received) == 1 and b"Hi there," in sink.received[0].data


def test_a_leftover_placeholder_blocks_the_message(
    campaign_dir: Callable[..., Path], tmp_path: Path, sink: Sink
) -> None:
    template = TEMPLATE.replace("Best regards,", "Best regards, [Your Name]")
    path = campaign_dir([["a@buyer.example", "Anna", "Nordlicht"]],
                        [mailbox_toml(BOX, sink.port)], template=template)
    code, out = _send(path, tmp_path / "l.db")
    assert code == 0 and len(sink.received) == 0
    assert "1 skipped" in out and "placeholder" in out and "[Your Name]" in out, out
