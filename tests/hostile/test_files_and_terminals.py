"""Files, terminals, CSV and the ledger under a careless operator or a hostile list.

Private files (0600 in 0700 folders), control characters shown instead of executed, rich
markup in paths printed as text, a damaged ledger refused, SQLite failures mid-send as one
line, long addresses in dry-run file names, spreadsheet formulas behind invisible characters,
and a recipients line too long to hold.
"""

from __future__ import annotations

import csv
import sqlite3
import stat
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
from send.conftest import campaign_dir
from send.helpers import START, mailbox_toml, sample_rows
from typer.testing import CliRunner

from preflight.campaign import CampaignRun, RunStats
from preflight.campaign_config import load_campaign
from preflight.cli import app
from preflight.clock import LoopClock
from preflight.errors import LedgerError, RecipientsError
from preflight.ledger import Ledger
from preflight.prepare import prepare_campaign
from preflight.recipients import MAX_LINE_CHARS, read_recipients, safe_csv_cell
from preflight.sink import Sink
from preflight.templates import load_template

BOX = "li.wei@brightline.example"
__all__ = ["campaign_dir"]  # the fixture, shared with the send tests
runner = CliRunner()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_ledger_and_dry_run_files_are_private(
    campaign_dir: Callable[..., Path], tmp_path: Path
) -> None:
    ledger_path = tmp_path / "data" / "preflight" / "ledger.sqlite3"
    with Ledger(ledger_path) as ledger:
        ledger.suppress("a@b.example", "manual", "manual")
    assert _mode(ledger_path.parent) == 0o700 and _mode(ledger_path) == 0o600
    for side in ledger_path.parent.glob("ledger.sqlite3-*"):
        assert _mode(side) == 0o600, side
    # An old ledger readable by everyone is tightened when opened.
    ledger_path.chmod(0o644)
    Ledger(ledger_path).close()
    assert _mode(ledger_path) == 0o600
    long_local = "a" * 64
    long_domain = ".".join(["b" * 60, "c" * 60, "d" * 59]) + ".example"
    address = f"{long_local}@{long_domain}"
    assert len(address) == 254
    rows = [*sample_rows(2), [address, "Long", "Long Ltd"]]
    path = campaign_dir(rows, [mailbox_toml(BOX, 2525)])
    out = tmp_path / "dry" / "run"
    result = runner.invoke(
        app, ["send", str(path), "--ledger", str(ledger_path), "--dry-run", str(out)]
    )
    assert result.exit_code == 0, result.output
    files = sorted(out.glob("*.eml"))
    assert len(files) == 3 and all(_mode(f) == 0o600 for f in files)
    assert _mode(out) == 0o700
    assert max(len(f.name.encode()) for f in files) < 100


def test_a_damaged_ledger_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    with Ledger(path) as ledger:
        for index in range(3000):
            ledger.suppress(f"person{index}@buyer.example", "manual", "manual", "x" * 50)
        ledger.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    # Garbage over the middle of the file: the schema still reads, the tables do not add up.
    data = bytearray(path.read_bytes())
    page = 4096
    middle = (len(data) // page // 2) * page
    data[middle + 8 : middle + page - 8] = bytes(range(256)) * ((page - 16) // 256) + bytes(
        (page - 16) % 256
    )
    path.write_bytes(bytes(data))
    with pytest.raises(LedgerError) as refused:
        Ledger(path)
    line = str(refused.value)
    assert "\n" not in line and str(path) in line
    assert "integrity" in line or "malformed" in line


def _run_with(campaign: Path, ledger: Ledger, on_progress: Callable[[RunStats], None]) -> RunStats:
    import asyncio

    async def go() -> RunStats:
        config = load_campaign(campaign)
        template = load_template(config.template)
        clock = LoopClock(START)
        campaign_id, _ = prepare_campaign(config, ledger, template, now=clock.now())
        run = CampaignRun(
            config, ledger, template, clock, campaign=campaign_id, on_progress=on_progress
        )
        return await run.run()

    return asyncio.run(go())


@pytest.mark.parametrize("trouble", ["full", "locked"])
def test_a_full_disk_or_a_locked_ledger_mid_send_is_one_line(
    campaign_dir: Callable[..., Path], tmp_path: Path, trouble: str
) -> None:
    with Sink().in_thread() as sink:
        path = campaign_dir(
            sample_rows(60), [mailbox_toml(BOX, sink.port)], head="domain_cap = false\n"
        )
        ledger = Ledger(tmp_path / "l.db", busy_seconds=0.2)
        blocker: list[sqlite3.Connection] = []

        def meddle(stats: RunStats) -> None:
            if stats.sent != 3 or blocker:
                return
            if trouble == "full":
                # SQLite's own SQLITE_FULL, as on a full disk: no page may be added.
                pages = ledger.db.execute("PRAGMA page_count").fetchone()[0]
                ledger.db.execute(f"PRAGMA max_page_count = {pages}")
                blocker.append(ledger.db)
            else:
                other = sqlite3.connect(tmp_path / "l.db", isolation_level=None)
                other.execute("BEGIN EXCLUSIVE")
                blocker.append(other)

        with pytest.raises(LedgerError) as stopped:
            _run_with(path, ledger, meddle)
        line = str(stopped.value)
        assert "\n" not in line
        assert ("full" in line) if trouble == "full" else ("locked" in line)
        sent = len(sink.received)
    if trouble == "locked":
        blocker[0].rollback()
        blocker[0].close()
    ledger.db.close()
    assert 3 <= sent < 60
    db = sqlite3.connect(tmp_path / "l.db")
    states = dict(db.execute("SELECT state, COUNT(*) FROM messages GROUP BY state").fetchall())
    db.close()
    # Nothing was sent that the ledger does not know about.
    assert states.get("sent", 0) + states.get("sending", 0) >= sent


def test_control_characters_in_user_data_are_shown_not_executed(tmp_path: Path) -> None:
    source = tmp_path / "list.csv"
    Ledger(tmp_path / "l.db").close()
    with source.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["email", "name"])
        writer.writerow(["\x1b]0;pwned\x07anna@nordlicht.example", "Anna"])
        writer.writerow(["bob\x9b31m@nordlicht.example", "Bob"])
    result = runner.invoke(app, ["check", str(source), "--ledger", str(tmp_path / "l.db")])
    shown = result.stdout + result.stderr
    assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown
    assert "\\x1b]0;pwned\\x07" in shown


def test_rich_markup_in_a_path_is_printed_as_text(tmp_path: Path) -> None:
    folder = tmp_path / "in[" / "x]box [bold]"
    folder.mkdir(parents=True)
    (folder / "b.eml").write_bytes(
        b"From: MAILER-DAEMON@mx.example\r\nTo: li@brightline.example\r\n"
        b"Subject: Undelivered Mail\r\n\r\n<anna@nordlicht.example>: 550 5.1.1 unknown\r\n"
    )
    result = runner.invoke(app, ["bounces", "classify", str(folder / "b.eml")])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output and "MarkupError" not in result.output
    assert "in[/x]box [bold]/b.eml" in result.stdout


# Each leading character the issue lists, in front of each formula start.
INVISIBLE = ["\n", " ", "\u00a0", "\u200b", "\ufeff", "\x0b", "\x0c", "\u2028", "\u0085"]


@pytest.mark.parametrize("lead", [*INVISIBLE, "\u00a0\u200b \ufeff"])
@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_the_formula_guard_looks_past_invisible_characters(lead: str, start: str) -> None:
    cell = f'{lead}{start}HYPERLINK("https://evil.example")'
    assert safe_csv_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["\uff1d1+1", "\uff0bcmd", "\u00a0\uff20SUM(1)"])
def test_the_formula_guard_folds_full_width_forms(cell: str) -> None:
    assert safe_csv_cell(cell) == "'" + cell
    assert safe_csv_cell("Anna \uff1d Berg") == "Anna \uff1d Berg"  # only the first counts


def test_check_out_neutralizes_formulas_behind_invisible_characters(tmp_path: Path) -> None:
    source = tmp_path / "list.csv"
    cells = [f"{lead}=1+1" for lead in INVISIBLE] + ["\uff1d1+1"]
    Ledger(tmp_path / "l.db").close()
    with source.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["email", "company"])
        for index, cell in enumerate(cells):
            writer.writerow([f"buyer{index}@nordlicht.example", cell])
    clean = tmp_path / "clean.csv"
    result = runner.invoke(
        app, ["check", str(source), "--ledger", str(tmp_path / "l.db"), "--out", str(clean)]
    )
    assert result.exit_code == 0, result.output
    with clean.open(encoding="utf-8-sig", newline="") as handle:
        written = [row[1] for row in list(csv.reader(handle))[1:]]
    assert written == ["'" + cell for cell in cells]


def test_a_huge_line_is_refused_without_holding_it(tmp_path: Path) -> None:
    source = tmp_path / "huge.csv"
    size = 40 * MAX_LINE_CHARS
    with source.open("w", encoding="utf-8") as out:
        out.write("email,name\nanna@nordlicht.example,Anna\n")
        chunk = "x" * 1_000_000
        for _ in range(size // len(chunk)):
            out.write(chunk)
        out.write("\n")
    tracemalloc.start()
    try:
        with pytest.raises(RecipientsError) as refused, read_recipients(source) as reader:
            for _ in reader:
                pass
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    line = str(refused.value)
    assert "longer than" in line and f"{source}:3" in line and "\n" not in line
    # A 40-million-character line, read in pieces of at most one cap (1M characters).
    assert peak < 12 * MAX_LINE_CHARS, f"peak {peak:,} bytes"
