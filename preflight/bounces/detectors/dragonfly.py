"""DragonFly Mail Agent (dma): "There was an error delivering your mail to <address>." followed
by the remote server's words ("mx.example.org [192.0.2.1] did not like our RCPT TO: ...")."""

from __future__ import annotations

import re

from preflight.bounces.model import Finding
from preflight.bounces.parse import ParsedMessage

NAME = "dragonfly"

_START = "This is the DragonFly Mail Agent "
_RECORD = re.compile(r"^There was an error delivering your mail to <([^<>\s]+@[^<>\s]+)>")
_END = re.compile(r"^(?:Original message follows\.|Message headers follow)")
_LIKE = re.compile(r"^(\S+)(?: \[[^\]]*\])? did not like our ([A-Z]{4})")


def detect(parsed: ParsedMessage) -> list[Finding] | None:
    body = parsed.notice
    if _START not in body[:2000]:
        return None
    findings: list[Finding] = []
    current: dict[str, str] | None = None
    for line in body.splitlines():
        if _END.match(line):
            break
        match = _RECORD.match(line)
        if match:
            if current:
                findings.append(_finding(current))
            current = {"recipient": match.group(1).lower(), "text": "", "host": "", "cmd": ""}
            continue
        if current is None or not line.strip():
            continue
        current["text"] += " " + line.strip()
        like = _LIKE.match(line.strip())
        if like and not current["host"]:
            current["host"], current["cmd"] = like.group(1).lower(), like.group(2)
    if current:
        findings.append(_finding(current))
    return findings or None


def _finding(record: dict[str, str]) -> Finding:
    text = record["text"].strip()
    return Finding(
        recipient=record["recipient"],
        diagnostic=text,
        command=record["cmd"] or None,
        remote_host=record["host"],
    )
