"""OpenSMTPD: "This is the MAILER-DAEMON, please DO NOT REPLY to this e-mail." then one
"address: error" line per recipient. Its notice is read even when a DSN part follows: the
DSN part only repeats a vague status (4.4.7), the text says what went wrong."""

from __future__ import annotations

import re

from preflight.bounces.classify import is_temporary, pseudo_status
from preflight.bounces.formats import format_reason
from preflight.bounces.model import Finding
from preflight.bounces.parse import ParsedMessage

NAME = "opensmtpd"

_START = re.compile(r"This is the MAILER-DAEMON, please DO NOT REPLY to this e-?mail\.")
_RECORD = re.compile(r"^([^\s:<>]+@[^\s:<>]+):\s*(.+)$")


def detect(parsed: ParsedMessage) -> list[Finding] | None:
    body = parsed.notice_body
    if not _START.search(body[:2000]):
        return None
    findings: list[Finding] = []
    for line in body.splitlines():
        match = _RECORD.match(line.strip())
        if match:
            text = " ".join(match.group(2).split())
            # OpenSMTPD's texts carry no code: the pseudo status needs the text's reason here.
            reason = format_reason(NAME, text)
            # The status comes from the error text alone, not from the notice being a
            # delay warning: OpenSMTPD's texts carry no code.
            status = pseudo_status(reason, is_temporary(text)) if reason else None
            findings.append(
                Finding(
                    recipient=match.group(1).lower(),
                    diagnostic=text,
                    reason=reason,
                    status=status,
                )
            )
    return findings or None
