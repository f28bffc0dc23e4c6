"""SPF (RFC 7208): parse a record, count its DNS lookups, and decide whether an IP may send.

Only what an audit needs: the record's terms, the number of DNS-querying terms across its
includes and redirect (receivers give up past 10), and ``check_host`` for one IP address.
Macros (``%{i}``…) cannot be expanded without a message; a term using one is counted but
not followed.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Literal

from preflight.dns.answer import Answer
from preflight.dns.resolver import Lookups

LOOKUP_LIMIT = 10
VOID_LIMIT = 2
_QUERYING = frozenset({"include", "a", "mx", "ptr", "exists"})
_MECHANISMS = frozenset({"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"})
_MODIFIER = re.compile(r"^([A-Za-z][A-Za-z0-9_.-]*)=(.*)$")
_MECHANISM = re.compile(r"^([+\-~?]?)([A-Za-z0-9]+)(?::([^/]*))?((?:/\d+)?(?://\d+)?)$")
_CIDR = re.compile(r"^(?:/(\d+))?(?://(\d+))?$")

Result = Literal["pass", "fail", "softfail", "neutral", "none", "permerror", "temperror"]
_QUALIFIER_RESULT: dict[str, Result] = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}


class SpfSyntaxError(ValueError):
    """A record that receivers treat as a permanent error."""


@dataclass(frozen=True, slots=True)
class Term:
    qualifier: str
    name: str
    value: str | None
    cidr4: int | None
    cidr6: int | None
    raw: str


@dataclass(frozen=True, slots=True)
class SpfRecord:
    text: str
    terms: tuple[Term, ...]
    redirect: str | None

    @property
    def all_term(self) -> Term | None:
        return next((t for t in self.terms if t.name == "all"), None)


def is_spf(text: str) -> bool:
    lowered = text.lower()
    return lowered == "v=spf1" or lowered.startswith("v=spf1 ")


def parse_spf(text: str) -> SpfRecord:
    """Parse ``v=spf1 ...``; raises :class:`SpfSyntaxError` naming the bad term."""
    if not is_spf(text.strip()):
        raise SpfSyntaxError("the record does not start with v=spf1")
    terms: list[Term] = []
    modifiers: dict[str, str] = {}
    for raw in text.split()[1:]:
        mechanism = _MECHANISM.match(raw)
        modifier = _MODIFIER.match(raw)
        if modifier and not (mechanism and mechanism.group(2).lower() in _MECHANISMS):
            name = modifier.group(1).lower()
            if name in modifiers and name in ("redirect", "exp"):
                raise SpfSyntaxError(f"{name}= appears twice")
            if name in ("redirect", "exp") and not modifier.group(2):
                raise SpfSyntaxError(f"{raw!r} names no domain")
            modifiers[name] = modifier.group(2)
            continue
        if not mechanism:
            raise SpfSyntaxError(f"{raw!r} is not a valid SPF term")
        terms.append(_mechanism(raw, mechanism))
    return SpfRecord(text, tuple(terms), modifiers.get("redirect"))


def _mechanism(raw: str, match: re.Match[str]) -> Term:
    qualifier, name, value, cidr = match.group(1) or "+", match.group(2).lower(), *match.group(3, 4)
    if name not in _MECHANISMS:
        raise SpfSyntaxError(f"{raw!r}: unknown mechanism {name!r}")
    cidr_match = _CIDR.match(cidr or "")
    assert cidr_match is not None  # the mechanism pattern only lets valid suffixes through
    cidr4 = int(cidr_match.group(1)) if cidr_match.group(1) else None
    cidr6 = int(cidr_match.group(2)) if cidr_match.group(2) else None
    if name == "all" and (value is not None or cidr):
        raise SpfSyntaxError(f"{raw!r}: all takes no argument")
    if name in ("include", "exists") and not value:
        raise SpfSyntaxError(f"{raw!r}: {name} needs a domain")
    if name in ("include", "exists", "ptr") and cidr:
        raise SpfSyntaxError(f"{raw!r}: {name} takes no prefix length")
    if name in ("ip4", "ip6"):
        if not value or cidr6 is not None:
            raise SpfSyntaxError(f"{raw!r}: {name} needs an address")
        try:
            network = ipaddress.ip_network(
                f"{value}/{cidr4}" if cidr4 is not None else value, strict=False
            )
        except ValueError as error:
            raise SpfSyntaxError(f"{raw!r}: {error}") from error
        if network.version != (4 if name == "ip4" else 6):
            raise SpfSyntaxError(f"{raw!r}: not an IPv{name[-1]} address")
        return Term(qualifier, name, value, cidr4, None, raw)
    if (cidr4 or 0) > 32 or (cidr6 or 0) > 128:
        raise SpfSyntaxError(f"{raw!r}: prefix length out of range")
    if value is not None and not _domain_spec_ok(value):
        raise SpfSyntaxError(f"{raw!r}: {value!r} is not a domain")
    return Term(qualifier, name, value, cidr4, cidr6, raw)


def _domain_spec_ok(value: str) -> bool:
    if "%" in value:
        return True  # a macro: checked when expanded, which an audit cannot do
    return "." in value.strip(".") and all(label for label in value.rstrip(".").split("."))


def spf_records(answer: Answer) -> list[str]:
    return [text for text in answer.texts() if is_spf(text.strip())]


@dataclass
class Expansion:
    """The record tree under a domain: lookups counted, problems found on the way."""

    lookups: int = 0
    void_lookups: int = 0
    problems: list[str] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)


async def count_lookups(lookups: Lookups, domain: str, record: SpfRecord) -> Expansion:
    """Count DNS-querying terms in ``record`` and, recursively, its includes and redirect."""
    expansion = Expansion(visited=[domain])
    await _expand(lookups, domain, record, expansion, depth=0)
    return expansion


async def _expand(
    lookups: Lookups, domain: str, record: SpfRecord, out: Expansion, depth: int
) -> None:
    followed: list[str] = []
    for term in record.terms:
        if term.name not in _QUERYING:
            continue
        out.lookups += 1
        target = term.value or domain
        if "%" in target:
            continue
        if term.name == "include":
            followed.append(target)
        elif term.name in ("a", "mx", "exists"):
            kinds = ("MX",) if term.name == "mx" else ("A", "AAAA") if term.name == "a" else ("A",)
            answers = [await lookups.get(target, kind) for kind in kinds]
            if all(answer.missing for answer in answers):
                out.void_lookups += 1
    if record.redirect:
        out.lookups += 1
        if "%" not in record.redirect:
            followed.append(record.redirect)
    for target in followed:
        if out.lookups > 5 * LOOKUP_LIMIT or depth > 10:
            return  # far past the limit already: no need to walk a runaway tree
        if target in out.visited:
            out.problems.append(f"{target} is included twice or in a loop")
            continue
        out.visited.append(target)
        answer = await lookups.get(target, "TXT")
        texts = spf_records(answer)
        if len(texts) != 1:
            if answer.missing:
                out.void_lookups += 1
            what = "no SPF record" if not texts else f"{len(texts)} SPF records"
            if not answer.missing and answer.status != "ok":
                what = answer.describe_failure()
            out.problems.append(f"{target}: {what}")
            continue
        try:
            child = parse_spf(texts[0])
        except SpfSyntaxError as error:
            out.problems.append(f"{target}: {error}")
            continue
        await _expand(lookups, target, child, out, depth + 1)


@dataclass
class Evaluation:
    result: Result
    matched: str | None = None
    note: str | None = None
    lookups: int = 0


async def check_host(lookups: Lookups, ip: str, domain: str) -> Evaluation:
    """RFC 7208 ``check_host()`` for a connecting ``ip`` and a sender ``domain``."""
    state = Evaluation("none")
    state.result, state.matched = await _check(lookups, ipaddress.ip_address(ip), domain, state)
    return state


async def _check(
    lookups: Lookups,
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address,
    domain: str,
    state: Evaluation,
) -> tuple[Result, str | None]:
    answer = await lookups.get(domain, "TXT")
    if answer.status not in ("ok", "nxdomain", "nodata"):
        return "temperror", None
    texts = spf_records(answer)
    if not texts:
        return "none", None
    if len(texts) > 1:
        return "permerror", None
    try:
        record = parse_spf(texts[0])
    except SpfSyntaxError:
        return "permerror", None
    for term in record.terms:
        if term.name in _QUERYING:
            state.lookups += 1
            if state.lookups > LOOKUP_LIMIT:
                return "permerror", term.raw
        verdict, inner = await _matches(lookups, ip, domain, term, state)
        if verdict in ("temperror", "permerror"):
            return verdict, term.raw  # type: ignore[return-value]
        if verdict == "match":
            where = f"{inner}, via {term.raw}" if inner else f"{term.raw} (in {domain})"
            return _QUALIFIER_RESULT[term.qualifier], where
    if record.redirect and "%" not in record.redirect:
        state.lookups += 1
        if state.lookups > LOOKUP_LIMIT:
            return "permerror", f"redirect={record.redirect}"
        result, matched = await _check(lookups, ip, record.redirect, state)
        return ("permerror" if result == "none" else result), matched
    return "neutral", None


async def _matches(
    lookups: Lookups,
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address,
    domain: str,
    term: Term,
    state: Evaluation,
) -> tuple[str, str | None]:
    """``"match"``, ``"no"``, ``"temperror"`` or ``"permerror"`` for one mechanism, and for
    an include that matched, the term that matched inside it."""
    if term.name == "include":
        target = term.value or domain
        if "%" in target:
            state.note = f"{term.raw} uses a macro and was not evaluated"
            return "no", None
        result, matched = await _check(lookups, ip, target, state)
        if result == "pass":
            return "match", matched
        if result in ("temperror", "permerror"):
            return result, None
        return ("permerror" if result == "none" else "no"), None
    return await _mechanism_matches(lookups, ip, domain, term, state), None


async def _mechanism_matches(
    lookups: Lookups,
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address,
    domain: str,
    term: Term,
    state: Evaluation,
) -> str:
    if term.name == "all":
        return "match"
    if term.name in ("ip4", "ip6"):
        assert term.value is not None
        prefix = f"/{term.cidr4}" if term.cidr4 is not None else ""
        network = ipaddress.ip_network(term.value + prefix, strict=False)
        return "match" if ip.version == network.version and ip in network else "no"
    target = term.value or domain
    if "%" in target:
        state.note = f"{term.raw} uses a macro and was not evaluated"
        return "no"
    if term.name == "exists":
        answer = await lookups.get(target, "A")
        return "match" if answer.ok else "no" if answer.missing else "temperror"
    if term.name == "ptr":
        state.note = "the ptr mechanism is deprecated (RFC 7208 §5.5) and was not evaluated"
        return "no"
    hosts = [target]
    if term.name == "mx":
        answer = await lookups.get(target, "MX")
        if not answer.ok and not answer.missing:
            return "temperror"
        hosts = answer.names()[:10] if answer.ok else []
    for host in hosts:
        kind = "A" if ip.version == 4 else "AAAA"
        answer = await lookups.get(host, kind)
        if not answer.ok:
            if not answer.missing:
                return "temperror"
            continue
        bits = term.cidr4 if ip.version == 4 else term.cidr6
        for address in answer.addresses():
            suffix = f"/{bits}" if bits is not None else ""
            if ip in ipaddress.ip_network(address + suffix, strict=False):
                return "match"
    return "no"


__all__ = [
    "LOOKUP_LIMIT",
    "VOID_LIMIT",
    "Evaluation",
    "Expansion",
    "SpfRecord",
    "SpfSyntaxError",
    "Term",
    "check_host",
    "count_lookups",
    "is_spf",
    "parse_spf",
    "spf_records",
]
