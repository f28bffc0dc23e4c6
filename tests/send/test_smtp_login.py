"""How a failed login is read: the server's line trouble is retried, wrong settings stop."""

from types import SimpleNamespace
from typing import Any

import aiosmtplib
import pytest

from preflight.smtp import LoginRefused, MailboxMisconfigured, MailboxUnavailable, _login_failure

BOX: Any = SimpleNamespace(username="li.wei@example.com", password_env="SMTP_PW")


@pytest.mark.parametrize(
    "error",
    [
        aiosmtplib.SMTPServerDisconnected("Connection lost"),
        aiosmtplib.SMTPTimeoutError("Timed out waiting for server response"),
        aiosmtplib.SMTPResponseException(454, "4.7.0 Temporary authentication failure"),
    ],
)
def test_a_dropped_or_busy_login_is_retried_not_a_settings_problem(error: Exception) -> None:
    failure = _login_failure(BOX, "smtp.example.com:587", error)
    assert type(failure) is MailboxUnavailable


def test_wrong_credentials_and_missing_auth_stop_the_mailbox() -> None:
    refused = _login_failure(
        BOX, "smtp.example.com:587", aiosmtplib.SMTPAuthenticationError(535, "5.7.8 bad")
    )
    assert isinstance(refused, LoginRefused) and "$SMTP_PW" in str(refused)
    no_auth = _login_failure(
        BOX, "smtp.example.com:587", aiosmtplib.SMTPException("No suitable auth method")
    )
    assert type(no_auth) is MailboxMisconfigured
