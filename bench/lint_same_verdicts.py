"""Do two builds of preflight give the same lint verdicts? For speed work that must change none.

Lints the shared corpora (``spam-draft``, ``spam``, and the cold drafts that
``cold-drafts/make_cases.py`` writes) with both executables and prints, per set, how many
files differ in score or findings, the first few differences, and each build's CPU seconds
(GNU time when it is installed). Exits 1 when any file differs. Everything stays on this
machine.

    # an older build beside this one, e.g. git worktree add ../old 014f72f
    .venv/bin/python bench/lint_same_verdicts.py ../old/.venv/bin/preflight .venv/bin/preflight
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT / ".." / "shared" / "corpora"
TIME = Path("/usr/bin/time")
SHOWN = 5


def lint(executable: str, folder: Path) -> tuple[dict[str, dict], float | None]:
    """Each file's report from ``preflight lint --format jsonl``, and the CPU seconds taken."""
    command = [executable, "lint", "--exit-zero", "--format", "jsonl", str(folder)]
    cpu_file = None
    if TIME.exists():
        cpu_file = Path(tempfile.mkstemp(prefix="bench-cpu-")[1])
        command = [str(TIME), "-o", str(cpu_file), "-f", "%U %S", *command]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{executable} failed on {folder}: {done.stderr.strip()[-400:]}")
    reports = {}
    for line in done.stdout.splitlines():
        if line.strip():
            report = json.loads(line)
            reports[report["file"]] = report
    cpu = None
    if cpu_file is not None:
        cpu = sum(float(x) for x in cpu_file.read_text().split()[-2:])
        cpu_file.unlink()
    return reports, cpu


def findings(report: dict) -> set[tuple[str, str, float]]:
    return {(f["code"], f["message"], f["points"]) for f in report["findings"]}


def compare(name: str, old: dict[str, dict], new: dict[str, dict]) -> int:
    differ = [f for f in sorted(old.keys() | new.keys()) if old.get(f) != new.get(f)]
    for file in differ[:SHOWN]:
        a, b = old.get(file), new.get(file)
        if a is None or b is None:
            print(f"  {name}: {file}: only in the {'new' if a is None else 'old'} build")
            continue
        print(
            f"  {name}: {file}: score {a['score']} -> {b['score']}, "
            f"only old {sorted(findings(a) - findings(b))[:3]}, "
            f"only new {sorted(findings(b) - findings(a))[:3]}"
        )
    return len(differ)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", help="the reference build's preflight executable")
    parser.add_argument("new", help="the build under test")
    args = parser.parse_args()
    if not CORPORA.is_dir():
        raise SystemExit(f"the shared corpora are missing: {CORPORA.resolve()}")
    cold = Path(tempfile.mkdtemp(prefix="cold-drafts-"))
    subprocess.run(
        [sys.executable, str(CORPORA / "cold-drafts" / "make_cases.py"), str(cold)],
        check=True,
        capture_output=True,
    )
    sets = {
        "spam-draft": CORPORA / "spam-draft",
        "spam": CORPORA / "spam",
        "cold-drafts": cold,
    }
    total = 0
    for name, folder in sets.items():
        old, old_cpu = lint(args.old, folder)
        new, new_cpu = lint(args.new, folder)
        differ = compare(name, old, new)
        total += differ
        cpu = f", CPU {old_cpu:.2f} s -> {new_cpu:.2f} s" if old_cpu and new_cpu else ""
        print(f"{name}: {len(new)} files, {differ} differ{cpu}")
    sys.exit(1 if total else 0)


if __name__ == "__main__":
    main()
