"""An email draft parsed once into what the lint rules read.

``read_draft(path)`` parses an ``.eml``; ``Draft.from_message`` takes any
``email.message.Message`` (a rendered template's message, for instance). Parsing is bounded so a
hostile file cannot run away: see the ``MAX_*`` limits below. Anything the parser cannot make
sense of is reported as a :class:`~preflight.errors.DraftError` naming the file, never a
traceback.
"""

from __future__ import annotations

import email
import email.errors
import email.message
import math
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.utils import getaddresses, parseaddr
from functools import cached_property
from pathlib import Path

from preflight.errors import DraftError
from preflight.lint.charsets import looks_misdecoded, mail_codec, sniff_html
from preflight.lint.htmlview import HtmlView, analyse_html
from preflight.lint.language import identify, scripts_present
from preflight.lint.quotes import split_quoted
from preflight.lint.text import CJK_RE, words

# Bounds that keep parsing linear and small whatever the input is.
MAX_DRAFT_BYTES = 64 * 1024 * 1024  # a bigger .eml is not a draft anyone should send
MAX_MIME_PARTS = 500  # MIME parts looked at; any beyond are ignored
MAX_MIME_DEPTH = 20  # multipart nesting followed
MAX_TEXT_CHARS = 1_000_000  # plain text analysed
MAX_HEADER_CHARS = 10_000  # one decoded header value
# The stdlib parser costs a few microseconds per line and more per header line and MIME part,
# so a draft under the size limit built of millions of short lines (15 million "X:" headers in
# 45 MB) would take a minute and gigabytes. These are refused before parsing, counted in C.
MAX_LINES = 2_000_000  # a 64 MB draft of base64 attachments has under 900,000
MAX_HEADER_LINES = 100_000  # lines shaped like a header field, in all header blocks
MAX_BOUNDARY_LINES = 50_000  # lines starting with "--" (MIME boundaries)

# Characters per word of business Chinese: jieba segments the Chinese drafts of the expert set
# (../shared/corpora/cold-drafts) at 1.88; dictionaries of running text give 1.6 to 1.9. An
# estimate instead of jieba itself: its dictionary costs 1.4 s to load in every process.
CHINESE_CHARS_PER_WORD = 1.8

_WS_RE = re.compile(r"[ \t\r\n]")
_WEB_RE = re.compile(r"^(?:https?://|www\.)", re.I)


def _link_key(href: str) -> str | None:
    """A web link's identity for counting: scheme, case of the host and a final "/" aside."""
    href = href.strip()
    if not _WEB_RE.match(href):
        return None
    lowered = href.lower()
    for prefix in ("https://", "http://"):
        lowered = lowered.removeprefix(prefix)
    return lowered.removeprefix("www.").rstrip("/.,;")


# Letters and the apostrophe as they are, every other ASCII character a space (bytes.translate).
_ASCII_LETTERS = bytes(
    c if (65 <= c <= 90 or 97 <= c <= 122 or c == 39) else 32 for c in range(256)
)
# text.WORD_RE on ASCII text: [^\W\d_] is [A-Za-z] there, and ’ is not ASCII.
_ASCII_WORD_RE = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")


def split_words(text: str) -> list[str]:
    """``text.words(text)`` (``WORD_RE.findall``), at a third of the cost on ASCII text.

    In ASCII, letters and apostrophes stay and everything else becomes a space, so a
    whitespace split gives WORD_RE's words, except in the tokens with an apostrophe
    ("don't", "'tis", "rock'n'roll"): only those are matched with the regex.
    tests/lint_rules/test_draft_speedups.py compares this with WORD_RE on wide samples.
    """
    if not text.isascii():
        return words(text)
    plain = text.encode("ascii").translate(_ASCII_LETTERS).decode("ascii")
    at = plain.find("'")
    if at < 0:
        return plain.split()
    found: list[str] = []
    start = 0
    while at >= 0:
        token_start = plain.rfind(" ", start, at) + 1 or start
        token_end = plain.find(" ", at)
        if token_end < 0:
            token_end = len(plain)
        found += plain[start:token_start].split()
        found += _ASCII_WORD_RE.findall(plain, token_start, token_end)
        start = token_end
        at = plain.find("'", token_end)
    found += plain[start:].split()
    return found


@dataclass(frozen=True)
class Personalization:
    """Which template variables a rendered draft used where it matters most."""

    subject_vars: frozenset[str]
    first_line_vars: frozenset[str]


@dataclass(frozen=True)
class WordShapes:
    """Counts of word shapes in the body, taken in one pass for the caps and title-case rules."""

    words: int
    capitals: int  # words of 3+ letters written in capitals ("FREE")
    long_words: int  # words of 4+ letters
    capitalised: int  # 4+ letter words with only the first letter a capital ("Free")


@dataclass(frozen=True)
class Link:
    href: str
    text: str  # what the reader sees ("" for an image link)
    part: str  # "html" or "text"
    line: int | None = None


@dataclass(frozen=True)
class Image:
    src: str  # URL, "cid:..." or the part's file name
    remote: bool  # fetched from the web when the mail is opened
    embedded: bool  # carried inside the message (cid: or an image part)
    size: int | None = None  # decoded bytes when carried in the message
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int  # decoded bytes (computed from the encoded length, not by decoding)
    inline: bool = False


@dataclass
class Draft:
    """Everything the rules read about one draft. Built by :meth:`from_message`."""

    source: str
    subject: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # lower-case name -> first value
    header_names: tuple[str, ...] = ()  # lower-case names in order, repeated ones repeated
    from_name: str = ""
    from_addr: str = ""
    reply_to: str = ""
    to: tuple[str, ...] = ()
    text: str = ""  # the plain-text part(s)
    html: str | None = None  # the HTML part (capped)
    html_view: HtmlView | None = None  # what the HTML shows, hides and links to
    links: list[Link] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    content_types: tuple[str, ...] = ()  # of every leaf part, in order
    mime_problems: list[str] = field(default_factory=list)
    broken_mime: list[str] = field(default_factory=list)  # structure that does not parse
    personalization: Personalization | None = None
    quoted_lines: int = 0  # lines of the text part quoting another message (not linted)
    # Set by the send path for a campaign's follow-up step: like a reply, not a first contact.
    follow_up: bool = False
    # A template rendered without data: the preview values it was filled with, and the
    # variables no built-in sample knows (likely typos) with the closest known name, if any.
    sample_values: dict[str, str] = field(default_factory=dict)
    unknown_variables: dict[str, str | None] = field(default_factory=dict)

    # -- derived views -------------------------------------------------------------------
    @property
    def is_template(self) -> bool:
        return self.personalization is not None

    @property
    def is_reply(self) -> bool:
        """Threaded under an earlier message (In-Reply-To or References)."""
        return "in-reply-to" in self.headers or "references" in self.headers

    def is_first_contact(self, configured: bool = True) -> bool:
        """A cold first mail: configured so, and neither a reply nor a follow-up step."""
        return configured and not self.is_reply and not self.follow_up

    @cached_property
    def language(self) -> str:
        """Language of the words a reader sees (see :mod:`preflight.lint.language`)."""
        return identify(self.body)

    @cached_property
    def languages(self) -> frozenset[str]:
        """Languages of the plain-text and the HTML part (each identified once, cached), and
        of any Han, Cyrillic or Arabic text they contain."""
        found = {self.language}
        if self.has_text and self.html_view and self.html_view.visible_text:
            found.add(identify(self.html_view.visible_text))
        return frozenset(found) | scripts_present(self.all_text[:20_000])

    @cached_property
    def unique_web_links(self) -> list[Link]:
        """Web links, the same target in the text and HTML twins counted once."""
        seen: dict[str, Link] = {}
        for link in self.links:
            key = _link_key(link.href)
            if key is not None and key not in seen:
                seen[key] = link
        return list(seen.values())

    @property
    def has_text(self) -> bool:
        # bool(text.strip()) without copying the text: rules ask on every access to body.
        return not self.text.isspace() and self.text != ""

    @property
    def has_html(self) -> bool:
        return self.html is not None

    @property
    def body(self) -> str:
        """The words a reader sees: the plain text, or the HTML's visible text when no text."""
        if self.has_text:
            return self.text
        return self.html_view.visible_text if self.html_view else ""

    @property
    def body_part(self) -> str:
        return "text" if self.has_text or not self.html_view else "html"

    @cached_property
    def all_text(self) -> str:
        """Plain text and HTML visible text together (for phrase searches)."""
        if self.html_view and self.html_view.visible_text:
            return self.text + "\n" + self.html_view.visible_text
        return self.text

    @cached_property
    def all_text_lower(self) -> str:
        """``all_text`` in lower case, for cheap substring pre-checks before a regex."""
        return self.all_text.lower()

    @cached_property
    def body_words(self) -> list[str]:
        """The words (letters only) of :attr:`body`."""
        return split_words(self.body)

    @cached_property
    def word_shapes(self) -> WordShapes:
        # map() over str methods keeps the per-word work in C.
        three = [w for w in self.body_words if len(w) > 2]
        four = [w for w in three if len(w) > 3]
        return WordShapes(
            words=len(self.body_words),
            capitals=sum(map(str.isupper, three)),
            long_words=len(four),
            capitalised=sum(map(str.istitle, four)),
        )

    @cached_property
    def word_count(self) -> int:
        body = self.body
        if body.isascii() or not CJK_RE.search(body):  # curly quotes, accents: no CJK
            return len(self.body_words)
        # Chinese has no spaces: words are estimated from the characters (CHINESE_CHARS_PER_WORD).
        cjk = len(CJK_RE.findall(body))
        latin = len(self.body_words) - len(list(filter(CJK_RE.match, self.body_words)))
        return latin + math.ceil(cjk / CHINESE_CHARS_PER_WORD)

    @property
    def from_domain(self) -> str:
        return address_domain(self.from_addr)

    @property
    def reply_to_domain(self) -> str:
        return address_domain(self.reply_to)

    def line_of(self, text: str, offset: int) -> int:
        """1-based line number of ``offset`` in ``text``."""
        return text.count("\n", 0, offset) + 1

    # -- construction --------------------------------------------------------------------
    @classmethod
    def from_message(
        cls,
        msg: email.message.Message,
        source: str,
        personalization: Personalization | None = None,
        *,
        follow_up: bool = False,
    ) -> Draft:
        """``follow_up``: a campaign's later step, linted as a reply (not a first contact)."""
        draft = cls(source=source, personalization=personalization, follow_up=follow_up)
        try:
            _read_headers(draft, msg)
            _read_body(draft, msg)
        except (LookupError, ValueError, TypeError, AttributeError, IndexError) as exc:
            # The stdlib email package raises a handful of these on broken structure.
            raise DraftError(f"cannot parse the message: {exc}", file=source) from exc
        except RecursionError:
            raise DraftError("MIME structure nested too deeply", file=source) from None
        return draft


def read_draft(path: str | Path) -> Draft:
    """Parse an ``.eml`` file into a :class:`Draft`; DraftError names the file on failure."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            # Check the size first: read(MAX + 1) would allocate the whole maximum every time.
            status = os.fstat(fh.fileno())
            if status.st_size > MAX_DRAFT_BYTES:
                raise _too_big(path)
            # Not a regular file (a FIFO, a device): its size cannot be trusted.
            special = not stat.S_ISREG(status.st_mode)
            data = fh.read(MAX_DRAFT_BYTES + 1) if special else fh.read()
    except OSError as exc:
        raise DraftError(f"cannot read the draft: {exc.strerror or exc}", file=path) from exc
    if len(data) > MAX_DRAFT_BYTES:  # a pipe or device gives no size up front
        raise _too_big(path)
    if not data.strip():
        raise DraftError("the file is empty", file=path)
    if data.startswith(b"From ") and b"\n" in data:
        data = data.split(b"\n", 1)[1]  # an mbox separator line is not a header
    _check_shape(data, path)
    try:
        msg = email.message_from_bytes(data)
    except RecursionError:  # the stdlib parser recurses once per nested multipart
        raise DraftError("MIME structure nested too deeply", file=path) from None
    if not msg.keys():
        raise DraftError("no mail headers found (is this an .eml file?)", file=path)
    return Draft.from_message(msg, str(path))


def _too_big(path: Path) -> DraftError:
    return DraftError(
        f"larger than {MAX_DRAFT_BYTES // (1024 * 1024)} MB: not a draft to send", file=path
    )


_HEADER_LINE_RE = re.compile(rb"^[\x21-\x39\x3b-\x7e]{1,200}:", re.M)


def _check_shape(data: bytes, path: Path) -> None:
    """Refuse shapes that would make the stdlib parser run away (see ``MAX_LINES``)."""
    lines = data.count(b"\n")
    if lines > MAX_LINES:
        raise DraftError(f"{lines:,} lines: over the limit of {MAX_LINES:,} for a draft", file=path)
    # A colon count is an upper bound of header lines; only past the cap count them properly
    # (subn counts without keeping the matches).
    if data.count(b":") > MAX_HEADER_LINES:
        headers = _HEADER_LINE_RE.subn(b"", data)[1]
        if headers > MAX_HEADER_LINES:
            raise DraftError(
                f"{headers:,} header-like lines: over the limit of {MAX_HEADER_LINES:,}", file=path
            )
    boundaries = data.count(b"\n--")
    if boundaries > MAX_BOUNDARY_LINES:
        raise DraftError(
            f"{boundaries:,} MIME boundary lines: over the limit of {MAX_BOUNDARY_LINES:,}",
            file=path,
        )


# -- headers -----------------------------------------------------------------------------
def address_domain(address: str) -> str:
    """Lower-case text after the last "@" of a bare address (all of it when there is none)."""
    return address.rpartition("@")[2].lower()


def decode_header_value(value: object) -> str:
    """Decode RFC 2047 words robustly; unknown charsets and bad bytes become U+FFFD."""
    text = str(value)[:MAX_HEADER_CHARS]
    if "=?" in text:
        try:
            chunks = decode_header(text)
            if all(mail_codec(charset) for _, charset in chunks if charset):
                text = str(make_header(chunks))
            else:  # punycode and the like are no mail charset: never decode with them
                text = _decode_words_leniently(chunks)
        except (LookupError, ValueError, email.errors.MessageError):
            text = _decode_words_leniently(decode_header(text))
    return text.replace("\r", "").replace("\n", " ")


def _decode_words_leniently(chunks: list[tuple[bytes | str, str | None]]) -> str:
    parts = []
    for chunk, charset in chunks:
        if isinstance(chunk, bytes):
            parts.append(chunk.decode(mail_codec(charset) or "latin-1", errors="replace"))
        else:
            parts.append(chunk)
    return "".join(parts)


def _read_headers(draft: Draft, msg: email.message.Message) -> None:
    names = []
    for name, value in msg.items():
        key = name.lower()
        names.append(key)
        if key not in draft.headers:
            draft.headers[key] = decode_header_value(value)
    draft.header_names = tuple(names)
    draft.subject = draft.headers.get("subject", "").strip()
    name, addr = _parse_address(draft.headers.get("from", ""))
    draft.from_name, draft.from_addr = name.strip(), addr.strip()
    draft.reply_to = _parse_address(draft.headers.get("reply-to", ""))[1].strip()
    draft.to = tuple(a for _, a in _parse_addresses(draft.headers.get("to", "")) if a)


# The everyday shapes of an address field, ``a.b@example.com``, ``Anna Berg <a@b.com>`` and
# ``"Berg, Anna" <a@b.com>``: read with one regex, they give what email.utils gives at a
# twentieth of the cost. Anything else (comments, groups, routes, escapes, non-ASCII spaces,
# a second "@") goes to email.utils. Name words hold no character _parseaddr treats
# specially and are joined by one space as it joins them; a quoted name is kept as written.
# tests/lint_rules/test_draft_speedups.py compares them on many generated fields.
_ATOM = r"[A-Za-z0-9_+-]+"
_SPEC = rf"{_ATOM}(?:\.{_ATOM})*@{_ATOM}(?:\.{_ATOM})*"
_WORD = r"[^\s()<>@,:;\"\[\]\\]+"
_SIMPLE_ADDRESS_RE = re.compile(
    rf"[ \t]*(?:(?P<bare>{_SPEC})|"
    rf"(?:\"(?P<quoted>[^\"\\\r\n]*)\"|(?P<words>{_WORD}(?:[ \t]+{_WORD})*))?"
    rf"[ \t]*<(?P<spec>{_SPEC})>)[ \t]*"
)
_BLANKS_RE = re.compile(r"[ \t]+")


def _address_of(match: re.Match[str]) -> tuple[str, str]:
    bare, quoted, words_, spec = match.group("bare", "quoted", "words", "spec")
    if bare is not None:
        return "", bare
    if words_:
        return _BLANKS_RE.sub(" ", words_), spec
    return quoted or "", spec


def _parse_address(value: str) -> tuple[str, str]:
    """``email.utils.parseaddr(value)``, the common shapes without its parser."""
    match = _SIMPLE_ADDRESS_RE.fullmatch(value)
    return _address_of(match) if match else parseaddr(value)


def _parse_addresses(value: str) -> list[tuple[str, str]]:
    """``email.utils.getaddresses([value])``; a list of common shapes without its parser."""
    found = []
    at = 0
    while match := _SIMPLE_ADDRESS_RE.match(value, at):
        found.append(_address_of(match))
        at = match.end()
        if at == len(value):
            return found
        if value[at] != ",":
            break
        at += 1
    return getaddresses([value])


# -- body --------------------------------------------------------------------------------
def _leaves(msg: email.message.Message) -> Iterator[tuple[email.message.Message, bool]]:
    """Leaf parts with "inside an attached message" flags, iteratively and bounded."""
    stack: list[tuple[email.message.Message, int, bool]] = [(msg, 0, False)]
    seen = 0
    while stack and seen < MAX_MIME_PARTS:
        part, depth, nested = stack.pop()
        seen += 1
        payload = part.get_payload()
        if part.is_multipart() and isinstance(payload, list):
            if depth < MAX_MIME_DEPTH:
                is_rfc822 = part.get_content_type() == "message/rfc822"
                stack.extend((p, depth + 1, nested or is_rfc822) for p in reversed(payload))
            continue
        yield part, nested


def _read_body(draft: Draft, msg: email.message.Message) -> None:
    texts: list[str] = []
    html_parts: list[str] = []
    cids: dict[str, Image] = {}
    content_types = []
    for part, nested in _leaves(msg):
        ctype = part.get_content_type()
        content_types.append(ctype)
        raw_disposition = part.get("content-disposition")
        disposition = (raw_disposition or "").split(";")[0].strip().lower()
        filename = _filename(part, raw_disposition)
        filename = decode_header_value(filename) if filename else ""
        is_attachment = (
            disposition == "attachment"
            or nested
            or (bool(filename) and not ctype.startswith("text/"))
        )
        if ctype.startswith("image/"):
            size = _decoded_size(part)
            cid = (part.get("content-id") or "").strip().strip("<>")
            image = Image(
                src=filename or (f"cid:{cid}" if cid else ctype),
                remote=False,
                embedded=True,
                size=size,
            )
            draft.images.append(image)
            if cid:
                cids[cid] = image
            if disposition == "attachment" or (filename and not cid):
                draft.attachments.append(Attachment(filename or "(unnamed)", ctype, size))
            continue
        if is_attachment or not ctype.startswith("text/"):
            draft.attachments.append(
                Attachment(
                    filename or "(unnamed)",
                    ctype,
                    _decoded_size(part),
                    inline=disposition == "inline",
                )
            )
            continue
        if ctype == "text/html":
            html_parts.append(_part_text(part, draft, ctype))
        else:
            texts.append(_part_text(part, draft, ctype))
    draft.content_types = tuple(content_types)
    draft.broken_mime = _broken_structure(msg)
    draft.text = "\n".join(texts)[:MAX_TEXT_CHARS]
    if _looks_like_reply(draft):  # elsewhere ">" lines would be a place to hide words
        draft.text, draft.quoted_lines = split_quoted(draft.text)
    if html_parts:
        draft.html = "\n".join(html_parts)
        view = analyse_html(draft.html, reply=_looks_like_reply(draft))
        draft.html_view = view
        for href, text in view.links:
            draft.links.append(Link(href=href, text=text, part="html"))
        for img in view.images:
            known = cids.get(img.src[4:]) if img.src.lower().startswith("cid:") else None
            if known is not None:
                draft.images.remove(known)  # the same picture, now with its HTML size
                draft.images.append(Image(img.src, False, True, known.size, img.width, img.height))
            else:
                draft.images.append(
                    Image(
                        img.src,
                        img.remote,
                        img.src.lower().startswith(("cid:", "data:")),
                        None,
                        img.width,
                        img.height,
                    )
                )
    line, counted = 1, 0  # line numbers counted on from the previous link, not from the top
    for match in _TEXT_URL_RE.finditer(draft.text):
        line += draft.text.count("\n", counted, match.start())
        counted = match.start()
        draft.links.append(Link(href=match.group(0), text="", part="text", line=line))


# re.compile(r"\b(?:https?://|www\.)[^\s<>\"'()\[\]]+", re.IGNORECASE), spelt so that the
# pattern starts with a character class: re then skips to the next h or w in C instead of
# trying the pattern at every position (a third of the cost). Under IGNORECASE "s" also
# matches "ſ" (U+017F) and no other letter here has another case partner; the lookbehinds
# are \b and tie each branch to its first letter. tests/lint_rules/test_draft_speedups.py
# compares the two.
TEXT_URL_PATTERN = r"\b(?:https?://|www\.)[^\s<>\"'()\[\]]+"
_TEXT_URL_RE = re.compile(
    r"[hHwW](?<!\w[hHwW])(?:(?<=[hH])[tT][tT][pP][sSſ]?://|(?<=[wW])[wW][wW]\.)"
    r"[^\s<>\"'()\[\]]+"
)


# "RE:", "AW:" (de), "RV:" (es), "TR:" (fr), "R:" (it), "回复:" and forwards in our languages.
REPLY_PREFIX = re.compile(
    r"^\s*(?:re|fw|fwd|aw|wg|sv|vs|rv|tr|enc|ynt|ilt|رد|回复|答复|转发)\s*(?:\[\d+\])?\s*[:：]",
    re.I,
)


def _looks_like_reply(draft: Draft) -> bool:
    return draft.is_reply or draft.follow_up or bool(REPLY_PREFIX.match(draft.subject))


def _filename(part: email.message.Message, disposition: object) -> str | None:
    """``part.get_filename()``, without parsing the parameters of headers that cannot hold
    one: a "filename" or "name" parameter's name is in its header's text, lower-cased."""
    if disposition is not None and "filename" in str(disposition).lower():
        return part.get_filename()
    content_type = part.get("content-type")
    if content_type is not None and "name" in str(content_type).lower():
        return part.get_filename()
    return None


def _part_text(part: email.message.Message, draft: Draft, ctype: str) -> str:
    raw = part.get_payload(decode=True)
    if raw is None:
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ""
    charset = part.get_content_charset()
    codec = mail_codec(charset)
    if codec is None:
        draft.mime_problems.append(f"unknown charset {charset!r}")
        text = None
    else:
        text = raw.decode(codec, errors="replace")
    if ctype == "text/html" and (text is None or looks_misdecoded(text)):
        sniffed, used = sniff_html(raw, codec)
        if text is not None and used and used != codec:
            draft.mime_problems.append(f"HTML declared as {charset!r} but written in {used}")
        text = sniffed
    elif text is None:
        text = raw.decode("latin-1")
    return text.replace("\r\n", "\n")


# What the stdlib parser records when the structure does not hold, in words a sender knows.
_STRUCTURE_DEFECTS = {
    email.errors.StartBoundaryNotFoundDefect: "the multipart boundary never starts a part",
    email.errors.CloseBoundaryNotFoundDefect: "the closing multipart boundary is missing",
    email.errors.NoBoundaryInMultipartDefect: "a multipart part declares no boundary",
    email.errors.MultipartInvariantViolationDefect: "a multipart part has no parts",
    email.errors.InvalidMultipartContentTransferEncodingDefect: (
        "a multipart part declares a content transfer encoding"
    ),
    email.errors.InvalidBase64CharactersDefect: "base64 text with characters outside base64",
    email.errors.InvalidBase64PaddingDefect: "base64 text with wrong padding",
    email.errors.InvalidBase64LengthDefect: "base64 text cut off mid-character",
}


def _broken_structure(msg: email.message.Message) -> list[str]:
    """Every kind of broken MIME structure, once each, in the order first seen.

    Called after the text parts were decoded: decoding is what records base64 defects.
    """
    found: list[str] = []
    stack: list[tuple[email.message.Message, int]] = [(msg, 0)]
    seen = 0
    while stack and seen < MAX_MIME_PARTS:
        part, depth = stack.pop()
        seen += 1
        boundary = part.get_boundary() if part.get_content_maintype() == "multipart" else None
        if boundary and boundary.startswith('"'):
            found.append("the boundary's opening quote is never closed")
        for defect in part.defects:
            what = _STRUCTURE_DEFECTS.get(type(defect))
            if what:
                found.append(what)
        payload = part.get_payload()
        if part.is_multipart() and isinstance(payload, list) and depth < MAX_MIME_DEPTH:
            stack.extend((child, depth + 1) for child in reversed(payload))
    return list(dict.fromkeys(found))


def _decoded_size(part: email.message.Message) -> int:
    """Decoded size from the encoded payload, so a big attachment is never decoded twice."""
    payload = part.get_payload()
    if not isinstance(payload, str):
        return 0
    encoding = (part.get("content-transfer-encoding") or "").strip().lower()
    if encoding == "base64":
        chars = (
            len(payload) - len(_WS_RE.findall(payload))
            if len(payload) < 1 << 16
            else len(payload) - sum(payload.count(blank) for blank in "\n\r \t")
        )
        padding = payload.rstrip()[-2:].count("=")
        return max(0, chars * 3 // 4 - padding)
    if encoding == "quoted-printable":
        raw = part.get_payload(decode=True)
        return len(raw) if raw is not None else len(payload)
    return len(payload.encode("utf-8", errors="replace"))
