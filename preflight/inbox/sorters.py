"""What kind of message arrived: bounce, auto-reply, reply, opt-out or other.

A sorter is one small declared unit: a name and a function from the message (and what we
know of our own mail, :class:`Correspondence`) to a :class:`Sorted` verdict or None. They run
in the fixed order of :data:`SORTERS`, the first verdict wins. Nothing here reads a ledger or
a mailbox: the import workflow supplies the :class:`Correspondence`.

The order encodes the conservative choices: a bounce is a bounce whatever it quotes; a mail to
the unsubscribe address is an opt-out whoever sends it; bulk mail and strangers are never a
reply or an opt-out; an automatic message is never an opt-out; only the person's own words
(never a quoted line) can ask to stop, and anything else from a person we wrote to is a reply.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from preflight.bounces.model import BounceRecord
from preflight.bounces.reader import classify_message
from preflight.inbox.message import InboxMessage
from preflight.inbox.phrases import phrase_pattern, phrases
from preflight.inbox.returns import return_date

KINDS = ("bounce", "autoreply", "reply", "optout", "other")


@dataclass(frozen=True)
class SentRef:
    """Our message a mail answers (or the latest one to its sender)."""

    row_id: int
    campaign: str
    recipient: str
    message_id: str | None


class Correspondence(Protocol):
    """What the sorter needs to know about our own mail."""

    def answered(self, message_ids: list[str]) -> SentRef | None:
        """Our message among these Message-IDs (In-Reply-To, References)."""

    def wrote_to(self, address: str) -> SentRef | None:
        """Our latest message to this person, by address identity."""

    def is_unsubscribe_address(self, address: str) -> bool: ...

    def is_ours(self, address: str) -> bool:
        """One of our own sending mailboxes or domains (a colleague, not a buyer)."""


@dataclass
class Sorted:
    kind: str
    sorter: str
    person: str | None = None  # whom it is about: the sender, or a bounce's recipient
    sent: SentRef | None = None
    until: date | None = None  # an auto-reply's return date
    detail: str | None = None
    bounces: list[BounceRecord] = field(default_factory=list)


@dataclass
class Context:
    message: InboxMessage
    data: bytes
    known: Correspondence
    _sent: SentRef | None = None
    _looked: bool = False

    by_id: bool = False

    @property
    def sent(self) -> SentRef | None:
        """Our message this answers: by Message-ID, else by the sender's address (never an
        address that only appears in the text)."""
        if not self._looked:
            self._looked = True
            msg = self.message
            self._sent = self.known.answered(msg.answers)
            self.by_id = self._sent is not None
            if self._sent is None and msg.sender and not self.known.is_ours(msg.sender):
                self._sent = self.known.wrote_to(msg.sender)
        return self._sent

    @property
    def person(self) -> str:
        """Whom the answer is about: the person our message went to when it answers that
        message by id (a colleague may answer for them), else the sender."""
        sent = self.sent
        return sent.recipient if sent is not None and self.by_id else self.message.sender


Sorter = Callable[[Context], Sorted | None]


def _bounce(ctx: Context) -> Sorted | None:
    records = [r for r in classify_message(ctx.data) if r.reason != "vacation"]
    if not records:
        return None
    return Sorted("bounce", "bounce", person=records[0].recipient, bounces=records)


def _receipt(ctx: Context) -> Sorted | None:
    msg = ctx.message
    if msg.report_type == "disposition-notification" or (
        "message/disposition-notification" in msg.parts
    ):
        return Sorted("other", "read-receipt", person=msg.sender)
    return None


def _unsubscribe_mailto(ctx: Context) -> Sorted | None:
    msg = ctx.message
    if msg.sender and any(ctx.known.is_unsubscribe_address(a) for a in msg.recipients):
        return Sorted("optout", "unsubscribe-mailto", person=msg.sender, sent=ctx.sent,
                      detail=f"mail to the unsubscribe address: {msg.subject[:100]}")  # fmt: skip
    return None


_BULK = frozenset({"bulk", "list", "junk"})


def _bulk_or_stranger(ctx: Context) -> Sorted | None:
    msg = ctx.message
    answers_us = ctx.known.answered(msg.answers) is not None
    bulk = msg.headers.get("precedence") in _BULK or bool(
        msg.headers.get("list-id") or msg.headers.get("list-unsubscribe")
    )
    if (bulk and not answers_us) or ctx.sent is None or not msg.sender:
        return Sorted("other", "bulk" if bulk else "stranger", person=msg.sender)
    return None


_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|aw|sv|vs|antw|r|rif|odp|ответ|回复|答复)\s*[:：]\s*)+",
                           re.IGNORECASE)  # fmt: skip
_AUTO_HEADERS = ("x-autoreply", "x-autorespond")


def _automatic(msg: InboxMessage, answers_us: bool) -> str | None:
    """Why the message is an automatic reply, or None."""
    submitted = msg.headers.get("auto-submitted", "")
    if submitted.startswith("auto-replied"):
        return "Auto-Submitted: auto-replied (RFC 3834)"
    if any(msg.headers.get(name) for name in _AUTO_HEADERS):
        return "X-Autoreply header"
    if msg.headers.get("precedence") == "auto_reply":
        return "Precedence: auto_reply"
    subject = _REPLY_PREFIX.sub("", msg.subject).casefold()
    for phrase in phrases("autoreply_subjects.txt"):
        if subject.startswith(phrase.text):
            return f"subject {phrase.text!r} ({phrase.language})"
    if submitted.startswith("auto-generated"):
        # A machine's answer to our own message (a ticket, a receipt) is an auto-reply;
        # without our id it is a notification, not an answer.
        return "Auto-Submitted: auto-generated, answering our message" if answers_us else None
    words = msg.own_words
    match = phrase_pattern("autoreply_phrases.txt").search(words)
    if match and "?" not in words and len(words.split()) <= 60:
        return f"out-of-office wording {match.group(0)!r}"
    return None


def _autoreply(ctx: Context) -> Sorted | None:
    why = _automatic(ctx.message, ctx.sent is not None and ctx.by_id)
    if why is None:
        if ctx.message.headers.get("auto-submitted", "").startswith("auto-generated"):
            return Sorted("other", "notification", person=ctx.message.sender)
        return None
    msg = ctx.message
    return Sorted("autoreply", "autoreply", person=ctx.person, sent=ctx.sent,
                  until=return_date(msg.own_words, msg.date), detail=why)  # fmt: skip


# "STOP" alone is the oldest opt-out word there is (SMS, CAN-SPAM practice).
_STOP_ALONE = re.compile(r"^\W*stop\W*$", re.IGNORECASE)


# A line that says "click", "http" or "newsletter" is a footer or a link someone pasted,
# not the person asking us to stop.
_FOOTER = re.compile(r"https?://|www\.|click|klicken|cliquez|haga clic|newsletter", re.IGNORECASE)


def _optout_words(ctx: Context) -> Sorted | None:
    words = ctx.message.own_words
    # The person's lines without footers, joined: a request may wrap over two lines.
    clean = " ".join(ln.strip() for ln in words.splitlines() if not _FOOTER.search(ln))
    match = phrase_pattern("optout_phrases.txt").search(clean) or _STOP_ALONE.match(clean)
    if match is None:
        return None
    said = clean[max(0, match.start() - 60) : match.end() + 60].strip()
    return Sorted("optout", "optout-words", person=ctx.person, sent=ctx.sent,
                  detail=said[:200])  # fmt: skip


def _reply(ctx: Context) -> Sorted | None:
    msg = ctx.message
    return Sorted("reply", "reply", person=ctx.person, sent=ctx.sent, detail=msg.subject[:200])


# The registry, in order: the first verdict wins.
SORTERS: tuple[tuple[str, Sorter], ...] = (
    ("bounce", _bounce),
    ("read-receipt", _receipt),
    ("unsubscribe-mailto", _unsubscribe_mailto),
    ("bulk-or-stranger", _bulk_or_stranger),
    ("autoreply", _autoreply),
    ("optout-words", _optout_words),
    ("reply", _reply),
)


def sort_message(message: InboxMessage, data: bytes, known: Correspondence) -> Sorted:
    ctx = Context(message, data, known)
    for _, sorter in SORTERS:
        verdict = sorter(ctx)
        if verdict is not None:
            return verdict
    return Sorted("other", "none", person=message.sender)


__all__ = ["KINDS", "SORTERS", "Correspondence", "SentRef", "Sorted", "sort_message"]
