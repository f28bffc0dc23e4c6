"""The report opened in a real headless Chromium: it renders, every chart is drawn, the
console stays clean and the page asks the network for nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

from support.browser import open_offline
from typer.testing import CliRunner

from preflight.cli import app
from preflight.ledger import Ledger
from report.conftest import BOXES, SentCampaign

runner = CliRunner()

# Per chart: its size on the page and how many marks (bars, dots, line paths) pygal drew in
# its plot area; a chart that failed to draw has no plot or nothing in it.
CHARTS = """() => [...document.querySelectorAll('figure .chart svg')].map(svg => {
  const box = svg.getBoundingClientRect();
  const plot = svg.querySelector('.plot');
  const marks = plot ? plot.querySelectorAll('.series rect, .series circle, .series path') : [];
  const drawn = [...marks].filter(m => { const b = m.getBBox(); return b.width + b.height > 0; });
  return {cls: svg.getAttribute('class'), width: box.width, height: box.height,
          marks: drawn.length};
})"""


def _report(sent: SentCampaign, out: Path, *extra: str) -> Path:
    result = runner.invoke(
        app, ["report", str(sent.campaign), "--ledger", str(sent.ledger), "-o", str(out), *extra]
    )
    assert result.exit_code == 0, result.output
    return out


def test_report_renders_offline_with_every_chart_drawn(
    sent_campaign: SentCampaign, tmp_path: Path
) -> None:
    path = _report(sent_campaign, tmp_path / "report.html")
    with open_offline(path, tmp_path / "profile") as page:
        charts = page.evaluate(CHARTS)
        title = page.evaluate("document.querySelector('header h1').textContent")
        tiles = page.evaluate(
            "Object.fromEntries([...document.querySelectorAll('.tile .n[data-key]')]"
            ".map(n => [n.dataset.key, n.textContent.trim()]))"
        )
        height = page.evaluate("document.body.scrollHeight")
        blank = page.evaluate("document.querySelectorAll('figure.blank').length")
        assert page.console_errors == []
        assert page.blocked_requests == []
    assert title == "spring"
    assert height > 1500
    assert blank == 0
    kinds = sorted(c["cls"].split()[-1] for c in charts)
    assert kinds == sorted(
        [
            "chart-sends",
            "chart-sends",
            "chart-outcomes",
            "chart-bounce-rate",
            "chart-complaints",
            "chart-reasons",
            "chart-lint",
        ]
    )
    for chart in charts:
        assert chart["width"] > 300 and chart["height"] > 100, chart
        assert chart["marks"] > 0, chart
    assert tiles["complaints"] == "1" and tiles["paused"] == "1"


def test_a_planned_campaign_renders_its_plan(planned_campaign: Path, tmp_path: Path) -> None:
    out = tmp_path / "planned.html"
    result = runner.invoke(
        app,
        ["report", str(planned_campaign), "--ledger", str(tmp_path / "l.sqlite3"), "-o", str(out)],
    )
    assert result.exit_code == 0, result.output
    with open_offline(out, tmp_path / "profile") as page:
        charts = page.evaluate(CHARTS)
        empties = page.evaluate("[...document.querySelectorAll('p.empty')].map(p => p.textContent)")
        assert page.console_errors == [] and page.blocked_requests == []
    assert [c["cls"].split()[-1] for c in charts] == ["chart-sends", "chart-sends"]
    assert all(c["marks"] > 0 for c in charts)
    assert empties and all(text.startswith("none recorded") for text in empties)


def test_the_browser_check_catches_requests_and_errors(tmp_path: Path) -> None:
    """The checks above can fail: a page that loads an image and throws is caught."""
    page_file = tmp_path / "bad.html"
    page_file.write_text(
        "<!DOCTYPE html><html><body><img src='http://127.0.0.1:9/x.png'>"
        "<script>console.error('broken'); undefinedFunction();</script></body></html>",
        encoding="utf-8",
    )
    with open_offline(page_file, tmp_path / "profile") as page:
        page.evaluate("1")
        assert page.blocked_requests == ["http://127.0.0.1:9/x.png"]
        assert any("broken" in e for e in page.console_errors)
        assert any("undefinedFunction" in e for e in page.console_errors)


def test_hostile_text_from_servers_stays_text(sent_campaign: SentCampaign, tmp_path: Path) -> None:
    """A reply text or reason a remote server wrote is shown, never run or loaded."""
    ledger = tmp_path / "hostile.sqlite3"
    shutil.copy(sent_campaign.ledger, ledger)
    evil = "<img src=http://127.0.0.1:9/x onerror=console.error(1)></script><script>boom()</script>"
    with Ledger(ledger) as opened:
        opened.pause_mailbox(BOXES[1], f"554 5.7.1 {evil}: fix `it`", "spring", "2026-01-01")
        opened.db.execute("UPDATE messages SET reason = ? WHERE state = 'bounced'", (evil,))
    path = _report(
        SentCampaign(sent_campaign.campaign, ledger, sent_campaign.now, 0),
        tmp_path / "hostile.html",
    )
    with open_offline(path, tmp_path / "profile") as page:
        shown = page.evaluate("document.querySelector('#health').textContent")
        images = page.evaluate("document.querySelectorAll('img').length")
        scripts = page.evaluate("[...document.scripts].map(s => s.type || 'text/javascript')")
        assert page.console_errors == [] and page.blocked_requests == []
    assert "<script>boom()</script>" in shown
    assert images == 0
    assert scripts == ["application/json"]  # the numbers; the page runs no script
