"""Read a bounce message once into the parts every detector looks at.

A bounce has up to four parts that matter: the human-readable notice, a machine-readable
report (message/delivery-status or message/feedback-report), and the original message or its
headers. This module finds them in any MIME shape and decodes them to text; detectors never
touch MIME themselves.
"""

from __future__ import annotations

import email.header
import re
from dataclasses import dataclass, field
from functools import cached_property

from preflight.bounces.limits import (
    MAX_HEADER_VALUE,
    MAX_PART_TEXT,
    MAX_RECORDS,
    cut_lines,
    mail_charset,
)
from preflight.bounces.mime import Part
from preflight.bounces.mime import parse as parse_mime

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?"
_ATEXT = r"A-Za-z0-9.!#$%&'*+/=?^_`{|}~\-"
# The look-behind lets a match start only where a run of local-part characters starts:
# without it a 100 KB run with no "@" is scanned once per position (quadratic).
_ADDRESS = rf"(?<![{_ATEXT}])[{_ATEXT}]+@{_LABEL}(?:\.{_LABEL})+"
ADDRESS_RE = re.compile(_ADDRESS)
_SURROGATES = re.compile("[\udc80-\udcff]")
_TAGS = re.compile(r"<[^>]{0,400}>")
_ENTITY = re.compile(r"&(#?\w+);")
_HTML_BREAK = re.compile(r"<\s*(?:br|/p|/div|/tr|/li|/h\d|p|div|tr)\b[^>]*>", re.IGNORECASE)
_HEADER_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9\-]*):[ \t]*(.*)$")
_ENTITIES = {"nbsp": " ", "lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}

# Lines that start the quoted original message in a plain-text notice.
ORIGINAL_MARKERS = re.compile(
    r"^\s*(?:-+ ?(?:original message|original message follows|returned message|"
    r"message text follows|this is a copy of the message|undelivered message|"
    r"below this line is a copy of the message|the header of the original message|"
    r"original message headers?)"
    r"|[-=]*\s*(?:original message follows|the original message was received at|"
    r"original message headers?|below this line is a copy of the message|"
    r"unsent message below|header of the original message|"
    r"----- ?(?:original|returned|unsent) message)"
    r"|--- below this line is a copy of the message"
    r"|------ this is a copy of the message, including all the headers"
    r"|--- ?(?:the header of )?original message ?---"
    r"|--- ?mail headers? ?---"
    r"|received: from"
    r"|return-path:)",
    re.IGNORECASE,
)


def decode_header_value(value: str | email.header.Header | None) -> str:
    """An RFC 2047 encoded header as text (never raises)."""
    if not value:
        return ""
    if isinstance(value, email.header.Header):
        return _join_chunks(email.header.decode_header(value))
    # A megabyte of encoded words takes the decoder seconds; no real header needs more.
    value = str(value)[:MAX_HEADER_VALUE]
    if _SURROGATES.search(value):
        # Raw 8-bit header bytes (no RFC 2047): most such servers send UTF-8.
        value = _decode_bytes(value.encode("ascii", "surrogateescape"), "utf-8")
    try:
        return _join_chunks(email.header.decode_header(value))
    except (ValueError, LookupError, TypeError):
        return value


def _join_chunks(chunks: list[tuple[bytes | str, str | None]]) -> str:
    # Raw 8-bit bytes in a header: the parser keeps them as "unknown-8bit", no charset at all.
    return "".join(
        _decode_bytes(chunk, None if charset == "unknown-8bit" else charset)
        if isinstance(chunk, bytes)
        else chunk
        for chunk, charset in chunks
    )


def _decode_bytes(data: bytes, charset: str | None) -> str:
    for candidate in (mail_charset(charset), "utf-8", "iso-2022-jp", "shift_jis", "euc-jp"):
        if not candidate:
            continue
        try:
            return data.decode(candidate)
        except (LookupError, ValueError):  # a charset name with NUL or non-ASCII is ValueError
            continue
    return data.decode("latin-1")


def part_text(part: Part) -> str:
    """The decoded text of a leaf part (HTML reduced to text)."""
    text = _decode_bytes(part.payload()[:MAX_PART_TEXT], part.charset)
    if part.subtype == "html":
        text = html_to_text(text)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def html_to_text(html: str) -> str:
    """Readable text from an HTML notice; bounce HTML is simple, a regex pass is enough."""
    html = _drop_scripts(html)
    html = _HTML_BREAK.sub("\n", html)
    html = _TAGS.sub(" ", html)
    html = _ENTITY.sub(lambda m: _ENTITIES.get(m.group(1).lower(), " "), html)
    return "\n".join(line.strip() for line in html.splitlines())


_SCRIPT_OPEN = re.compile(r"<(script|style|head)\b", re.IGNORECASE)


def _drop_scripts(html: str) -> str:
    """``html`` without script, style and head elements, in one left-to-right pass.

    A lazy ``<script.*?</script>`` regex rescans the rest of the text from every opening
    tag: 20,000 unclosed ``<script `` took half a minute. Here each opening tag looks for its
    closing tag once; an unclosed one drops the rest of the text.
    """
    lowered = html.lower()
    pieces: list[str] = []
    position = 0
    while True:
        found = _SCRIPT_OPEN.search(html, position)
        if found is None:
            pieces.append(html[position:])
            break
        pieces.append(html[position : found.start()])
        end = lowered.find(f"</{found.group(1).lower()}", found.end())
        if end < 0:
            break
        position = lowered.find(">", end) + 1 or len(html)
    return " ".join(pieces)


def parse_fields(text: str, limit: int | None = None) -> list[dict[str, str]]:
    """RFC 822-style field blocks (a delivery-status or feedback report) as dicts.

    Blocks are separated by blank lines; continuation lines are unfolded; keys are
    lower-case; the first occurrence of a key in a block wins. At most ``limit`` blocks are
    read.
    """
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    last: str | None = None
    for line in text.splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
                if limit is not None and len(blocks) >= limit:
                    return blocks
            current, last = {}, None
            continue
        if line[:1] in " \t" and last is not None:
            current[last] += " " + line.strip()
            continue
        match = _HEADER_LINE.match(line)
        if match:
            key = match.group(1).lower()
            if key in current:
                last = None
                continue
            current[key] = match.group(2).strip()
            last = key
        else:
            last = None
    if current:
        blocks.append(current)
    return blocks


@dataclass
class ParsedMessage:
    """A bounce message split into the parts detectors read."""

    msg: Part
    notice: str = ""  # the human-readable part(s), decoded
    report: str = ""  # message/delivery-status text, if any
    report_type: str = ""  # "delivery-status", "feedback-report", or ""
    feedback: str = ""  # message/feedback-report text, if any
    original: str = ""  # the original message's headers (and maybe body) as text
    extra_text: list[str] = field(default_factory=list)
    # What reading cut short (a cap was reached): stored with the message by the importer.
    notes: list[str] = field(default_factory=list)

    @cached_property
    def subject(self) -> str:
        return decode_header_value(self.msg.get("Subject"))

    @cached_property
    def sender(self) -> str:
        return decode_header_value(self.msg.get("From"))

    def header(self, name: str) -> str:
        return decode_header_value(self.msg.get(name))

    @cached_property
    def report_blocks(self) -> list[dict[str, str]]:
        if not self.report:
            return []
        # One block names the reporting MTA; each other one is a recipient.
        blocks = parse_fields(self.report, limit=MAX_RECORDS + 2)
        if len(blocks) > MAX_RECORDS + 1:
            self.notes.append(f"report: recipients after the first {MAX_RECORDS} ignored")
        return blocks

    @cached_property
    def notice_body(self) -> str:
        """The notice up to where the quoted original message starts."""
        lines = self.notice.splitlines()
        for index, line in enumerate(lines):
            if index > 0 and ORIGINAL_MARKERS.match(line):
                return "\n".join(lines[:index])
        return self.notice

    @cached_property
    def quoted_original(self) -> str:
        """The text after the notice: the original headers quoted inline, if any."""
        if len(self.notice_body) < len(self.notice):
            return self.notice[len(self.notice_body) :]
        return ""

    @cached_property
    def original_headers(self) -> dict[str, str]:
        source = self.original or self.quoted_original
        headers: dict[str, str] = {}
        for block in parse_fields(_strip_quote_prefix(source))[:3]:
            for key, value in block.items():
                headers.setdefault(key, value)
            if "message-id" in headers:
                break
        return headers

    @cached_property
    def original_message_id(self) -> str | None:
        value = self.original_headers.get("message-id", "")
        match = re.search(r"<[^<>\s]+>", value)
        if match:
            return match.group(0)
        return f"<{value.strip()}>" if value.strip() and "@" in value else None

    @cached_property
    def local_host(self) -> str:
        """The host that wrote the bounce: its Reporting-MTA, else the sender's domain."""
        for block in self.report_blocks:
            words = block.get("reporting-mta", "").split(";")[-1].split()
            if words:
                return words[0].strip("[].").lower()
        found = ADDRESS_RE.findall(self.sender)
        return found[0].rpartition("@")[2].lower() if found else ""

    @cached_property
    def own_addresses(self) -> set[str]:
        """Addresses of the bounce's sender and of the original sender: never recipients."""
        found: set[str] = set()
        for value in (self.sender, self.header("To"), self.header("Reply-To")):
            found.update(a.lower() for a in ADDRESS_RE.findall(value))
        original_from = self.original_headers.get("from", "") + self.original_headers.get(
            "return-path", ""
        )
        found.update(a.lower() for a in ADDRESS_RE.findall(original_from))
        return found


    @cached_property
    def envelope(self) -> frozenset[str]:
        """Where the bounce was sent back to and whom it quotes as the original sender, lower
        case: a real bounce of ours names our sending address here."""
        found: set[str] = set()
        for name in ("To", "Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To"):
            for value in self.msg.get_all(name)[:5]:
                found.update(a.lower() for a in ADDRESS_RE.findall(value[:2000]))
        for name in ("from", "return-path", "sender"):
            value = self.original_headers.get(name, "")[:2000]
            found.update(a.lower() for a in ADDRESS_RE.findall(value))
        return frozenset(found)


def _strip_quote_prefix(text: str) -> str:
    lines = text.splitlines()
    lines = [line[2:] if line.startswith("> ") else line.lstrip(">") for line in lines]
    # Drop leading marker lines so the header block is the first block.
    while lines and not _HEADER_LINE.match(lines[0]):
        lines.pop(0)
    return "\n".join(lines)


def read_message(data: bytes) -> ParsedMessage:
    """Parse a raw message into its parts."""
    msg = parse_mime(data)
    parsed = ParsedMessage(msg=msg, notes=list(msg.notes))
    _walk(msg, parsed, top=True)
    parsed.notice = cut_lines(parsed.notice, parsed.notes, "notice")
    parsed.report = cut_lines(parsed.report, parsed.notes, "report")
    parsed.original = cut_lines(parsed.original, parsed.notes, "original message")
    if not parsed.report:
        # A flat notice that pastes its delivery-status fields inline (broken MIME, old MTAs).
        match = _INLINE_REPORT.search(parsed.notice)
        if match:
            parsed.report = parsed.notice[match.start() :]
    return parsed


_INLINE_REPORT = re.compile(
    r"^(?:reporting-mta|final-recipient|original-recipient):", re.IGNORECASE | re.MULTILINE
)


def _walk(part: Part, parsed: ParsedMessage, top: bool) -> None:
    ctype = part.content_type
    if ctype == "multipart/report" and not parsed.report_type:
        parsed.report_type = (part.param("report-type") or "").lower()
    if ctype in ("message/delivery-status", "message/global-delivery-status"):
        parsed.report += part_text(part) + "\n\n"
        return
    if ctype == "message/feedback-report":
        parsed.feedback += part_text(part) + "\n\n"
        return
    if ctype in _ORIGINAL_TYPES:
        if not parsed.original:
            parsed.original = part_text(part)
        return
    if part.is_multipart():
        for sub in part.parts:
            _walk(sub, parsed, top=False)
        return
    if part.maintype == "multipart":
        # A multipart type whose boundary never occurs: the body is one flat text.
        parsed.notice += part_text(part) + "\n"
        return
    if part.maintype == "text" or ctype == "application/octet-stream":
        text = part_text(part)
        if ctype == "text/html" and parsed.notice:
            return  # the alternative of a text part we already have
        if not top and _looks_like_report(text) and not parsed.report:
            parsed.report += text + "\n\n"
        elif not top and _looks_like_headers(text) and parsed.notice:
            parsed.original = parsed.original or text
        else:
            parsed.notice += text + "\n"


_ORIGINAL_TYPES = frozenset(
    {
        "message/rfc822",
        "message/global",
        "text/rfc822-headers",
        "message/rfc822-headers",
        "text/rfc822-header",
    }
)


def _looks_like_report(text: str) -> bool:
    head = text[:2000].lower()
    return "final-recipient:" in head or (
        "status:" in head and ("reporting-mta:" in head or "original-recipient:" in head)
    )


def _looks_like_headers(text: str) -> bool:
    head = text.lstrip()[:1500].lower()
    return head.startswith(("received:", "return-path:", "message-id:", "from:", "date:")) or (
        "message-id:" in head and "subject:" in head
    )


__all__ = [
    "ADDRESS_RE",
    "ParsedMessage",
    "decode_header_value",
    "html_to_text",
    "parse_fields",
    "part_text",
    "read_message",
]
