"""The real Dovecot IMAP server of the bounce tests, started once per test session.

scripts/imap-test-server.sh installs Dovecot (as root, from Debian's packages) when it is
missing and runs it on the free ports and in the private directory given here; the fixture
stops that instance at the end. Any other Dovecot on the machine (the script's default one at
/tmp/preflight-imap-test on 10993/10143) is left alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.session_server import ScriptServer, free_port

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "imap-test-server.sh"
HINT = ("run `sudo scripts/imap-test-server.sh` once (it installs dovecot-imapd) "
        "or `sudo apt-get install dovecot-imapd`, then re-run the tests")


def dovecot_server() -> ScriptServer:
    return ScriptServer("Dovecot IMAP", ["bash", str(SCRIPT)],
                        directory_env="PREFLIGHT_IMAP_TEST_DIR", hint=HINT,
                        ports={"PREFLIGHT_IMAP_TEST_IMAPS_PORT": free_port(),
                               "PREFLIGHT_IMAP_TEST_IMAP_PORT": free_port()})


@pytest.fixture(scope="session")
def imap_server() -> Iterator[dict[str, object]]:
    """host, imaps_port, imap_port, user, password and cafile of this session's Dovecot."""
    with dovecot_server() as server:
        assert server.directory is not None
        config: dict[str, object] = json.loads((server.directory / "server.json").read_text())
        config["password"] = Path(str(config["password_file"])).read_text().strip()
        yield config
