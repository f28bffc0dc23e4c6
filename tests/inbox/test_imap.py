"""`inbox import` from the real Dovecot the suite starts (TLS verified): the labeled set,
APPENDed over IMAP, is sorted as from files, moved when done, and re-importing the moved
folder changes nothing."""

from __future__ import annotations

import imaplib
import sqlite3
import ssl
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from bounces.test_bounce_imap import _count

from inbox.helpers import LABELED, labels, record_sent
from preflight.inbox.importer import import_inbox
from preflight.ledger import Ledger


@pytest.fixture
def labeled_folder(imap_server: dict[str, object]) -> Iterator[tuple[dict[str, object], str]]:
    server = imap_server
    folder = f"Inbox-{uuid.uuid4().hex[:8]}"
    context = ssl.create_default_context(cafile=str(server["cafile"]))
    client = imaplib.IMAP4_SSL(str(server["host"]), int(str(server["imaps_port"])),
                               ssl_context=context)  # fmt: skip
    client.login(str(server["user"]), str(server["password"]))
    client.create(folder)
    for label in labels():
        status, _ = client.append(folder, None, None, (LABELED / label.file).read_bytes())
        assert status == "OK"
    yield server, folder
    for name in (folder, f"{folder}-done"):
        client.delete(name)
    client.logout()


def _tables(path: Path) -> dict[str, list[tuple[object, ...]]]:
    db = sqlite3.connect(path)
    try:
        return {t: db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
                for t in ("messages", "suppression", "bounces", "contact_events")}  # fmt: skip
    finally:
        db.close()


def test_imaps_inbox_import_sorts_moves_and_is_idempotent(
    labeled_folder: tuple[dict[str, object], str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    server, folder = labeled_folder
    monkeypatch.setenv("PREFLIGHT_IMAP_PASSWORD", str(server["password"]))
    url = f"imaps://{server['user']}@{server['host']}:{server['imaps_port']}/{folder}"
    path = tmp_path / "l.db"
    with Ledger(path) as ledger:
        record_sent(ledger)
        summary = import_inbox(ledger, url, cafile=str(server["cafile"]),
                               move_to=f"{folder}-done")  # fmt: skip
        expected = Counter(label.kind for label in labels())
        assert summary.kinds == expected
        assert summary.moved == sum(expected.values())
        assert summary.suppressed == expected["optout"]
    assert _count(server, folder) == 0
    before = _tables(path)
    done = url + "-done"
    with Ledger(path) as ledger:
        again = import_inbox(ledger, done, cafile=str(server["cafile"]))
    assert again.already_imported == sum(expected.values()) - expected["other"]
    assert _tables(path) == before
