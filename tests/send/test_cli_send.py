"""The send family's commands, run through the real CLI (typer's runner, no terminal)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest
from support.dns_server import LoopbackDNS
from typer.testing import CliRunner

from preflight.cli import app
from preflight.sink import Reply, Sink
from send.helpers import mailbox_toml, sample_rows

runner = CliRunner()
BOX = "li.wei@brightline.example"

ZONES = {
    "brightline.example": {
        "MX": ["10 mx.brightline.example."],
        "TXT": ["v=spf1 ip4:192.0.2.1 -all"],
    },
    "mx.brightline.example": {"A": ["192.0.2.1"]},
    "_dmarc.brightline.example": {
        "TXT": ["v=DMARC1; p=quarantine; rua=mailto:d@brightline.example"]
    },
    "nospf.example": {"MX": ["10 mx.brightline.example."]},
}


@pytest.fixture
def sink() -> Iterator[Sink]:
    with Sink([Reply("person1@*", "550 5.1.1 User unknown")]).in_thread() as running:
        yield running


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_send_then_status_then_resume(
    campaign_dir: Callable[..., Path], tmp_path: Path, sink: Sink
) -> None:
    path = campaign_dir(sample_rows(4), [mailbox_toml(BOX, sink.port)])
    ledger = str(tmp_path / "l.db")
    code, out, err = invoke("send", str(path), "--ledger", ledger, "--yes", "--offline")
    assert code == 0, err
    assert "4 rows: 4 pass" in out
    assert "this run: 4 messages: sent 3, deferred 0, bounced 1, failed 0" in out
    assert len(sink.received) == 3
    code, out, _ = invoke("status", str(path), "--ledger", ledger)
    assert code == 0
    assert BOX in out and "suppressed among this campaign's recipients: 1" in out
    code, out, _ = invoke("send", str(path), "--ledger", ledger, "--yes", "--offline")
    assert code == 0 and "nothing to send" in out
    assert len(sink.received) == 3


def test_send_without_yes_off_a_terminal_refuses(
    campaign_dir: Callable[..., Path], tmp_path: Path, sink: Sink
) -> None:
    path = campaign_dir(sample_rows(2), [mailbox_toml(BOX, sink.port)])
    code, _, err = invoke("send", str(path), "--ledger", str(tmp_path / "l.db"), "--offline")
    assert code == 2
    assert err.strip() == "preflight: error: not a terminal: add --yes to send without confirmation"
    assert sink.received == []


def test_dry_run_writes_the_exact_messages(
    campaign_dir: Callable[..., Path], tmp_path: Path, sink: Sink
) -> None:
    head = '[unsubscribe]\nurl = "https://brightline.example/u?e={email}"\n'
    path = campaign_dir(sample_rows(3), [mailbox_toml(BOX, sink.port)], head=head)
    out_dir = tmp_path / "out"
    code, _out, err = invoke(
        "send", str(path), "--ledger", str(tmp_path / "l.db"), "--dry-run", str(out_dir)
    )
    assert code == 0, err
    files = sorted(out_dir.glob("*.eml"))
    assert [f.name for f in files] == [
        f"00000{i + 1}-person{i}@buyer{i}.example.eml" for i in range(3)
    ]
    message = message_from_bytes(files[0].read_bytes(), policy=default_policy)
    assert message["Subject"] == "Fittings for Company 0"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Hi Name0," in message.get_body(("plain",)).get_content()
    assert sink.received == []
    rows = sqlite3.connect(tmp_path / "l.db").execute("SELECT COUNT(*) FROM messages").fetchone()
    assert rows == (0,), "a dry run records nothing"


def test_unknown_campaign_key_is_one_line_naming_file_line_and_key(
    campaign_dir: Callable[..., Path], tmp_path: Path
) -> None:
    path = campaign_dir(sample_rows(1), [mailbox_toml(BOX, 25, extra='hots = "typo"')])
    code, _out, err = invoke("plan", str(path), "--ledger", str(tmp_path / "l.db"))
    assert code == 2
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "hots" in text)
    assert err.startswith(f"preflight: error: {path}:{line}: mailbox[1].hots: unknown key")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_missing_password_variable_is_a_clear_error(
    campaign_dir: Callable[..., Path], tmp_path: Path, sink: Sink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PREFLIGHT_NO_SUCH_PASSWORD", raising=False)
    extra = (
        'username = "li"\npassword_env = "PREFLIGHT_NO_SUCH_PASSWORD"\nallow_plaintext_auth = true'
    )
    path = campaign_dir(sample_rows(1), [mailbox_toml(BOX, sink.port, extra=extra)])
    code, _, err = invoke("send", str(path), "--ledger", str(tmp_path / "l.db"), "--yes")
    assert code == 1
    assert "PREFLIGHT_NO_SUCH_PASSWORD" in err and "is not set" in err
    assert sink.received == []


def test_plan_shows_days_per_mailbox(campaign_dir: Callable[..., Path], tmp_path: Path) -> None:
    plan = tmp_path / "five.toml"
    plan.write_text('name = "five"\nhourly_cap = 5\n[[steps]]\nfrom_day = 1\ndaily = 5\n')
    path = campaign_dir(
        sample_rows(12), [mailbox_toml(BOX, 25, warmup="five.toml", delay="[60, 60]")]
    )
    code, out, err = invoke(
        "plan", str(path), "--ledger", str(tmp_path / "l.db"), "--start", "2026-01-05T08:00"
    )
    assert code == 0, err
    assert "Mon 2026-01-05  5" in out and "Tue 2026-01-06  5" in out
    assert "Wed 2026-01-07  2" in out
    assert "12 messages over 3 days" in out


def test_warmup_show_lists_the_ramp() -> None:
    code, out, _ = invoke("warmup", "show", "standard", "--days", "3")
    assert code == 0
    assert "hourly cap: 12" in out
    assert [line.split()[:2] for line in out.splitlines()[-5:-1]] == [
        ["day", "daily"],
        ["1", "5"],
        ["2", "7"],
        ["3", "9"],
    ]
    # --days shows fewer days; it does not rescale the plan to them.
    assert out.splitlines()[-1] == "reaches 50 a day on day 24"
    bars = [len(line.split()[2]) for line in out.splitlines()[-4:-1]]
    assert bars == [round(cap / 50 * 40) for cap in (5, 7, 9)]


def test_sending_domain_failing_spf_blocks_send_unless_forced(
    campaign_dir: Callable[..., Path],
    tmp_path: Path,
    sink: Sink,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with LoopbackDNS(ZONES) as dns:
        monkeypatch.setenv("PREFLIGHT_NAMESERVER", dns.address)
        good = campaign_dir(sample_rows(1), [mailbox_toml(BOX, sink.port)])
        code, _, err = invoke("send", str(good), "--ledger", str(tmp_path / "g.db"), "--yes")
        assert code == 0, err
        bad = campaign_dir(sample_rows(1), [mailbox_toml("x@nospf.example", sink.port)])
        code, _, err = invoke("send", str(bad), "--ledger", str(tmp_path / "b.db"), "--yes")
        assert code == 1 and "nospf.example fails SPF" in err and "--force" in err
        assert len(sink.received) == 1
        code, _, err = invoke(
            "send", str(bad), "--ledger", str(tmp_path / "b.db"), "--yes", "--force"
        )
        assert code == 0, err
    assert len(sink.received) == 2


def test_demo_runs_the_whole_flow(tmp_path: Path) -> None:
    ledger = tmp_path / "demo.db"
    code, out, err = invoke("demo", "--ledger", str(ledger), "--speed", "1000000")
    assert code == 0, err
    assert "25 rows: 24 pass" in out
    assert "the sink accepted 20 messages" in out
    assert ("paused sending mailbox wang.fang@brightline.example" in out
            or "paused sending mailbox li.wei@" in out)
    assert "suppressed nobody@nordlicht-handel.example (userunknown)" in out
    assert "suppressed full.box@hollandpipe.example (soft-limit)" in out
    assert f"ledger: {ledger}" in out
    assert "inbox import: read 4 messages: bounce 1, autoreply 1, reply 1, optout 1" in out
    assert "follow-up, " in out and "anna.berg@" not in out.split("follow-up, ")[1].split("\n")[0]
    states = dict(
        sqlite3.connect(ledger).execute(
            "SELECT state, COUNT(*) FROM messages WHERE campaign_id ="
            " (SELECT id FROM campaigns WHERE name = 'demo') GROUP BY state"
        )
    )
    # One accepted message bounces later, as a DSN the demo imports from its Maildir.
    assert states == {"sent": 19, "bounced": 4, "failed": 1}


def _demo_numbers(out: str) -> tuple[int, dict[str, int]]:
    import re

    line = next(x for x in out.splitlines() if x.startswith("this run: "))
    total = int(re.match(r"this run: (\d+) messages?:", line).group(1))  # type: ignore[union-attr]
    parts = dict((k, int(v)) for k, v in re.findall(r"(sent|deferred|bounced|failed|unknown|"
                                                    r"skipped) (\d+)", line.split(" (")[0]))
    return total, parts


def test_demo_numbers_add_up_and_nothing_is_left_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # read TMPDIR again
    code, out, err = invoke("demo", "--speed", "1000000")
    assert code == 0, err
    # Every message once, in the state this run ended it in: 24 messages, 24 counted.
    total, parts = _demo_numbers(out)
    assert total == 24 and sum(parts.values()) == 24, out
    assert "24 pass, 0 skipped" in out and "1 duplicate of a row above" in out
    assert "  duplicate line 18 anna.berg@" in out and "skipped line" not in out
    final = next(x for x in out.splitlines() if x.startswith("in the ledger now: "))
    assert sum(int(n) for n in final.replace(",", "").split()[5::2]) == 24, final
    assert "took " in out and " s of real time" in out
    # Nothing left behind unless asked; no "look inside" pointing at a removed file.
    assert list(tmp_path.glob("preflight-demo-*")) == []
    assert "look inside" not in out and "--keep" in out


def test_demo_keep_leaves_a_ledger_that_status_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    code, out, err = invoke("demo", "--keep", "--speed", "1000000")
    assert code == 0, err
    look = next(x for x in out.splitlines() if x.startswith("look inside: preflight "))
    args = look.removeprefix("look inside: preflight ").split()
    assert Path(args[-1]).is_file() and Path(args[2]).is_file()
    code, status, err = invoke(*args)
    assert code == 0, err
    assert "total" in status and "paused sending mailbox" in status
    assert len(list(tmp_path.glob("preflight-demo-*"))) == 1


def test_demo_help_offers_no_per_user_ledger_it_would_ignore() -> None:
    code, out, _ = invoke("demo", "--help")
    assert code == 0
    assert "PREFLIGHT_LEDGER" not in out and "per-user" not in out
    assert "--keep" in out


def test_plan_counts_what_send_dry_run_writes(
    campaign_dir: Callable[..., Path], tmp_path: Path
) -> None:
    rows = [
        *sample_rows(4),
        ["person0@buyer0.example", "Again", "Dup"],  # a duplicate
        ["anna@gamil.com", "Anna", "Typo"],  # a typo of gmail.com: rejected
        ["ｆｕｌｌ@buyer.example", "Full", "Width"],  # full-width letters: rejected
        ["empty@buyer.example", "", "Empty"],  # an empty first_name the template prints
    ]
    path = campaign_dir(rows, [mailbox_toml(BOX, 25)])
    ledger = str(tmp_path / "l.db")
    code, planned, err = invoke("plan", str(path), "--ledger", ledger,
                                "--start", "2026-01-05T08:00")
    assert code == 0, err
    code, dry, err = invoke("send", str(path), "--ledger", ledger, "--dry-run",
                            str(tmp_path / "out"))
    assert code == 0, err
    written = len(list((tmp_path / "out").glob("*.eml")))
    assert f"dry run: wrote {written} .eml files" in dry
    assert f"{written} messages over 1 day" in planned
    # The same summary line, from the same validation.
    assert planned.splitlines()[0] == dry.splitlines()[0]


def test_plan_of_a_campaign_whose_template_needs_a_missing_column_is_refused(
    campaign_dir: Callable[..., Path], tmp_path: Path
) -> None:
    template = "Subject: Hi\n\nHi {{ first_name }} at {{ city }},\nBest,\nLi\n"
    path = campaign_dir(sample_rows(2), [mailbox_toml(BOX, 25)], template=template)
    code, _, err = invoke("plan", str(path), "--ledger", str(tmp_path / "l.db"))
    assert code == 2 and "city" in err and "no such column" in err


def test_plan_finish_includes_the_deferred_retries(
    campaign_dir: Callable[..., Path], tmp_path: Path
) -> None:
    from datetime import datetime

    with Sink([Reply("person1@*", "452 4.2.2 Mailbox full")]).in_thread() as full:
        path = campaign_dir(sample_rows(3), [mailbox_toml(BOX, full.port)])
        ledger = str(tmp_path / "l.db")
        code, _out, err = invoke("send", str(path), "--ledger", ledger, "--yes", "--offline")
        assert code == 0, err
    due = sqlite3.connect(ledger).execute(
        "SELECT next_attempt_at FROM messages WHERE state = 'deferred'").fetchone()[0]
    code, planned, err = invoke("plan", str(path), "--ledger", ledger)
    assert code == 0, err
    assert "1 message over 1 day" in planned
    line = next(x for x in planned.splitlines() if x.startswith("first send "))
    assert line.endswith("(including deferred retries)")
    finish = datetime.fromisoformat(line.split("finish ", 1)[1].split(" (")[0])
    assert finish >= datetime.fromisoformat(due).replace(second=0, microsecond=0)
    assert "1 day," not in planned and "1 days" not in planned
