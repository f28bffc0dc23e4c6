"""Everything checked before a message is sent: addresses, template, headers, the lint gate.

:func:`validate_rows` streams the recipients file one row at a time (a million rows never sit
in memory): the address checks run in order in this process (they remember duplicates, in
bounded memory), the rendering, MIME building and linting of larger lists run in a small
process pool. :func:`prepare_campaign` stores the verdicts in the ledger; :func:`write_dry_run`
writes the exact ``.eml`` files instead. What passes can be kept, as bytes, in
:class:`BuiltMessages`, so the send loop sends exactly what the gate linted.

Both take a ``limit``: validation stops as soon as that many sendable messages are found, so
``send --limit 10`` on a million-row list reads the first rows only. The :class:`Validation`
summary then covers the rows read so far (``stopped_at_limit`` says so).
"""

from __future__ import annotations

import multiprocessing
import os
import re
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from preflight.addresses import AddressChecker
from preflight.campaign_config import CampaignConfig, MailboxConfig
from preflight.contacts import ContactGate, remember
from preflight.draft import Draft
from preflight.errors import InputError, TemplateError
from preflight.idn import ascii_address
from preflight.ledger import Ledger
from preflight.ledger.followups import Thread
from preflight.ledger.messages import RowRecord, iso
from preflight.ledger.suppression import normalize_address
from preflight.lint.linter import lint_draft
from preflight.message import build_message, make_message_id
from preflight.policy import policy_to_dict
from preflight.recipients import read_recipients
from preflight.row_values import row_problems, spreadsheet_value
from preflight.templates import Template, load_template

_STORE_BATCH = 1000
_POOL_BATCH = 200
_POOL_MIN_BYTES = 100_000  # about 2,000 rows
_POOL_MIN_ROWS = 2_000
_KEEP_EXAMPLES = 20
# Built messages kept for the send loop. Warm-up caps send tens to hundreds a day, so a few
# thousand ready messages is plenty; the rest are built again when their turn comes.
BUILT_BUDGET_BYTES = 16 * 1024 * 1024
_DATE_LINE = re.compile(rb"(?m)^Date: [^\r\n]*")


class BuiltMessages:
    """Messages built (and linted) during validation, kept as bytes for the send loop.

    What is sent is then byte for byte what the gate linted, and the MIME work is not done
    twice; only the Date line is brought up to the moment of sending. A byte budget bounds
    the memory: rows past it are simply built again when their turn comes.
    """

    def __init__(self, budget_bytes: int = BUILT_BUDGET_BYTES) -> None:
        self.budget = budget_bytes
        self.used = 0
        self._items: dict[str, tuple[bytes, str]] = {}

    def keep(self, recipient: str, payload: bytes, message_id: str) -> None:
        if self.used + len(payload) > self.budget or recipient in self._items:
            return
        self._items[recipient] = (payload, message_id)
        self.used += len(payload)

    def take(self, recipient: str, when: datetime) -> tuple[bytes, str] | None:
        item = self._items.pop(recipient, None)
        if item is None:
            return None
        payload, message_id = item
        self.used -= len(payload)
        dated = _DATE_LINE.sub(b"Date: " + format_datetime(when).encode(), payload, count=1)
        return dated, message_id

    def __len__(self) -> int:
        return len(self._items)


@dataclass
class RowOutcome:
    """One recipients-file row after the gate."""

    seq: int
    line: int
    recipient: str
    fields: dict[str, str]
    state: str  # queued | skipped | duplicate
    detail: str | None = None
    score: float | None = None
    warnings: tuple[str, ...] = ()
    payload: bytes | None = None  # the exact message, when asked for
    message_id: str | None = None


@dataclass
class Validation:
    """The pre-send summary."""

    rows: int = 0
    queued: int = 0
    skipped_address: int = 0
    skipped_lint: int = 0
    skipped_contact: int = 0
    skipped_other: int = 0
    duplicates: int = 0
    warnings: int = 0
    score_min: float | None = None
    score_max: float | None = None
    examples: list[str] = field(default_factory=list)  # "line 7 a@b: why" (first few)
    warning_examples: list[str] = field(default_factory=list)
    # Every row skipped to protect a person (replied, opted out, contacted recently).
    contact_skips: list[str] = field(default_factory=list)
    # True when a limit stopped validation early: the counts cover the rows read so far.
    stopped_at_limit: bool = False

    @property
    def skipped(self) -> int:
        return self.skipped_address + self.skipped_lint + self.skipped_contact + self.skipped_other

    def add(self, outcome: RowOutcome) -> None:
        self.rows += 1
        if outcome.score is not None:
            low, high = self.score_min, self.score_max
            self.score_min = outcome.score if low is None else min(low, outcome.score)
            self.score_max = outcome.score if high is None else max(high, outcome.score)
        if outcome.warnings:
            self.warnings += 1
            if len(self.warning_examples) < _KEEP_EXAMPLES:
                self.warning_examples.append(
                    f"line {outcome.line} {outcome.recipient}: {'; '.join(outcome.warnings)}"
                )
        if outcome.state == "queued":
            self.queued += 1
            return
        if outcome.state == "duplicate":
            self.duplicates += 1
        elif (outcome.detail or "").startswith("address"):
            self.skipped_address += 1
        elif (outcome.detail or "").startswith("lint"):
            self.skipped_lint += 1
        elif (outcome.detail or "").startswith("contact"):
            self.skipped_contact += 1
            self.contact_skips.append(f"line {outcome.line} {outcome.recipient}: {outcome.detail}")
            return
        else:
            self.skipped_other += 1
        if len(self.examples) < _KEEP_EXAMPLES:
            # A duplicate is not a skipped message: the first row of that mailbox is sent.
            kind = "duplicate" if outcome.state == "duplicate" else "skipped"
            self.examples.append(
                f"{kind} line {outcome.line} {outcome.recipient}: {outcome.detail}"
            )


def check_columns(config: CampaignConfig, template: Template) -> None:
    """Every template variable must be a column, or every row would fail the same way."""
    with read_recipients(config.recipients) as reader:
        columns = list(reader.columns)
    missing = sorted(template.variables - set(columns))
    if missing:
        raise TemplateError(
            f"the template uses {', '.join(missing)} but the recipients file has no such "
            f"column (columns: {', '.join(columns)})",
            file=config.recipients,
            field=missing[0],
        )


def build_for(
    config: CampaignConfig,
    template: Template,
    fields: dict[str, str],
    *,
    mailbox: MailboxConfig,
    recipient: str,
    when: datetime,
    thread: Thread | None = None,
) -> tuple[EmailMessage, Draft]:
    """Render, build and parse one message; raises our own errors on bad input.

    A follow-up passes its ``thread``: it answers the person's previous message (In-Reply-To,
    References) and takes the thread's subject unless its template sets one.
    """
    rendered = template.render(fields)
    headers = config.unsubscribe.headers(recipient)
    if thread is not None:
        headers = {**headers, "In-Reply-To": thread.in_reply_to, "References": thread.refs}
        if not rendered.subject.strip():
            rendered = replace(rendered, subject=thread.subject)
    message = build_message(
        rendered,
        from_addr=mailbox.from_header,
        to_addr=ascii_address(recipient),
        extra_headers=headers,
        message_id=make_message_id(mailbox.domain),
        date=when,
    )
    draft = Draft.from_message(
        message,
        f"{template.name} [{recipient}]",
        personalization=rendered.personalization,
        follow_up=thread is not None,
    )
    return message, draft


def _checked_rows(config: CampaignConfig, checker: AddressChecker) -> Iterator[RowOutcome]:
    """Rows after the address checks, in file order (the checker keeps duplicate state, so
    this part stays in one process)."""
    with read_recipients(config.recipients) as reader:
        for seq, row in enumerate(reader, 1):
            verdict = checker.check(row.email, line=row.line)
            recipient = normalize_address(verdict.normalized or row.email)
            warnings = tuple(r.message for r in verdict.reasons if r.severity == "warn")
            outcome = RowOutcome(
                seq, row.line, recipient, dict(row.fields), "queued", warnings=warnings
            )
            if verdict.verdict == "reject":
                outcome.state = "duplicate" if "duplicate" in verdict.codes else "skipped"
                rejects = [r for r in verdict.reasons if r.severity == "reject"]
                outcome.detail = "address: " + "; ".join(f"{r.message} ({r.fix})" for r in rejects)
            yield outcome


# The lint rule that finds a placeholder left in the rendered message (one definition).
LEFTOVER_RULE = "WRT704"


def gate_row(
    config: CampaignConfig, template: Template, outcome: RowOutcome, now: datetime, keep: bool
) -> RowOutcome:
    """Render, build and lint one row that passed the address checks (in place)."""
    if outcome.state != "queued":
        return outcome
    mailboxes = config.mailboxes
    mailbox = mailboxes[(outcome.seq - 1) % len(mailboxes)]
    fields = {name: spreadsheet_value(value) for name, value in outcome.fields.items()}
    problems = row_problems(template.path, template.variables, fields)
    if problems:
        # Blocked whatever the score: "Hi ," or a formula in the greeting embarrasses.
        outcome.state = "skipped"
        outcome.detail = "value: " + "; ".join(problems)
        return outcome
    try:
        message, draft = build_for(
            config,
            template,
            outcome.fields,
            mailbox=mailbox,
            recipient=outcome.recipient,
            when=now,
        )
    except InputError as error:  # TemplateError, HeaderInjectionError, bad address
        outcome.state = "skipped"
        outcome.detail = f"message: {error}"
        return outcome
    report = lint_draft(draft, config.lint)
    outcome.score = report.score
    leftover = next((f for f in report.findings if f.code == LEFTOVER_RULE), None)
    if leftover is not None:
        # Blocked whatever the score: a placeholder or "Hi ," must never reach a buyer.
        outcome.state = "skipped"
        outcome.detail = f"value: {leftover.message} (fix the template or the row)"
        return outcome
    if not report.passed:
        worst = sorted(report.findings, key=lambda f: -f.points)[:3]
        outcome.state = "skipped"
        outcome.detail = (
            f"lint: score {report.score:g} is over the threshold {config.lint.threshold:g}"
            f" ({', '.join(f'{f.code} {f.name}' for f in worst)})"
        )
    elif keep:
        outcome.payload = message.as_bytes()
        outcome.message_id = str(message["Message-ID"])
    return outcome


# Worker-process state for pooled validation: loaded once per worker.
_WORKER: dict[str, object] = {}


def _worker_init(config: CampaignConfig, template_path: Path) -> None:
    _WORKER["config"] = config
    _WORKER["template"] = load_template(template_path)


def _worker_gate(batch: list[RowOutcome], now: datetime, keep: bool) -> list[RowOutcome]:
    config = _WORKER["config"]
    template = _WORKER["template"]
    assert isinstance(config, CampaignConfig) and isinstance(template, Template)
    return [gate_row(config, template, outcome, now, keep) for outcome in batch]


def validation_workers(path: Path, limit: int | None = None) -> int:
    """Processes worth starting for a recipients file: rendering, MIME and lint are CPU
    bound, but a worker costs a second of start-up, so small lists stay in-process, and so
    does a run that stops after a few messages (``limit``)."""
    if limit is not None and limit < _POOL_MIN_ROWS:
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        size = path.stat().st_size
    except OSError:
        return 1
    return min(cpus or 1, 4) if size > _POOL_MIN_BYTES else 1


def validate_rows(
    config: CampaignConfig,
    template: Template,
    checker: AddressChecker,
    *,
    now: datetime,
    keep_message: bool = False,
    workers: int | None = None,
) -> Iterator[RowOutcome]:
    """Stream every row through the gate (addresses, template, headers, lint), in order.

    ``keep_message`` fills each passing outcome's ``payload`` (the exact bytes). With more
    than one worker, batches of rows are gated in a process pool, a bounded number in
    flight, so memory stays flat however long the list is. Closing the iterator early (a
    limit reached) cancels the batches not started and waits only for those running.
    """
    count = validation_workers(config.recipients) if workers is None else workers
    # closing(): stopping early releases the recipients file at once, not at collection.
    with closing(_checked_rows(config, checker)) as rows:
        if count <= 1:
            for outcome in rows:
                yield gate_row(config, template, outcome, now, keep_message)
        else:
            yield from _pooled(config, template, rows, count, now, keep_message)


def _pooled(
    config: CampaignConfig,
    template: Template,
    rows: Iterator[RowOutcome],
    count: int,
    now: datetime,
    keep_message: bool,
) -> Iterator[RowOutcome]:
    context = multiprocessing.get_context("spawn")  # no fork of a process holding a loop
    with ProcessPoolExecutor(
        max_workers=count,
        mp_context=context,
        initializer=_worker_init,
        initargs=(config, template.path),
    ) as pool:
        pending: deque[Future[list[RowOutcome]]] = deque()
        try:
            batch: list[RowOutcome] = []
            for outcome in rows:
                batch.append(outcome)
                if len(batch) >= _POOL_BATCH:
                    pending.append(pool.submit(_worker_gate, batch, now, keep_message))
                    batch = []
                    if len(pending) >= count * 3:
                        yield from pending.popleft().result()
            if batch:
                pending.append(pool.submit(_worker_gate, batch, now, keep_message))
            while pending:
                yield from pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def prepare_campaign(
    config: CampaignConfig,
    ledger: Ledger,
    template: Template,
    *,
    now: datetime,
    built: BuiltMessages | None = None,
    workers: int | None = None,
    limit: int | None = None,
) -> tuple[int, Validation]:
    """Validate the rows and store the verdicts; returns the campaign id and the summary.

    With ``built``, the messages that pass are kept for :class:`CampaignRun` to send as is.
    With ``limit``, validation stops once ``limit`` rows are queued that the ledger has not
    already attempted (rows sent by an earlier run do not count), and only the rows read so
    far are stored.
    """
    campaign = ledger.campaign_id(config.name, iso(now))
    summary = Validation()
    batch: list[RowRecord] = []
    stamp = iso(now)
    stored = policy_to_dict(config.policy)
    stored["unsubscribe_mailto"] = _mailto_address(config.unsubscribe.mailto)
    ledger.store_policy(campaign, stored, stamp)
    gate = ContactGate(ledger, config.name, config.recontact_after_days, now)
    keep = built is not None
    sendable = 0
    if workers is None:
        workers = validation_workers(config.recipients, limit)
    with (
        AddressChecker(ledger.suppression) as checker,
        closing(
            validate_rows(config, template, checker, now=now, keep_message=keep, workers=workers)
        ) as outcomes,
    ):
        for outcome in outcomes:
            if limit is not None and sendable >= limit:
                summary.stopped_at_limit = True
                break
            protect(gate, outcome)
            summary.add(outcome)
            if outcome.state == "duplicate":
                continue  # the first row of that mailbox is the one kept
            if outcome.state == "queued" and limit is not None:
                sendable += ledger.will_queue(campaign, outcome.recipient)
            if built is not None and outcome.payload is not None and outcome.message_id:
                built.keep(outcome.recipient, outcome.payload, outcome.message_id)
            batch.append(
                RowRecord(
                    seq=outcome.seq,
                    line=outcome.line,
                    recipient=outcome.recipient,
                    fields=outcome.fields,
                    state=outcome.state,
                    detail=outcome.detail,
                    lint_score=outcome.score,
                )
            )
            if len(batch) >= _STORE_BATCH:
                _store(ledger, campaign, batch, stamp)
                batch.clear()
    if batch:
        _store(ledger, campaign, batch, stamp)
    return campaign, summary


def _mailto_address(mailto: str | None) -> str | None:
    """``mailto:unsub@x?subject=y`` → ``unsub@x``: what the inbox reader compares To with."""
    if not mailto:
        return None
    return mailto.removeprefix("mailto:").split("?", 1)[0].strip().lower() or None


def _store(ledger: Ledger, campaign: int, batch: list[RowRecord], stamp: str) -> None:
    remember(ledger, (row.recipient for row in batch), stamp)
    ledger.store_rows(campaign, batch, stamp)


def protect(gate: ContactGate, outcome: RowOutcome) -> RowOutcome:
    """Skip (in place) a row whose person must not hear from this campaign now."""
    if outcome.state != "queued":
        return outcome
    blocker = gate.blocker(outcome.recipient)
    if blocker is not None:
        outcome.state = "skipped"
        outcome.detail = blocker.describe()
        outcome.payload = None
    return outcome


@dataclass
class PlannedMessages:
    """What ``send`` would queue now, found through the same validation (nothing written)."""

    validation: Validation
    messages: list[tuple[int, str]]  # (seq, recipient), in file order
    retry_due: dict[int, float]  # seq -> when a deferred retry is due (epoch seconds)


def plan_messages(
    config: CampaignConfig,
    ledger: Ledger,
    template: Template,
    *,
    now: datetime,
    workers: int | None = None,
) -> PlannedMessages:
    """The messages ``send`` would send, counted exactly as it counts them: every row through
    :func:`validate_rows` (addresses, values, template, lint), the rows already settled in the
    ledger left out, and the ledger's deferred messages added with their retry times."""
    check_columns(config, template)
    summary = Validation()
    campaign = ledger.find_campaign(config.name)
    messages: list[tuple[int, str]] = []
    if workers is None:
        workers = validation_workers(config.recipients, None)
    gate = ContactGate(ledger, config.name, config.recontact_after_days, now)
    with (
        AddressChecker(ledger.suppression) as checker,
        closing(validate_rows(config, template, checker, now=now, workers=workers)) as outcomes,
    ):
        for outcome in outcomes:
            protect(gate, outcome)
            summary.add(outcome)
            if outcome.state == "queued" and (
                campaign is None or ledger.will_queue(campaign, outcome.recipient)
            ):
                messages.append((outcome.seq, outcome.recipient))
    retry_due: dict[int, float] = {}
    if campaign is not None:
        have = {recipient for _, recipient in messages}
        for pending in ledger.pending_messages(campaign):
            # Deferred (or tried) rows stay queued whatever this validation says of them.
            tried = pending.state == "deferred" or pending.attempts > 0
            if tried and pending.recipient not in have:
                messages.append((pending.seq, pending.recipient))
                if pending.next_attempt_at:
                    retry_due[pending.seq] = datetime.fromisoformat(
                        pending.next_attempt_at).timestamp()
        messages.sort()
    return PlannedMessages(summary, messages, retry_due)


def write_dry_run(
    config: CampaignConfig,
    ledger: Ledger,
    template: Template,
    directory: Path,
    *,
    now: datetime,
    limit: int | None = None,
    workers: int | None = None,
) -> tuple[Validation, int]:
    """Write the exact .eml of every message that would be sent; the ledger is only read.

    With ``limit``, validation stops once ``limit`` messages are written: the summary then
    covers the rows read so far.
    """
    try:
        # The .eml files hold recipients' personal data: a private folder, private files.
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(
            f"cannot create the dry-run folder: {error.strerror or error}", file=directory
        ) from None
    summary = Validation()
    written = 0
    gate = ContactGate(ledger, config.name, config.recontact_after_days, now)
    if workers is None:
        workers = validation_workers(config.recipients, limit)
    with (
        AddressChecker(ledger.suppression) as checker,
        closing(
            validate_rows(config, template, checker, now=now, keep_message=True, workers=workers)
        ) as outcomes,
    ):
        for outcome in outcomes:
            if limit is not None and written >= limit:
                summary.stopped_at_limit = True
                break
            protect(gate, outcome)
            summary.add(outcome)
            if outcome.payload is None:
                continue
            _write_private(
                directory / dry_run_name(outcome.seq, outcome.recipient), outcome.payload
            )
            written += 1
    return summary, written


# Far below any file system's 255-byte name limit, even for a 254-character address.
_NAME_CHARS = 80


def dry_run_name(seq: int, recipient: str) -> str:
    """``000017-anna@nordlicht.example.eml``: the row number keeps names unique, so a long
    address is cut (a valid address may be 254 characters, a file name at most 255 bytes)."""
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "._@-") else "_" for c in recipient)
    return f"{seq:06d}-{safe[:_NAME_CHARS]}.eml"


def _write_private(path: Path, payload: bytes) -> None:
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(payload)
    except OSError as error:
        raise InputError(
            f"cannot write the .eml file: {error.strerror or error}", file=path
        ) from None


__all__ = [
    "BUILT_BUDGET_BYTES",
    "BuiltMessages",
    "PlannedMessages",
    "RowOutcome",
    "Validation",
    "build_for",
    "check_columns",
    "dry_run_name",
    "gate_row",
    "plan_messages",
    "prepare_campaign",
    "validate_rows",
    "validation_workers",
    "write_dry_run",
]
