"""Issue 12 item 1: each severe problem fails a good draft on its own at the default 5.0.

Every case bends one aspect of the well-behaved draft (``make_message``'s defaults, which score
under 1.0); the problem alone must bring the score to the threshold, and the finding must name
every offending item. Milder look-alikes stay under it.
"""

from __future__ import annotations

import base64
from email.message import EmailMessage
from typing import Any

import pytest

from preflight.draft import Draft, read_draft
from preflight.lint.linter import lint_draft
from preflight.lint.settings import DEFAULT_THRESHOLD, LintSettings

from .conftest import GOOD_TEXT, findings, make_draft

MB = 1024 * 1024
PROSE = (
    "We cast stainless valve bodies for pump makers in Germany and Poland and ship to Sweden "
    "within three weeks. Our foundry in Hangzhou has worked with European buyers for twelve "
    "years, and we keep drawings for most common sizes on file."
)


def html(inner: str, words: str = PROSE) -> str:
    return f"<html><body><p>Hi Anna,</p>{inner}<p>{words}</p></body></html>"


def links(n: int) -> str:
    return "".join(
        f'<p><a href="https://hangzhou-valves.com/p/{i}">part {i}</a></p>' for i in range(n)
    )


SEVERE: dict[str, dict[str, Any]] = {
    "image-only": {"text": None, "html": '<html><body><img src="cid:banner"></body></html>'},
    "shouting": {"text": GOOD_TEXT.upper()},
    "url-shortener": {"html": html('<p><a href="https://bit.ly/3xYz">drawings</a></p>')},
    "link-text-other-domain": {
        "html": html('<p><a href="https://hangzhou-va1ves.net/x">www.hangzhou-valves.com</a></p>')
    },
    "link-to-bare-ip": {"html": html('<p><a href="http://192.0.2.20/offer">drawings</a></p>')},
    "hidden-text": {"html": html('<div style="display:none">cheap valves best price</div>')},
    "tiny-text": {
        "html": html('<span style="font-size:1px">valves valves valves cheap best price</span>')
    },
    "display-name-is-another-address": {
        "sender": '"orders@nordic-pumps.se" <li.wei@hangzhou-valves.com>'
    },
    "fake-reply-on-first-contact": {"subject": "RE: Your inquiry about valve castings"},
    "fifteen-links-in-a-first-letter": {"html": html(links(15))},
    "executable-attachment": {
        "attachments": [("catalogue.exe", "application/octet-stream", b"MZ" * 10)]
    },
    "macro-attachment": {
        "attachments": [
            ("prices.xlsm", "application/vnd.ms-excel.sheet.macroEnabled.12", b"PK" * 10)
        ]
    },
    "attachments-over-10-mb": {
        "attachments": [("catalogue.pdf", "application/pdf", b"%PDF" * (3 * MB))]
    },
    "leftover-merge-fields": {"text": "Hi {{ first_name }},\n\n" + GOOD_TEXT.split("\n", 2)[2]},
}


@pytest.mark.parametrize("case", sorted(SEVERE))
def test_a_severe_problem_fails_on_its_own(case: str) -> None:
    report = lint_draft(make_draft(**SEVERE[case]))
    assert report.score >= DEFAULT_THRESHOLD, [(f.code, f.points) for f in report.findings]
    assert not report.passed


def test_the_good_draft_is_far_below_the_threshold() -> None:
    assert lint_draft(make_draft()).score < 1.0


def test_a_big_inline_image_fails_and_an_attached_one_does_not() -> None:
    image = b"\x89PNG" + b"\0" * (MB + MB // 2)
    message = EmailMessage()
    message["From"] = "Li Wei <li.wei@hangzhou-valves.com>"
    message["To"] = "anna@nordic-pumps.se"
    message["Subject"] = "Valve castings"
    message["Date"] = "Mon, 02 Nov 2026 09:00:00 +0000"
    message["Message-ID"] = "<1@hangzhou-valves.com>"
    message.set_content(GOOD_TEXT)
    message.add_alternative(html('<img src="cid:photo@x">', GOOD_TEXT), subtype="html")
    message.get_payload()[1].add_related(image, "image", "png", cid="<photo@x>")
    report = lint_draft(Draft.from_message(message, "inline.eml"))
    assert report.score >= DEFAULT_THRESHOLD
    (big,) = [f for f in report.findings if f.code == "IMG303"]
    assert "inline" in big.message and "1.5 MB" in big.message

    attached = lint_draft(make_draft(attachments=[("photo.png", "image/png", image)]))
    assert attached.score < DEFAULT_THRESHOLD
    assert "attached" in next(f.message for f in attached.findings if f.code == "IMG303")


def test_a_click_tracker_behind_link_text_is_a_milder_finding() -> None:
    tracked = html('<p><a href="https://t.mailer.example/click?u=1">hangzhou-valves.com</a></p>')
    report = lint_draft(make_draft(html=tracked))
    (finding,) = [f for f in report.findings if f.code == "LNK205"]
    assert "click tracking" in finding.message and finding.points < 2.0


def test_a_fake_reply_that_does_not_open_like_a_letter_is_mild() -> None:
    text = "Drawings of the two bodies are below.\n\n" + PROSE + "\nLi Wei\n"
    report = lint_draft(make_draft(subject="RE: valve castings", text=text))
    (finding,) = [f for f in report.findings if f.code == "SUB006"]
    assert finding.points < 2.0


def test_a_display_name_with_an_address_on_the_same_domain_is_mild() -> None:
    draft = make_draft(sender='"sales@hangzhou-valves.com" <li.wei@hangzhou-valves.com>')
    (finding,) = [f for f in findings(draft) if f.code == "SND603"]
    assert finding.points < 2.0 and "same domain" in finding.message


def test_fifteen_links_in_a_newsletter_without_a_salutation_are_not_severe() -> None:
    newsletter = "<html><body>" + links(15) + f"<p>{PROSE}</p></body></html>"
    report = lint_draft(make_draft(text=None, html=newsletter))
    assert "LNK211" not in {f.code for f in report.findings}


def test_fifteen_links_in_a_reply_are_not_a_first_contact_finding() -> None:
    draft = make_draft(html=html(links(15)), headers={"In-Reply-To": "<q@nordic-pumps.se>"})
    assert not {"LNK211", "LNK202"} & {f.code for f in findings(draft)}


def test_every_shortener_and_every_ip_link_is_named() -> None:
    inner = (
        '<p><a href="https://bit.ly/a1">a</a> <a href="https://tinyurl.com/b2">b</a></p>'
        '<p><a href="http://192.0.2.1/x">c</a> <a href="http://198.51.100.7/y">d</a></p>'
    )
    found = {f.code: f.message for f in findings(make_draft(html=html(inner)))}
    assert "bit.ly/a1" in found["LNK203"] and "tinyurl.com/b2" in found["LNK203"]
    assert "192.0.2.1" in found["LNK204"] and "198.51.100.7" in found["LNK204"]


def test_every_mismatched_link_and_every_placeholder_is_named() -> None:
    inner = (
        '<p><a href="https://evil-one.example/">hangzhou-valves.com</a></p>'
        '<p><a href="https://evil-two.example/">nordic-pumps.se</a></p>'
    )
    text = "Hi {{ first_name }},\n\nAbout [Company] and %LASTNAME%.\n" + PROSE
    found = {f.code: f.message for f in findings(make_draft(text=text, html=html(inner)))}
    assert "evil-one.example" in found["LNK205"] and "evil-two.example" in found["LNK205"]
    for placeholder in ("{{ first_name }}", "[Company]", "%LASTNAME%"):
        assert placeholder in found["WRT704"]


def test_code_braces_are_not_a_placeholder() -> None:
    text = GOOD_TEXT + "\nThe config reads: if (x) { y(); }} and that is all.\n"
    assert "WRT704" not in {f.code for f in findings(make_draft(text=text))}


# -- broken MIME ------------------------------------------------------------------------------

HEAD = (
    b"From: Li Wei <li.wei@hangzhou-valves.com>\r\nTo: anna@nordic-pumps.se\r\n"
    b"Subject: Valve castings\r\nDate: Mon, 02 Nov 2026 09:00:00 +0000\r\n"
    b"Message-ID: <1@hangzhou-valves.com>\r\nMIME-Version: 1.0\r\n"
)
TEXT = GOOD_TEXT.encode().replace(b"\n", b"\r\n")


def _broken(tmp_path: Any, data: bytes) -> Any:
    path = tmp_path / "broken.eml"
    path.write_bytes(data)
    report = lint_draft(read_draft(path), LintSettings())
    return report, [f for f in report.findings if f.code == "STR514"]


def test_an_unclosed_boundary_quote_is_broken_mime(tmp_path: Any) -> None:
    data = (
        HEAD + b'Content-Type: multipart/alternative; boundary="b1\r\n\r\n'
        b"--b1\r\nContent-Type: text/plain\r\n\r\n" + TEXT + b"\r\n--b1--\r\n"
    )
    report, (finding,) = _broken(tmp_path, data)
    assert "quote" in finding.message and report.score >= DEFAULT_THRESHOLD


def test_a_missing_closing_boundary_and_bad_base64_are_named(tmp_path: Any) -> None:
    bad = base64.b64encode(TEXT)[:-3] + b"!!*"
    data = (
        HEAD + b'Content-Type: multipart/alternative; boundary="b1"\r\n\r\n'
        b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + bad + b"\r\n"
    )
    report, (finding,) = _broken(tmp_path, data)
    assert "closing multipart boundary" in finding.message
    assert "base64" in finding.message
    assert report.score >= DEFAULT_THRESHOLD


def test_well_formed_mime_is_not_broken(tmp_path: Any) -> None:
    data = (
        HEAD + b'Content-Type: multipart/alternative; boundary="b1"\r\n\r\n'
        b"--b1\r\nContent-Type: text/plain\r\n\r\n" + TEXT + b"\r\n--b1--\r\n"
    )
    report, found = _broken(tmp_path, data)
    assert found == [] and report.passed
