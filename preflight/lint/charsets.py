"""Which charsets a draft's text may be decoded with, and a second opinion for broken HTML.

Only the encodings mail really uses (``data/mail_charsets.txt``) are decoded: Python's codec
registry also holds punycode, rot13 and compression codecs, and decoding 400 KB as punycode
takes half a minute. HTML whose bytes do not fit its declared charset is decoded again with
beautifulsoup4's ``UnicodeDammit`` (it reads ``<meta charset>``, tries UTF-8 and Windows-1252),
which runs only on that error path, so the hot path never imports bs4.
"""

from __future__ import annotations

import codecs
import logging
import warnings
from functools import cache, lru_cache

from preflight.resources import data_file

# Replacement characters per 1,000 decoded characters past which a declared charset is wrong.
_WRONG_CHARSET_PER_MILLE = 2


@cache
def _allowed() -> frozenset[str]:
    names = set()
    for raw in data_file("mail_charsets.txt").read_text("utf-8").splitlines():
        if name := raw.split("#", 1)[0].strip():
            names.add(codecs.lookup(name).name)  # a shipped name Python lacks is a bug
    return frozenset(names)


@lru_cache(maxsize=256)
def mail_codec(charset: str | None) -> str | None:
    """The Python codec for a mail charset label, or None when it is not a mail charset."""
    if not charset:
        return "ascii"
    label = charset.strip().strip("\"'").lower()
    aliases = {"ks_c_5601-1987": "cp949", "windows-874": "cp874", "windows-31j": "cp932"}
    label = aliases.get(label, label)
    try:
        name = codecs.lookup(label).name
    except (LookupError, ValueError):  # ValueError: a label with NUL or 8-bit bytes
        return None
    return name if name in _allowed() else None


def looks_misdecoded(text: str) -> bool:
    """Decoding left more replacement characters than a correctly labelled part would."""
    bad = text.count("\ufffd")
    return bad > 0 and bad * 1000 >= _WRONG_CHARSET_PER_MILLE * max(len(text), 1)


_QUIET = logging.NullHandler()


def sniff_html(raw: bytes, declared: str | None) -> tuple[str, str | None]:
    """Decode HTML whose declared charset is wrong or unknown: (text, charset used)."""
    from bs4 import UnicodeDammit  # only here: bs4 costs tens of milliseconds to import

    # UnicodeDammit logs "Some characters could not be decoded" through logging; with no
    # handler configured Python prints it on stderr, in the middle of lint's output.
    logging.getLogger("bs4.dammit").addHandler(_QUIET)

    with warnings.catch_warnings():  # bs4 warns on stderr when it had to replace characters
        warnings.simplefilter("ignore")
        dammit = UnicodeDammit(raw[: 1 << 20], [declared] if declared else [], is_html=True)
    used = dammit.original_encoding
    if dammit.unicode_markup is None or (used and mail_codec(used) is None):
        return raw.decode("latin-1"), None
    return dammit.unicode_markup, used
