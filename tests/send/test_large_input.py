"""Large lists: ``--limit`` stops validation early, and duplicates survive the memory spill.

Memory itself is measured in ``bench/large_input.py`` (a million rows); these tests pin the
behaviour that makes it flat: how many rows are read, what is stored, what is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from preflight.addresses import AddressChecker
from preflight.campaign_config import load_campaign
from preflight.cli import app
from preflight.ledger import Ledger
from preflight.ledger.messages import AttemptResult, iso
from preflight.prepare import prepare_campaign, validate_rows, write_dry_run
from preflight.sink import Sink
from preflight.templates import load_template
from send.helpers import mailbox_toml, sample_rows

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
BOX = "li.wei@brightline.example"
runner = CliRunner()


def _rows_with_early_problems(count: int) -> list[list[str]]:
    rows = sample_rows(count)
    rows[1][0] = "not-an-address"  # line 3
    rows[3] = list(rows[0])  # line 5: a duplicate of line 2
    return rows


def test_dry_run_limit_stops_validation_after_n_sendable(
    campaign_dir: Callable[..., Path], tmp_path: Path, ledger_at: str
) -> None:
    path = campaign_dir(_rows_with_early_problems(500), [mailbox_toml(BOX, 25)])
    config = load_campaign(path)
    template = load_template(config.template)
    with Ledger(ledger_at) as ledger:
        summary, written = write_dry_run(
            config, ledger, template, tmp_path / "out", now=NOW, limit=3
        )
    assert written == 3
    # Rows 1..5 hold three sendable messages, one bad address and one duplicate.
    assert (summary.rows, summary.queued, summary.skipped_address, summary.duplicates) == (
        5,
        3,
        1,
        1,
    )
    assert summary.stopped_at_limit
    names = sorted(p.name for p in (tmp_path / "out").glob("*.eml"))
    assert names == [
        "000001-person0@buyer0.example.eml",
        "000003-person2@buyer2.example.eml",
        "000005-person4@buyer4.example.eml",
    ]


def test_dry_run_without_limit_reads_everything(
    campaign_dir: Callable[..., Path], tmp_path: Path, ledger_at: str
) -> None:
    path = campaign_dir(_rows_with_early_problems(30), [mailbox_toml(BOX, 25)])
    config = load_campaign(path)
    with Ledger(ledger_at) as ledger:
        summary, written = write_dry_run(
            config, ledger, load_template(config.template), tmp_path / "out", now=NOW
        )
    assert (summary.rows, written, summary.stopped_at_limit) == (30, 28, False)


def test_pooled_dry_run_stops_at_the_same_row_as_in_process(
    campaign_dir: Callable[..., Path], tmp_path: Path
) -> None:
    """The pool reads ahead; stopping must still count and write exactly the same rows."""
    rows = _rows_with_early_problems(1_200)
    rows[240][0] = "also bad"
    path = campaign_dir(rows, [mailbox_toml(BOX, 25)])
    config = load_campaign(path)
    template = load_template(config.template)
    results = []
    for workers in (1, 2):
        out = tmp_path / f"out-{workers}"
        with Ledger(tmp_path / "l.db") as ledger:
            summary, written = write_dry_run(
                config, ledger, template, out, now=NOW, limit=250, workers=workers
            )
        results.append((summary.rows, summary.queued, summary.skipped, summary.duplicates, written))
        assert sorted(p.name for p in out.glob("*.eml"))[-1].startswith("000253-")
    assert results[0] == results[1] == (253, 250, 2, 1, 250)


def test_prepare_with_limit_stores_only_rows_read_and_skips_sent_ones(
    campaign_dir: Callable[..., Path], tmp_path: Path, ledger_at: str
) -> None:
    path = campaign_dir(_rows_with_early_problems(200), [mailbox_toml(BOX, 25)])
    config = load_campaign(path)
    template = load_template(config.template)
    with Ledger(ledger_at) as ledger:
        campaign, summary = prepare_campaign(config, ledger, template, now=NOW, limit=4)
        assert summary.stopped_at_limit and summary.rows == 6 and summary.queued == 4
        stored = dict(
            ledger.db.execute(
                "SELECT recipient, state FROM messages WHERE campaign_id = ?", (campaign,)
            )
        )
        # The duplicate is not stored; the bad address is stored as skipped.
        assert sorted(stored.values()) == ["queued"] * 4 + ["skipped"]
        # Send the four: the next run must find four new ones, not stop at the same rows.
        for pending in ledger.pending_messages(campaign):
            attempt = ledger.mark_sending(
                pending.row_id, BOX, "buyer.example", f"<{pending.seq}@x>", iso(NOW)
            )
            ledger.record_result(
                pending.row_id,
                attempt,
                AttemptResult(state="sent", code=250),
                mailbox=BOX,
                domain="buyer.example",
                message_id=f"<{pending.seq}@x>",
                started_at=iso(NOW),
                now=iso(NOW),
            )
        _, again = prepare_campaign(config, ledger, template, now=NOW, limit=4)
        assert again.rows == 10 and again.queued == 8  # four already sent, four new
        fresh = [p.recipient for p in ledger.pending_messages(campaign)]
    assert fresh == [f"person{i}@buyer{i % 7}.example" for i in (6, 7, 8, 9)]


def test_validate_rows_same_verdicts_with_a_spilled_duplicate_memory(
    campaign_dir: Callable[..., Path],
) -> None:
    rows = sample_rows(40)
    for i in range(20, 40):
        rows[i] = list(rows[i - 20])  # every row of the first half, again
    rows[25][0] = rows[25][0].upper()  # a respelled duplicate
    path = campaign_dir(rows, [mailbox_toml(BOX, 25)])
    config = load_campaign(path)
    template = load_template(config.template)

    def run(limit: int) -> tuple[list[tuple[int, str, str | None]], bool]:
        with AddressChecker(memory_limit=limit) as checker:
            outcomes = [
                (o.seq, o.state, o.detail)
                for o in validate_rows(config, template, checker, now=NOW, workers=1)
            ]
            return outcomes, checker.spilled

    (spilled, did_spill), (kept, kept_spill) = run(3), run(10_000)
    assert did_spill and not kept_spill
    assert spilled == kept
    assert [seq for seq, state, _ in spilled if state == "duplicate"] == list(range(21, 41))
    assert dict((s, d) for s, _, d in spilled)[26] == (
        "address: same mailbox as line 7 (delete this row; keep the first)"
    )


def test_cli_send_limit_sends_n_and_resumes_with_the_next_rows(
    campaign_dir: Callable[..., Path], tmp_path: Path, ledger_at: str
) -> None:
    path = campaign_dir(_rows_with_early_problems(300), [mailbox_toml(BOX, 0)])
    ledger = ledger_at
    with Sink().in_thread() as sink:
        path.write_text(path.read_text().replace("port = 0", f"port = {sink.port}"))
        args = ["send", str(path), "--ledger", str(ledger), "--yes", "--offline", "--limit", "2"]
        first = runner.invoke(app, args)
        assert first.exit_code == 0, first.stderr
        assert "3 rows: 2 pass, 1 skipped" in first.stdout  # row 2 is not an address
        assert "validation stopped at --limit after 3 rows" in first.stdout
        assert "ready to send 2 of 2 queued" in first.stdout
        second = runner.invoke(app, args)
        assert second.exit_code == 0, second.stderr
        # Rows 1-2 are sent, row 3 is bad, row 4 new, row 5 a duplicate of row 1, row 6 new.
        assert "6 rows: 4 pass, 1 skipped" in second.stdout
        received = sink.recipients()
    assert received == [f"person{i}@buyer{i % 7}.example" for i in (0, 2, 4, 5)]
    count = Ledger(ledger).db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
    assert count == 5, "only the rows read are in the ledger (the duplicate is not stored)"


def test_cli_dry_run_limit_names_the_rows_read(
    campaign_dir: Callable[..., Path], tmp_path: Path, ledger_at: str
) -> None:
    path = campaign_dir(_rows_with_early_problems(100), [mailbox_toml(BOX, 25)])
    result = runner.invoke(
        app,
        [
            *("send", str(path), "--ledger", ledger_at),
            *("--dry-run", str(tmp_path / "o"), "--limit", "1"),
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("1 row: 1 pass, 0 skipped")
    assert "validation stopped at --limit after 1 row:" in result.stdout
    assert "dry run: wrote 1 .eml file to" in result.stdout
