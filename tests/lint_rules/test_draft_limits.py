"""Issue 10 item 8: a draft under the 64 MB limit cannot make ``lint`` run away.

Each shape below took the stdlib parser a minute or gigabytes before the caps; now it is
refused before parsing, or decoded with a real mail charset only. The wall-clock bound is
loose (it catches run-aways, it is not a timing test); bench/lint_large_drafts.py measures.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile.helpers import HEAD, bounded, single

from preflight.draft import (
    MAX_BOUNDARY_LINES,
    MAX_DRAFT_BYTES,
    MAX_HEADER_LINES,
    MAX_LINES,
    read_draft,
)
from preflight.errors import DraftError
from preflight.lint.charsets import mail_codec
from preflight.lint.linter import lint_draft


def _write(tmp_path: Path, data: bytes) -> Path:
    assert len(data) <= MAX_DRAFT_BYTES
    path = tmp_path / "big.eml"
    path.write_bytes(data)
    return path


def test_fifteen_million_header_lines_are_refused_quickly(tmp_path: Path) -> None:
    path = _write(tmp_path, HEAD + b"X:\n" * 15_000_000 + b"\nHello\n")
    with bounded("15 million X: headers", seconds=5), pytest.raises(DraftError) as caught:
        read_draft(path)
    assert caught.value.file == str(path)
    assert f"over the limit of {MAX_LINES:,}" in str(caught.value)


def test_many_header_lines_under_the_line_cap_are_refused(tmp_path: Path) -> None:
    count = MAX_HEADER_LINES + 10
    path = _write(tmp_path, HEAD + b"X-A: v\r\n" * count + b"\r\nHello\r\n")
    with pytest.raises(DraftError, match="header-like lines"):
        read_draft(path)


def test_a_long_header_within_the_caps_still_lints(tmp_path: Path) -> None:
    # Folded continuation lines are bounded by the line cap; below it the draft is read.
    path = _write(tmp_path, HEAD + b"X-Long: a\r\n" + b" b\r\n" * 200_000 + b"\r\nHello\r\n")
    with bounded("a 200,000-line folded header", seconds=10):
        report = lint_draft(read_draft(path))
    assert report.score >= 0


def test_too_many_boundary_lines_are_refused(tmp_path: Path) -> None:
    head = HEAD + b'Content-Type: multipart/mixed; boundary="zz"\r\n\r\n'
    body = b"--zz\r\n\r\nx\r\n" * (MAX_BOUNDARY_LINES + 1) + b"--zz--\r\n"
    with pytest.raises(DraftError, match="boundary lines"):
        read_draft(_write(tmp_path, head + body))


def test_a_punycode_part_is_not_decoded_with_punycode(tmp_path: Path) -> None:
    data = single(b"text/plain; charset=punycode", b"abcdefghij-" * 40_000)
    with bounded("a 440 KB punycode text part", seconds=5):
        draft = read_draft(_write(tmp_path, data))
        report = lint_draft(draft)
    assert any("punycode" in problem for problem in draft.mime_problems)
    assert draft.text.startswith("abcdefghij-abcdefghij-")  # read as Latin-1, nothing lost
    assert "STR513" in [f.code for f in report.findings]


def test_a_punycode_encoded_word_is_not_decoded(tmp_path: Path) -> None:
    data = HEAD.replace(b"Subject: ", b"Subject: =?punycode?q?" + b"a-" * 3000 + b"?= ")
    draft = read_draft(_write(tmp_path, data + b"\r\nHello\r\n"))
    assert draft.subject.startswith("a-a-a-")


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("UTF-8", "utf-8"),
        ("gb2312", "gb2312"),
        ("GBK", "gbk"),
        ("windows-1251", "cp1251"),
        ("koi8-r", "koi8-r"),
        ("ks_c_5601-1987", "cp949"),
        ('"iso-8859-9"', "iso8859-9"),
        (None, "ascii"),
    ],
)
def test_mail_charsets_are_decoded(label: str | None, codec: str) -> None:
    assert mail_codec(label) == codec


@pytest.mark.parametrize("label", ["punycode", "rot13", "zlib", "base64", "idna", "x-nonsense"])
def test_codecs_that_are_no_mail_charset_are_refused(label: str) -> None:
    assert mail_codec(label) is None
