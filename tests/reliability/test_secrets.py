"""The mailbox password never leaves the environment variable it is read from.

A campaign authenticates against a loopback sink with a known password, through real
``preflight`` processes: a dry run, a send, a status, a plan, and a send with a wrong
password. The password (and the base64 forms AUTH sends on the wire) appears nowhere in
their stdout or stderr, in the messages sent, or in any file the runs wrote: the ledger
(.sqlite3, -wal and -shm bytes, read after every run), the dry-run .eml files, and every
file under the per-user folders (pointed into the test's folder).
"""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
from pathlib import Path

from send.helpers import FAST_PLAN, TEMPLATE, mailbox_toml, sample_rows, write_recipients

from preflight.sink import Sink
from reliability.processes import preflight_command

BOX = "li.wei@brightline.example"
USER = "li.wei"
VARIABLE = "PREFLIGHT_TEST_SMTP_PASSWORD"


def forms(password: str) -> list[bytes]:
    """The password as text and as AUTH PLAIN / LOGIN put it on the wire."""
    plain = f"\0{USER}\0{password}".encode()
    return [
        password.encode(),
        password.encode("utf-16-le"),
        base64.b64encode(password.encode()),
        base64.b64encode(plain),
    ]


def leaks(data: bytes, password: str) -> list[bytes]:
    return [form for form in forms(password) if form in data]


def scan_files(root: Path, password: str) -> list[str]:
    found = []
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            if leaks(path.read_bytes(), password):
                found.append(str(path))
    return found


def test_password_appears_in_no_output_ledger_log_or_message(tmp_path: Path) -> None:
    password = "Pw-" + secrets.token_hex(12)
    wrong = "Wrong-" + secrets.token_hex(12)
    home = tmp_path / "home"
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "PREFLIGHT_LEDGER": "",
        VARIABLE: password,
    }
    env.pop("PREFLIGHT_LEDGER")
    (tmp_path / "fast.toml").write_text(FAST_PLAN, encoding="utf-8")
    (tmp_path / "t.j2").write_text(TEMPLATE, encoding="utf-8")
    write_recipients(tmp_path / "r.csv", sample_rows(5))
    extra = f'username = "{USER}"\npassword_env = "{VARIABLE}"\nallow_plaintext_auth = true\n'
    outputs: list[tuple[str, str, str]] = []

    def run(*args: str, password_value: str = password) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            preflight_command(*args),
            cwd=tmp_path,
            env={**env, VARIABLE: password_value},
            capture_output=True,
            text=True,
            timeout=60,
        )
        outputs.append((" ".join(args), done.stdout, done.stderr))
        # The ledger as this run left it, -wal and -shm included.
        assert scan_files(tmp_path, password) == [], f"after {args}"
        return done

    with Sink(auth=(USER, password)).in_thread() as sink:
        (tmp_path / "campaign.toml").write_text(
            '[campaign]\nname = "secret"\ntemplate = "t.j2"\nrecipients = "r.csv"\n'
            + mailbox_toml(BOX, sink.port, extra=extra),
            encoding="utf-8",
        )
        ledger = ["--ledger", "ledger.sqlite3"]
        assert run("send", "campaign.toml", *ledger, "--dry-run", "out").returncode == 0
        assert len(list((tmp_path / "out").glob("*.eml"))) == 5
        assert run("plan", "campaign.toml", *ledger).returncode == 0
        failed = run("send", "campaign.toml", *ledger, "--yes", "--offline", password_value=wrong)
        assert failed.returncode == 1 and "535" in failed.stderr
        assert failed.stderr.count("\n") == 1 and "Traceback" not in failed.stderr
        assert wrong not in failed.stdout + failed.stderr
        sent = run("send", "campaign.toml", *ledger, "--yes", "--offline", "--unpause")
        assert sent.returncode == 0, sent.stderr
        assert run("status", "campaign.toml", *ledger).returncode == 0
        assert len(sink.received) == 5
        assert (USER, True) in sink.logins and (USER, False) in sink.logins
        for item in sink.received:
            assert leaks(item.data, password) == []
    assert (tmp_path / "ledger.sqlite3").is_file()
    for command, out, err in outputs:
        for text in (out, err):
            assert leaks(text.encode(), password) == [], command
            assert leaks(text.encode(), wrong) == [], command
    assert scan_files(tmp_path, wrong) == []
