"""Trend Micro InterScan Messaging Security Suite: "Unable to deliver message to <ADDRESS>",
which InterScan writes only for recipients the next server refused."""

from __future__ import annotations

import re

from preflight.bounces.model import Finding
from preflight.bounces.parse import ParsedMessage

NAME = "interscan"

_MARK = "Message from InterScan Messaging Security Suite"
_RECORD = re.compile(r"(?:Reason:\s+)?Unable to deliver message to <([^<>\s]+@[^<>\s]+)>")


def detect(parsed: ParsedMessage) -> list[Finding] | None:
    body = parsed.notice_body
    if _MARK not in body and "InterScan" not in parsed.sender:
        return None
    findings = []
    for line in body.splitlines():
        match = _RECORD.search(line)
        if match:
            text = " ".join(line.split())
            findings.append(
                Finding(recipient=match.group(1).lower(), diagnostic=text, reason="userunknown")
            )
    return findings or None
