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
from email.utils import format_datetime
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


# Control characters (C0, DEL, C1) have no place in a header value: NUL, ESC and DEL reach
# the wire as they are, and a TAB or NUL in a display name is how a "Bcc:" gets smuggled.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
# Header values longer than this are refused: the email package then folds every header
# within RFC 5322's 998-octet line limit (encoded words included).
MAX_HEADER_CHARS = 900
MAX_LINE_OCTETS = 998


def check_header_value(value: str, *, field: str, **where: object) -> str:
    """Refuse control characters and over-long values in a header value (one line)."""
    found = _CONTROL.search(value)
    if found is not None:
        raise HeaderInjectionError(
            f"control character {ord(found.group(0)):#04x} in the value: a header holds "
            "printable text only",
            field=field,
            **where,  # type: ignore[arg-type]
        )
    if len(value) > MAX_HEADER_CHARS:
        raise InputError(
            f"the value is {len(value):,} characters long; a header value may have at most "
            f"{MAX_HEADER_CHARS}",
            field=field,
            **where,  # type: ignore[arg-type]
        )
    return value


def check_display_name(name: str, *, field: str, **where: object) -> str:
    """A display name is text: no control character, no address, no angle brackets. Commas,
    colons, quotes and parentheses are fine: the email package quotes the name."""
    check_header_value(name, field=field, **where)
    if "=?" in name:
        # The serializer decodes RFC 2047 words after every check has run, so an encoded
        # CR LF would become a real header line (a Bcc, or a new Reply-To).
        raise HeaderInjectionError(
            "encoded words (=?...?=) are not allowed in a display name; write the name as "
            "plain text and preflight encodes it",
            field=field,
            **where,  # type: ignore[arg-type]
        )
    if "@" in name or "<" in name or ">" in name:
        raise HeaderInjectionError(
            f"the display name {name[:60]!r} holds an address or angle brackets; a name "
            "must be a name",
            field=field,
            **where,  # type: ignore[arg-type]
        )
    return name


def has_line_break(value: str) -> bool:
    """True when ``value`` could end a header line (CR, LF or a Unicode line separator)."""
    return _LINE_BREAK.search(value) is not None


def _checked(field: str, value: str) -> str:
    if has_line_break(value):
        raise HeaderInjectionError(
            "the value contains a line break; a header must stay on one line", field=field
        )
    return value


def _set(message: EmailMessage, name: str, value: str | Address) -> None:
    """Add a header, refusing values whose RFC 2047 words decode to a line break or a
    control character."""
    if isinstance(value, Address):
        check_display_name(value.display_name, field=name)
        message[name] = value
        return
    check_header_value(value, field=name)
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
    decoded = str(message[name])
    if has_line_break(decoded) or _CONTROL.search(decoded):
        raise HeaderInjectionError(
            "the value decodes to a line break or control character (an encoded =?...?= "
            "word)",
            field=name,
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
    # Parsed by the email package's own header parser: exactly one address, no group. A
    # value with two (a display name holding "x@y, z") is refused, not quietly split.
    header = default_policy.header_factory(name, value)
    addresses = list(header.addresses)  # type: ignore[attr-defined]
    groups = [g for g in header.groups if g.display_name is not None]  # type: ignore[attr-defined]
    if groups or len(addresses) != 1 or "@" not in addresses[0].addr_spec:
        raise InputError(
            f"not exactly one email address: {value[:80]!r} (a header from a template or "
            "list takes one address)",
            field=name,
        )
    found = addresses[0]
    check_display_name(found.display_name, field=name)
    return [Address(display_name=found.display_name, addr_spec=found.addr_spec)]


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
    headers: dict[str, str | Address] = {**rendered.headers, **(extra_headers or {})}
    for header, (display_name, addr_spec) in getattr(rendered, "addresses", {}).items():
        if header in rendered.headers and header not in (extra_headers or {}):
            headers[header] = Address(display_name=display_name, addr_spec=addr_spec)
    for name, value in headers.items():
        if not _HEADER_NAME.match(name):
            raise HeaderInjectionError(f"not a valid header name: {name!r}", field=name)
        if name.lower() in _OWN_HEADERS:
            raise InputError("this header is set by preflight itself", field=name)
        _set(message, name, value if isinstance(value, Address) else _checked(name, str(value)))
    message.set_content(rendered.text, subtype="plain", charset="utf-8")
    if rendered.html is not None:
        html = rendered.html
        if rendered.preheader:
            html = _with_preheader(html, rendered.preheader)
        message.add_alternative(html, subtype="html", charset="utf-8")
    _check_folded(message)
    return message


def _check_folded(message: EmailMessage) -> None:
    """Every header line within RFC 5322's 998 octets, as it will be on the wire."""
    for name, value in message.items():
        folded = message.policy.fold_binary(name, value)
        longest = max((len(line) for line in folded.split(b"\n")), default=0)
        if longest > MAX_LINE_OCTETS:
            raise InputError(
                f"the header cannot be folded within {MAX_LINE_OCTETS} octets a line "
                f"(a {longest:,}-octet line): shorten the value",
                field=name,
            )
