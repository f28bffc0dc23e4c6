"""Memory of `preflight check` and `preflight send --limit 10` on a 1,000,000-row list.

Streaming is the promise: reading a recipients file costs the memory of one row, so the peak
of a run on 1,000,000 rows must be close to the peak of the same run on 10,000 rows (the
peer, measured in the same run with the same commands). The commands run as real CLI child
processes; a sampler reads /proc every 50 ms and keeps the peak of the whole process tree
(the sender may start validation workers), and the kernel's own ``ru_maxrss`` of the largest
single process is printed beside it.

``check`` reads every row (its duplicate memory spills to a temporary file past 50,000
mailboxes). The sends are a dry run (``--dry-run DIR --limit 10 --yes --offline``) and a real
send (``--limit 10 --yes --offline``) to a local sink (aiosmtpd in this process, on
127.0.0.1): with ``--limit`` validation stops once 10 sendable messages are found, so both
read only the first rows. Nothing is looked up and nothing leaves the machine.

    .venv/bin/python bench/large_input.py [--rows 1000000] [--small 10000] [--skip-send]

Pass/fail: the ratio big/small of each peak must stay under ``--max-ratio`` (default 1.5),
and every command must end with exit code 0 or 1.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from preflight.sink import Sink

PREFLIGHT = [sys.executable, "-m", "preflight"]
FIRST = ["Anna", "Li", "Wei", "Carlos", "Fatima", "Yuki", "Olga", "Ahmed", "Maria", "Jonas"]
COMPANIES = ["Nordlicht Handel GmbH", "Holland Pipe Supply B.V.", "Rossi Impianti S.r.l."]

CAMPAIGN = """\
[campaign]
name = "large-input-bench"
template = "first-contact"
recipients = "{recipients}"
domain_cap = false

[[mailbox]]
from = "Li Wei <li.wei@brightline.example>"
host = "127.0.0.1"
port = {port}
security = "none"
warmup = "standard"
warmup_start = 2026-01-05
# Any day, any hour, no pause between messages: the run must not wait for a window.
send_days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
send_hours = "00:00-24:00"
timezone = "UTC"
delay_seconds = [0, 0]
"""


def write_list(path: Path, rows: int, seed: int = 11) -> None:
    """A realistic list: unique addresses over many domains, names and companies."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("email,first_name,company\n")
        for i in range(rows):
            first = rng.choice(FIRST)
            out.write(f"{first.lower()}.{i}@company{i % 5000}.example,{first},")
            out.write(f'"{rng.choice(COMPANIES)}"\n')


def _tree_rss_kb(root: int) -> int:
    """Resident memory of ``root`` and all its descendants, in kB (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        children.setdefault(int(fields[1]), []).append(pid)  # field 4: ppid
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024  # field 24: rss pages
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


@dataclass
class Run:
    label: str
    seconds: float
    tree_peak_mb: float  # sampled peak of the whole process tree
    max_process_mb: float  # kernel ru_maxrss of the largest process (exact)
    returncode: int
    tail: str


def measure(label: str, command: list[str], env: dict[str, str]) -> Run:
    # A fresh wrapper per command: RUSAGE_CHILDREN is a high-water mark over all children
    # ever waited for, so it must not mix runs.
    wrapper = (
        "import resource, subprocess, sys\n"
        "code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)\n"
    )
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", wrapper, *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            # The wrapper itself is small and constant; count only what it runs.
            peak = max(peak, _tree_rss_kb(process.pid) - _self_rss_kb(process.pid))
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    stop.set()
    sampler.join()
    seconds = time.perf_counter() - start
    maxrss_kb, code = (int(x) for x in out.split()[-2:])
    return Run(label, seconds, peak / 1024, maxrss_kb / 1024, code, err.strip()[-300:])


def _self_rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024


def run_size(folder: Path, rows: int, send: bool, sink_port: int) -> list[Run]:
    recipients = folder / f"list-{rows}.csv"
    started = time.perf_counter()
    write_list(recipients, rows)
    size_mb = recipients.stat().st_size / 2**20
    print(f"  wrote {rows:,} rows ({size_mb:.1f} MB) in {time.perf_counter() - started:.1f} s")
    env = dict(os.environ)
    env["PREFLIGHT_LEDGER"] = str(folder / f"ledger-{rows}.sqlite3")
    env.pop("PREFLIGHT_NAMESERVER", None)
    runs = [measure(f"check {rows:,}", [*PREFLIGHT, "check", str(recipients)], env)]
    if send:
        campaign = folder / f"campaign-{rows}.toml"
        campaign.write_text(
            CAMPAIGN.format(recipients=recipients.name, port=sink_port), encoding="utf-8"
        )
        send = [*PREFLIGHT, "send", str(campaign), "--limit", "10", "--yes", "--offline"]
        dry = ["--ledger", str(folder / f"dry-ledger-{rows}.sqlite3")]
        dry += ["--dry-run", str(folder / f"dry-{rows}")]
        runs.append(measure(f"send --dry-run {rows:,}", [*send, *dry], env))
        real = ["--ledger", str(folder / f"send-ledger-{rows}.sqlite3")]
        runs.append(measure(f"send {rows:,}", [*send, *real], env))
    for run in runs:
        status = "" if run.returncode in (0, 1) else f"  EXIT {run.returncode}: {run.tail}"
        print(
            f"  {run.label:<28} {run.seconds:7.1f} s   tree peak {run.tree_peak_mb:7.1f} MB"
            f"   largest process {run.max_process_mb:7.1f} MB{status}"
        )
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--skip-send", action="store_true", help="Measure check only.")
    parser.add_argument("--max-ratio", type=float, default=1.5)
    args = parser.parse_args()
    send = not args.skip_send
    with tempfile.TemporaryDirectory(prefix="preflight-large-") as tmp, Sink().in_thread() as sink:
        folder = Path(tmp)
        print(f"peer: {args.small:,} rows")
        small = run_size(folder, args.small, send, sink.port)
        print(f"subject: {args.rows:,} rows")
        big = run_size(folder, args.rows, send, sink.port)
        accepted = len(sink.received)
    if send:
        print(f"the sink accepted {accepted} messages (10 per real send expected)")
        if accepted != 20:
            print("FAIL: the real sends did not deliver 10 messages each")
    print()
    print(f"{'command':<16} {'peak small':>11} {'peak big':>10} {'ratio':>6}   (tree / process)")
    ok = not send or accepted == 20
    for s, b in zip(small, big, strict=True):
        name = s.label.rsplit(" ", 1)[0]
        tree = b.tree_peak_mb / s.tree_peak_mb
        proc = b.max_process_mb / s.max_process_mb
        failed = b.returncode not in (0, 1) or s.returncode not in (0, 1)
        grew = max(tree, proc) > args.max_ratio
        verdict = "FAIL (exit)" if failed else ("FAIL" if grew else "ok")
        ok = ok and verdict == "ok"
        print(
            f"{name:<16} {s.tree_peak_mb:7.1f} MB {b.tree_peak_mb:7.1f} MB {tree:6.2f}   "
            f"process {s.max_process_mb:.1f} -> {b.max_process_mb:.1f} MB ({proc:.2f})  "
            f"time {s.seconds:.1f} -> {b.seconds:.1f} s  {verdict}"
        )
    if not send:
        print("send --dry-run, send: not measured (--skip-send)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
