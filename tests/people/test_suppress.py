"""`preflight suppress`: by hand, through CSV, for every campaign and every spelling."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from send.helpers import mailbox_toml, run_campaign
from typer.testing import CliRunner

from preflight.cli import app
from preflight.ledger import Ledger
from preflight.sink import Sink

runner = CliRunner()
BOX = "li.wei@brightline.example"


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_suppress_round_trips_through_csv(tmp_path: Path) -> None:
    first, second = str(tmp_path / "a.db"), str(tmp_path / "b.db")
    _run("suppress", "add", "Anna@Buyer1.example", "x@buyer2.example", "--reason",
         "=asked by phone", "--ledger", first)  # fmt: skip
    exported = _run("suppress", "export", "--ledger", first)
    assert "'=asked by phone" in exported  # a spreadsheet will not run it
    (tmp_path / "s.csv").write_text(exported, encoding="utf-8")
    assert "suppressed 2, already suppressed 0" in _run(
        "suppress", "import", str(tmp_path / "s.csv"), "--ledger", second
    )
    assert "suppressed 0, already suppressed 2" in _run(
        "suppress", "import", str(tmp_path / "s.csv"), "--ledger", second
    )
    with Ledger(second) as ledger:
        entries = {(e.address, e.reason) for e in ledger.suppressions()}
    assert entries == {("anna@buyer1.example", "=asked by phone"), ("x@buyer2.example",
                        "=asked by phone")}  # fmt: skip
    assert "removed 1" in _run("suppress", "remove", "anna@buyer1.example", "--ledger", second)
    listed = runner.invoke(app, ["suppress", "list", "--ledger", second]).output
    assert "x@buyer2.example" in listed and "anna@buyer1.example" not in listed


def test_a_bad_row_names_its_line_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "s.csv").write_text("email,reason\na@b.example,x\nnot-an-address,y\n")
    result = runner.invoke(
        app, ["suppress", "import", str(tmp_path / "s.csv"), "--ledger", str(tmp_path / "l.db")]
    )
    assert result.exit_code == 2
    assert "s.csv:3: email: not an email address: 'not-an-address'" in result.output
    with Ledger(tmp_path / "l.db") as ledger:
        assert ledger.suppressions() == []


async def test_a_suppressed_person_is_skipped_under_any_spelling(
    campaign_dir: Callable[..., Path], tmp_path: Path
) -> None:
    ledger = str(tmp_path / "l.db")
    _run("suppress", "add", "John.Doe@gmail.com", "--ledger", ledger)
    async with Sink() as sink:
        path = campaign_dir(
            [["johndoe+news@googlemail.com", "J", "D"], ["ok@buyer1.example", "O", "K"]],
            [mailbox_toml(BOX, sink.port)],
        )
        _stats, validation = await run_campaign(path, Path(ledger))
    assert sink.recipients() == ["ok@buyer1.example"]
    assert validation.skipped_address == 1
    shown = _run("contacts", "show", "johndoe@gmail.com", "--ledger", ledger)
    assert "suppressed" in shown and "manual" in shown


def test_people_commands_open_the_ledger_they_are_given(
    ledger_at: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A PostgreSQL URL read as a file path once made a folder "postgresql:" and a new,
    # empty SQLite ledger in it: the export then listed nobody.
    monkeypatch.chdir(tmp_path)
    _run("suppress", "add", "anna@buyer1.example", "--reason", "asked", "--ledger", ledger_at)
    with Ledger(ledger_at) as opened:
        assert "anna@buyer1.example" in opened.suppressed_among(["anna@buyer1.example"])
    exported = _run("contacts", "export", "--ledger", ledger_at)
    assert exported.splitlines()[1].startswith("anna@buyer1.example,")
    assert "anna@buyer1.example" in _run("suppress", "list", "--ledger", ledger_at)
    assert not (tmp_path / "postgresql:").exists()
    wrong = runner.invoke(app, ["contacts", "export", "--ledger", "mysql://db.example/x"])
    assert wrong.exit_code == 2, wrong.output
    assert len(wrong.output.strip().splitlines()) == 1 and "mysql://" in wrong.output
