"""Whose a mailbox pause is: the campaign file's settings, or the sending address's name.

A pause for settings (a wrong password, TLS, host or port) says nothing about another
campaign that sends from the same address with its own settings: it belongs to the campaign
that holds them, and only that campaign's plan, send and status see it. A pause for
reputation (spam or authentication rejections, the hard-bounce rate) is about the address
itself: every campaign that sends from it is paused, and the reason names the campaign and
the message that caused it.

The ledger keeps one pause row per key: the address for a reputation pause, the address and
the campaign name for a settings pause (an address never holds a space, so the key cannot
collide with one).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal, Protocol

PauseKind = Literal["settings", "reputation"]

_SCOPE = " settings of campaign "


class PauseStore(Protocol):
    def paused_mailboxes(self) -> dict[str, str]: ...

    def unpause_mailbox(self, mailbox: str) -> bool: ...


def pause_key(address: str, kind: PauseKind, campaign: str | None) -> str:
    """The ledger key of a pause of ``kind`` on ``address`` raised by ``campaign``."""
    if kind == "settings" and campaign:
        return f"{address}{_SCOPE}{campaign}"
    return address


def key_address(key: str) -> str:
    """The sending address a pause key is about."""
    return key.split(_SCOPE, 1)[0]


def applies(key: str, campaign: str) -> bool:
    """Does the pause stored under ``key`` stop ``campaign``?"""
    if _SCOPE not in key:
        return True  # the address's own reputation: every campaign
    return key.split(_SCOPE, 1)[1] == campaign


def pauses_for(
    paused: Mapping[str, str], campaign: str, addresses: Iterable[str] | None = None
) -> dict[str, str]:
    """Address -> reason of the pauses that stop ``campaign`` (of ``addresses``, if given)."""
    wanted = None if addresses is None else set(addresses)
    found: dict[str, str] = {}
    for key, reason in paused.items():
        address = key_address(key)
        if (wanted is not None and address not in wanted) or not applies(key, campaign):
            continue
        # With both, the address's reputation pause is the one to show.
        if address not in found or _SCOPE not in key:
            found[address] = reason
    return found


def campaign_pauses(ledger: PauseStore, campaign: str, addresses: Iterable[str]) -> dict[str, str]:
    return pauses_for(ledger.paused_mailboxes(), campaign, addresses)


def lift(ledger: PauseStore, address: str, campaign: str) -> bool:
    """Unpause ``address`` for ``campaign``: its reputation pause and this campaign's own
    settings pause (another campaign's settings pause stays: those are its settings)."""
    own = ledger.unpause_mailbox(pause_key(address, "settings", campaign))
    return ledger.unpause_mailbox(address) or own


__all__ = ["PauseKind", "applies", "campaign_pauses", "key_address", "lift", "pause_key",
           "pauses_for"]
