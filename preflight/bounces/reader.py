"""Turn one raw bounce message into classified records: parse, detect, classify."""

from __future__ import annotations

import re
from dataclasses import replace

from preflight.bounces.classify import (
    NOT_BOUNCES,
    classify_reply,
    find_code,
    find_command,
    find_status,
    is_hard,
    pseudo_status,
)
from preflight.bounces.detectors import run_detectors
from preflight.bounces.model import BounceRecord, Finding
from preflight.bounces.parse import ParsedMessage, read_message

# A notice that says delivery is still being tried: a delay warning, not a final failure.
_DELAY = re.compile(
    r"not (?:yet )?been delivered|will be retried|delivery (?:is|has been) delayed|"
    r"has been delayed|will (?:continue to )?(?:try|retry)|still trying|"
    r"delay(?:ed)? (?:reason|warning)",
    re.IGNORECASE,
)
_DELAY_SUBJECT = re.compile(r"\bdela(?:y|yed)\b|^warning:", re.IGNORECASE)

# Reasons that only say "something failed": the notice's prose may say more.
_WEAK = frozenset({"onhold", "undefined"})


def classify_message(data: bytes) -> list[BounceRecord]:
    """Every record one raw message holds (empty when it is not a bounce at all)."""
    return classify_parsed(read_message(data))


def classify_parsed(parsed: ParsedMessage) -> list[BounceRecord]:
    detector, findings = run_detectors(parsed)
    delayed = _DELAY_SUBJECT.search(parsed.subject) or _DELAY.search(parsed.notice_body[:5000])
    if delayed:
        findings = [replace(f, action="delayed") if f.action is None else f for f in findings]
    single = len(findings) == 1
    return [_record(parsed, detector, finding, single) for finding in findings]


def _record(parsed: ParsedMessage, detector: str, finding: Finding, single: bool) -> BounceRecord:
    message_id = parsed.original_message_id
    if finding.reason in NOT_BOUNCES:
        return BounceRecord(
            recipient=finding.recipient,
            status=None,
            reason=finding.reason,
            hard=False,
            replycode=None,
            action=finding.action,
            diagnostic=finding.diagnostic,
            original_message_id=message_id,
            detector=detector,
        )
    command = finding.command or find_command(finding.diagnostic) or find_command(finding.context)
    reply = classify_reply(
        finding.replycode,
        finding.status,
        finding.diagnostic,
        command=command,
        hint=finding.reason,
        action=finding.action,
    )
    reason = reply.reason
    if reason in _WEAK and finding.context:
        from_context = classify_reply(
            reply.code, reply.status, finding.context, command=command, action=finding.action
        )
        if from_context.reason not in _WEAK:
            reason = from_context.reason
    code = reply.code
    status = reply.status
    if status is None and single and reason not in _WEAK:
        # One recipient: a code anywhere in the notice is about it.
        status = find_status(finding.context)
        code = code if code is not None else find_code(finding.context)
    if status is None:
        temporary = (code is not None and 400 <= code < 500) or finding.action == "delayed"
        status = pseudo_status(reason, temporary) if reason != "delivered" else "2.0.0"
    return BounceRecord(
        recipient=finding.recipient,
        status=status,
        reason=reason,
        hard=is_hard(reason, status, code),
        replycode=code,
        action=finding.action,
        diagnostic=finding.diagnostic,
        original_message_id=message_id,
        detector=detector,
    )


__all__ = ["classify_message", "classify_parsed"]
