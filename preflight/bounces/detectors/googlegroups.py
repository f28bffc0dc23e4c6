"""Google Groups: a post to a group that does not exist or does not take the sender's mail.

The notice is written in the sender's language, so only its structure is read: it comes from
Google's mail system, names the group in X-Failed-Recipients and links to Google Groups help.
"""

from __future__ import annotations

from preflight.bounces.detectors.text import failed_recipients
from preflight.bounces.model import Finding
from preflight.bounces.parse import ParsedMessage

NAME = "googlegroups"


def detect(parsed: ParsedMessage) -> list[Finding] | None:
    if parsed.report or "groups.google.com" not in parsed.notice_body:
        return None
    if "google" not in parsed.sender.lower():
        return None
    recipients = failed_recipients(parsed)
    if not recipients:
        return None
    text = " ".join(parsed.notice_body.split())[:600]
    return [Finding(recipient=r, reason="rejected", diagnostic=text) for r in recipients]
