"""Where the ledger is: --ledger, $PREFLIGHT_LEDGER, [ledger] url; URLs shown without password."""

from __future__ import annotations

from pathlib import Path

import pytest

from preflight.errors import ConfigError, UsageError
from preflight.ledger.location import check_location, redact, resolve


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://ann:s3cr%40t@db.example:5432/team", "postgresql://ann@db.example:5432/team"),
        ("postgres://ann:pw@db/team?sslmode=require&password=pw",
         "postgres://ann@db/team?sslmode=require"),
        ("postgresql://ann@db/team", "postgresql://ann@db/team"),
        ("mysql://root:hunter2@db/x", "mysql://root@db/x"),
        ("/home/ann/ledger.sqlite3", "/home/ann/ledger.sqlite3"),
    ],
)
def test_redact_removes_every_password(url: str, shown: str) -> None:
    assert redact(url) == shown


def test_precedence_option_then_environment_then_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PREFLIGHT_LEDGER", raising=False)
    (tmp_path / "preflight.toml").write_text(
        '[ledger]\nurl = "postgresql://team@db.example/ledger"\n', encoding="utf-8"
    )
    assert resolve() == "postgresql://team@db.example/ledger"
    monkeypatch.setenv("PREFLIGHT_LEDGER", str(tmp_path / "mine.sqlite3"))
    assert resolve() == tmp_path / "mine.sqlite3"
    assert resolve("postgresql://x@h/db") == "postgresql://x@h/db"


@pytest.mark.parametrize(
    ("table", "field", "message"),
    [
        ('[ledger]\nurl = "postgresql://a:pw@h/db"\n', "ledger.url", "must not contain a password"),
        ('[ledger]\nuri = "postgresql://a@h/db"\n', "ledger.uri", "unknown key"),
        ('[ledger]\nurl = 5\n', "ledger.url", "non-empty string"),
        ('[ledger]\nurl = "mysql://a@h/db"\n', "ledger.url", "postgresql:// URL"),
    ],
)
def test_a_bad_ledger_table_is_one_error_naming_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, table: str, field: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PREFLIGHT_LEDGER", raising=False)
    (tmp_path / "preflight.toml").write_text(table, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        resolve()
    assert caught.value.field == field and message in str(caught.value)
    assert "pw" not in str(caught.value)


def test_an_unknown_scheme_is_refused_without_its_password() -> None:
    with pytest.raises(UsageError) as caught:
        check_location("mysql://root:hunter2@db/x")
    assert "hunter2" not in str(caught.value) and "mysql://root@db/x" in str(caught.value)


def test_an_unknown_scheme_in_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFLIGHT_LEDGER", "mysql://root:hunter2@db/x")
    with pytest.raises(ConfigError) as caught:
        resolve()
    assert caught.value.field == "PREFLIGHT_LEDGER" and "hunter2" not in str(caught.value)
