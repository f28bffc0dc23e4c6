"""One reused SMTP connection per mailbox, and every reply turned into data.

The transaction is driven step by step (MAIL, RCPT, DATA) rather than with aiosmtplib's
``send_message`` so that the sender knows where a failure happened: a dropped connection
before DATA is safe to retry on a fresh connection; a drop during DATA means the message
may or may not have arrived, which the ledger must record as ``unknown`` instead of
sending it again. A refused recipient is returned as a reply, not raised.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal

import aiosmtplib

from preflight.campaign_config import MailboxConfig
from preflight.errors import MailboxError

Stage = Literal["mail", "rcpt", "data"]
_STATUS = re.compile(r"^\s*([245]\.\d{1,3}\.\d{1,3})\b")


class MailboxUnavailable(MailboxError):
    """The server cannot be reached or dropped us before the message went out (retry later)."""


class LoginRefused(MailboxError):
    """The server refused the mailbox's login: nothing will work until the user fixes it."""


@dataclass(frozen=True)
class SmtpReply:
    """The server's last word on one message."""

    code: int | None
    text: str
    stage: Stage
    # True when the connection failed during DATA: the message may have been delivered.
    uncertain: bool = False

    @property
    def status(self) -> str | None:
        match = _STATUS.match(self.text)
        return match.group(1) if match else None

    @property
    def accepted(self) -> bool:
        return self.stage == "data" and self.code is not None and 200 <= self.code < 300

    def __str__(self) -> str:
        return f"{self.code or '---'} {self.text}".strip()


def tls_context(mailbox: MailboxConfig, insecure: bool = False) -> ssl.SSLContext:
    """Verified TLS by default; ``ca_file`` trusts a private CA, ``insecure`` trusts anything."""
    context = ssl.create_default_context(cafile=str(mailbox.ca_file) if mailbox.ca_file else None)
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class MailboxConnection:
    """A lazily opened, reused connection for one mailbox; reconnects when dropped."""

    def __init__(self, mailbox: MailboxConfig, *, insecure: bool = False) -> None:
        self.mailbox = mailbox
        self.insecure = insecure
        self._smtp: aiosmtplib.SMTP | None = None
        self.connections_opened = 0

    async def _connect(self) -> aiosmtplib.SMTP:
        box = self.mailbox
        password = box.password()  # MailboxError naming the variable when it is missing
        context = tls_context(box, self.insecure) if box.security != "none" else None
        smtp = aiosmtplib.SMTP(
            hostname=box.host,
            port=box.port,
            use_tls=box.security == "tls",
            start_tls=box.security == "starttls",
            tls_context=context,
            validate_certs=not self.insecure,
            timeout=box.timeout,
        )
        where = f"{box.host}:{box.port}"
        try:
            await smtp.connect()
            if box.username is not None and password is not None:
                await smtp.login(box.username, password)
        except aiosmtplib.SMTPAuthenticationError as error:
            await _close(smtp)
            raise LoginRefused(
                f"{where} refused the login of {box.username}: {error.code} {error.message}",
                field="username",
            ) from None
        except (aiosmtplib.SMTPException, OSError) as error:
            await _close(smtp)
            raise MailboxUnavailable(f"cannot connect to {where}: {_describe(error)}") from None
        self.connections_opened += 1
        return smtp

    async def send(
        self,
        message: EmailMessage | bytes,
        sender: str,
        recipient: str,
        before_data: Callable[[], None] | None = None,
    ) -> SmtpReply:
        """Send one message to one recipient; ``before_data`` runs right before DATA.

        Raises :class:`MailboxUnavailable` when the server cannot be reached (nothing was
        sent) and :class:`LoginRefused` when it rejects the login.
        """
        # aiosmtplib turns line endings into CRLF and dot-stuffs, so any serialization works.
        payload = message if isinstance(message, bytes) else message.as_bytes()
        for attempt in range(2):
            if self._smtp is None or not self._smtp.is_connected:
                self._smtp = await self._connect()
            smtp = self._smtp
            stage: Stage = "mail"
            try:
                reply = await smtp.mail(sender)
                stage = "rcpt"
                reply = await smtp.rcpt(recipient)
                stage = "data"
                if before_data is not None:
                    before_data()
                    before_data = None
                reply = await smtp.data(payload)
                return SmtpReply(reply.code, reply.message, "data")
            except aiosmtplib.SMTPResponseException as error:
                await self._reset()
                return SmtpReply(error.code, error.message, stage)
            except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError) as e:
                await self.close()
                if stage == "data":
                    # The payload may have been delivered before the line went dead.
                    return SmtpReply(
                        None, f"connection lost during DATA: {_describe(e)}", "data", uncertain=True
                    )
                if attempt == 1:
                    raise MailboxUnavailable(
                        f"{self.mailbox.host}:{self.mailbox.port} dropped the connection "
                        f"before the message was sent: {_describe(e)}"
                    ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def _reset(self) -> None:
        # After a refusal the transaction must be reset before the next one on this line.
        if self._smtp is None:
            return
        try:
            await self._smtp.rset()
        except (aiosmtplib.SMTPException, OSError):
            await self.close()

    async def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            await _close(smtp)


async def _close(smtp: aiosmtplib.SMTP) -> None:
    try:
        if smtp.is_connected:
            await smtp.quit()
    except (aiosmtplib.SMTPException, OSError):
        smtp.close()


def _describe(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text.replace("\r", " ").replace("\n", " ")


__all__ = ["LoginRefused", "MailboxConnection", "MailboxUnavailable", "SmtpReply", "tls_context"]
