"""Forged bounces: a stranger's "bounce" changes nothing unless it is tied to our own send."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bounces.helpers import MAILBOX, seed_messages
from preflight.bounces.importer import Importer
from preflight.bounces.sources import RawMessage
from preflight.bounces.trust import Match, bounce_trust
from preflight.ledger import Ledger

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
SENT_AT = NOW - timedelta(hours=3)


def dsn(recipient: str, status: str, text: str, *, to: str = MAILBOX,
        message_id: str | None = None, count: int = 1) -> bytes:
    """A well-formed DSN, as anyone can write one."""
    original = (f"Message-ID: {message_id}\nFrom: {MAILBOX}\n" if message_id
                else "From: x@y.example\n")
    blocks = "".join(
        f"Final-Recipient: rfc822; {recipient if count == 1 else f'u{n}@victim.example'}\n"
        f"Action: failed\nStatus: {status}\nDiagnostic-Code: smtp; {text}\n\n"
        for n in range(count))
    return (
        f"From: MAILER-DAEMON@mx.attacker.example\nTo: {to}\n"
        f"Message-ID: <forged-{abs(hash((recipient, status, to, message_id, count)))}"
        "@attacker.example>\n"
        "Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        "--B\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n"
        "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.attacker.example\n\n"
        f"{blocks}--B\nContent-Type: text/rfc822-headers\n\n{original}Subject: hi\n\n--B--\n"
    ).encode()


def row(ledger: Ledger, recipient: str) -> tuple[object, ...]:
    found = ledger.db.execute("SELECT state, reason, soft_failures, next_attempt_at FROM"
                              " messages WHERE recipient = ?", (recipient,)).fetchone()
    return tuple(found)


def test_a_forged_mailbox_full_never_resends_an_accepted_message(ledger: Ledger) -> None:
    seed_messages(ledger.db, [("li@example.org", "<ours-1@sender.example>")], now=SENT_AT)
    importer = Importer(ledger, now=NOW)
    # No Message-ID of ours and not sent back to our envelope: believed by nobody.
    importer.import_one(RawMessage(data=dsn("li@example.org", "4.2.2", "552 mailbox full",
                                            to="someone@elsewhere.example"), location="f#1"))
    assert row(ledger, "li@example.org") == ("sent", None, 0, None)
    assert importer.summary.untrusted == 1
    # Even a trusted one (our Message-ID) ends the message; it is never queued again.
    importer.import_one(RawMessage(data=dsn("li@example.org", "4.2.2", "552 mailbox full",
                                            message_id="<ours-1@sender.example>"),
                                   location="f#2"))
    state, reason, soft, retry = row(ledger, "li@example.org")
    assert (state, reason, soft, retry) == ("bounced", "mailboxfull", 1, None)


def test_a_forged_spam_rejection_does_not_pause_the_mailbox(ledger: Ledger) -> None:
    seed_messages(ledger.db, [("li@example.org", "<ours-2@sender.example>")], now=SENT_AT)
    importer = Importer(ledger, now=NOW)
    importer.import_one(RawMessage(data=dsn(
        "li@example.org", "5.7.1", "550 5.7.1 Message rejected as spam",
        to="postmaster@elsewhere.example"), location="f#1"))
    assert ledger.paused_mailboxes() == {}
    assert row(ledger, "li@example.org")[0] == "sent"
    # An address we never sent to: stored, and it neither pauses nor suppresses.
    importer.import_one(RawMessage(data=dsn(
        "never@example.org", "5.7.1", "550 5.7.1 Message rejected as spam"), location="f#2"))
    assert ledger.paused_mailboxes() == {} and ledger.suppressions() == []
    assert importer.summary.unmatched == 1 and len(ledger.bounces()) == 2


def test_a_forged_crowd_of_recipients_suppresses_nobody(ledger: Ledger) -> None:
    seed_messages(ledger.db, [(f"u{n}@victim.example", f"<v{n}@sender.example>")
                              for n in range(5)], now=SENT_AT)
    importer = Importer(ledger, now=NOW)
    importer.import_one(RawMessage(data=dsn("x", "5.1.1", "550 5.1.1 user unknown",
                                            to="other@elsewhere.example", count=20_000),
                                   location="f#1"))
    assert ledger.suppressions() == []
    assert len(ledger.bounces()) <= 100  # records per message are capped


def test_a_real_bounce_by_recipient_acts_when_recent_and_to_our_envelope(
    ledger: Ledger,
) -> None:
    seed_messages(ledger.db, [("li@example.org", "<ours-3@sender.example>")], now=SENT_AT)
    Importer(ledger, now=NOW).import_one(RawMessage(
        data=dsn("li@example.org", "5.1.1", "550 5.1.1 user unknown"), location="f#1"))
    assert row(ledger, "li@example.org")[:2] == ("bounced", "userunknown")
    assert [s.address for s in ledger.suppressions()] == ["li@example.org"]


def test_an_old_send_is_not_matched_by_recipient_alone(ledger: Ledger) -> None:
    seed_messages(ledger.db, [("li@example.org", "<ours-4@sender.example>")],
                  now=NOW - timedelta(days=40))
    Importer(ledger, now=NOW).import_one(RawMessage(
        data=dsn("li@example.org", "5.1.1", "550 5.1.1 user unknown"), location="f#1"))
    assert row(ledger, "li@example.org")[0] == "sent" and ledger.suppressions() == []


def test_bounce_trust_rules() -> None:
    common = {"now": NOW, "envelope": {MAILBOX}}
    assert bounce_trust(matched_by_message_id=False, sent_at=None, mailbox=None,
                        **common).match is Match.NONE
    by_id = bounce_trust(matched_by_message_id=True, sent_at=NOW - timedelta(days=90),
                         mailbox=MAILBOX, now=NOW, envelope=set())
    assert by_id.acts and by_id.match is Match.MESSAGE_ID
    assert bounce_trust(matched_by_message_id=False, sent_at=SENT_AT, mailbox=MAILBOX,
                        **common).acts
    assert not bounce_trust(matched_by_message_id=False, sent_at=SENT_AT, mailbox=MAILBOX,
                            now=NOW, envelope={"x@y.example"}).acts
    assert not bounce_trust(matched_by_message_id=False, sent_at=NOW + timedelta(days=1),
                            mailbox=MAILBOX, **common).acts
    assert bounce_trust(matched_by_message_id=False, sent_at=SENT_AT,
                        mailbox=f"Sales <{MAILBOX.upper()}>", **common).acts
