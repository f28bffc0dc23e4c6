"""Run one fuzz target under atheris (libFuzzer): ``python tests/fuzz/run_target.py NAME ...``.

Everything after NAME goes to libFuzzer, e.g. ``-max_total_time=600 corpus/`` for a long run
by hand; tests/fuzz/test_fuzz.py runs each target briefly in CI. preflight's modules are
instrumented for coverage; the stdlib and dependencies are not.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

with atheris.instrument_imports(include=["preflight"]):
    from fuzz.targets import TARGETS


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: run_target.py {{{','.join(TARGETS)}}} [libFuzzer options]")
    target = TARGETS[sys.argv[1]]
    atheris.Setup([sys.argv[0], *sys.argv[2:]], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
