"""`preflight plan` on 100,000 recipients over 10 mailboxes, and the memory of the pre-send
validation of 100,000 rows (render, MIME, lint gate, address checks, ledger rows).

Targets: plan under 10 s; validation under 500 MB. Both run the real CLI or library in a
child process, so start-up and peak memory are measured honestly. The peer for the plan is
``wc -l``-style reading of the same CSV with the csv module (the floor for any tool that
reads the list); the peer for memory is the same child's resident size after imports.

    .venv/bin/python bench/plan_large.py [--rows 100000] [--skip-validation]
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from preflight.resources import shipped_dir

VALIDATE = """
import resource, sys, time
from datetime import UTC, datetime
from preflight.prepare import BuiltMessages, prepare_campaign, validation_workers
from preflight.campaign_config import load_campaign
from preflight.ledger import Ledger
from preflight.templates import load_template
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
config = load_campaign(sys.argv[1])
template = load_template(config.template)
began = time.perf_counter()
with Ledger(sys.argv[2]) as ledger:
    _, summary = prepare_campaign(config, ledger, template, now=datetime.now(UTC),
                                  built=BuiltMessages())
took = time.perf_counter() - began
me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(base, me, workers, summary.rows, summary.queued, took,
      validation_workers(config.recipients))
"""


def write_campaign(folder: Path, rows: int, mailboxes: int) -> Path:
    with (folder / "r.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "first_name", "company"])
        for i in range(rows):
            writer.writerow([f"buyer{i}@firm{i % 5000}.example", f"Name{i}", f"Firm {i} GmbH"])
    boxes = "".join(
        f"""
[[mailbox]]
from = "Sales {n} <sales{n}@brightline.example>"
host = "127.0.0.1"
port = 2525
security = "none"
warmup = "{"standard" if n % 2 else "established"}"
warmup_start = 2026-01-05
timezone = "Europe/Berlin"
delay_seconds = [60, 180]
"""
        for n in range(mailboxes)
    )
    template = shipped_dir("templates") / "first-contact.j2"
    path = folder / "campaign.toml"
    path.write_text(
        f'[campaign]\nname = "large"\ntemplate = "{template}"\nrecipients = "r.csv"\n{boxes}'
    )
    return path


def csv_floor(path: Path) -> float:
    began = time.perf_counter()
    with path.open(newline="") as handle:
        count = sum(1 for _ in csv.reader(handle))
    assert count > 0
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--skip-validation", action="store_true")
    args = parser.parse_args()
    preflight = Path(sys.executable).with_name("preflight")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        campaign = write_campaign(folder, args.rows, 10)
        began = time.perf_counter()
        result = subprocess.run(
            [
                str(preflight),
                "plan",
                str(campaign),
                "--ledger",
                str(folder / "plan.db"),
                "--start",
                "2026-03-02T07:00",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        took = time.perf_counter() - began
        floor = csv_floor(folder / "r.csv")
        summary = [line for line in result.stdout.splitlines() if "messages over" in line]
        print(
            f"preflight plan, {args.rows:,} recipients, 10 mailboxes: {took:.2f} s "
            f"(CLI start-up included) -> {summary[0] if summary else result.stdout[-200:]}"
        )
        print(f"peer: csv.reader over the same file: {floor:.2f} s; ratio {took / floor:.1f}x")
        print(f"target plan < 10 s: {'met' if took < 10 else 'NOT met'}")
        if args.skip_validation:
            return
        out = subprocess.run(
            [sys.executable, "-c", VALIDATE, str(campaign), str(folder / "v.db")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        base, peak, worker = (int(v) / 1024 for v in out[:3])
        rows, queued, seconds, pool = int(out[3]), int(out[4]), float(out[5]), int(out[6])
        print(
            f"validation of {rows:,} rows ({queued:,} pass) in {seconds:.1f} s "
            f"({rows / seconds:,.0f} rows/s)"
        )
        print(
            f"peak RSS: main process {peak:.0f} MB (after imports {base:.0f} MB), "
            f"largest worker {worker:.0f} MB"
        )
        total = peak + worker * pool
        print(
            f"main + {pool} workers, each at its peak: {total:.0f} MB; target < 500 MB: "
            f"{'met' if total < 500 else 'NOT met'}"
        )


if __name__ == "__main__":
    main()
