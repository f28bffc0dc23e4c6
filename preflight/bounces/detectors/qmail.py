"""qmail (and its forks: netqmail, notqmail, vpopmail setups): "Hi. This is the qmail-send
program at ...", then one paragraph per recipient starting "<address>:"."""

from __future__ import annotations

import re

from preflight.bounces.detectors.text import hinted_finding
from preflight.bounces.model import Finding
from preflight.bounces.parse import ParsedMessage

NAME = "qmail"

_INTRO = re.compile(
    r"this is the qmail-send program|i'm afraid i wasn't able to deliver "
    r"your message to the following addresses",
    re.IGNORECASE,
)
_RECORD = re.compile(r"^<([^<>\s@]+@[^<>\s]+)>:\s*(.*)$")
# qmail's own canned texts name the reason better than its #x.y.z codes.
_HINTS: tuple[tuple[str, str], ...] = (
    ("couldn't find a mail exchanger or ip address", "notaccept"),
    ("couldn't find any host named", "hostunknown"),
    ("couldn't find any host by that name", "hostunknown"),
    ("wasn't able to establish an smtp connection", "networkerror"),
    ("unable to contact ldap server", "systemerror"),
    ("sorry, no mailbox here by that name", "userunknown"),
    ("connected but greeting failed", "networkerror"),
    ("connected but my connection was rejected", "blocked"),
)


def detect(parsed: ParsedMessage) -> list[Finding] | None:
    body = parsed.notice_body
    if not _INTRO.search(body[:2000]):
        return None
    findings: list[Finding] = []
    current: tuple[str, list[str]] | None = None
    for line in body.splitlines():
        match = _RECORD.match(line.strip())
        if match:
            if current:
                findings.append(hinted_finding(*current, _HINTS))
            current = (match.group(1).lower(), [match.group(2)])
        elif current is not None:
            if not line.strip() and len(current[1]) > 1:
                findings.append(hinted_finding(*current, _HINTS))
                current = None
            else:
                current[1].append(line.strip())
    if current:
        findings.append(hinted_finding(*current, _HINTS))
    return findings or None
