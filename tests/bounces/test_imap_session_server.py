"""The suite starts the servers it needs itself (tests/support/session_server.py)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from support.session_server import ScriptServer

from bounces.imap_server import SCRIPT, dovecot_server


def _alive(pid: int) -> bool:
    """Running, and not an exited process waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def test_a_server_that_cannot_start_is_one_line_saying_what_to_run(tmp_path: Path) -> None:
    failing = ScriptServer(
        "Example", ["bash", "-c", 'test "${1:-}" = stop || { echo "no example here" >&2; '
                    'exit 3; }', "script"],
        directory_env="EXAMPLE_DIR", hint="run `setup-example` first")
    with pytest.raises(pytest.fail.Exception) as failure:
        failing.start()
    message = str(failure.value)
    assert message == ("Example test server did not start: no example here; "
                       "run `setup-example` first")
    assert failing.directory is None


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop to an unprivileged user")
def test_without_root_and_without_dovecot_the_imap_tests_say_what_to_run() -> None:
    # An ordinary user on a machine without Dovecot: PATH without /usr/sbin hides it.
    server = dovecot_server()
    # The user owns its temporary directory, as an ordinary user's would be.
    server.command = ["bash", "-c", 'chown nobody "$PREFLIGHT_IMAP_TEST_DIR" && exec setpriv '
                      '--reuid=nobody --regid=nogroup --clear-groups bash "$0" "$@"', str(SCRIPT)]
    server._extra_env["PATH"] = "/usr/bin:/bin"
    with pytest.raises(pytest.fail.Exception) as failure:
        server.start()
    message = str(failure.value)
    assert "\n" not in message
    assert message.startswith("Dovecot IMAP test server did not start: imap-test-server: "
                              "dovecot is not installed")
    assert "sudo scripts/imap-test-server.sh" in message


def test_the_session_dovecot_is_private_and_stopped_afterwards(
    imap_server: dict[str, object],
) -> None:
    # The session's server never reuses the script's default instance and ports.
    assert {imap_server["imaps_port"], imap_server["imap_port"]}.isdisjoint({10993, 10143})
    assert not str(imap_server["cafile"]).startswith("/tmp/preflight-imap-test/")
    with dovecot_server() as server:
        assert server.directory is not None
        master = int((server.directory / "run" / "master.pid").read_text())
        assert _alive(master)
        directory = server.directory
    assert not directory.exists()
    assert not _alive(master)
    assert shutil.which("dovecot") or Path("/usr/sbin/dovecot").exists()
