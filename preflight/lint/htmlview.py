"""What an HTML body shows a reader, hides from them, and links to — computed in one walk.

The HTML is parsed once with lxml's HTML parser and walked iteratively (no recursion, so
deep nesting cannot overflow the stack). lxml directly rather than beautifulsoup4 on top of
it: building the bs4 tree costs ~2 ms per message, seventeen times lxml's own parse, and the
linter's speed target leaves no room for it. Only the first ``MAX_HTML_CHARS`` characters
are analysed and at most ``MAX_NODES`` nodes visited; lxml itself caps nesting depth.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import repeat
from typing import Any

import lxml.etree

MAX_HTML_CHARS = 512 * 1024
MAX_NODES = 50_000  # elements and strings visited; the rest is ignored
MAX_PREHEADER_CHARS = 150  # inbox previews show about 90 to 140 characters

_SKIP = frozenset({"script", "style", "head", "title", "noscript", "template", "xml"})
_BREAKS = frozenset(
    {
        "br",
        "p",
        "div",
        "tr",
        "li",
        "ul",
        "ol",
        "table",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "hr",
        "center",
        "dd",
        "dt",
        "form",
    }
)
_FONT_SIZES = {1: 10.0, 2: 13.0, 3: 16.0, 4: 18.0, 5: 24.0, 6: 32.0, 7: 48.0}
_KEYWORD_SIZES = {
    "xx-small": 9.0,
    "x-small": 10.0,
    "small": 13.0,
    "medium": 16.0,
    "large": 18.0,
    "x-large": 24.0,
    "xx-large": 32.0,
}
_NAMED_COLORS = {
    "white": (255, 255, 255),
    "black": (0, 0, 0),
    "red": (255, 0, 0),
    "green": (0, 128, 0),
    "blue": (0, 0, 255),
    "yellow": (255, 255, 0),
    "gray": (128, 128, 128),
    "grey": (128, 128, 128),
    "silver": (192, 192, 192),
    "navy": (0, 0, 128),
    "maroon": (128, 0, 0),
    "purple": (128, 0, 128),
    "olive": (128, 128, 0),
    "teal": (0, 128, 128),
    "lime": (0, 255, 0),
    "aqua": (0, 255, 255),
    "fuchsia": (255, 0, 255),
    "orange": (255, 165, 0),
    "ivory": (255, 255, 240),
    "snow": (255, 250, 250),
    "whitesmoke": (245, 245, 245),
    "lightgrey": (211, 211, 211),
    "lightgray": (211, 211, 211),
    "gainsboro": (220, 220, 220),
}
_STYLE_RE = re.compile(r"([a-z-]+)\s*:\s*([^;]+)", re.IGNORECASE)
_LENGTH_RE = re.compile(r"([\d.]+)\s*(px|pt|em|rem|%)?", re.IGNORECASE)
_RGB_RE = re.compile(r"rgb\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)", re.IGNORECASE)
_HEX_RE = re.compile(r"#?([0-9a-f]{6}|[0-9a-f]{3})\b", re.IGNORECASE)
_HREF_ATTR_RE = re.compile(r"<a\s[^>]*?\b(href)\s*=", re.IGNORECASE)
_TAG_RE = re.compile(r"<(/?)(html|body|table|center)\b", re.IGNORECASE)
_AFTER_HTML_RE = re.compile(r"</html\s*>", re.IGNORECASE)
_ENTITY_RE = re.compile(r"&#(x[0-9a-f]{2}|\d{2,3});", re.IGNORECASE)

_PARSER = lxml.etree.HTMLParser(recover=True, no_network=True, remove_comments=True)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*>", re.IGNORECASE)

Color = tuple[int, int, int]
# foreground, background, font px, hidden, low contrast (foreground close to background),
# plain (visible, not low contrast, 8 to 24 px: text in it is only appended, never counted)
_Style = tuple[Color, Color, float, bool, bool, bool]
_TOP: _Style = ((0, 0, 0), (255, 255, 255), 16.0, False, False, True)
# The attributes _style reads: an element with none of them has its parent's style.
_STYLE_ATTRS = frozenset({"bgcolor", "color", "size", "hidden", "style"})
_NO_ATTRS: dict[str, str] = {}  # shared by the elements without attributes, never written
# Elements whose attribute values are longer than this together are styled without the memo
# (it must stay small).
_MEMO_CHARS = 400


@dataclass(frozen=True)
class HtmlImage:
    src: str
    remote: bool
    width: int | None
    height: int | None


@dataclass
class HtmlView:
    visible_text: str = ""
    hidden_text: str = ""  # display:none, visibility:hidden, zero-size fonts
    # Hidden text before any visible text, up to MAX_PREHEADER_CHARS: the inbox-preview line
    # ("preheader") that mail tools, preflight's own templates included, put first in the body.
    preheader_text: str = ""
    low_contrast_text: str = ""  # text coloured (almost) like its background
    tiny_font_chars: int = 0  # visible characters in fonts under 8 px
    big_font_chars: int = 0  # visible characters in fonts of 24 px and more
    links: list[tuple[str, str]] = field(default_factory=list)  # (href, visible text)
    images: list[HtmlImage] = field(default_factory=list)
    forms: int = 0
    inputs: int = 0
    mixed_case_href: int = 0  # href attributes or URL schemes spelt in mixed case
    ascii_entities: int = 0  # &#72;-style entities spelling plain ASCII letters
    content_after_html: bool = False
    unparseable: bool = False
    visible_started: bool = False  # set by the walk once visible text has been seen
    unbalanced_tags: tuple[str, ...] = ()
    truncated: bool = False
    quoted: int = 0  # quoted blocks of another message left out (blockquote, Gmail, Outlook)
    quotes_allowed: bool = False  # only a reply may quote: elsewhere a "quote" hides words


def analyse_html(html: str, *, reply: bool = False) -> HtmlView:
    """What ``html`` shows; a ``reply``'s quoted blocks are left out (counted in ``quoted``)."""
    view = HtmlView(truncated=len(html) > MAX_HTML_CHARS, quotes_allowed=reply)
    html = _CONTROL_RE.sub("", html[:MAX_HTML_CHARS])
    _scan_source(html, view)
    # lxml refuses a str that still declares its byte encoding; the str is decoded already.
    html = _XML_DECL_RE.sub("", html, count=1)
    if not html.strip():
        return view
    try:
        # Plain etree elements: lxml.html's per-element class lookup runs Python code for
        # every node and would double the cost of the walk.
        root = lxml.etree.fromstring(html, _PARSER)
    except (lxml.etree.ParserError, lxml.etree.XMLSyntaxError, ValueError):
        view.unparseable = True
        return view
    if root is None:
        view.unparseable = True
        return view
    _walk(root, view)
    return view


def _scan_source(html: str, view: HtmlView) -> None:
    """Source-level signals the parsed tree no longer shows."""
    for match in _HREF_ATTR_RE.finditer(html):
        attr = match.group(1)
        if attr not in ("href", "HREF"):
            view.mixed_case_href += 1
    counts: dict[str, int] = {}
    for closing, name in _TAG_RE.findall(html):
        key = name.lower()
        counts[key] = counts.get(key, 0) + (-1 if closing else 1)
    view.unbalanced_tags = tuple(sorted(k for k, v in counts.items() if v != 0))
    closes = list(_AFTER_HTML_RE.finditer(html))
    if closes:
        tail = html[closes[-1].end() :]
        view.content_after_html = bool(re.search(r"[A-Za-z0-9]{3}", tail))
    for match in _ENTITY_RE.finditer(html):
        code = match.group(1)
        value = int(code[1:], 16) if code[0] in "xX" else int(code)
        if 48 <= value <= 122 and chr(value).isalnum():
            view.ascii_entities += 1


def _walk(root: Any, view: HtmlView) -> None:
    """Walk elements with an explicit stack; text inherits the styles of its element.

    An element's ``text`` sits inside it, its ``tail`` after it (in the parent's style), so
    the tail is pushed before the children and popped after them. Stack entries are
    (element or bare text, inherited style). This loop runs for every node of every HTML
    part (112,000 elements in the 736 HTML parts of the spam-draft corpus), so the common
    case stays inline: plain visible text is appended here, and only hidden, low-contrast,
    tiny or big text goes through :func:`_emit`.
    """
    visible: list[str] = []
    hidden: list[str] = []
    low_contrast: list[str] = []
    show = visible.append
    stack: list[tuple[Any, _Style]] = [(root, _TOP)]
    pop, push, extend = stack.pop, stack.append, stack.extend
    quotes_allowed = view.quotes_allowed
    started = view.visible_started
    visited = 0
    while stack and visited < MAX_NODES:
        element, style = pop()
        visited += 1
        if type(element) is str:  # a tail, in the style of the element it follows
            if style[5]:
                show(element)
                if not started and element.strip():
                    started = view.visible_started = True
            else:
                _emit(element, style, visible, hidden, low_contrast, view)
                started = view.visible_started
            continue
        tail = element.tail
        if tail:
            push((tail, style))
        tag = element.tag
        if not isinstance(tag, str):
            continue  # comments, processing instructions
        name = tag.lower()
        if name in _SKIP:
            continue
        items = element.items()  # a plain list; [] for most elements, and cheap then
        attrs: dict[str, str] = dict(items) if items else _NO_ATTRS
        if quotes_allowed and items and _is_quote(name, attrs):
            # The other person's message: not ours to lint. Outlook's reply header starts
            # the quoted rest of the document, so the walk ends there.
            view.quoted += 1
            if attrs.get("id") == "divRplyFwdMsg":
                break
            continue
        if name == "a":
            if attrs.get("href"):
                view.links.append(
                    (attrs["href"].strip(), " ".join("".join(element.itertext()).split()))
                )
        elif name == "img":
            src = (attrs.get("src") or "").strip()
            if src:
                view.images.append(
                    HtmlImage(
                        src,
                        src.lower().startswith(("http:", "https:")),
                        _int(attrs.get("width")),
                        _int(attrs.get("height")),
                    )
                )
        elif name == "form":
            view.forms += 1
        elif name in ("input", "textarea", "select"):
            view.inputs += 1
        if name in _BREAKS:
            show("\n")
        elif name == "td":
            show(" ")
        if items and not _STYLE_ATTRS.isdisjoint(attrs):
            style = _style_for(name, attrs, style)
        if len(element):
            extend(zip(element[::-1], repeat(style)))
        text = element.text
        if text:
            if style[5]:
                show(text)
                if not started and text.strip():
                    started = view.visible_started = True
            else:
                _emit(text, style, visible, hidden, low_contrast, view)
                started = view.visible_started
    view.visible_text = _squeeze("".join(visible))
    view.hidden_text = _squeeze(" ".join(hidden))
    view.low_contrast_text = _squeeze(" ".join(low_contrast))


_QUOTE_CLASSES = ("gmail_quote", "moz-cite-prefix", "yahoo_quoted", "protonmail_quote")


def _is_quote(name: str, attrs: Mapping[str, str]) -> bool:
    """Gmail, Thunderbird, Yahoo and Proton quote containers; Outlook's reply header."""
    if attrs.get("id") in ("divRplyFwdMsg", "appendonsend"):
        return True
    if name == "blockquote" and attrs.get("type") == "cite":  # Apple Mail, Thunderbird
        return True
    classes = attrs.get("class")
    return bool(classes) and any(quote in str(classes) for quote in _QUOTE_CLASSES)


def _emit(
    text: str,
    style: _Style,
    visible: list[str],
    hidden: list[str],
    low_contrast: list[str],
    view: HtmlView,
) -> None:
    size, is_hidden, is_low = style[2], style[3], style[4]
    if is_hidden:
        if not view.visible_started and len(view.preheader_text) + len(text) <= MAX_PREHEADER_CHARS:
            view.preheader_text += text
        else:
            hidden.append(text)
        return
    visible.append(text)
    if not view.visible_started and text.strip():
        view.visible_started = True
    if not (is_low or size < 8 or size >= 24):
        return
    chars = len(text.strip())
    if not chars:
        return
    if is_low:
        low_contrast.append(text)
    if size < 8:
        view.tiny_font_chars += chars
    elif size >= 24:
        view.big_font_chars += chars


def _style_for(name: str, attrs: Mapping[str, str], inherited: _Style) -> _Style:
    """:func:`_style`, memoised on the attributes it reads: mail repeats the same few
    ``<font>``, ``<td>`` and ``style=`` settings on most of its elements."""
    if sum(map(len, attrs.values())) > _MEMO_CHARS:
        return _style(name, attrs, inherited)
    get = attrs.get
    return _memo_style(
        get("bgcolor"),
        get("color"),
        get("size") if name == "font" else None,
        get("hidden") is not None,
        get("style"),
        inherited,
    )


@lru_cache(maxsize=2048)
def _memo_style(
    bgcolor: str | None,
    color: str | None,
    size: str | None,
    hidden: bool,
    css: str | None,
    inherited: _Style,
) -> _Style:
    attrs = {
        key: value
        for key, value in (("bgcolor", bgcolor), ("color", color), ("size", size), ("style", css))
        if value is not None
    }
    if hidden:
        attrs["hidden"] = ""
    return _style("font", attrs, inherited)


def _style(name: str, attrs: Mapping[str, str], inherited: _Style) -> _Style:
    """The inherited presentation after this element's attributes and inline style."""
    fg, bg, size, is_hidden = inherited[:4]
    if "bgcolor" in attrs:
        bg = _color(str(attrs["bgcolor"])) or bg
    if "color" in attrs:
        fg = _color(str(attrs["color"])) or fg
    if name == "font" and "size" in attrs:
        size = _font_size(str(attrs["size"]), size)
    if attrs.get("hidden") is not None:
        is_hidden = True
    style = attrs.get("style")
    if style:
        for prop, value in _STYLE_RE.findall(str(style)):
            prop = prop.lower()
            value = value.strip().lower()
            if prop == "color":
                fg = _color(value) or fg
            elif prop in ("background-color", "background"):
                bg = _color(value) or bg
            elif prop == "font-size":
                size = _css_size(value, size)
            elif (prop == "display" and value.startswith("none")) or (
                prop == "visibility" and value.startswith("hidden")
            ):
                is_hidden = True
    if size <= 2:
        is_hidden = True
    is_low = _contrast(fg, bg) < 1.5
    return fg, bg, size, is_hidden, is_low, not (is_hidden or is_low or size < 8 or size >= 24)


def _font_size(value: str, current: float) -> float:
    value = value.strip()
    if not value:
        return current
    try:
        step = 3 + int(value) if value[0] in "+-" else int(float(value))
    except (ValueError, OverflowError):
        return current
    return _FONT_SIZES[min(7, max(1, step))]


def _css_size(value: str, current: float) -> float:
    if value in _KEYWORD_SIZES:
        return _KEYWORD_SIZES[value]
    match = _LENGTH_RE.match(value)
    if not match:
        return current
    number = float(match.group(1)) if match.group(1).count(".") <= 1 else current
    unit = (match.group(2) or "px").lower()
    if unit == "pt":
        return number * 4 / 3
    if unit in ("em", "rem"):
        return number * current
    if unit == "%":
        return number * current / 100
    return number


def _color(value: str) -> Color | None:
    value = value.strip().lower()
    if value in _NAMED_COLORS:
        return _NAMED_COLORS[value]
    match = _HEX_RE.search(value)
    if match:
        digits = match.group(1)
        if len(digits) == 3:
            digits = "".join(c * 2 for c in digits)
        return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)
    match = _RGB_RE.search(value)
    if match:
        r, g, b = (min(255, int(x)) for x in match.groups())
        return r, g, b
    return None


def _luminance(color: Color) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = color
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


@lru_cache(maxsize=1024)
def _contrast(fg: Color, bg: Color) -> float:
    """WCAG contrast ratio: 1.0 for identical colours, 21.0 for black on white."""
    if fg == bg:
        return 1.0
    a, b = _luminance(fg), _luminance(bg)
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


_INT_RE = re.compile(r"\s*(\d{1,6})")


def _int(value: object) -> int | None:
    if value is None:
        return None
    match = _INT_RE.match(str(value))
    return int(match.group(1)) if match else None


_RUNS_OF_SPACES = re.compile(" {2,}")


def _squeeze(text: str) -> str:
    """Runs of blanks as one space, runs of lines and blanks as one line break, stripped.

    The same as ``re.sub(r" ?\n[ \n]*", "\n", re.sub(r"[ \t\xa0\r]+", " ", text)).strip()``
    (tests/lint_rules/test_draft_speedups.py compares them) at half the cost: the blanks
    become spaces with ``str.replace``, and once no two spaces touch, each line loses at
    most one space at either end and the empty lines between go.
    """
    for blank in "\t\xa0\r":
        if blank in text:
            text = text.replace(blank, " ")
    if "  " in text:
        text = _RUNS_OF_SPACES.sub(" ", text)
    if "\n" not in text:
        return text.strip()
    return "\n".join(filter(None, [line.strip(" ") for line in text.split("\n")])).strip()
