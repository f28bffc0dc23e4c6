"""Each atheris fuzz target runs briefly on every test run; a crash or a hang fails the test.

The four targets run at once in child processes, each for at most ``SECONDS`` of fuzzing
(total fuzzing under a minute), seeded from real messages in ../shared/corpora and the shipped
templates, with a fixed libFuzzer seed. A failure prints the input that crashed, which is also
kept as a libFuzzer artifact in the test's temporary folder: reproduce it with
``python tests/fuzz/run_target.py NAME ARTIFACT``. Longer runs by hand:
``python tests/fuzz/run_target.py bounce -max_total_time=3600 CORPUS_DIR``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hostile.helpers import shared_dir

from fuzz.targets import TARGETS

ROOT = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).with_name("run_target.py")
SECONDS = 12  # per target; the four run in parallel
SEEDS_PER_SOURCE = 40


def _seeds(name: str, folder: Path) -> None:
    shared = shared_dir()
    if name == "template":
        sources = sorted((ROOT / "templates").glob("*.j2"))
        assert sources, "no shipped templates to seed the template fuzzer"
        for path in sources:
            # The first line is the row; "Anna" for every variable.
            (folder / path.name).write_bytes(b"Anna\n" + path.read_bytes())
        return
    corpus = (
        shared / "corpora" / "bounces" / "emails"
        if name == "bounce"
        else shared / "corpora" / "spam-draft" / "ham"
    )
    files = sorted(p for p in corpus.iterdir() if p.is_file())[:SEEDS_PER_SOURCE]
    assert files, f"no seed messages in {corpus}"
    for path in files:
        shutil.copyfile(path, folder / path.name)


@pytest.fixture(scope="module")
def fuzz_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str, Path]]:
    runs: dict[str, tuple[subprocess.Popen[str], Path]] = {}
    for name in TARGETS:
        work = tmp_path_factory.mktemp(f"fuzz-{name}")
        corpus = work / "corpus"
        corpus.mkdir()
        _seeds(name, corpus)
        command = [
            sys.executable,
            str(RUNNER),
            name,
            f"-max_total_time={SECONDS}",
            "-seed=20261122",
            "-timeout=10",  # seconds per input: more is a run-away
            "-rss_limit_mb=2048",
            "-max_len=65536",
            f"-artifact_prefix={work}/",
            "-print_final_stats=1",
            str(corpus),
        ]
        runs[name] = (
            subprocess.Popen(
                command, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            ),
            work,
        )
    results = {}
    for name, (process, work) in runs.items():
        output, _ = process.communicate(timeout=SECONDS * 4 + 60)
        results[name] = (process.returncode, output, work)
    return results


@pytest.mark.parametrize("name", list(TARGETS))
def test_fuzz_target_finds_no_crash(name: str, fuzz_runs: dict[str, tuple[int, str, Path]]) -> None:
    code, output, work = fuzz_runs[name]
    artifacts = sorted(work.glob("crash-*")) + sorted(work.glob("timeout-*"))
    artifacts += sorted(work.glob("oom-*"))
    found = [f"{p.name}: {p.read_bytes()[:400]!r}" for p in artifacts]
    report = "\n".join(line for line in output.splitlines() if "Instrumenting" not in line)
    assert code == 0 and not found, f"{name}: {found}\n{report[-3000:]}"
    # The run really fuzzed: libFuzzer reports how many inputs it executed.
    runs = [
        int(line.split()[-1])
        for line in output.splitlines()
        if "stat::number_of_executed_units" in line
    ]
    assert runs and runs[0] > 100, report[-2000:]
