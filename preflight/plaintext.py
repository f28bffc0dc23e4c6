"""The plain-text twin of an HTML body, made with beautifulsoup4.

A template that has only HTML still goes out as multipart/alternative: filters count a mail
without a text/plain part against it, and some readers show only text. This runs once per
rendered message, not on the linter's hot path, so bs4's convenience (``get_text`` over a
tree whose links and line breaks were rewritten in place) is worth its cost here.
"""

from __future__ import annotations

import re

_PARAGRAPHS = (
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote", "pre", "hr",
)  # fmt: skip
_LINES = ("br", "tr", "li")
_BLANKS = re.compile(r"[ \t\u00a0]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")


def plain_text_twin(html: str) -> str:
    """Readable text of ``html``: paragraphs kept, links as "text (address)", no markup."""
    from bs4 import BeautifulSoup  # imported here: only HTML-only templates need it

    soup = BeautifulSoup(html, "lxml")
    for hidden in soup(["script", "style", "head", "title", "noscript", "template"]):
        hidden.decompose()
    for element in soup.find_all(style=re.compile(r"display\s*:\s*none", re.I)):
        element.decompose()  # a preheader or hidden block is not part of the text
    for link in soup.find_all("a", href=True):
        href = str(link["href"]).strip()
        shown = link.get_text(" ", strip=True)
        if href.lower().startswith(("http://", "https://", "mailto:")) and href not in shown:
            link.append(f" ({href.removeprefix('mailto:')})")
    for item in soup.find_all("li"):
        item.insert(0, "- ")
    for block in soup.find_all(_PARAGRAPHS):
        block.insert_before("\n\n")
        block.insert_after("\n\n")
    for line in soup.find_all(_LINES):
        line.insert_after("\n")
    text = "\n".join(_BLANKS.sub(" ", row).strip() for row in soup.get_text().split("\n"))
    return _MANY_NEWLINES.sub("\n\n", text).strip() + "\n"
