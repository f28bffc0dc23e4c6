"""Link rules (LNK2xx): how many, where they point, and whether they say where they point."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping
from typing import Any

from preflight.draft import Draft, Link
from preflight.lint.model import Hit, Location, Rule, Severity
from preflight.lint.text import opens_like_letter, registered_domain, url_host, word_set

_WEB = re.compile(r"^(?:https?://|www\.)", re.I)
_DOMAIN_IN_TEXT = re.compile(r"(?:https?://)?((?:[a-z0-9-]+\.)+[a-z]{2,})(?:[/:?#]|$)", re.I)
_AUTHORITY = re.compile(r"^[a-z][a-z0-9+.-]*://([^/?#]*)", re.I)


def _web_links(draft: Draft) -> list[Link]:
    """Web links, one per target: the text and HTML twins of a link count once."""
    return draft.unique_web_links


def _listed(items: list[str], limit: int = 20) -> str:
    """Every offending item (up to ``limit``, then how many more)."""
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _where(link: Link) -> Location:
    return Location(part=link.part, line=link.line)


def _count(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    links = _web_links(draft)
    per_100 = 100 * len(links) / max(draft.word_count, 1)
    if len(links) > options["max_links"]:
        yield Hit(
            f"{len(links)} links (more than {options['max_links']})", Location(part=links[0].part)
        )
    elif len(links) >= 3 and per_100 > options["max_per_100_words"]:
        yield Hit(
            f"{len(links)} links in {draft.word_count} words ({per_100:.1f} per 100)",
            Location(part=links[0].part),
        )


def _first_contact(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    if not draft.is_first_contact(options["first_contact"]):
        return
    links = _web_links(draft)
    if links:
        yield Hit(f"a first-contact mail with {len(links)} link(s)", _where(links[0]))


def _many_first_contact(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    if not draft.is_first_contact(options["first_contact"]):
        return
    links = _web_links(draft)
    # A letter to someone new (it opens with a salutation) with a page of links; newsletters
    # carry as many links but are not first contacts.
    if len(links) >= options["min_links"] and opens_like_letter(draft.body):
        yield Hit(
            f"a first-contact letter with {len(links)} links (a first mail needs none)",
            _where(links[0]),
        )


def _shortener(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    shorteners = word_set("shorteners.txt")
    found = [
        link
        for link in _web_links(draft)
        if (host := url_host(link.href)) in shorteners or host.removeprefix("www.") in shorteners
    ]
    if found:
        urls = _listed([link.href[:80] for link in found])
        yield Hit(f"{len(found)} link(s) through URL shorteners: {urls}", _where(found[0]))


def _is_ip(host: str) -> bool:
    if not (host[:1].isdigit() or host.startswith("[")):
        return False  # every IP form starts with a digit (or "[" for IPv6)
    if host.isdigit() or re.fullmatch(r"0x[0-9a-f]+", host):
        return True  # http://3232235777/ is an address written as one number
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _ip_link(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    found = list(
        dict.fromkeys(
            host for link in draft.links if (host := url_host(link.href)) and _is_ip(host)
        )
    )
    if found:
        first = next(link for link in draft.links if url_host(link.href) == found[0])
        yield Hit(f"link(s) to a bare IP address: {_listed(found)}", _where(first))


def _text_domain(text: str) -> str | None:
    text = text.strip()
    if " " in text or not text:
        return None
    match = _DOMAIN_IN_TEXT.match(text)
    return match.group(1).lower() if match else None


# Click-tracking redirects: the newsletter's tracker stands between the text and the target.
_TRACKER = re.compile(
    r"click|track|redirect|redir|/t/\d|[?&](?:dest)?url=|[?&]u=http|/ct\?|/go/to|/r/\d", re.I
)


def _mismatch(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    found: list[tuple[Link, str, str, bool]] = []
    seen: set[tuple[str, str]] = set()
    for link in draft.links:
        shown = _text_domain(link.text)
        target = url_host(link.href)
        if not shown or not target or shown.rsplit(".", 1)[-1] in ("html", "htm", "php"):
            continue
        if registered_domain(shown) != registered_domain(target) and (shown, target) not in seen:
            seen.add((shown, target))
            found.append((link, shown, target, bool(_TRACKER.search(link.href))))
    if not found:
        return
    listed = _listed([f'"{shown}" goes to {target}' for _, shown, target, _ in found])
    if all(tracked for *_, tracked in found):
        # Deceptive in shape, but the target is the sender's click tracker: still a tracked
        # link, which a cold mail should not have, yet no phishing.
        yield Hit(
            f"link text shows another domain than its target (click tracking): {listed}",
            _where(found[0][0]),
            scale=options["tracker_scale"],
        )
    else:
        yield Hit(f"link text shows another domain than its target: {listed}", _where(found[0][0]))


def _scheme_mismatch(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    for link in draft.links:
        text = link.text.strip().lower()
        href = link.href.strip().lower()
        if text.startswith("https://") and href.startswith("http://"):
            yield Hit("link text says https:// but the link is plain http://", _where(link))
            return
        if options["flag_plain_http"] and href.startswith("http://"):
            yield Hit("link uses plain http://", _where(link))
            return


def _many_domains(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    domains = {registered_domain(h) for link in _web_links(draft) if (h := url_host(link.href))}
    if len(domains) > options["max_domains"]:
        yield Hit(f"links to {len(domains)} different domains", Location(part="body"))


def _mixed_case(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    view = draft.html_view
    odd_hosts = [
        link
        for link in draft.links
        if (m := _AUTHORITY.match(link.href.strip()))
        and (host := m.group(1)) != host.lower()
        and host != host.upper()
    ]
    if (view and view.mixed_case_href) or odd_hosts:
        yield Hit("href or host written in mixed case (a bulk-mailer trait)", Location(part="html"))


def _obscured(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    for link in _web_links(draft):
        match = _AUTHORITY.match(link.href.strip())
        authority = match.group(1) if match else ""
        if "@" in authority or "%" in authority:
            yield Hit("link hides its real host (user@host or %-encoding)", _where(link))
            return


_GENERIC_TEXT = frozenset(
    {
        "click here",
        "here",
        "click",
        "click here!",
        "click now",
        "link",
        "this link",
        "click this link",
        "go",
        "enter",
        "点击这里",
        "点击",
    }
)


def _generic_text(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    for link in draft.links:
        if " ".join(link.text.lower().split()).strip(" .!>:") in _GENERIC_TEXT:
            yield Hit(
                f'link text "{link.text.strip()}" says nothing about where it goes', _where(link)
            )
            return


RULES = [
    Rule(
        "LNK201",
        "link-count",
        "Too many links, or too many for the amount of text.",
        0.1,
        Severity.WARNING,
        "Keep one or two links that matter.",
        _count,
        {"max_links": 10, "max_per_100_words": 3.0},
    ),
    Rule(
        "LNK202",
        "link-first-contact",
        "Links in a first-contact mail.",
        0.1,
        Severity.INFO,
        "Send the first mail without links; offer them once they reply.",
        _first_contact,
        {"first_contact": True},
    ),
    Rule(
        "LNK211",
        "link-many-first-contact",
        "A first-contact letter with 15 or more links.",
        5.0,
        Severity.ERROR,
        "Send the first mail without links; one question, and links once they reply.",
        _many_first_contact,
        {"first_contact": True, "min_links": 15},
    ),
    Rule(
        "LNK203",
        "link-shortener",
        "Links through a URL shortener.",
        5.0,
        Severity.WARNING,
        "Link to your own domain in full; shorteners hide the target.",
        _shortener,
    ),
    Rule(
        "LNK204",
        "link-ip-address",
        "Links to a bare IP address.",
        5.0,
        Severity.ERROR,
        "Link to a domain name you own.",
        _ip_link,
    ),
    Rule(
        "LNK205",
        "link-text-domain-mismatch",
        "Link text shows another domain than its target (milder via a click tracker).",
        5.0,
        Severity.ERROR,
        "Make the visible address the one the link goes to.",
        _mismatch,
        {"tracker_scale": 0.3},
    ),
    Rule(
        "LNK206",
        "link-scheme-mismatch",
        "Link text says https:// but the link is http://.",
        0.5,
        Severity.WARNING,
        "Use https:// links that match their text.",
        _scheme_mismatch,
        {"flag_plain_http": False},
    ),
    Rule(
        "LNK207",
        "link-many-domains",
        "Links to many different domains.",
        0.1,
        Severity.WARNING,
        "Link to your own domain only.",
        _many_domains,
        {"max_domains": 4},
    ),
    Rule(
        "LNK208",
        "link-mixed-case",
        "href or link host in mixed case.",
        0.1,
        Severity.WARNING,
        "Write links in lower case as your mail tool produces them.",
        _mixed_case,
    ),
    Rule(
        "LNK209",
        "link-obscured-host",
        "A link hides its host behind user@ or %-encoding.",
        0.5,
        Severity.ERROR,
        "Use a plain https://your-domain/ link.",
        _obscured,
    ),
    Rule(
        "LNK210",
        "link-generic-text",
        'Link text like "click here" instead of a description.',
        0.2,
        Severity.WARNING,
        "Let the link text say what the reader gets.",
        _generic_text,
    ),
]
