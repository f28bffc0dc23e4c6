"""Bounce classification against sisimai 4.25 on the shared corpus, in the same run.

Runs the corpus's own evaluate.py for both tools (same files, same machine, interleaved
repeats) and prints accuracy, wall time and messages per second of each, and the ratio.
Also times the library alone (in-process, no interpreter start-up) to show how much of the
CLI's wall time is start-up.

    .venv/bin/python bench/bounce_corpus.py [--repeat 5] [--dir ../shared/corpora/bounces/emails]

Needs Debian's libsisimai-perl (apt-get install libsisimai-perl). Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS_HOME = ROOT / ".." / "shared" / "corpora" / "bounces"


def evaluate(command: str, corpus: Path, repeat: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "scores.json"
        done = subprocess.run(
            [sys.executable, str(CORPUS_HOME / "evaluate.py"), "--cmd", command, "--dir",
             str(corpus), "--repeat", str(repeat), "--json-out", str(out)],
            capture_output=True, text=True, check=False,
        )
        if done.returncode != 0 or not out.exists():
            sys.exit(f"evaluate.py failed for {command!r}:\n{done.stdout}\n{done.stderr}")
        return json.loads(out.read_text())  # type: ignore[no-any-return]


def in_process(corpus: Path, repeat: int) -> float:
    sys.path.insert(0, str(ROOT))
    from preflight.bounces.reader import classify_message

    data = [p.read_bytes() for p in sorted(corpus.glob("*.eml"))]
    walls = []
    for _ in range(repeat):
        start = time.perf_counter()
        for raw in data:
            classify_message(raw)
        walls.append(time.perf_counter() - start)
    return statistics.median(walls)


def split_scores(corpus: Path) -> dict[str, dict[str, float]]:
    """File-level reason/status/hard on a dev and a held-out split (crc32(name) % 4 == 0).

    Rules were tuned while looking at the dev files; a held-out figure far below the dev one
    would mean they learned the files, not the formats.
    """
    import zlib

    sys.path.insert(0, str(ROOT))
    from preflight.bounces.reader import classify_message

    counts: dict[str, dict[str, float]] = {}
    for line in (corpus / "labels.jsonl").read_text().splitlines():
        label = json.loads(line)
        first = label["records"][0]
        accepted = {a.lower() for key in ("recipient", "recipient_alt")
                    for a in ([first.get(key)] if isinstance(first.get(key), str)
                              else first.get(key) or [])}
        records = classify_message((corpus / label["file"]).read_bytes())
        chosen = next((r for r in records if (r.recipient or "") in accepted),
                      records[0] if records else None)
        split = "held-out" if zlib.crc32(label["file"].encode()) % 4 == 0 else "dev"
        row = counts.setdefault(split, {"files": 0, "reason": 0, "status": 0, "hard": 0})
        row["files"] += 1
        if chosen is not None:
            row["reason"] += chosen.reason == first["reason"]
            row["status"] += (chosen.status or "") == (first["status"] or "")
            row["hard"] += chosen.hard == bool(first["hard"])
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=CORPUS_HOME / "emails")
    args = parser.parse_args()
    if not (args.dir / "labels.jsonl").exists():
        sys.exit(f"no labeled corpus at {args.dir} (../shared must sit beside the checkout)")

    ours = (f"{shlex.quote(str(ROOT / '.venv' / 'bin' / 'preflight'))} bounces classify "
            "--format jsonl {dir}")
    sisimai = f"perl {shlex.quote(str(CORPUS_HOME / 'baselines' / 'run_sisimai4.pl'))} {{dir}}"
    results = {"preflight": evaluate(ours, args.dir, args.repeat),
               "sisimai 4.25": evaluate(sisimai, args.dir, args.repeat)}

    header = (f"{'tool':<14}{'reason':>8}{'status':>8}{'hard':>8}{'rcpt R':>8}{'rcpt P':>8}"
              f"{'wall s':>9}{'msg/s':>8}")
    print(f"{args.dir}  ({args.repeat} runs each, median wall time)")
    print(header)
    for name, r in results.items():
        fl = r["file_level"]
        rc = r["recipients"] or {}
        print(f"{name:<14}{100 * fl['reason']:>8.1f}{100 * fl['status']:>8.1f}"  # type: ignore[index]
              f"{100 * fl['hard']:>8.1f}{100 * rc.get('recall', 0):>8.1f}"  # type: ignore[index]
              f"{100 * rc.get('precision', 0):>8.1f}{r['wall_median_s']:>9.3f}"
              f"{r['messages_per_s']:>8.0f}")
    ratio = results["sisimai 4.25"]["wall_median_s"] / results["preflight"]["wall_median_s"]  # type: ignore[operator]
    print(f"preflight is {ratio:.2f}x the speed of sisimai 4.25 (wall time, CLI, same run)")
    library = in_process(args.dir, args.repeat)
    files = results["preflight"]["files"]
    print(f"library alone (in-process, no start-up): {library:.3f} s, "
          f"{files / library:.0f} msg/s")  # type: ignore[operator]
    for split, row in sorted(split_scores(args.dir).items()):
        n = row["files"]
        print(f"{split:<9} {int(n):>4} files  reason {100 * row['reason'] / n:5.1f}  "
              f"status {100 * row['status'] / n:5.1f}  hard {100 * row['hard'] / n:5.1f}")


if __name__ == "__main__":
    main()
