"""The bounces commands: output formats and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from preflight.cli import app

runner = CliRunner()


def test_classify_jsonl_prints_one_object_per_recipient(corpus: Path) -> None:
    result = runner.invoke(app, ["bounces", "classify", "--format", "jsonl",
                                 str(corpus / "lhost-qmail-17.eml"), str(corpus / "arf-01.eml")])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["recipient"] for line in lines] == [
        "userunknown@libsisimai.net", "mailboxfull@libsisimai.net", "redacted@example.net"]
    assert set(lines[0]) == {"file", "recipient", "status", "reason", "hard", "replycode",
                             "action", "diagnostic", "original_message_id", "detector"}
    assert (lines[1]["reason"], lines[1]["hard"], lines[1]["status"]) == ("mailboxfull", False,
                                                                         "5.2.2")


def test_classify_text_is_a_table(corpus: Path) -> None:
    result = runner.invoke(app, ["bounces", "classify", str(corpus / "lhost-postfix-33.eml")])
    assert result.exit_code == 0
    assert "userunknown@libsisimai.org" in result.stdout and "hard" in result.stdout


def test_import_errors_are_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nope.mbox"
    result = runner.invoke(app, ["bounces", "import", str(missing), "--ledger",
                                 str(tmp_path / "l.sqlite3")])
    assert result.exit_code != 0
    assert result.stderr.strip().splitlines() == [
        f"preflight: error: {missing}: no such file or folder"]
    result = runner.invoke(app, ["bounces", "import", "imaps://me:pw@127.0.0.1/INBOX",
                                 "--ledger", str(tmp_path / "l.sqlite3")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "do not put the password in the IMAP address" in result.stderr


def test_import_prints_a_summary(corpus: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.eml").write_bytes((corpus / "lhost-postfix-33.eml").read_bytes())
    result = runner.invoke(app, ["bounces", "import", str(folder), "--ledger",
                                 str(tmp_path / "l.sqlite3")])
    assert result.exit_code == 0, result.output
    assert "read 1 messages: 1 new records" in result.stdout
    # Nothing in this ledger was sent: an unmatched bounce is stored and suppresses nobody.
    assert "unmatched: 1" in result.stdout and "addresses suppressed: 0" in result.stdout
