"""Importing bounces from mbox files and Maildirs into a real SQLite ledger."""

from __future__ import annotations

import mailbox
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bounces.helpers import MAILBOX, seed_messages, snapshot
from preflight.bounces.importer import Importer, import_source
from preflight.bounces.sources import RawMessage
from preflight.ledger import Ledger

# Corpus files and what the ledger must show after importing them.
FILES = [
    "lhost-postfix-33.eml",   # DSN, hard userunknown, matched by the original Message-ID
    "lhost-office365-12.eml",  # DSN, soft mailboxfull, not our Message-ID: matched by
    #                            recipient, trusted: a recent send, back to our envelope
    "lhost-barracuda-02.eml",  # spam rejection: pause the mailbox, never suppress
    "lhost-gmail-09.eml",      # delay warning: not a final failure
    "arf-01.eml",              # ARF complaint to our envelope: suppress like a hard bounce
    "rfc3834-01.eml",          # vacation auto-reply: not a bounce
    "lhost-qmail-17.eml",      # two records, neither sent by us: stored, suppress nobody
]
# Bounces matched by recipient alone act only when they come back to the sending address.
ENVELOPES = {
    "kijitora@cr.neko.nyaan.jp": "azumakuniyuki@msol.example.net",
    "redacted@example.net": "fbl-abuse@example.org.com",
}
SENT = [
    ("userunknown@libsisimai.org", "<20150429233445.BB8FFFFC16@p6.libsisimai.org>"),
    ("kijitora@cr.neko.nyaan.jp", "<office365-12@sender.example>"),
    ("kijitora@example.jp", "<201104292334545.62412C6FD0F1@email-4.example.jp>"),
    ("kijitora@9jo.example.jp", "<2F5AEFBF-6E99-4DDC-A664-6BC1D7CCF3D4@gmail.example.com>"),
    ("redacted@example.net", "<arf-01@sender.example>"),
    ("kijitora@example.net", "<rfc3834-01@sender.example>"),
    ("someone-else@example.org", "<untouched@sender.example>"),
]


def make_mbox(corpus: Path, path: Path) -> Path:
    box = mailbox.mbox(path)
    for name in FILES:
        box.add((corpus / name).read_bytes())
    box.flush()
    box.close()
    return path


def make_maildir(corpus: Path, path: Path) -> Path:
    box = mailbox.Maildir(path)
    for name in FILES:
        box.add((corpus / name).read_bytes())
    box.close()
    return path


def state(ledger: Ledger, recipient: str) -> dict[str, object]:
    row = ledger.db.execute("SELECT * FROM messages WHERE recipient = ?", (recipient,)).fetchone()
    return dict(row)


def check_ledger(ledger: Ledger) -> None:
    hard = state(ledger, "userunknown@libsisimai.org")
    assert (hard["state"], hard["reason"], hard["hard"], hard["reply_status"]) == (
        "bounced", "userunknown", 1, "5.1.1")
    soft = state(ledger, "kijitora@cr.neko.nyaan.jp")
    # The server had accepted it: a later soft bounce ends it, never sends it again.
    assert (soft["state"], soft["reason"], soft["soft_failures"]) == ("bounced", "mailboxfull", 1)
    assert not soft["next_attempt_at"]
    spam = state(ledger, "kijitora@example.jp")
    assert (spam["state"], spam["reason"]) == ("failed", "spamdetected")
    assert state(ledger, "kijitora@9jo.example.jp")["state"] == "sent"
    assert state(ledger, "kijitora@example.net")["state"] == "sent"
    assert state(ledger, "someone-else@example.org")["state"] == "sent"
    complaint = state(ledger, "redacted@example.net")
    assert complaint["state"] == "bounced"

    suppressed = {s.address: (s.reason, s.source) for s in ledger.suppressions()}
    assert suppressed == {
        "userunknown@libsisimai.org": ("userunknown", "bounce"),
        "redacted@example.net": ("feedback", "complaint"),
    }
    pauses = ledger.paused_mailboxes()
    assert set(pauses) == {MAILBOX} and "spam" in pauses[MAILBOX]


def test_mbox_import_updates_matches_suppresses_and_is_idempotent(
    corpus: Path, ledger: Ledger, tmp_path: Path
) -> None:
    seed_messages(ledger.db, SENT, mailboxes=ENVELOPES)
    source = make_mbox(corpus, tmp_path / "bounces.mbox")
    summary = import_source(ledger, str(source))
    assert summary.messages == len(FILES)
    assert summary.records == 8 and summary.already_imported == 0
    assert (summary.hard, summary.soft, summary.delayed) == (2, 3, 1)
    assert (summary.complaints, summary.autoreplies) == (1, 1)
    assert summary.matched == 6 and summary.unmatched == 2
    check_ledger(ledger)
    stored = ledger.bounces("userunknown@libsisimai.org")
    assert len(stored) == 1 and stored[0].source == f"{source}#0"
    assert stored[0].original_message_id == "<20150429233445.BB8FFFFC16@p6.libsisimai.org>"
    assert stored[0].message_row is not None and stored[0].detector == "dsn"

    before = snapshot(ledger)
    again = import_source(ledger, str(source))
    assert again.records == 0 and again.already_imported == 8
    assert snapshot(ledger) == before


def test_maildir_import_gives_the_same_result(corpus: Path, ledger: Ledger,
                                              tmp_path: Path) -> None:
    seed_messages(ledger.db, SENT, mailboxes=ENVELOPES)
    source = make_maildir(corpus, tmp_path / "Maildir")
    summary = import_source(ledger, str(source))
    assert summary.messages == len(FILES) and summary.records == 8
    check_ledger(ledger)
    assert all(b.source and b.source.startswith(str(source / "new")) for b in ledger.bounces())
    before = snapshot(ledger)
    assert import_source(ledger, str(source)).records == 0
    assert snapshot(ledger) == before


def test_third_soft_bounce_suppresses_the_address(corpus: Path, ledger: Ledger) -> None:
    seed_messages(ledger.db, [("kijitora@cr.neko.nyaan.jp", "<o365@sender.example>")],
                  mailbox=ENVELOPES["kijitora@cr.neko.nyaan.jp"],
                  now=datetime(2026, 11, 1, 9, 0, tzinfo=UTC))
    raw = (corpus / "lhost-office365-12.eml").read_bytes()
    importer = Importer(ledger, now=datetime(2026, 11, 2, tzinfo=UTC))
    for attempt in range(3):
        # Three different bounce messages (their own Message-IDs differ) for the same send.
        data = b"Message-ID: <bounce-%d@mx.example>\n" % attempt + raw
        importer.import_one(RawMessage(data=data, location=f"test#{attempt}"))
        row = state(ledger, "kijitora@cr.neko.nyaan.jp")
        if attempt < 2:
            # Ended (the server had accepted it), counted, not yet suppressed.
            assert row["state"] == "bounced" and row["soft_failures"] == attempt + 1
            assert ledger.suppression(row["recipient"]) is None
    assert row["state"] == "bounced" and row["soft_failures"] == 3
    found = ledger.suppression("kijitora@cr.neko.nyaan.jp")
    assert found is not None and found.reason == "soft-limit"


def test_hard_bounces_over_the_limit_pause_the_mailbox(corpus: Path, ledger: Ledger) -> None:
    # 20 sends with attempts; 2 of them bounce hard later: 10 % > 5 % pauses the mailbox.
    sent = [(f"user{n}@example.org", f"<m{n}@sender.example>") for n in range(20)]
    ids = seed_messages(ledger.db, sent)
    for row_id in ids.values():
        ledger.db.execute(
            "INSERT INTO attempts (message_row, mailbox, recipient_domain, started_at, outcome)"
            " VALUES (?, ?, 'example.org', '2026-11-01T09:00:00.000+00:00', 'sent')",
            (row_id, MAILBOX))
    raw = (corpus / "lhost-postfix-33.eml").read_bytes()
    importer = Importer(ledger)
    for n in (3, 7):
        data = raw.replace(b"userunknown@libsisimai.org", f"user{n}@example.org".encode())
        data = data.replace(b"20150429233445.BB8FFFFC16@p6.libsisimai.org",
                            f"m{n}@sender.example".encode())
        importer.import_one(RawMessage(data=b"Message-ID: <b%d@mx>\n" % n + data,
                                       location=f"t#{n}"))
    assert state(ledger, "user3@example.org")["state"] == "bounced"
    pauses = ledger.paused_mailboxes()
    assert MAILBOX in pauses and "2 of the last 20" in pauses[MAILBOX]


def test_imap_options_are_refused_for_local_sources(ledger: Ledger, tmp_path: Path) -> None:
    from preflight.errors import UsageError

    (tmp_path / "x.eml").write_bytes(b"Subject: hi\n\nhello\n")
    with pytest.raises(UsageError, match="IMAP sources only"):
        import_source(ledger, str(tmp_path), move_to="Done")
    summary = import_source(ledger, str(tmp_path))
    assert summary.messages == 1 and summary.not_bounces == 1
