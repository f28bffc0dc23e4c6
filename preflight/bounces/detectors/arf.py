"""ARF complaint reports (RFC 5965, message/feedback-report): a recipient marked us as spam."""

from __future__ import annotations

import re

from preflight.bounces.model import Finding
from preflight.bounces.parse import ADDRESS_RE, ParsedMessage, parse_fields

NAME = "arf"


def detect(parsed: ParsedMessage) -> list[Finding] | None:
    is_report = parsed.report_type == "feedback-report" or bool(parsed.feedback)
    if not is_report:
        return None
    fields: dict[str, str] = {}
    for block in parse_fields(parsed.feedback or parsed.notice):
        for key, value in block.items():
            fields.setdefault(key, value)
    # The complaining address: the report names it (once per recipient), else the original
    # message's To. (Removal-Recipient is an opt-out request, not the complainer.)
    listed = re.findall(
        r"^Original-Rcpt-To:[ \t]*(.+)$",
        parsed.feedback or parsed.notice,
        re.IGNORECASE | re.MULTILINE,
    )
    candidates = [" ".join(listed), parsed.original_headers.get("to", "")]
    recipients: list[str] = []
    for value in candidates:
        for address in ADDRESS_RE.findall(value):
            if address.lower() not in recipients:
                recipients.append(address.lower())
        if recipients:
            break
    diagnostic = fields.get("feedback-type", "abuse")
    if not recipients:
        return [Finding(recipient=None, reason="feedback", diagnostic=diagnostic)]
    return [Finding(recipient=r, reason="feedback", diagnostic=diagnostic) for r in recipients]
