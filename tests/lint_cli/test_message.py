"""MIME building: structure, encodings, Date/Message-ID, and refusal of header injection."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from preflight.draft import Draft, Personalization
from preflight.errors import HeaderInjectionError, InputError
from preflight.message import build_message, make_message_id
from preflight.templates import RenderedMessage

NO_VARS = Personalization(frozenset(), frozenset())


def rendered(
    subject: str = "Pipe fittings",
    text: str = "Hi Anna,\n\nA short note.\n",
    html: str | None = None,
    headers: dict[str, str] | None = None,
    preheader: str | None = None,
) -> RenderedMessage:
    return RenderedMessage(subject, text, html, headers or {}, NO_VARS, preheader)


def reparse(message: EmailMessage) -> EmailMessage:
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_plain_text_message_has_every_required_header() -> None:
    when = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    message = reparse(
        build_message(
            rendered(),
            from_addr="Li Wei <li.wei@brightline.example>",
            to_addr="anna@nordlicht.example",
            message_id="<abc@brightline.example>",
            date=when,
        )
    )
    assert message.get_content_type() == "text/plain"
    assert message["From"] == "Li Wei <li.wei@brightline.example>"
    assert message["To"] == "anna@nordlicht.example"
    assert message["Subject"] == "Pipe fittings"
    assert message["Message-ID"] == "<abc@brightline.example>"
    assert message["Date"] == "Mon, 02 Nov 2026 09:30:00 +0000"
    assert message["MIME-Version"] == "1.0"
    assert message.get_content() == "Hi Anna,\n\nA short note.\n"


def test_html_becomes_an_alternative_after_the_text() -> None:
    message = reparse(
        build_message(
            rendered(html="<p>Hi Anna</p>"), from_addr="a@b.example", to_addr="c@d.example"
        )
    )
    assert message.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert message.get_body(("html",)).get_content().strip() == "<p>Hi Anna</p>"  # type: ignore[union-attr]


def test_defaults_set_date_and_a_unique_message_id_on_the_sender_domain() -> None:
    first = build_message(rendered(), from_addr="Li <li@brightline.example>", to_addr="c@d.example")
    second = build_message(rendered(), from_addr="li@brightline.example", to_addr="c@d.example")
    assert first["Message-ID"].endswith("@brightline.example>")
    assert first["Message-ID"] != second["Message-ID"]
    sent = email.utils.parsedate_to_datetime(first["Date"])
    assert abs((datetime.now(UTC) - sent).total_seconds()) < 60


def test_non_ascii_subject_names_and_body_are_encoded_properly() -> None:
    message = build_message(
        rendered(subject="关于不锈钢管件的询问 – Größen", text="您好 Jürgen,\n"),
        from_addr="李伟 <li@brightline.example>",
        to_addr="Jürgen Groß <j@nordlicht.example>",
    )
    raw = message.as_bytes()
    header_block = raw.split(b"\n\n", 1)[0]
    assert header_block.isascii()  # RFC 2047 words, no raw UTF-8 in headers
    assert b"=?utf-8?" in header_block
    back = reparse(message)
    assert back["Subject"] == "关于不锈钢管件的询问 – Größen"
    assert back["From"].addresses[0].display_name == "李伟"
    assert back.get_content() == "您好 Jürgen,\n"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"rendered": rendered(subject="Hi\r\nBcc: x@evil.example")}, "Subject"),
        ({"from_addr": "Li <li@b.example>\nBcc: x@evil.example"}, "From"),
        ({"to_addr": "c@d.example\r\nBcc: x@evil.example"}, "To"),
        (
            {"extra_headers": {"List-Unsubscribe": "<mailto:u@b.example>\r\nBcc: x"}},
            "List-Unsubscribe",
        ),
        (
            {"rendered": rendered(headers={"Reply-To": "r@b.example\nBcc: x@evil.example"})},
            "Reply-To",
        ),
        ({"extra_headers": {"X-Bad\r\nBcc": "x"}}, "X-Bad\r\nBcc"),
    ],
)
def test_header_injection_is_refused_naming_the_field(kwargs: dict, field: str) -> None:
    arguments = {"rendered": rendered(), "from_addr": "a@b.example", "to_addr": "c@d.example"}
    arguments |= kwargs
    with pytest.raises(HeaderInjectionError) as caught:
        build_message(arguments.pop("rendered"), **arguments)
    assert caught.value.field == field
    assert "\n" not in str(caught.value) and "\r" not in str(caught.value)


def test_extra_headers_cannot_replace_our_own_and_addresses_need_an_at() -> None:
    with pytest.raises(InputError) as caught:
        build_message(
            rendered(),
            from_addr="a@b.example",
            to_addr="c@d.example",
            extra_headers={"Subject": "other"},
        )
    assert caught.value.field == "Subject"
    with pytest.raises(InputError) as caught:
        build_message(rendered(), from_addr="a@b.example", to_addr="not an address")
    assert caught.value.field == "To"


def test_preheader_goes_first_in_the_html_body() -> None:
    message = build_message(
        rendered(html="<html><body><p>Hi</p></body></html>", preheader="Short & sweet"),
        from_addr="a@b.example",
        to_addr="c@d.example",
    )
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert re.search(r"<body><div class=\"preheader\"[^>]*>Short &amp; sweet</div><p>Hi", html)


def test_make_message_id_shape_and_refusals() -> None:
    ids = {make_message_id("Brightline.example") for _ in range(200)}
    assert len(ids) == 200
    assert all(re.fullmatch(r"<\d+\.[0-9a-f]{20}@brightline\.example>", i) for i in ids)
    for bad in ("bad domain", "x\r\ny", "", "a@b"):
        with pytest.raises(InputError):
            make_message_id(bad)


def test_built_message_parses_into_the_draft_the_linter_reads() -> None:
    message = build_message(
        rendered(html="<p>Hi Anna, a short note.</p>", headers={"Reply-To": "s@b.example"}),
        from_addr="Li Wei <li@b.example>",
        to_addr="anna@d.example",
    )
    personalization = Personalization(frozenset({"company"}), frozenset({"first_name"}))
    draft = Draft.from_message(message, "x.j2", personalization)
    assert draft.subject == "Pipe fittings"
    assert draft.from_addr == "li@b.example" and draft.reply_to == "s@b.example"
    assert draft.text.startswith("Hi Anna,") and draft.has_html
    assert draft.personalization == personalization
    assert "date" in draft.headers and "message-id" in draft.headers
