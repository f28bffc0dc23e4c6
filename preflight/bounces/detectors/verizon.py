"""Verizon Wireless MMS gateway (vzwpix.com / vtext.com): "Message could not be delivered to
mobile." and "Error: No valid recipients for this MM"; the address is the original To."""

from __future__ import annotations

from preflight.bounces.model import Finding
from preflight.bounces.parse import ADDRESS_RE, ParsedMessage

NAME = "verizon"

# The gateway's own texts.
_USERUNKNOWN = (
    "No valid recipients for this MM",
    "550 - Requested action not taken: no such user here",
)


def detect(parsed: ParsedMessage) -> list[Finding] | None:
    body = parsed.notice
    sender = parsed.sender.lower()
    if "vzwpix.com" not in sender and "vtext.com" not in sender:
        return None
    error = next((line.strip() for line in body.splitlines() if line.startswith("Error:")), "")
    to_line = next((line for line in body.splitlines() if line.startswith("To:")), "")
    recipients = [a.lower() for a in ADDRESS_RE.findall(to_line)]
    recipients = recipients or [
        a.lower() for a in ADDRESS_RE.findall(parsed.original_headers.get("to", ""))
    ]
    if not recipients:
        return None
    reason = "userunknown" if any(p in body for p in _USERUNKNOWN) else None
    return [Finding(recipient=recipients[0], diagnostic=error, reason=reason)]
