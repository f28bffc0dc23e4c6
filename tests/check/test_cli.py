"""`preflight check` and `preflight check-domain` end to end, through the real CLI."""

from __future__ import annotations

import csv
import itertools
import json
import random
import socket
from collections import Counter
from pathlib import Path

import pytest
from support.dns_server import LoopbackDNS
from typer.testing import CliRunner

from check.zones import SENDER_IP
from preflight.cli import app
from preflight.ledger import Ledger


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    # No test may read or create the developer's own ledger.
    monkeypatch.setenv("PREFLIGHT_LEDGER", str(tmp_path / "no-ledger" / "ledger.sqlite3"))
    return CliRunner()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


FIRST = ["anna", "li", "wei", "carlos", "fatima", "yuki", "olga", "ahmed", "maria", "jonas"]
LAST = ["schmidt", "zhang", "wang", "garcia", "khan", "sato", "ivanova", "hassan", "rossi", "berg"]
COMPANIES = ["hengtong-valves", "brandt-maschinen", "dongguan-plastics", "ferrotec-asia",
             "nordic-timber", "anatolia-textiles", "pacific-seafood", "andes-copper"]  # fmt: skip
TYPO_DOMAINS = ["gamil.com", "yaho.com", "outlok.com", "qq.con", "163.cm", "foxmial.com"]
DISPOSABLE = ["mailinator.com", "10minutemail.com", "guerrillamail.com", "yopmail.com"]
FREE = ["qq.com", "163.com", "gmail.com", "126.com", "outlook.com", "yahoo.com"]
ROLES = ["info", "sales", "admin", "noreply", "support", "export", "purchasing"]


def mixed_list(path: Path, seed: int = 5) -> Counter[str]:
    """10,000 rows with known problems; returns the expected count per reason code."""
    rng = random.Random(seed)
    rows: list[list[str]] = []
    expected: Counter[str] = Counter()
    ok_addresses = []

    serial = itertools.count()

    def person(_: int) -> str:
        # a serial number keeps every generated mailbox distinct, even after --fix
        return f"{rng.choice(FIRST)}.{rng.choice(LAST)}{next(serial)}"

    def add(email: str, code: str | None, company: str = "Acme") -> None:
        rows.append([rng.choice(FIRST).title(), email, company])
        if code:
            expected[code] += 1

    for i in range(6000):
        address = f"{person(i)}@{rng.choice(COMPANIES)}.com"
        ok_addresses.append(address)
        # spreadsheet formulas hide in real company columns
        company = rng.choice(['=HYPERLINK("http://x")', "-Acme-", "Acme Ltd"])
        add(address, "formula" if company[0] in "=-" else None, company)
    for i in range(1000):
        add(f"{person(i)}@{rng.choice(FREE)}", "free-mail")
    for i in range(500):
        add(f"{rng.choice(ROLES)}@{rng.choice(COMPANIES)}{i}.com", "role")
    for i in range(500):
        add(f"  {person(i)}@whitespace-{i}.com ", "whitespace")
    for i in range(400):
        add(f"{person(i)}@{rng.choice(TYPO_DOMAINS)}", "domain-typo")
    for i in range(300):
        add(f"x{i}{rng.randrange(10**6)}@{rng.choice(DISPOSABLE)}", "disposable")
    for i in range(300):
        add(f"{person(i)}.{rng.choice(COMPANIES)}.com", "syntax")
    for i in range(200):
        add(f"{person(i)}@{rng.choice(COMPANIES)},com", "comma-for-dot")
    for i in range(200):
        add(f"{person(i)}@a-{i}.com; {person(i)}@b-{i}.com", "two-addresses")
    for _ in range(200):
        add("", "empty")
    rng.shuffle(rows)
    # duplicates (written in upper case) go after the first half, their originals' rows
    # are kept in the first half
    first_half = {row[1] for row in rows[:5000]}
    originals = [a for a in ok_addresses if a in first_half][:300]
    for address in originals:
        rows.insert(rng.randrange(5001, len(rows)), ["Dup", address.upper(), "Acme"])
        expected["duplicate"] += 1
    broken = set(rng.sample(range(1, len(rows)), 100))
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["name", "email", "company"])
        for index, row in enumerate(rows):
            if index in broken:
                out.write("only,two\n")
                expected["unreadable-row"] += 1
            writer.writerow(row)
    expected["__rows__"] = len(rows) + expected["unreadable-row"]
    return expected


def test_ten_thousand_rows_with_mixed_errors(runner: CliRunner, tmp_path: Path) -> None:
    source = tmp_path / "leads.csv"
    expected = mixed_list(source)
    rows = expected.pop("__rows__")
    assert rows == 10_000
    result = runner.invoke(app, ["check", str(source), "--format", "jsonl"])
    assert result.exit_code == 1, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == rows
    assert [r["line"] for r in records] == list(range(2, rows + 2))
    found: Counter[str] = Counter()
    for record in records:
        for code in {reason["code"] for reason in record["reasons"]}:
            found[code] += 1
    assert found == expected
    # a formula in the company column is a warning on an otherwise good address
    formulas = expected["formula"]
    assert 1000 < formulas < 5000
    verdicts = Counter(r["verdict"] for r in records)
    assert verdicts == {"ok": 7000 - formulas, "warn": 1000 + formulas, "reject": 2000}
    assert (f"10,000 rows: {7000 - formulas:,} ok, {1000 + formulas:,} warn, 2,000 reject"
            in result.stderr)

    clean = tmp_path / "clean.csv"
    result = runner.invoke(app, ["check", str(source), "--out", str(clean), "--fix"])
    assert result.exit_code == 0, result.stderr
    with clean.open(encoding="utf-8-sig", newline="") as kept:
        table = list(csv.reader(kept))
    assert table[0] == ["name", "email", "company"]
    # kept: ok and warn rows, plus the typos and commas --fix repaired
    assert len(table) - 1 == 7000 + 1000 + 400 + 200
    emails = [row[1] for row in table[1:]]
    assert all(e == e.strip() and "," not in e and "@gamil.com" not in e for e in emails)
    companies = {row[2] for row in table[1:]}
    assert '\'=HYPERLINK("http://x")' in companies and "'-Acme-" in companies
    assert not any(c.startswith(("=", "-", "+", "@")) for c in companies)


def test_text_report_names_file_line_and_fix(runner: CliRunner, tmp_path: Path) -> None:
    source = write(tmp_path / "l.csv", "email,name\nkevin@gamil.com,K\ninfo@acme-tools.com,I\n")
    result = runner.invoke(app, ["check", str(source)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"{source}:2: reject kevin@gamil.com: domain-typo: the domain looks misspelled"
        " (gamil.com) (fix: use kevin@gmail.com)"
    )
    assert lines[1].startswith(f"{source}:3: warn info@acme-tools.com: role:")
    assert f"{source}: 2 rows: 0 ok, 1 warn, 1 reject" in lines
    assert "DNS: not checked (add --dns)" in lines


def test_clean_list_keeps_original_cells_without_fix(runner: CliRunner, tmp_path: Path) -> None:
    source = write(tmp_path / "l.csv", "email,name\n Ann@Acme-Tools.com ,Ann\nkevin@gamil.com,K\n")
    out = tmp_path / "out.csv"
    assert runner.invoke(app, ["check", str(source), "--out", str(out)]).exit_code == 0
    assert out.read_text(encoding="utf-8-sig").splitlines() == [
        "email,name",
        " Ann@Acme-Tools.com ,Ann",
    ]
    assert runner.invoke(app, ["check", str(source), "--out", str(out), "--fix"]).exit_code == 0
    assert out.read_text(encoding="utf-8-sig").splitlines() == [
        "email,name",
        "Ann@acme-tools.com,Ann",
        "kevin@gmail.com,K",
    ]


def test_csv_report_neutralizes_formulas(runner: CliRunner, tmp_path: Path) -> None:
    source = write(tmp_path / "l.csv", "email\n\"=cmd|' /C calc'!A0\"\n")
    result = runner.invoke(app, ["check", str(source), "--format", "csv"])
    table = list(csv.reader(result.stdout.splitlines()))
    assert table[0] == ["line", "email", "verdict", "address", "suggestion", "reasons", "details"]
    assert table[1][1] == "'=cmd|' /C calc'!A0" and table[1][2] == "reject"


def test_suppressed_rows_from_the_ledger(
    runner: CliRunner, tmp_path: Path, ledger_at: str
) -> None:
    ledger_path = ledger_at
    with Ledger(ledger_path) as ledger:
        ledger.suppress("buyer@dongguan-plastics.com", "userunknown", "bounce", "550 5.1.1")
    source = write(tmp_path / "l.csv", "email\nBuyer@Dongguan-Plastics.com\nok@acme-tools.com\n")
    result = runner.invoke(
        app, ["check", str(source), "--ledger", ledger_path, "--format", "jsonl"]
    )
    first = json.loads(result.stdout.splitlines()[0])
    assert first["verdict"] == "reject"
    assert first["reasons"][0]["code"] == "suppressed"
    assert "userunknown" in first["reasons"][0]["message"]
    assert f"suppression list: {ledger_path}" in result.stderr


def test_default_ledger_is_used_but_never_created(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write(tmp_path / "l.csv", "email\nbuyer@dongguan-plastics.com\n")
    default = tmp_path / "no-ledger" / "ledger.sqlite3"
    result = runner.invoke(app, ["check", str(source)])
    assert result.exit_code == 0
    assert "suppression list: not checked" in result.stdout
    assert not default.exists() and not default.parent.exists()
    with Ledger(default) as ledger:
        ledger.suppress("buyer@dongguan-plastics.com", "manual", "manual")
    result = runner.invoke(app, ["check", str(source)])
    assert result.exit_code == 1 and "suppressed" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{missing}"], "{missing}: cannot open the recipients file"),
        (["{nocolumn}"], "{nocolumn}:1: email: no 'email' column in the header"),
        (["{good}", "--ledger", "{missing}"], "--ledger: no ledger at {missing}"),
        (["{good}", "--out", "{good}"], "--out: --out must not overwrite"),
    ],
)
def test_user_errors_are_one_line(
    runner: CliRunner, tmp_path: Path, args: list[str], message: str
) -> None:
    paths = {
        "missing": str(tmp_path / "missing.csv"),
        "nocolumn": str(write(tmp_path / "n.csv", "name,mail\nA,a@b.com\n")),
        "good": str(write(tmp_path / "g.csv", "email\na@acme-tools.com\n")),
    }
    result = runner.invoke(app, ["check", *(a.format(**paths) for a in args)])
    assert result.exit_code == 2
    assert result.stderr.startswith("preflight: error: " + message.format(**paths))
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_check_with_dns(runner: CliRunner, tmp_path: Path, nameserver: LoopbackDNS) -> None:
    source = write(
        tmp_path / "l.csv",
        "email\nann@acme-tools.example\nbob@nullmx.example\neve@webonly.example\n",
    )
    result = runner.invoke(app, ["check", str(source), "--dns", "--format", "jsonl"])
    codes = [
        [r["code"] for r in json.loads(line)["reasons"]] for line in result.stdout.splitlines()
    ]
    assert codes == [[], ["null-mx"], ["no-mx"]]
    assert "DNS: 3 domains checked" in result.stderr
    assert result.exit_code == 1


def test_check_domain_text_and_exit_codes(runner: CliRunner, nameserver: LoopbackDNS) -> None:
    good = runner.invoke(
        app, ["check-domain", "good.example", "-s", "s2048", "--ip", SENDER_IP, "--timeout", "2"]
    )
    assert good.exit_code == 0, good.stdout
    assert good.stdout.splitlines()[0] == f"good.example from {SENDER_IP}"
    assert "  PASS  spf-ip" in good.stdout
    assert good.stdout.splitlines()[-1] == "0 failed, 1 warning, 14 passed"
    bad = runner.invoke(app, ["check-domain", "bare.example", "--timeout", "2"])
    assert bad.exit_code == 1
    assert "  FAIL  dmarc" in bad.stdout
    assert 'fix: publish a TXT record at _dmarc.bare.example: "v=DMARC1; p=none;' in bad.stdout


def test_check_domain_json(runner: CliRunner, nameserver: LoopbackDNS) -> None:
    result = runner.invoke(app, ["check-domain", "toomany.example", "--format", "json"])
    report = json.loads(result.stdout)
    assert result.exit_code == 1 and report["failed"] is True
    by_name = {check["name"]: check for check in report["checks"]}
    assert by_name["spf-lookups"]["status"] == "fail"
    assert set(by_name["spf"]) == {"name", "status", "record", "message", "fix"}


def test_check_domain_bad_input_is_one_line(runner: CliRunner) -> None:
    result = runner.invoke(app, ["check-domain", "good.example", "--ip", "300.1.1.1"])
    assert result.exit_code == 2
    assert result.stderr == "preflight: error: --ip: not an IP address: '300.1.1.1'\n"


def test_help_lists_both_commands(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--help"])
    assert "check-domain" in result.stdout and "check " in result.stdout


def _silent_dns() -> socket.socket:
    """A UDP port that receives DNS questions and never answers (a dead server)."""
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    return silent


def test_check_domain_with_dns_unreachable_is_one_line_exit_2(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch,
) -> None:
    with _silent_dns() as silent:
        address = f"127.0.0.1:{silent.getsockname()[1]}"
        monkeypatch.setenv("PREFLIGHT_NAMESERVER", address)
        result = runner.invoke(app, ["check-domain", "good.example", "--timeout", "0.3"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert f"the DNS server {address} did not answer" in result.stderr
    assert "--offline" in result.stderr


def test_check_domain_without_answers_for_one_domain_says_unverified(
    runner: CliRunner, nameserver: LoopbackDNS,
) -> None:
    result = runner.invoke(app, ["check-domain", "slow.example", "--timeout", "0.3"])
    lines = result.stdout.splitlines()
    assert any(line.startswith("  UNVERIFIED  spf ") for line in lines), result.stdout
    assert not any(line.startswith("  FAIL") and " spf" in line for line in lines)
    assert " unverified (no answer)" in lines[-1]
