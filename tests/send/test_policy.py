"""Every branch of the bounce policy, on the classifier's real output for real replies."""

from __future__ import annotations

from datetime import timedelta

import pytest

from preflight.bounces.classify import classify_reply
from preflight.policy import BouncePolicy, decide, hard_bounce_brake

POLICY = BouncePolicy()


def reply(code: int, status: str, text: str):
    return classify_reply(code, status, text)


def test_hard_bounce_suppresses_for_good() -> None:
    decision = decide(POLICY, reply(550, "5.1.1", "5.1.1 User unknown"), 0)
    assert decision.state == "bounced"
    assert decision.suppress and decision.suppress_reason == "userunknown"
    assert decision.retry_after is None and decision.pause_mailbox is None


@pytest.mark.parametrize(("before", "delay"), [(0, 24), (1, 48)])
def test_soft_bounce_retries_after_24_then_48_hours(before: int, delay: int) -> None:
    decision = decide(POLICY, reply(452, "4.2.2", "4.2.2 Mailbox full"), before)
    assert decision.state == "deferred"
    assert decision.retry_after == timedelta(hours=delay)
    assert not decision.suppress and decision.counts_against_recipient


def test_third_soft_bounce_suppresses() -> None:
    decision = decide(POLICY, reply(452, "4.2.2", "4.2.2 Mailbox full"), 2)
    assert decision.state == "bounced"
    assert decision.suppress and decision.suppress_reason == "soft-limit"


@pytest.mark.parametrize(
    ("code", "status", "text", "fix_word"),
    [
        (554, "5.7.1", "5.7.1 Message rejected as spam content", "lint"),
        (550, "5.7.26", "5.7.26 Unauthenticated email is not accepted due to DMARC", "DMARC"),
        (
            550,
            "5.7.515",
            "5.7.515 Access denied, sending domain does not meet the required authentication level",
            "SPF",
        ),
    ],
)
def test_spam_and_auth_rejections_pause_the_mailbox(
    code: int, status: str, text: str, fix_word: str
) -> None:
    decision = decide(POLICY, reply(code, status, text), 0)
    assert decision.pause_mailbox is not None and fix_word in decision.pause_mailbox
    assert not decision.suppress, "the recipient is not at fault"
    assert not decision.counts_against_recipient


def test_rate_answer_slows_down_without_blaming_the_recipient() -> None:
    decision = decide(POLICY, reply(421, "4.7.0", "4.7.0 Try again later, too many messages"), 2)
    assert decision.slow_down and decision.state == "deferred"
    assert not decision.suppress and not decision.counts_against_recipient
    assert decision.retry_after == POLICY.slow_down_retry_after


def test_delivered_is_not_a_failure() -> None:
    assert decide(POLICY, reply(250, "2.0.0", "2.0.0 OK"), 0).state == "sent"


def test_custom_policy_changes_the_numbers() -> None:
    policy = BouncePolicy(soft_retry_after=(timedelta(hours=1),), suppress_after_soft=5)
    soft = reply(452, "4.2.2", "4.2.2 Mailbox full")
    assert decide(policy, soft, 3).retry_after == timedelta(hours=1)
    assert decide(policy, soft, 4).suppress


def test_hard_bounce_brake_needs_twenty_sends_then_five_percent() -> None:
    assert hard_bounce_brake(POLICY, [True] * 19) is None, "too few sends to judge"
    two_in_forty = [False] * 38 + [True] * 2  # exactly 5 %: not over
    assert hard_bounce_brake(POLICY, two_in_forty) is None
    three_in_forty = [False] * 37 + [True] * 3
    message = hard_bounce_brake(POLICY, three_in_forty)
    assert message is not None and "3 of the last 40" in message
    # Only the last 50 count: old hard bounces age out.
    assert hard_bounce_brake(POLICY, [True] * 10 + [False] * 50) is None


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="suppress_after_soft"):
        BouncePolicy(suppress_after_soft=0)
