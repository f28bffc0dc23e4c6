"""DNS blocklists: is the sending IP or domain listed, read from the answer codes.

A listed name answers an address in 127.0.0.0/8 whose last octets say why. Spamhaus answers
127.255.255.252/254/255 (and 127.0.1.255 on the DBL) when it refuses the query — through a
public resolver, too many queries, a bad key — which says nothing about the listing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import dns.reversename

from preflight.dns.resolver import Lookups


@dataclass(frozen=True, slots=True)
class Blocklist:
    zone: str
    kind: Literal["ip", "domain"] = "ip"
    ipv6: bool = False
    meanings: Mapping[str, str] = field(default_factory=dict)


_ZEN = {
    "127.0.0.2": "SBL: a known spam source or spam operation",
    "127.0.0.3": "SBL CSS: snowshoe spam from this address",
    "127.0.0.4": "XBL: the machine is infected or exploited",
    "127.0.0.5": "XBL: the machine is infected or exploited",
    "127.0.0.6": "XBL: the machine is infected or exploited",
    "127.0.0.7": "XBL: the machine is infected or exploited",
    "127.0.0.9": "DROP: a hijacked network",
    "127.0.0.10": "PBL: the ISP says this address should not send mail directly",
    "127.0.0.11": "PBL: a dynamic or residential address that should not send mail directly",
}
_DBL = {
    "127.0.1.2": "spam domain",
    "127.0.1.4": "phishing domain",
    "127.0.1.5": "malware domain",
    "127.0.1.6": "botnet command-and-control domain",
    "127.0.1.102": "abused legitimate domain (spam)",
    "127.0.1.103": "abused legitimate domain (spammed redirector)",
    "127.0.1.104": "abused legitimate domain (phishing)",
    "127.0.1.105": "abused legitimate domain (malware)",
    "127.0.1.106": "abused legitimate domain (botnet C&C)",
}
_REFUSED = {
    "127.255.255.252": "the list name or access key is wrong",
    "127.255.255.254": "queries through public or open resolvers are refused",
    "127.255.255.255": "too many queries from your resolver",
    "127.0.1.255": "the list was asked about an IP address instead of a domain",
}

_LOOPBACK = ipaddress.ip_network("127.0.0.0/8")

IP_LISTS = (
    Blocklist("zen.spamhaus.org", ipv6=True, meanings=_ZEN),
    Blocklist("bl.spamcop.net", meanings={"127.0.0.2": "reported as a spam source"}),
    Blocklist("b.barracudacentral.org", meanings={"127.0.0.2": "poor sending reputation"}),
    Blocklist("psbl.surriel.com", meanings={"127.0.0.2": "sent mail to spam traps"}),
)
DOMAIN_LISTS = (Blocklist("dbl.spamhaus.org", kind="domain", meanings=_DBL),)


@dataclass(frozen=True, slots=True)
class Listing:
    """The answer of one list: ``listed``, ``clear``, ``refused`` or ``unknown``."""

    zone: str
    query: str
    state: Literal["listed", "clear", "refused", "unknown"]
    answers: tuple[str, ...] = ()
    meaning: str = ""


def query_name(blocklist: Blocklist, subject: str) -> str | None:
    """The name to look up for ``subject`` (an IP or a domain), or None if not covered."""
    if blocklist.kind == "domain":
        return f"{subject}.{blocklist.zone}"
    address = ipaddress.ip_address(subject)
    if address.version == 6 and not blocklist.ipv6:
        return None
    reverse = dns.reversename.from_address(str(address)).to_text(omit_final_dot=True)
    stem = reverse.removesuffix(".in-addr.arpa").removesuffix(".ip6.arpa")
    return f"{stem}.{blocklist.zone}"


async def look_up(lookups: Lookups, blocklist: Blocklist, subject: str) -> Listing | None:
    name = query_name(blocklist, subject)
    if name is None:
        return None
    answer = await lookups.get(name, "A")
    if answer.missing:
        return Listing(blocklist.zone, name, "clear")
    if not answer.ok:
        return Listing(blocklist.zone, name, "unknown", meaning=answer.describe_failure())
    codes = tuple(answer.addresses())
    refused = [code for code in codes if code in _REFUSED or code.startswith("127.255.255.")]
    if refused:
        why = _REFUSED.get(refused[0], "the list refused the query")
        return Listing(blocklist.zone, name, "refused", codes, why)
    inside = [code for code in codes if ipaddress.ip_address(code) in _LOOPBACK]
    if not inside:
        return Listing(
            blocklist.zone,
            name,
            "unknown",
            codes,
            "the answer is not a blocklist code: your resolver may rewrite missing names",
        )
    meaning = "; ".join(dict.fromkeys(blocklist.meanings.get(code, "listed") for code in inside))
    return Listing(blocklist.zone, name, "listed", codes, meaning)


__all__ = ["DOMAIN_LISTS", "IP_LISTS", "Blocklist", "Listing", "look_up", "query_name"]
