"""The PostgreSQL backend itself: concurrent start-up, passwords, one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.postgres_server import PostgresServer
from typer.testing import CliRunner

from preflight.cli import app
from preflight.errors import LedgerError
from preflight.ledger import Ledger
from preflight.ledger.messages import RowRecord

OPEN = "import sys; from preflight.ledger import Ledger; Ledger(sys.argv[1]).close()"


def _with_password(url: str, password: str) -> str:
    return url.replace("preflight@", f"preflight:{password}@", 1)


def test_processes_starting_at_once_apply_each_migration_once(ledger_at: str) -> None:
    starters = [
        subprocess.Popen([sys.executable, "-c", OPEN, ledger_at], stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    errors = [p.communicate(timeout=60)[1].decode() for p in starters]
    assert [p.returncode for p in starters] == [0] * 4, errors
    with Ledger(ledger_at) as ledger:
        names = [r[0] for r in ledger.db.execute("SELECT name FROM schema_migrations")]
        assert sorted(names) == ledger.applied_migrations() and len(names) == len(set(names))
        assert "0002_send_attempts" in names
        assert ledger.db.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 0


def test_the_password_may_come_from_the_url_or_a_pgpass_file(
    postgres_url: str, postgres_server: PostgresServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PGPASSWORD")
    with pytest.raises(LedgerError):
        Ledger(postgres_url).close()
    with Ledger(_with_password(postgres_url, postgres_server.password)) as ledger:
        assert postgres_server.password not in ledger.where
        assert ledger.where.startswith("postgresql://preflight@127.0.0.1:")
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:*:*:preflight:{postgres_server.password}\n", encoding="utf-8")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    with Ledger(postgres_url) as ledger:
        assert ledger.suppress("a@b.example", "manual", "manual")


def test_a_wrong_password_is_one_line_that_never_shows_it(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PGPASSWORD")
    campaign = tmp_path / "campaign.toml"
    campaign.write_text("", encoding="utf-8")
    wrong = _with_password(postgres_url, "Wr0ngSecret")
    result = CliRunner().invoke(app, ["bounces", "import", str(tmp_path), "--ledger", wrong])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Wr0ngSecret" not in result.output + result.stderr
    assert "password authentication failed" in lines[0]
    assert lines[0].startswith("preflight: error: postgresql://preflight@127.0.0.1:")


def test_an_unreachable_server_is_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PGCONNECT_TIMEOUT": "2"}
    result = subprocess.run(
        [sys.executable, "-m", "preflight", "bounces", "import", str(tmp_path), "--ledger",
         f"postgresql://ann:TopSecret@127.0.0.1:{port}/team"],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "TopSecret" not in result.stderr + result.stdout
    assert f"postgresql://ann@127.0.0.1:{port}/team: cannot open the ledger" in lines[0]


def test_percent_signs_and_placeholders_mean_the_same_on_both(ledger_at: str) -> None:
    with Ledger(ledger_at) as ledger:
        ledger.suppress("a%b@x.example", "manual", "manual", "100% sure")
        with_params = ledger.db.execute(
            "SELECT detail FROM suppression WHERE address LIKE ? AND detail LIKE '100%'",
            ("a%",),
        ).fetchone()
        without = ledger.db.execute(
            "SELECT 7 % 3, detail FROM suppression WHERE detail LIKE '%sure'"
        ).fetchone()
        assert tuple(with_params) == ("100% sure",) and tuple(without) == (1, "100% sure")


@pytest.mark.parametrize(
    ("url", "env", "expected"),
    [
        ("postgresql://ann@127.0.0.1:5432/team", {}, {}),
        ("postgresql://ann@localhost/team", {}, {}),
        ("postgresql://ann@[::1]/team", {}, {}),
        ("postgresql:///team?host=/run/postgresql", {}, {}),
        ("postgresql://ann@db.example.com/team", {},
         {"sslmode": "verify-full", "sslrootcert": "system"}),
        ("postgresql://ann@db.example.com/team", {"PGSSLROOTCERT": "/ca.pem"},
         {"sslmode": "verify-full"}),
        ("postgresql://ann@db.example.com/team?sslmode=require", {}, {}),
        ("postgresql://ann@db.example.com/team", {"PGSSLMODE": "verify-ca"}, {}),
    ],
)
def test_a_server_off_this_machine_gets_verified_tls_by_default(
    url: str, env: dict[str, str], expected: dict[str, str], tmp_path: Path
) -> None:
    from preflight.ledger.backend import tls_settings

    assert tls_settings(url, {"HOME": str(tmp_path), **env}) == expected


@pytest.mark.parametrize("mode", ["disable", "allow", "prefer"])
def test_a_mode_that_may_send_the_password_in_clear_is_refused(mode: str) -> None:
    from preflight.ledger.backend import tls_settings

    with pytest.raises(LedgerError) as caught:
        tls_settings(f"postgresql://ann:pw@10.1.2.3/team?sslmode={mode}", {})
    assert f"sslmode={mode} could send the password to 10.1.2.3 without TLS" in str(caught.value)
    with pytest.raises(LedgerError) as caught:  # refused before any connection is tried
        Ledger(f"postgresql://ann:pw@10.1.2.3/team?sslmode={mode}")
    assert "pw@" not in str(caught.value)


def test_sqlite_spellings_mean_the_same_on_postgresql(ledger_at: str) -> None:
    with Ledger(ledger_at) as ledger:
        ledger.suppress("Ann@Company.Example", "manual", "manual")
        row = ledger.db.execute(
            "SELECT COUNT(*), IFNULL(NULL, 'x'), AVG(LENGTH(address)) FROM suppression"
            " WHERE address LIKE ?",
            ("%@COMPANY.example",),
        ).fetchone()
        assert tuple(row) == (1, "x", 19.0) and isinstance(row[2], float)
        campaign = ledger.campaign_id("c")
        ledger.store_rows(campaign, [RowRecord(1, 2, "a@b.example", {}, "queued", None, 2.345)],
                          "2026-01-05T08:00:00+00:00")
        rounded = ledger.db.execute("SELECT ROUND(lint_score, 1) FROM messages").fetchone()[0]
        assert rounded == 2.3 and isinstance(rounded, float)
