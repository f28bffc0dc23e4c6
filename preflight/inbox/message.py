"""One arrived message, read once into what the sorters look at: a few headers, the sender,
the Message-IDs it answers, and the person's *own words* (the text with every quoted original
cut away: ``>`` lines, attribution lines, Outlook header blocks, HTML blockquotes)."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from lxml import etree, html

from preflight.inbox.phrases import quote_headers

_MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")
# Own words past this many characters are not read: a person asking to stop says so early.
_OWN_WORDS_LIMIT = 20_000
_HTML_LIMIT = 512 * 1024


@dataclass
class InboxMessage:
    subject: str
    sender: str  # the From address, lower-case ("" when there is none)
    recipients: list[str]  # To, Cc, Delivered-To, X-Original-To addresses, lower-case
    date: datetime | None
    answers: list[str]  # Message-IDs from In-Reply-To and References, "<...>"
    headers: dict[str, str]  # the few headers sorters read, lower-case names
    content_type: str
    report_type: str
    own_words: str
    own_id: str | None = None
    parts: list[str] = field(default_factory=list)  # content types of every part


_READ_HEADERS = (
    "auto-submitted", "x-autoreply", "x-autorespond", "precedence", "x-auto-response-suppress",
    "list-id", "list-unsubscribe", "x-failed-recipients", "return-path",
)  # fmt: skip


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, TypeError, IndexError, AttributeError):
        return ""
    return str(value or "").replace("\r", " ").replace("\n", " ").strip()


def _addresses(message: EmailMessage, *names: str) -> list[str]:
    values = [_header(message, name) for name in names]
    return [a.lower() for _, a in getaddresses([v for v in values if v]) if "@" in a]


def _body_text(message: EmailMessage) -> str:
    """The person's text: the plain part, else the HTML with its blockquotes removed."""
    try:
        plain = message.get_body(("plain",))
        if plain is not None:
            return str(plain.get_content())
        rich = message.get_body(("html",))
        if rich is not None:
            return _html_own_text(str(rich.get_content())[:_HTML_LIMIT])
    except (LookupError, ValueError, TypeError, AttributeError, AssertionError):
        pass
    try:
        payload = message.get_payload(decode=True)
    except (ValueError, TypeError, AttributeError):
        return ""
    return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""


def _html_own_text(markup: str) -> str:
    try:
        root = html.fromstring(markup)
    except (etree.ParserError, ValueError):
        return ""
    for quoted in root.xpath(
        "//blockquote | //*[contains(@class, 'gmail_quote')] | //*[@id='divRplyFwdMsg']"
        " | //*[contains(@class, 'moz-cite-prefix')] | //style | //script | //head"
    ):
        quoted.drop_tree()
    for br in root.iter("br", "p", "div", "tr", "li"):
        br.tail = "\n" + (br.tail or "")
    return str(root.text_content())


def own_words(text: str) -> str:
    """``text`` without the quoted original: stops at the first attribution line, the
    Outlook separator or header block, and drops ``>`` lines."""
    kept: list[str] = []
    lines = text[:_OWN_WORDS_LIMIT].replace("\r\n", "\n").split("\n")
    markers = quote_headers()
    for index, raw in enumerate(lines):
        line = raw.strip()
        if raw.rstrip("\r") == "-- ":
            break  # the signature delimiter (RFC 3676): a company footer is not their word
        if line.startswith(">"):
            continue
        # An attribution line wrapped over two lines ("On ... Li Wei <" / "a@b> wrote:").
        joined = f"{line} {lines[index + 1].strip()}" if index + 1 < len(lines) else line
        if any(m.search(line) or m.search(joined) for m in markers):
            break
        kept.append(line)
    return "\n".join(kept).strip()


def read_inbox_message(data: bytes) -> InboxMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    when = None
    try:
        raw_date = _header(message, "Date")
        when = parsedate_to_datetime(raw_date) if raw_date else None
        if when is not None and when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    except (ValueError, TypeError, IndexError):
        when = None
    answers = _MESSAGE_ID.findall(
        _header(message, "In-Reply-To") + " " + _header(message, "References")
    )
    parts = [part.get_content_type() for part in message.walk()]
    own = _MESSAGE_ID.search(_header(message, "Message-ID"))
    return InboxMessage(
        subject=_header(message, "Subject"),
        sender=parseaddr(_header(message, "From"))[1].lower(),
        recipients=_addresses(message, "To", "Cc", "Delivered-To", "X-Original-To"),
        date=when,
        answers=answers,
        headers={name: _header(message, name).lower() for name in _READ_HEADERS},
        content_type=message.get_content_type(),
        report_type=(message.get_param("report-type") or "").__str__().lower(),
        own_words=own_words(_body_text(message)),
        own_id=own.group(0) if own else None,
        parts=parts,
    )


__all__ = ["InboxMessage", "own_words", "read_inbox_message"]
