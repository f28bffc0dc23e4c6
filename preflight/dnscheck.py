"""Audit a sending domain: MX, SPF, DKIM, DMARC, reverse DNS and blocklists.

``audit_domain("example.com", selectors=["s1"], ip="192.0.2.10")`` returns a
:class:`DomainReport` whose checks each pass, warn or fail with the record found and a fix.
Check names: ``mx``, ``spf``, ``spf-lookups``, ``spf-all``, ``spf-ip``, ``dkim:<selector>``
(or ``dkim`` when no key was found at the common selectors), ``dmarc``, ``dmarc-rua``,
``bulk-sender``, ``ptr``, ``blocklist:<zone>``. Every lookup of one audit runs concurrently
and is asked once.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from preflight.dns.audit_auth import bulk_sender_check, dkim_checks, dmarc_checks
from preflight.dns.audit_host import blocklist_checks, mx_checks, ptr_checks
from preflight.dns.audit_spf import spf_checks
from preflight.dns.report import Check, CheckStatus, DomainReport
from preflight.dns.resolver import Lookups, ascii_domain, ensure_reachable, make_resolver
from preflight.errors import UsageError

_SELECTOR = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")


def audit_domain(
    domain: str,
    *,
    selectors: Sequence[str] = (),
    ip: str | None = None,
    nameservers: Sequence[str] | None = None,
    port: int = 53,
    timeout: float = 3.0,
) -> DomainReport:
    """Run every check for ``domain`` (blocking). Safe to call from inside an event loop."""

    def run() -> DomainReport:
        return asyncio.run(
            audit_domain_async(
                domain,
                selectors=selectors,
                ip=ip,
                nameservers=nameservers,
                port=port,
                timeout=timeout,
            )
        )

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run()
    with ThreadPoolExecutor(max_workers=1) as pool:  # a running loop cannot nest asyncio.run
        return pool.submit(run).result()


async def audit_domain_async(
    domain: str,
    *,
    selectors: Sequence[str] = (),
    ip: str | None = None,
    nameservers: Sequence[str] | None = None,
    port: int = 53,
    timeout: float = 3.0,
    lookups: Lookups | None = None,
) -> DomainReport:
    """The audit as a coroutine; ``lookups`` may be shared between audits of one run."""
    name = ascii_domain(domain)
    address = _valid_ip(ip)
    wanted = _valid_selectors(selectors)
    if lookups is None:
        lookups = Lookups(make_resolver(nameservers, port=port, timeout=timeout))
    await ensure_reachable(lookups.resolver)
    mx, spf, dkim, dmarc, ptr, listed = await asyncio.gather(
        mx_checks(lookups, name),
        spf_checks(lookups, name, address),
        dkim_checks(lookups, name, wanted),
        dmarc_checks(lookups, name),
        ptr_checks(lookups, address) if address else _nothing(),
        blocklist_checks(lookups, name, address),
    )
    checks = [*mx, *spf, *dkim, *dmarc]
    checks.append(bulk_sender_check(checks, ptr))
    checks += [*ptr, *listed]
    return DomainReport(name, address, tuple(checks))


async def _nothing() -> list[Check]:
    return []


def _valid_ip(ip: str | None) -> str | None:
    if ip is None:
        return None
    try:
        return str(ipaddress.ip_address(ip.strip()))
    except ValueError as error:
        raise UsageError(f"not an IP address: {ip!r}", field="--ip") from error


def _valid_selectors(selectors: Sequence[str]) -> tuple[str, ...]:
    for selector in selectors:
        if not _SELECTOR.match(selector):
            raise UsageError(f"not a DKIM selector: {selector!r}", field="--selector")
    return tuple(dict.fromkeys(s.lower() for s in selectors))


__all__ = ["Check", "CheckStatus", "DomainReport", "audit_domain", "audit_domain_async"]
