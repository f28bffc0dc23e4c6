"""The sender against a fault-injecting SMTP server on loopback: every kind of broken server.

For each fault: the message ends in a definite state, retries follow the policy, a permanent
configuration problem (wrong password, TLS that cannot work) stops the mailbox at once with
one line, and no message is delivered twice. The loop runs in virtual time (looptime), so
backoffs, 24 h retries and client timeouts cost no real time; the SMTP traffic is real.
"""

from __future__ import annotations

import copy
import socket
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from send.helpers import START, attempts, mailbox_toml, run_campaign, sample_rows, states

from preflight.bounces.classify import classify_reply
from preflight.campaign import CONNECT_BACKOFF, REFUSED_RETRY
from preflight.ledger import Ledger
from preflight.pauses import campaign_pauses, lift
from preflight.policy import BouncePolicy, decide
from preflight.sink import (
    Drop,
    Greylist,
    RefuseConnection,
    Reply,
    Sink,
    Stall,
    broken_tls_context,
)

pytestmark = pytest.mark.looptime

BOX = "li.wei@brightline.example"
ONE = "person0@buyer0.example"
# Short client timeouts: a stalled server is given up on after this many (virtual) seconds.
TIMEOUT = "timeout = 5\n"


def delivered_once(sink: Sink, expected: set[str]) -> None:
    counts = Counter(sink.recipients())
    assert set(counts) == expected, counts
    assert set(counts.values()) == {1}, f"delivered twice: {counts}"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def policy_delay(code: int, status: str, text: str) -> timedelta:
    """The retry delay the policy gives this reply on its first failure (classifier-agnostic)."""
    decision = decide(BouncePolicy(), classify_reply(code, status, text), 0)
    assert decision.state == "deferred" and decision.retry_after is not None, decision
    return decision.retry_after


def retried_once_after(sink: Sink, ledger_path: Path, delay: timedelta) -> None:
    """ONE was deferred, then sent no sooner than the policy's delay, and is not suppressed."""
    delivered_once(sink, {ONE, "person1@buyer1.example"})
    log = [entry for entry in attempts(ledger_path) if entry[1] == ONE]
    assert [outcome for *_, outcome in log] == ["deferred", "sent"]
    assert log[1][2] - log[0][2] >= delay.total_seconds()
    with Ledger(ledger_path) as ledger:
        assert ledger.suppression(ONE) is None


# -- the server cannot be reached -------------------------------------------------------------


async def test_closed_port_pauses_in_the_first_minute_with_the_fix_and_nothing_lost(
    campaign_dir: Callable[..., Path], tmp_path: Path, ledger_at: str
) -> None:
    # A refused connection at the start of a run is a setting mistake, not an outage: a
    # quick retry, then a pause that says what to fix (not 80 minutes of backing off).
    port = closed_port()
    path = campaign_dir(sample_rows(3), [mailbox_toml(BOX, port)])
    stats, _ = await run_campaign(path, ledger_at)
    reason = stats.paused_now[BOX]
    assert reason.startswith(f"nothing listens on 127.0.0.1:{port}: check host, port and "
                             "security (refused 2 times in the first minute)")
    assert "\n" not in reason
    retry = next(e for e in stats.events if "retrying at" in e)
    assert retry.endswith(f"{(START + timedelta(seconds=REFUSED_RETRY)):%Y-%m-%d %H:%M}+00:00")
    # Nothing was attempted, nothing is lost: every row waits for the mailbox to be unpaused.
    assert set(states(ledger_at).values()) == {"queued"}
    assert attempts(ledger_at) == []
    with Ledger(ledger_at) as ledger:
        # A settings pause: this campaign's, not every campaign's that sends from BOX.
        assert BOX in campaign_pauses(ledger, "test", [BOX])
        assert BOX not in campaign_pauses(ledger, "another", [BOX])


@pytest.mark.parametrize(
    "fault",
    [RefuseConnection(times=2), RefuseConnection("421 4.3.2 Service not available", times=2)],
    ids=["closed-at-once", "greeting-421"],
)
async def test_refused_connections_are_retried_after_the_backoff(
    campaign_dir: Callable[..., Path], tmp_path: Path, fault: RefuseConnection, ledger_at: str
) -> None:
    async with Sink([copy.deepcopy(fault)]) as sink:
        path = campaign_dir(sample_rows(2), [mailbox_toml(BOX, sink.port)])
        stats, _ = await run_campaign(path, ledger_at)
    assert stats.sent == 2 and not stats.paused
    delivered_once(sink, {ONE, "person1@buyer1.example"})
    assert sink.connections == 3  # two refused, one that carried both messages
    log = attempts(ledger_at)
    first = min(t for _, _, t, _ in log)
    # The first message waited the first two backoff steps before it went.
    assert first - START.timestamp() >= CONNECT_BACKOFF[0] + CONNECT_BACKOFF[1]
    assert {outcome for *_, outcome in log} == {"sent"}


# -- the line dies or goes silent -------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        Drop(ONE, stage="rcpt", times=1),
        Drop(ONE, stage="data-command", times=1),
        Stall("rcpt", ONE, times=1),
        Stall("data-command", ONE, times=1),
    ],
    ids=["drop-at-rcpt", "drop-after-rcpt", "no-answer-to-rcpt", "no-answer-to-data-command"],
)
async def test_failure_before_the_content_is_retried_on_a_new_connection(
    campaign_dir: Callable[..., Path], tmp_path: Path, fault: object, ledger_at: str
) -> None:
    async with Sink([copy.deepcopy(fault)]) as sink:  # type: ignore[list-item]
        path = campaign_dir(sample_rows(2), [mailbox_toml(BOX, sink.port, extra=TIMEOUT)])
        stats, _ = await run_campaign(path, ledger_at)
    # No content was written, so the retry cannot duplicate anything.
    assert stats.sent == 2 and stats.unknown == 0
    delivered_once(sink, {ONE, "person1@buyer1.example"})
    assert sink.connections == 2
    assert set(states(ledger_at).values()) == {"sent"}


async def test_failure_before_the_content_every_time_pauses_with_the_row_still_queued(
    campaign_dir: Callable[..., Path], tmp_path: Path, ledger_at: str
) -> None:
    async with Sink([Drop(ONE, stage="data-command", times=None)]) as sink:
        path = campaign_dir(sample_rows(1), [mailbox_toml(BOX, sink.port)])
        stats, _ = await run_campaign(path, ledger_at)
    assert sink.received == []
    assert "dropped the connection before the message was sent" in stats.paused_now[BOX]
    # Not 'unknown' and not 'sending': the ledger knows nothing went out.
    assert states(ledger_at) == {ONE: "queued"}


@pytest.mark.parametrize(
    "fault",
    [
        Drop(ONE, stage="data", deliver=True),
        Drop(ONE, stage="data", deliver=False),
        Stall("data", ONE, deliver=True),
        Stall("data", ONE, deliver=False),
    ],
    ids=["drop-delivered", "drop-lost", "no-final-reply-delivered", "no-final-reply-lost"],
)
async def test_failure_during_the_content_is_unknown_and_never_resent(
    campaign_dir: Callable[..., Path], tmp_path: Path, fault: Drop | Stall, ledger_at: str
) -> None:
    async with Sink([copy.deepcopy(fault)]) as sink:
        path = campaign_dir(sample_rows(3), [mailbox_toml(BOX, sink.port, extra=TIMEOUT)])
        stats, _ = await run_campaign(path, ledger_at)
        assert stats.unknown == 1 and stats.sent == 2
        again, _ = await run_campaign(path, ledger_at)
    assert again.sent == 0 and again.unknown == 0
    assert states(ledger_at)[ONE] == "unknown"
    assert sink.recipients().count(ONE) == (1 if fault.deliver else 0)
    assert Counter(sink.recipients()).most_common(1)[0][1] == 1


async def test_silent_greeting_times_out_and_is_retried_after_the_backoff(
    campaign_dir: Callable[..., Path], tmp_path: Path, ledger_at: str
) -> None:
    async with Sink([Stall("connect", times=1)]) as sink:
        path = campaign_dir(sample_rows(1), [mailbox_toml(BOX, sink.port, extra=TIMEOUT)])
        stats, _ = await run_campaign(path, ledger_at)
    assert stats.sent == 1
    delivered_once(sink, {ONE})
    assert sink.connections == 2


# -- scripted refusals follow the policy ------------------------------------------------------


async def test_greylisting_is_deferred_then_accepted_on_the_retry(
    campaign_dir: Callable[..., Path], tmp_path: Path, ledger_at: str
) -> None:
    greylist = Greylist()
    delay = policy_delay(451, "4.7.1", greylist.reply)
    async with Sink([greylist]) as sink:
        path = campaign_dir(sample_rows(2), [mailbox_toml(BOX, sink.port)])
        stats, _ = await run_campaign(path, ledger_at, wait_for_retries=True)
    assert stats.deferred == 2 and stats.sent == 2
    retried_once_after(sink, ledger_at, delay)


async def test_too_many_recipients_is_deferred_not_held_against_the_address(
    campaign_dir: Callable[..., Path], tmp_path: Path, ledger_at: str
) -> None:
    text = "4.5.3 Too many recipients"
    delay = policy_delay(452, "4.5.3", text)
    async with Sink([Reply(ONE, f"452 {text}", times=1)]) as sink:
        path = campaign_dir(sample_rows(2), [mailbox_toml(BOX, sink.port)])
        stats, _ = await run_campaign(path, ledger_at, wait_for_retries=True)
    assert stats.sent == 2 and stats.deferred == 1 and stats.bounced == 0
    retried_once_after(sink, ledger_at, delay)


async def test_message_too_large_fails_without_retry_or_suppression(
    campaign_dir: Callable[..., Path], tmp_path: Path, ledger_at: str
) -> None:
    reply = "552 5.3.4 Message too big for system"
    async with Sink([Reply(ONE, reply, stage="data")]) as sink:
        path = campaign_dir(sample_rows(2), [mailbox_toml(BOX, sink.port)])
        stats, _ = await run_campaign(path, ledger_at, wait_for_retries=True)
    # The same bytes would be refused again, and the address is fine: failed, not bounced.
    assert stats.failed == 1 and stats.sent == 1 and not stats.paused
    assert states(ledger_at)[ONE] == "failed"
    assert [o for _, r, _, o in attempts(ledger_at) if r == ONE] == ["failed"]
    assert sink.recipients() == ["person1@buyer1.example"]
    with Ledger(ledger_at) as ledger:
        assert ledger.suppression(ONE) is None


@pytest.mark.parametrize(
    ("reply", "state", "suppressed"),
    [
        ("550 5.1.1 User unknown", "bounced", True),
        ("452 4.2.2 Mailbox full", "deferred", False),
    ],
)
async def test_recipient_refusals_end_in_their_policy_state(
    campaign_dir: Callable[..., Path], tmp_path: Path, reply: str, state: str, suppressed: bool,
    ledger_at: str,
) -> None:
    async with Sink([Reply(ONE, reply)]) as sink:
        path = campaign_dir(sample_rows(2), [mailbox_toml(BOX, sink.port)])
        stats, _ = await run_campaign(path, ledger_at)
    assert states(ledger_at) == {ONE: state, "person1@buyer1.example": "sent"}
    assert sink.recipients() == ["person1@buyer1.example"]
    assert not stats.paused
    with Ledger(ledger_at) as ledger:
        assert (ledger.suppression(ONE) is not None) is suppressed


async def test_spam_rejection_pauses_the_mailbox_without_suppressing_anyone(
    campaign_dir: Callable[..., Path], tmp_path: Path, ledger_at: str
) -> None:
    async with Sink([Reply(ONE, "550 5.7.1 Message rejected as spam", stage="data")]) as sink:
        path = campaign_dir(sample_rows(3), [mailbox_toml(BOX, sink.port)])
        stats, _ = await run_campaign(path, ledger_at)
    assert BOX in stats.paused_now and "\n" not in stats.paused_now[BOX]
    assert states(ledger_at) == {
        ONE: "failed",
        "person1@buyer1.example": "queued",
        "person2@buyer2.example": "queued",
    }
    assert sink.received == []
    with Ledger(ledger_at) as ledger:
        assert ledger.suppression(ONE) is None


# -- permanent configuration problems stop the mailbox at once --------------------------------


async def test_wrong_password_stops_the_mailbox_after_one_login(
    campaign_dir: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    ledger_at: str,
) -> None:
    monkeypatch.setenv("PREFLIGHT_TEST_SMTP_PASSWORD", "not-the-password")
    extra = (
        'username = "li.wei"\npassword_env = "PREFLIGHT_TEST_SMTP_PASSWORD"\n'
        "allow_plaintext_auth = true\n"
    )
    async with Sink(auth=("li.wei", "the-password")) as sink:
        path = campaign_dir(sample_rows(3), [mailbox_toml(BOX, sink.port, extra=extra)])
        stats, _ = await run_campaign(path, ledger_at)
        reason = stats.paused_now[BOX]
        assert "535" in reason and "PREFLIGHT_TEST_SMTP_PASSWORD" in reason
        assert "\n" not in reason and "not-the-password" not in reason
        # One connection (aiosmtplib tries each offered mechanism on it), no hammering.
        assert sink.connections == 1 and {ok for _, ok in sink.logins} == {False}
        assert sink.received == [] and set(states(ledger_at).values()) == {"queued"}
        # Fixed: the right password, the pause lifted; each message goes exactly once.
        monkeypatch.setenv("PREFLIGHT_TEST_SMTP_PASSWORD", "the-password")
        with Ledger(ledger_at) as ledger:
            assert lift(ledger, BOX, "test")
        stats, _ = await run_campaign(path, ledger_at)
    assert stats.sent == 3
    delivered_once(sink, {f"person{i}@buyer{i}.example" for i in range(3)})
    assert sink.logins[-1] == ("li.wei", True)


@pytest.mark.parametrize(("security", "implicit"), [("starttls", False), ("tls", True)])
async def test_failed_tls_handshake_stops_the_mailbox_at_once(
    campaign_dir: Callable[..., Path], tmp_path: Path, security: str, implicit: bool, ledger_at: str
) -> None:
    async with Sink(broken_tls=True, implicit_tls=implicit) as sink:
        box = mailbox_toml(BOX, sink.port).replace('"none"', f'"{security}"')
        path = campaign_dir(sample_rows(2), [box])
        stats, _ = await run_campaign(path, ledger_at)
    reason = stats.paused_now[BOX]
    assert f"TLS with 127.0.0.1:{sink.port} failed" in reason and "fix:" in reason
    assert "\n" not in reason
    assert sink.connections == 1, "a permanent problem is not retried"
    assert sink.received == [] and set(states(ledger_at).values()) == {"queued"}


@pytest.mark.parametrize(("security", "implicit"), [("starttls", False), ("tls", True)])
async def test_handshake_reset_by_the_server_is_retried_then_paused(
    campaign_dir: Callable[..., Path], tmp_path: Path, security: str, implicit: bool, ledger_at: str
) -> None:
    # The server aborts the handshake: to the client, a reset line like any network fault.
    async with Sink(tls=broken_tls_context(), implicit_tls=implicit) as sink:
        box = mailbox_toml(BOX, sink.port).replace('"none"', f'"{security}"')
        path = campaign_dir(sample_rows(2), [box])
        stats, _ = await run_campaign(path, ledger_at)
    reason = stats.paused_now[BOX]
    assert f"gave up after {len(CONNECT_BACKOFF) + 1} tries" in reason and "\n" not in reason
    assert sink.connections == len(CONNECT_BACKOFF) + 1
    assert sink.received == [] and set(states(ledger_at).values()) == {"queued"}


async def test_missing_starttls_stops_the_mailbox_before_the_password_is_sent(
    campaign_dir: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    ledger_at: str,
) -> None:
    monkeypatch.setenv("PREFLIGHT_TEST_SMTP_PASSWORD", "the-password")
    extra = (
        'username = "li.wei"\npassword_env = "PREFLIGHT_TEST_SMTP_PASSWORD"\n'
        "allow_plaintext_auth = true\n"
    )
    async with Sink(auth=("li.wei", "the-password")) as sink:  # no TLS offered at all
        box = mailbox_toml(BOX, sink.port, extra=extra).replace('"none"', '"starttls"')
        path = campaign_dir(sample_rows(2), [box])
        stats, _ = await run_campaign(path, ledger_at)
    assert "does not offer STARTTLS" in stats.paused_now[BOX]
    assert sink.logins == [], "the password never crossed the plain connection"
    assert sink.connections == 1
    assert sink.received == [] and set(states(ledger_at).values()) == {"queued"}
