"""The last resort: any notice that names addresses next to an error text."""

from __future__ import annotations

import re

from preflight.bounces.detectors.text import (
    candidate_recipients,
    failed_recipients,
    findings_for,
)
from preflight.bounces.model import Finding
from preflight.bounces.parse import ADDRESS_RE, ParsedMessage

NAME = "generic"


_BOUNCE_SUBJECT = re.compile(
    r"undeliver|deliver(?:y|ed)? (?:status|fail|notification|report|error|problem)|"
    r"returned mail|failure notice|mail (?:delivery )?(?:system error|failed|failure)|"
    r"not delivered|non-?deliver|rejected|bounce|could not (?:be )?deliver|warning|"
    r"delay|error|loop|nicht zustellbar|retour|退信|未送達|エラー|失败|失敗",
    re.IGNORECASE,
)
_SYSTEM_SENDER = re.compile(
    r"mailer-daemon|postmaster|mail delivery|mdaemon|daemon@", re.IGNORECASE
)


def looks_like_bounce(parsed: ParsedMessage) -> bool:
    """A notice from a mail system (not a person's message) about a delivery."""
    return bool(
        _SYSTEM_SENDER.search(parsed.sender)
        or _BOUNCE_SUBJECT.search(parsed.subject)
        or parsed.header("X-Failed-Recipients")
        or parsed.header("Return-Path").strip() == "<>"
    )


# "<user@example.org>: host mx.example.org[192.0.2.1] said: ..." opens each recipient's
# record in Postfix's and several other servers' plain-text notices.
_RECORD_START = re.compile(r"^<([^<>\s]+@[^<>\s]+)>:", re.MULTILINE)


def _postfix_style(body: str) -> list[str]:
    return list(dict.fromkeys(a.lower() for a in _RECORD_START.findall(body)))


def detect(parsed: ParsedMessage) -> list[Finding] | None:
    if not looks_like_bounce(parsed):
        return None
    recipients = (
        failed_recipients(parsed)
        or _postfix_style(parsed.notice_body)
        or candidate_recipients(parsed)
    )
    if not recipients:
        # The notice does not repeat the address: the original message's To does.
        recipients = [a.lower() for a in ADDRESS_RE.findall(parsed.original_headers.get("to", ""))]
    if not recipients:
        return [Finding(recipient=None, diagnostic=" ".join(parsed.notice_body.split())[:1500])]
    return findings_for(parsed, recipients[:1] if len(recipients) > 5 else recipients)
