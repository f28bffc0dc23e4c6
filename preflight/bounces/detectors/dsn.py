"""RFC 3464 delivery status notifications (multipart/report; report-type=delivery-status).

Postfix, Sendmail, Exchange, Office 365, Gmail, Amazon SES, OpenSMTPD and most modern servers
send these. Each per-recipient block gives the recipient, Action, Status and usually a
Diagnostic-Code with the remote server's reply.
"""

from __future__ import annotations

import re

from preflight.bounces.classify import find_code, find_status, find_statuses
from preflight.bounces.detectors.text import (
    candidate_recipients,
    diagnostic_for,
    failed_recipients,
    unique,
)
from preflight.bounces.model import Finding
from preflight.bounces.parse import ADDRESS_RE, ParsedMessage

NAME = "dsn"

_TYPE_PREFIX = re.compile(
    r"^\s*(?:smtp|x-[\w\-]+|rfc822|utf-8|x-unix|unix|x-local-host|"
    r"x-postfix|x-notes|x-exchange)\s*;\s*",
    re.IGNORECASE,
)


# Final-Recipient may name a host without a dot ("user@mailhub0") on internal relays.
_LOCAL_ADDRESS = re.compile(r"^<?([^\s<>;@\"]+@[A-Za-z0-9][A-Za-z0-9.\-]*)>?$")


def _address(value: str) -> str | None:
    value = _TYPE_PREFIX.sub("", value).strip()
    found = ADDRESS_RE.findall(value)
    if found:
        return found[0].lower()
    local = _LOCAL_ADDRESS.match(value)
    return local.group(1).lower() if local else None


def clean_diagnostic(value: str) -> str:
    return " ".join(_TYPE_PREFIX.sub("", value).split())


_AFTER_REPLY = re.compile(r"(?<![\d.])[245]\d\d[ -]['\"]?([245]\.\d{1,3}\.\d{1,3})(?![\d])")


def _vague(code: str) -> bool:
    return code.endswith(".0.0") or code == "4.4.7"


def _status(field: str, diagnostic: str) -> str | None:
    """The Status field, unless the server's own reply carries a more precise code."""
    stated = find_status(field)
    # The remote server's own words: a status right after its reply code ("550-'5.2.2").
    # "x.0.0" and "4.4.7" (expired) say less than any other code beside them.
    after_reply = sorted(_AFTER_REPLY.findall(diagnostic), key=_vague)
    if after_reply and not after_reply[0].startswith("2"):
        return str(after_reply[0])
    codes = find_statuses(diagnostic)
    # Skip codes that only repeat the Status field or say nothing (x.0.0).
    precise = [c for c in codes if c != stated and not _vague(c)]
    replied = precise[0] if precise else (codes[0] if codes else None)
    if replied is None or replied.startswith("2"):
        return stated
    if stated is None or stated.endswith(".0.0") or stated == "4.4.7":
        return replied
    return replied if replied[0] == stated[0] else stated


# Postfix's note of the command a reply answered, in the notice text.
_IN_REPLY = re.compile(r"\(in reply to (?:end of )?[A-Za-z]{4}(?: [A-Za-z]+)? command\)")


def _transcript_reply(body: str) -> str:
    """The first remote reply in a sendmail session transcript ("<<< 550-5.7.1 ..." lines)."""
    reply: list[str] = []
    for line in body.splitlines():
        if not line.startswith("<<< "):
            continue
        said = line[4:].strip()
        reply.append(said)
        if not re.match(r"\d{3}-", said):
            break  # the last line of a multi-line reply
    return " ".join(" ".join(reply).split())


def _host(value: str) -> str:
    """The host name of a Remote-MTA field ("dns; mx.example.com [192.0.2.1]")."""
    words = value.split(";")[-1].replace("[", " ").split()
    named = [w.strip(".;").lower() for w in words if any(c.isalpha() for c in w)]
    return named[0] if named else ""


def detect(parsed: ParsedMessage) -> list[Finding] | None:
    blocks = [
        b for b in parsed.report_blocks if "final-recipient" in b or "original-recipient" in b
    ]
    if not blocks:
        return None
    message_fields: dict[str, str] = {}
    for block in parsed.report_blocks:
        if "final-recipient" not in block and "original-recipient" not in block:
            message_fields.update(block)
    findings: list[Finding] = []
    for block in blocks:
        recipient = _address(block.get("final-recipient", "")) or _address(
            block.get("original-recipient", "")
        )
        if recipient is None:
            recipient = _address(block.get("x-actual-recipient", ""))
        if recipient is None and len(blocks) == 1:
            # A Final-Recipient that is a path or "@host": the notice names the address.
            fallback = failed_recipients(parsed) or candidate_recipients(parsed)
            recipient = fallback[0] if fallback else None
        raw_code = block.get("diagnostic-code", "")
        diagnostic = clean_diagnostic(raw_code)
        notice_text = diagnostic_for(parsed, recipient) if recipient else ""
        said = _transcript_reply(parsed.notice_body)
        if diagnostic and len(said) > len(diagnostic) and diagnostic[:40] in said:
            diagnostic = said  # the reply the Diagnostic-Code cut short
        in_reply = _IN_REPLY.search(notice_text)
        if in_reply and in_reply.group(0).lower() not in diagnostic.lower():
            diagnostic = f"{diagnostic} {in_reply.group(0)}".strip()
        if not diagnostic or (
            find_code(diagnostic) is None and notice_text and len(diagnostic) < 20
        ):
            diagnostic = (diagnostic + " " + notice_text).strip() if notice_text else diagnostic
        status = _status(block.get("status", ""), diagnostic)
        findings.append(
            Finding(
                recipient=recipient,
                status=status,
                replycode=find_code(diagnostic),
                diagnostic=diagnostic,
                diagnostic_type=raw_code.split(";", 1)[0].strip().upper()
                if ";" in raw_code
                else "",
                action=(block.get("action") or "").lower().split(" ")[0] or None,
                context=notice_text or parsed.notice_body[:2000],
                remote_host=_host(block.get("remote-mta", "")),
            )
        )
    return unique(findings)
