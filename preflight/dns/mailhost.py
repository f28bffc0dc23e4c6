"""Can a recipient's domain receive mail at all? MX, A/AAAA fallback, null MX, NXDOMAIN.

RFC 5321 §5.1: mail goes to the MX hosts, or to the domain's own address when there is no MX.
RFC 7505: a single MX of preference 0 pointing at "." says the domain accepts no mail.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Literal

from preflight.addresses import Reason
from preflight.dns.resolver import Lookups

MailStatus = Literal["mx", "fallback", "null-mx", "nxdomain", "no-mail-host", "unknown"]


@dataclass(frozen=True, slots=True)
class MailHost:
    """Where mail for ``domain`` would go, or why it cannot."""

    domain: str
    status: MailStatus
    hosts: tuple[str, ...] = ()
    detail: str = ""

    def reasons(self) -> list[Reason]:
        """The findings this adds to an address at the domain (none when it has MX)."""
        domain = self.domain
        if self.status == "null-mx":
            return [
                Reason(
                    "null-mx",
                    f"{domain} declares that it accepts no mail (null MX, RFC 7505)",
                    "delete the row",
                )
            ]
        if self.status == "nxdomain":
            return [
                Reason(
                    "no-domain",
                    f"{domain} does not exist in DNS",
                    "check the spelling of the domain or delete the row",
                )
            ]
        if self.status == "no-mail-host":
            return [
                Reason(
                    "no-mail-host",
                    f"{domain} has no MX and no A/AAAA record: nothing receives its mail",
                    "check the domain with the recipient or delete the row",
                )
            ]
        if self.status == "fallback":
            return [
                Reason(
                    "no-mx",
                    f"{domain} has no MX record; mail would go to its web address"
                    f" ({', '.join(self.hosts)})",
                    "confirm the address with the recipient before sending",
                    "warn",
                )
            ]
        if self.status == "unknown":
            return [
                Reason(
                    "dns-unverified",
                    f"could not check {domain}: {self.detail}",
                    "run the check again later",
                    "warn",
                )
            ]
        return []


async def find_mail_host(lookups: Lookups, domain: str) -> MailHost:
    """Look up where mail for ``domain`` goes (MX, then A and AAAA)."""
    mx = await lookups.get(domain, "MX")
    if mx.status == "nxdomain":
        return MailHost(domain, "nxdomain")
    if mx.ok:
        targets = sorted((r.preference, r.exchange.to_text(omit_final_dot=True)) for r in mx.rdata)
        if len(targets) == 1 and targets[0][1] in ("", "."):
            return MailHost(domain, "null-mx")
        return MailHost(domain, "mx", tuple(host for _, host in targets if host not in ("", ".")))
    if mx.status != "nodata":
        return MailHost(domain, "unknown", detail=mx.describe_failure())
    v4, v6 = await asyncio.gather(lookups.get(domain, "A"), lookups.get(domain, "AAAA"))
    addresses = tuple(v4.addresses() + v6.addresses()) if v4.ok or v6.ok else ()
    if addresses:
        return MailHost(domain, "fallback", addresses)
    if v4.missing and v6.missing:
        return MailHost(domain, "no-mail-host")
    failed = v4 if not v4.missing else v6
    return MailHost(domain, "unknown", detail=failed.describe_failure())


class MailHostChecker:
    """Checks recipient domains concurrently, each at most once per run.

    Only the conclusion per domain is kept (not the DNS records), so a run over a million
    rows holds a few hundred bytes per distinct domain.
    """

    def __init__(self, lookups: Lookups) -> None:
        self.lookups = lookups
        self._results: dict[str, MailHost] = {}
        self._running: dict[str, asyncio.Future[MailHost]] = {}

    @property
    def domains_checked(self) -> int:
        return len(self._results)

    def known(self, domain: str) -> MailHost | None:
        """The conclusion for ``domain`` if it has been reached already."""
        return self._results.get(domain)

    def start(self, domain: str) -> asyncio.Future[MailHost]:
        """The lookup of ``domain``, started now or already running."""
        running = self._running.get(domain)
        if running is None:
            running = asyncio.ensure_future(self._find(domain))
            self._running[domain] = running
        return running

    async def _find(self, domain: str) -> MailHost:
        try:
            host = await find_mail_host(self.lookups, domain)
            self._results[domain] = host
            return host
        finally:
            del self._running[domain]

    async def check(self, domain: str) -> MailHost:
        known = self._results.get(domain)
        return known if known is not None else await self.start(domain)


__all__ = ["MailHost", "MailHostChecker", "MailStatus", "find_mail_host"]
