"""Bounce messages from an IMAP folder: TLS by default, password from the environment."""

from __future__ import annotations

import contextlib
import email.utils
import imaplib
import os
import re
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from preflight.bounces.sources import RawMessage
from preflight.errors import MailboxError, UsageError
from preflight.tlsconfig import verified_context

PASSWORD_ENV = "PREFLIGHT_IMAP_PASSWORD"
_IMAP_URL = re.compile(r"^imaps?://", re.IGNORECASE)


@dataclass(frozen=True)
class ImapTarget:
    """A parsed ``imap[s]://user@host[:port]/FOLDER`` address."""

    secure: bool  # imaps: TLS from the first byte; imap: STARTTLS (required)
    user: str
    host: str
    port: int
    folder: str

    @property
    def label(self) -> str:
        scheme = "imaps" if self.secure else "imap"
        return f"{scheme}://{self.user}@{self.host}:{self.port}/{self.folder}"


def is_imap_url(source: str) -> bool:
    return bool(_IMAP_URL.match(source))


def parse_imap_url(source: str) -> ImapTarget:
    """Read an IMAP address; the password never goes in it (an environment variable does)."""
    parts = urlsplit(source)
    if parts.password:
        raise UsageError(
            "do not put the password in the IMAP address; set PREFLIGHT_IMAP_PASSWORD "
            "or name a variable with --password-env",
            field="SOURCE",
        )
    if not parts.hostname or not parts.username:
        raise UsageError(
            "an IMAP source looks like imaps://user@host[:port]/FOLDER", field="SOURCE"
        )
    secure = parts.scheme.lower() == "imaps"
    try:
        port = parts.port or (993 if secure else 143)
    except ValueError as error:
        raise UsageError(f"bad port in {source!r}", field="SOURCE") from error
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    return ImapTarget(
        secure=secure, user=unquote(parts.username), host=parts.hostname, port=port, folder=folder
    )


def tls_context(*, insecure: bool = False, cafile: str | Path | None = None) -> ssl.SSLContext:
    """A verifying TLS context; ``insecure`` (loopback tests only) turns verification off."""
    return verified_context(cafile=cafile, insecure=insecure)


def _imap_quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ImapSource:
    """A logged-in IMAP folder: list messages since a date, fetch them, move them."""

    def __init__(
        self,
        target: ImapTarget,
        password: str,
        *,
        insecure: bool = False,
        cafile: str | Path | None = None,
        timeout: float = 30.0,
    ) -> None:
        if insecure and target.host not in ("127.0.0.1", "localhost", "::1"):
            raise UsageError(
                "--insecure is only allowed for a loopback IMAP server", field="--insecure"
            )
        self.target = target
        context = tls_context(insecure=insecure, cafile=cafile)
        try:
            if target.secure:
                self.imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    target.host, target.port, ssl_context=context, timeout=timeout
                )
            else:
                self.imap = imaplib.IMAP4(target.host, target.port, timeout=timeout)
                self.imap.starttls(ssl_context=context)
            _login(self.imap, target.user, password)
            status, _ = self.imap.select(_imap_quote(target.folder))
        except (OSError, imaplib.IMAP4.error, ssl.SSLError, UnicodeError) as error:
            # Servers and codecs may quote what they were given: never print the password.
            message = _redact(_one_line(error), password)
            raise MailboxError(f"IMAP: {message}", field=target.label) from None
        if status != "OK":
            raise MailboxError(f"IMAP: cannot open folder {target.folder!r}", field=target.label)

    def __enter__(self) -> ImapSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            self.imap.close()
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            self.imap.logout()

    def _uid(self, *args: str) -> list[bytes | tuple[bytes, bytes]]:
        try:
            status, data = self.imap.uid(*args)
        except (OSError, imaplib.IMAP4.error) as error:
            raise MailboxError(
                f"IMAP {args[0]}: {_one_line(error)}", field=self.target.label
            ) from error
        if status != "OK":
            raise MailboxError(f"IMAP {args[0]} failed: {data!r}", field=self.target.label)
        return data  # type: ignore[return-value]

    def uids(self, since: date | None = None) -> list[str]:
        criteria = f"SINCE {since.strftime('%d-%b-%Y')}" if since else "ALL"
        data = self._uid("SEARCH", criteria)
        raw = data[0] if data and isinstance(data[0], bytes) else b""
        return [u.decode() for u in raw.split()]

    def messages(self, since: date | None = None) -> Iterator[RawMessage]:
        for uid in self.uids(since):
            data = self._uid("FETCH", uid, "(BODY.PEEK[] INTERNALDATE)")
            for item in data:
                if isinstance(item, tuple):
                    yield RawMessage(
                        data=item[1],
                        location=f"{self.target.label};UID={uid}",
                        received_at=_internaldate(item[0]),
                        uid=uid,
                    )
                    break

    def move(self, uid: str, folder: str) -> None:
        """Move a processed message to another folder (MOVE, else COPY + delete)."""
        quoted = _imap_quote(folder)
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            self.imap.create(quoted)
        if b"MOVE" in b" ".join(
            c.encode() if isinstance(c, str) else c for c in self.imap.capabilities
        ):
            self._uid("MOVE", uid, quoted)
            return
        self._uid("COPY", uid, quoted)
        self._uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)")
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            self.imap.expunge()


def _login(imap: imaplib.IMAP4, user: str, password: str) -> None:
    """Log in with UTF-8 credentials: AUTHENTICATE PLAIN (RFC 4616) where offered.

    imaplib's LOGIN encodes its arguments as ASCII, so a non-ASCII password failed with a
    UnicodeEncodeError naming the character and its position. SASL PLAIN carries UTF-8.
    """
    if "AUTH=PLAIN" in imap.capabilities:
        secret = f"\0{user}\0{password}".encode()
        imap.authenticate("PLAIN", lambda _challenge: secret)
        return
    if not (user.isascii() and password.isascii()):
        raise MailboxError(
            "IMAP: the server offers no UTF-8 login (AUTH=PLAIN) and the user name or "
            "password is not ASCII"
        )
    imap.login(user, password)


def _redact(text: str, secret: str) -> str:
    """``text`` without the secret, any of its non-ASCII characters or a character position
    (an encoding error names the character it could not encode and where it stands)."""
    if not secret:
        return text
    if secret in text:
        text = text.replace(secret, "***")
    for char in {c for c in secret if not c.isascii()}:
        text = text.replace(char, "?")
    return re.sub(r"position \d+(?:-\d+)?", "position ?", text)


def _internaldate(meta: bytes) -> datetime | None:
    match = re.search(rb'INTERNALDATE "([^"]+)"', meta)
    if not match:
        return None
    with contextlib.suppress(ValueError, TypeError):
        return email.utils.parsedate_to_datetime(_to_rfc2822(match.group(1).decode())).astimezone(
            UTC
        )
    return None


def _to_rfc2822(internal: str) -> str:
    # "22-Nov-2026 15:04:05 +0000" → "22 Nov 2026 15:04:05 +0000"
    return internal.replace("-", " ", 2)


def _one_line(error: BaseException) -> str:
    if isinstance(error, ssl.SSLError):
        text = f"TLS: {error.reason or error}"
        if error.reason == "CERTIFICATE_VERIFY_FAILED":
            text += " (trust the server's CA with --cafile)"
    else:
        first = error.args[0] if error.args else ""
        text = first.decode("utf-8", "replace") if isinstance(first, bytes) else str(error)
    return " ".join(text.split()) or type(error).__name__


def imap_password(
    env_name: str | None,
    environ: Callable[[str], str | None] = os.environ.get,
) -> str:
    """The IMAP password from the named (or default) environment variable."""
    name = env_name or PASSWORD_ENV
    value = environ(name)
    if not value:
        raise UsageError(
            f"set the IMAP password in the environment variable {name}", field="--password-env"
        )
    return value


__all__ = [
    "PASSWORD_ENV",
    "ImapSource",
    "ImapTarget",
    "imap_password",
    "is_imap_url",
    "parse_imap_url",
    "tls_context",
]
