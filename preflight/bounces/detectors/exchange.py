"""Microsoft Exchange 2000/2003 and old Outlook gateways: "Your message ... did not reach the
following recipient(s): ADDRESS on DATE / reason / MSEXCH:... (code) text"."""

from __future__ import annotations

import re

from preflight.bounces.detectors.text import hinted_finding
from preflight.bounces.model import Finding
from preflight.bounces.parse import ADDRESS_RE, ParsedMessage

NAME = "exchange"

_INTRO = re.compile(
    r"did not reach the following recipient\(s\):|"
    r"the following recipient\(s\) could not be reached:",
    re.IGNORECASE,
)
_RECORD = re.compile(r"^\s*(\S+@\S+?)\s+on\s+\S.*$", re.IGNORECASE)
# Exchange's canned texts and internal codes.
_HINTS: tuple[tuple[str, str], ...] = (
    ("the recipient name is not recognized", "userunknown"),
    ("000c05a6", "userunknown"),
    ("unknown recipient", "userunknown"),
    ("the e-mail account does not exist", "userunknown"),
    ("recipient not found", "filtered"),
    ("000b099c", "mesgtoobig"),
    ("message size exceeds", "mesgtoobig"),
    (
        "the message could not be delivered because the recipient's destination email system "
        "is unknown",
        "hostunknown",
    ),
    ("could not deliver the message in the time limit", "expired"),
    ("the recipient's mailbox is full", "mailboxfull"),
)


def detect(parsed: ParsedMessage) -> list[Finding] | None:
    body = parsed.notice_body
    intro = _INTRO.search(body)
    if not intro:
        return None
    findings: list[Finding] = []
    current: tuple[str, list[str]] | None = None
    for line in body[intro.end() :].splitlines():
        match = _RECORD.match(line)
        addresses = ADDRESS_RE.findall(match.group(1)) if match else []
        if addresses:
            if current:
                findings.append(hinted_finding(*current, _HINTS))
            current = (addresses[0].lower(), [])
        elif current is not None and line.strip():
            current[1].append(line.strip())
    if current:
        findings.append(hinted_finding(*current, _HINTS))
    return findings or None
