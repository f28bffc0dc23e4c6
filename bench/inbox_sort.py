"""The inbox sorter on the labeled set, against its peers in the same run.

Prints, per message: the stdlib's own parse (``email.message_from_bytes``, the floor any
reader pays), the bounce classifier alone (what ``bounces import`` runs on every message),
the whole sorter, and the return-date reading (dateparser) of the out-of-office messages,
each as a ratio to the stdlib parse; plus dateparser's import time (paid once per process,
only when an out-of-office names a date). The figures vary with load: say so when you quote
them.

    .venv/bin/python bench/inbox_sort.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import email
import email.policy
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def per_message(work: Callable[[], object], count: int, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return statistics.median(times) / count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    import_cost = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import dateparser.search"],
        capture_output=True, text=True, check=True,
    ).stderr.splitlines()[-1]  # fmt: skip
    from inbox.helpers import LABELED, labels, record_sent

    from preflight.bounces.reader import classify_message
    from preflight.inbox.importer import LedgerCorrespondence
    from preflight.inbox.message import read_inbox_message
    from preflight.inbox.returns import return_date
    from preflight.inbox.sorters import sort_message
    from preflight.ledger import Ledger

    every = labels()
    data = [(LABELED / label.file).read_bytes() for label in every]
    away = [read_inbox_message(d) for d, label in zip(data, every, strict=True)
            if label.kind == "autoreply"]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp, Ledger(Path(tmp) / "l.db") as ledger:
        record_sent(ledger)
        known = LedgerCorrespondence(ledger)
        return_date("back on 4 January", None)  # warm dateparser up: its first call loads data
        stdlib = per_message(
            lambda: [email.message_from_bytes(d, policy=email.policy.default) for d in data],
            len(data), repeat,
        )  # fmt: skip
        bounce = per_message(lambda: [classify_message(d) for d in data], len(data), repeat)
        whole = per_message(
            lambda: [sort_message(read_inbox_message(d), d, known) for d in data],
            len(data), repeat,
        )  # fmt: skip
        dates = per_message(lambda: [return_date(m.own_words, m.date) for m in away],
                            len(away), repeat)  # fmt: skip
    print(f"{len(data)} messages, median of {repeat} runs, per message:")
    print(f"  stdlib parse (the peer)      {stdlib * 1e3:7.2f} ms   1.0x")
    print(f"  bounce classifier alone      {bounce * 1e3:7.2f} ms   {bounce / stdlib:.1f}x")
    print(f"  whole sorter                 {whole * 1e3:7.2f} ms   {whole / stdlib:.1f}x")
    print(f"  return date (dateparser), per out-of-office "
          f"{dates * 1e3:7.2f} ms   {dates / stdlib:.1f}x")  # fmt: skip
    print(f"  dateparser import: {import_cost.strip()}")


if __name__ == "__main__":
    main()
