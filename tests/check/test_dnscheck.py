"""Domain audits against the loopback DNS server and the fixture zones in zones.py."""

from __future__ import annotations

import asyncio
import base64

import pytest
from support.dns_server import LoopbackDNS

from check.keys import RSA_512_SPKI, RSA_1024_PKCS1, RSA_1024_SPKI, RSA_2048_SPKI
from check.zones import GENERIC_IP, LISTED_IP, SENDER_IP
from preflight.dns import dkim, spf
from preflight.dns.blocklists import IP_LISTS, query_name
from preflight.dns.resolver import Lookups, make_resolver
from preflight.dnscheck import DomainReport, audit_domain, audit_domain_async
from preflight.errors import UsageError


def statuses(report: DomainReport) -> dict[str, str]:
    return {check.name: check.status for check in report.checks}


def test_a_domain_that_does_everything_right(nameserver: LoopbackDNS) -> None:
    report = audit_domain("good.example", selectors=["s2048"], ip=SENDER_IP, timeout=2)
    assert statuses(report) == {
        "mx": "pass",
        "spf": "pass",
        "spf-lookups": "pass",
        "spf-all": "pass",
        "spf-ip": "pass",
        "dkim:s2048": "pass",
        "dmarc": "pass",
        "dmarc-rua": "pass",
        "bulk-sender": "pass",
        "ptr": "pass",
        "blocklist:dbl.spamhaus.org": "pass",
        "blocklist:zen.spamhaus.org": "pass",
        "blocklist:bl.spamcop.net": "pass",
        "blocklist:b.barracudacentral.org": "warn",  # the fixture list refuses every query
        "blocklist:psbl.surriel.com": "pass",
    }
    assert not report.failed()
    mx = report.get("mx")
    assert mx is not None and mx.record == "mx1.good.example, mx2.good.example"  # by preference
    lookups = report.get("spf-lookups")
    assert lookups is not None and "4 DNS-querying terms" in lookups.message
    dkim_check = report.get("dkim:s2048")
    assert dkim_check is not None and "RSA 2048-bit" in dkim_check.message
    ptr = report.get("ptr")
    assert ptr is not None and "mail.good.example" in ptr.message


@pytest.mark.parametrize(
    ("ip", "authorized", "matched"),
    [
        ("192.0.2.10", True, "ip4:192.0.2.0/28"),
        ("192.0.2.17", False, None),  # just outside the /28
        ("198.51.100.127", True, "ip4:198.51.100.0/25"),  # first include
        ("2001:db8:5:1::25", True, "ip6:2001:db8:5::/48"),
        ("203.0.113.6", True, "a:relay.mailhost.example/30"),  # second include, a with cidr
        ("203.0.113.90", True, "mx:mailhost.example"),
        ("203.0.113.91", False, None),
    ],
)
def test_spf_authorizes_ip_through_nested_includes(
    nameserver: LoopbackDNS, ip: str, authorized: bool, matched: str | None
) -> None:
    report = audit_domain("good.example", ip=ip, timeout=2)
    check = report.get("spf-ip")
    assert check is not None
    assert (check.status == "pass") is authorized
    if matched:
        assert matched in check.message
    else:
        assert f"ip4:{ip}" in (check.fix or "")
    assert report.failed("spf") is not authorized


def test_everything_wrong(nameserver: LoopbackDNS) -> None:
    report = audit_domain("bad.example", ip=LISTED_IP, timeout=2)
    found = statuses(report)
    assert found["mx"] == "fail" and report.get("mx").record == "0 ."  # type: ignore[union-attr]
    assert found["spf"] == "fail"
    assert "2 SPF records" in report.get("spf").message  # type: ignore[union-attr]
    assert found["dmarc"] == "fail"
    assert "2 DMARC records" in report.get("dmarc").message  # type: ignore[union-attr]
    assert found["bulk-sender"] == "fail"
    assert found["ptr"] == "fail"  # the PTR name does not resolve back
    assert found["blocklist:zen.spamhaus.org"] == "fail"
    zen = report.get("blocklist:zen.spamhaus.org")
    assert zen is not None and "SBL" in zen.message and "XBL" in zen.message
    assert zen.record == "127.0.0.2, 127.0.0.4"
    assert found["blocklist:bl.spamcop.net"] == "fail"
    refused = report.get("blocklist:b.barracudacentral.org")
    assert refused is not None and refused.status == "warn"
    assert "refused" in refused.message and refused.record == "127.255.255.254"
    assert found["blocklist:dbl.spamhaus.org"] == "fail"
    assert "spam domain" in report.get("blocklist:dbl.spamhaus.org").message  # type: ignore[union-attr]
    assert report.failed("spf") and report.failed("dmarc") and report.failed("blocklist")


def test_spf_with_too_many_lookups_and_question_all(nameserver: LoopbackDNS) -> None:
    report = audit_domain("toomany.example", ip=GENERIC_IP, timeout=2)
    lookups = report.get("spf-lookups")
    assert lookups is not None and lookups.status == "fail"
    assert lookups.message.startswith("13 DNS-querying terms")
    all_check = report.get("spf-all")
    assert all_check is not None and all_check.status == "fail" and "?all" in all_check.message
    ptr = report.get("ptr")
    assert ptr is not None and ptr.status == "warn" and "generic" in ptr.message


def test_dkim_key_sizes_test_mode_revoked_and_missing(nameserver: LoopbackDNS) -> None:
    report = audit_domain(
        "toomany.example", selectors=["weakkey", "oldkey", "revoked", "missing"], timeout=2
    )
    found = statuses(report)
    assert found["dkim:weakkey"] == "fail"
    assert "512-bit" in report.get("dkim:weakkey").message  # type: ignore[union-attr]
    old = report.get("dkim:oldkey")
    assert old is not None and old.status == "warn"
    assert "1024-bit" in old.message and "t=y" in old.message  # PKCS#1 DER, test mode
    assert found["dkim:revoked"] == "fail"
    assert found["dkim:missing"] == "fail"
    assert report.failed("dkim")


def test_dkim_common_selectors_found_without_being_named(nameserver: LoopbackDNS) -> None:
    report = audit_domain("common.example", timeout=2)
    found = statuses(report)
    assert found["dkim:selector1"] == "warn"  # 1024-bit, reached through a CNAME
    assert found["dkim:google"] == "warn"  # Ed25519 only
    assert "dkim" not in found
    dmarc = report.get("dmarc")
    assert dmarc is not None and dmarc.status == "warn" and "25%" in dmarc.message
    assert found["dmarc-rua"] == "warn"
    assert found["spf-all"] == "pass"  # ~all


def test_bare_domain_without_spf_dmarc_or_mx(nameserver: LoopbackDNS) -> None:
    report = audit_domain("bare.example", timeout=2)
    found = statuses(report)
    assert found["mx"] == "warn"  # A-record fallback
    assert found["spf"] == "fail" and found["dmarc"] == "fail"
    assert found["dkim"] == "warn"
    assert "spf-lookups" not in found
    dmarc = report.get("dmarc")
    assert dmarc is not None and "_dmarc.bare.example" in (dmarc.fix or "")


def test_subdomain_uses_redirect_and_inherits_dmarc_subdomain_policy(
    nameserver: LoopbackDNS,
) -> None:
    report = audit_domain("news.parent.example", ip="192.0.2.70", timeout=2)
    found = statuses(report)
    assert found["spf-ip"] == "pass" and found["spf-all"] == "pass"
    dmarc = report.get("dmarc")
    assert dmarc is not None and dmarc.status == "pass"
    assert dmarc.message == "policy quarantine (from parent.example)"  # sp= applies
    assert found["ptr"] == "fail"  # no PTR at all


def test_dmarc_p_none_is_a_warning_not_a_failure(nameserver: LoopbackDNS) -> None:
    report = audit_domain("toomany.example", timeout=2)
    assert report.get("dmarc").status == "warn"  # type: ignore[union-attr]
    assert not report.failed("dmarc")


def test_unknown_domain_and_bad_input(nameserver: LoopbackDNS) -> None:
    report = audit_domain("nowhere.example", timeout=2)
    assert statuses(report)["mx"] == "fail" and report.failed()
    with pytest.raises(UsageError, match="not an IP address"):
        audit_domain("good.example", ip="192.0.2.300")
    with pytest.raises(UsageError, match="not a domain name"):
        audit_domain("not a domain")
    with pytest.raises(UsageError, match="not a DKIM selector"):
        audit_domain("good.example", selectors=["bad selector"])


def test_timeouts_are_unverified_never_fail(nameserver: LoopbackDNS) -> None:
    report = audit_domain("slow.example", timeout=0.3)
    found = statuses(report)
    assert found["mx"] == found["spf"] == found["bulk-sender"] == "unverified"
    assert "could not check" in report.get("spf").message  # type: ignore[union-attr]
    assert not report.failed("spf") and not report.failed("mx")


def test_a_domain_whose_names_get_no_answer_is_unverified_in_few_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from preflight.dns.dkim import COMMON_SELECTORS

    names = ["quiet.example", "_dmarc.quiet.example",
             *(f"{s}._domainkey.quiet.example" for s in COMMON_SELECTORS)]
    with LoopbackDNS({}, drop=names) as server:
        monkeypatch.setenv("PREFLIGHT_NAMESERVER", server.address)
        report = audit_domain("quiet.example", timeout=0.3)
    found = statuses(report)
    assert not report.failed(), found
    assert found["spf"] == found["dmarc"] == found["mx"] == "unverified"
    # The common selectors that got no answer are one line, not one each.
    dkim = [c for c in report.checks if c.name.startswith("dkim")]
    assert len(dkim) == 1 and dkim[0].status == "unverified"
    assert f"no answer for {len(COMMON_SELECTORS)} of the" in dkim[0].message


async def test_audit_inside_a_running_loop(nameserver: LoopbackDNS) -> None:
    # the send command runs in an event loop and calls the blocking API
    report = audit_domain("good.example", timeout=2)
    assert not report.failed()
    shared = Lookups(make_resolver(timeout=2))
    first = await audit_domain_async("good.example", lookups=shared)
    asked = shared.asked
    await audit_domain_async("good.example", lookups=shared)
    assert shared.asked == asked  # the second audit is answered from the cache
    assert statuses(first) == statuses(report)


def test_each_name_is_asked_once_per_audit(nameserver: LoopbackDNS) -> None:
    before = nameserver.query_count("_spf.mailhost.example", "TXT")
    audit_domain("good.example", ip=SENDER_IP, timeout=2)
    # used by the lookup count and by the IP evaluation, fetched once
    assert nameserver.query_count("_spf.mailhost.example", "TXT") == before + 1


# -- the parsers, on their own -------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "bits"),
    [(RSA_512_SPKI, 512), (RSA_1024_SPKI, 1024), (RSA_2048_SPKI, 2048), (RSA_1024_PKCS1, 1024)],
)
def test_rsa_key_bits_from_der(key: str, bits: int) -> None:
    assert dkim.rsa_key_bits(base64.b64decode(key)) == bits


@pytest.mark.parametrize(
    ("record", "error"),
    [
        ("v=DKIM1; k=rsa; p=!!notbase64", "base64"),
        ("v=DKIM1; k=rsa; p=" + RSA_2048_SPKI[:60], "cut short"),
        ("v=DKIM1; k=dsa; p=" + RSA_2048_SPKI, "unknown key type"),
        ("v=DKIM1; k=ed25519; p=" + RSA_2048_SPKI, "32 bytes"),
        ("v=DKIM1; k=rsa", "no p="),
        ("v=DKIM2; p=" + RSA_2048_SPKI, "not DKIM1"),
    ],
)
def test_broken_dkim_records(record: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        dkim.read_key("s1", record)


@pytest.mark.parametrize(
    "record",
    [
        "v=spf1 ip4:192.0.2.0/33 -all",
        "v=spf1 ip4:2001:db8::1 -all",
        "v=spf1 include -all",
        "v=spf1 foo:bar -all",
        "v=spf1 redirect=a.example redirect=b.example",
        "v=spf1 a:nodots -all",
        "v=spf1 all:x",
    ],
)
def test_spf_syntax_errors(record: str) -> None:
    with pytest.raises(spf.SpfSyntaxError):
        spf.parse_spf(record)


def test_spf_parse_terms() -> None:
    record = spf.parse_spf("v=spf1 a/24//64 mx:mail.example ip6:2001:db8::/32 ~all exp=x.example")
    assert [(t.qualifier, t.name, t.value, t.cidr4, t.cidr6) for t in record.terms] == [
        ("+", "a", None, 24, 64),
        ("+", "mx", "mail.example", None, None),
        ("+", "ip6", "2001:db8::", 32, None),
        ("~", "all", None, None, None),
    ]


def test_blocklist_query_names() -> None:
    zen, spamcop = IP_LISTS[0], IP_LISTS[1]
    assert query_name(zen, "192.0.2.10") == "10.2.0.192.zen.spamhaus.org"
    assert query_name(zen, "2001:db8::1").endswith(".8.b.d.0.1.0.0.2.zen.spamhaus.org")
    assert query_name(spamcop, "2001:db8::1") is None  # IPv4-only list


def test_sync_api_does_not_leak_a_loop(nameserver: LoopbackDNS) -> None:
    audit_domain("good.example", timeout=2)
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()
