"""Sendmail without DSN support (V5 and V8 configured for old-style notices): a session
transcript ("----- Transcript of session follows -----") with ">>> COMMAND" / "<<< reply"
pairs, then one "NNN <address>... text" line per failed recipient."""

from __future__ import annotations

import re

from preflight.bounces.model import Finding
from preflight.bounces.parse import ADDRESS_RE, ParsedMessage

NAME = "v5sendmail"

_START = "----- Transcript of session follows -----"
_SESSION = re.compile(r"^\.*\s*while talking to (\S+?):?\s*$", re.IGNORECASE)
_SENT = re.compile(r"^>>> ?([A-Za-z]{4})")
_SAID = re.compile(r"^<<< ?(.*)$")
_RECORD = re.compile(r"^(\d{3})[ \t]+<([^<>\s]+@[^<>\s]+)>\.\.\.[ \t]*(.*)$")
_HOST_LINE = re.compile(r"^\d{3}[ \t]+\S+ \(\w+\)\.\.\.[ \t]*(.*)$")


def detect(parsed: ParsedMessage) -> list[Finding] | None:
    body = parsed.notice_body
    start = body.find(_START)
    if start < 0 or parsed.report_blocks:
        return None
    findings: list[Finding] = []
    host = command = ""
    said: list[str] = []
    loose: list[str] = []  # host-level lines ("421 example.com (smtp)... Deferred: ...")
    for raw in body[start + len(_START) :].splitlines():
        line = raw.strip()
        session = _SESSION.match(line)
        if session:
            host, command, said = session.group(1).lower().rstrip("."), "", []
            continue
        sent = _SENT.match(line)
        if sent:
            command, said = sent.group(1).upper(), []
            continue
        reply = _SAID.match(line)
        if reply:
            said.append(reply.group(1))
            continue
        record = _RECORD.match(line)
        if record:
            text = " ".join([*said, record.group(3)])
            findings.append(
                Finding(
                    recipient=record.group(2).lower(),
                    diagnostic=" ".join(text.split()),
                    replycode=int(record.group(1)),
                    command=("EHLO" if command == "HELO" else command) or None,
                    remote_host=host,
                )
            )
            said = []  # the session's reply explains only the first recipient after it
            continue
        host_line = _HOST_LINE.match(line)
        if host_line:
            loose.append(line)
    if findings:
        return findings
    if not loose:
        return None
    recipients = ADDRESS_RE.findall(parsed.original_headers.get("to", ""))
    if not recipients:
        return None
    text = " ".join(" ".join(loose).split())
    return [Finding(recipient=recipients[0].lower(), diagnostic=text)]
