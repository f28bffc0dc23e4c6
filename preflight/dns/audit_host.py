"""The host checks of a domain audit: MX, reverse DNS of the sending IP, and blocklists."""

from __future__ import annotations

import asyncio

from preflight.dns import blocklists
from preflight.dns.mailhost import find_mail_host
from preflight.dns.report import Check
from preflight.dns.resolver import Lookups
from preflight.dns.reverse import reverse_dns


async def mx_checks(lookups: Lookups, domain: str) -> list[Check]:
    host = await find_mail_host(lookups, domain)
    record = ", ".join(host.hosts) or None
    if host.status == "mx":
        return [Check("mx", "pass", record, f"mail for {domain} goes to {record}")]
    if host.status == "fallback":
        return [
            Check(
                "mx",
                "warn",
                record,
                "no MX record: replies and bounces go to the domain's own address",
                f"publish MX records for {domain} pointing at your mail host",
            )
        ]
    if host.status == "null-mx":
        return [
            Check(
                "mx",
                "fail",
                "0 .",
                "null MX: the domain says it receives no mail, so receivers distrust mail from it"
                " and replies are lost",
                f"replace the null MX of {domain} with your mail host's MX records",
            )
        ]
    if host.status == "nxdomain":
        return [Check("mx", "fail", None, f"{domain} does not exist in DNS", "check the spelling")]
    if host.status == "no-mail-host":
        return [
            Check(
                "mx",
                "fail",
                None,
                "no MX and no A/AAAA record: nobody can reply to this domain",
                f"publish MX records for {domain} pointing at your mail host",
            )
        ]
    return [
        Check("mx", "unverified", None, f"could not check: {host.detail}", "run it again later")
    ]


async def ptr_checks(lookups: Lookups, ip: str) -> list[Check]:
    found = await reverse_dns(lookups, ip)
    if found.failure:
        return [Check("ptr", "unverified", None, f"could not check: {found.failure}")]
    if not found.names:
        return [
            Check(
                "ptr",
                "fail",
                None,
                f"{ip} has no reverse DNS (PTR) name",
                "ask whoever runs the server (hosting provider, ISP) to set a PTR name"
                " such as mail.<your domain> that resolves back to the IP",
            )
        ]
    names = ", ".join(found.names)
    if not found.confirmed:
        return [
            Check(
                "ptr",
                "fail",
                names,
                f"{ip} → {names}, which does not resolve back to {ip}",
                f"make {found.names[0]} resolve to {ip}, or change the PTR",
            )
        ]
    name = found.confirmed[0]
    if found.generic:
        return [
            Check(
                "ptr",
                "warn",
                names,
                f"{ip} → {name} → {ip}, but the name looks like an ISP's generic pool",
                "set a PTR name in your own domain (mail.<domain>)",
            )
        ]
    return [Check("ptr", "pass", names, f"{ip} → {name} → {ip} (forward-confirmed)")]


async def blocklist_checks(lookups: Lookups, domain: str, ip: str | None) -> list[Check]:
    asked = [blocklists.look_up(lookups, bl, domain) for bl in blocklists.DOMAIN_LISTS]
    if ip:
        asked += [blocklists.look_up(lookups, bl, ip) for bl in blocklists.IP_LISTS]
    checks = []
    for listing in await asyncio.gather(*asked):
        if listing is None:
            continue
        name = f"blocklist:{listing.zone}"
        subject = listing.query.removesuffix("." + listing.zone)
        codes = ", ".join(listing.answers) or None
        if listing.state == "clear":
            checks.append(Check(name, "pass", None, f"not listed on {listing.zone}"))
        elif listing.state == "listed":
            checks.append(
                Check(
                    name,
                    "fail",
                    codes,
                    f"listed on {listing.zone}: {listing.meaning}",
                    f"find the cause, fix it, then request removal at {listing.zone}'s lookup page",
                )
            )
        elif listing.state == "refused":
            checks.append(
                Check(
                    name,
                    "warn",
                    codes,
                    f"{listing.zone} refused the query"
                    f" ({listing.meaning}); this says nothing about a listing",
                    "query from a server with its own resolver (for Spamhaus, a DQS key works"
                    " anywhere)",
                )
            )
        else:
            checks.append(
                Check(
                    name,
                    "unverified",
                    codes,
                    f"could not check {subject} on {listing.zone}: {listing.meaning}",
                    "run it again later",
                )
            )
    return checks


__all__ = ["blocklist_checks", "mx_checks", "ptr_checks"]
