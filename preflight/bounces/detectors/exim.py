"""Exim (and the Exim builds of Mail.ru and others): "This message was created automatically by
mail delivery software. ... The following address(es) failed:", one indented block per address.

Exim writes a few fixed texts of its own (from its source: deliver.c, routers, transports);
they name the reason. The SMTP command comes from "SMTP error from remote mail server after
RCPT TO:". Without a status code, Exim's notice gets sisimai's pseudo status from what Exim
itself knew: a rejected MAIL FROM is "on hold" until the reply text is read.
"""

from __future__ import annotations

import re
from dataclasses import replace

from preflight.bounces.classify import find_code, find_status, pseudo_status
from preflight.bounces.detectors.text import (
    candidate_recipients,
    failed_recipients,
    findings_for,
    is_system_address,
)
from preflight.bounces.formats import format_reason
from preflight.bounces.model import Finding
from preflight.bounces.parse import ParsedMessage
from preflight.bounces.rhost import host_in

NAME = "exim"

_START = re.compile(
    r"^(?:This message was created automatically by mail delivery software\."
    r"|A message that you sent (?:was rejected by the local scann?ing code|contained one or more"
    r" recipient addresses|could not be delivered to all of its recipients)"
    r"|Message \S+ (?:has been frozen|was frozen on arrival)"
    r"|The \S+ router encountered the following error\(s\):)",
    re.MULTILINE,
)
_SUBJECT = re.compile(
    r"Mail delivery failed|Warning: message \S+ delayed|Delivery Status Notification|"
    r"Mail failure|Message frozen|error\(s\) in forwarding or filtering",
)
_COMMAND = re.compile(
    r"(?:SMTP error from remote (?:mail server|mailer)|LMTP error) after "
    r"(?:end of |pipelined )?([A-Za-z]{4})"
)



def is_exim(parsed: ParsedMessage) -> bool:
    sender = parsed.sender
    score = sum(
        (
            sender.startswith("Mail Delivery System") or "mailer-daemon@" in sender.lower(),
            bool(re.match(r"<\w{6,7}-\w{6}-\w{2}@", parsed.header("Message-ID"))),
            bool(_SUBJECT.search(parsed.subject)),
        )
    )
    return score >= 2 and bool(_START.search(parsed.notice_body[:3000]))


def detect(parsed: ParsedMessage) -> list[Finding] | None:
    if parsed.report_blocks and any("final-recipient" in b for b in parsed.report_blocks):
        return None  # the DSN part is more precise
    if not is_exim(parsed):
        return None
    recipients = listed_recipients(parsed) or failed_recipients(parsed)
    recipients = recipients or candidate_recipients(parsed)
    if not recipients:
        return None
    # GMX runs Exim but words its notices itself and says nothing of retrying.
    own_words = "@gmx." in parsed.sender.lower() or "@mail.gmx." in parsed.sender.lower()
    return [_refine(f, not own_words) for f in findings_for(parsed, recipients[:20])]


# An address on a line of its own ("  user@example.org", "user@example.org:",
# "  <user@example.org>"), the way Exim lists the failed addresses.
_LISTED = re.compile(r"^\s*[<\"]?([^\s<>():\"]+@[^\s<>():\"]+?)[>\"]?:?\s*(?:<[^<>]+>)?\s*$")


_FAILED = re.compile(r"(?:failed|recipients?|address(?:es)?):\s*$", re.IGNORECASE)


def listed_recipients(parsed: ParsedMessage) -> list[str]:
    lines = parsed.notice_body.splitlines()
    start = next((i for i, line in enumerate(lines) if _FAILED.search(line)), None)
    found: list[str] = []
    for line in lines[start or 0 :]:
        match = _LISTED.match(line)
        if not match:
            continue
        address = match.group(1).lower()
        if is_system_address(address) or address in found:
            continue
        if start is None and address in parsed.own_addresses:
            continue
        found.append(address)
    return found


def _refine(finding: Finding, exim_words: bool = True) -> Finding:
    text = finding.diagnostic
    match = _COMMAND.search(text)
    command = match.group(1).upper() if match else None
    if command == "HELO":
        command = "EHLO"
    reason: str | None = None
    if command == "EHLO":
        reason = "blocked"
    elif command == "MAIL":
        reason = "onhold"
    else:
        # Exim's own texts (data/formats.toml [exim]); the status below needs them.
        reason = format_reason(NAME, text)
    status = find_status(text)
    code = find_code(text)
    if status is None and reason is not None and exim_words:
        if code is not None:
            status = pseudo_status(reason, temporary=code < 500)
        else:
            status = pseudo_status(reason, temporary=reason in ("expired", "mailboxfull"))
    return replace(
        finding,
        command=command,
        reason=reason,
        status=status,
        replycode=code,
        remote_host=host_in(text),
    )
