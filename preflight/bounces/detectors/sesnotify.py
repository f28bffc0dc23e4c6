"""Amazon SES notifications (JSON, often wrapped in an SNS message): bounce, complaint, delivery."""

from __future__ import annotations

import json
import re
from typing import Any

from preflight.bounces.model import Finding
from preflight.bounces.parse import ParsedMessage

NAME = "amazonses-json"

_START = re.compile(r"\{\s*\\?\"(?:Type|notificationType|eventType)\\?\"")


def _load(text: str) -> dict[str, Any] | None:
    match = _START.search(text)
    if not match:
        return None
    body = text[match.start() :]
    end = body.rfind("}")
    try:
        data = json.loads(body[: end + 1]) if end > 0 else None
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("Message"), str):
        try:
            data = json.loads(data["Message"])
        except ValueError:
            return None
    return data if isinstance(data, dict) else None


def detect(parsed: ParsedMessage) -> list[Finding] | None:
    if (
        '"notificationType' not in parsed.notice
        and '\\"notificationType' not in parsed.notice
        and '"eventType' not in parsed.notice
    ):
        return None
    data = _load("".join(parsed.notice.split("\n")))
    if data is None:
        return None
    kind = str(data.get("notificationType") or data.get("eventType") or "").lower()
    if kind == "bounce":
        bounce = data.get("bounce") or {}
        findings = []
        for item in bounce.get("bouncedRecipients") or []:
            diagnostic = str(item.get("diagnosticCode") or "")
            findings.append(
                Finding(
                    recipient=str(item.get("emailAddress", "")).lower() or None,
                    status=item.get("status") or None,
                    diagnostic=diagnostic,
                    action=item.get("action"),
                    reason="expired"
                    if bounce.get("bounceSubType") == "General"
                    and bounce.get("bounceType") == "Transient"
                    and not diagnostic
                    else None,
                )
            )
        return findings or None
    if kind == "complaint":
        complaint = data.get("complaint") or {}
        return [
            Finding(
                recipient=str(item.get("emailAddress", "")).lower() or None,
                reason="feedback",
                diagnostic=str(complaint.get("complaintFeedbackType") or "abuse"),
            )
            for item in complaint.get("complainedRecipients") or []
        ] or None
    if kind == "delivery":
        delivery = data.get("delivery") or {}
        return [
            Finding(
                recipient=str(r).lower(),
                reason="delivered",
                diagnostic=str(delivery.get("smtpResponse") or ""),
            )
            for r in delivery.get("recipients") or []
        ] or None
    return None
