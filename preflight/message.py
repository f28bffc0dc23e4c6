"""Turn a rendered template into a MIME message ready to send or to lint.

Every header value is checked for CR/LF before it touches the message: a line break in a
subject, a name or an address is how a header (``Bcc:``) gets injected.
"""

from __future__ import annotations

import html as html_lib
import re
import secrets
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, getaddresses
from typing import TYPE_CHECKING

from preflight.errors import HeaderInjectionError, InputError

if TYPE_CHECKING:
    from preflight.templates import RenderedMessage

# Headers build_message sets itself; extra_headers may not replace them.
_OWN_HEADERS = frozenset(
    {
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
    }
)
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")  # RFC 5322 ftext: printable ASCII except ":"
_DOMAIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")
_BODY_OPEN = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
_ADDRESS_HEADERS = frozenset({"from", "to", "cc", "bcc", "reply-to", "sender"})
_PARSER_ERRORS = (ValueError, TypeError, AttributeError, IndexError, HeaderParseError)
# Everything str.splitlines() breaks on: the email package folds and refuses on all of them.
_LINE_BREAK = re.compile("[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def has_line_break(value: str) -> bool:
    """True when ``value`` could end a header line (CR, LF or a Unicode line separator)."""
    return _LINE_BREAK.search(value) is not None


def _checked(field: str, value: str) -> str:
    if has_line_break(value):
        raise HeaderInjectionError(
            "the value contains a line break; a header must stay on one line", field=field
        )
    return value


def _set(message: EmailMessage, name: str, value: str) -> None:
    """Add a header, refusing values whose RFC 2047 words decode to a line break."""
    try:
        if name.lower() in _ADDRESS_HEADERS:
            message[name] = _address_objects(name, value)
        else:
            message[name] = value
    except _PARSER_ERRORS as error:
        # The stdlib parser refuses a decoded CR/LF with ValueError and trips over some odd
        # input with other errors: either way it is the value's fault, not a crash.
        if "CR" in str(error) or "linefeed" in str(error):
            raise HeaderInjectionError(f"refused: {error}", field=name) from None
        raise InputError(f"not a usable header value: {error}", field=name) from None
    if has_line_break(str(message[name])):
        raise HeaderInjectionError(
            "the value decodes to a line break (an encoded =?...?= word)", field=name
        )


def _address_objects(name: str, value: str) -> list[Address]:
    """Parse "Name <a@b>, c@d" into Address objects, so odd display names get quoted."""
    if "=?" in value:
        # The serializer decodes RFC 2047 words after our line-break check has run, so an
        # encoded CR LF would become a real header line (a Bcc, or a new Reply-To).
        raise HeaderInjectionError(
            "encoded words (=?...?=) are not allowed in an address header; write the name "
            "as plain text and preflight encodes it",
            field=name,
        )
    found = []
    for display_name, addr_spec in getaddresses([value]):
        if "@" not in addr_spec:
            raise InputError(f"not an email address: {value!r}", field=name)
        found.append(Address(display_name=display_name, addr_spec=addr_spec))
    if not found:
        raise InputError(f"not an email address: {value!r}", field=name)
    return found


def _address(field: str, value: str) -> str:
    value = _checked(field, value).strip()
    if "@" not in value:
        raise InputError(f"not an email address: {value!r}", field=field)
    return value


def make_message_id(domain: str) -> str:
    """A new, globally unique ``<...@domain>`` Message-ID that reveals nothing about the host."""
    domain = _checked("Message-ID", domain).strip().lower()
    if not _DOMAIN.match(domain):
        raise InputError(f"not a domain name: {domain!r}", field="Message-ID")
    return f"<{int(time.time())}.{secrets.token_hex(10)}@{domain}>"


def _domain_of(address: str) -> str:
    # "Name <user@host>" or "user@host": take what follows the last "@" up to ">".
    return address.rsplit("@", 1)[1].rstrip(">").strip()


def _with_preheader(html: str, preheader: str) -> str:
    # The usual preheader: first in the body, not displayed, read by inbox previews.
    snippet = (
        '<div class="preheader" style="display:none;max-height:0;overflow:hidden">'
        f"{html_lib.escape(preheader)}</div>"
    )
    opened = _BODY_OPEN.search(html)
    if opened is None:
        return snippet + html
    return html[: opened.end()] + snippet + html[opened.end() :]


def build_message(
    rendered: RenderedMessage,
    *,
    from_addr: str,
    to_addr: str,
    extra_headers: Mapping[str, str] | None = None,
    message_id: str | None = None,
    date: datetime | None = None,
) -> EmailMessage:
    """Build text/plain (with a text/html alternative when present), Date and Message-ID set.

    Raises HeaderInjectionError naming the field when any header value has a CR or LF.
    """
    message = EmailMessage(policy=default_policy)
    _set(message, "From", _address("From", from_addr))
    _set(message, "To", _address("To", to_addr))
    _set(message, "Subject", _checked("Subject", rendered.subject))
    _set(message, "Date", format_datetime(date or datetime.now(UTC)))
    _set(
        message,
        "Message-ID",
        _checked("Message-ID", message_id or make_message_id(_domain_of(from_addr))),
    )
    headers = {**rendered.headers, **(extra_headers or {})}
    for name, value in headers.items():
        if not _HEADER_NAME.match(name):
            raise HeaderInjectionError(f"not a valid header name: {name!r}", field=name)
        if name.lower() in _OWN_HEADERS:
            raise InputError("this header is set by preflight itself", field=name)
        _set(message, name, _checked(name, str(value)))
    message.set_content(rendered.text, subtype="plain", charset="utf-8")
    if rendered.html is not None:
        html = rendered.html
        if rendered.preheader:
            html = _with_preheader(html, rendered.preheader)
        message.add_alternative(html, subtype="html", charset="utf-8")
    return message
