"""The day an out-of-office text says its writer is back (or the last day away).

dateparser finds and reads dates in every language the sorter knows; this module only
decides which of them is the return date: the latest one after the message was written and
within a year of it. Chinese dates (``2027年1月6日``) are rewritten to ISO first, because
dateparser reads only their day. Numeric dates are read day first (``12.01.2027`` is 12
January), as in all of those languages but US English.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

_LANGUAGES = ["en", "de", "fr", "es", "pt", "ru", "zh", "it"]
_CJK_DATE = re.compile(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]")
# A match counts only if it names a month or is a whole numeric date; dateparser also
# reads phone numbers ("+31 10") and times as dates.
_NUMERIC_DATE = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{2,4}")
_LETTER = re.compile(r"[^\W\d_]{3,}")
_TEXT_LIMIT = 2000


def _iso_cjk(text: str, year: int) -> str:
    def iso(match: re.Match[str]) -> str:
        given = int(match.group(1)) if match.group(1) else year
        return f" {given:04d}-{int(match.group(2)):02d}-{int(match.group(3)):02d} "

    return _CJK_DATE.sub(iso, text)


def return_date(text: str, written: datetime | None) -> date | None:
    """The return date an auto-reply names, or None."""
    from dateparser.search import search_dates  # about 0.3 s to import: only when needed

    base = (written or datetime.now()).replace(tzinfo=None)
    sample = _iso_cjk(text[:_TEXT_LIMIT], base.year)
    try:
        found = search_dates(
            sample,
            languages=_LANGUAGES,
            settings={
                "PREFER_DATES_FROM": "future",
                "RELATIVE_BASE": base,
                "DATE_ORDER": "DMY",
                "REQUIRE_PARTS": ["day", "month"],
            },
        )
    except (ValueError, OverflowError, RecursionError):
        return None
    best: date | None = None
    for words, when in found or []:
        if not (_LETTER.search(words) or _NUMERIC_DATE.search(words)):
            continue
        day = when.date()
        if base.date() <= day <= base.date() + timedelta(days=366) and (best is None or day > best):
            best = day
    return best


__all__ = ["return_date"]
