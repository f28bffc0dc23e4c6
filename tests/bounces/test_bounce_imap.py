"""Importing bounces from a real Dovecot IMAP server on loopback (TLS verified).

The session fixture (bounces/imap_server.py) starts its own Dovecot with
scripts/imap-test-server.sh on free ports. When it cannot (no Dovecot and no root to install
it) these tests fail with one line saying what to run (they never skip): an unverified IMAP
path would be shipped untested.
"""

from __future__ import annotations

import imaplib
import ssl
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bounces.helpers import seed_messages, snapshot
from preflight.bounces.importer import import_source
from preflight.errors import MailboxError, UsageError
from preflight.ledger import Ledger

FILES = ["lhost-postfix-33.eml", "arf-01.eml", "lhost-office365-12.eml", "rfc3834-01.eml"]
SENT = [
    ("userunknown@libsisimai.org", "<20150429233445.BB8FFFFC16@p6.libsisimai.org>"),
    ("redacted@example.net", "<arf@sender.example>"),
    ("kijitora@cr.neko.nyaan.jp", "<o365@sender.example>"),
]


@pytest.fixture
def imap(corpus: Path, imap_server: dict[str, object]
         ) -> Iterator[tuple[dict[str, object], str]]:
    """A fresh folder holding the test bounces, APPENDed over IMAP; removed afterwards."""
    server = imap_server
    folder = f"Bounces-{uuid.uuid4().hex[:8]}"
    context = ssl.create_default_context(cafile=str(server["cafile"]))
    client = imaplib.IMAP4_SSL(str(server["host"]), int(str(server["imaps_port"])),
                               ssl_context=context)
    client.login(str(server["user"]), str(server["password"]))
    client.create(folder)
    for name in FILES:
        status, _ = client.append(folder, None, None, (corpus / name).read_bytes())
        assert status == "OK"
    yield server, folder
    for name in (folder, f"{folder}-done"):
        client.delete(name)
    client.logout()


def _count(server: dict[str, object], folder: str) -> int:
    context = ssl.create_default_context(cafile=str(server["cafile"]))
    client = imaplib.IMAP4_SSL(str(server["host"]), int(str(server["imaps_port"])),
                               ssl_context=context)
    client.login(str(server["user"]), str(server["password"]))
    status, data = client.select(folder, readonly=True)
    client.logout()
    return int(data[0]) if status == "OK" and data[0] else -1


def test_imaps_import_updates_ledger_and_suppression_then_moves(
    imap: tuple[dict[str, object], str], ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, folder = imap
    monkeypatch.setenv("BOUNCE_BOX_PASSWORD", str(server["password"]))
    seed_messages(ledger.db, SENT, mailboxes={"redacted@example.net": "fbl-abuse@example.org.com"})
    url = f"imaps://{server['user']}@{server['host']}:{server['imaps_port']}/{folder}"

    summary = import_source(ledger, url, password_env="BOUNCE_BOX_PASSWORD",
                            cafile=str(server["cafile"]))
    assert summary.messages == len(FILES) and summary.records == 4
    row = ledger.db.execute("SELECT state, reason FROM messages WHERE recipient = ?",
                            ("userunknown@libsisimai.org",)).fetchone()
    assert tuple(row) == ("bounced", "userunknown")
    assert {s.address for s in ledger.suppressions()} == {"userunknown@libsisimai.org",
                                                          "redacted@example.net"}
    sources = {b.source for b in ledger.bounces()}
    assert all(s and s.startswith("imaps://bounces@127.0.0.1:") and ";UID=" in s
               for s in sources)

    before = snapshot(ledger)
    again = import_source(ledger, url, password_env="BOUNCE_BOX_PASSWORD",
                          cafile=str(server["cafile"]), move_to=f"{folder}-done")
    assert again.records == 0 and again.already_imported == 4 and again.moved == len(FILES)
    assert snapshot(ledger) == before
    assert _count(server, folder) == 0 and _count(server, f"{folder}-done") == len(FILES)


def test_starttls_and_since(imap: tuple[dict[str, object], str], ledger: Ledger,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import date, timedelta

    server, folder = imap
    monkeypatch.setenv("PREFLIGHT_IMAP_PASSWORD", str(server["password"]))
    url = f"imap://{server['user']}@{server['host']}:{server['imap_port']}/{folder}"
    future = date.today() + timedelta(days=2)
    assert import_source(ledger, url, cafile=str(server["cafile"]), since=future).messages == 0
    summary = import_source(ledger, url, cafile=str(server["cafile"]),
                            since=date.today() - timedelta(days=1))
    assert summary.messages == len(FILES)


def test_tls_is_verified_and_secrets_come_from_the_environment(
    imap: tuple[dict[str, object], str], ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, folder = imap
    url = f"imaps://{server['user']}@{server['host']}:{server['imaps_port']}/{folder}"
    monkeypatch.delenv("PREFLIGHT_IMAP_PASSWORD", raising=False)
    with pytest.raises(UsageError, match="PREFLIGHT_IMAP_PASSWORD"):
        import_source(ledger, url)
    monkeypatch.setenv("PREFLIGHT_IMAP_PASSWORD", str(server["password"]))
    # The self-signed certificate is not trusted without the CA file: no silent downgrade.
    with pytest.raises(MailboxError, match=r"CERTIFICATE_VERIFY_FAILED|certificate"):
        import_source(ledger, url)
    assert import_source(ledger, url, insecure=True).messages == len(FILES)
    monkeypatch.setenv("PREFLIGHT_IMAP_PASSWORD", "wrong")
    with pytest.raises(MailboxError, match="IMAP"):
        import_source(ledger, url, cafile=str(server["cafile"]))
    with pytest.raises(UsageError, match="password"):
        import_source(ledger, f"imaps://u:secret@{server['host']}/INBOX")


def _utf8_credentials(server: dict[str, object]) -> tuple[str, str]:
    password_file = Path(str(server.get("utf8_password_file", "")))
    if not password_file.is_file():
        pytest.fail(f"no {password_file}: re-run scripts/imap-test-server.sh")
    return str(server.get("utf8_user", "utf8")), password_file.read_text()


def test_a_non_ascii_password_logs_in_with_utf8(
    imap: tuple[dict[str, object], str], ledger: Ledger, monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """imaplib's LOGIN is ASCII-only: the password "pässwörd-密码-…" crashed the import with
    a traceback naming one of its characters. AUTHENTICATE PLAIN carries UTF-8."""
    from typer.testing import CliRunner

    from preflight.cli import app

    server, _ = imap
    user, password = _utf8_credentials(server)
    assert not password.isascii()
    url = f"imaps://{user}@{server['host']}:{server['imaps_port']}/INBOX"
    monkeypatch.setenv("UTF8_BOX_PASSWORD", password)
    summary = import_source(ledger, url, password_env="UTF8_BOX_PASSWORD",
                            cafile=str(server["cafile"]))
    assert summary.messages >= 0  # logged in and read the folder

    # A wrong non-ASCII password: one line, no traceback, no character of the secret.
    wrong = "мой-пароль-ü"
    monkeypatch.setenv("UTF8_BOX_PASSWORD", wrong)
    result = CliRunner().invoke(app, [
        "bounces", "import", url, "--password-env", "UTF8_BOX_PASSWORD",
        "--cafile", str(server["cafile"]), "--ledger", str(tmp_path / "l.sqlite"),
    ])
    assert result.exit_code != 0
    output = result.output + (str(result.exception) if result.exception else "")
    assert "Traceback" not in output and "IMAP" in output
    assert not any(char in output for char in set(wrong) if not char.isascii())
    assert not isinstance(result.exception, UnicodeError)


def test_secrets_are_redacted_from_error_text() -> None:
    from preflight.bounces.imap import _redact

    secret = "pässwörd-密码"
    error = UnicodeEncodeError("ascii", secret, 1, 2, "ordinal not in range(128)")
    text = _redact(str(error), secret)
    assert "ä" not in text and "position 1" not in text and secret not in text
    assert _redact(f"login failed for {secret}", secret) == "login failed for ***"
