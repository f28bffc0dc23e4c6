"""The shared reply classifier on the replies every sender meets (send time and bounces)."""

from __future__ import annotations

import pytest

from preflight.bounces.classify import (
    classify_reply,
    find_command,
    find_status,
    is_hard,
    is_temporary,
    pseudo_status,
    sweep_reply,
)


@pytest.mark.parametrize(
    ("code", "status", "text", "reason", "hard"),
    [
        (550, "5.1.1", "5.1.1 <bob@example.com>: Recipient address rejected: User unknown",
         "userunknown", True),
        (552, "5.2.2", "5.2.2 Mailbox full", "mailboxfull", False),
        (452, "4.2.2", "4.2.2 The email account that you tried to reach is over quota",
         "mailboxfull", False),
        (554, "5.7.1", "5.7.1 Message rejected as spam by Content Filtering", "spamdetected",
         False),
        (550, "5.7.26", "5.7.26 This mail has been blocked because the sender is "
         "unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM.",
         "authfailure", False),
        (550, "5.7.515", "5.7.515 Access denied, sending domain example.com doesn't meet the "
         "required authentication level.", "authfailure", False),
        (421, "4.7.0", "4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to "
         "unexpected volume or user complaints", "badreputation", False),
        (421, None, "Too many concurrent SMTP connections from this IP address; please try "
         "again later.", "toomanyconn", False),
        (451, "4.7.1", "4.7.1 Please try again slower", "speeding", False),
        (451, "4.7.1", "4.7.1 Greylisting in action, please come back later", "blocked", False),
        (550, "5.1.2", "5.1.2 Host unknown", "hostunknown", True),
        (550, None, "Relay access denied", "norelaying", False),
        (535, "5.7.8", "5.7.8 Authentication credentials invalid", "securityerror", False),
        (552, "5.3.4", "5.3.4 Message size exceeds fixed limit", "mesgtoobig", False),
        (550, "5.7.1", "5.7.1 Service unavailable; client [192.0.2.1] blocked using "
         "zen.spamhaus.org", "blocked", False),
        (554, "5.7.1", "5.7.1 Your message was infected with a virus", "virusdetected", False),
        (550, "5.1.6", "5.1.6 Recipient has moved", "hasmoved", True),
        (250, "2.0.0", "2.0.0 Ok: queued as 4ABC", "delivered", False),
        (None, None, "", "undefined", False),
    ],
)
def test_common_replies(code: int | None, status: str | None, text: str, reason: str,
                        hard: bool) -> None:
    reply = classify_reply(code, status, text)
    assert (reply.reason, reply.hard) == (reason, hard)
    assert reply.code == code


def test_code_and_status_are_read_from_the_text_when_missing() -> None:
    reply = classify_reply(None, None, "host mx.example.com said: 550 5.1.1 <a@example.com>: "
                           "Recipient address rejected: User unknown (in reply to RCPT TO command)")
    assert (reply.code, reply.status, reply.reason, reply.hard) == (550, "5.1.1", "userunknown",
                                                                    True)


def test_user_unknown_after_data_is_a_filter_not_an_unknown_user() -> None:
    # sisimai's rule: the recipient was accepted at RCPT, so the refusal is a filter's.
    text = "550 User unknown (in reply to end of DATA command)"
    assert find_command(text) == "DATA"
    assert classify_reply(None, None, text).reason == "filtered"
    assert classify_reply(None, None, text.replace("end of DATA", "RCPT TO")).reason == (
        "userunknown")


def test_notaccept_is_hard_only_when_permanent() -> None:
    assert is_hard("notaccept", "5.3.2", 521)
    assert not is_hard("notaccept", "4.3.2", 421)
    assert not is_hard("filtered", "5.2.0", 550)


def test_status_finder_ignores_versions_and_addresses() -> None:
    assert find_status("Postfix 3.4.5 said 550 5.7.1 denied") == "5.7.1"
    assert find_status("from 192.0.2.5 port 25") is None


def test_a_multi_line_reply_reads_as_one_sentence() -> None:
    text = ("550-5.2.1 The user you are trying to contact is receiving mail at a rate that "
            "550-5.2.1 prevents additional messages from being delivered. 550 5.2.1 More.")
    swept = sweep_reply(text)
    assert swept.startswith("550 5.2.1 The user")
    assert "rate that prevents additional messages" in swept
    assert sweep_reply("550 5.1.1 user unknown") == "550 5.1.1 user unknown"


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("mx.example.org [192.0.2.1] did not like our RCPT TO: 550 5.2.1 rejected", "RCPT"),
        ("There was an error delivering your mail to <a@example.org>. DNS failure", None),
        ("Remote host said: 550 5.2.1 <a@example.org>... User Unknown [RCPT_TO]", "RCPT"),
        ("SMTP error from remote mail server after pipelined MAIL FROM:<a@b.example> SIZE=9",
         "MAIL"),
        ("Connected to 192.0.2.1 but sender was rejected. MAIL FROM:<a@b.example>", "MAIL"),
        ("550 5.7.1 Rejected (in reply to end of DATA command)", "DATA"),
        ("550 DATABASE.EXAMPLE.ORG is unreachable", None),
    ],
)
def test_the_command_a_reply_answered(text: str, command: str | None) -> None:
    assert find_command(text) == command


def test_an_x_unix_diagnostic_is_a_mailer_error() -> None:
    # A local program (a pipe, a filter) exited with an error code; sisimai's mailererror.
    reply = classify_reply(None, "5.0.0", "255", diagnostic_type="X-Unix")
    assert reply.reason == "mailererror"
    assert classify_reply(None, "5.0.0", "255").reason != "mailererror"


def test_pseudo_status_and_temporary_wording() -> None:
    assert pseudo_status("expired", temporary=True) == "4.0.947"
    assert pseudo_status("userunknown", temporary=True) == "5.0.911"  # no temporary form
    assert is_temporary("421 Host not reachable")
    assert is_temporary("this is only a temporary failure report")
    assert not is_temporary("Envelope expired")
