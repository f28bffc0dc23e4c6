"""HCL (Lotus) Domino and Lotus Notes: "Your message ... was not delivered to: ADDRESS
because: REASON", or "------- Failure Reasons --------" then the reason and the address."""

from __future__ import annotations

import re

from preflight.bounces.model import Finding
from preflight.bounces.parse import ADDRESS_RE, ParsedMessage

NAME = "lotus"

# [ \t] rather than \s: \s also matches newlines, which makes the search quadratic on a
# message of blank lines.
_DOMINO = re.compile(r"^[ \t]*was not delivered to:[ \t]*$", re.MULTILINE)
_NOTES = re.compile(r"^-+\s+Failure Reasons\s+-+\s*$", re.MULTILINE)


def detect(parsed: ParsedMessage) -> list[Finding] | None:
    body = parsed.notice_body
    domino = _DOMINO.search(body)
    if domino and body.lstrip().startswith("Your message"):
        return _domino(body[domino.end() :])
    notes = _NOTES.search(body)
    if notes:
        return _notes(body[notes.end() :], parsed)
    return None


def _domino(rest: str) -> list[Finding] | None:
    head, _, reason_part = rest.partition("because:")
    recipients = [a.lower() for a in ADDRESS_RE.findall(head)]
    if not recipients:
        return None
    lines = [line.strip() for line in reason_part.splitlines()]
    text = " ".join(" ".join(lines[:6]).split())
    return [Finding(recipient=r, diagnostic=text) for r in dict.fromkeys(recipients)]


def _notes(rest: str, parsed: ParsedMessage) -> list[Finding] | None:
    reason_lines: list[str] = []
    recipients: list[str] = []
    for line in rest.splitlines():
        found = ADDRESS_RE.findall(line)
        if found:
            recipients.extend(a.lower() for a in found)
        elif line.strip() and not recipients:
            reason_lines.append(line.strip())
        elif recipients and line.strip().startswith("-"):
            break
    if not recipients:
        recipients = [a.lower() for a in ADDRESS_RE.findall(parsed.original_headers.get("to", ""))]
    if not recipients:
        return None
    text = " ".join(" ".join(reason_lines).split())
    return [Finding(recipient=r, diagnostic=text) for r in dict.fromkeys(recipients)]
