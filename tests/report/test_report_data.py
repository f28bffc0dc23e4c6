"""The report's numbers after a real send: the ledger, `status --format json` and the page
agree, a campaign only planned shows its plan, and the page loads nothing from anywhere."""

from __future__ import annotations

import json
import mailbox
import shutil
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, time
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import lxml.html
import pytest
from typer.testing import CliRunner

from preflight.campaign_config import load_campaign
from preflight.cli import app
from preflight.inbox.importer import import_inbox
from preflight.ledger import Ledger
from preflight.report.data import CampaignData, gather, split_pause_reason
from preflight.report.page import render_page
from report.conftest import BOXES, COMPLAINT, FULL, HARD, ROWS, SPAM, SentCampaign

runner = CliRunner()


def _gather(sent: SentCampaign) -> CampaignData:
    with Ledger(sent.ledger) as ledger:
        return gather(load_campaign(sent.campaign), ledger, now=sent.now)


def test_numbers_match_the_ledger_and_the_sink(sent_campaign: SentCampaign) -> None:
    data = _gather(sent_campaign)
    with Ledger(sent_campaign.ledger) as ledger:
        states = dict(
            ledger.db.execute("SELECT state, COUNT(*) FROM messages GROUP BY state").fetchall()
        )
        attempts = ledger.db.execute("SELECT COUNT(*) FROM attempts").fetchone()[0]
        by_box = dict(ledger.db.execute("SELECT mailbox, COUNT(*) FROM attempts GROUP BY mailbox"))
    assert sum(data.totals.values()) == ROWS
    assert {k: v for k, v in data.totals.items() if v} == states
    step = data.steps[0]
    # The sink accepted every delivered message, and the complaint's message besides.
    assert step.delivered + step.bounced.get("feedback", 0) <= sent_campaign.delivered
    assert step.bounced["userunknown"] == len(HARD)
    assert step.bounced["feedback"] == 1
    assert step.replied is None and step.opted_out is None
    # Sends per day add up to the attempts, per mailbox, and never pass the day's cap.
    for series in data.sends:
        assert sum(d.sent for d in series.days) == by_box.get(series.mailbox, 0)
        assert all(d.sent + d.planned <= d.cap for d in series.days)
    assert sum(d.sent for s in data.sends for d in s.days) == attempts
    # The spam rejection paused one mailbox, with the reason and the fix apart.
    paused = [h for h in data.health if h.state == "paused"]
    assert len(paused) == 1 and paused[0].mailbox in BOXES
    assert paused[0].why.startswith("554 5.7.1")
    assert paused[0].fix is not None and "preflight lint" in paused[0].fix
    assert "--unpause" in paused[0].fix
    reasons = {r.reason: r for r in data.reasons}
    assert reasons["userunknown"].hard and reasons["userunknown"].count == len(HARD)
    assert "suppressed" in reasons["userunknown"].fix
    assert reasons["mailboxfull"].count == 1 and not reasons["mailboxfull"].hard
    assert {"spamdetected", "feedback"} <= set(reasons)
    assert data.bounce_rates.complaints_total == 1
    assert sum(b.count for b in data.lint) == sum(
        n for s, n in states.items() if s not in ("queued", "skipped")
    )
    # What was not sent by now is planned on the active mailbox, under its caps.
    assert data.totals["queued"] > 0
    assert data.plan.scheduled + data.plan.later == data.totals["queued"] + data.totals["deferred"]
    assert sum(d.planned for s in data.sends for d in s.days) == data.plan.scheduled
    assert all(d.planned == 0 for s in data.sends if s.mailbox == paused[0].mailbox for d in s.days)
    # The scripted addresses ended as scripted, and the report counted them where they are.
    with Ledger(sent_campaign.ledger) as ledger:
        ends = dict(
            ledger.db.execute(
                "SELECT substr(recipient, 1, instr(recipient, '@') - 1), state || ':' || reason"
                " FROM messages WHERE reason IS NOT NULL"
            ).fetchall()
        )
    assert ends[f"person{SPAM}"] == "failed:spamdetected"
    assert ends[f"person{COMPLAINT}"] == "bounced:feedback"
    assert ends[f"person{FULL}"].endswith(":mailboxfull")
    assert step.failed == 1


def test_status_json_gives_the_report_numbers(sent_campaign: SentCampaign, tmp_path: Path) -> None:
    status = runner.invoke(
        app,
        [
            "status",
            str(sent_campaign.campaign),
            "--ledger",
            str(sent_campaign.ledger),
            "--format",
            "json",
        ],
    )
    assert status.exit_code == 0, status.output
    numbers = json.loads(status.output)
    out = tmp_path / "r.html"
    report = runner.invoke(
        app,
        [
            "report",
            str(sent_campaign.campaign),
            "--ledger",
            str(sent_campaign.ledger),
            "-o",
            str(out),
        ],
    )
    assert report.exit_code == 0, report.output
    page = lxml.html.fromstring(out.read_text(encoding="utf-8"))
    embedded = json.loads(page.get_element_by_id("preflight-data").text)
    for key in ("generated_at",):
        numbers.pop(key), embedded.pop(key)
    for plan in (numbers["plan"], embedded["plan"]):
        plan.pop("start")
    assert embedded == numbers
    # The table a person reads shows the same counts.
    cells = {
        cell.get("data-key"): cell.text_content().strip()
        for cell in page.xpath('//table[@id="outcome-table"]//td[@data-key]')
    }
    step = numbers["steps"][0]
    assert cells["delivered"] == str(step["delivered"])
    assert cells["bounced"] == str(sum(step["bounced"].values()))
    assert cells["queued"] == str(step["queued"])
    assert cells["replied"] == "none recorded" and cells["opted_out"] == "none recorded"


def test_the_page_is_self_contained(sent_campaign: SentCampaign) -> None:
    html = render_page(_gather(sent_campaign))
    page = lxml.html.fromstring(html)
    assert not page.xpath("//link | //iframe | //object | //embed | //img")
    assert not page.xpath("//script[@src] | //*[@href] | //*[@src]")
    assert [s.get("type") for s in page.xpath("//script")] == ["application/json"]
    assert not page.xpath("//*[@*[local-name()='href']]")  # xlink:href in the SVGs
    styles = " ".join(page.xpath("//style/text()"))
    assert "@import" not in styles and "url(" not in styles
    assert len(page.xpath("//figure//div[@class='chart']/svg")) == 7


def test_a_planned_campaign_shows_its_plan_against_the_caps(
    planned_campaign: Path, tmp_path: Path
) -> None:
    ledger_path = tmp_path / "empty.sqlite3"
    with Ledger(ledger_path) as ledger:
        data = gather(load_campaign(planned_campaign), ledger)
    assert not data.in_ledger
    assert sum(data.totals.values()) == 0
    assert data.plan.scheduled + data.plan.later == ROWS
    planned = [d for s in data.sends for d in s.days]
    assert sum(d.planned for d in planned) == data.plan.scheduled > 0
    assert all(d.sent == 0 and d.planned <= d.cap for d in planned)
    assert data.notes and "plan" in data.notes[0]
    html = render_page(data)
    assert "none recorded" in html
    page = lxml.html.fromstring(html)
    assert len(page.xpath("//figure//div[@class='chart']/svg")) == len(BOXES)


def test_status_of_an_unsent_campaign_in_text_still_says_so(
    planned_campaign: Path, tmp_path: Path
) -> None:
    result = runner.invoke(
        app, ["status", str(planned_campaign), "--ledger", str(tmp_path / "l.sqlite3")]
    )
    assert result.exit_code == 2
    assert "has not been sent" in result.output


def test_an_unwritable_output_is_one_line(sent_campaign: SentCampaign, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "report",
            str(sent_campaign.campaign),
            "--ledger",
            str(sent_campaign.ledger),
            "-o",
            str(blocker / "r.html"),
        ],
    )
    assert result.exit_code == 2
    assert "cannot write the report" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("stored", "why", "fix"),
    [
        (
            "7 of the last 50 sends bounced hard (over 5%): clean the list with "
            "`preflight check list` before resuming",
            "7 of the last 50 sends bounced hard (over 5%)",
            "clean the list with `preflight check list` before resuming",
        ),
        ("a reason nobody wrote a fix for", "a reason nobody wrote a fix for", "fix the cause"),
    ],
)
def test_pause_reasons_split_into_why_and_fix(stored: str, why: str, fix: str) -> None:
    from preflight.ledger.report import PauseRow

    got_why, got_fix = split_pause_reason(PauseRow("a@b.example", stored, None, "2026-01-01"))
    assert got_why == why
    assert got_fix.startswith(fix) and "--unpause" in got_fix


def test_the_plan_stops_at_its_horizon_and_counts_the_rest(planned_campaign: Path) -> None:
    from datetime import timedelta

    from preflight.campaign import plan_campaign

    config = load_campaign(planned_campaign)
    queue = [(i, f"person{i}@buyer{i % 9}.example") for i in range(ROWS)]
    start = datetime.combine(config.mailboxes[0].warmup_start, time(0), UTC)
    whole = plan_campaign(config, queue, start=start)
    cut = plan_campaign(config, queue, start=start, until=start + timedelta(days=2, seconds=-1))
    assert whole.scheduled == ROWS and whole.after_until == 0
    # Two mailboxes on a 4, 6, ... a day ramp: two days hold 2 * (4 + 6) messages.
    assert cut.scheduled == 20 and cut.after_until == ROWS - 20 and cut.unscheduled == 0
    assert cut.per_day == {d: c for d, c in whole.per_day.items() if d in cut.per_day}


def test_the_report_goes_beside_the_campaign_by_default(
    sent_campaign: SentCampaign, tmp_path: Path
) -> None:
    folder = tmp_path / "copy"
    shutil.copytree(sent_campaign.campaign.parent, folder)
    campaign = (folder / "campaign.toml").rename(folder / "autumn.toml")
    result = runner.invoke(app, ["report", str(campaign), "--ledger", str(sent_campaign.ledger)])
    assert result.exit_code == 0, result.output
    written = folder / "autumn-report.html"
    assert result.output.strip() == f"wrote {written}"
    assert "<title>spring — preflight campaign report</title>" in written.read_text("utf-8")


def _answer(to: str, frm: str, in_reply_to: str, body: str, when: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"] = frm, to
    message["Subject"] = "Re: our offer"
    message["Date"] = when
    message["Message-ID"] = make_msgid(domain="buyer.example")
    message["In-Reply-To"] = message["References"] = in_reply_to
    message.set_content(body)
    return message


def test_replies_and_opt_outs_come_from_the_inbox_import(
    sent_campaign: SentCampaign, tmp_path: Path
) -> None:
    # A copy of the shared ledger: the other tests read it without any answer.
    copy = tmp_path / "ledger.db"
    with sqlite3.connect(sent_campaign.ledger) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    sent = replace(sent_campaign, ledger=copy)
    with Ledger(copy) as ledger:
        rows = ledger.db.execute(
            "SELECT recipient, message_id, mailbox FROM messages WHERE state = 'sent'"
            " ORDER BY id LIMIT 2"
        ).fetchall()
    assert len(rows) == 2
    (keen, keen_id, ours), (leaving, leaving_id, _) = rows
    inbox = mailbox.Maildir(tmp_path / "inbox", create=True)
    when = format_datetime(sent.now)
    inbox.add(_answer(ours, keen, keen_id, "Thanks, we are interested: a price list?", when))
    inbox.add(_answer(ours, keen, keen_id, "And the delivery times, please.", when))
    inbox.add(_answer(ours, leaving, leaving_id, "STOP", when))
    inbox.close()
    with Ledger(copy) as ledger:
        import_inbox(ledger, str(tmp_path / "inbox"), now=sent.now)
    step = _gather(sent).steps[0]
    assert (step.replied, step.opted_out) == (1, 1)  # people, not messages
    page = lxml.html.fromstring(render_page(_gather(sent)))
    cells = {
        cell.get("data-key"): cell.text_content().strip()
        for cell in page.xpath('//table[@id="outcome-table"]//td[@data-key]')
    }
    assert (cells["replied"], cells["opted_out"]) == ("1", "1")
