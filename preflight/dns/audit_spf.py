"""The SPF checks of a domain audit: one record, its lookups, its ``all``, an IP's standing."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from preflight.dns import spf
from preflight.dns.report import Check
from preflight.dns.resolver import Lookups

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


async def spf_checks(lookups: Lookups, domain: str, ip: str | None) -> list[Check]:
    answer = await lookups.get(domain, "TXT")
    if not answer.ok and not answer.missing:
        return [
            Check(
                "spf",
                "unverified",
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


__all__ = ["spf_checks"]
