"""Inputs built to make a parser run away: each must end quickly, in a result or our own error.

Every case goes through the three readers of raw mail: the draft reader (``read_draft`` from
a real file), the linter on the parsed draft, and the bounce reader (``classify_message``).
Each must finish inside a generous wall-clock bound (``RUNAWAY_SECONDS``) and the limits the
modules document (``preflight.draft.MAX_*``, ``preflight.lint.htmlview.MAX_*``) must hold.
"""

from __future__ import annotations

import contextlib
import math
from pathlib import Path

import pytest

from hostile.helpers import (
    HEAD,
    base64_attachment,
    bounded,
    in_child,
    multipart,
    nested_multipart,
    single,
    text_part,
    zip_bomb_header,
)
from preflight.bounces.reader import classify_message
from preflight.draft import (
    MAX_DRAFT_BYTES,
    MAX_HEADER_CHARS,
    MAX_MIME_PARTS,
    MAX_TEXT_CHARS,
    Draft,
    read_draft,
)
from preflight.errors import DraftError
from preflight.lint.htmlview import MAX_HTML_CHARS
from preflight.lint.linter import lint_draft
from preflight.lint.model import LintReport
from preflight.lint.settings import LintSettings

# Every bounce case here reads in well under a second; half the general bound keeps a
# known run-away from costing the suite more than it must.
BOUNCE_SECONDS = 10.0


def _draft_and_lint(tmp_path: Path, data: bytes, what: str) -> tuple[Draft, LintReport]:
    path = tmp_path / "hostile.eml"
    path.write_bytes(data)
    with bounded(f"read_draft + lint_draft on {what}"):
        draft = read_draft(path)
        report = lint_draft(draft, LintSettings())
    assert math.isfinite(report.score) and report.score >= 0
    assert report.source == str(path)
    return draft, report


def _bounce(data: bytes, what: str) -> list[object]:
    """The bounce records of ``data``, read in a child so that a hang fails after the bound."""
    outcome = in_child(lambda: list(classify_message(data)), timeout=BOUNCE_SECONDS)
    assert outcome.kind != "timeout", f"classify_message on {what} ran away (> {BOUNCE_SECONDS} s)"
    assert outcome.clean, f"classify_message on {what}: {outcome}"
    return outcome.value if isinstance(outcome.value, list) else []


# -- 1 MB on one line --------------------------------------------------------------------------


def test_a_one_megabyte_line_of_bangs(tmp_path: Path) -> None:
    data = single(b"text/plain; charset=utf-8", b"!" * 1_000_000)
    draft, _ = _draft_and_lint(tmp_path, data, "a 1 MB line of '!'")
    assert len(draft.text) <= MAX_TEXT_CHARS
    assert draft.text.count("!") >= 999_000  # the text really was read, not dropped
    assert _bounce(data, "a 1 MB line of '!'") == []  # a draft is not a bounce


def test_a_one_megabyte_line_of_bangs_in_html(tmp_path: Path) -> None:
    data = single(b"text/html; charset=utf-8", b"<p>" + b"!" * 1_000_000 + b"</p>")
    draft, _ = _draft_and_lint(tmp_path, data, "a 1 MB HTML line of '!'")
    assert draft.html_view is not None
    # Only the documented prefix of the HTML is analysed.
    assert draft.html_view.truncated
    assert len(draft.html_view.visible_text) <= MAX_HTML_CHARS
    _bounce(data, "a 1 MB HTML line")


def test_a_one_megabyte_subject_is_capped(tmp_path: Path) -> None:
    data = HEAD.replace(b"Subject: ", b"Subject: " + b"!" * 1_000_000) + b"\r\nHello\r\n"
    draft, _ = _draft_and_lint(tmp_path, data, "a 1 MB subject")
    assert len(draft.subject) <= MAX_HEADER_CHARS
    _bounce(data, "a 1 MB subject")


def test_a_million_lines_of_bangs(tmp_path: Path) -> None:
    data = single(b"text/plain", b"!\r\n" * 1_000_000)
    draft, _ = _draft_and_lint(tmp_path, data, "a million lines")
    assert len(draft.text) <= MAX_TEXT_CHARS
    _bounce(data, "a million lines")


# -- deep HTML ---------------------------------------------------------------------------------


def _deep_html(tag: bytes) -> bytes:
    name = tag.split()[0]
    html = (b"<" + tag + b">") * 100_000 + b"deep text" + (b"</" + name + b">") * 100_000
    return single(b"text/html; charset=utf-8", html)


@pytest.mark.parametrize("tag", [b"div", b"b", b"table", b"a href='https://x.example/'"])
def test_html_nested_100000_deep(tmp_path: Path, tag: bytes) -> None:
    draft, _ = _draft_and_lint(tmp_path, _deep_html(tag), f"<{tag.decode()}> nested 100,000 deep")
    assert draft.html_view is not None  # analysed (or marked unparseable), never a crash


@pytest.mark.parametrize("tag", [b"b", b"table", b"a href='https://x.example/'"])
def test_bounce_reader_on_html_nested_100000_deep(tag: bytes) -> None:
    # <div> (a line break for the bounce reader) is in test_bounce_of_blank_lines_does_not_run_away.
    assert _bounce(_deep_html(tag), f"<{tag.decode()}> nested 100,000 deep") == []


def test_unclosed_tags_100000(tmp_path: Path) -> None:
    data = single(b"text/html", b"<font size=7 color=white>" * 100_000 + b"x")
    draft, _ = _draft_and_lint(tmp_path, data, "100,000 unclosed <font>")
    assert draft.html_view is not None
    _bounce(data, "100,000 unclosed <font>")


# -- huge base64 part --------------------------------------------------------------------------


def test_a_30_megabyte_base64_attachment(tmp_path: Path) -> None:
    payload = bytes(range(256)) * (30 * 1024 * 1024 // 256)
    data = multipart(
        [
            text_part(b"Hello Anna,\r\nthe price list is attached.\r\n"),
            base64_attachment(b"prices.pdf", b"application/pdf", payload),
        ]
    )
    draft, report = _draft_and_lint(tmp_path, data, "a 30 MB base64 attachment")
    [attachment] = draft.attachments
    assert attachment.filename == "prices.pdf"
    # The size is computed from the encoded length, within a few bytes of the truth.
    assert abs(attachment.size - len(payload)) <= 4
    # A 30 MB attachment on a cold email is worth a finding, with the size right.
    too_large = [f for f in report.findings if f.name == "attachments-too-large"]
    assert too_large and "30.0 MB" in too_large[0].message
    assert _bounce(data, "a 30 MB base64 part") == []


def test_a_30_megabyte_base64_body_part(tmp_path: Path) -> None:
    # Base64 text/plain: the decoded text is capped at the documented limit.
    data = single(
        b"text/plain; charset=utf-8", b"", encoding=b"base64"
    ) + base64_attachment(b"x", b"text/plain", b"A" * (30 * 1024 * 1024)).split(b"\r\n\r\n", 1)[1]
    draft, _ = _draft_and_lint(tmp_path, data, "a 30 MB base64 text part")
    assert len(draft.text) <= MAX_TEXT_CHARS
    _bounce(data, "a 30 MB base64 text part")


def test_broken_base64_is_not_a_crash(tmp_path: Path) -> None:
    data = single(b"application/pdf", b"=" * 100_000 + b"!!!*&^", encoding=b"base64")
    draft, _ = _draft_and_lint(tmp_path, data, "broken base64")
    assert draft.attachments and draft.attachments[0].size >= 0
    _bounce(data, "broken base64")


# -- zip that lies about its size ---------------------------------------------------------------


def test_a_zip_claiming_four_gigabytes(tmp_path: Path) -> None:
    bomb = zip_bomb_header()
    data = multipart(
        [
            text_part(b"Hello,\r\nplease see the attachment.\r\n"),
            base64_attachment(b"catalogue.zip", b"application/zip", bomb),
        ]
    )
    draft, _ = _draft_and_lint(tmp_path, data, "a zip claiming 4 GB")
    [attachment] = draft.attachments
    # The size reported is what the message carries; the archive's own claim is never trusted
    # (nothing in preflight opens archives at all).
    assert attachment.size == len(bomb)
    assert attachment.filename == "catalogue.zip"
    _bounce(data, "a zip claiming 4 GB")


def test_no_module_decompresses_archives() -> None:
    root = Path(__file__).resolve().parents[2] / "preflight"
    sources = [p for p in root.rglob("*.py")]
    assert len(sources) > 20
    offenders = [
        str(p.relative_to(root))
        for p in sources
        if any(
            name in p.read_text(encoding="utf-8")
            for name in ("import zipfile", "import tarfile", "import gzip", "import zlib")
        )
    ]
    assert offenders == [], f"a module decompresses attachments; bound it first: {offenders}"


# -- many parts, deep parts -----------------------------------------------------------------------


def test_ten_thousand_mime_parts(tmp_path: Path) -> None:
    parts = [text_part(b"part %d" % i) for i in range(10_000)]
    data = multipart(parts)
    draft, _ = _draft_and_lint(tmp_path, data, "10,000 MIME parts")
    assert len(draft.content_types) <= MAX_MIME_PARTS
    assert draft.content_types  # the first parts were read
    _bounce(data, "10,000 MIME parts")


def test_ten_thousand_attachments(tmp_path: Path) -> None:
    parts = [
        base64_attachment(b"f%d.exe" % i, b"application/x-msdownload", b"MZ")
        for i in range(10_000)
    ]
    data = multipart([text_part(b"hello"), *parts])
    draft, report = _draft_and_lint(tmp_path, data, "10,000 attachments")
    assert len(draft.attachments) < MAX_MIME_PARTS
    assert len(report.findings) < 2_000  # findings stay readable
    _bounce(data, "10,000 attachments")


def test_ten_thousand_images_in_html(tmp_path: Path) -> None:
    html = b"".join(
        b'<img src="https://t.example/%d.png" width=1 height=1>' % i for i in range(10_000)
    )
    data = single(b"text/html", html)
    draft, report = _draft_and_lint(tmp_path, data, "10,000 remote images")
    assert draft.images
    assert len(report.findings) < 2_000
    _bounce(data, "10,000 images")


def test_ten_thousand_headers(tmp_path: Path) -> None:
    extra = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 50) for i in range(10_000))
    data = HEAD + extra + b"\r\nHello\r\n"
    draft, _ = _draft_and_lint(tmp_path, data, "10,000 headers")
    assert len(draft.header_names) >= 10_000
    _bounce(data, "10,000 headers")


def test_rfc2047_words_by_the_thousand(tmp_path: Path) -> None:
    words = b" ".join(b"=?utf-8?b?SGVsbG8=?=" for _ in range(50_000))
    data = HEAD.replace(b"Subject: ", b"Subject: " + words + b" ") + b"\r\nHello\r\n"
    draft, _ = _draft_and_lint(tmp_path, data, "50,000 encoded words")
    assert len(draft.subject) <= MAX_HEADER_CHARS
    _bounce(data, "50,000 encoded words")


def test_mime_nested_20_deep_is_followed_to_the_limit(tmp_path: Path) -> None:
    draft, _ = _draft_and_lint(tmp_path, nested_multipart(100), "multipart nested 100 deep")
    assert draft.text == ""  # below MAX_MIME_DEPTH: not followed, and no crash
    shallow, _ = _draft_and_lint(tmp_path, nested_multipart(5), "multipart nested 5 deep")
    assert "bottom" in shallow.text


def test_mime_nested_2000_deep_draft_is_a_clean_error(tmp_path: Path) -> None:
    """Fails until fixed: the stdlib parser recurses once per level and overflows the stack
    at ~1,000 levels; read_draft lets the RecursionError out as a traceback."""
    path = tmp_path / "deep.eml"
    path.write_bytes(nested_multipart(2_000))
    with bounded("read_draft on MIME nested 2,000 deep"):
        try:
            read_draft(path)
        except DraftError as error:
            assert error.file == str(path)


def test_mime_nested_2000_deep_bounce() -> None:
    # One hostile message must not abort a whole `preflight bounces import`.
    assert _bounce(nested_multipart(2_000), "MIME nested 2,000 deep") == []


def test_message_rfc822_nested_1000_deep_is_a_clean_error(tmp_path: Path) -> None:
    """Fails until fixed: message/rfc822 inside message/rfc822, 1,000 times."""
    data = HEAD + b"".join(
        b"Content-Type: message/rfc822\r\n\r\nSubject: level\r\n" for _ in range(1_000)
    ) + b"\r\nbottom\r\n"
    path = tmp_path / "rfc822.eml"
    path.write_bytes(data)
    with (
        bounded("read_draft on message/rfc822 nested 1,000 deep"),
        contextlib.suppress(DraftError),
    ):
            lint_draft(read_draft(path))
    _bounce(data, "message/rfc822 nested 1,000 deep")


def test_bounce_of_blank_lines_does_not_run_away() -> None:
    """Fails until fixed: 200,000 blank lines (or HTML of 100,000 <div>) make the Lotus
    detector's ``^\\s*was not delivered to:\\s*$`` (MULTILINE) backtrack quadratically:
    ~50 s here, ~20 min for 1 MB. Run in a child so the failure costs the bound, not the hang."""
    _bounce(single(b"text/plain", b"\n" * 200_000 + b"x"), "200,000 blank lines")
    _bounce(_deep_html(b"div"), "<div> nested 100,000 deep")


# -- size limits ---------------------------------------------------------------------------------


def test_a_draft_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.eml"
    with path.open("wb") as out:
        out.write(HEAD + b"\r\n")
        out.truncate(MAX_DRAFT_BYTES + 1024)  # zeros after the headers
    with bounded("read_draft on a file over MAX_DRAFT_BYTES"), pytest.raises(DraftError) as caught:
        read_draft(path)
    assert caught.value.file == str(path)
    assert "MB" in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "data",
    [b"", b"\r\n\r\n", b"\x00" * 1000, b"\xff\xfe" * 100, b"not a mail at all"],
    ids=["empty", "blank", "nul", "bom-junk", "prose"],
)
def test_things_that_are_not_mail(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "x.eml"
    path.write_bytes(data)
    try:
        draft = read_draft(path)
    except DraftError as error:
        assert error.file == str(path)
        return
    lint_draft(draft)
    _bounce(data, "not mail")
