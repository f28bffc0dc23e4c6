"""Subject rules (SUB0xx): the first thing a filter and a reader judge."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from preflight.draft import REPLY_PREFIX, Draft
from preflight.lint.model import Hit, Location, Rule, Severity
from preflight.lint.text import (
    is_shouting,
    money_amounts,
    opens_like_letter,
    percent_offers,
    phrase_files,
    phrase_list,
)

SUBJECT = Location(part="header", header="Subject")
_AD_LABEL = re.compile(r"^\W*(?:adv|ad|advert|advertisement|广告|ＡＤ)\b\W", re.I)
_YEAR_END = re.compile(r"(?<!\w)(?:19|20)\d\d\s*$")  # "Price list 2025" is no tracking code
_TRAILING_ID = re.compile(r"\s{3,}[\w\-#.]{3,}\s*$|\s[\[(]?[a-z]*\d{3,}[a-z\d]*[\])]?\s*$", re.I)


def _missing(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    if not draft.subject:
        yield Hit("the subject is empty", SUBJECT)


def _too_long(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    length = len(draft.subject)
    if length > options["max_chars"]:
        yield Hit(f"the subject is {length} characters (over {options['max_chars']})", SUBJECT)


def _all_caps(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    if is_shouting(draft.subject, options["min_letters"]):
        yield Hit("the subject is written in capitals", SUBJECT)


def _exclamation(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    subject = draft.subject
    if "!?" in subject or "?!" in subject:
        yield Hit('the subject contains "!?"', SUBJECT, scale=1.5)
    elif "!!" in subject:
        yield Hit("the subject has a run of exclamation marks", SUBJECT, scale=1.5)
    elif "!" in subject or "！" in subject:
        yield Hit("the subject contains an exclamation mark", SUBJECT)


def _phrases(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    languages = draft.languages
    files = phrase_files("spam", languages) + phrase_files("urgency", languages)
    found = phrase_list(*files).find(draft.subject)
    if found:
        listed = ", ".join(f'"{h.phrase}"' for h in found[:3])
        weight = min(sum(h.weight for h in found), options["max_scale"])
        yield Hit(f"the subject uses spam-trigger wording: {listed}", SUBJECT, scale=weight)


def _fake_reply(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    if not REPLY_PREFIX.match(draft.subject):
        return
    if not draft.is_first_contact() or draft.quoted_lines or (
        draft.html_view and draft.html_view.quoted
    ):
        return  # a real reply: it is threaded, a follow-up step, or quotes what it answers
    # A "reply" that opens like a letter to someone new is a first contact in disguise.
    letter = options["first_contact"] and opens_like_letter(draft.body)
    yield Hit(
        "the subject starts like a reply or forward, but nothing is answered "
        "(no In-Reply-To or References, no quoted text)",
        SUBJECT,
        scale=options["letter_scale"] if letter else 1.0,
    )


_SUBJECT_SYMBOLS = ("$$", "€€", "££", "¥¥")


def _money(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    subject = draft.subject.lower()
    signals = [
        kind
        for kind, present in (
            ("an amount", bool(money_amounts(subject))),
            ("a percent-off", bool(percent_offers(subject))),
            ('"$$$"-style symbols', any(run in subject for run in _SUBJECT_SYMBOLS)),
        )
        if present
    ]
    if signals:
        # Each kind of money shout adds up: "SAVE 70% $$$ $99" is the archetype of a price mail.
        yield Hit(f"the subject talks money: {', '.join(signals)}", SUBJECT, scale=len(signals))


def _tracking_tail(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    if _TRAILING_ID.search(draft.subject) and not _YEAR_END.search(draft.subject):
        yield Hit("the subject ends in a code or a run of spaces and a token", SUBJECT)


def _ad_label(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    if _AD_LABEL.match(draft.subject):
        yield Hit("the subject is labelled as an advertisement", SUBJECT)


RULES = [
    Rule(
        "SUB001",
        "subject-missing",
        "The subject is empty.",
        1.5,
        Severity.ERROR,
        "Write a short, specific subject that says why you are writing.",
        _missing,
    ),
    Rule(
        "SUB002",
        "subject-too-long",
        "The subject is longer than a phone shows.",
        0.1,
        Severity.WARNING,
        "Keep the subject under about 60 characters.",
        _too_long,
        {"max_chars": 78},
    ),
    Rule(
        "SUB003",
        "subject-all-caps",
        "The subject is in capitals.",
        0.7,
        Severity.WARNING,
        "Write the subject in sentence case.",
        _all_caps,
        {"min_letters": 6},
    ),
    Rule(
        "SUB004",
        "subject-exclamation",
        'The subject has "!", "!!" or "!?".',
        0.7,
        Severity.WARNING,
        "Drop the exclamation marks from the subject.",
        _exclamation,
    ),
    Rule(
        "SUB005",
        "subject-spam-phrase",
        "The subject uses spam or urgency phrases.",
        0.9,
        Severity.WARNING,
        "Say plainly what the mail is about, without sales slogans.",
        _phrases,
        {"max_scale": 3.0},
    ),
    Rule(
        "SUB006",
        "subject-fake-reply",
        'A "RE:" or "FW:" subject on a mail that answers nothing (a letter: severe).',
        1.0,
        Severity.WARNING,
        'Remove "RE:"/"FW:": a first contact is not a reply.',
        _fake_reply,
        {"first_contact": True, "letter_scale": 5.0},
    ),
    Rule(
        "SUB007",
        "subject-money",
        "The subject mentions money amounts, percent-off or $$$ (each kind adds).",
        1.7,
        Severity.WARNING,
        "Leave prices and discounts for the body, if at all.",
        _money,
    ),
    Rule(
        "SUB008",
        "subject-tracking-tail",
        "The subject ends in a random-looking code.",
        0.8,
        Severity.WARNING,
        "Remove tracking codes and padding from the subject.",
        _tracking_tail,
    ),
    Rule(
        "SUB009",
        "subject-ad-label",
        'The subject is labelled "ADV:" or "[AD]".',
        0.6,
        Severity.WARNING,
        "Write to one person about one thing; then it is not an ad.",
        _ad_label,
    ),
]
