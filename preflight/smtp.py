"""One reused SMTP connection per mailbox, and every reply turned into data.

The transaction is driven step by step (MAIL, RCPT, DATA, content) rather than with
aiosmtplib's ``send_message`` so that the sender knows where a failure happened: a dropped
connection before the server's ``354`` is safe to retry on a fresh connection (no content
was written); a drop after the first byte of content means the message may or may not have
arrived, which the ledger must record as ``unknown`` instead of sending it again. A refused
recipient is returned as a reply, not raised.

Failures to connect come in two kinds: :class:`MailboxUnavailable` (the server is down or
busy: try again later) and :class:`MailboxMisconfigured` (a wrong password, a certificate
that does not verify, no STARTTLS where it is required: nothing will work until the user
changes something, so the sender stops that mailbox at once with one line saying what).
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal

import aiosmtplib
from aiosmtplib.protocol import normalize_message_line_endings

from preflight.campaign_config import MailboxConfig
from preflight.errors import MailboxError
from preflight.tlsconfig import is_loopback, verified_context

Stage = Literal["mail", "rcpt", "data"]
# Past "data", the content is on the wire: a lost line leaves the outcome unknown.
_Step = Literal["mail", "rcpt", "data-command", "content"]
_STATUS = re.compile(r"^\s*([245]\.\d{1,3}\.\d{1,3})\b")
_DOT = re.compile(rb"(?m)^\.")


class MailboxUnavailable(MailboxError):
    """The server cannot be reached or dropped us before the message went out (retry later)."""


class ConnectionRefused(MailboxUnavailable):
    """Nothing listens at the mailbox's host and port (refused, not timed out)."""


class MailboxMisconfigured(MailboxError):
    """A permanent problem with the mailbox's settings: retrying cannot help."""


class LoginRefused(MailboxMisconfigured):
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
    return verified_context(cafile=mailbox.ca_file, insecure=insecure)


class MailboxConnection:
    """A lazily opened, reused connection for one mailbox; reconnects when dropped."""

    def __init__(self, mailbox: MailboxConfig, *, insecure: bool = False) -> None:
        if insecure and not is_loopback(mailbox.host):
            # As for IMAP: an unverified certificate is only acceptable for a local test
            # server; anywhere else it hands the password to whoever answers.
            raise MailboxMisconfigured(
                f"--insecure is only allowed for a loopback SMTP server, not {mailbox.host}: "
                "add the server's CA as the mailbox's ca_file instead",
                field="--insecure",
            )
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
        except (aiosmtplib.SMTPException, OSError) as error:
            await _close(smtp)
            raise _connect_failure(box, where, error) from None
        if box.username is not None and password is not None:
            if context is None and not box.allow_plaintext_auth:
                await _close(smtp)
                raise MailboxMisconfigured(
                    f"refusing to send the password of {box.username} to {where} without TLS "
                    "(set allow_plaintext_auth = true only if you accept that)",
                    field="security",
                )
            try:
                await _login_once(smtp, box.username, password)
            except (aiosmtplib.SMTPException, OSError) as error:
                await _close(smtp)
                raise _login_failure(box, where, error) from None
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
        payload = message if isinstance(message, bytes) else message.as_bytes()
        for attempt in range(2):
            if self._smtp is None or not self._smtp.is_connected:
                self._smtp = await self._connect()
            smtp = self._smtp
            step: _Step = "mail"
            try:
                reply = await smtp.mail(sender)
                step = "rcpt"
                reply = await smtp.rcpt(recipient)
                step = "data-command"
                reply = await smtp.execute_command(b"DATA")
                if reply.code != 354:
                    await self._reset()
                    return SmtpReply(reply.code, reply.message, "data")
                if before_data is not None:
                    # Committed before the first byte of content: a crash after this point
                    # leaves evidence; a crash before it sent nothing.
                    try:
                        before_data()
                    except BaseException:
                        # Not ours to send after all (the claim was lost): drop the line so
                        # the server discards the open transaction; nothing was written.
                        self._abort()
                        raise
                    before_data = None
                step = "content"
                reply = await _send_content(smtp, payload)
                if not 200 <= reply.code < 300:
                    await self._reset()
                return SmtpReply(reply.code, reply.message, "data")
            except aiosmtplib.SMTPResponseException as error:
                await self._reset()
                return SmtpReply(error.code, error.message, _stage(step))
            except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError) as e:
                await self.close()
                if step == "content":
                    # The content may have been delivered before the line went dead.
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

    def _abort(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()

    async def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            await _close(smtp)


async def _login_once(smtp: aiosmtplib.SMTP, username: str, password: str) -> None:
    """Log in with one mechanism, once: aiosmtplib's ``login`` tries every advertised
    mechanism in turn, so one wrong password costs several failed logins (and lockouts)."""
    await smtp.ehlo()
    if not smtp.supports_extension("auth"):
        raise aiosmtplib.SMTPException("the server does not offer AUTH on this connection")
    preferred = [m for m in ("plain", "login", "cram-md5") if m in smtp.supported_auth_methods]
    if not preferred:
        raise aiosmtplib.SMTPException("No suitable authentication method found.")
    method = getattr(smtp, "auth_" + preferred[0].replace("-", ""))
    await method(username, password)


async def _send_content(smtp: aiosmtplib.SMTP, payload: bytes) -> aiosmtplib.SMTPResponse:
    """Write the content after a ``354`` and read the final reply.

    The same bytes aiosmtplib's ``data()`` writes (CRLF line endings, dot-stuffing, the final
    dot); done here so that the moment between "nothing sent" and "content on the wire" is
    known to the caller.
    """
    protocol = smtp.protocol
    if protocol is None or not smtp.is_connected:
        raise aiosmtplib.SMTPServerDisconnected("connection lost before the content")
    content = _DOT.sub(b"..", normalize_message_line_endings(payload)) + b".\r\n"
    try:
        protocol.write(content)
        return await protocol.read_response(timeout=smtp.timeout)
    except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError):
        smtp.close()
        raise


def _stage(step: _Step) -> Stage:
    return "data" if step in ("data-command", "content") else step


def _connect_failure(box: MailboxConfig, where: str, error: BaseException) -> MailboxError:
    """A refused or failed connection: permanent when TLS cannot work as configured."""
    tls = _ssl_error(error)
    if tls is not None:
        hint = (
            "add the server's CA as the mailbox's ca_file, or --insecure for a test server"
            if isinstance(tls, ssl.SSLCertVerificationError)
            else "check the mailbox's security setting (starttls on 587, tls on 465) and port"
        )
        return MailboxMisconfigured(
            f"TLS with {where} failed: {_describe(tls)} — fix: {hint}", field="security"
        )
    if isinstance(error, aiosmtplib.SMTPException) and "STARTTLS" in str(error):
        return MailboxMisconfigured(
            f"{where} does not offer STARTTLS, which this mailbox requires (security = "
            '"starttls") — fix: check host and port; never send the password unencrypted',
            field="security",
        )
    if _refused(error):
        return ConnectionRefused(
            f"nothing listens on {where}: check host, port and security"
        )
    return MailboxUnavailable(f"cannot connect to {where}: {_describe(error)}")


def _refused(error: BaseException | None) -> bool:
    """A refused TCP connection, however deep aiosmtplib wrapped it."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, ConnectionRefusedError):
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


def _login_failure(box: MailboxConfig, where: str, error: BaseException) -> MailboxError:
    """A refused or failed login: permanent when the credentials or settings are wrong."""
    # Most specific first: SMTPAuthenticationError is an SMTPResponseException, which is an
    # SMTPException (and aiosmtplib's disconnect and timeout errors are SMTPExceptions too).
    if isinstance(error, aiosmtplib.SMTPAuthenticationError):
        text = f"{where} refused the login of {box.username}: {error.code} {error.message}"
        if 400 <= error.code < 500:  # "454 try again later": the server's trouble
            return MailboxUnavailable(_one_line(text))
        return LoginRefused(
            _one_line(text) + " — fix: check the mailbox's username and the password "
            f"in ${box.password_env}",
            field="username",
        )
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return MailboxUnavailable(
            _one_line(f"{where} failed the login: {error.code} {error.message}")
        )
    if isinstance(error, aiosmtplib.SMTPServerDisconnected | aiosmtplib.SMTPTimeoutError):
        # The line, not the settings: retry later like any other connection failure.
        return MailboxUnavailable(
            f"{where} dropped the connection during login: {_describe(error)}"
        )
    if isinstance(error, aiosmtplib.SMTPException):
        # No AUTH offered (often: only after STARTTLS). The settings must change.
        return MailboxMisconfigured(
            _one_line(f"{where}: {_describe(error)}") + " — fix: check the mailbox's "
            "security setting (starttls or tls) and port",
            field="security",
        )
    return MailboxUnavailable(f"{where} dropped the connection during login: {_describe(error)}")


def _ssl_error(error: BaseException | None) -> ssl.SSLError | None:
    seen = 0
    while error is not None and seen < 8:
        if isinstance(error, ssl.SSLError):
            return error
        error = error.__cause__ or error.__context__
        seen += 1
    return None


async def _close(smtp: aiosmtplib.SMTP) -> None:
    try:
        if smtp.is_connected:
            await smtp.quit()
    except (aiosmtplib.SMTPException, OSError):
        smtp.close()


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _describe(error: BaseException) -> str:
    return _one_line(str(error) or type(error).__name__)


__all__ = [
    "ConnectionRefused",
    "LoginRefused",
    "MailboxConnection",
    "MailboxMisconfigured",
    "MailboxUnavailable",
    "SmtpReply",
    "tls_context",
]
