"""Helpers shared by the detectors that read plain-text notices."""

from __future__ import annotations

import re
from collections.abc import Iterable

from preflight.bounces.model import Finding
from preflight.bounces.parse import ADDRESS_RE, ParsedMessage

# Local parts that belong to mail systems, never to a bounced recipient.
SYSTEM_LOCALPARTS = frozenset(
    {
        "mailer-daemon",
        "postmaster",
        "mail-daemon",
        "maildaemon",
        "daemon",
        "root",
        "noreply",
        "no-reply",
        "abuse",
        "bounce",
        "bounces",
        "mailerdaemon",
        "nobody",
    }
)
_SKIP_LINE = re.compile(
    r"^\s*>?\s*(?:message-id|in-reply-to|references|received|from|sender|return-path|"
    r"reporting-mta|x-[\w-]+|dkim-signature|arrival-date|list-\w+|errors-to|"
    r"reply-to|envelope-from|by|id|for)\b",
    re.IGNORECASE,
)


def unique(findings: Iterable[Finding]) -> list[Finding]:
    """Findings with duplicate recipients dropped (the first one wins)."""
    seen: set[str | None] = set()
    out = []
    for finding in findings:
        key = finding.recipient
        if key in seen:
            continue
        seen.add(key)
        out.append(finding)
    return out


def is_system_address(address: str) -> bool:
    local = address.split("@", 1)[0].lower()
    return local in SYSTEM_LOCALPARTS or local.startswith(("mailer-daemon", "postmaster"))


def candidate_recipients(parsed: ParsedMessage, text: str | None = None) -> list[str]:
    """Addresses the notice reports on, in order of first appearance."""
    text = parsed.notice_body if text is None else text
    found: list[str] = []
    for line in text.splitlines():
        if _SKIP_LINE.match(line):
            continue
        for address in ADDRESS_RE.findall(line):
            address = address.lower().strip(".")
            if is_system_address(address) or address in parsed.own_addresses:
                continue
            if _is_message_id_like(line, address):
                continue
            if address not in found:
                found.append(address)
    return found


def failed_recipients(parsed: ParsedMessage) -> list[str]:
    """Addresses in X-Failed-Recipients (Exim, Gmail and others set it)."""
    found: list[str] = []
    for value in parsed.msg.get_all("X-Failed-Recipients") or []:
        for address in ADDRESS_RE.findall(str(value)):
            if address.lower() not in found:
                found.append(address.lower())
    return found


def _is_message_id_like(line: str, address: str) -> bool:
    index = line.lower().find(address)
    before = line[max(0, index - 14) : index].lower()
    return "message-id" in before or "msgid" in before or "id:" in before.replace(" ", "")


def diagnostic_for(parsed: ParsedMessage, recipient: str, text: str | None = None) -> str:
    """The lines of the notice that talk about one recipient, whitespace collapsed."""
    text = parsed.notice_body if text is None else text
    lines = text.splitlines()
    lowered = [line.lower() for line in lines]
    index = next(
        (i for i, line in enumerate(lowered) if recipient in line and not _SKIP_LINE.match(line)),
        None,
    )
    if index is None:
        return ""
    block = [lines[index]]
    for following in lines[index + 1 : index + 25]:
        stripped = following.strip()
        if not stripped:
            if len(block) > 1 or _ends_block(block):
                break
            continue
        other = [a for a in ADDRESS_RE.findall(following) if a.lower() != recipient]
        if other and any(_addr_starts_line(following, a) for a in other):
            break
        block.append(following)
    return " ".join(" ".join(block).split())[:1500]


def _ends_block(block: list[str]) -> bool:
    return len(" ".join(block)) > 200


def _addr_starts_line(line: str, address: str) -> bool:
    return line.strip().lstrip("<\"'").lower().startswith(address.lower())


def findings_for(
    parsed: ParsedMessage, recipients: Iterable[str], text: str | None = None, **extra: str
) -> list[Finding]:
    """One finding per recipient, with the notice lines about it as the diagnostic."""
    out = []
    for recipient in recipients:
        diagnostic = diagnostic_for(parsed, recipient, text)
        out.append(
            Finding(
                recipient=recipient,
                diagnostic=diagnostic,
                context=parsed.notice_body[:3000],
                **extra,
            )
        )  # type: ignore[arg-type]
    return unique(out)


def hinted_finding(recipient: str, lines: list[str], hints: Iterable[tuple[str, str]]) -> Finding:
    """A finding from a recipient's block of lines; the first phrase found names the reason."""
    diagnostic = " ".join(" ".join(lines).split())
    lowered = diagnostic.lower()
    hint = next((reason for phrase, reason in hints if phrase in lowered), None)
    return Finding(recipient=recipient, diagnostic=diagnostic, reason=hint)
