"""Issue 12 item 3: replies and follow-ups are not first contacts; quoted text is not ours.

The send path lints a campaign's later step with ``Draft.from_message(..., follow_up=True)``
(or ``LintSettings(first_contact=False)`` for a whole run); a threaded draft
(In-Reply-To/References) is a reply by itself.
"""

from __future__ import annotations

import pytest

from preflight.draft import Draft
from preflight.lint.linter import lint_draft
from preflight.lint.settings import LintSettings

from .conftest import GOOD_TEXT, codes, findings, make_draft, make_message

FIRST_CONTACT = {"LNK202", "LNK211", "IMG305", "ATT405", "SUB006"}
THREADED = {"In-Reply-To": "<q-17@nordic-pumps.se>", "References": "<q-17@nordic-pumps.se>"}
LINKED_HTML = (
    '<html><body><p>Hi Anna,</p><p>The drawings: <a href="https://hangzhou-valves.com/d/1">'
    'drawing 1</a></p><img src="cid:logo"></body></html>'
)
ATTACHMENT = [("quotation.pdf", "application/pdf", b"%PDF-1.4 quotation")]


def test_a_first_contact_with_link_image_and_attachment_has_first_contact_findings() -> None:
    found = codes(make_draft(html=LINKED_HTML, attachments=ATTACHMENT))
    assert {"LNK202", "IMG305", "ATT405"} <= found


@pytest.mark.parametrize("header", ["In-Reply-To", "References"])
def test_a_threaded_reply_is_not_a_first_contact(header: str) -> None:
    draft = make_draft(
        subject="RE: valve castings",
        html=LINKED_HTML,
        attachments=ATTACHMENT,
        headers={header: "<q-17@nordic-pumps.se>"},
    )
    assert draft.is_reply and not draft.is_first_contact()
    assert not FIRST_CONTACT & codes(draft)


def test_a_follow_up_step_is_not_a_first_contact() -> None:
    message = make_message(subject="RE: valve castings", html=LINKED_HTML, attachments=ATTACHMENT)
    draft = Draft.from_message(message, "step-2.eml", follow_up=True)
    assert not draft.is_reply and draft.follow_up
    assert not FIRST_CONTACT & codes(draft)


def test_settings_can_lint_a_whole_run_as_follow_ups() -> None:
    draft = make_draft(html=LINKED_HTML, attachments=ATTACHMENT)
    assert not FIRST_CONTACT & codes(draft, LintSettings(first_contact=False))


QUOTED_TEXT = {
    "gt-lines": "> Please send a price list: http://buyer-portal.example/rfq?id=9\n"
    "> FREE SHIPPING!!! ACT NOW!!!\n",
    "gmail": "On Mon, 3 Nov 2026 at 10:00, Anna Berg <anna@nordic-pumps.se> wrote:\n"
    "Please send prices. http://buyer-portal.example/rfq?id=9 FREE SHIPPING!!! ACT NOW!!!\n",
    "outlook": "-----Original Message-----\nFrom: Anna Berg\nSent: Monday\n\n"
    "Please send prices. http://buyer-portal.example/rfq?id=9 FREE SHIPPING!!! ACT NOW!!!\n",
    "outlook-de": "Von: Anna Berg <anna@nordic-pumps.se>\nGesendet: Montag, 3. November\n"
    "An: Li Wei\n\nBitte Preise. http://buyer-portal.example/rfq?id=9 ACT NOW!!!\n",
    "foxmail": "------------------ 原始邮件 ------------------\n发件人: Anna\n"
    "http://buyer-portal.example/rfq?id=9 限时优惠！免费！\n",
}


@pytest.mark.parametrize("style", sorted(QUOTED_TEXT))
def test_quoted_buyer_text_is_not_linted_as_ours(style: str) -> None:
    text = GOOD_TEXT + "\n" + QUOTED_TEXT[style]
    draft = make_draft(subject="RE: valve castings", text=text, html=None, headers=THREADED)
    assert "buyer-portal" not in draft.text and draft.quoted_lines > 0
    assert draft.links == []
    found = codes(draft)
    assert not {"TXT102", "TXT103", "TXT104", "LNK202"} & found, found


def test_quoted_html_blocks_are_not_linted_as_ours() -> None:
    html = (
        "<html><body><p>Hi Anna,</p><p>Drawings follow this week.</p>"
        '<div class="gmail_quote"><p>On Monday Anna wrote:</p><blockquote>'
        '<a href="http://buyer-portal.example/rfq">FREE SHIPPING!!! ACT NOW!!!</a>'
        "</blockquote></div></body></html>"
    )
    draft = make_draft(subject="Re: valve castings", html=html, headers=THREADED)
    assert draft.html_view is not None and draft.html_view.quoted == 1
    assert all("buyer-portal" not in link.href for link in draft.links)


def test_outside_a_reply_quote_marks_do_not_hide_words() -> None:
    text = GOOD_TEXT + "\n> FREE! Order now, special offer, 100% free, no obligation!\n"
    draft = make_draft(text=text, html=None)
    assert draft.quoted_lines == 0 and "TXT103" in codes(draft)


def test_the_same_link_in_text_and_html_twins_counts_once() -> None:
    text = GOOD_TEXT + "\nDrawings: https://hangzhou-valves.com/d/1\n"
    html = (
        '<html><body><p>Drawings: <a href="https://hangzhou-valves.com/d/1/">'
        "https://hangzhou-valves.com/d/1</a></p></body></html>"
    )
    draft = make_draft(text=text, html=html)
    assert len(draft.links) == 2 and len(draft.unique_web_links) == 1
    (finding,) = [f for f in findings(draft) if f.code == "LNK202"]
    assert "1 link(s)" in finding.message


def test_a_fake_reply_quoting_nothing_is_still_caught() -> None:
    report = lint_draft(make_draft(subject="RE: Your inquiry"))
    assert "SUB006" in {f.code for f in report.findings} and not report.passed
