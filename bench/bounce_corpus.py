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
import os
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


def cpu_seconds(command: str, corpus: Path) -> float:
    """User + system CPU seconds of one run of ``command`` (and its children) on the corpus.

    On a loaded shared machine wall time mostly measures the queue for a core; CPU time
    measures the work each tool does, and is the steadier ratio.
    """
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command.replace("{dir}", shlex.quote(str(corpus))), shell=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


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


def split_dirs(corpus: Path, tmp: Path) -> dict[str, Path]:
    """The corpus split in two folders of links: ``held-out`` (sha256(file name)[0] % 4 == 0,
    fixed before any result was looked at, never looked at while working) and ``dev``."""
    import hashlib

    lines: dict[str, list[str]] = {"dev": [], "held-out": []}
    for line in (corpus / "labels.jsonl").read_text().splitlines():
        name = json.loads(line)["file"]
        split = "held-out" if hashlib.sha256(name.encode()).digest()[0] % 4 == 0 else "dev"
        lines[split].append(line)
        folder = tmp / split
        folder.mkdir(exist_ok=True)
        (folder / name).symlink_to((corpus / name).resolve())
    for split, rows in lines.items():
        (tmp / split / "labels.jsonl").write_text("\n".join(rows) + "\n")
    return {split: tmp / split for split in lines}


def _row(name: str, r: dict[str, object]) -> str:
    fl = r["file_level"]
    rc = r["recipients"] or {}
    return (f"{name:<14}{100 * fl['reason']:>8.1f}{100 * fl['status']:>8.1f}"  # type: ignore[index]
            f"{100 * fl['hard']:>8.1f}{100 * rc.get('recall', 0):>8.1f}"  # type: ignore[union-attr]
            f"{100 * rc.get('precision', 0):>8.1f}{r['wall_median_s']:>9.3f}"  # type: ignore[union-attr]
            f"{r['messages_per_s']:>8.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=CORPUS_HOME / "emails")
    args = parser.parse_args()
    if not (args.dir / "labels.jsonl").exists():
        sys.exit(f"no labeled corpus at {args.dir} (../shared must sit beside the checkout)")

    # Byte-compile first, as `pip install` does: with PYTHONDONTWRITEBYTECODE set (as on the
    # team's machines) every run would otherwise recompile every module it imports.
    import compileall

    compileall.compile_dir(str(ROOT / "preflight"), quiet=1)
    ours = (f"{shlex.quote(str(ROOT / '.venv' / 'bin' / 'preflight'))} bounces classify "
            "--format jsonl {dir}")
    sisimai = f"perl {shlex.quote(str(CORPUS_HOME / 'baselines' / 'run_sisimai4.pl'))} {{dir}}"
    # Interleaved: one run of each tool in turn, so a change in the shared machine's load
    # hits both alike; the median of each tool's runs is reported.
    commands = {"preflight": ours, "sisimai 4.25": sisimai}
    runs: dict[str, list[dict[str, object]]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.repeat):
        for name, command in commands.items():
            runs[name].append(evaluate(command, args.dir, 1))
            cpu[name].append(cpu_seconds(command, args.dir))
    results = {}
    for name, rows in runs.items():
        wall = statistics.median(float(r["wall_median_s"]) for r in rows)  # type: ignore[arg-type]
        results[name] = {**rows[0], "wall_median_s": wall,
                         "messages_per_s": float(rows[0]["files"]) / wall}  # type: ignore[arg-type]
    ratios = sorted(float(b["wall_median_s"]) / float(a["wall_median_s"])  # type: ignore[arg-type]
                    for a, b in zip(runs["preflight"], runs["sisimai 4.25"], strict=True))

    header = (f"{'tool':<14}{'reason':>8}{'status':>8}{'hard':>8}{'rcpt R':>8}{'rcpt P':>8}"
              f"{'wall s':>9}{'msg/s':>8}")
    load = os.getloadavg()
    print(f"{args.dir}  ({args.repeat} runs each, median wall time; "
          f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores)")
    print(header)
    for name, r in results.items():
        print(_row(name, r))
    ratio = results["sisimai 4.25"]["wall_median_s"] / results["preflight"]["wall_median_s"]  # type: ignore[operator]
    print(f"preflight is {ratio:.2f}x the speed of sisimai 4.25 (wall time, CLI, same run; "
          f"per-pair ratios {ratios[0]:.2f}-{ratios[-1]:.2f})")
    ours_cpu, theirs_cpu = (statistics.median(cpu[name]) for name in commands)
    print(f"CPU time (user+sys, median): preflight {ours_cpu:.3f} s, sisimai {theirs_cpu:.3f} s: "
          f"{theirs_cpu / ours_cpu:.2f}x")
    library = in_process(args.dir, args.repeat)
    files = results["preflight"]["files"]
    print(f"library alone (in-process, no start-up): {library:.3f} s, "
          f"{files / library:.0f} msg/s")  # type: ignore[operator]
    print("preflight on the two splits (file-level; recipients per record):")
    print(header)
    with tempfile.TemporaryDirectory() as tmp:
        for split, folder in split_dirs(args.dir, Path(tmp)).items():
            print(_row(split, evaluate(ours, folder, 1)))


if __name__ == "__main__":
    main()
