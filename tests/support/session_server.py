"""Start a real server for one test session with a project script, and stop exactly that one.

    @pytest.fixture(scope="session")
    def imap_server() -> Iterator[ScriptServer]:
        with ScriptServer("Dovecot IMAP", SCRIPT, directory_env="PREFLIGHT_IMAP_TEST_DIR",
                          ports={"PREFLIGHT_IMAP_TEST_IMAPS_PORT": free_port()},
                          hint="run scripts/imap-test-server.sh as root once") as server:
            yield server        # server.directory holds what the script wrote

The script is called as ``SCRIPT`` to start and ``SCRIPT stop`` to stop, with its private
directory (a fresh one under the system temp dir) and its ports in the environment, so the
session's server is independent of any other instance on the machine (a colleague's, or the
one at the script's default directory and ports). A start that fails ends the tests that need
it with one line: what went wrong (the script's last error line) and what to run.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

import pytest

# Installing a package (apt waits up to 600 s for a colleague's dpkg lock) can be slow; a
# start that takes longer than this is stuck, not slow.
START_TIMEOUT = 900.0
STOP_TIMEOUT = 60.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


class ScriptServer:
    """A server started by ``script`` in a private directory, stopped by ``script stop``."""

    def __init__(self, name: str, script: Path | Sequence[str], *, directory_env: str,
                 hint: str, ports: Mapping[str, int] | None = None,
                 env: Mapping[str, str] | None = None) -> None:
        self.name = name
        self.command = [str(script)] if isinstance(script, Path) else [str(p) for p in script]
        self.directory_env = directory_env
        self.hint = hint
        self.ports = dict(ports or {})
        self._extra_env = dict(env or {})
        self.directory: Path | None = None
        self.started = False

    def _environment(self) -> dict[str, str]:
        assert self.directory is not None
        environment = {**os.environ, **self._extra_env,
                       self.directory_env: str(self.directory)}
        environment.update({name: str(port) for name, port in self.ports.items()})
        return environment

    def _fail(self, reason: str) -> None:
        pytest.fail(f"{self.name} test server did not start: {reason}; {self.hint}",
                    pytrace=False)

    def start(self) -> ScriptServer:
        # Under the system temp dir, not pytest's 0700 basetemp: servers that drop privileges
        # (Dovecot stores mail as nobody) must be able to reach their directory.
        slug = "-".join(self.name.lower().split())
        self.directory = Path(tempfile.mkdtemp(prefix=f"preflight-{slug}-"))
        # Output to files, not pipes: a daemon inherits the script's stdout and would hold a
        # pipe open for as long as it runs.
        log = self.directory / "start.log"
        try:
            with log.open("w") as output:
                done = subprocess.run(self.command, env=self._environment(), stdout=output,
                                      stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                      timeout=START_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            self.stop()
            self._fail(str(error))
            raise  # pragma: no cover - pytest.fail raises
        if done.returncode != 0:
            reason = _last_line(log.read_text(errors="replace")) or (
                f"{self.command[0]} exited {done.returncode}")
            self.stop()
            self._fail(reason)
        self.started = True
        return self

    def stop(self) -> None:
        """Stop what ``start`` started (the script stops the server of its own directory)."""
        if self.directory is None:
            return
        try:
            subprocess.run([*self.command, "stop"], env=self._environment(),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           stdin=subprocess.DEVNULL, timeout=STOP_TIMEOUT, check=False)
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None
            self.started = False

    def __enter__(self) -> ScriptServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()
