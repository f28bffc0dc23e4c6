"""One classifier of delivery failures: (reply code, status, text) → reason and hard/soft.

The same function serves the SMTP reply at send time and the status/diagnostic of a bounce
message that arrives days later. Reason names and the hard/soft rule are sisimai's: only
permanent address problems (userunknown, hostunknown, hasmoved, and a 5xx notaccept) are
hard; a 5xx that is ``filtered`` or ``rejected`` is not.

How a reason is picked (modelled on sisimai's Reason.get):
1. a specific enhanced status code (5.1.1, 5.2.2, 5.7.26, ...) names the reason, unless the
   text clearly says something more specific (a 5.1.1 "blocked by RBL" is ``blocked``);
2. otherwise the text is matched against each reason's standard phrases, in a fixed order;
3. otherwise the class of the code decides (4xx ``onhold`` ... ``undefined``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from preflight.bounces.phrases import first_said, says
from preflight.bounces.providers import ProviderCode, provider_code
from preflight.bounces.reasons import HARD_REASONS, NOT_BOUNCES, Reason

# Enhanced status code → reason (RFC 3463 + RFC 5248 registry, sisimai's reading of it).
STATUS_REASONS: dict[str, str] = {
    "2.1.5": "delivered",
    "2.0.0": "delivered",
    "4.1.6": "hasmoved",
    "4.1.7": "rejected",
    "4.1.8": "rejected",
    "4.1.9": "systemerror",
    "4.2.1": "blocked",
    "4.2.2": "mailboxfull",
    "4.2.3": "exceedlimit",
    "4.2.4": "filtered",
    "4.3.1": "systemfull",
    "4.3.2": "notaccept",
    "4.3.3": "systemerror",
    "4.3.5": "systemerror",
    "4.4.1": "expired",
    "4.4.2": "networkerror",
    "4.4.3": "systemerror",
    "4.4.4": "networkerror",
    "4.4.5": "systemfull",
    "4.4.6": "networkerror",
    "4.4.7": "expired",
    "4.4.8": "networkerror",
    "4.5.3": "systemerror",
    "4.5.5": "systemerror",
    "4.6.0": "contenterror",
    "4.6.2": "contenterror",
    "4.6.5": "contenterror",
    "4.7.1": "blocked",
    "4.7.2": "blocked",
    "4.7.5": "securityerror",
    "4.7.6": "securityerror",
    "4.7.7": "securityerror",
    "4.7.12": "securityerror",
    "4.7.15": "securityerror",
    "4.7.16": "mesgtoobig",
    "4.7.24": "authfailure",
    "4.7.25": "requireptr",
    "4.7.26": "authfailure",
    "5.1.0": "userunknown",
    "5.1.1": "userunknown",
    "5.1.2": "hostunknown",
    "5.1.3": "userunknown",
    "5.1.4": "filtered",
    "5.1.6": "hasmoved",
    "5.1.7": "rejected",
    "5.1.8": "rejected",
    "5.1.9": "systemerror",
    "5.1.10": "notaccept",
    "5.2.0": "filtered",
    "5.2.1": "filtered",
    "5.2.2": "mailboxfull",
    "5.2.3": "exceedlimit",
    "5.2.4": "filtered",
    "5.3.0": "systemerror",
    "5.3.1": "systemfull",
    "5.3.2": "notaccept",
    "5.3.3": "systemerror",
    "5.3.4": "mesgtoobig",
    "5.3.5": "systemerror",
    "5.4.0": "networkerror",
    "5.4.3": "systemerror",
    "5.4.4": "hostunknown",
    "5.5.2": "syntaxerror",
    "5.5.3": "toomanyconn",
    "5.5.4": "systemerror",
    "5.5.5": "systemerror",
    "5.5.6": "syntaxerror",
    "5.6.0": "contenterror",
    "5.6.1": "contenterror",
    "5.6.2": "contenterror",
    "5.6.3": "contenterror",
    "5.6.5": "contenterror",
    "5.6.6": "contenterror",
    "5.6.7": "contenterror",
    "5.6.8": "contenterror",
    "5.6.9": "contenterror",
    "5.7.0": "securityerror",
    "5.7.1": "securityerror",
    "5.7.2": "securityerror",
    "5.7.3": "securityerror",
    "5.7.4": "securityerror",
    "5.7.5": "securityerror",
    "5.7.6": "securityerror",
    "5.7.7": "securityerror",
    "5.7.8": "securityerror",
    "5.7.9": "securityerror",
    "5.7.10": "securityerror",
    "5.7.11": "securityerror",
    "5.7.13": "suspend",
    "5.7.14": "securityerror",
    "5.7.15": "securityerror",
    "5.7.16": "mesgtoobig",
    "5.7.17": "hasmoved",
    "5.7.18": "hasmoved",
    "5.7.19": "securityerror",
    "5.7.20": "authfailure",
    "5.7.21": "authfailure",
    "5.7.22": "authfailure",
    "5.7.23": "authfailure",
    "5.7.24": "authfailure",
    "5.7.25": "requireptr",
    "5.7.26": "authfailure",
    "5.7.27": "notaccept",
    "5.7.28": "spamdetected",
    "5.7.29": "authfailure",
    "5.7.30": "failedstarttls",
}

# sisimai's internal codes for a reason when the message carries no real status code.
PSEUDO_STATUS: dict[str, str] = {
    "authfailure": "926",
    "badreputation": "975",
    "blocked": "971",
    "contenterror": "960",
    "exceedlimit": "923",
    "expired": "947",
    "filtered": "910",
    "hasmoved": "916",
    "hostunknown": "912",
    "mailboxfull": "922",
    "mailererror": "939",
    "mesgtoobig": "934",
    "networkerror": "944",
    "norelaying": "909",
    "notaccept": "932",
    "onhold": "901",
    "policyviolation": "972",
    "rejected": "918",
    "securityerror": "970",
    "spamdetected": "980",
    "speeding": "946",
    "suspend": "921",
    "systemerror": "930",
    "systemfull": "931",
    "syntaxerror": "902",
    "toomanyconn": "945",
    "userunknown": "911",
    "undefined": "900",
    "virusdetected": "981",
    "requireptr": "973",
    "notcompliantrfc": "974",
    "failedstarttls": "976",
}

_STATUS_RE = re.compile(r"(?<![\d.\w])([245])\.(\d{1,3})\.(\d{1,3})(?![\d]|\.\d)")
_CODE_RE = re.compile(r"(?<![\d.\-\w#])([245][0-5]\d)(?:[ \-]|$)")

# SMTP commands as they appear (upper case) in replies and transcripts; the last one a text
# names is the one the error answered ("RCPT TO:<a@b> ... 550 ..." after "MAIL FROM").
_COMMAND_WORDS = re.compile(
    r"(?<![\w@.\-])(HELO|EHLO|STARTTLS|AUTH|MAIL FROM|RCPT TO|RCPT|DATA|QUIT|XFORWARD)"
    r"(?![\w@.\-])"
)
# Yahoo's and others' bracketed command tags: "[RCPT_TO]", "[MAIL_FROM]".
_COMMAND_TAG = re.compile(r"\[(RCPT_TO|MAIL_FROM|DATA|EHLO|HELO)\]")
_SEQUENCE = ("EHLO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA", "QUIT", "XFORWARD")
# Prose that names the command in lower case (Postfix "in reply to end of DATA command",
# Exim "SMTP error from remote mail server after RCPT TO:", "after initial connection").
_COMMAND_PROSE = re.compile(
    r"(?:in reply to|after) (?:the )?(?:pipelined )?(?:end of )?"
    r"(?P<word>rcpt|mail|data|ehlo|helo|starttls|auth)\b(?: from| to)?(?: command)?"
    r"|(?P<conn>after (?:the )?initial connection|connected but greeting failed"
    # Postfix: the server refused the session at its greeting (sisimai's Postfix reader
    # takes this as the HELO stage).
    r"|refused to talk to me)",
    re.IGNORECASE,
)
# A session transcript: the last command we sent before the error.
_TRANSCRIPT = re.compile(r">>> ?(rcpt|mail|data|ehlo|helo|starttls|auth)\b", re.I)
_TRANSCRIPT_MARK = ">>>"
_BEFORE_DATA = frozenset({"CONN", "EHLO", "HELO", "STARTTLS", "AUTH", "MAIL", "RCPT"})
# Reasons a detector may name that the diagnostic text can still refine (sisimai's "retry").
RETRY_REASONS = frozenset(
    {
        "undefined",
        "onhold",
        "systemerror",
        "securityerror",
        "expired",
        "networkerror",
        "hostunknown",
        "userunknown",
    }
)
# sisimai's order of probes: first the status and text of specific reasons...
_ORDER0 = (
    "mailboxfull",
    "mesgtoobig",
    "exceedlimit",
    "suspend",
    "hasmoved",
    "norelaying",
    "authfailure",
    "userunknown",
    "filtered",
    "requireptr",
    "notcompliantrfc",
    "badreputation",
    "contenterror",
    "rejected",
    "hostunknown",
    "spamdetected",
    "speeding",
    "toomanyconn",
    "blocked",
)
# ...then, when the status does not decide, the text of the broad ones.
_ORDER1 = (
    "mailboxfull",
    "authfailure",
    "badreputation",
    "speeding",
    "spamdetected",
    "virusdetected",
    "policyviolation",
    "norelaying",
    "systemerror",
    "networkerror",
    "suspend",
    "contenterror",
    "systemfull",
    "notaccept",
    "expired",
    "failedstarttls",
    "securityerror",
    "mailererror",
)


@dataclass(frozen=True)
class ReplyClass:
    """What a delivery failure (or non-failure) means."""

    reason: str
    hard: bool
    status: str | None
    code: int | None
    # The user's own provider refused to send (a sending limit, its own spam filter): the
    # mailbox pauses and the recipient is not charged.
    submission: bool = False

    @property
    def is_bounce(self) -> bool:
        return self.reason not in NOT_BOUNCES


def is_temporary(text: str) -> bool:
    """sisimai's test for a temporary failure: a 4xx code, or words that say so."""
    found = find_status(text) or str(find_code(text) or "")
    lowered = text.lower()
    return found.startswith("4") or " temporar" in lowered or " persistent" in lowered


def is_hard(
    reason: str, status: str | None = None, code: int | None = None, text: str = ""
) -> bool:
    """sisimai's hardbounce rule: permanent address problems, and a permanent notaccept."""
    if reason in HARD_REASONS:
        return True
    if reason != "notaccept":
        return False
    evidence = f"{status or ''} {code or ''} {text}".strip()
    if not evidence:
        return True
    first = (status or "")[:1] or str(code or "")[:1]
    return first == "5" or not is_temporary(evidence)


def pseudo_status(reason: str, temporary: bool = False) -> str:
    """sisimai's internal status for a reason, used when a message carries no real code."""
    if temporary and reason in ("hasmoved", "hostunknown", "userunknown"):
        temporary = False  # no temporary form exists for these
    return f"{4 if temporary else 5}.0.{PSEUDO_STATUS.get(reason, '900')}"


_CONTINUED = re.compile(r"(?<![\d.])([245]\d\d)-([245]\.\d{1,3}\.\d{1,3})?\s*")


def sweep_reply(text: str) -> str:
    """A multi-line SMTP reply as one line ("550-5.7.1 a 550 5.7.1 b" → "550 5.7.1 a b").

    Servers repeat the code on every line; phrase matching needs the words side by side.
    """
    first = _CONTINUED.search(text)
    if first is None:
        return text
    code, status = first.group(1), first.group(2) or ""
    marks = re.compile(rf"(?<![\d.]){code}[ -]{re.escape(status) if status else ''}\s*")
    rest = " ".join(marks.sub(" ", text).split())
    return " ".join(part for part in (code, status, rest) if part)


def find_status(text: str) -> str | None:
    """The first enhanced status code (``5.1.1``) in a text, or None."""
    match = _STATUS_RE.search(text)
    return ".".join(match.groups()) if match else None


def find_statuses(text: str) -> list[str]:
    """Every enhanced status code in a text, in order."""
    return [".".join(m.groups()) for m in _STATUS_RE.finditer(text)]


def find_code(text: str) -> int | None:
    """The first SMTP reply code (``550``) in a text, or None."""
    match = _CODE_RE.search(text)
    return int(match.group(1)) if match else None


def find_command(text: str) -> str | None:
    """The SMTP command a reply answered ("RCPT", "DATA", ...), when the text names it."""
    if not text:
        return None
    sent = _TRANSCRIPT.findall(text) if _TRANSCRIPT_MARK in text else []
    if sent:
        return _word(sent[-1].upper())
    tag = _COMMAND_TAG.search(text)
    if tag:
        return _word(tag.group(1).split("_")[0])
    prose = _COMMAND_PROSE.search(text)
    if prose:
        if prose.group("conn"):
            return "CONN"
        return _word(prose.group("word").upper())
    words = {_word(w) for w in _COMMAND_WORDS.findall(text)}
    if words:
        # The furthest step of the session the text mentions is the one that failed.
        return max(words, key=_SEQUENCE.index)
    return None


def _word(found: str) -> str:
    """The command's first word ("MAIL FROM" → "MAIL"); HELO counts as EHLO."""
    word = found.split(" ")[0]
    return "EHLO" if word == "HELO" else word


@dataclass(frozen=True)
class _Facts:
    text: str  # lower-case, whitespace collapsed
    status: str | None
    status_name: str
    code: int | None
    command: str | None
    hint: str


def _probe(reason: str, f: _Facts) -> bool:
    """Whether one reason fits the facts (sisimai's per-reason test, re-expressed)."""
    if f.hint == reason:
        return True
    text, named = f.text, f.status_name
    if reason == "userunknown":
        if named == "userunknown":
            return not any(
                says(r, text)
                for r in (
                    "norelaying",
                    "blocked",
                    "mailboxfull",
                    "hasmoved",
                    "rejected",
                    "notaccept",
                )
            )
        return f.command == "RCPT" and says("userunknown", text)
    if reason == "filtered":
        if named == "filtered":
            return says("userunknown", text) or says("filtered", text)
        if f.command in _BEFORE_DATA:
            return False
        return says("filtered", text) or says("userunknown", text)
    if reason == "rejected":
        if named == "rejected":
            return True
        if (
            f.command == "MAIL"
            or (f.command == "DATA" and named != "userunknown")
            or (named in ("", "undefined", "onhold", "securityerror", "systemerror"))
        ):
            return says("rejected", text)
        return False
    if reason == "hostunknown":
        if named == "hostunknown":
            return not says("networkerror", text)
        return says("hostunknown", text)
    if reason == "spamdetected":
        if not f.status:
            return False
        if named == reason:
            return True
        return f.command not in _BEFORE_DATA and says(reason, text)
    if reason == "contenterror":
        if _probe("spamdetected", f):
            return False
        return named == reason or says(reason, text)
    if reason == "suspend":
        return f.code == 525 or says(reason, text)
    if reason == "mesgtoobig":
        # 5.2.3 is the per-mailbox limit (exceedlimit), whatever the text calls it.
        if named == "exceedlimit":
            return False
        return named == reason or says(reason, text)
    if reason == "norelaying":
        return f.command not in ("CONN", "EHLO", "HELO") and says(reason, text)
    if reason in ("hasmoved", "notcompliantrfc", "badreputation", "speeding"):
        return says(reason, text)
    return named == reason or says(reason, text)


def reason_for(
    code: int | None,
    status: str | None,
    text: str,
    *,
    command: str | None = None,
    hint: str | None = None,
    action: str | None = None,
    diagnostic_type: str = "",
) -> str:
    """The sisimai reason name for a reply code, status and diagnostic text.

    ``hint`` is a reason a detector read from the notice's format; it stands unless it is one
    of :data:`RETRY_REASONS`, which the text may refine.
    """
    if hint and hint not in RETRY_REASONS:
        return hint
    if status and status.startswith("2."):
        return "delivered"
    if code is not None and 200 <= code < 300 and not status:
        return "delivered"
    lowered = " ".join(text.lower().split())
    by_provider = provider_code(lowered)
    if by_provider:
        return by_provider.reason
    facts = _Facts(
        text=lowered,
        status=status,
        status_name=STATUS_REASONS.get(status or "", ""),
        code=code,
        command=command,
        hint=hint or "",
    )
    smtp = diagnostic_type in ("", "SMTP")
    if smtp:
        for reason in _ORDER0:
            if _probe(reason, facts):
                return reason
    found = _another(facts, action, diagnostic_type)
    if found:
        return found
    if action == "delayed":
        return "expired"
    if says("vacation", lowered):
        return "vacation"
    return "onhold" if lowered else "undefined"


def _another(f: _Facts, action: str | None, diagnostic_type: str) -> str:
    if f.hint and f.hint not in ("undefined", "onhold"):
        return f.hint
    named = f.status_name
    if named in RETRY_REASONS or not named or diagnostic_type not in ("", "SMTP"):
        found = first_said(_ORDER1, f.text)
        if found:
            return found
        if named:
            return named
        prefix = (f.status or "")[:3]
        if prefix in ("5.6", "4.6"):
            return "contenterror"
        if prefix in ("5.7", "4.7"):
            return "securityerror"
        if diagnostic_type.startswith("X-UNIX"):
            return "mailererror"  # a local program (a pipe, a filter) failed
        if f.code is not None and (400 < f.code < 408 or 500 < f.code < 508):
            return "syntaxerror"
        if action in ("delayed", "expired"):
            return "expired"
        if f.command in ("CONN", "EHLO", "HELO"):
            # Refused before any address was sent: the client (IP, name) is what was refused.
            return "blocked"
    return named


def classify_reply(
    code: int | None,
    status: str | None,
    text: str,
    *,
    command: str | None = None,
    hint: str | None = None,
    action: str | None = None,
    diagnostic_type: str = "",
) -> ReplyClass:
    """Classify an SMTP reply or a bounce record's status and diagnostic.

    ``code`` and ``status`` may be None; they are then looked for in ``text``. The keyword
    arguments carry what a bounce notice adds: the SMTP command the reply answered, a reason
    the notice's format implies, and the DSN Action.
    """
    text = text or ""
    status = (status or "").strip() or find_status(text)
    if code is None:
        code = find_code(text)
    if command is None:
        command = find_command(text)
    reason = reason_for(
        code,
        status,
        text,
        command=command,
        hint=hint,
        action=action,
        diagnostic_type=diagnostic_type.upper(),
    )
    found: ProviderCode | None = None
    if reason not in NOT_BOUNCES:
        found = provider_code(" ".join(text.lower().split()))
    submission = found is not None and found.side == "submission" and found.reason == reason
    return ReplyClass(
        reason=Reason(reason),
        hard=is_hard(reason, status, code),
        status=status,
        code=code,
        submission=submission,
    )


__all__ = [
    "HARD_REASONS",
    "NOT_BOUNCES",
    "ReplyClass",
    "classify_reply",
    "find_code",
    "find_command",
    "find_status",
    "find_statuses",
    "is_hard",
    "is_temporary",
    "pseudo_status",
    "reason_for",
    "sweep_reply",
]
