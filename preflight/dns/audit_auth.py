"""The DKIM and DMARC checks of a domain audit, and Gmail's and Yahoo's bulk-sender rules."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence

from preflight.dns import dkim, dmarc
from preflight.dns.report import Check
from preflight.dns.resolver import Lookups


async def _dkim_selector(lookups: Lookups, domain: str, selector: str) -> Check | None:
    """The check for one selector, or None when nothing is published there."""
    owner = f"{selector}._domainkey.{domain}"
    answer = await lookups.get(owner, "TXT")
    name = f"dkim:{selector}"
    if not answer.ok:
        if answer.missing:
            return None
        return Check(name, "unverified", None, f"could not check: {answer.describe_failure()}")
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


async def dkim_checks(lookups: Lookups, domain: str, selectors: Sequence[str]) -> list[Check]:
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
    checks = [check for check in found if check is not None and check.status != "unverified"]
    silent = [s for s, check in zip(tried, found, strict=True)
              if check is not None and check.status == "unverified"]
    if silent:
        # Dozens of guessed selectors that got no answer are one fact, not dozens of lines.
        shown = ", ".join(silent[:6]) + (", …" if len(silent) > 6 else "")
        checks.append(Check(
            "dkim", "unverified", None,
            f"no answer for {len(silent)} of the {len(tried)} common DKIM selectors tried"
            f" ({shown})",
            "run it again when the DNS answers, or pass --selector with yours",
        ))
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


async def dmarc_checks(lookups: Lookups, domain: str) -> list[Check]:
    found = await dmarc.find_dmarc(lookups, domain)
    suggestion = (
        f'publish a TXT record at _dmarc.{domain}: "v=DMARC1; p=none; rua=mailto:dmarc@{domain}"'
    )
    if found.answer is not None and not found.answer.ok and not found.answer.missing:
        return [
            Check(
                "dmarc",
                "unverified",
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


def bulk_sender_check(checks: Sequence[Check], ptr: Sequence[Check]) -> Check:
    """What Gmail's and Yahoo's 2024 sender rules ask of the DNS, checked as one line."""
    by_family: dict[str, list[Check]] = {}
    for check in checks:
        by_family.setdefault(re.split(r"[-:]", check.name, maxsplit=1)[0], []).append(check)
    missing = []
    unknown = [c.name for c in checks if c.status == "unverified" and c.name in ("spf", "dmarc")]
    if unknown:
        return Check(
            "bulk-sender",
            "unverified",
            None,
            f"cannot tell without an answer for {' and '.join(n.upper() for n in unknown)}",
            "run it again when the DNS answers",
        )
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


__all__ = ["bulk_sender_check", "dkim_checks", "dmarc_checks"]
