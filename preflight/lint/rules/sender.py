"""Sender and compliance rules (SND6xx): who the mail says it is from, and how to opt out."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from email.utils import getaddresses
from typing import Any

from preflight.draft import Draft, address_domain
from preflight.lint.model import Hit, Location, Rule, Severity
from preflight.lint.text import language_matcher, money_amounts, registered_domain, word_set

_FROM = Location(part="header", header="From")
_REPLY_TO = Location(part="header", header="Reply-To")
_ADDRESS_LIKE = re.compile(r"[^\s@]+@[^\s@]+\.[a-z]{2,}", re.I)
_DIGIT_TAIL = re.compile(r"\d{2,}@")
def _is_free(domain: str) -> bool:
    return domain in word_set("freemail.txt")


def _free_mail(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    if options["business"] and _is_free(draft.from_domain):
        yield Hit(f"sent from a free-mail address ({draft.from_domain})", _FROM)


def _free_mail_money(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    domains = {draft.from_domain, draft.reply_to_domain}
    free = [d for d in domains if d and _is_free(d)]
    if free and len(money_amounts(draft.all_text_lower)) >= options["min_amounts"]:
        yield Hit(f"money talk from a free-mail address ({free[0]})", _FROM)


def _free_mail_digits(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    for address, where in ((draft.from_addr, _FROM), (draft.reply_to, _REPLY_TO)):
        if _is_free(address_domain(address)) and _DIGIT_TAIL.search(address):
            yield Hit(f"free-mail address ending in digits: {address}", where)
            return


def _reply_to_other(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    reply_domain = draft.reply_to_domain
    if not reply_domain or not draft.from_domain:
        return
    if registered_domain(reply_domain) != registered_domain(draft.from_domain):
        yield Hit(f"Reply-To goes to {reply_domain}, From is {draft.from_domain}", _REPLY_TO)


def _reply_to_free(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    if _is_free(draft.reply_to_domain) and draft.reply_to.lower() != draft.from_addr.lower():
        yield Hit(f"replies go to another, free-mail address: {draft.reply_to}", _REPLY_TO)


def _name_shouting(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    name = draft.from_name
    letters = sum(1 for c in name if c.isascii() and c.isalpha())
    if any(c in name for c in "!$%") or (letters >= 6 and name.upper() == name):
        yield Hit(f'the display name reads like an advert: "{name}"', _FROM)


def _name_is_address(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    shown = _ADDRESS_LIKE.search(draft.from_name)
    if not shown:
        return
    address = shown.group(0).strip("<>\"'").lower()
    # A name that repeats the real address is merely redundant; another address on the same
    # domain is clumsy; an address on another domain poses as someone else.
    if address == draft.from_addr.lower():
        return
    same = registered_domain(address_domain(address)) == registered_domain(draft.from_domain)
    yield Hit(
        f'the display name is another address: "{draft.from_name}"'
        + (" (same domain)" if same else f" (the mail comes from {draft.from_addr})"),
        _FROM,
        scale=options["same_domain_scale"] if same else 1.0,
    )


def _no_unsubscribe(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    if "list-unsubscribe" in draft.headers:
        return
    tail = draft.all_text_lower[-options["tail_chars"] :]
    if not language_matcher("opt_out.txt", draft.languages, re.IGNORECASE).search(tail, tail):
        yield Hit(
            "no List-Unsubscribe header and no opt-out sentence", Location(part=draft.body_part)
        )


def _no_postal(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    tail = draft.all_text[-options["tail_chars"] :]  # the signature is last
    if language_matcher("postal.txt", draft.languages).search(tail, tail.lower()):
        return
    yield Hit("no postal address found", Location(part=draft.body_part))


def _many_recipients(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    # Bounded: a To line of thousands of addresses says enough in its first 5,000 characters.
    fields = [draft.headers.get("to", "")[:5000], draft.headers.get("cc", "")[:5000]]
    if sum(f.count("@") for f in fields) <= options["max_visible"]:
        return  # parsing addresses is slow; too few "@" to pass the limit anyway
    visible = [a for _, a in getaddresses(fields) if "@" in a]
    if len(visible) > options["max_visible"]:
        yield Hit(
            f"{len(visible)} recipients can see each other's addresses",
            Location(part="header", header="To"),
        )


def _no_display_name(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    if draft.from_addr and not draft.from_name:
        yield Hit(f"From is a bare address ({draft.from_addr}) with no name", _FROM)


_ADDR_SPEC = re.compile(
    r"^[^\s@<>()\[\],;:\"]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+)+$", re.I
)


def _invalid_from(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    raw = draft.headers.get("from", "").strip()
    if not raw:
        if not draft.is_template:  # a template's From is set when it is sent
            yield Hit("no From address", _FROM)
    elif not _ADDR_SPEC.match(draft.from_addr):
        yield Hit(f'the From header is not a valid address: "{raw[:60]}"', _FROM)


RULES = [
    Rule(
        "SND601",
        "from-free-mail",
        "From address on a free-mail domain.",
        1.1,
        Severity.WARNING,
        "Send business mail from an address on your company's domain.",
        _free_mail,
        {"business": True},
    ),
    Rule(
        "SND602",
        "reply-to-other-domain",
        "Reply-To on another domain than From.",
        0.1,
        Severity.WARNING,
        "Use a Reply-To on the same domain as From, or none.",
        _reply_to_other,
    ),
    Rule(
        "SND603",
        "from-name-is-address",
        "The From display name is another email address.",
        5.0,
        Severity.ERROR,
        "Use your name (and company) as the display name.",
        _name_is_address,
        {"same_domain_scale": 0.2},
    ),
    Rule(
        "SND604",
        "no-unsubscribe",
        "No List-Unsubscribe header and no opt-out sentence.",
        0.6,
        Severity.WARNING,
        "Add a line such as \"Not interested? Reply 'no' and I won't write again.\"",
        _no_unsubscribe,
        {"tail_chars": 3000},
    ),
    Rule(
        "SND605",
        "no-postal-address",
        "No postal address (CAN-SPAM asks for one).",
        0.1,
        Severity.INFO,
        "Put your company's postal address in the signature.",
        _no_postal,
        {"tail_chars": 800},
    ),
    Rule(
        "SND606",
        "free-mail-money",
        "Money talk from a free-mail From or Reply-To.",
        0.3,
        Severity.WARNING,
        "Talk money from your company's domain, if at all.",
        _free_mail_money,
        {"min_amounts": 2},
    ),
    Rule(
        "SND607",
        "free-mail-digits",
        "A free-mail From or Reply-To ending in digits.",
        0.3,
        Severity.WARNING,
        "Use a named address on your own domain.",
        _free_mail_digits,
    ),
    Rule(
        "SND608",
        "many-visible-recipients",
        "Many recipients in To/Cc see each other.",
        0.9,
        Severity.WARNING,
        "Send one message per recipient.",
        _many_recipients,
        {"max_visible": 5},
    ),
    Rule(
        "SND609",
        "from-no-display-name",
        "From is a bare address without a name.",
        1.3,
        Severity.WARNING,
        'Send as "Your Name <you@company.com>": people answer people.',
        _no_display_name,
    ),
    Rule(
        "SND610",
        "reply-to-free-mail",
        "Replies go to another, free-mail address.",
        0.5,
        Severity.WARNING,
        "Receive replies on your company's domain.",
        _reply_to_free,
    ),
    Rule(
        "SND611",
        "from-name-shouting",
        'Display name in capitals or with "!" or "$".',
        0.9,
        Severity.WARNING,
        "Use your own name as the display name.",
        _name_shouting,
    ),
    Rule(
        "SND612",
        "from-invalid",
        "The From header is missing or not a valid address.",
        2.0,
        Severity.ERROR,
        'Send from a plain "Your Name <you@company.com>" address.',
        _invalid_from,
    ),
]
