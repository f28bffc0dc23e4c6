"""What to do after a delivery failure: retry, suppress, pause the mailbox or slow down.

One pure function, :func:`decide`, serves both the SMTP reply at send time and a bounce
message imported later, so the two paths can never disagree. The hard-bounce brake needs a
mailbox's recent history, so it is a second pure function, :func:`hard_bounce_brake`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import timedelta
from typing import TYPE_CHECKING, Literal

from preflight.bounces.reasons import PAUSE_FIXES as REASON_FIXES
from preflight.bounces.reasons import PAUSE_REASONS, Reason

if TYPE_CHECKING:
    from preflight.bounces.classify import ReplyClass

MessageState = Literal["sent", "deferred", "bounced", "failed"]

# A rejection for one of these reasons says the sender (content, reputation, DNS, login) is
# at fault, not the recipient: suppressing the address would be wrong, carrying on is worse.
# Which reasons pause, and the fix the user reads, are the reason records' (bounces/data).
DEFAULT_PAUSE_REASONS: frozenset[str] = frozenset(PAUSE_REASONS)

# The one-line what-to-fix shown when a mailbox is paused, by reason.
PAUSE_FIXES: dict[str, str] = dict(REASON_FIXES)
GENERIC_PAUSE_FIX = "the receiving server rejected the sender: find out why before resuming"

# A refusal of the message's own syntax (its lines, headers or encoding) after DATA: our
# fault, not the recipient's, so the message fails and the address is not charged (three
# such replies would otherwise suppress a good address). 500/501 are syntax errors; 554 and
# 552 only with one of these words.
_OUR_SYNTAX = re.compile(
    r"line too long|line length|too long line|header.{0,40}(too long|syntax|invalid|malformed)"
    r"|syntax error|malformed|bare (lf|cr|line ?feed)|8-?bit|non-?ascii|smtputf8|invalid character",
    re.IGNORECASE,
)


def refuses_our_syntax(code: int | None, text: str, stage: str) -> bool:
    """Whether the server's reply blames the message's own format, not the recipient."""
    if stage != "data" or code is None:
        return False
    if code in (500, 501):
        return True
    return code in (552, 554, 550) and _OUR_SYNTAX.search(text) is not None

# A permanent refusal of the message itself, not of the recipient or the sender: the same
# bytes would be refused again, so there is no retry, and the address stays valid.
DEFAULT_FAIL_REASONS: frozenset[str] = frozenset({"mesgtoobig"})

# Reasons that are not a failure at all (an auto-reply matched to a send).
NOT_A_FAILURE: frozenset[str] = frozenset({"delivered", "vacation"})


@dataclass(frozen=True)
class BouncePolicy:
    """The rules applied to failures; every field can be set in a campaign's ``[policy]``."""

    # Delay before the 1st, 2nd, ... retry of a soft failure; the last one repeats.
    soft_retry_after: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=48))
    # The n-th soft failure of one address suppresses it.
    suppress_after_soft: int = 3
    # Pause a mailbox whose hard bounces exceed this share of its last `window` sends...
    hard_bounce_rate: float = 0.05
    hard_bounce_window: int = 50
    # ...once it has made at least this many sends (too few sends say nothing).
    hard_bounce_min_sends: int = 20
    pause_on_reasons: frozenset[str] = DEFAULT_PAUSE_REASONS
    fail_on_reasons: frozenset[str] = DEFAULT_FAIL_REASONS
    # Replies that mean "you are sending too fast": slow the mailbox down, retry soon,
    # and do not count the reply against the recipient.
    slow_down_codes: frozenset[int] = frozenset({421})
    slow_down_statuses: frozenset[str] = frozenset({"4.7.0"})
    slow_down_reasons: frozenset[str] = frozenset({"toomanyconn", "speeding"})
    # The mailbox's own provider refusing a submission over its sending limit: hold the
    # mailbox until the provider's reset; the recipient has nothing to do with it.
    limit_reasons: frozenset[str] = frozenset({"sendinglimit"})
    slow_down_retry_after: timedelta = timedelta(minutes=30)
    # Each slow-down multiplies the mailbox's delay between sends by this factor.
    slow_down_factor: float = 2.0

    def __post_init__(self) -> None:
        if not self.soft_retry_after:
            raise ValueError("soft_retry_after needs at least one delay")
        if self.suppress_after_soft < 1:
            raise ValueError("suppress_after_soft must be at least 1")
        if not 0 <= self.hard_bounce_rate <= 1:
            raise ValueError("hard_bounce_rate must be between 0 and 1")
        if self.hard_bounce_window < 1 or self.hard_bounce_min_sends < 1:
            raise ValueError("hard_bounce_window and hard_bounce_min_sends must be at least 1")
        if self.slow_down_factor < 1:
            raise ValueError("slow_down_factor must be at least 1")


@dataclass(frozen=True)
class Decision:
    """What the sender (or the bounce importer) does with one failure."""

    state: MessageState
    suppress: bool = False
    suppress_reason: str | None = None
    retry_after: timedelta | None = None
    # A one-line what-to-fix when the mailbox must stop sending; None to carry on.
    pause_mailbox: str | None = None
    slow_down: bool = False
    # Hold the mailbox until its provider's limit resets; the message waits for then.
    hold_until_reset: bool = False
    # False for replies that say nothing about the recipient (rate limits, sender blocks):
    # the message's soft-failure count is not increased.
    counts_against_recipient: bool = field(default=True)


def decide(policy: BouncePolicy, reply: ReplyClass, soft_failures_so_far: int) -> Decision:
    """Decide the outcome of one reply.

    ``soft_failures_so_far`` is how many soft failures the same message (address) had before
    this reply. The order matters: a sender-side rejection must never suppress the recipient,
    and a rate answer must never count as the recipient's failure.
    """
    code = reply.code
    if reply.reason in NOT_A_FAILURE or (code is not None and 200 <= code < 300):
        return Decision(state="sent", counts_against_recipient=False)
    if reply.reason in policy.limit_reasons:
        # The user's own provider's sending limit: the mailbox is held until the provider's
        # reset (it ends by itself, no --unpause), the message waits for then. Before the
        # slow-down check: "421 4.7.0 … sending limit" is a daily limit, not a pace.
        return Decision(state="deferred", hold_until_reset=True, counts_against_recipient=False)
    if reply.submission or reply.reason == Reason.SENDINGLIMIT:
        # The user's own provider refused to send (its own spam filter; a sending limit when
        # a campaign's policy does not hold for it): nothing about the recipient. The message
        # waits; the mailbox stops until the fix.
        fix = PAUSE_FIXES.get(reply.reason, GENERIC_PAUSE_FIX)
        if reply.reason != Reason.SENDINGLIMIT:
            fix = f"your own mail provider refused to send: {fix}"
        return Decision(state="deferred", pause_mailbox=fix, counts_against_recipient=False)
    if reply.reason == "feedback":
        # A complaint: the recipient does not want mail from us, ever.
        return Decision(state="bounced", suppress=True, suppress_reason="feedback")
    if _is_slow_down(policy, reply):
        # Before the pause check: a rate answer is temporary, whatever reason it reads as.
        return Decision(
            state="deferred",
            retry_after=policy.slow_down_retry_after,
            slow_down=True,
            counts_against_recipient=False,
        )
    if reply.reason in policy.pause_on_reasons and not _temporary(reply):
        fix = PAUSE_FIXES.get(reply.reason, GENERIC_PAUSE_FIX)
        return Decision(state="failed", pause_mailbox=fix, counts_against_recipient=False)
    if reply.reason in policy.fail_on_reasons and not _temporary(reply):
        return Decision(state="failed", counts_against_recipient=False)
    if reply.hard:
        return Decision(state="bounced", suppress=True, suppress_reason=reply.reason)
    failures = soft_failures_so_far + 1
    if failures >= policy.suppress_after_soft:
        return Decision(state="bounced", suppress=True, suppress_reason="soft-limit")
    delays = policy.soft_retry_after
    return Decision(state="deferred", retry_after=delays[min(failures, len(delays)) - 1])


def _temporary(reply: ReplyClass) -> bool:
    """A 4xx answer (or 4.x.x status): the server asks to try later, it did not refuse."""
    if reply.code is not None:
        return 400 <= reply.code < 500
    return reply.status is not None and reply.status.startswith("4.")


def _is_slow_down(policy: BouncePolicy, reply: ReplyClass) -> bool:
    return (
        (reply.code is not None and reply.code in policy.slow_down_codes)
        or (reply.status is not None and reply.status in policy.slow_down_statuses)
        or reply.reason in policy.slow_down_reasons
    )


def hard_bounce_brake(policy: BouncePolicy, recent_hard: Sequence[bool]) -> str | None:
    """Return a what-to-fix line when a mailbox's recent hard bounces pass the limit.

    ``recent_hard`` holds, newest last, whether each of the mailbox's completed sends ended in
    a hard bounce; only the last ``hard_bounce_window`` count.
    """
    window = list(recent_hard)[-policy.hard_bounce_window :]
    if len(window) < policy.hard_bounce_min_sends:
        return None
    hard = sum(window)
    if hard / len(window) <= policy.hard_bounce_rate:
        return None
    return (
        f"{hard} of the last {len(window)} sends bounced hard "
        f"(over {policy.hard_bounce_rate:.0%}): clean the list with `preflight check list` "
        "before resuming"
    )


def policy_to_dict(policy: BouncePolicy) -> dict[str, object]:
    """The policy as JSON-ready data, so the ledger can keep the rules a campaign ran under
    and an import made days later applies those, not the defaults."""
    data: dict[str, object] = {}
    for item in fields(policy):
        value = getattr(policy, item.name)
        if isinstance(value, timedelta):
            value = value.total_seconds()
        elif isinstance(value, tuple):
            value = [v.total_seconds() if isinstance(v, timedelta) else v for v in value]
        elif isinstance(value, frozenset):
            value = sorted(value)
        data[item.name] = value
    return data


def policy_from_dict(data: dict[str, object]) -> BouncePolicy:
    """The inverse of :func:`policy_to_dict`; unknown keys (a newer ledger) are ignored."""
    defaults = BouncePolicy()
    kwargs: dict[str, object] = {}
    for item in fields(BouncePolicy):
        if item.name not in data:
            continue
        value = data[item.name]
        default = getattr(defaults, item.name)
        if isinstance(default, timedelta):
            value = timedelta(seconds=float(value))  # type: ignore[arg-type]
        elif isinstance(default, tuple):
            value = tuple(timedelta(seconds=float(v)) for v in value)  # type: ignore[union-attr]
        elif isinstance(default, frozenset):
            value = frozenset(value)  # type: ignore[arg-type]
        kwargs[item.name] = value
    return BouncePolicy(**kwargs)  # type: ignore[arg-type]


__all__ = [
    "DEFAULT_FAIL_REASONS",
    "DEFAULT_PAUSE_REASONS",
    "BouncePolicy",
    "Decision",
    "decide",
    "hard_bounce_brake",
    "policy_from_dict",
    "policy_to_dict",
]
