"""The password never travels without TLS unless the mailbox says so, ``--insecure`` is for
loopback servers only, and a wrong password costs exactly one failed login."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import pytest

from preflight.campaign_config import load_campaign
from preflight.errors import ConfigError
from preflight.sink import Sink
from preflight.smtp import LoginRefused, MailboxConnection, MailboxMisconfigured
from send.helpers import mailbox_toml, sample_rows

BOX = "li.wei@brightline.example"
LOGIN = 'username = "li"\npassword_env = "PREFLIGHT_TEST_SMTP_PW"\n'


def _message() -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = BOX, "a@b.example", "hi"
    message.set_content("hello")
    return message


def test_auth_without_tls_is_refused_before_connecting(
    campaign_dir: Callable[..., Path],
) -> None:
    path = campaign_dir(sample_rows(1), [mailbox_toml(BOX, 2525, extra=LOGIN)])
    with pytest.raises(ConfigError) as refused:
        load_campaign(path)
    line = str(refused.value)
    assert "\n" not in line and ".security" in line
    assert "allow_plaintext_auth = true" in line and "unencrypted" in line
    allowed = campaign_dir(
        sample_rows(1), [mailbox_toml(BOX, 2525, extra=LOGIN + "allow_plaintext_auth = true\n")]
    )
    assert load_campaign(allowed).mailboxes[0].allow_plaintext_auth is True


def test_insecure_is_for_loopback_servers_only(campaign_dir: Callable[..., Path]) -> None:
    box = mailbox_toml(BOX, 465).replace('"127.0.0.1"', '"smtp.brightline.example"')
    mailbox = load_campaign(campaign_dir(sample_rows(1), [box.replace('"none"', '"tls"')]))
    with pytest.raises(MailboxMisconfigured, match="only allowed for a loopback"):
        MailboxConnection(mailbox.mailboxes[0], insecure=True)


async def test_a_wrong_password_is_one_failed_login(
    campaign_dir: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFLIGHT_TEST_SMTP_PW", "wrong")
    async with Sink(auth=("li", "right")) as sink:
        extra = LOGIN + "allow_plaintext_auth = true\n"
        path = campaign_dir(sample_rows(1), [mailbox_toml(BOX, sink.port, extra=extra)])
        connection = MailboxConnection(load_campaign(path).mailboxes[0])
        with pytest.raises(LoginRefused):
            await connection.send(_message(), BOX, "a@b.example")
        await connection.close()
    # The sink offers PLAIN and LOGIN: aiosmtplib's login() would try both.
    assert sink.logins == [("li", False)]
