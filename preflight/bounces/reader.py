"""Turn one raw bounce message into classified records: parse, detect, classify."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from preflight.bounces.classify import (
    NOT_BOUNCES,
    RETRY_REASONS,
    classify_reply,
    find_code,
    find_command,
    find_status,
    is_hard,
    is_temporary,
    pseudo_status,
    sweep_reply,
)
from preflight.bounces.detectors import run_detectors
from preflight.bounces.formats import format_reason
from preflight.bounces.lda import agent_reason
from preflight.bounces.limits import MAX_RECORDS
from preflight.bounces.model import BounceRecord, Finding
from preflight.bounces.parse import ParsedMessage, read_message
from preflight.bounces.rhost import Remote, host_in, remote_reason

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
# A detector's reason that the diagnostic may still refine (None: the detector had none).
_REFINABLE = RETRY_REASONS | {None}


def classify_message(data: bytes) -> list[BounceRecord]:
    """Every record one raw message holds (empty when it is not a bounce at all)."""
    return classify_parsed(read_message(data))


@dataclass(frozen=True)
class Reading:
    """One raw message read: its records, what reading cut short, and the addresses it was
    sent back to (for :func:`preflight.bounces.trust.bounce_trust`)."""

    records: list[BounceRecord]
    notes: list[str]
    envelope: frozenset[str]


def read_records(data: bytes) -> Reading:
    """Read one raw message into a :class:`Reading`."""
    parsed = read_message(data)
    records = classify_parsed(parsed)
    return Reading(records=records, notes=parsed.notes, envelope=parsed.envelope)


def classify_parsed(parsed: ParsedMessage) -> list[BounceRecord]:
    detector, findings = run_detectors(parsed)
    if len(findings) > MAX_RECORDS:
        # One message naming thousands of recipients is forged or broken, never a bounce
        # of ours: the cap keeps it from suppressing a crowd.
        parsed.notes.append(f"records after the first {MAX_RECORDS} ignored")
        findings = findings[:MAX_RECORDS]
    delayed = _DELAY_SUBJECT.search(parsed.subject) or _DELAY.search(parsed.notice_body[:5000])
    if delayed:
        findings = [replace(f, action="delayed") if f.action is None else f for f in findings]
    single = len(findings) == 1
    return [_record(parsed, detector, finding, single) for finding in findings]


def _decided_elsewhere(parsed: ParsedMessage, finding: Finding, command: str | None) -> str | None:
    """The reason the local delivery agent or the answering provider names, if either does.

    They know their own messages better than the general phrase lists, so their word is
    final (sisimai's order: LDA, then remote host, then the reason probes).
    """
    diagnostic = finding.diagnostic
    code = finding.replycode if finding.replycode is not None else find_code(diagnostic)
    host = finding.remote_host or host_in(diagnostic) or host_in(finding.context)
    remote = Remote(
        diagnostic=diagnostic,
        status=finding.status or find_status(diagnostic),
        code=code,
        command=command,
        host=host.lower(),
        domain=(finding.recipient or "").rpartition("@")[2].lower(),
        local_host=parsed.local_host,
    )
    return agent_reason(diagnostic, command) or remote_reason(remote)


def _record(parsed: ParsedMessage, detector: str, finding: Finding, single: bool) -> BounceRecord:
    message_id = parsed.original_message_id
    if finding.reason in NOT_BOUNCES:
        delivered = finding.reason == "delivered"
        return BounceRecord(
            recipient=finding.recipient,
            status=(finding.status or find_status(finding.diagnostic)) if delivered else None,
            reason=finding.reason,
            hard=False,
            replycode=None,
            action=finding.action,
            diagnostic=finding.diagnostic,
            original_message_id=message_id,
            detector=detector,
        )
    finding = replace(finding, diagnostic=sweep_reply(finding.diagnostic))
    command = finding.command or find_command(finding.diagnostic) or find_command(finding.context)
    # The format's own words (data/formats.toml) name the reason before general phrases.
    hint = finding.reason or format_reason(detector, finding.diagnostic)
    decided = _decided_elsewhere(parsed, finding, command) if hint in _REFINABLE else None
    reply = classify_reply(
        finding.replycode,
        finding.status,
        finding.diagnostic,
        command=command,
        hint=decided or hint,
        action=finding.action,
        diagnostic_type=finding.diagnostic_type,
    )
    reason = decided or reply.reason
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
        if reason == "delivered":
            status = "2.0.0"
        else:
            temporary = finding.action == "delayed" or is_temporary(
                f"{code or ''} {finding.diagnostic}"
            )
            status = pseudo_status(reason, temporary)
    return BounceRecord(
        recipient=finding.recipient,
        status=status,
        reason=reason,
        hard=is_hard(reason, status, code, finding.diagnostic),
        replycode=code,
        action=finding.action,
        diagnostic=finding.diagnostic,
        original_message_id=message_id,
        detector=detector,
    )


__all__ = ["Reading", "classify_message", "classify_parsed", "read_records"]
