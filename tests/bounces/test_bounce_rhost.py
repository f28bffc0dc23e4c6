"""Provider rules (remote hosts) and local delivery agents: codes and texts they document."""

from __future__ import annotations

import pytest

from preflight.bounces.lda import agent_reason
from preflight.bounces.rhost import Remote, host_in, provider, remote_reason


def _remote(diagnostic: str, *, status: str | None = None, code: int | None = 550,
            command: str | None = None, host: str = "", domain: str = "example.org",
            local_host: str = "") -> Remote:
    return Remote(diagnostic=diagnostic, status=status, code=code, command=command, host=host,
                  domain=domain, local_host=local_host)


@pytest.mark.parametrize(
    ("remote", "name", "reason"),
    [
        (_remote("550 5.1.1 Adresse d au moins un destinataire invalide. Invalid recipient. "
                 "OFR_416 [416]", domain="orange.fr"), "francept", "userunknown"),
        (_remote("550 5.5.0 Boite du destinataire archivee. LPN007_420", domain="laposte.net"),
         "francept", "suspend"),
        (_remote("550 5.1.0 sender rejected. AUP#In-1310", domain="charter.net"), "spectrum",
         "toomanyconn"),
        (_remote("554 5.7.1 Sending IP blocked AUP#CXBL", host="mx.east.cox.net"), "cox",
         "blocked"),
        (_remote("550 Unknown user a@docomo.ne.jp", status="5.0.0", command="DATA",
                 host="mfsmax.docomo.ne.jp"), "nttdocomo", "rejected"),
        (_remote("550 5.2.1 The user you are trying to contact is receiving mail at a rate "
                 "that prevents additional messages from being delivered.", status="5.2.1",
                 host="alt1.gmail-smtp-in.l.google.com"), "google", "speeding"),
        (_remote("451 4.7.650 The mail server [192.0.2.1] has been temporarily rate limited "
                 "due to IP reputation.", status="4.7.650", code=451,
                 host="x.olc.protection.outlook.com"), "microsoft", "badreputation"),
        (_remote("5.4.1 Recipient address rejected: Access denied. "
                 "[AB1PR01MB0001.eurprd01.prod.outlook.com]", status="5.4.1"), "microsoft",
         "userunknown"),
        (_remote("550-Please turn on SMTP Authentication in your mail client.",
                 local_host="server-0.bemta-0.messagelabs.com"), "messagelabs",
         "securityerror"),
        (_remote("The domain example.org doesn't receive email according to the administrator:"
                 " returned Null MX", status="4.0.0", code=None, local_host="googlemail.com"),
         "gsuite", "notaccept"),
    ],
)
def test_provider_codes_name_the_reason(remote: Remote, name: str, reason: str) -> None:
    assert provider(remote) == name
    assert remote_reason(remote) == reason


def test_an_unknown_provider_decides_nothing() -> None:
    remote = _remote("550 5.1.1 user unknown", host="mx.example.net")
    assert provider(remote) is None
    assert remote_reason(remote) is None


def test_remote_host_from_a_postfix_notice() -> None:
    text = "<a@example.org>: host mx.example.org[192.0.2.1] said: 550 5.1.1 unknown"
    assert host_in(text) == "mx.example.org"
    assert host_in("no host here") == ""


@pytest.mark.parametrize(
    ("diagnostic", "command", "reason"),
    [
        ("procmail: Quota exceeded while writing \"/var/mail/a\"", None, "mailboxfull"),
        ("procmail: Couldn't create \"/var/mail/tmp.a.22\"", "DATA", "mailererror"),
        ("maildrop: maildir over quota.", None, "mailboxfull"),
        ("mail.local: unknown user: a", None, "userunknown"),
        ("procmail: Quota exceeded while writing", "RCPT", None),  # an SMTP reply, not an LDA
        ("550 5.1.1 user unknown", None, None),
    ],
)
def test_local_delivery_agents(diagnostic: str, command: str | None,
                               reason: str | None) -> None:
    assert agent_reason(diagnostic, command) == reason


def test_godaddy_ib_codes_and_iua_error_links_name_the_reason() -> None:
    from preflight.bounces.rhost import Remote, remote_reason

    def ask(diagnostic: str, host: str, domain: str) -> str | None:
        return remote_reason(Remote(diagnostic=diagnostic, status=None, code=554,
                                    command="RCPT", host=host, domain=domain))

    assert ask("554 203.0.113.7 has been blocked for spam IB212", "smtp.secureserver.net",
               "example.com") == "spamdetected"
    assert ask("550 sender rejected IB506 please see", "smtp.secureserver.net",
               "example.com") == "rejected"
    assert ask("552 account storage limit reached", "mailstore1.secureserver.net",
               "example.com") == "mailboxfull"
    assert ask("550 Mailbox is full. https://mail.i.ua/err/4/", "mx.email.ua",
               "i.ua") == "mailboxfull"
    assert ask("550 https://mail.i.ua/err/9/ your IP is listed", "mx.email.ua",
               "i.ua") == "blocked"
    # The same words from anyone else are read by the general rules, not these tables.
    assert ask("554 blocked IB212", "mx.other.example", "other.example") is None
