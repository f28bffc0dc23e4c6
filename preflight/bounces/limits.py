"""How much of one bounce message is read: the caps that keep a hostile message cheap.

Anyone can send us a "bounce", so every step of reading one is bounded: parsing is linear in
the message's size and each step below stops at a cap. When a cap cuts something, the reader
records a note (``ParsedMessage.notes``) that the importer stores with the message, so a cut
is never silent. The caps sit far above what real notices hold (the shared corpus's largest
notice is a few kilobytes, its largest report has four records).
"""

from __future__ import annotations

import codecs
import functools

# MIME entities in one message, at any depth, and sub-parts of one multipart.
MAX_PARTS = 200
# Bytes of one part's body that are decoded to text (the rest is an attachment or padding).
MAX_PART_TEXT = 1_000_000
# Characters of the notice and of the delivery-status report that detectors read.
MAX_TEXT = 512_000
# Characters of one line of text: longer lines are cut (regexes then never see a 100 KB run).
MAX_LINE = 4_000
# Header lines of one entity, and characters of one header value that are decoded.
MAX_HEADERS = 500
MAX_HEADER_VALUE = 4_000
# Records (recipients) taken from one message: a forged report cannot suppress a crowd.
MAX_RECORDS = 100

# Charsets a notice is decoded with: real mail charsets only. Python's codec registry also
# holds transforms (punycode, idna, unicode_escape, ...) whose decoders are slow or
# surprising on hostile input; a part in any other charset is read as UTF-8 / Latin-1.
MAIL_CHARSETS = frozenset(
    {
        "ascii", "utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-7",
        "iso-8859-1", "iso-8859-2", "iso-8859-3", "iso-8859-4", "iso-8859-5", "iso-8859-6",
        "iso-8859-7", "iso-8859-8", "iso-8859-9", "iso-8859-10", "iso-8859-13",
        "iso-8859-14", "iso-8859-15", "iso-8859-16", "cp1250", "cp1251", "cp1252", "cp1253",
        "cp1254", "cp1255", "cp1256", "cp1257", "cp1258", "koi8-r", "koi8-u", "cp437",
        "cp850", "cp866", "mac-roman", "iso2022-jp", "iso2022-jp-2", "iso2022-kr",
        "shift-jis", "cp932", "euc-jp", "euc-kr", "cp949", "gb2312", "gbk", "gb18030",
        "big5", "big5hkscs", "cp950", "tis-620", "cp874", "hz",
    }
)  # fmt: skip


def _canonical(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):  # a name with NUL or non-ASCII is ValueError
        return None


@functools.cache
def _mail_codecs() -> frozenset[str]:
    # On first use, not at import: 60 codec look-ups cost start-up time every command pays.
    return frozenset(filter(None, (_canonical(n) for n in MAIL_CHARSETS)))


@functools.lru_cache(maxsize=256)
def mail_charset(name: str | None) -> str | None:
    """``name`` when it is a real mail charset (any alias), else None."""
    if not name or len(name) > 40:
        return None
    return name if _canonical(name) in _mail_codecs() else None


def cut_lines(text: str, notes: list[str], what: str) -> str:
    """``text`` with at most :data:`MAX_TEXT` characters and lines of at most
    :data:`MAX_LINE`; a note names what was cut."""
    if len(text) > MAX_TEXT:
        notes.append(f"{what}: cut at {MAX_TEXT} of {len(text)} characters")
        text = text[:MAX_TEXT]
    if len(text) <= MAX_LINE:
        return text
    lines = text.split("\n")
    if all(len(line) <= MAX_LINE for line in lines):
        return text
    notes.append(f"{what}: lines over {MAX_LINE} characters cut")
    return "\n".join(line[:MAX_LINE] for line in lines)


__all__ = [
    "MAIL_CHARSETS",
    "MAX_HEADERS",
    "MAX_HEADER_VALUE",
    "MAX_LINE",
    "MAX_PARTS",
    "MAX_PART_TEXT",
    "MAX_RECORDS",
    "MAX_TEXT",
    "cut_lines",
    "mail_charset",
]
