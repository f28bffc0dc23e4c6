"""Where DNS queries go, and the per-run cache every check asks through.

``PREFLIGHT_NAMESERVER=host:port`` sends every query to that server (tests point it at a
loopback server); otherwise explicit ``nameservers`` are used, else the system's resolver.
:class:`Lookups` caches answers for one run and shares a query in flight between callers.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
from collections.abc import Sequence

import dns.asyncresolver
import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver

from preflight.dns.answer import Answer
from preflight.errors import DnsError, DnsUnreachable, UsageError

ENV_VAR = "PREFLIGHT_NAMESERVER"


def parse_nameserver(text: str, *, field: str = ENV_VAR) -> tuple[str, int]:
    """``"127.0.0.1:5353"``, ``"[::1]:53"`` or ``"192.0.2.53"`` → (address, port)."""
    text = text.strip()
    host, port = text, 53
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            if not rest.startswith(":"):
                raise UsageError(f"expected [ADDRESS]:PORT, got {text!r}", field=field)
            port = _port(rest[1:], text, field)
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
        port = _port(port_text, text, field)
    try:
        ipaddress.ip_address(host)
    except ValueError as error:
        raise UsageError(f"not an IP address: {host!r} (from {text!r})", field=field) from error
    return host, port


def _port(text: str, whole: str, field: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise UsageError(f"bad port in {whole!r}", field=field)
    return int(text)


def make_resolver(
    nameservers: Sequence[str] | None = None, *, port: int = 53, timeout: float = 3.0
) -> dns.asyncresolver.Resolver:
    """An async resolver honouring ``PREFLIGHT_NAMESERVER``; ``timeout`` bounds each query."""
    override = os.environ.get(ENV_VAR)
    if override:
        host, port = parse_nameserver(override)
        nameservers = [host]
    if nameservers:
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = list(nameservers)
        resolver.port = port
    else:
        try:
            resolver = dns.asyncresolver.Resolver()
        except dns.resolver.NoResolverConfiguration as error:
            raise DnsError(
                "no DNS resolver configured on this machine; set PREFLIGHT_NAMESERVER=host:port"
            ) from error
    resolver.timeout = timeout
    resolver.lifetime = timeout
    return resolver


async def query(resolver: dns.asyncresolver.Resolver, name: str, rdtype: str) -> Answer:
    """Ask once; every outcome is an :class:`Answer`, never an exception."""
    try:
        result = await resolver.resolve(name, rdtype, search=False, raise_on_no_answer=False)
    except dns.resolver.NXDOMAIN:
        return Answer(name, rdtype, "nxdomain")
    except dns.resolver.NoNameservers as error:
        return Answer(name, rdtype, "servfail", error=str(error))
    except dns.exception.Timeout as error:
        return Answer(name, rdtype, "timeout", error=str(error))
    except (dns.exception.DNSException, ValueError, OSError) as error:
        return Answer(name, rdtype, "error", error=str(error) or type(error).__name__)
    if result.rrset is None:
        return Answer(name, rdtype, "nodata")
    return Answer(name, rdtype, "ok", tuple(result.rrset))


def server_name(resolver: dns.asyncresolver.Resolver) -> str:
    """``127.0.0.1:5353`` or ``192.0.2.53``: the first server the resolver asks."""
    servers = [str(s) for s in resolver.nameservers] or ["(none configured)"]
    port = getattr(resolver, "port", 53)
    host = servers[0]
    if port == 53:
        return host
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


async def ensure_reachable(resolver: dns.asyncresolver.Resolver) -> None:
    """Raise :class:`DnsUnreachable` when the server does not answer a question it always
    can (the root's NS records): then every check would only say "no answer"."""
    answer = await query(resolver, ".", "NS")
    if answer.status in ("timeout", "error"):
        why = f"no reply in {resolver.lifetime:g} s" if answer.status == "timeout" else (
            answer.error or "no reply")
        raise DnsUnreachable(
            f"the DNS server {server_name(resolver)} did not answer ({why}): check the "
            f"network or {ENV_VAR}, or use --offline to skip the DNS checks"
        )


class Lookups:
    """Cached, bounded lookups for one run: each (name, type) is asked at most once."""

    def __init__(
        self,
        resolver: dns.asyncresolver.Resolver | None = None,
        *,
        concurrency: int = 64,
        remember: bool = True,
    ) -> None:
        self.resolver = resolver if resolver is not None else make_resolver()
        self._limit = asyncio.Semaphore(concurrency)
        # remember=False keeps only questions in flight (a caller that caches its own
        # conclusions, like a list check, need not hold every answer's records).
        self._remember = remember
        self._cache: dict[tuple[str, str], asyncio.Future[Answer]] = {}
        self._count = 0

    @property
    def asked(self) -> int:
        """How many distinct queries were made."""
        return self._count

    async def get(self, name: str, rdtype: str) -> Answer:
        key = (name.rstrip(".").lower(), rdtype)
        pending = self._cache.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._ask(*key))
            self._cache[key] = pending
            self._count += 1
        return await asyncio.shield(pending)

    async def _ask(self, name: str, rdtype: str) -> Answer:
        try:
            async with self._limit:
                return await query(self.resolver, name, rdtype)
        finally:
            if not self._remember:
                self._cache.pop((name, rdtype), None)


def ascii_domain(domain: str, *, field: str = "DOMAIN") -> str:
    """A user-typed domain in its lower-case ASCII (IDNA) form, or a one-line error."""
    text = domain.strip().rstrip(".").lower()
    try:
        if not text or "." not in text or "@" in text or any(c.isspace() for c in text):
            raise ValueError(text)
        ascii_form = dns.name.from_text(text).to_text(omit_final_dot=True)
    except (ValueError, UnicodeError, dns.exception.DNSException) as error:
        raise UsageError(f"not a domain name: {domain!r}", field=field) from error
    return ascii_form


__all__ = [
    "ENV_VAR",
    "Answer",
    "Lookups",
    "ascii_domain",
    "ensure_reachable",
    "make_resolver",
    "parse_nameserver",
    "query",
]
