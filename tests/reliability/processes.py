"""Real processes for the crash tests: a sink in its own process, and kill-and-restart loops.

Everything runs on loopback; nothing here talks to the outside world.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]


def preflight_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "preflight", *args]


@contextmanager
def sink_process(maildir: Path, *extra: str) -> Iterator[int]:
    """``python -m preflight.sink`` in another process; yields its port."""
    process = subprocess.Popen(
        [sys.executable, "-m", "preflight.sink", "--maildir", str(maildir), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=PROJECT,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("port "), f"the sink did not start: {line!r}"
        yield int(line.split()[1])
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class KillLog:
    """What a kill-and-restart loop did, for the assertions and the failure messages."""

    seed: int
    kills: int = 0
    kills_mid_work: int = 0  # killed after the run had visibly made progress
    runs: int = 0
    delays: list[float] = field(default_factory=list)
    elapsed: float = 0.0

    def __str__(self) -> str:
        delays = ", ".join(f"{d:.3f}" for d in self.delays)
        return (
            f"seed {self.seed}: {self.runs} runs, {self.kills} SIGKILLs "
            f"({self.kills_mid_work} mid-work) in {self.elapsed:.1f} s; delays [{delays}]"
        )


def kill_and_restart(
    command: Sequence[str],
    *,
    cwd: Path,
    kills: int,
    seed: int,
    progress: Callable[[], int],
    delay: Callable[[random.Random, bool], float],
    env: dict[str, str] | None = None,
    deadline: float = 120.0,
    ok_codes: tuple[int, ...] = (0,),
) -> tuple[KillLog, subprocess.CompletedProcess[str]]:
    """Run ``command`` again and again, SIGKILLing it ``kills`` times at random moments, then
    once more to the end; returns the log and the final, uninterrupted run.

    ``progress()`` counts work done so far (messages stored, rows written). Every fifth run
    aims at start-up (killed ``delay(rng, False)`` seconds after the start); the others aim
    at the work itself (wait until ``progress()`` moves, then killed ``delay(rng, True)``
    seconds later). The delays come from ``random.Random(seed)``.
    """
    rng = random.Random(seed)
    log = KillLog(seed)
    started = time.monotonic()
    full_env = {**os.environ, **(env or {})}
    while log.kills < kills:
        assert time.monotonic() - started < deadline, f"too slow: {log}"
        before = progress()
        aim_at_work = log.runs % 5 != 4
        wait = delay(rng, aim_at_work)
        process = subprocess.Popen(
            command, cwd=cwd, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        log.runs += 1
        if aim_at_work:
            while process.poll() is None and progress() == before:
                time.sleep(0.002)
        time.sleep(wait)
        if process.poll() is not None:
            # It finished before the kill: the work is done (the caller checks the count).
            _, err = process.communicate()
            assert process.returncode in ok_codes, (
                f"run failed: {err.decode(errors='replace')}; {log}")
            break
        mid_work = progress() != before
        process.send_signal(signal.SIGKILL)
        process.communicate()
        log.kills += 1
        log.kills_mid_work += mid_work
        log.delays.append(wait)
    final = subprocess.run(
        command, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=deadline
    )
    log.runs += 1
    log.elapsed = time.monotonic() - started
    return log, final


def crash_seed() -> int:
    """``PREFLIGHT_CRASH_SEED`` to replay a run; otherwise a new seed each time (printed)."""
    text = os.environ.get("PREFLIGHT_CRASH_SEED")
    seed = int(text) if text else random.SystemRandom().randrange(1, 2**31)
    print(f"crash test seed: {seed} (replay with PREFLIGHT_CRASH_SEED={seed})")
    return seed
