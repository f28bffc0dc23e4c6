"""Import bounce messages into the ledger: match sends, apply the policy, suppress.

For every record a message holds: match it to the message the ledger sent (the original
Message-ID quoted in the bounce, else the latest send to the recipient), ask
:func:`preflight.bounces.trust.bounce_trust` whether the bounce may act on it, decide with the
same :func:`preflight.policy.decide` the sender uses, update the message, suppress hard
bounces and complaints, and store the record with where the raw message is. A record whose
fingerprint is already stored is skipped, so importing the same mailbox twice changes
nothing. A message that cannot be read is recorded as unreadable and the import goes on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from preflight.bounces.classify import ReplyClass
from preflight.bounces.imap import ImapSource, imap_password, is_imap_url, parse_imap_url
from preflight.bounces.model import BounceRecord
from preflight.bounces.reader import Reading, read_records
from preflight.bounces.sources import RawMessage, iter_paths
from preflight.bounces.trust import bounce_trust
from preflight.errors import UsageError
from preflight.ledger.bounces import SentMessage, StoredBounce
from preflight.outcomes import Failure, apply_failure
from preflight.policy import BouncePolicy, hard_bounce_brake

if TYPE_CHECKING:
    from preflight.ledger import Ledger

# Records that are not failures: kept for the record, change no message.
_INFORMATIONAL = frozenset({"delivered", "vacation"})


@dataclass
class ImportSummary:
    """What an import did, counted."""

    messages: int = 0
    not_bounces: int = 0
    records: int = 0
    already_imported: int = 0
    matched: int = 0
    unmatched: int = 0
    hard: int = 0
    soft: int = 0
    delayed: int = 0
    complaints: int = 0
    autoreplies: int = 0
    delivered: int = 0
    suppressed: int = 0
    moved: int = 0
    # Matched a send but not trusted to act on it (see preflight.bounces.trust).
    untrusted: int = 0
    unreadable: int = 0
    capped: int = 0
    paused: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        lines = [
            f"read {self.messages} messages: {self.records} new records, "
            f"{self.already_imported} already imported, {self.not_bounces} not bounces",
            f"matched to sends: {self.matched}, unmatched: {self.unmatched}, "
            f"not trusted to act: {self.untrusted}",
            f"hard bounces: {self.hard}, soft: {self.soft}, delay warnings: {self.delayed}, "
            f"complaints: {self.complaints}, auto-replies: {self.autoreplies}, "
            f"delivery reports: {self.delivered}",
            f"addresses suppressed: {self.suppressed}",
        ]
        if self.unreadable or self.capped:
            lines.append(
                f"unreadable messages: {self.unreadable}, read only in part: {self.capped}"
            )
        if self.moved:
            lines.append(f"moved to the processed folder: {self.moved}")
        for mailbox, why in sorted(self.paused.items()):
            lines.append(f"paused sending mailbox {mailbox}: {why}")
        return "\n".join(lines)


def message_identity(data: bytes) -> str:
    """Identity of one bounce message: its own Message-ID, else a hash of its bytes."""
    return _own_message_id(data) or hashlib.sha256(data).hexdigest()


def fingerprint(identity: str, recipient: str | None) -> str:
    """Identity of one record: the bounce message's :func:`message_identity` and the
    recipient. The same bounce read twice, from any source, has the same fingerprint."""
    key = "\0".join((identity, recipient or ""))
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


def _own_message_id(data: bytes) -> str | None:
    head = data.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
    for line in head.splitlines():
        if line[:11].lower() == b"message-id:":
            value = line[11:].strip()
            return value.decode("ascii", "replace") if value else None
    return None


def _bare(message_id: str) -> str:
    return message_id.strip().strip("<>")


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds")


class Importer:
    """Applies bounce records to one ledger (``now`` is injectable for tests)."""

    def __init__(
        self,
        ledger: Ledger,
        policy: BouncePolicy | None = None,
        now: datetime | None = None,
        policy_for: Callable[[str], BouncePolicy] | None = None,
    ) -> None:
        self.ledger = ledger
        self.policy = policy or BouncePolicy()
        # The policy of the campaign a bounce answers (the one the ledger stored for it).
        self.policy_for = policy_for
        self.now = now
        self.summary = ImportSummary()

    def _policy(self, campaign: str | None) -> BouncePolicy:
        if campaign is not None and self.policy_for is not None:
            return self.policy_for(campaign)
        return self.policy

    def _now(self) -> datetime:
        return self.now or datetime.now(UTC)

    def import_messages(self, messages: Iterable[RawMessage]) -> ImportSummary:
        for raw in messages:
            self.import_one(raw)
        return self.summary

    def import_one(self, raw: RawMessage) -> None:
        """Classify one raw message and apply its records in one transaction."""
        self.summary.messages += 1
        identity = message_identity(raw.data)
        try:
            reading = read_records(raw.data)
        except Exception as error:  # hostile input must never stop an import
            # The reader is bounded and meant never to raise; should a message still break
            # it, it is recorded once and every later message is still read.
            self.summary.unreadable += 1
            with self.ledger.transaction():
                self.ledger.record_bounce_message(
                    identity, raw.location, "unreadable", type(error).__name__,
                    _iso(self._now()),
                )
            return
        if reading.notes:
            self.summary.capped += 1
        if not reading.records:
            self.summary.not_bounces += 1
            if not reading.notes:
                return
        with self.ledger.transaction():
            if reading.notes:
                self.ledger.record_bounce_message(
                    identity, raw.location, "capped", "; ".join(reading.notes)[:2000],
                    _iso(self._now()),
                )
            for record in reading.records:
                self._apply(raw, identity, record, reading)

    def _trusted(self, record: BounceRecord, message: SentMessage, reading: Reading) -> bool:
        by_id = bool(record.original_message_id and message.message_id) and _bare(
            record.original_message_id
        ) == _bare(message.message_id)
        verdict = bounce_trust(
            matched_by_message_id=by_id,
            sent_at=_parse_time(message.sent_at),
            mailbox=message.mailbox,
            envelope=reading.envelope,
            now=self._now(),
        )
        return verdict.acts

    def _apply(
        self, raw: RawMessage, identity: str, record: BounceRecord, reading: Reading
    ) -> None:
        if not record.recipient:
            self.summary.unmatched += 1
            return
        print_ = fingerprint(identity, record.recipient)
        if self.ledger.bounce_known(print_):
            self.summary.already_imported += 1
            return
        self.summary.records += 1
        received = _iso(raw.received_at) if raw.received_at else None
        now = _iso(self._now())
        message = self.ledger.find_sent_message(
            message_id=record.original_message_id,
            recipient=record.recipient,
        )
        if message is not None:
            self.summary.matched += 1
            if not self._trusted(record, message, reading):
                self.summary.untrusted += 1
                message = None
        else:
            self.summary.unmatched += 1
        self._count(record)
        final_failure = record.reason not in _INFORMATIONAL and record.action != "delayed"
        # Only a bounce tied to our own send acts (suppress, defer, pause): an unmatched or
        # untrusted one is stored for the record and changes nothing.
        if final_failure and message is not None:
            soft_so_far = message.soft_failures
            reply = ReplyClass(
                reason=record.reason, hard=record.hard, status=record.status, code=record.replycode
            )
            policy = self._policy(message.campaign)
            detail = " ".join(filter(None, (record.status, record.diagnostic[:200])))
            # The address we sent to: a bounce never suppresses one we never mailed.
            decision, suppressed = apply_failure(
                self.ledger,
                policy,
                Failure(message.recipient, reply, soft_so_far, "bounce", detail or None),
            )
            self.summary.suppressed += suppressed
            state = decision.state
            if state == "deferred" and message.sent_at is not None:
                # The server accepted this message; a later bounce says it was not delivered,
                # never that it should go again (a forged "mailbox full" re-sent mail).
                state = "bounced"
            if state != "sent":
                retry_at = (
                    _iso(self._now() + decision.retry_after)
                    if decision.retry_after and state == "deferred"
                    else None
                )
                if decision.hold_until_reset:
                    until = self._hold(message.mailbox, record, message.campaign, now)
                    retry_at = until if state == "deferred" else None
                self.ledger.apply_bounce(
                    message.row_id,
                    state=state,
                    reason=record.reason,
                    hard=record.hard,
                    code=record.replycode,
                    status=record.status,
                    text=record.diagnostic[:1000] or None,
                    soft_failure=not record.hard and decision.counts_against_recipient,
                    next_attempt_at=retry_at,
                    now=now,
                )
                if record.hard:
                    # Inside this message's transaction: a crash after the commit must not
                    # leave a mailbox over the brake unpaused (a re-import skips this record).
                    self._brake(message.mailbox, message.campaign, now, policy, record.recipient)
                if decision.pause_mailbox:
                    # A reputation pause: it names the campaign and message that caused it.
                    why = (f"{record.status or 'bounce'} (campaign {message.campaign}, message "
                           f"to {record.recipient}): {decision.pause_mailbox}")
                    self._pause(message.mailbox, why, message.campaign, now)
        self.ledger.record_bounce(
            StoredBounce(
                fingerprint=print_,
                message_row=message.row_id if message else None,
                recipient=record.recipient,
                status=record.status,
                reason=record.reason,
                hard=record.hard,
                replycode=record.replycode,
                action=record.action,
                diagnostic=record.diagnostic[:2000] or None,
                original_message_id=record.original_message_id,
                detector=record.detector,
                source=raw.location,
                received_at=received,
                imported_at=now,
            )
        )

    def _count(self, record: BounceRecord) -> None:
        if record.reason == "feedback":
            self.summary.complaints += 1
        elif record.reason == "vacation":
            self.summary.autoreplies += 1
        elif record.reason == "delivered":
            self.summary.delivered += 1
        elif record.action == "delayed":
            self.summary.delayed += 1
        elif record.hard:
            self.summary.hard += 1
        else:
            self.summary.soft += 1

    def _hold(self, mailbox: str, record: BounceRecord, campaign: str | None, now: str) -> str:
        """The sender's own provider refused after accepting (Microsoft's submission-quota
        NDR): hold the mailbox for a day, its providers' longest reset; the importer has no
        campaign file to read the provider's own reset from."""
        until = _iso(self._now() + timedelta(days=1))
        why = f"{record.status or ''} {record.diagnostic[:200]}".strip()
        self.ledger.hold_mailbox(
            mailbox, f"{why}: provider sending limit reached", until, campaign, now
        )
        return until

    def _pause(self, mailbox: str, why: str, campaign: str | None, now: str) -> None:
        self.ledger.pause_mailbox(mailbox, why, campaign, now)
        self.summary.paused[mailbox] = why

    def _brake(
        self, mailbox: str, campaign: str | None, now: str, policy: BouncePolicy,
        recipient: str | None = None,
    ) -> None:
        """Pause the mailbox once its hard bounces pass the policy's share of recent sends."""
        if mailbox in self.ledger.paused_mailboxes():
            return
        flags = self.ledger.recent_hard_flags(mailbox, policy.hard_bounce_window)
        why = hard_bounce_brake(policy, flags)
        if why:
            cause = f"in campaign {campaign}, last bounce from {recipient}"
            why = why.replace("): ", f"; {cause}): ", 1)
            self._pause(mailbox, why, campaign, now)


def import_source(
    ledger: Ledger,
    source: str,
    *,
    since: date | None = None,
    move_to: str | None = None,
    password_env: str | None = None,
    cafile: str | Path | None = None,
    insecure: bool = False,
    policy: BouncePolicy | None = None,
) -> ImportSummary:
    """Import from an mbox file, a Maildir, a folder of files, or an IMAP folder.

    Without an explicit ``policy``, each bounce is judged by the policy its campaign was sent
    under (stored in the ledger), else by the defaults.
    """
    importer = Importer(
        ledger, policy, policy_for=None if policy is not None else ledger.campaign_policy
    )
    importer.summary.moved = visit_source(
        source,
        importer.import_one,
        since=since,
        move_to=move_to,
        password_env=password_env,
        cafile=cafile,
        insecure=insecure,
    )
    return importer.summary


def visit_source(
    source: str,
    handle: Callable[[RawMessage], object],
    *,
    since: date | None = None,
    move_to: str | None = None,
    password_env: str | None = None,
    cafile: str | Path | None = None,
    insecure: bool = False,
) -> int:
    """Call ``handle`` on every message of an mbox, Maildir, folder or IMAP folder; with
    ``move_to`` (IMAP), move each message there once it is handled. Returns how many moved."""
    moved = 0
    if is_imap_url(source):
        target = parse_imap_url(source)
        password = imap_password(password_env)
        with ImapSource(target, password, insecure=insecure, cafile=cafile) as imap:
            for raw in imap.messages(since):
                handle(raw)
                if move_to and raw.uid:
                    imap.move(raw.uid, move_to)
                    moved += 1
        return moved
    if move_to or since or insecure or cafile or password_env:
        raise UsageError(
            "--since, --move-to, --password-env, --cafile and --insecure apply "
            "to IMAP sources only",
            field="SOURCE",
        )
    for raw in iter_paths([Path(source)]):
        handle(raw)
    return moved


__all__ = [
    "ImportSummary",
    "Importer",
    "fingerprint",
    "import_source",
    "message_identity",
    "visit_source",
]
