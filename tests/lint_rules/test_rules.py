"""Every rule fires on a draft built to trip it, and stays quiet on a draft that follows advice.

Each case bends one aspect of a well-behaved cold email (``make_message``'s defaults) so the
finding can only come from that aspect; near-miss cases show where a rule stops.
"""

from __future__ import annotations

import base64
import email
from typing import Any

import pytest

from preflight.draft import Draft, Personalization
from preflight.lint.rules import all_rules
from preflight.lint.settings import LintSettings

from .conftest import GOOD_TEXT, codes, findings, html_twin, make_draft, make_message

MB = 1024 * 1024
SIGNATURE = "\nBest regards,\nLi Wei\nHangzhou Valves Co., Ltd.\n"
OPT_OUT = "\nIf you would rather not hear from me again, just reply and let me know.\n"


def body(text: str) -> str:
    """A body with the usual greeting, signature and opt-out around ``text``."""
    return f"Hi Anna,\n\n{text}\n{SIGNATURE}{OPT_OUT}"


def html_body(inner: str, text_words: str = "") -> str:
    return f"<html><body><p>Hi Anna,</p>{inner}<p>{text_words}</p></body></html>"


PROSE = (
    "We cast stainless valve bodies for pump makers in Germany and Poland and ship to Sweden "
    "within three weeks. Our foundry in Hangzhou has worked with European buyers for twelve "
    "years, and we keep drawings for most common sizes on file."
)

ENTITY_WORD = "".join(f"&#{ord(c)};" for c in "Special")
LINKS_11 = "".join(
    f'<p><a href="https://hangzhou-valves.com/p/{i}">part {i}</a></p>' for i in range(11)
)
DOMAINS_5 = "".join(
    f'<p><a href="https://site{i}.example{i}.com/">catalogue {i}</a></p>' for i in range(5)
)

# (code, keyword arguments for make_draft, extra keyword arguments for the settings)
FIRING: list[tuple[str, dict[str, Any]]] = [
    ("SUB001", {"subject": ""}),
    (
        "SUB002",
        {
            "subject": "Following up on the stainless steel valve body castings we discussed "
            "at the Hannover fair last April"
        },
    ),
    ("SUB003", {"subject": "CHEAP VALVES FOR YOUR FACTORY"}),
    ("SUB004", {"subject": "Valve castings for you!"}),
    ("SUB005", {"subject": "Buy now: valve castings"}),
    ("SUB006", {"subject": "RE: valve castings"}),
    ("SUB007", {"subject": "Save 30% on valve castings"}),
    ("SUB008", {"subject": "Valve castings for Nordic Pumps      XJ7724"}),
    ("SUB009", {"subject": "ADV: valve castings"}),
    (
        "TXT101",
        {
            "text": body(
                "WE CAST STAINLESS VALVE BODIES FOR PUMP MAKERS IN GERMANY AND "
                "POLAND AND SHIP TO SWEDEN WITHIN THREE WEEKS. OUR FOUNDRY HAS "
                "WORKED WITH EUROPEAN BUYERS FOR TWELVE YEARS."
            )
        },
    ),
    ("TXT102", {"text": body(PROSE + " Call us today!!!")}),
    ("TXT103", {"text": body(PROSE + " No obligation, and you can refinance any time.")}),
    ("TXT104", {"text": body(PROSE + " Act now: this is urgent.")}),
    ("TXT105", {"text": body(PROSE + " Orders from $1,000,000 and $2,500,000 qualify.")}),
    ("TXT106", {"text": body(PROSE + " This month everything is 50% off.")}),
    ("TXT107", {"text": body(PROSE + " It is F.R.E.E for you.")}),
    ("TXT108", {"html": html_body(f"<p>{ENTITY_WORD} {ENTITY_WORD} offer</p>", PROSE)}),
    ("TXT109", {"text": body(PROSE + "\nName:\nAddress:\nPhone:\n")}),
    ("TXT110", {"text": body(PROSE + " Quality guaranteed!")}),
    (
        "TXT111",
        {"text": body(PROSE + " To be removed from our list, reply with REMOVE in the subject.")},
    ),
    (
        "TXT112",
        {
            "text": body(
                "We Cast Stainless Valve Bodies For Pump Makers In Germany And "
                "Poland And Ship To Sweden Within Three Weeks From Our Foundry."
            )
        },
    ),
    ("TXT113", {"text": body(PROSE + " $$$ Save Big $$$")}),
    (
        "TXT114",
        {
            "text": body(
                "WE CAST STAINLESS VALVE BODIES FOR PUMP MAKERS IN GERMANY AND POLAND AND SHIP "
                "TO SWEDEN WITHIN THREE WEEKS. OUR FOUNDRY HAS WORKED WITH EUROPEAN BUYERS FOR "
                "TWELVE YEARS AND KEEPS DRAWINGS OF MOST COMMON SIZES ON FILE FOR YOU."
            )
        },
    ),
    (
        "LNK211",
        {
            "html": html_body(
                "".join(
                    f'<p><a href="https://hangzhou-valves.com/p/{i}">part {i}</a></p>'
                    for i in range(15)
                ),
                PROSE,
            )
        },
    ),
    ("LNK201", {"html": html_body(LINKS_11, PROSE)}),
    (
        "LNK202",
        {"html": html_body('<p><a href="https://hangzhou-valves.com/">our site</a></p>', PROSE)},
    ),
    ("LNK203", {"html": html_body('<p><a href="https://bit.ly/3xYz">drawings</a></p>', PROSE)}),
    ("LNK204", {"html": html_body('<p><a href="http://192.0.2.20/offer">drawings</a></p>', PROSE)}),
    (
        "LNK205",
        {
            "html": html_body(
                '<p><a href="https://tracker.example.net/x">www.hangzhou-valves.com</a></p>', PROSE
            )
        },
    ),
    (
        "LNK206",
        {
            "html": html_body(
                '<p><a href="http://hangzhou-valves.com/">https://hangzhou-valves.com/</a></p>',
                PROSE,
            )
        },
    ),
    ("LNK207", {"html": html_body(DOMAINS_5, PROSE)}),
    (
        "LNK208",
        {"html": html_body('<p><a HrEf="https://hangzhou-valves.com/">drawings</a></p>', PROSE)},
    ),
    (
        "LNK209",
        {
            "html": html_body(
                '<p><a href="https://hangzhou-valves.com@evil.example.net/">drawings</a></p>', PROSE
            )
        },
    ),
    (
        "LNK210",
        {"html": html_body('<p><a href="https://hangzhou-valves.com/">Click here</a></p>', PROSE)},
    ),
    (
        "IMG301",
        {
            "text": None,
            "html": html_body('<img src="cid:a"><img src="cid:b"><img src="cid:c">', PROSE),
        },
    ),
    ("IMG302", {"text": None, "html": html_body('<img src="https://cdn.example.com/ad.png">')}),
    ("IMG303", {"attachments": [("photo.png", "image/png", b"\x89PNG" + b"\0" * (MB + 10))]}),
    ("IMG304", {"html": html_body('<img src="https://cdn.example.com/logo.png">', PROSE)}),
    ("IMG305", {"html": html_body('<img src="cid:logo">', PROSE)}),
    ("ATT401", {"attachments": [("catalogue.pdf", "application/pdf", b"%PDF" * (3 * MB))]}),
    ("ATT402", {"attachments": [("catalogue.pdf", "application/pdf", b"%PDF" * MB)]}),
    ("ATT403", {"attachments": [("invoice.exe", "application/octet-stream", b"MZ" * 10)]}),
    ("ATT404", {"attachments": [(f"sheet{i}.pdf", "application/pdf", b"%PDF") for i in range(4)]}),
    ("ATT405", {"attachments": [("catalogue.pdf", "application/pdf", b"%PDF-1.4")]}),
    ("STR501", {"text": None, "html": html_twin(GOOD_TEXT)}),
    (
        "STR502",
        {
            "html": html_body(
                "<p>Huge clearance sale on garden furniture and outdoor "
                "lighting, delivered anywhere in Europe next week.</p>"
            )
        },
    ),
    (
        "STR503",
        {"html": html_body('<div style="display:none">cheap pills casino winner</div>', PROSE)},
    ),
    (
        "STR504",
        {"html": html_body('<font color="#ffffff">white words on white paper</font>', PROSE)},
    ),
    (
        "STR505",
        {
            "html": html_body(
                '<span style="font-size:6px">terms apply in small print here</span>', PROSE
            )
        },
    ),
    ("STR506", {"html": html_body('<font size="7">Stainless valve bodies</font>', PROSE)}),
    ("STR507", {"html": html_body("", PROSE) + "\nextra words after the end of the html"}),
    (
        "STR508",
        {
            "html": html_body(
                '<form action="https://x.example.com"><input name="card"></form>', PROSE
            )
        },
    ),
    ("STR509", {"drop": ["Date"]}),
    ("STR510", {"drop": ["Message-ID"]}),
    ("STR511", {"headers": {"Date": "Mon, 5 Apr 2002 20:38:02 +2500"}}),
    ("STR512", {"text": body("x" * 1200)}),
    ("SND601", {"sender": "Li Wei <li.wei.valves@gmail.com>"}),
    ("SND602", {"headers": {"Reply-To": "sales@other-company.com"}}),
    ("SND603", {"sender": '"sales@nordic-pumps.se" <li.wei@hangzhou-valves.com>'}),
    ("SND604", {"text": f"Hi Anna,\n\n{PROSE}\n{SIGNATURE}"}),
    ("SND605", {}),
    (
        "SND606",
        {
            "sender": "Li Wei <li.wei.valves@gmail.com>",
            "text": body(PROSE + " Prices start at $500 and $900 per hundred."),
        },
    ),
    ("SND607", {"sender": "Li Wei <liwei1987@163.com>"}),
    ("SND608", {"to": ", ".join(f"buyer{i}@nordic-pumps.se" for i in range(6))}),
    ("SND609", {"sender": "li.wei@hangzhou-valves.com"}),
    ("SND610", {"headers": {"Reply-To": "liwei.valves@qq.com"}}),
    ("SND611", {"sender": "BEST VALVES!!! <li.wei@hangzhou-valves.com>"}),
    ("SND612", {"sender": "Li Wei at Hangzhou Valves"}),
    ("WRT701", {"text": body(" ".join([PROSE] * 12))}),
    (
        "WRT702",
        {
            "text": body(
                "Notwithstanding considerable organisational reconfiguration, our metallurgical "
                "manufacturing capabilities, encompassing investment casting, precision machining, "
                "electropolishing and comprehensive dimensional verification, substantially "
                "outperform conventional industrial expectations regarding reproducibility, "
                "documentation and international certification requirements simultaneously."
            )
        },
    ),
    ("WRT703", {"personalization": Personalization(frozenset(), frozenset())}),
    ("WRT704", {"text": "Hi {{ first_name }},\n\n" + PROSE + SIGNATURE + OPT_OUT}),
    ("WRT705", {"text": "Dear Sir/Madam,\n\n" + PROSE + SIGNATURE + OPT_OUT}),
    ("WRT706", {"text": "Hi ,\n\n" + PROSE + SIGNATURE + OPT_OUT}),
]

# Drafts close to a rule's trigger that must not fire it.
NOT_FIRING: list[tuple[str, dict[str, Any]]] = [
    ("SUB003", {"subject": "ISO 9001 castings"}),  # an acronym is not shouting
    (
        "SUB006",
        {"subject": "RE: valve castings", "headers": {"In-Reply-To": "<abc@nordic-pumps.se>"}},
    ),
    (
        "SUB006",
        {
            "subject": "Re: valve castings",
            "text": "Anna Berg wrote:\n> Can you send drawings?\n\nYes, attached." + OPT_OUT,
        },
    ),
    ("SUB008", {"subject": "Price list for 2025"}),  # a year is not a tracking code
    ("TXT102", {"text": body(PROSE + " Thanks!")}),
    ("TXT103", {"text": body(PROSE + " It ships for free.")}),  # one weak phrase is fine
    ("TXT107", {"text": body(PROSE + " We ship to the U.S.A. and the U.K., e.g. Texas.")}),
    (
        "LNK202",
        {
            "html": html_body('<p><a href="https://hangzhou-valves.com/">our site</a></p>', PROSE),
            "settings": {"first_contact": False},
        },
    ),
    (
        "LNK205",
        {
            "html": html_body(
                '<p><a href="https://www.hangzhou-valves.com/cat">hangzhou-valves.com</a></p>',
                PROSE,
            )
        },
    ),
    ("IMG301", {"html": html_body('<img src="cid:a">', PROSE + " " + PROSE)}),
    (
        "STR504",
        {
            "html": html_body(
                '<table bgcolor="#000000"><tr><td><font color="#ffffff">'
                "white words on black paper</font></td></tr></table>",
                PROSE,
            )
        },
    ),
    (
        "STR510",
        {
            "drop": ["Message-ID"],
            "personalization": Personalization(frozenset({"first_name"}), frozenset()),
        },
    ),
    ("SND603", {"sender": '"li.wei@hangzhou-valves.com" <li.wei@hangzhou-valves.com>'}),
    ("SND604", {"text": body(PROSE), "headers": {"List-Unsubscribe": "<mailto:u@x.example>"}}),
    ("SND605", {"text": body(PROSE + "\n88 Wensan Road, Hangzhou, Zhejiang 310012, China")}),
    (
        "SND610",
        {
            "sender": "Li Wei <li.wei.valves@gmail.com>",
            "headers": {"Reply-To": "li.wei.valves@gmail.com"},
        },
    ),
    ("WRT703", {"personalization": Personalization(frozenset({"first_name"}), frozenset())}),
    ("WRT704", {"text": "Hi,\n\n" + PROSE + SIGNATURE + OPT_OUT}),
    ("WRT705", {"text": "Dear Anna,\n\n" + PROSE + SIGNATURE + OPT_OUT}),
]


def _lint(case: dict[str, Any]) -> set[str]:
    case = dict(case)
    settings = LintSettings(**case.pop("settings", {}))
    return codes(make_draft(**case), settings)


# Rules whose firing draft cannot be built with EmailMessage get a dedicated test below.
# WRT707 and WRT708 need a template rendered without data: tests/lint_cli/test_sample_values.py
TESTED_SEPARATELY = {"STR513", "STR514", "WRT707", "WRT708"}


def test_every_rule_has_a_firing_case() -> None:
    covered = {code for code, _ in FIRING} | TESTED_SEPARATELY
    assert covered == {rule.code for rule in all_rules()}


@pytest.mark.parametrize(("code", "case"), FIRING, ids=[c for c, _ in FIRING])
def test_rule_fires(code: str, case: dict[str, Any]) -> None:
    assert code in _lint(case)


@pytest.mark.parametrize(("code", "case"), NOT_FIRING, ids=[c for c, _ in NOT_FIRING])
def test_rule_stays_quiet_on_near_miss(code: str, case: dict[str, Any]) -> None:
    assert code not in _lint(case)


def test_a_draft_that_follows_the_advice_scores_under_one() -> None:
    report_codes = _lint({})
    # Only the postal-address reminder (worth a tenth of a point) may remain.
    assert report_codes <= {"SND605"}
    draft = make_draft()
    assert sum(f.points for f in findings(draft)) < 1.0


@pytest.mark.parametrize("code", sorted({r.code for r in all_rules()} - {"SND605"}))
def test_the_good_draft_fires_no_other_rule(code: str) -> None:
    assert code not in _lint({})


def test_attachments_over_ten_megabytes_are_an_error_with_a_cloud_link_fix() -> None:
    draft = make_draft(attachments=[("catalogue.pdf", "application/pdf", b"%PDF" * (3 * MB))])
    (finding,) = [f for f in findings(draft) if f.code == "ATT401"]
    assert finding.severity.value == "error"
    assert "cloud link" in finding.fix
    assert "12.0 MB" in finding.message
    assert "ATT402" not in {f.code for f in findings(draft)}  # the error replaces the warning


def test_phrase_weights_scale_the_points() -> None:
    weak = make_draft(text=body(PROSE + " No obligation."))
    strong = make_draft(
        text=body(
            PROSE + " No obligation. Refinance and consolidate debt now, "
            "bad credit welcome, work from home."
        )
    )

    def points(d: Draft) -> float:
        return sum(f.points for f in findings(d) if f.code == "TXT103")

    assert points(strong) > points(weak) > 0


def test_chinese_spam_and_urgency_phrases() -> None:
    draft = make_draft(text=body("限时优惠!免费送样品,紧急联系我们。"))
    found = codes(draft)
    assert {"TXT103", "TXT104"} <= found


def test_hidden_text_with_zero_font_size_is_hidden() -> None:
    draft = make_draft(
        html=html_body('<span style="font-size:0">viagra casino pills</span>', PROSE)
    )
    assert "STR503" in codes(draft)


def test_charset_problem_is_reported_not_raised() -> None:
    raw = (
        b"From: Li Wei <li.wei@hangzhou-valves.com>\r\nTo: anna@nordic-pumps.se\r\n"
        b"Subject: castings\r\nDate: Mon, 02 Jun 2025 10:00:00 +0000\r\n"
        b"Content-Type: text/plain; charset=x-no-such-charset\r\n\r\n"
        b"Hi Anna, we cast valve bodies. Reply 'no' and I won't write again.\r\n"
    )
    draft = Draft.from_message(email.message_from_bytes(raw), "raw.eml")
    assert "STR513" in codes(draft)
    assert "valve bodies" in draft.text


def test_ip_written_as_one_number_is_an_ip_link() -> None:
    draft = make_draft(html=html_body('<a href="http://3221225492/x">drawings</a>', PROSE))
    assert "LNK204" in codes(draft)


def test_embedded_base64_image_size_is_decoded_size() -> None:
    data = b"\x89PNG" + bytes(range(256)) * 5000
    draft = make_draft(attachments=[("photo.png", "image/png", data)])
    (image,) = draft.images
    assert image.size == len(data)
    assert base64.b64encode(data)  # sanity: the payload was base64 on the wire


def test_a_date_without_time_zone_is_invalid() -> None:
    # Built from bytes: EmailMessage itself would add "-0000" to the date.
    raw = make_message(drop=["Date"]).as_bytes()
    raw = b"Date: Sat, 14 Sep 2002 13:36:40\r\n" + raw
    draft = Draft.from_message(email.message_from_bytes(raw), "raw.eml")
    messages = [f.message for f in findings(draft) if f.code == "STR511"]
    assert messages and "no time zone" in messages[0]


def test_an_address_with_an_encoded_word_inside_is_an_invalid_from() -> None:
    raw = (
        b"From: =?iso-2022-jp?B?cml0ZTFAcmVzZXQuanA=?=@p6044.tokyo.example.ne.jp\r\n"
        b"Subject: hello\r\nDate: Tue, 10 Sep 2002 14:20:15 +0900\r\n\r\nHello there.\r\n"
    )
    draft = Draft.from_message(email.message_from_bytes(raw), "raw.eml")
    assert "SND612" in codes(draft)
    assert "SND612" not in codes(make_draft())


PREHEADER = '<div class="preheader" style="display:none">{}</div>'


def test_a_short_hidden_preview_line_first_in_the_body_is_a_preheader_not_hidden_text() -> None:
    html = f"<html><body>{PREHEADER.format('Samples of 304 valves, ready in May')}<p>Hi Anna,</p>"
    draft = make_draft(html=html + f"<p>{PROSE}</p></body></html>")
    assert "STR503" not in codes(draft)
    assert draft.html_view is not None
    assert draft.html_view.preheader_text == "Samples of 304 valves, ready in May"


def test_a_long_hidden_block_first_in_the_body_is_still_hidden_text() -> None:
    stuffing = "cheap pills casino winner lottery " * 6  # 204 characters, past any preview
    html = f"<html><body>{PREHEADER.format(stuffing)}<p>Hi Anna,</p><p>{PROSE}</p></body></html>"
    assert "STR503" in codes(make_draft(html=html))


def test_a_template_preheader_costs_no_points() -> None:
    from preflight.message import build_message
    from preflight.templates import RenderedMessage

    rendered = RenderedMessage(
        subject="Valve bodies for Nordlicht",
        text=GOOD_TEXT,
        html="<p>" + GOOD_TEXT.replace("\n\n", "</p><p>") + "</p>",
        headers={},
        personalization=Personalization(frozenset(), frozenset()),
        preheader="Samples of 304 valves, ready in May",
    )
    msg = build_message(rendered, from_addr="Li Wei <li@brightline.example>", to_addr="a@b.example")
    assert 'class="preheader"' in msg.get_body(("html",)).get_content()
    assert "STR503" not in codes(Draft.from_message(msg, "t.j2"))
