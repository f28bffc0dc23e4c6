"""Body text rules (TXT1xx): shouting, exclamation marks, spam wording, money, obfuscation.

Density rules report only past a threshold per amount of text, so one "FREE" in a long,
calm mail is not a finding.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from preflight.draft import Draft
from preflight.lint.model import Hit, Location, Rule, Severity
from preflight.lint.text import (
    Keyed,
    big_money,
    money_amounts,
    percent_offers,
    phrase_files,
    phrase_list,
)

_BANG_RUN = re.compile(r"[!！][!！]+")  # "{2,}" as it reads, but this lets re skip to a "!"
_SPACED_WORD = re.compile(
    r"(?<![\w.])(?:[A-Za-z][.\-_*]){3,}[A-Za-z]\b(?!\.\w)|"
    r"(?<!\S)(?:[A-Za-z] ){3,}[A-Za-z](?!\S)"
)
# Four letters with a separator between each: r"[a-z][.\-_* ][a-z]..." read from the first
# separator (looking back for the letter), as a letter starts nearly every position of a text.
_SPACED_HINT = re.compile(r"[.\-_* ](?<=[a-z].)[a-z][.\-_* ][a-z][.\-_* ][a-z]")
_FORM_FIELD = re.compile(
    r"(?:full\s+)?(?:name|address|city|state|zip(?:\s*code)?|phone|tel(?:ephone)?|fax|"
    r"e-?mail(?:\s+address)?|country|age|occupation|date of birth|ssn|social security|"
    r"credit card|card number|bank|account(?: number)?)[ \t]*[:_]"
)
# First words a form field line can start with: str.startswith(tuple) picks the few lines
# worth a regex match.
_FIELD_STARTS = (
    "full",
    "name",
    "address",
    "city",
    "state",
    "zip",
    "phone",
    "tel",
    "fax",
    "e-mail",
    "email",
    "country",
    "age",
    "occupation",
    "date of birth",
    "ssn",
    "social",
    "credit",
    "card",
    "bank",
    "account",
)
_FIELD_MARK = re.compile(r"[:_]")
_FORM_REQUEST_PAIRS = (
    (
        "form",
        r"\bfill\s+(?:out|in)\s+(?:the|this|our)\b.{0,30}?\bform"
        r"|complete\s+(?:the|this)\s+form",
    ),
    *(
        (
            key,  # the request's rarest words guard its regex
            r"\b(?:send|provide|give|forward)\s+(?:us|me)\s+(?:your|with\s+your)\s+"
            r"(?:full\s+)?(?:name|address|phone|bank|account|details|information|personal)",
        )
        for key in ("us your", "me your", "with your")
    ),
)
_FORM_REQUEST = Keyed(*_FORM_REQUEST_PAIRS)
_SYMBOL_RUNS = ("$$", "***", "€€", "££", "¥¥")
_GUARANTEED_PAIRS = (("guarantee", r"\bguarantee[ds]?\s*!|\b100\s?%\s+guarantee"),)
_GUARANTEED = Keyed(*_GUARANTEED_PAIRS)
_OPT_OUT_PAIRS = (
    (
        "remov",
        r"to\s+be\s+removed\s+from|remove\s+me\b|removal\s+(?:instructions|request)"
        r"|(?:reply|respond|e-?mail|send)\b.{0,40}\bwith\s+[\"']?remove\b"
        r"|[\"']remove[\"']\s+in\s+the\s+subject",
    ),
    ("one", r"this\s+(?:is\s+)?(?:a\s+)?one[- ]time\s+mailing"),
    (
        "again",
        r"(?:you|your\s+(?:e-?mail|address))\s+(?:will\s+)?(?:not\s+)?be\s+"
        r"(?:contacted|mailed)\s+again",
    ),
    ("never receive", r"never\s+receive\s+(?:another|any\s+(?:more|further))"),
    ("future", r"future\s+(?:mailings|e-?mails|offers|promotions)"),
    ("opt", r"opt(?:ed)?[- ]in\b.{0,40}\blist"),
)
_OPT_OUT_SPAM = Keyed(*_OPT_OUT_PAIRS)


def _where(draft: Draft, offset: int | None = None) -> Location:
    part = draft.body_part
    if offset is None or part != "text":
        return Location(part=part)
    return Location(part=part, line=draft.line_of(draft.text, offset))


def _caps(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    shapes = draft.word_shapes
    if shapes.words < options["min_words"]:
        return
    share = shapes.capitals / shapes.words
    if options["max_share"] <= share < options["shouting_share"]:
        yield Hit(f"{share:.0%} of the words are in capitals", _where(draft))


def _shouting(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    shapes = draft.word_shapes
    if shapes.words >= options["min_words"] and shapes.capitals / shapes.words >= options["share"]:
        yield Hit(
            f"shouting: {shapes.capitals / shapes.words:.0%} of the words are in capitals",
            _where(draft),
        )


def _exclamations(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    body = draft.body
    count = body.count("!") + body.count("！")
    runs = _BANG_RUN.findall(body) if count >= 2 else []  # a run is two marks or more
    per_100 = 100 * count / max(len(draft.body_words), 1)
    if runs and len(runs) >= options["min_runs"]:
        first = _BANG_RUN.search(body)
        yield Hit(
            f'{len(runs)} runs of exclamation marks such as "{runs[0]}"',
            _where(draft, first.start() if first else None),
            scale=1.0,
        )
    elif count >= 3 and per_100 > options["max_per_100_words"]:
        yield Hit(f"{count} exclamation marks ({per_100:.1f} per 100 words)", _where(draft))


def _phrase_rule(kind: str, what: str) -> Callable[[Draft, Mapping[str, Any]], Iterator[Hit]]:
    """Phrases of ``{kind}_{language}.txt`` for the draft's languages (and English)."""

    def check(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
        text = draft.all_text
        found = phrase_list(*phrase_files(kind, draft.languages)).find(text, draft.all_text_lower)
        weight = sum(h.weight for h in found)
        if not found or weight < options["min_weight"]:
            return
        listed = ", ".join(f'"{h.phrase}"' for h in found)
        # A pile of phrases in a short mail is severe; as many spread over a long newsletter
        # are not: past the density (weight per 100 words) the cap rises.
        density = 100 * weight / max(draft.word_count, 1)
        cap = (
            options["max_scale"] if density >= options["dense_per_100"] else options["sparse_scale"]
        )
        scale = min(weight, cap)
        offset = found[0].offset if found[0].offset < len(draft.text) else None
        yield Hit(f"{what}: {listed}", _where(draft, offset), scale=scale)

    return check


def _money(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    text = draft.all_text_lower
    amounts = money_amounts(text)
    big = big_money(text)
    if len(amounts) >= options["min_amounts"] or len(big) >= options["min_big"]:
        scale = 2.0 if len(big) >= 2 * options["min_big"] else 1.0
        yield Hit(f"{len(amounts)} money amounts ({len(big)} large)", _where(draft), scale=scale)


def _percent(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    found = percent_offers(draft.all_text_lower)
    if found:
        yield Hit(f'percent-off offers such as "{found[0].strip()}"', _where(draft))


def _obfuscation(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    if not _SPACED_HINT.search(draft.all_text_lower):
        return  # the cheap pattern rules out nearly every text before the precise one runs
    spaced = _SPACED_WORD.findall(draft.all_text)
    if len(spaced) >= options["min_words"]:
        yield Hit(f'words spelt apart to dodge filters, such as "{spaced[0]}"', _where(draft))


def _entities(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    view = draft.html_view
    if view and view.ascii_entities >= options["min_entities"]:
        yield Hit(
            f"{view.ascii_entities} plain letters written as HTML entities (&#72;)",
            Location(part="html"),
        )


def _form(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    text = draft.all_text_lower
    if _form_fields(text, options["min_fields"]) >= options["min_fields"] or (
        _FORM_REQUEST.search(text)
    ):
        yield Hit("asks the reader to fill in personal details", _where(draft))


def _form_fields(text: str, enough: int) -> int:
    """Lines that open with a form field ("Name:", "Phone ___"), counted up to ``enough``.

    A field ends in ":" or "_", so only the lines holding one are looked at: re skips to
    them, where splitting the text into lines cost more than the checks.
    """
    fields, at = 0, 0
    while fields < enough and (mark := _FIELD_MARK.search(text, at)):
        start = text.rfind("\n", 0, mark.start()) + 1
        end = text.find("\n", mark.start())
        end = len(text) if end < 0 else end
        line = text[start:end].lstrip(" \t")
        if line.startswith(_FIELD_STARTS) and _FORM_FIELD.match(line):
            fields += 1
        at = end + 1
    return fields


def _guaranteed(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    match = _GUARANTEED.search(draft.all_text_lower)
    if match:
        yield Hit(f'emphatic guarantee: "{match.group(0)}"', _where(draft))


def _spammy_opt_out(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    match = _OPT_OUT_SPAM.search(draft.all_text_lower)
    if match:
        phrase = " ".join(match.group(0).split())
        yield Hit(f'opt-out wording typical of bulk spam: "{phrase}"', _where(draft))
    elif mailto := _mailto_remove(draft):
        yield Hit(f"opt-out by mailing a remove address ({mailto})", Location(part="html"))


def _title_case(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    if "de" in draft.languages:
        return  # German capitalises every noun: that is grammar, not advert copy
    shapes = draft.word_shapes
    if shapes.long_words < options["min_words"]:
        return
    share = shapes.capitalised / shapes.long_words
    if share >= options["max_share"]:
        yield Hit(f"{share:.0%} of the words are Capitalised Like An Advert", _where(draft))


def _symbol_runs(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    text = draft.all_text
    for run in _SYMBOL_RUNS:
        if run in text:
            yield Hit(f'decorative symbol runs such as "{run}"', _where(draft))
            return


def _mailto_remove(draft: Draft) -> str | None:
    for link in draft.links:
        href = link.href.lower()
        if href.startswith("mailto:") and ("remove" in href or "unsub" in href):
            return href[:60]
    return None


RULES = [
    Rule(
        "TXT101",
        "text-all-caps",
        "Too many words in capitals.",
        0.7,
        Severity.WARNING,
        "Write in sentence case; emphasise with words, not capitals.",
        _caps,
        {"min_words": 20, "max_share": 0.2, "shouting_share": 0.5},
    ),
    Rule(
        "TXT102",
        "text-exclamation",
        "Runs of exclamation marks, or too many of them.",
        0.6,
        Severity.WARNING,
        "Use full stops; one exclamation mark at most.",
        _exclamations,
        {"min_runs": 1, "max_per_100_words": 1.0},
    ),
    Rule(
        "TXT103",
        "text-spam-phrase",
        "Spam-trigger phrases in the draft's language (and English), weighted.",
        0.8,
        Severity.WARNING,
        "Rephrase sales slogans as plain statements of what you offer.",
        _phrase_rule("spam", "spam-trigger phrases"),
        {"min_weight": 1.0, "max_scale": 6.25, "sparse_scale": 2.6, "dense_per_100": 3.0},
    ),
    Rule(
        "TXT104",
        "text-urgency-phrase",
        "Pressure and urgency phrases in the draft's language (and English), weighted.",
        0.2,
        Severity.WARNING,
        "Drop deadlines and pressure; give the reader a reason instead.",
        _phrase_rule("urgency", "urgency phrases"),
        {"min_weight": 1.0, "max_scale": 4.0, "sparse_scale": 4.0, "dense_per_100": 3.0},
    ),
    Rule(
        "TXT105",
        "text-money",
        "Many money amounts or large sums.",
        0.2,
        Severity.WARNING,
        "Mention a price once, if at all, and never large sums.",
        _money,
        {"min_amounts": 4, "min_big": 2},
    ),
    Rule(
        "TXT106",
        "text-percent-off",
        "Percent-off or savings claims.",
        0.2,
        Severity.WARNING,
        "Describe the value of the offer instead of a percentage.",
        _percent,
    ),
    Rule(
        "TXT107",
        "text-obfuscated-words",
        "Words spelt apart (F.R.E.E, f r e e).",
        0.2,
        Severity.WARNING,
        "Write words normally; filters read spaced-out words anyway.",
        _obfuscation,
        {"min_words": 1},
    ),
    Rule(
        "TXT108",
        "text-html-entities",
        "Plain letters written as HTML entities.",
        0.1,
        Severity.WARNING,
        "Type the letters; entities for ASCII look like filter evasion.",
        _entities,
        {"min_entities": 10},
    ),
    Rule(
        "TXT109",
        "text-form-request",
        "Asks the reader to fill in personal details.",
        1.0,
        Severity.WARNING,
        "Ask for a reply instead of personal data or a form.",
        _form,
        {"min_fields": 3},
    ),
    Rule(
        "TXT110",
        "text-guaranteed",
        'Emphatic guarantees ("guaranteed!").',
        0.5,
        Severity.WARNING,
        "State what you guarantee and on what terms, calmly.",
        _guaranteed,
    ),
    Rule(
        "TXT111",
        "text-spammy-opt-out",
        "Opt-out wording typical of bulk spam.",
        0.7,
        Severity.WARNING,
        "Offer a plain \"reply 'no thanks' and I won't write again\" or an unsubscribe link.",
        _spammy_opt_out,
    ),
    Rule(
        "TXT112",
        "text-title-case",
        "Many words Capitalised Like Advert Copy.",
        0.2,
        Severity.INFO,
        "Write sentences, not headlines.",
        _title_case,
        {"min_words": 20, "max_share": 0.35},
    ),
    Rule(
        "TXT114",
        "text-shouting",
        "Most of the words are in capitals.",
        5.0,
        Severity.ERROR,
        "Write in sentence case; a mail in capitals reads as shouting and as spam.",
        _shouting,
        {"min_words": 20, "share": 0.5},
    ),
    Rule(
        "TXT113",
        "text-symbol-runs",
        'Decorations like "$$$" or "*****".',
        0.2,
        Severity.WARNING,
        "Remove decorative symbols; they read as an advert.",
        _symbol_runs,
    ),
]
