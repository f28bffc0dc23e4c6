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
from dataclasses import asdict, dataclass
from typing import Literal

from preflight.dns import blocklists, dkim, dmarc, spf
from preflight.dns.mailhost import find_mail_host
from preflight.dns.resolver import Lookups, ascii_domain, make_resolver
from preflight.dns.reverse import reverse_dns
from preflight.errors import UsageError

CheckStatus = Literal["pass", "warn", "fail"]

_SELECTOR = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")

# What to include in SPF for the mail hosts our users' domains most often point MX at.
_SPF_INCLUDES = {
    "google.com": "_spf.google.com",
    "googlemail.com": "_spf.google.com",
    "outlook.com": "spf.protection.outlook.com",
    "qq.com": "spf.mail.qq.com",
    "mxhichina.com": "spf.mxhichina.com",
    "qiye.163.com": "spf.163.com",
    "zoho.com": "zoho.com",
    "zoho.com.cn": "zoho.com.cn",
}


@dataclass(frozen=True, slots=True)
class Check:
    """One verdict of the audit, with the DNS record it read and what to do about it."""

    name: str
    status: CheckStatus
    record: str | None
    message: str
    fix: str | None = None


@dataclass(frozen=True, slots=True)
class DomainReport:
    domain: str
    ip: str | None
    checks: tuple[Check, ...]

    def failed(self, name: str | None = None) -> bool:
        """Did any check fail — or, given ``name``, that check or its family?

        ``failed("spf")`` covers ``spf``, ``spf-lookups``, ``spf-all`` and ``spf-ip``;
        ``failed("dkim")`` every selector; ``failed("blocklist")`` every list.
        """
        return any(
            check.status == "fail"
            and (
                name is None
                or check.name == name
                or check.name.startswith((f"{name}-", f"{name}:"))
            )
            for check in self.checks
        )

    def get(self, name: str) -> Check | None:
        return next((check for check in self.checks if check.name == name), None)

    def as_dict(self) -> dict[str, object]:
        return {
            "domain": self.domain,
            "ip": self.ip,
            "failed": self.failed(),
            "checks": [asdict(check) for check in self.checks],
        }


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
    (
        mx_checks,
        spf_checks,
        dkim_checks,
        dmarc_checks,
        ptr_checks,
        list_checks,
    ) = await asyncio.gather(
        _mx(lookups, name),
        _spf(lookups, name, address),
        _dkim(lookups, name, wanted),
        _dmarc(lookups, name),
        _ptr(lookups, address) if address else _nothing(),
        _blocklists(lookups, name, address),
    )
    checks = [*mx_checks, *spf_checks, *dkim_checks, *dmarc_checks]
    checks.append(_bulk_sender(checks, ptr_checks))
    checks += [*ptr_checks, *list_checks]
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


async def _mx(lookups: Lookups, domain: str) -> list[Check]:
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
    return [Check("mx", "warn", None, f"could not check: {host.detail}", "run it again later")]


def _spf_fix(domain: str, mx_hosts: Sequence[str]) -> str:
    include = next(
        (
            target
            for host in mx_hosts
            for suffix, target in _SPF_INCLUDES.items()
            if host == suffix or host.endswith("." + suffix)
        ),
        None,
    )
    mechanism = f"include:{include}" if include else "include:<your mail provider's SPF domain>"
    return f'publish one TXT record at {domain}: "v=spf1 {mechanism} -all"'


async def _spf(lookups: Lookups, domain: str, ip: str | None) -> list[Check]:
    answer = await lookups.get(domain, "TXT")
    if not answer.ok and not answer.missing:
        return [
            Check(
                "spf",
                "fail",
                None,
                f"could not check: {answer.describe_failure()}",
                "check your network or DNS server and run it again",
            )
        ]
    texts = spf.spf_records(answer)
    if not texts:
        mx = await lookups.get(domain, "MX")
        return [
            Check(
                "spf",
                "fail",
                None,
                "no SPF record: receivers cannot tell your servers from forgers",
                _spf_fix(domain, mx.names() if mx.ok else []),
            )
        ]
    if len(texts) > 1:
        return [
            Check(
                "spf",
                "fail",
                " | ".join(texts),
                f"{len(texts)} SPF records: receivers treat this as a permanent error",
                "merge them into a single v=spf1 record",
            )
        ]
    text = texts[0]
    try:
        record = spf.parse_spf(text)
    except spf.SpfSyntaxError as error:
        return [Check("spf", "fail", text, f"invalid SPF: {error}", "correct the record")]
    checks = [Check("spf", "pass", text, "one valid SPF record")]
    checks.append(await _spf_lookups(lookups, domain, record))
    checks.append(await _spf_all(lookups, domain, record))
    if ip:
        checks.append(await _spf_ip(lookups, domain, ip, text))
    return checks


async def _spf_lookups(lookups: Lookups, domain: str, record: spf.SpfRecord) -> Check:
    tree = await spf.count_lookups(lookups, domain, record)
    through = ", ".join(tree.visited)
    if tree.lookups > spf.LOOKUP_LIMIT:
        return Check(
            "spf-lookups",
            "fail",
            record.text,
            f"{tree.lookups} DNS-querying terms when expanded (limit {spf.LOOKUP_LIMIT}),"
            f" through {through}: receivers stop with a permanent error",
            "replace includes you no longer use, or a, mx and nested includes by ip4:/ip6: ranges",
        )
    if tree.problems:
        return Check(
            "spf-lookups",
            "fail",
            record.text,
            "broken include or redirect: " + "; ".join(tree.problems),
            "remove or correct the include",
        )
    if tree.void_lookups > spf.VOID_LIMIT:
        return Check(
            "spf-lookups",
            "warn",
            record.text,
            f"{tree.void_lookups} terms point at names with no records (receivers may stop"
            f" after {spf.VOID_LIMIT})",
            "remove terms for hosts that no longer exist",
        )
    return Check(
        "spf-lookups",
        "pass",
        record.text,
        f"{tree.lookups} DNS-querying term{'s' if tree.lookups != 1 else ''} when expanded"
        f" (limit {spf.LOOKUP_LIMIT})",
    )


async def _spf_all(lookups: Lookups, domain: str, record: spf.SpfRecord) -> Check:
    current, seen = record, {domain}
    while current.all_term is None and current.redirect and current.redirect not in seen:
        seen.add(current.redirect)
        texts = spf.spf_records(await lookups.get(current.redirect, "TXT"))
        try:
            current = spf.parse_spf(texts[0]) if len(texts) == 1 else current
        except spf.SpfSyntaxError:
            break
        if not texts:
            break
    term = current.all_term
    fix = "end the record with -all (or ~all while you are testing)"
    if term is None:
        return Check(
            "spf-all",
            "fail",
            record.text,
            "the record has no 'all' term: mail from anywhere gets a neutral result",
            fix,
        )
    if term.qualifier == "-":
        return Check("spf-all", "pass", record.text, "-all: other senders fail SPF")
    if term.qualifier == "~":
        return Check(
            "spf-all", "pass", record.text, "~all: other senders soft-fail (DMARC decides)"
        )
    return Check(
        "spf-all",
        "fail",
        record.text,
        f"{term.raw}: anyone may send as you"
        if term.qualifier == "+"
        else "?all: other senders get a neutral result, as if there were no SPF",
        fix,
    )


async def _spf_ip(lookups: Lookups, domain: str, ip: str, text: str) -> Check:
    outcome = await spf.check_host(lookups, ip, domain)
    note = f" ({outcome.note})" if outcome.note else ""
    if outcome.result == "pass":
        return Check("spf-ip", "pass", text, f"{ip} is authorized by {outcome.matched}{note}")
    kind = "ip4" if ipaddress.ip_address(ip).version == 4 else "ip6"
    what = {
        "fail": "is not authorized (SPF fail)",
        "softfail": "is not authorized (SPF softfail)",
        "neutral": "is not listed (SPF neutral)",
        "none": "cannot be checked: no SPF record",
        "permerror": "cannot be checked: the record tree is broken (permerror)",
        "temperror": "cannot be checked: a lookup failed (temperror)",
    }[outcome.result]
    fix = f"add {kind}:{ip} to the SPF record of {domain}, or include your provider's SPF domain"
    if outcome.result in ("permerror", "temperror"):
        fix = "repair the SPF record first (see the other spf checks), then check again"
    return Check("spf-ip", "fail", text, f"{ip} {what}{note}", fix)


async def _dkim_selector(lookups: Lookups, domain: str, selector: str) -> Check | None:
    """The check for one selector, or None when nothing is published there."""
    owner = f"{selector}._domainkey.{domain}"
    answer = await lookups.get(owner, "TXT")
    name = f"dkim:{selector}"
    if not answer.ok:
        if answer.missing:
            return None
        return Check(name, "warn", None, f"could not check: {answer.describe_failure()}")
    texts = [t for t in answer.texts() if "p=" in t or t.lower().startswith("v=dkim1")]
    if not texts:
        return None
    try:
        key = dkim.read_key(selector, texts[0])
    except ValueError as error:
        return Check(
            name,
            "fail",
            texts[0],
            f"broken key at {owner}: {error}",
            "publish the record exactly as your mail provider gives it",
        )
    if key.revoked:
        return Check(
            name,
            "fail",
            key.record,
            f"the key at {owner} is revoked (empty p=)",
            "sign with a current selector, or publish its key",
        )
    size = f"{key.key_type.upper() if key.key_type == 'rsa' else 'Ed25519'} {key.bits}-bit key"
    testing = " in test mode (t=y): receivers may ignore failures" if key.testing else ""
    if key.key_type == "ed25519":
        return Check(
            name,
            "warn",
            key.record,
            f"{size} at {owner}{testing}",
            "also sign with an RSA 2048-bit key: not every receiver verifies Ed25519",
        )
    assert key.bits is not None
    if key.bits < 1024:
        return Check(
            name,
            "fail",
            key.record,
            f"{size} at {owner}: too short, receivers ignore or reject it",
            "generate a 2048-bit key and publish it",
        )
    if key.bits < 2048:
        return Check(
            name,
            "warn",
            key.record,
            f"{size} at {owner}{testing}",
            "move to a 2048-bit key (1024 bits is the minimum)",
        )
    if testing:
        return Check(
            name, "warn", key.record, f"{size} at {owner}{testing}", "remove t=y once signing works"
        )
    return Check(name, "pass", key.record, f"{size} at {owner}")


async def _dkim(lookups: Lookups, domain: str, selectors: Sequence[str]) -> list[Check]:
    tried = selectors or dkim.COMMON_SELECTORS
    found = await asyncio.gather(*(_dkim_selector(lookups, domain, s) for s in tried))
    if selectors:
        return [
            check
            or Check(
                f"dkim:{selector}",
                "fail",
                None,
                f"no DKIM key at {selector}._domainkey.{domain}",
                "publish the DKIM record your mail provider gives you for this selector",
            )
            for selector, check in zip(selectors, found, strict=True)
        ]
    checks = [check for check in found if check is not None]
    return checks or [
        Check(
            "dkim",
            "warn",
            None,
            f"no DKIM key at the common selectors ({', '.join(dkim.COMMON_SELECTORS[:6])}, …)",
            "pass --selector with the selector your provider signs with (the s= of a"
            " DKIM-Signature header); if you have none, turn DKIM on with your provider",
        )
    ]


async def _dmarc(lookups: Lookups, domain: str) -> list[Check]:
    found = await dmarc.find_dmarc(lookups, domain)
    suggestion = (
        f'publish a TXT record at _dmarc.{domain}: "v=DMARC1; p=none; rua=mailto:dmarc@{domain}"'
    )
    if found.answer is not None and not found.answer.ok and not found.answer.missing:
        return [
            Check(
                "dmarc",
                "fail",
                None,
                f"could not check: {found.answer.describe_failure()}",
                "check your network or DNS server and run it again",
            )
        ]
    if not found.records:
        return [
            Check(
                "dmarc",
                "fail",
                None,
                "no DMARC record: Gmail and Yahoo reject bulk mail without one",
                suggestion,
            )
        ]
    if len(found.records) > 1:
        return [
            Check(
                "dmarc",
                "fail",
                " | ".join(found.records),
                f"{len(found.records)} DMARC records: receivers ignore them all",
                "keep a single v=DMARC1 record",
            )
        ]
    text = found.records[0]
    try:
        policy = dmarc.parse_dmarc(text, inherited=found.inherited)
    except ValueError as error:
        return [Check("dmarc", "fail", text, f"invalid DMARC: {error}", suggestion)]
    where = f" (from {found.found_at})" if found.inherited else ""
    checks = []
    if policy.policy == "none":
        checks.append(
            Check(
                "dmarc",
                "warn",
                text,
                f"policy none{where}: meets the Gmail/Yahoo minimum, but forged"
                " mail in your name is still delivered",
                "once the reports show only your own servers, move to p=quarantine, then p=reject",
            )
        )
    elif policy.pct < 100:
        checks.append(
            Check(
                "dmarc",
                "warn",
                text,
                f"policy {policy.policy}{where} applied to only {policy.pct}% of failing mail",
                "raise pct to 100 (or remove it)",
            )
        )
    else:
        checks.append(Check("dmarc", "pass", text, f"policy {policy.policy}{where}"))
    if policy.rua:
        checks.append(
            Check("dmarc-rua", "pass", text, "aggregate reports go to " + ", ".join(policy.rua))
        )
    else:
        checks.append(
            Check(
                "dmarc-rua",
                "warn",
                text,
                "no rua=: you get no reports of who sends as your domain",
                f"add rua=mailto:dmarc@{domain} (or a report service's address)",
            )
        )
    return checks


def _bulk_sender(checks: Sequence[Check], ptr: Sequence[Check]) -> Check:
    """What Gmail's and Yahoo's 2024 sender rules ask of the DNS, checked as one line."""
    by_family: dict[str, list[Check]] = {}
    for check in checks:
        by_family.setdefault(re.split(r"[-:]", check.name, maxsplit=1)[0], []).append(check)
    missing = []
    if any(c.status == "fail" for c in by_family.get("spf", [])) or "spf" not in by_family:
        missing.append("a valid SPF record")
    dkim_checks = by_family.get("dkim", [])
    dkim_found = any(c.name.startswith("dkim:") and c.status != "fail" for c in dkim_checks)
    if any(c.status == "fail" for c in dkim_checks):
        missing.append("a valid DKIM key")
    if not any(c.name == "dmarc" and c.status != "fail" for c in checks):
        missing.append("a DMARC record (p=none at least)")
    if any(c.status == "fail" for c in ptr):
        missing.append("forward-confirmed reverse DNS for the sending IP")
    rules = (
        "Gmail/Yahoo bulk-sender rules (5,000+ a day): SPF and DKIM, DMARC p=none or"
        " stronger, a From domain aligned with SPF or DKIM"
    )
    other = "also: one-click unsubscribe (RFC 8058) in marketing mail, spam rate under 0.3 %"
    if missing:
        return Check(
            "bulk-sender",
            "fail",
            None,
            f"{rules}; missing: {', '.join(missing)}",
            "fix the checks above; " + other,
        )
    if not dkim_found:
        return Check(
            "bulk-sender",
            "warn",
            None,
            f"{rules}; DKIM could not be confirmed (no selector given)",
            "run again with --selector; " + other,
        )
    return Check("bulk-sender", "pass", None, f"{rules}: the DNS side is in place", other)


async def _ptr(lookups: Lookups, ip: str) -> list[Check]:
    found = await reverse_dns(lookups, ip)
    if found.failure:
        return [Check("ptr", "warn", None, f"could not check: {found.failure}")]
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


async def _blocklists(lookups: Lookups, domain: str, ip: str | None) -> list[Check]:
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
                    "warn",
                    codes,
                    f"could not check {subject} on {listing.zone}: {listing.meaning}",
                    "run it again later",
                )
            )
    return checks


__all__ = ["Check", "CheckStatus", "DomainReport", "audit_domain", "audit_domain_async"]
