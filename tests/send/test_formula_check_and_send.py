"""`check` flags the formula-like values that `send` blocks, in the same rows.

The values are found the way the CSV guard of `check --out` finds them: past invisible
characters and in full-width form, with "+"/"-" a formula unless a number follows.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from preflight.cli import app
from preflight.sink import Sink
from send.helpers import mailbox_toml

BOX = "li.wei@brightline.example"

ROWS = [
    ["ok@buyer.example", "Anna", "Nordlicht", "+49 30 1234"],
    ["zwsp@buyer.example", "\u200b=HYPERLINK(\"http://evil.example\",\"x\")", "Acme", ""],
    ["wide@buyer.example", "Carl", "\uff1dA1*2", ""],
    ["dde@buyer.example", "Dora", "Acme", "-2+3+cmd|' /C calc'!A0"],
    ["at@buyer.example", "Emil", "\u00a0@SUM(A1)", ""],
]


@pytest.fixture
def sink() -> Iterator[Sink]:
    with Sink([]).in_thread() as running:
        yield running


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("PREFLIGHT_LEDGER", str(tmp_path / "no-ledger" / "ledger.sqlite3"))
    return CliRunner()


def _campaign(campaign_dir: Callable[..., Path], tmp_path: Path, port: int) -> Path:
    path = campaign_dir([row[:3] for row in ROWS], [mailbox_toml(BOX, port)])
    with (tmp_path / "r.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "first_name", "company", "phone"])
        writer.writerows(ROWS)
    return path


def _flagged(out: str) -> dict[str, str]:
    flagged = {}
    for line in out.splitlines():
        if ": warn " in line and "formula:" in line:
            address = line.split(": warn ", 1)[1].split(":", 1)[0]
            flagged[address] = line
    return flagged


def test_check_flags_in_used_columns_and_send_blocks_the_same_rows(
    campaign_dir: Callable[..., Path], tmp_path: Path, sink: Sink, runner: CliRunner
) -> None:
    path = _campaign(campaign_dir, tmp_path, sink.port)
    csv_path = tmp_path / "r.csv"

    # With the template: only first_name and company count; the phone column is not used.
    result = runner.invoke(app, ["check", str(csv_path), "--template", str(tmp_path / "t.j2")])
    assert result.exit_code == 0, result.output
    flagged = _flagged(result.stdout)
    assert set(flagged) == {"zwsp@buyer.example", "wide@buyer.example", "at@buyer.example"}
    assert "first_name looks like a spreadsheet formula" in flagged["zwsp@buyer.example"]
    assert "company looks like a spreadsheet formula" in flagged["wide@buyer.example"]
    assert "warn formula" in " ".join(result.stdout.split())

    # Without a template every column counts: the DDE phone value is flagged too, the
    # phone number is not.
    result = runner.invoke(app, ["check", str(csv_path)])
    assert set(_flagged(result.stdout)) == {
        "zwsp@buyer.example", "wide@buyer.example", "at@buyer.example", "dde@buyer.example"}

    # send blocks exactly the rows check flagged for the template.
    result = runner.invoke(app, ["send", str(path), "--ledger", str(tmp_path / "l.db"), "--yes",
                                 "--offline"])
    out = result.stdout + result.stderr
    assert result.exit_code == 0, out
    sent = {rcpt for item in sink.received for rcpt in item.rcpt_tos}
    assert sent == {"ok@buyer.example", "dde@buyer.example"}
    for address in ("zwsp@buyer.example", "wide@buyer.example", "at@buyer.example"):
        assert f"{address}: value: " in out and "looks like a spreadsheet formula" in out


def test_check_out_keeps_the_row_guarded_and_send_still_blocks_it(
    campaign_dir: Callable[..., Path], tmp_path: Path, sink: Sink, runner: CliRunner
) -> None:
    """A warned row goes to --out with the guard apostrophe; send reads it back the way a
    spreadsheet does and blocks it, so neither the formula nor the apostrophe goes out."""
    path = _campaign(campaign_dir, tmp_path, sink.port)
    clean = tmp_path / "clean.csv"
    result = runner.invoke(app, ["check", str(tmp_path / "r.csv"), "--out", str(clean)])
    assert result.exit_code == 0, result.output
    kept = clean.read_text(encoding="utf-8")
    assert "'\u200b=HYPERLINK" in kept and "'+49 30 1234" in kept
    clean.replace(tmp_path / "r.csv")
    result = runner.invoke(app, ["send", str(path), "--ledger", str(tmp_path / "l.db"), "--yes",
                                 "--offline"])
    assert result.exit_code == 0, result.stdout + result.stderr
    sent = {rcpt for item in sink.received for rcpt in item.rcpt_tos}
    assert sent == {"ok@buyer.example", "dde@buyer.example"}
    for item in sink.received:
        assert b"HYPERLINK" not in item.data and b"'" not in item.data.split(b"Hi ", 1)[1][:3]
