"""The records a bounce message turns into."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from preflight.bounces.classify import NOT_BOUNCES


@dataclass(frozen=True)
class Finding:
    """What a detector read from a message about one recipient, before classification.

    ``reason`` is set only when the format itself says what happened (an ARF report is a
    complaint, an auto-reply is a vacation notice, a Postfix "delayed" notice has expired);
    otherwise the shared classifier decides from status, code and diagnostic.
    """

    recipient: str | None
    status: str | None = None
    replycode: int | None = None
    diagnostic: str = ""
    action: str | None = None
    reason: str | None = None
    # The SMTP command the remote server was answering ("RCPT", "DATA", ...), if known.
    command: str | None = None
    # Text that helps classification but is not the recipient's own diagnostic (the
    # notice's prose), used when the diagnostic alone says nothing.
    context: str = ""
    # The remote server that answered ("Remote-MTA", "host mx.example.com[...] said").
    remote_host: str = ""
    # The Diagnostic-Code type ("SMTP", "X-UNIX", ...); "" when the notice does not say.
    diagnostic_type: str = ""


@dataclass(frozen=True)
class BounceRecord:
    """One (message, recipient) outcome: a bounce, a complaint, an auto-reply or a success."""

    recipient: str | None
    status: str | None
    reason: str
    hard: bool
    replycode: int | None
    action: str | None
    diagnostic: str
    original_message_id: str | None
    detector: str

    @property
    def is_bounce(self) -> bool:
        return self.reason not in NOT_BOUNCES

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


__all__ = ["BounceRecord", "Finding"]
