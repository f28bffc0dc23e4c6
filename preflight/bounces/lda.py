"""Errors of local delivery agents (procmail, maildrop, Dovecot's LDA, mail.local, ...).

When the last hop was a program writing into the mailbox, not an SMTP server, the diagnostic
is that program's own message; its canned texts name the reason, and any other failure of
such a program is a ``mailererror``. Data after sisimai's LDA table (BSD-2-Clause).
"""

from __future__ import annotations

from preflight.bounces.phrases import phrase_reason

# Marker texts (lower case) that say which agent wrote the diagnostic.
_AGENTS: dict[str, tuple[str, ...]] = {
    "dovecot": ("your message to <", "> was automatically rejected:"),
    "mail.local": ("mail.local: ",),
    "procmail": ("procmail: ", "/procmail "),
    "maildrop": ("maildrop: ",),
    "vpopmail": ("vdelivermail: ",),
    "vmailmgr": ("vdeliver: ",),
}

# Each agent's canned texts, by reason.
_MESSAGES: dict[str, dict[str, tuple[str, ...]]] = {
    "dovecot": {
        "mailboxfull": ("not enough disk space", "quota exceeded"),
        "userunknown": ("mailbox doesn't exist: ",),
    },
    "mail.local": {
        "mailboxfull": ("disc quota exceeded", "mailbox full or quota exceeded"),
        "systemerror": ("temporary file write error",),
        "userunknown": (
            ": invalid mailbox path",
            ": unknown user:",
            ": user missing home directory",
            ": user unknown",
        ),
    },
    "procmail": {
        "mailboxfull": ("quota exceeded while writing", "user over quota"),
        "systemerror": ("service unavailable",),
        "systemfull": ("no space left to finish writing",),
    },
    "maildrop": {
        "mailboxfull": ("maildir over quota.",),
        "userunknown": ("cannot find system user", "invalid user specified."),
    },
    "vpopmail": {
        "filtered": ("user does not exist, but will deliver to ",),
        "mailboxfull": ("domain is over quota", "user is over quota"),
        "suspend": ("account is locked email bounced",),
        "userunknown": ("sorry, no mailbox here by that name.",),
    },
    "vmailmgr": {
        "mailboxfull": ("delivery failed due to system quota violation",),
        "userunknown": (
            "invalid or unknown base user or domain",
            "invalid or unknown virtual user",
            "user name does not refer to a virtual user",
        ),
    },
}


def agent_reason(diagnostic: str, command: str | None) -> str | None:
    """The reason a local delivery agent's message names, or None if no agent wrote it."""
    if not diagnostic or command not in (None, "DATA"):
        return None
    text = diagnostic.lower()
    agent = next((name for name, marks in _AGENTS.items() if any(m in text for m in marks)), None)
    if agent is None:
        return None
    return phrase_reason(text, _MESSAGES[agent]) or "mailererror"


__all__ = ["agent_reason"]
