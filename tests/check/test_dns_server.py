"""The loopback DNS server that the DNS tests rely on answers like a real one."""

from __future__ import annotations

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest
from support.dns_server import LoopbackDNS

from check.keys import RSA_2048_SPKI

ZONES = {
    "example.example": {"MX": "10 mx.example.example.", "TXT": ["a", "b" * 300]},
    "mx.example.example": {"A": "192.0.2.1"},
    "alias.example.example": {"CNAME": "mx.example.example."},
    "deep.sub.example.example": {"A": "192.0.2.2"},
    "*.wild.example": {"A": "127.0.0.2"},
    "key._domainkey.example.example": {"TXT": f"v=DKIM1; k=rsa; p={RSA_2048_SPKI}" * 3},
}


def ask(server: LoopbackDNS, name: str, rdtype: str, *, tcp: bool = False) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype)
    send = dns.query.tcp if tcp else dns.query.udp
    return send(query, server.host, port=server.port, timeout=2)


def test_answers_nxdomain_nodata_and_records() -> None:
    with LoopbackDNS(ZONES) as server:
        mx = ask(server, "example.example", "MX")
        assert mx.rcode() == dns.rcode.NOERROR
        assert [r.to_text() for r in mx.answer[0]] == ["10 mx.example.example."]
        nodata = ask(server, "mx.example.example", "MX")
        assert nodata.rcode() == dns.rcode.NOERROR and not nodata.answer
        empty_parent = ask(server, "sub.example.example", "A")  # exists only as a parent
        assert empty_parent.rcode() == dns.rcode.NOERROR and not empty_parent.answer
        missing = ask(server, "nope.example.example", "A")
        assert missing.rcode() == dns.rcode.NXDOMAIN
        assert server.query_count("example.example", "MX") == 1


def test_long_txt_is_split_into_strings() -> None:
    with LoopbackDNS(ZONES) as server:
        answer = ask(server, "example.example", "TXT", tcp=True)
        strings = sorted(r.strings for r in answer.answer[0])
        assert strings == [(b"a",), (b"b" * 255, b"b" * 45)]


def test_cname_is_followed_and_wildcards_match() -> None:
    with LoopbackDNS(ZONES) as server:
        alias = ask(server, "alias.example.example", "A")
        assert [rrset.rdtype for rrset in alias.answer] == [
            dns.rdatatype.CNAME,
            dns.rdatatype.A,
        ]
        wild = ask(server, "4.3.2.1.wild.example", "A")
        assert wild.answer[0][0].to_text() == "127.0.0.2"
        assert wild.answer[0].name.to_text() == "4.3.2.1.wild.example."


def test_big_answers_are_truncated_over_udp_and_whole_over_tcp() -> None:
    with LoopbackDNS(ZONES) as server:
        plain = dns.message.make_query("key._domainkey.example.example", "TXT", use_edns=False)
        truncated = dns.query.udp(plain, server.host, port=server.port, timeout=2)
        assert truncated.flags & dns.flags.TC
        whole = ask(server, "key._domainkey.example.example", "TXT", tcp=True)
        assert b"".join(whole.answer[0][0].strings).startswith(b"v=DKIM1")


def test_drop_and_servfail() -> None:
    with LoopbackDNS(ZONES, drop=["slow.example"], servfail=["broken.example"]) as server:
        assert ask(server, "broken.example", "A").rcode() == dns.rcode.SERVFAIL
        with pytest.raises(dns.exception.Timeout):
            dns.query.udp(
                dns.message.make_query("slow.example", "A"),
                server.host,
                port=server.port,
                timeout=0.2,
            )
