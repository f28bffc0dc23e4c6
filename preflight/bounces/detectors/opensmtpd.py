"""OpenSMTPD: "This is the MAILER-DAEMON, please DO NOT REPLY to this e-mail." then one
"address: error" line per recipient. Its notice is read even when a DSN part follows: the
DSN part only repeats a vague status (4.4.7), the text says what went wrong."""

from __future__ import annotations

import re

from preflight.bounces.classify import is_temporary, pseudo_status
from preflight.bounces.model import Finding
from preflight.bounces.parse import ParsedMessage
from preflight.bounces.phrases import phrase_reason

NAME = "opensmtpd"

_START = re.compile(r"This is the MAILER-DAEMON, please DO NOT REPLY to this e-?mail\.")
_RECORD = re.compile(r"^([^\s:<>]+@[^\s:<>]+):\s*(.+)$")
# OpenSMTPD's own texts (mta.c, mta_session.c).
MESSAGES: dict[str, tuple[str, ...]] = {
    "expired": ("Envelope expired",),
    "hostunknown": ("Invalid domain name", "Domain does not exist"),
    "notaccept": ("Destination seem to reject all mails", "No MX found for domain"),
    "networkerror": (
        "Address family mismatch on destination MXs",
        "All routes to destination blocked",
        "bad DNS lookup error code",
        "Could not retrieve source address",
        "Loop detected",
        "Network error on destination MXs",
        "No MX found for destination",
        "No valid route to remote MX",
        "No valid route to destination",
        "Temporary failure in MX lookup",
    ),
    "securityerror": ("Could not retrieve credentials",),
}


def detect(parsed: ParsedMessage) -> list[Finding] | None:
    body = parsed.notice_body
    if not _START.search(body[:2000]):
        return None
    findings: list[Finding] = []
    for line in body.splitlines():
        match = _RECORD.match(line.strip())
        if match:
            text = " ".join(match.group(2).split())
            reason = phrase_reason(text, MESSAGES)
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
