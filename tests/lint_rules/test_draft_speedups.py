"""The faster forms of Draft's parsing give exactly what the plain forms they replace give.

Each fast path (word split, URL regex, address fields, HTML walk, squeeze, language sample)
is compared with the straightforward code it stands for, on generated text wide enough to
reach its corners: every Unicode letter class, apostrophes, case partners, odd spacing.
"""

from __future__ import annotations

import random
import re
import sys
from email.utils import getaddresses, parseaddr
from typing import Any

import lxml.etree
import pytest

from preflight import draft as draft_module
from preflight.draft import (
    _TEXT_URL_RE,
    TEXT_URL_PATTERN,
    _parse_address,
    _parse_addresses,
    split_words,
)
from preflight.lint import htmlview, language
from preflight.lint.text import CJK_RE, WORD_RE

# Pieces text is made of: ASCII letters and punctuation, apostrophes, accents, digits of
# other scripts, superscripts and fractions (letters to [^\W\d_]), CJK, Cyrillic, Arabic.
PIECES = [
    *"abcXYZ'’_-. \n\t0159",
    "don't",
    "'tis",
    "rock'n'roll",
    "''",
    "a'",
    "é",
    "ß",
    "İ",
    "ﬁ",
    "ǅ",
    "²",
    "½",
    "Ⅷ",
    "٣",
    "中文",
    "ひら",
    "한",
    "жж",
    "عر",
    "\xa0",
    "\u2003",
    "‘",
    "“",
    "🙂",
    "www.",
    "http://",
    "HTTPS://",
    "ſ",
    "hww.",
    "wttp://",
    "x.com/a",
    "(",
    "<",
    '"',
]


def _texts(seed: int, count: int, longest: int) -> list[str]:
    rnd = random.Random(seed)
    return [
        "".join(rnd.choice(PIECES) for _ in range(rnd.randint(0, longest))) for _ in range(count)
    ]


def _ascii_texts(seed: int, count: int) -> list[str]:
    rnd = random.Random(seed)
    alphabet = "".join(chr(c) for c in range(128)) + "'''   aeiouxyz"
    return ["".join(rnd.choices(alphabet, k=rnd.randint(0, 300))) for _ in range(count)]


def test_split_words_is_word_re_on_wide_samples() -> None:
    for text in _texts(1, 20_000, 40) + _ascii_texts(2, 5_000):
        assert split_words(text) == WORD_RE.findall(text), text


def test_split_words_on_every_ascii_character_next_to_an_apostrophe() -> None:
    for code in range(128):
        c = chr(code)
        for text in (f"a{c}'b", f"a'{c}b", f"{c}'a'{c}", f"ab'{c}'cd e", f"x {c}{c}'y'z'w"):
            assert split_words(text) == WORD_RE.findall(text), repr(text)


def test_word_count_shortcut_agrees_with_the_estimate() -> None:
    for text in _texts(3, 3_000, 40):
        draft = draft_module.Draft(source="t", text=text)
        words = WORD_RE.findall(text)
        if text.isascii():
            expected = len(words)
        else:
            cjk = len(CJK_RE.findall(text))
            latin = sum(1 for w in words if not CJK_RE.match(w))
            expected = latin + -(-cjk * 10 // 18)  # ceil(cjk / 1.8)
        assert draft.word_count == expected, text
        assert draft.has_text == bool(text.strip())


def test_url_regex_is_the_case_insensitive_pattern() -> None:
    reference = re.compile(TEXT_URL_PATTERN, re.IGNORECASE)
    for text in _texts(4, 30_000, 14):
        expected = [(m.start(), m.group()) for m in reference.finditer(text)]
        assert [(m.start(), m.group()) for m in _TEXT_URL_RE.finditer(text)] == expected, text


def test_url_regex_classes_hold_every_case_partner() -> None:
    # Under IGNORECASE a letter also matches its other-case forms ("s" matches "ſ"): the
    # fast pattern spells out each letter's class, so check them against every character.
    everything = "".join(map(chr, range(sys.maxunicode + 1)))
    for letter, spelt in (("h", "hH"), ("t", "tT"), ("p", "pP"), ("s", "sSſ"), ("w", "wW")):
        assert set(re.findall(letter, everything, re.IGNORECASE)) == set(spelt)
    outside = r"[^\s<>\"'()\[\]]"
    assert re.findall(outside, everything, re.IGNORECASE) == re.findall(outside, everything)


def test_text_links_count_their_lines() -> None:
    text = "see www.a.com\n\nand http://b.org/x and\nwww.c.net"
    message = draft_module.email.message_from_string("From: a@b.c\n\n" + text)
    draft = draft_module.Draft.from_message(message, "t")
    assert [(link.href, link.line) for link in draft.links] == [
        ("www.a.com", 1),
        ("http://b.org/x", 3),
        ("www.c.net", 4),
    ]


ADDRESS_PIECES = [
    "a",
    "B",
    "0",
    "_",
    "+",
    "-",
    ".",
    "..",
    "@",
    "<",
    ">",
    " ",
    "\t",
    "  ",
    ",",
    '"',
    '"A, B"',
    '""',
    "(",
    ")",
    "é",
    "中",
    "\xa0",
    "\x0b",
    ":",
    ";",
    "[",
    "]",
    "\\",
    "=?",
    "Anna",
    "x.y",
    "ex.com",
    "@ex.com",
    "<a@b.c>",
]
NAMES = ['"Berg, Anna"', '""', '"a\\\\b"', '"x" y', "Anna", "Anna  Berg", "J. R.", "José Ñ", ""]
SPECS = ["a@b.com", "a.b@c.d", "a+b@x-y.com", "a..b@c", ".a@b", "a@b..c", "a@", "@b", "a@b@c"]
SHAPES = ["{s}", "{n} <{s}>", "{n}<{s}>", " {n}  <{s}>  ", "<{s}>", "{s}, {n} <{s}>", "{s},"]
SHAPES += ["{s},,{s}", "{s}, ", "{n} <{s}> x", "\t{s}\t", "{s} ({n})", "{n}: {s};"]


def _address_fields() -> list[str]:
    rnd = random.Random(5)
    fields = [
        "".join(rnd.choice(ADDRESS_PIECES) for _ in range(rnd.randint(0, 9))) for _ in range(60_000)
    ]
    fields += [
        rnd.choice(SHAPES).format(n=rnd.choice(NAMES), s=rnd.choice(SPECS)) for _ in range(20_000)
    ]
    return fields


def test_address_fields_read_as_email_utils_reads_them() -> None:
    for field in _address_fields():
        assert _parse_address(field) == parseaddr(field), field
        assert _parse_addresses(field) == getaddresses([field]), field


# -- the HTML walk -------------------------------------------------------------------------
def _reference_walk(root: Any, view: htmlview.HtmlView) -> None:
    """The walk as it was before it was made faster: one _emit and one _style per node."""
    visible: list[str] = []
    hidden: list[str] = []
    low: list[str] = []
    top = htmlview._TOP
    stack: list[tuple[Any, str | None, Any]] = [(root, None, top)]
    visited = 0
    while stack and visited < htmlview.MAX_NODES:
        element, text, style = stack.pop()
        visited += 1
        if element is None:
            htmlview._emit(text or "", style, visible, hidden, low, view)
            continue
        tag = element.tag
        if element.tail:
            stack.append((None, element.tail, style))
        if not isinstance(tag, str):
            continue
        name = tag.lower()
        if name in htmlview._SKIP:
            continue
        attrs = dict(element.items())
        if view.quotes_allowed and attrs and htmlview._is_quote(name, attrs):
            view.quoted += 1
            if attrs.get("id") == "divRplyFwdMsg":
                break
            continue
        if name == "a" and attrs.get("href"):
            view.links.append(
                (attrs["href"].strip(), " ".join("".join(element.itertext()).split()))
            )
        elif name == "img":
            src = (attrs.get("src") or "").strip()
            if src:
                view.images.append(
                    htmlview.HtmlImage(
                        src,
                        src.lower().startswith(("http:", "https:")),
                        htmlview._int(attrs.get("width")),
                        htmlview._int(attrs.get("height")),
                    )
                )
        elif name == "form":
            view.forms += 1
        elif name in ("input", "textarea", "select"):
            view.inputs += 1
        if name in htmlview._BREAKS:
            visible.append("\n")
        elif name == "td":
            visible.append(" ")
        if attrs:
            style = htmlview._style(name, attrs, style)
        stack.extend((child, None, style) for child in reversed(element))
        if element.text:
            htmlview._emit(element.text, style, visible, hidden, low, view)
    view.visible_text = _reference_squeeze("".join(visible))
    view.hidden_text = _reference_squeeze(" ".join(hidden))
    view.low_contrast_text = _reference_squeeze(" ".join(low))


def _reference_squeeze(text: str) -> str:
    text = re.sub(r"[ \t\xa0\r]+", " ", text)
    return re.sub(r" ?\n[ \n]*", "\n", text).strip()


OPENERS = [
    "<p>",
    "<div>",
    "<td>",
    "<tr>",
    "<table>",
    "<br>",
    "<b>",
    "<span>",
    "<font size=1>",
    "<font size=+3>",
    "<font size='7'>",
    "<font color=#fff>",
    '<font color="white" size="2">',
    "<span style='display:none'>",
    "<div style='font-size:0px'>",
    "<p style='color:#eee;background-color:#fff'>",
    "<span style='font-size:30px'>",
    "<span style='font-size:50%'>",
    "<td bgcolor=black>",
    "<div hidden>",
    '<a href="http://x.com/a">',
    "<a HREF='www.y.org'>",
    "<img src='http://i.com/p.gif' width=1 height='2px'>",
    "<img src='cid:abc'>",
    "<form>",
    "<input>",
    "<script>",
    "<style>",
    "<title>",
    "<blockquote type=cite>",
    "<div class='gmail_quote'>",
    "<div id='divRplyFwdMsg'>",
    "<center>",
    "<?php x ?>",
]
CLOSERS = ["</p>", "</div>", "</span>", "</font>", "</a>", "</td>", "</table>", "</b>"]
WORDS = ["Hello", " world ", "\n\n", "  ", "\xa0", "\t", "FREE", "&nbsp;", "&#72;i", "中文", "x"]


def _html_samples() -> list[str]:
    rnd = random.Random(6)
    samples = []
    for _ in range(3_000):
        parts = [rnd.choice(rnd.choice((OPENERS, CLOSERS, WORDS, WORDS))) for _ in range(40)]
        samples.append("<html><body>" + "".join(parts) + "</body></html>")
    return samples


@pytest.mark.parametrize("reply", [False, True])
def test_html_walk_is_the_reference_walk(reply: bool) -> None:
    for html in _html_samples():
        root = lxml.etree.fromstring(html, htmlview._PARSER)
        fast = htmlview.HtmlView(quotes_allowed=reply)
        slow = htmlview.HtmlView(quotes_allowed=reply)
        htmlview._walk(root, fast)
        _reference_walk(root, slow)
        assert fast == slow, html


def test_squeeze_is_the_two_regexes() -> None:
    pieces = [" ", "  ", "\t", "\xa0", "\r", "\n", " \n ", "\u2003", "\x0b", "a", "bc", "é"]
    rnd = random.Random(7)
    for _ in range(30_000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 16)))
        assert htmlview._squeeze(text) == _reference_squeeze(text), repr(text)


def test_style_memo_is_the_style() -> None:
    top = htmlview._TOP
    styles = (
        top,
        htmlview._style("p", {"color": "#fff"}, top),
        htmlview._style("font", {"size": "7"}, top),
    )
    for html in _html_samples()[:500]:
        root = lxml.etree.fromstring(html, htmlview._PARSER)
        for element in root.iter():
            if isinstance(element.tag, str) and element.items():
                attrs = dict(element.items())
                name = element.tag.lower()
                for inherited in styles:
                    expected = htmlview._style(name, attrs, inherited)
                    assert htmlview._style_for(name, attrs, inherited) == expected


# -- the language sample ---------------------------------------------------------------------
def _reference_identify(text: str) -> str:
    sample = text[: language._SAMPLE]
    letters = len(re.findall(r"[^\W\d_]", sample))
    if letters < language.MIN_LETTERS:
        return language.DEFAULT
    if not sample.isascii():
        for regex, code in ((language._HAN, "zh"), (language._CYRILLIC, "ru")):
            if len(regex.findall(sample)) * 3 >= letters:
                return code
        if len(language._ARABIC.findall(sample)) * 3 >= letters:
            return "ar"
    tokens = re.findall("[a-z]+", sample.lower())
    english = language.word_set("english_function_words.txt")
    if tokens and sum(t in english for t in tokens) >= language.ENGLISH_SHARE * len(tokens):
        return "en"
    return "model:" + sample


def test_language_sample_is_read_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(language, "identify_with_model", lambda sample: "model:" + sample)
    texts = _texts(8, 5_000, 200) + _ascii_texts(9, 3_000)
    texts += ["the and of to " * 3, "der die und " * 5, "a1b2" * 30, "x" * 19, "x" * 20]
    for text in texts:
        assert language.identify.__wrapped__(text) == _reference_identify(text), text


@pytest.mark.parametrize("cap", [1, 7, 40])
def test_html_walk_stops_where_the_reference_stops(
    cap: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(htmlview, "MAX_NODES", cap)
    for html in _html_samples()[:800]:
        root = lxml.etree.fromstring(html, htmlview._PARSER)
        fast, slow = htmlview.HtmlView(), htmlview.HtmlView()
        htmlview._walk(root, fast)
        _reference_walk(root, slow)
        assert fast == slow, html


# -- part file names -------------------------------------------------------------------------
DISPOSITIONS = [None, "inline", "attachment", 'attachment; filename="a.pdf"', "x; FileName=b"]
DISPOSITIONS += ["attachment; filename*=utf-8''%C3%A4.txt", "a; filename*0=x; filename*1=y"]
DISPOSITIONS += ["attachment; file name=c", 'attachment; x="filename=d"', "; filename"]
CONTENT_TYPES = [None, "text/plain", 'application/pdf; name="r.pdf"', "image/png; NAME=i.png"]
CONTENT_TYPES += ["text/plain; charset=utf-8", "x/y; name*=''z", "name", "a/b; nam=e; names=f"]


def test_filename_shortcut_is_get_filename() -> None:
    for disposition in DISPOSITIONS:
        for content_type in CONTENT_TYPES:
            part = draft_module.email.message.Message()
            if disposition is not None:
                part["Content-Disposition"] = disposition
            if content_type is not None:
                part["Content-Type"] = content_type
            raw = part.get("content-disposition")
            assert draft_module._filename(part, raw) == part.get_filename()
