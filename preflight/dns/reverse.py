"""Reverse DNS of a sending IP: its PTR name, and whether that name leads back to it.

Gmail and most large receivers refuse or junk mail from an address without forward-confirmed
reverse DNS (the PTR name's A/AAAA records include the address).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

import dns.reversename

from preflight.dns.resolver import Lookups

# Names ISPs give to pools of customer addresses; receivers treat such senders as home PCs.
_GENERIC = re.compile(r"(dynamic|dyn|dhcp|dsl|pool|cable|ppp|dial|broadband|customer|static-ip)")


@dataclass(frozen=True, slots=True)
class ReverseDns:
    ip: str
    names: tuple[str, ...]
    confirmed: tuple[str, ...]
    failure: str | None = None

    @property
    def generic(self) -> bool:
        """The confirmed name looks like an ISP's generic pool name (or embeds the IP)."""
        dashed = re.sub(r"[.:]", "-", self.ip)
        return any(
            _GENERIC.search(name) or dashed in name.replace(".", "-") for name in self.confirmed
        )


async def reverse_dns(lookups: Lookups, ip: str) -> ReverseDns:
    address = ipaddress.ip_address(ip)
    ptr_name = dns.reversename.from_address(str(address)).to_text(omit_final_dot=True)
    answer = await lookups.get(ptr_name, "PTR")
    if not answer.ok:
        failure = None if answer.missing else answer.describe_failure()
        return ReverseDns(ip, (), (), failure)
    names = tuple(answer.names())
    kind = "A" if address.version == 4 else "AAAA"
    confirmed = []
    for name in names:
        forward = await lookups.get(name, kind)
        if forward.ok and any(ipaddress.ip_address(a) == address for a in forward.addresses()):
            confirmed.append(name)
    return ReverseDns(ip, names, tuple(confirmed))


__all__ = ["ReverseDns", "reverse_dns"]
