"""Microsoft 365 (Exchange Online) and Outlook.com / Hotmail notices.

They usually carry a DSN part, but their own status codes (5.1.351, 5.7.5xx, ...) and canned
texts say more than the general tables: "unknown recipient or mailbox unavailable -> 550 ..."
is a refused RCPT, and Exchange Online's x.7.5NN/6NN codes name policy blocks.
"""

from __future__ import annotations

import re
from dataclasses import replace

from preflight.bounces.detectors import dsn
from preflight.bounces.detectors.text import (
    candidate_recipients,
    findings_for,
)
from preflight.bounces.formats import format_reason
from preflight.bounces.model import Finding
from preflight.bounces.parse import ParsedMessage

NAME = "microsoft"

_MARKS = re.compile(
    r"Diagnostic information for administrators:|Generating server: |"
    r"Delivery has failed to these recipients or groups:|"
    r"This is an automatically generated Delivery Status Notification",
)
# Exchange Online status codes → reason (Microsoft's NDR reference).
_STATUS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(rf"^{pattern}$"), reason)
    for pattern, reason in (
        (r"4\.4\.7", "expired"),
        (r"4\.4\.312", "networkerror"),
        (r"4\.4\.316", "expired"),
        (r"4\.7\.26", "securityerror"),
        (r"4\.7\.[56]\d\d", "blocked"),
        (r"4\.7\.8[5-9]\d", "blocked"),
        (r"5\.0\.350", "contenterror"),
        (r"5\.1\.10", "userunknown"),
        (r"5\.4\.1", "norelaying"),
        (r"5\.4\.6", "networkerror"),
        (r"5\.4\.312", "networkerror"),
        (r"5\.4\.316", "expired"),
        (r"5\.6\.11", "contenterror"),
        (r"5\.7\.1", "rejected"),
        (r"5\.7\.1[23]", "rejected"),
        (r"5\.7\.124", "rejected"),
        (r"5\.7\.13[3-6]", "rejected"),
        (r"5\.7\.23", "blocked"),
        (r"5\.7\.25", "networkerror"),
        (r"5\.7\.50[1-3]", "spamdetected"),
        (r"5\.7\.50[4-5]", "filtered"),
        (r"5\.7\.50[6-7]", "blocked"),
        (r"5\.7\.508", "toomanyconn"),
        (r"5\.7\.509", "securityerror"),
        (r"5\.7\.510", "notaccept"),
        (r"5\.7\.511", "rejected"),
        (r"5\.7\.512", "securityerror"),
        (r"5\.7\.57", "securityerror"),
        (r"5\.7\.60[6-9]", "blocked"),
        (r"5\.7\.6[1-4]\d", "blocked"),
        (r"5\.7\.7[0-4]\d", "toomanyconn"),
    )
)
# Outlook.com's own texts.
_RCPT = re.compile(r"unknown recipient or mailbox unavailable ->.+@.+\.[a-zA-Z]+")


def _is_microsoft(parsed: ParsedMessage) -> bool:
    sender = parsed.sender.lower()
    if any(name in sender for name in ("outlook.com", "hotmail.com", "microsoft", "office365")):
        return True
    return bool(parsed.header("X-MS-Exchange-Message-Is-Ndr")) or (
        bool(_MARKS.search(parsed.notice_body[:4000])) and "outlook.com" in parsed.notice_body
    )


def detect(parsed: ParsedMessage) -> list[Finding] | None:
    if not _is_microsoft(parsed):
        return None
    findings = dsn.detect(parsed)
    if not findings:
        recipients = candidate_recipients(parsed)
        if not recipients:
            return None
        findings = [_remote_said(parsed, f) for f in findings_for(parsed, recipients[:20])]
    return [_refine(f) for f in findings]


def _remote_said(parsed: ParsedMessage, finding: Finding) -> Finding:
    """The "Remote Server returned '...'" line about this recipient, if the notice has one."""
    lines = parsed.notice_body.splitlines()
    for index, line in enumerate(lines):
        if finding.recipient and finding.recipient in line.lower():
            for following in lines[index + 1 : index + 4]:
                if "returned '" in following or following.strip().startswith(("5", "4")):
                    said = following.split("returned", 1)[-1].strip(" '")
                    return replace(finding, diagnostic=" ".join(said.split()))
    return finding


def _refine(finding: Finding) -> Finding:
    command = finding.command
    if command is None and _RCPT.search(finding.diagnostic):
        command = "RCPT"
    hint = finding.reason or format_reason(NAME, finding.diagnostic)
    if hint is None and finding.status:
        hint = next((r for pattern, r in _STATUS if pattern.match(finding.status)), None)
    return replace(finding, command=command, reason=hint)
