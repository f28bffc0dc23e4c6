"""Build small, real-looking drafts with the stdlib's EmailMessage and lint them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import pytest

from preflight.draft import Draft, Personalization
from preflight.lint.linter import lint_draft
from preflight.lint.model import Finding
from preflight.lint.settings import LintSettings

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"

GOOD_TEXT = """Hi Anna,

I read that Nordic Pumps is adding a second assembly line in Malmo this spring.
We cast stainless valve bodies for pump makers in Germany and Poland, and our
lead time to Sweden is three weeks.

Would it help if I sent drawings of two bodies we already make in your size range?

Best regards,
Li Wei
Hangzhou Valves Co., Ltd.

If you would rather not hear from me again, just reply and let me know.
"""


def html_twin(text: str) -> str:
    paragraphs = "".join(f"<p>{p.strip()}</p>\n" for p in text.split("\n\n") if p.strip())
    return f"<html><body>\n{paragraphs}</body></html>\n"


def make_message(
    *,
    subject: str | None = "Valve castings for Nordic Pumps",
    text: str | None = GOOD_TEXT,
    html: str | bool | None = True,
    sender: str = "Li Wei <li.wei@hangzhou-valves.com>",
    to: str = "Anna Berg <anna@nordic-pumps.se>",
    headers: Mapping[str, str] | None = None,
    drop: Iterable[str] = (),
    attachments: Iterable[tuple[str, str, bytes]] = (),
) -> EmailMessage:
    """A well-behaved cold email; every argument bends one aspect of it.

    ``html=True`` adds an HTML twin of ``text``; a string is the HTML part; None/False: none.
    """
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if subject is not None:
        msg["Subject"] = subject
    msg["Date"] = formatdate(1_750_000_000, localtime=False)
    msg["Message-ID"] = make_msgid(domain="hangzhou-valves.com")
    for name, value in (headers or {}).items():
        del msg[name]
        msg[name] = value
    for name in drop:
        del msg[name]
    html_body = html_twin(text or "") if html is True else (html or None)
    if text is not None:
        msg.set_content(text)
        if html_body:
            msg.add_alternative(html_body, subtype="html")
    elif html_body:
        msg.set_content(html_body, subtype="html")
    for filename, ctype, data in attachments:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def make_draft(
    personalization: Personalization | None = None, source: str = "test.eml", **kwargs: object
) -> Draft:
    return Draft.from_message(make_message(**kwargs), source, personalization)  # type: ignore[arg-type]


def findings(draft: Draft, settings: LintSettings | None = None) -> list[Finding]:
    return list(lint_draft(draft, settings or LintSettings()).findings)


def codes(draft: Draft, settings: LintSettings | None = None) -> set[str]:
    return {f.code for f in findings(draft, settings)}


@pytest.fixture
def lint_codes() -> Callable[..., set[str]]:
    return codes


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    corpus = SHARED / "corpora" / "spam-draft"
    if not corpus.is_dir():
        pytest.fail(
            f"the shared corpus is missing: expected {corpus.resolve()} "
            "(the ../shared folder beside the project checkout)"
        )
    return SHARED
