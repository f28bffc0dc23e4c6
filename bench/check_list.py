"""`preflight check` on a generated 100,000-row list, offline and with --dns, beside peers.

Offline: the real CLI in a child process (start-up included) checks every row; the peer,
in the same run, is the least any checker does — ``email_validator.validate_email`` on each
address in a loop, in-process. Targets: under 10 s for 100,000 rows; peak memory flat as the
list grows (measured at two sizes).

--dns: the same CLI with ``PREFLIGHT_NAMESERVER`` pointing at the loopback DNS server from
tests/support, which serves every generated domain (MX, null MX, A-only, missing). The peer is
a plain loop of blocking ``dns.resolver`` MX queries against the same server. Target: at
least 500 distinct domains a second. Nothing leaves 127.0.0.1.

    .venv/bin/python bench/check_list.py [--rows 100000] [--domains 20000]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.dns_server import LoopbackDNS  # noqa: E402

PREFLIGHT = [sys.executable, "-m", "preflight"]
FIRST = ["anna", "li", "wei", "carlos", "fatima", "yuki", "olga", "ahmed", "maria", "jonas"]
LAST = ["schmidt", "zhang", "wang", "garcia", "khan", "sato", "ivanova", "hassan", "rossi"]
FREE = ["qq.com", "163.com", "gmail.com", "126.com", "outlook.com", "yahoo.com"]


def domains(count: int) -> list[str]:
    return [f"company{i}.example" for i in range(count)]


def zones_for(names: list[str]) -> dict[str, dict[str, str]]:
    """Most domains have MX; every 10th is A-only, every 25th null MX, every 50th missing."""
    zones: dict[str, dict[str, str]] = {"mx.shared.example": {"A": "192.0.2.25"}}
    for i, name in enumerate(names):
        if i % 50 == 0:
            continue  # NXDOMAIN
        if i % 25 == 0:
            zones[name] = {"MX": "0 ."}
        elif i % 10 == 0:
            zones[name] = {"A": "192.0.2.80"}
        else:
            zones[name] = {"MX": "10 mx.shared.example."}
    return zones


def write_list(path: Path, rows: int, names: list[str], seed: int = 7) -> None:
    """Realistic mix: company and free-mail addresses, with typos, roles, junk, duplicates."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["first_name", "email", "company", "country"])
        for i in range(rows):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            roll = rng.random()
            domain = rng.choice(names)
            if roll < 0.70:
                email = f"{first}.{last}{i}@{domain}"
            elif roll < 0.80:
                email = f"{first}{i}@{rng.choice(FREE)}"
            elif roll < 0.83:
                email = f"{first}{i}@gamil.com"
            elif roll < 0.86:
                email = f"info@{domain}"
            elif roll < 0.88:
                email = f" {first}.{last}{i}@{domain} "
            elif roll < 0.90:
                email = f"{first}{i}@{domain.replace('.', ',')}"
            elif roll < 0.92:
                email = f"{first}.{last}{i}.{domain}"
            elif roll < 0.95:
                email = f"{first}.{last}{max(i - 1, 0)}@{domain}".upper()
            else:
                email = f"x{i}@mailinator.com"
            writer.writerow([first.title(), email, f"{last.title()} Trading", "CN"])


def run_cli(args: list[str], env: dict[str, str]) -> tuple[float, int, int]:
    """Wall seconds, peak RSS in MiB and exit code of one child ``preflight`` run."""
    start = time.perf_counter()
    child = subprocess.Popen(
        [*PREFLIGHT, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in (0, 1):
        raise SystemExit(f"preflight failed: {child.stderr.read().decode()}")  # type: ignore[union-attr]
    return elapsed, usage.ru_maxrss // 1024, child.returncode


def peer_validator(path: Path) -> float:
    from email_validator import EmailNotValidError, validate_email

    start = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as source:
        for row in csv.DictReader(source):
            try:
                validate_email(row["email"], check_deliverability=False)
            except EmailNotValidError:
                pass
    return time.perf_counter() - start


PEER_DNS = """
import sys, time, dns.resolver
host, port, names = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(",")
resolver = dns.resolver.Resolver(configure=False)
resolver.nameservers, resolver.port, resolver.lifetime = [host], port, 3
start = time.perf_counter()
for name in names:
    try:
        resolver.resolve(name, "MX")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        pass
print(time.perf_counter() - start)
"""

LIBRARY_DNS = """
import asyncio, sys, time
from preflight.dns.mailhost import MailHostChecker
from preflight.dns.resolver import Lookups, make_resolver
names = sys.argv[1].split(",")
async def run():
    checker = MailHostChecker(Lookups(make_resolver(timeout=3)))
    start = time.perf_counter()
    await asyncio.gather(*(checker.check(name) for name in names))
    return time.perf_counter() - start
print(asyncio.run(run()))
"""


def timed_child(code: str, args: list[str], env: dict[str, str]) -> float:
    """Seconds a child Python reports for its own timed section."""
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=True
    )
    return float(done.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--domains", type=int, default=20_000)
    options = parser.parse_args()
    names = domains(options.domains)
    env = {k: v for k, v in os.environ.items() if k != "PREFLIGHT_NAMESERVER"}
    with tempfile.TemporaryDirectory() as tmp:
        env["PREFLIGHT_LEDGER"] = str(Path(tmp) / "no-ledger.sqlite3")  # never the user's
        small, big = Path(tmp) / "small.csv", Path(tmp) / "big.csv"
        write_list(small, options.rows // 10, names)
        write_list(big, options.rows, names)
        out = str(Path(tmp) / "clean.csv")

        print(f"offline, {options.rows:,} rows (CLI in a child process, start-up included)")
        small_s, small_mb, _ = run_cli(["check", str(small), "--out", out], env)
        big_s, big_mb, _ = run_cli(["check", str(big), "--out", out, "--fix"], env)
        peer_s = peer_validator(big)
        print(f"  preflight check --out --fix  {big_s:6.2f} s  {options.rows / big_s:9,.0f} rows/s")
        print(
            f"  peer: validate_email loop    {peer_s:6.2f} s  {options.rows / peer_s:9,.0f} rows/s"
        )
        print(f"  ratio preflight / peer       {big_s / peer_s:6.2f}x  (target: under 10 s)")
        print(
            f"  peak RSS: {small_mb} MiB at {options.rows // 10:,} rows,"
            f" {big_mb} MiB at {options.rows:,} rows"
        )

        with LoopbackDNS(zones_for(names)) as server:
            env["PREFLIGHT_NAMESERVER"] = server.address
            dns_s, dns_mb, _ = run_cli(
                ["check", str(big), "--dns", "--timeout", "3", "--out", out], env
            )
            asked = {name for name, kind in server.queries if kind == "MX"}
            # Same fresh server state for both: the server caches nothing.
            sample = ",".join(names[: min(len(names), 5000)])
            count = sample.count(",") + 1
            library_s = timed_child(LIBRARY_DNS, [sample], env)
            peer_s = timed_child(PEER_DNS, [server.host, str(server.port), sample], env)
        print(f"--dns, {options.rows:,} rows, {len(asked):,} distinct domains on loopback")
        print(
            f"  preflight check --dns        {dns_s:6.2f} s  {len(asked) / dns_s:9,.0f}"
            " domains/s (whole CLI run, offline checks included; target: 500)"
        )
        print(f"  peak RSS: {dns_mb} MiB")
        print(f"DNS phase alone, {count:,} domains (each in a child process, same server)")
        print(
            f"  preflight MailHostChecker    {library_s:6.2f} s  {count / library_s:9,.0f} domains/s"
        )
        print(f"  peer: blocking dnspython MX  {peer_s:6.2f} s  {count / peer_s:9,.0f} domains/s")
        print(f"  ratio preflight / peer       {peer_s / library_s:6.2f}x (rate)")


if __name__ == "__main__":
    main()
