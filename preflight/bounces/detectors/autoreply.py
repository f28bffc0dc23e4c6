"""Auto-replies (RFC 3834 Auto-Submitted, vacation and out-of-office notices): not bounces."""

from __future__ import annotations

import re

from preflight.bounces.model import Finding
from preflight.bounces.parse import ADDRESS_RE, ParsedMessage

NAME = "autoreply"

_SUBJECT = re.compile(
    r"^(?:auto(?:matic)?[ -]?(?:reply|response|antwort)|out of (?:the )?office|"
    r"abwesenheit|vacation|absence|on holiday|away|r[ée]ponse automatique)",
    re.IGNORECASE,
)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|deliver(?:y|ed)? (?:status|fail|notification)|returned mail|failure|"
    r"not delivered|mail system error|rejected|nondeliver|bounce",
    re.IGNORECASE,
)


_BOUNCE_BODY = re.compile(
    r"could not be delivered|couldn't be delivered|delivery to the following|"
    r"mail delivery (?:software|system|subsystem)|undeliver|not (?:yet )?been delivered|"
    r"delivery (?:has )?failed|permanent(?:ly)? (?:error|fail)|trouble delivering|"
    r"unable to deliver|error(?:s)? (?:occurred|while)|returned to sender",
    re.IGNORECASE,
)


def detect(parsed: ParsedMessage) -> list[Finding] | None:
    if parsed.report or parsed.feedback or _BOUNCE_SUBJECT.search(parsed.subject):
        return None
    if _BOUNCE_BODY.search(parsed.notice_body[:4000]):
        return None
    auto = parsed.header("Auto-Submitted").lower()
    subject_says = bool(_SUBJECT.search(parsed.subject.strip()))
    replied = (
        auto.startswith("auto-replied")
        or bool(parsed.header("X-Autoreply"))
        or bool(parsed.header("X-Autorespond"))
    )
    if not (replied or subject_says):
        return None
    # The auto-reply comes from the address we wrote to.
    recipients = [a.lower() for a in ADDRESS_RE.findall(parsed.sender)]
    text = " ".join(parsed.notice_body.split())[:300]
    return [
        Finding(recipient=recipients[0] if recipients else None, reason="vacation", diagnostic=text)
    ]
