"""Where the ledger lives: a SQLite file (one person) or a PostgreSQL URL (a team).

The choice comes from ``--ledger``, else ``$PREFLIGHT_LEDGER``, else ``[ledger] url`` in the
configuration file (``preflight.toml``), else the per-user file. A URL is only ever shown
through :func:`redact`, so a password written into it never reaches output or errors.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import platformdirs

from preflight.config_file import find_config
from preflight.errors import ConfigError, UsageError

SCHEMES = ("postgresql://", "postgres://")
LEDGER_KEYS = ("url",)


def is_url(location: str | Path) -> bool:
    return isinstance(location, str) and location.lower().startswith(SCHEMES)


def default_ledger_file() -> Path:
    return Path(platformdirs.user_data_dir("preflight")) / "ledger.sqlite3"


def resolve(option: str | Path | None = None, *, start: Path | None = None) -> str | Path:
    """The ledger location: a ``Path`` for SQLite, a ``str`` URL for PostgreSQL."""
    environment = os.environ.get("PREFLIGHT_LEDGER")
    if environment and "://" in environment and not is_url(environment):
        raise ConfigError(
            f"{redact(environment)}: not a ledger (a file path or postgresql://user@host/db)",
            field="PREFLIGHT_LEDGER",
        )
    for candidate in (option, environment, configured_url(start)):
        if candidate is None or str(candidate) == "":
            continue
        return str(candidate) if is_url(str(candidate)) else Path(candidate)
    return default_ledger_file()


def configured_url(start: Path | None = None) -> str | None:
    """``[ledger] url`` of the nearest configuration file, if it has one."""
    path = find_config(start)
    if path is None:
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None  # the linter reports a broken file in its own words
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("preflight", {})
    table = data.get("ledger")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError("must be a table", file=path, field="ledger")
    for key in table:
        if key not in LEDGER_KEYS:
            raise ConfigError(f"unknown key (known: {', '.join(LEDGER_KEYS)})",
                              file=path, field=f"ledger.{key}")
    url = table.get("url")
    if url is None:
        return None
    if not isinstance(url, str) or not url.strip():
        raise ConfigError("must be a non-empty string", file=path, field="ledger.url")
    if not is_url(url) and "://" in url:
        raise ConfigError(
            "must be a postgresql:// URL or a file path", file=path, field="ledger.url"
        )
    if is_url(url) and _password(url):
        # A password in a file under version control leaks; libpq reads PGPASSWORD/~/.pgpass.
        raise ConfigError(
            "must not contain a password: set PGPASSWORD or use ~/.pgpass",
            file=path,
            field="ledger.url",
        )
    return url.strip()


def _password(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.password:
        return parts.password
    return dict(parse_qsl(parts.query)).get("password")


def redact(location: str | Path) -> str:
    """The location as it may be shown: a URL without its password."""
    text = str(location)
    if "://" not in text:
        return text
    try:
        parts = urlsplit(text)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, host = netloc.rsplit("@", 1)
            netloc = userinfo.split(":", 1)[0] + "@" + host
        # Kept as written (not re-encoded), less any password parameter.
        query = "&".join(
            p for p in parts.query.split("&") if p.split("=", 1)[0].lower() != "password"
        )
        return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
    except ValueError:
        return text.split("://", 1)[0] + "://(unparsable URL)"


def secret_of(location: str | Path) -> str | None:
    """The password written into a URL (to scrub it from database messages), if any."""
    if not is_url(location):
        return None
    try:
        return _password(str(location))
    except ValueError:
        return None


def check_location(value: str) -> str:
    """Validate an ``--ledger`` value early: a path, or a URL we can read."""
    if "://" in value and not is_url(value):
        raise UsageError(
            f"{redact(value)}: not a ledger (a file path or postgresql://user@host/db)",
            field="--ledger",
        )
    return value


__all__ = [
    "check_location",
    "configured_url",
    "default_ledger_file",
    "is_url",
    "redact",
    "resolve",
    "secret_of",
]
