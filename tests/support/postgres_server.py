"""A throw-away PostgreSQL server on 127.0.0.1 for the tests, started and stopped by us.

``PREFLIGHT_TEST_POSTGRES=postgresql://user@host:port/db`` uses a server that is already
running instead (its password from PGPASSWORD or ~/.pgpass). Otherwise the binaries are
found (``PG_BINDIR``, ``/usr/lib/postgresql/N/bin``, ``pg_config``), installed from Debian
as root when missing, and a cluster is made in a temporary folder: password authentication
over TCP, no durability (``fsync=off``: a test server loses nothing worth keeping), its own
socket folder and a free port. PostgreSQL refuses to run as root, so as root the server
runs as the ``postgres`` system user (created when missing). :meth:`stop` stops exactly
the cluster :meth:`start` made and removes its folder.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ENV_URL = "PREFLIGHT_TEST_POSTGRES"
SUPERUSER = "preflight"
APT_INSTALL = ["apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", "postgresql"]


class ServerUnavailable(RuntimeError):
    """No PostgreSQL can be started here; the message is one line saying why."""


def _version_key(path: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path)) or (0,)


def find_bindir() -> Path | None:
    override = os.environ.get("PG_BINDIR")
    if override:
        return Path(override) if (Path(override) / "initdb").is_file() else None
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version_key)
    if found:
        return Path(found[-1]).parent
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        candidate = Path(out.stdout.strip())
        if (candidate / "initdb").is_file():
            return candidate
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def ensure_bindir() -> Path:
    bindir = find_bindir()
    if bindir is not None:
        return bindir
    if os.geteuid() != 0:
        raise ServerUnavailable(
            "PostgreSQL is not installed (no initdb found): install Debian's `postgresql`"
            f" package, set PG_BINDIR, or point {ENV_URL} at a running server"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    update = subprocess.run(
        ["apt-get", "-o", "DPkg::Lock::Timeout=600", "update"],
        capture_output=True, text=True, env=env,
    )
    install = subprocess.run(APT_INSTALL, capture_output=True, text=True, env=env)
    bindir = find_bindir()
    if bindir is None:
        tail = (install.stderr or update.stderr).strip().splitlines()[-1:] or ["no output"]
        raise ServerUnavailable(f"installing PostgreSQL failed: {' '.join(APT_INSTALL)}: {tail[0]}")
    return bindir


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _service_user() -> pwd.struct_passwd | None:
    """The unprivileged user to run as when we are root; None when we are not root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin",
             "postgres"],
            check=True, capture_output=True,
        )
        return pwd.getpwnam("postgres")


@dataclass
class PostgresServer:
    """One cluster of our own (or the server named by ``PREFLIGHT_TEST_POSTGRES``)."""

    url: str = ""  # without password; the password is in ``password`` / PGPASSWORD
    password: str = ""
    port: int = 0
    folder: Path | None = None
    bindir: Path | None = None
    # Benchmarks want PostgreSQL as a team would run it (fsync on); tests do not.
    durable: bool = False
    _user: pwd.struct_passwd | None = field(default=None, repr=False)

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        assert self.folder is not None
        kwargs: dict[str, object] = {}
        if self._user is not None:
            kwargs = {"user": self._user.pw_uid, "group": self._user.pw_gid, "extra_groups": []}
        return subprocess.run(
            list(args), capture_output=True, text=True, cwd=self.folder,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"},
            timeout=120, **kwargs,  # type: ignore[arg-type]
        )

    def start(self) -> PostgresServer:
        existing = os.environ.get(ENV_URL)
        if existing:
            self.url = existing
            self.password = os.environ.get("PGPASSWORD", "")
            return self
        self.bindir = ensure_bindir()
        self._user = _service_user()
        self.folder = Path(tempfile.mkdtemp(prefix="preflight-pg-"))
        if self._user is not None:
            os.chown(self.folder, self._user.pw_uid, self._user.pw_gid)
        self.password = secrets.token_urlsafe(18)
        pwfile = self.folder / "pwfile"
        pwfile.write_text(self.password + "\n", encoding="utf-8")
        pwfile.chmod(0o600)
        if self._user is not None:
            os.chown(pwfile, self._user.pw_uid, self._user.pw_gid)
        init = self._run(
            str(self.bindir / "initdb"), "-D", str(self.folder / "data"), "-U", SUPERUSER,
            "-E", "UTF8", "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256",
            f"--pwfile={pwfile}", "--no-sync",
        )
        pwfile.unlink()
        if init.returncode != 0:
            self._cleanup()
            raise ServerUnavailable(f"initdb failed: {_last_line(init)}")
        for _ in range(5):
            self.port = _free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -c port={self.port}"
                f" -c unix_socket_directories={self.folder} -c max_connections=200"
            )
            if not self.durable:
                options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            started = self._run(
                str(self.bindir / "pg_ctl"), "-D", str(self.folder / "data"), "-l",
                str(self.folder / "server.log"), "-o", options, "-w", "-t", "60", "start",
            )
            if started.returncode == 0:
                break
        else:
            log = self.folder / "server.log"
            detail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() \
                else [_last_line(started)]
            self._cleanup()
            raise ServerUnavailable(f"PostgreSQL did not start: {detail[0] if detail else ''}")
        self.url = f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres"
        return self

    def stop(self) -> None:
        if self.folder is None:
            return
        if self.bindir is not None and (self.folder / "data" / "postmaster.pid").exists():
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.folder / "data"),
                      "-m", "immediate", "-w", "-t", "60", "stop")
        self._cleanup()

    def _cleanup(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


def _last_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = (result.stderr or result.stdout).strip().splitlines()
    return lines[-1] if lines else f"exit code {result.returncode}"


def with_schema(url: str, schema: str) -> str:
    """``url`` whose sessions use ``schema``: each test gets its own, in one database."""
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options=-csearch_path%3D{schema}"


@contextlib.contextmanager
def running_server() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


__all__ = ["ENV_URL", "PostgresServer", "ServerUnavailable", "running_server", "with_schema"]
