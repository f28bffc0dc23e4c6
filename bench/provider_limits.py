"""What provider limits cost `preflight plan`: the same plan with and without them.

Ten mailboxes on one domain and one host; the peer is the plan of the same campaign with no
`provider` (warm-up caps, windows, delays only), measured in the same run. With limits every
mailbox has Microsoft 365's spacing and 24-hour quota, a shared host slot and a domain quota,
so each pick asks three or four more gates and every send invalidates the other mailboxes'
cached answers.

    .venv/bin/python bench/provider_limits.py [--rows 50000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from preflight.campaign import plan_campaign
from preflight.campaign_config import load_campaign
from preflight.resources import shipped_dir

LIMITS = """provider = "microsoft365"
[mailbox.limits]
host_per_minute = 120
domain_per_day = 1500
"""


def write_campaign(folder: Path, rows: int, limits: bool) -> Path:
    template = shipped_dir("templates") / "first-contact.j2"
    (folder / "r.csv").write_text(
        "email,first_name,company\n"
        + "".join(f"p{i}@firm{i % 500}.example,A,B\n" for i in range(rows)),
        encoding="utf-8",
    )
    boxes = "".join(
        f"""
[[mailbox]]
from = "Sender {n} <s{n}@brightline.example>"
host = "smtp.brightline.example"
warmup = "established"
warmup_start = 2026-01-05
delay_seconds = [0, 0]
{LIMITS if limits else ""}"""
        for n in range(10)
    )
    path = folder / f"campaign-{limits}.toml"
    path.write_text(
        f'[campaign]\nname = "b"\ntemplate = "{template}"\nrecipients = "r.csv"\n{boxes}',
        encoding="utf-8",
    )
    return path


def best_of(path: Path, rows: int, repeat: int) -> tuple[float, int]:
    config = load_campaign(path)
    recipients = [(i + 1, f"p{i}@firm{i % 500}.example") for i in range(rows)]
    best = float("inf")
    days = 0
    for _ in range(repeat):
        began = time.perf_counter()
        plan = plan_campaign(config, recipients, start=datetime(2026, 1, 5, 8, tzinfo=UTC))
        best = min(best, time.perf_counter() - began)
        days = len(plan.per_day)
    return best, days


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plain, plain_days = best_of(
            write_campaign(folder, args.rows, False), args.rows, args.repeat
        )
        gated, gated_days = best_of(write_campaign(folder, args.rows, True), args.rows, args.repeat)
    print(f"plan of {args.rows:,} recipients, 10 mailboxes (best of {args.repeat})")
    print(f"  without provider limits: {plain:.2f} s ({plain_days} days)")
    print(f"  with provider limits:    {gated:.2f} s ({gated_days} days)")
    print(f"  ratio: {gated / plain:.2f}x the plan without limits")


if __name__ == "__main__":
    main()
