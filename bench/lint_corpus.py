"""Score the draft view of the shared spam/ham corpus with `preflight lint`, beside SpamAssassin.

Runs ``../shared/corpora/spam/evaluate.py`` (blind copies, one batch command) on
``../shared/corpora/spam-draft`` with ``preflight lint --exit-zero --format jsonl {dir}`` and
prints ROC AUC, precision, recall and false-positive rate at the threshold, and messages per
second. When SpamAssassin is installed (``apt-get install -y spamassassin``) it scans a seeded
sample of the same corpus through ``peers/sa_scan.pl`` in the same run (local tests only, no
Bayes) and prints the speed ratio. Everything stays on this machine.

    .venv/bin/python bench/lint_corpus.py            # whole corpus, SpamAssassin on 300 messages
    .venv/bin/python bench/lint_corpus.py --split test   # the half the points were not tuned on
    .venv/bin/python bench/lint_corpus.py --sa-sample 0   # skip SpamAssassin

``--split tune|test`` scores one half of the corpus, chosen by the first byte of the SHA-1 of
each file name (even: tune, odd: test). Points were set looking at the tune half only; the
test half is the held-out figure. It also prints what language identification costs.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared"
SPAM = SHARED / "corpora" / "spam"
DRAFTS = SHARED / "corpora" / "spam-draft"
TIME = "/usr/bin/time"  # GNU time: CPU seconds of the measured command alone


def split_of(name: str) -> str:
    """The half of the corpus a file belongs to: "tune" or "test" (fixed by its name)."""
    return "tune" if hashlib.sha1(name.encode()).digest()[0] % 2 == 0 else "test"


def split_corpus(split: str) -> Path:
    """A folder with the labels and links to the messages of one half of the corpus."""
    folder = Path(tempfile.mkdtemp(prefix=f"lint-corpus-{split}-"))
    with (DRAFTS / "labels.csv").open(newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if split_of(Path(r["file"]).name) == split]
    with (folder / "labels.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["file", "label", "source"])
        writer.writeheader()
        writer.writerows(rows)
    for row in rows:
        target = folder / row["file"]
        target.parent.mkdir(parents=True, exist_ok=True)
        os.symlink((DRAFTS / row["file"]).resolve(), target)
    return folder


def language_cost(corpus: Path, sample: int = 300) -> str:
    """What identifying each part's language costs, measured in this process."""
    import time

    from preflight.draft import read_draft
    from preflight.lint import language

    paths = sorted(corpus.rglob("*.eml"))[:sample]
    started = time.process_time()
    language._identifier()
    load = time.process_time() - started
    bodies = [read_draft(p).body for p in paths]
    started = time.process_time()
    for body in bodies:
        language.identify.__wrapped__(body)
    per_part = (time.process_time() - started) / max(len(bodies), 1)
    return (
        f"language identification (py3langid): model load {load:.2f} s CPU once per process, "
        f"{per_part * 1000:.2f} ms CPU per part over {len(bodies)} parts"
    )


def evaluate(batch_cmd: str, *, threshold: float, limit: int = 0, corpus: Path = DRAFTS) -> dict:
    """Run evaluate.py with ``--json`` and return its result object.

    When ``/usr/bin/time`` exists the command runs under it and the result gains ``cpu_s``:
    the CPU seconds of the scorer alone. Unlike wall time it does not grow when other work
    shares the machine, so it is a second, steadier speed figure.
    """
    cpu_file = None
    if Path(TIME).exists():
        cpu_file = Path(tempfile.mkstemp(prefix="bench-cpu-")[1])
        batch_cmd = f"{TIME} -o {cpu_file} -f '%U %S' {batch_cmd}"
    cmd = [
        sys.executable,
        str(SPAM / "evaluate.py"),
        "--corpus",
        str(corpus),
        "--batch-cmd",
        batch_cmd,
        "--threshold",
        str(threshold),
        "--json",
    ]
    if limit:
        cmd += ["--limit", str(limit)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"evaluate.py failed ({done.returncode}): {done.stderr.strip()[-800:]}")
    result = json.loads(done.stdout)
    if cpu_file is not None:
        user, system = cpu_file.read_text().split()[-2:]
        result["cpu_s"] = float(user) + float(system)
        cpu_file.unlink()
    return result


def sa_site_dir() -> Path:
    """A copy of /etc/spamassassin with the benchmark settings (no Bayes, no network)."""
    site = Path(tempfile.mkdtemp(prefix="sa-site-"))
    shutil.copytree("/etc/spamassassin", site, dirs_exist_ok=True)
    shutil.copy(SPAM / "peers" / "sa-benchmark.cf", site / "99_benchmark.cf")
    return site


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=5.0)
    parser.add_argument(
        "--sa-sample",
        type=int,
        default=300,
        help="messages SpamAssassin scans for the speed ratio (0: skip)",
    )
    parser.add_argument(
        "--preflight",
        default=str(ROOT / ".venv" / "bin" / "preflight"),
        help="the preflight executable to measure",
    )
    parser.add_argument(
        "--split",
        choices=("all", "tune", "test"),
        default="all",
        help="score one half of the corpus (test: the half the points were not tuned on)",
    )
    args = parser.parse_args()
    if not DRAFTS.is_dir():
        raise SystemExit(
            f"the shared corpus is missing: {DRAFTS.resolve()} (expected ../shared "
            "beside the project)"
        )

    corpus = DRAFTS if args.split == "all" else split_corpus(args.split)
    print(f"machine load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    ours = evaluate(
        f"{args.preflight} lint --exit-zero --format jsonl {{dir}}",
        threshold=args.threshold,
        corpus=corpus,
    )
    print(
        f"preflight lint on {DRAFTS.name} ({args.split}): "
        f"{ours['n_scored']}/{ours['n_labelled']} scored"
    )
    print(f"  ROC AUC   {ours['roc_auc']:.4f}")
    print(
        f"  threshold {ours['threshold']}: precision {ours['precision']:.4f}  "
        f"recall {ours['recall']:.4f}  false-positive rate {ours['false_positive_rate']:.4f}"
        f"  (TP {ours['tp']} FP {ours['fp']} TN {ours['tn']} FN {ours['fn']})"
    )
    for source, row in ours["per_source"].items():
        print(f"  {source:32} n={row['n']:4}  flagged {row['flagged_rate']:.3f}")
    ours_rate = ours["msgs_per_s"]
    ours_cpu_rate = ours["n_scored"] / ours["cpu_s"] if "cpu_s" in ours else None
    cpu_note = f", {ours_cpu_rate:.1f} msgs/s per CPU second" if ours_cpu_rate else ""
    print(f"  speed     {ours_rate:.1f} msgs/s wall{cpu_note} (one process, start-up included)")
    print(f"  {language_cost(corpus)}")

    if args.sa_sample <= 0:
        return
    if shutil.which("spamassassin") is None:
        print("SpamAssassin is not installed (apt-get install -y spamassassin): no speed ratio")
        return
    site = sa_site_dir()
    peer = evaluate(
        f"perl {SPAM / 'peers' / 'sa_scan.pl'} {site} {{dir}}",
        threshold=args.threshold,
        limit=args.sa_sample,
        corpus=corpus,
    )
    peer_rate = peer["msgs_per_s"]
    print(
        f"SpamAssassin (sa_scan.pl, local tests, no Bayes) on a {args.sa_sample}-message "
        f"sample: {peer_rate:.1f} msgs/s, ROC AUC {peer['roc_auc']:.4f}"
    )
    print(f"speed ratio preflight / SpamAssassin: {ours_rate / peer_rate:.1f}x (wall)")
    if ours_cpu_rate and "cpu_s" in peer:
        peer_cpu_rate = peer["n_scored"] / peer["cpu_s"]
        print(
            f"  per CPU second: {ours_cpu_rate:.1f} vs {peer_cpu_rate:.1f} msgs/s, "
            f"{ours_cpu_rate / peer_cpu_rate:.1f}x (steadier when the machine is shared)"
        )
    print(f"machine load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
