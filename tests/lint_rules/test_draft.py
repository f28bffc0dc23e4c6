"""The draft model: what is parsed out of a message, and that bad input is a DraftError."""

from __future__ import annotations

import email
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from preflight.draft import MAX_MIME_PARTS, Draft, read_draft
from preflight.errors import DraftError
from preflight.lint.htmlview import MAX_HTML_CHARS, analyse_html

from .conftest import GOOD_TEXT, make_message

MB = 1024 * 1024


def write(tmp_path: Path, data: bytes, name: str = "draft.eml") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_headers_and_parts_of_a_normal_draft(tmp_path: Path) -> None:
    path = write(tmp_path, make_message(subject="Valve castings – Ø 50 mm").as_bytes())
    draft = read_draft(path)
    assert draft.source == str(path)
    assert draft.subject == "Valve castings – Ø 50 mm"  # RFC 2047 decoded
    assert (draft.from_name, draft.from_addr) == ("Li Wei", "li.wei@hangzhou-valves.com")
    assert draft.from_domain == "hangzhou-valves.com"
    assert draft.to == ("anna@nordic-pumps.se",)
    assert "second assembly line" in draft.text
    assert draft.html_view is not None
    assert "second assembly line" in draft.html_view.visible_text
    assert draft.has_text and draft.has_html
    assert 60 < draft.word_count < 90
    assert not draft.links and not draft.images and not draft.attachments


def test_links_keep_their_visible_text_and_part() -> None:
    html = (
        '<html><body><p>See <a href="https://hangzhou-valves.com/cat">our <b>catalogue</b>'
        '</a> or <a href="mailto:li@hangzhou-valves.com">mail me</a>.</p></body></html>'
    )
    msg = make_message(text="See https://hangzhou-valves.com/cat for drawings.", html=html)
    draft = Draft.from_message(msg, "links.eml")
    by_part = {(link.part, link.href, link.text) for link in draft.links}
    assert ("html", "https://hangzhou-valves.com/cat", "our catalogue") in by_part
    assert ("html", "mailto:li@hangzhou-valves.com", "mail me") in by_part
    text_links = [link for link in draft.links if link.part == "text"]
    assert [(link.href, link.line) for link in text_links] == [
        ("https://hangzhou-valves.com/cat", 1)
    ]


def test_images_remote_embedded_and_sized() -> None:
    png = b"\x89PNG" + b"\1" * 3000
    html = (
        '<html><body><img src="https://cdn.example.com/a.png" width="600" height="200">'
        '<img src="cid:logo@x"></body></html>'
    )
    msg = make_message(html=html)
    msg.get_payload()[1].add_related(png, "image", "png", cid="<logo@x>")
    draft = Draft.from_message(msg, "img.eml")
    remote = [i for i in draft.images if i.remote]
    embedded = [i for i in draft.images if i.embedded]
    assert [(i.src, i.width, i.height) for i in remote] == [
        ("https://cdn.example.com/a.png", 600, 200)
    ]
    assert len(embedded) == 1 and embedded[0].size == len(png)


def test_attachment_size_is_the_decoded_size() -> None:
    data = bytes(range(256)) * 4099
    msg = make_message(attachments=[("catalogue.pdf", "application/pdf", data)])
    draft = Draft.from_message(msg, "att.eml")
    (att,) = draft.attachments
    assert (att.filename, att.content_type, att.size) == (
        "catalogue.pdf",
        "application/pdf",
        len(data),
    )


def test_hidden_low_contrast_tiny_and_big_text_are_told_apart() -> None:
    view = analyse_html(
        '<html><body bgcolor="#ffffff"><p>Plain words here.</p>'
        '<div style="display: none">secret one</div>'
        '<p style="visibility:hidden">secret two</p>'
        '<font color="#fefefe">pale words</font>'
        '<span style="font-size:5px">tiny words</span>'
        '<h1 style="font-size:36pt">Huge words</h1>'
        "<script>var notText = 1;</script><style>p {color: red}</style>"
        "<!-- a comment --></body></html>"
    )
    assert view.visible_text.split("\n")[0] == "Plain words here."
    assert "secret one" in view.hidden_text and "secret two" in view.hidden_text
    assert "secret" not in view.visible_text
    assert view.low_contrast_text == "pale words"
    assert view.tiny_font_chars == len("tiny words")
    assert view.big_font_chars == len("Huge words")
    assert "notText" not in view.visible_text and "color" not in view.visible_text
    assert "comment" not in view.visible_text


def test_html_analysis_is_capped() -> None:
    view = analyse_html("<p>" + "word " * (MAX_HTML_CHARS // 5 + 1000) + "</p>")
    assert view.truncated
    assert len(view.visible_text) <= MAX_HTML_CHARS


def test_deeply_nested_html_does_not_recurse() -> None:
    view = analyse_html("<div>" * 20_000 + "deep" + "</div>" * 20_000)
    assert view is not None  # lxml caps the depth; our walk is iterative either way


def test_unknown_charset_is_replaced_not_fatal(tmp_path: Path) -> None:
    raw = (
        b"From: a@example.com\nSubject: =?x-unknown?q?caf=E9?=\n"
        b"Content-Type: text/plain; charset=x-unknown\n\ncaf\xe9 au lait\n"
    )
    draft = read_draft(write(tmp_path, raw))
    assert "caf" in draft.subject
    assert draft.text.startswith("caf")
    assert draft.mime_problems == ["unknown charset 'x-unknown'"]


def test_mbox_separator_line_is_skipped(tmp_path: Path) -> None:
    raw = b"From someone@example.com Mon Jan  1 00:00:00 2024\n" + make_message().as_bytes()
    assert read_draft(write(tmp_path, raw)).subject == "Valve castings for Nordic Pumps"


def test_mime_parts_are_bounded() -> None:
    msg = make_message()
    for i in range(MAX_MIME_PARTS + 50):
        msg.add_attachment(
            b"x", maintype="application", subtype="octet-stream", filename=f"f{i}.bin"
        )
    draft = Draft.from_message(msg, "many.eml")
    assert len(draft.attachments) < MAX_MIME_PARTS


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"just some words with no header at all", "no mail headers"),
    ],
)
def test_broken_files_raise_draft_error_naming_the_file(
    tmp_path: Path, data: bytes, message: str
) -> None:
    path = write(tmp_path, data, "broken.eml")
    with pytest.raises(DraftError, match=message) as caught:
        read_draft(path)
    assert caught.value.file == str(path)
    assert str(path) in str(caught.value)


def test_missing_file_is_a_draft_error(tmp_path: Path) -> None:
    with pytest.raises(DraftError, match="cannot read") as caught:
        read_draft(tmp_path / "nope.eml")
    assert caught.value.file and caught.value.file.endswith("nope.eml")


def test_folder_is_a_draft_error(tmp_path: Path) -> None:
    with pytest.raises(DraftError):
        read_draft(tmp_path)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_any_bytes_parse_or_raise_draft_error(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "x.eml"
    path.write_bytes(data)
    try:
        draft = read_draft(path)
    except DraftError:
        return
    assert isinstance(draft.word_count, int)


_HEADERISH = st.sampled_from(
    [
        b"Content-Type: multipart/mixed; boundary=b\n",
        b"Content-Type: text/html\n",
        b"Content-Transfer-Encoding: base64\n",
        b"Content-Transfer-Encoding: quoted-printable\n",
        b"Subject: =?utf-8?b?w6k=?=\n",
        b'From: "x" <@>\n',
        b"--b\n",
        b"--b--\n",
        b"\n",
        b'<html><a href="http://[::1">x</a><img src=cid:></html>\n',
        b"=E9=\n",
        b"AAAA====\n",
        b'Content-Type: text/plain; charset=""\n',
        b"Content-Disposition: attachment; filename=\n",
        b'<font size=+99 color=#zzz style="font-size:1e999px">t</font>\n',
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_HEADERISH, max_size=25))
def test_mangled_mime_parses_or_raises_draft_error(parts: list[bytes]) -> None:
    msg = email.message_from_bytes(b"From: a@example.com\n" + b"".join(parts))
    try:
        draft = Draft.from_message(msg, "fuzz.eml")
    except DraftError:
        return
    assert draft.source == "fuzz.eml"


def test_good_text_fixture_is_plain_prose() -> None:
    assert "http" not in GOOD_TEXT  # the baseline draft has no links to trip link rules


def test_attachment_size_ignores_tabs_in_a_large_base64_payload() -> None:
    # Over 64 KiB of base64 takes the counting branch; tabs in it must not count as data.
    import base64

    data = bytes(range(256)) * 400  # 102,400 bytes -> ~136 KB of base64
    lines = base64.encodebytes(data).decode().splitlines()
    body = "\r\n".join("\t" + line for line in lines)
    raw = (
        "From: a@example.com\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        "Content-Type: text/plain\r\n\r\nhi\r\n--b\r\n"
        "Content-Type: application/octet-stream\r\n"
        'Content-Disposition: attachment; filename="x.bin"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n" + body + "\r\n--b--\r\n"
    )
    draft = Draft.from_message(email.message_from_string(raw), "x.eml")
    assert [a.size for a in draft.attachments] == [len(data)]
