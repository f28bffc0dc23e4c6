"""Zoho Mail: "This message was created automatically by mail delivery software/system." then
"ADDRESS Error, ERROR_CODE :421, ..., TEXT" or "[Status: Error, Address: <ADDRESS>,
ResponseCode 421, , TEXT]" per recipient."""

from __future__ import annotations

import re

from preflight.bounces.model import Finding
from preflight.bounces.parse import ParsedMessage

NAME = "zoho"

_START = "This message was created automatically by mail delivery"
_PLAIN = re.compile(r"^([^\s@]+@[^\s@]+)\s+(Error,.+)$")
_BRACKET = re.compile(r"^\[Status: .*?<([^\s<>]+@[^\s<>]+)>,(.+)$")
_CODE = re.compile(r"(?:ERROR_CODE\s*:|ResponseCode)\s*(\d{3})")


def detect(parsed: ParsedMessage) -> list[Finding] | None:
    if not parsed.header("X-ZohoMail") and "zoho" not in parsed.sender.lower():
        return None
    body = parsed.notice
    if _START not in body:
        return None
    findings: list[Finding] = []
    for line in body.splitlines():
        match = _PLAIN.match(line.strip()) or _BRACKET.match(line.strip())
        if not match:
            continue
        text = " ".join(match.group(2).split()).rstrip("]")
        code = _CODE.search(text)
        findings.append(
            Finding(
                recipient=match.group(1).lower(),
                diagnostic=text,
                replycode=int(code.group(1)) if code else None,
            )
        )
    return findings or None
