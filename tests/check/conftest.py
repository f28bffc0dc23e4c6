"""Fixtures of the check tests: a loopback DNS server loaded with the fixture zones."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.dns_server import LoopbackDNS

from check.zones import DROP, ZONES


@pytest.fixture(scope="module")
def dns_server() -> Iterator[LoopbackDNS]:
    with LoopbackDNS(ZONES, drop=DROP) as server:
        yield server


@pytest.fixture
def nameserver(dns_server: LoopbackDNS, monkeypatch: pytest.MonkeyPatch) -> LoopbackDNS:
    """Point every lookup of the test at the loopback server."""
    monkeypatch.setenv("PREFLIGHT_NAMESERVER", dns_server.address)
    return dns_server
