"""Every provider code in bounces/data/providers.toml: its example classifies to its reason
and side, and it names its source. Submission-side refusals pause the mailbox with a fix and
never charge the recipient."""

from __future__ import annotations

import pytest

from preflight.bounces.classify import classify_reply
from preflight.bounces.providers import PROVIDER_CODES
from preflight.bounces.reasons import REASONS, Reason
from preflight.policy import BouncePolicy, decide


@pytest.mark.parametrize("entry", PROVIDER_CODES,
                         ids=[f"{c.provider}-{c.reason}-{c.parts[0][:24]}" for c in PROVIDER_CODES])
def test_each_provider_code_classifies_its_example(entry: object) -> None:
    from preflight.bounces.providers import ProviderCode

    assert isinstance(entry, ProviderCode)
    assert len(entry.source) > 20, "every code names its source"
    reply = classify_reply(None, None, entry.example)
    assert reply.reason == entry.reason, (entry.example, reply)
    assert reply.submission == (entry.side == "submission")


@pytest.mark.parametrize("text", [c.example for c in PROVIDER_CODES if c.side == "submission"])
def test_submission_refusals_pause_and_never_charge_the_recipient(text: str) -> None:
    reply = classify_reply(None, None, text)
    decision = decide(BouncePolicy(), reply, soft_failures_so_far=2)
    if reply.reason == Reason.SENDINGLIMIT:
        # Held until the provider's reset instead of paused (issue 16).
        assert decision.hold_until_reset and not decision.pause_mailbox
    else:
        assert decision.pause_mailbox
    assert not decision.suppress
    assert not decision.counts_against_recipient and decision.state == "deferred"


def test_sending_limit_is_its_own_reason_with_a_fix() -> None:
    gmail = classify_reply(550, "5.4.5", "5.4.5 Daily user sending limit exceeded.")
    assert gmail.reason == Reason.SENDINGLIMIT == "sendinglimit" and gmail.submission
    decision = decide(BouncePolicy(), gmail, 0)
    # A hold that ends at the provider's reset, not a pause needing --unpause (issue 16).
    assert decision.hold_until_reset and decision.pause_mailbox is None
    assert "reset" in REASONS[Reason.SENDINGLIMIT].fix


def test_the_same_code_at_the_receiving_side_is_not_a_submission_refusal() -> None:
    receiving = classify_reply(None, None, "554 DT:SPM 163 mx14,QMCowEDZ 1690375641")
    assert receiving.reason == "spamdetected" and not receiving.submission
    alibaba = classify_reply(None, None, "454 Transient reject by behaviour spam at Rcpt State"
                             "(Connection IP address:203.0.113.7)ANTISPAM_BAT[x]: much too "
                             "frequently sending")
    assert alibaba.reason == "speeding" and not alibaba.submission


def test_every_reason_has_a_record_with_meaning_and_source() -> None:
    assert set(REASONS) == set(Reason)
    for reason, record in REASONS.items():
        assert record.meaning and record.source, reason
        if record.pauses:
            assert record.fix, reason
    assert {r for r, rec in REASONS.items() if rec.hard} == {"userunknown", "hostunknown",
                                                             "hasmoved"}
