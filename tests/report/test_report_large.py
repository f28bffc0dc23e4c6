"""The benchmark's bulk ledger (bench/report_large.py) at a small size: the report and
`status --format json` count it exactly as it was written. Nothing here is timed; the
benchmark measures the 100,000-message run."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

from preflight.campaign_config import load_campaign
from preflight.ledger import Ledger
from preflight.report.data import gather
from preflight.report.page import render_page

BENCH = Path(__file__).resolve().parents[2] / "bench" / "report_large.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("report_large", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_bulk_ledger_is_counted_as_written(tmp_path: Path) -> None:
    bench = _bench()
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=60)
    campaign = bench.write_campaign(tmp_path, 4, start)
    counts = bench.build_ledger(tmp_path / "l.sqlite3", 3000, 4, start)
    with Ledger(tmp_path / "l.sqlite3") as ledger:
        data = gather(load_campaign(campaign), ledger)
    assert {k: v for k, v in data.totals.items() if v} == {
        k: v for k, v in counts.items() if k != "complaints"
    }
    assert data.bounce_rates.complaints_total == counts["complaints"]
    step = data.steps[0]
    assert step.bounced.get("userunknown", 0) == counts["bounced"]
    assert [h.state for h in data.health] == ["paused", "active", "active", "active"]
    # Sends land on the mailboxes' local days (Shanghai and Berlin) and all are counted.
    sent = sum(d.sent for s in data.sends for d in s.days)
    assert sent == sum(counts.get(s, 0) for s in ("sent", "bounced", "deferred", "failed"))
    assert data.plan.scheduled + data.plan.later + data.plan.unschedulable == (
        counts["queued"] + counts["deferred"]
    )
    assert "chart-sends" in render_page(data)
