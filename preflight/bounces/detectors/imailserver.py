"""Ipswitch IMail Server: "Unknown user: ADDRESS", "Delivery failed N attempts: ADDRESS", ...
one line per recipient, the reason first."""

from __future__ import annotations

import re

from preflight.bounces.model import Finding
from preflight.bounces.parse import ADDRESS_RE, ParsedMessage

NAME = "imailserver"

_RECORD = re.compile(r"^([A-Za-z][^:]{2,60}):\s*<?([^\s<>]+@[^\s<>]+?)>?\s*$")
# IMail's own texts at the start of a record line.
_REASONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"Unknown host"), "hostunknown"),
    (re.compile(r"^(?:Unknown user|Invalid final delivery userid)"), "userunknown"),
    (re.compile(r"^User mailbox exceeds allowed size"), "mailboxfull"),
    (re.compile(r"^Requested action not taken: virus detected"), "virusdetected"),
    (re.compile(r"^undeliverable to"), "undefined"),
    (re.compile(r"^Delivery failed \d+ attempts"), "expired"),
)
_GENERATED = "Body of message generated response:"


def detect(parsed: ParsedMessage) -> list[Finding] | None:
    from_imail = "IMail" in parsed.header("X-Mailer")
    if not from_imail and not parsed.subject.startswith("Undeliverable Mail"):
        return None
    body = parsed.notice_body
    extra = ""
    if _GENERATED in body:
        extra = " ".join(body.split(_GENERATED, 1)[1].split())[:500]
    findings: list[Finding] = []
    for line in body.splitlines():
        match = _RECORD.match(line.strip())
        if not match or not ADDRESS_RE.fullmatch(match.group(2)):
            continue
        said = match.group(1).strip()
        hint = next((reason for pattern, reason in _REASONS if pattern.search(said)), None)
        if hint is None and not extra:
            continue
        findings.append(
            Finding(
                recipient=match.group(2).lower(),
                diagnostic=f"{extra} {said}".strip(),
                reason=hint,
            )
        )
    return findings or None
