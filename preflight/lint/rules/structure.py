"""Structure rules (STR5xx): MIME parts, HTML that hides or shouts, dates and long lines."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from email.utils import parsedate_tz
from typing import Any

from preflight.draft import Draft
from preflight.lint.model import Hit, Location, Rule, Severity
from preflight.lint.text import words

_HTML = Location(part="html")
_DATE = Location(part="header", header="Date")
_NO_ZONE = re.compile(r"\d\d:\d\d(?::\d\d)?\s*$")
_NUMERIC_TZ = re.compile(r"([+-])(\d\d)(\d\d)\s*(?:\(.*\))?\s*$")


def _html_only(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    if draft.has_html and not draft.has_text:
        yield Hit("HTML without a plain-text alternative", _HTML)


def _mismatch(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    if not (draft.has_text and draft.html_view and draft.html_view.visible_text):
        return
    text_words = {w.lower() for w in draft.body_words if len(w) > 3}
    html_words = {w.lower() for w in words(draft.html_view.visible_text) if len(w) > 3}
    if len(text_words) < 5 and len(html_words) < 5:
        return
    overlap = len(text_words & html_words) / max(len(text_words | html_words), 1)
    if overlap < options["min_overlap"]:
        yield Hit(f"the plain-text and HTML parts share only {overlap:.0%} of their words", _HTML)


def _hidden(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    if not draft.html_view:
        return
    hidden = len(words(draft.html_view.hidden_text))
    if hidden >= options["min_words"]:
        yield Hit(f"{hidden} words are hidden from the reader", _HTML)


def _low_contrast(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    view = draft.html_view
    count = len(words(view.low_contrast_text)) if view else 0
    if view and count >= options["min_words"]:
        yield Hit(
            f'{count} words coloured like their background: "{view.low_contrast_text[:60]}"',
            _HTML,
        )


def _tiny_font(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    view = draft.html_view
    if view and view.tiny_font_chars >= options["min_chars"]:
        yield Hit(f"{view.tiny_font_chars} characters in fonts under 8 px", _HTML)


def _big_font(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    view = draft.html_view
    if view and view.big_font_chars >= options["min_chars"]:
        yield Hit(f"{view.big_font_chars} characters in fonts of 24 px or more", _HTML)


def _malformed(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    view = draft.html_view
    if not view:
        return
    if view.content_after_html:
        yield Hit("content after the closing </html> tag", _HTML)
    elif view.unbalanced_tags:
        yield Hit(f"unbalanced tags: {', '.join(view.unbalanced_tags)}", _HTML, scale=0.5)


def _form(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    view = draft.html_view
    if view and (view.forms or view.inputs):
        yield Hit("the HTML contains a form", _HTML)


def _missing_date(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    if not draft.is_template and "date" not in draft.headers:
        yield Hit("no Date header", _DATE)


def _missing_message_id(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    if not draft.is_template and "message-id" not in draft.headers:
        yield Hit("no Message-ID header", Location(part="header", header="Message-ID"))


def _invalid_date(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    raw = draft.headers.get("date")
    if raw is None:
        return
    parsed = parsedate_tz(raw)
    if parsed is None or not (1 <= parsed[2] <= 31) or parsed[0] < 1970:
        yield Hit(f'the Date header is not a valid date: "{raw[:60]}"', _DATE)
        return
    if _NO_ZONE.search(raw):
        yield Hit(f'the Date header has no time zone: "{raw[:60]}"', _DATE)
        return
    tz = _NUMERIC_TZ.search(raw.strip())
    if tz and (int(tz.group(2)) > 14 or int(tz.group(3)) not in (0, 30, 45)):
        yield Hit(f'the Date header has an impossible time zone: "{raw[:60]}"', _DATE)


def _long_lines(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    limit = options["max_chars"]
    for number, line in enumerate(draft.text.split("\n"), 1):
        if len(line) > limit:
            yield Hit(f"a line of {len(line)} characters", Location(part="text", line=number))
            return


def _broken_mime(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    if draft.broken_mime:
        yield Hit(f"broken MIME structure: {'; '.join(draft.broken_mime)}", Location(part="mime"))


def _charset(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    if draft.mime_problems:
        yield Hit("; ".join(draft.mime_problems[:3]), Location(part="mime"))


RULES = [
    Rule(
        "STR501",
        "html-only",
        "HTML without a plain-text alternative.",
        0.6,
        Severity.WARNING,
        "Send multipart/alternative with a plain-text twin of the HTML.",
        _html_only,
    ),
    Rule(
        "STR502",
        "text-html-mismatch",
        "Plain-text and HTML parts say different things.",
        0.1,
        Severity.WARNING,
        "Make the plain-text part say what the HTML says.",
        _mismatch,
        {"min_overlap": 0.3},
    ),
    Rule(
        "STR503",
        "html-hidden-text",
        "Text hidden with display:none, visibility or size 0.",
        5.0,
        Severity.ERROR,
        "Remove hidden text; filters read it as an evasion trick.",
        _hidden,
        {"min_words": 3},
    ),
    Rule(
        "STR504",
        "html-low-contrast",
        "Text coloured like its background.",
        1.0,
        Severity.ERROR,
        "Use dark text on a light background.",
        _low_contrast,
        {"min_words": 3},
    ),
    Rule(
        "STR505",
        "html-tiny-font",
        "Text in fonts under 8 px.",
        5.0,
        Severity.ERROR,
        "Use at least 12 px for every line you want read.",
        _tiny_font,
        {"min_chars": 20},
    ),
    Rule(
        "STR506",
        "html-big-font",
        "Text in fonts of 24 px or more.",
        0.6,
        Severity.WARNING,
        "Use normal text sizes; big type reads as an advert.",
        _big_font,
        {"min_chars": 20},
    ),
    Rule(
        "STR507",
        "html-malformed",
        "HTML that does not parse cleanly.",
        0.2,
        Severity.WARNING,
        "Let your mail tool write the HTML, or validate it.",
        _malformed,
    ),
    Rule(
        "STR508",
        "html-form",
        "A form inside the mail.",
        0.2,
        Severity.WARNING,
        "Link to a form on your site instead of embedding one.",
        _form,
    ),
    Rule(
        "STR509",
        "missing-date",
        "An .eml draft without a Date header.",
        0.5,
        Severity.WARNING,
        "Let the sending program set the Date header.",
        _missing_date,
    ),
    Rule(
        "STR510",
        "missing-message-id",
        "An .eml draft without a Message-ID.",
        0.1,
        Severity.INFO,
        "Let the sending program set a Message-ID on your own domain.",
        _missing_message_id,
    ),
    Rule(
        "STR511",
        "invalid-date",
        "A Date header that is not a valid RFC 5322 date.",
        1.7,
        Severity.ERROR,
        "Let the sending program set the Date header.",
        _invalid_date,
    ),
    Rule(
        "STR512",
        "long-lines",
        "Lines longer than mail allows without re-wrapping.",
        0.3,
        Severity.INFO,
        "Wrap plain text under 78 characters a line.",
        _long_lines,
        {"max_chars": 998},
    ),
    Rule(
        "STR513",
        "charset-problem",
        "A part declares a charset no one knows.",
        0.5,
        Severity.WARNING,
        "Declare UTF-8 and write the part in UTF-8.",
        _charset,
    ),
    Rule(
        "STR514",
        "mime-broken",
        "Broken MIME: an unclosed boundary quote, a missing boundary, undecodable base64.",
        5.0,
        Severity.ERROR,
        "Let your mail program build the message; do not edit MIME by hand.",
        _broken_mime,
    ),
]
