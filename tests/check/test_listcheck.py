"""Whole-list checks: order, unreadable rows, and the --dns mail-host checks on loopback."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from support.dns_server import LoopbackDNS

from preflight.addresses import AddressChecker
from preflight.dns.mailhost import MailHostChecker, find_mail_host
from preflight.dns.resolver import Lookups, make_resolver
from preflight.listcheck import CheckedRow, ListSummary, check_rows, check_rows_dns
from preflight.recipients import read_recipients

LIST = """\
name,email
Ann,ann@acme-tools.example
Bob,bob@nullmx.example
Eve,eve@webonly.example
Fay,fay@nomail.example
Gus,gus@slow.example
Max,max@gone.example
Cat,cat@acme-tools.example
Dup,ANN@acme-tools.example
Broken
Zed,zed@gamil.com
"""


def write_list(tmp_path: Path, text: str = LIST) -> Path:
    path = tmp_path / "list.csv"
    path.write_text(text, encoding="utf-8")
    return path


async def run_dns(path: Path, timeout: float = 1.0, window: int = 2000) -> list[CheckedRow]:
    mailhosts = MailHostChecker(Lookups(make_resolver(timeout=timeout)))
    with read_recipients(path, on_error="collect") as reader:
        return [c async for c in check_rows_dns(reader, AddressChecker(), mailhosts, window=window)]


@pytest.mark.parametrize("window", [2000, 1])
async def test_dns_reasons_per_row_in_file_order(
    nameserver: LoopbackDNS, tmp_path: Path, window: int
) -> None:
    rows = await run_dns(write_list(tmp_path), window=window)
    assert [(c.line, c.verdict.verdict, c.verdict.codes) for c in rows] == [
        (2, "ok", []),
        (3, "reject", ["null-mx"]),
        (4, "warn", ["no-mx"]),
        (5, "reject", ["no-mail-host"]),
        (6, "warn", ["dns-unverified"]),  # the server never answers: a timeout, not a reject
        (7, "reject", ["no-domain"]),
        (8, "ok", []),
        (9, "reject", ["duplicate"]),
        (10, "reject", ["unreadable-row"]),
        (11, "reject", ["domain-typo"]),  # rejected offline: not looked up
    ]


async def test_each_domain_is_looked_up_once(nameserver: LoopbackDNS, tmp_path: Path) -> None:
    before = nameserver.query_count("acme-tools.example", "MX")
    rows = "".join(f"P{i},p{i}@acme-tools.example\n" for i in range(300))
    await run_dns(write_list(tmp_path, "name,email\n" + rows))
    assert nameserver.query_count("acme-tools.example", "MX") == before + 1
    assert nameserver.query_count("gamil.com") == 0


async def test_find_mail_host(nameserver: LoopbackDNS) -> None:
    lookups = Lookups(make_resolver(timeout=1))
    good = await find_mail_host(lookups, "good.example")
    assert (good.status, good.hosts) == ("mx", ("mx1.good.example", "mx2.good.example"))
    fallback = await find_mail_host(lookups, "webonly.example")
    assert (fallback.status, fallback.hosts) == ("fallback", ("192.0.2.31",))
    assert (await find_mail_host(lookups, "nullmx.example")).status == "null-mx"
    assert (await find_mail_host(lookups, "gone.example")).status == "nxdomain"


def test_offline_rows_and_summary(tmp_path: Path) -> None:
    summary = ListSummary()
    with read_recipients(write_list(tmp_path), on_error="collect") as reader:
        for checked in check_rows(reader, AddressChecker()):
            summary.add(checked)
    assert summary.rows == 10
    assert dict(summary.verdicts) == {"ok": 7, "reject": 3}
    assert summary.as_dict()["reasons"] == {"duplicate": 1, "unreadable-row": 1, "domain-typo": 1}


async def test_lookups_run_concurrently_within_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    zones = {f"d{i}.example": {"MX": "10 mx.shared.example."} for i in range(40)}
    with LoopbackDNS(zones, delay=0.05) as server:
        monkeypatch.setenv("PREFLIGHT_NAMESERVER", server.address)
        checker = MailHostChecker(Lookups(make_resolver(timeout=5), concurrency=8))
        hosts = await asyncio.gather(*(checker.check(name) for name in zones))
    assert {host.status for host in hosts} == {"mx"}
    # With answers held back, several questions were waiting at once, never more than 8.
    assert 2 <= server.most_held <= 8
