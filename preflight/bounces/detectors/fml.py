"""fml mailing-list manager: notices from LIST-admin@ about a post it would not distribute
(not a member, a mail loop, a security alert)."""

from __future__ import annotations

import re

from preflight.bounces.model import Finding
from preflight.bounces.parse import ADDRESS_RE, ParsedMessage

NAME = "fml"

_MESSAGE_ID = re.compile(r"^<\d+\.FML.+@.+>$")
# fml's own texts, in the subject or the body.
_REASONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"(?:Ignored )*NOT MEMBER article from |reject mail |"
            r"Spam mail from a spammer is rejected|You .+ are not (?:a )?member"
        ),
        "rejected",
    ),
    (
        re.compile(
            r"fml system error message|Loop Alert: |Loop Back Warning:|WARNING: UNIX FROM Loop|"
            r"Duplicated Message-ID|fml .+ has detected a loop condition so that"
        ),
        "systemerror",
    ),
    (re.compile(r"Security [Aa]lert"), "securityerror"),
)


def detect(parsed: ParsedMessage) -> list[Finding] | None:
    if not re.search(r"-admin@", parsed.sender):
        return None
    if not _MESSAGE_ID.match(parsed.header("Message-ID").strip()):
        return None
    body = parsed.notice_body
    recipients: list[str] = []
    for line in body.splitlines():
        recipients.extend(a.lower() for a in ADDRESS_RE.findall(line))
        if recipients:
            break
    if not recipients:
        return None
    text = " ".join(body.split())[:500]
    reason = next(
        (r for pattern, r in _REASONS if pattern.search(parsed.subject) or pattern.search(text)),
        None,
    )
    return [Finding(recipient=recipients[0], diagnostic=text, reason=reason)]
