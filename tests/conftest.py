"""Fixtures every test folder may use: the ledger on each backend the ledger runs on.

``ledger_at`` is a ledger location, once a SQLite file and once a PostgreSQL schema of its
own on the suite's server (started for the session the first time a test needs it), so a
test written against it runs on both backends.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support.postgres_server import PostgresServer, ServerUnavailable, with_schema

BACKENDS = ("sqlite", "postgresql")
_schemas = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        server = PostgresServer().start()
    except ServerUnavailable as error:
        pytest.fail(f"no PostgreSQL for the ledger tests: {error}", pytrace=False)
    with pytest.MonkeyPatch.context() as patch:
        # As a user would: libpq (and every preflight process the tests start) reads it.
        patch.setenv("PGPASSWORD", server.password)
        yield server
    server.stop()


def _fresh_schema(server: PostgresServer) -> str:
    import psycopg

    schema = f"t{os.getpid()}_{next(_schemas)}"
    with psycopg.connect(server.url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    return with_schema(server.url, schema)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A fresh, empty schema on the suite's server, as a ledger URL."""
    return _fresh_schema(postgres_server)


@pytest.fixture(params=BACKENDS)
def ledger_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def ledger_at(ledger_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """Where the test's ledger lives: a SQLite file, or a PostgreSQL URL."""
    if ledger_backend == "sqlite":
        return str(tmp_path / "ledger.sqlite3")
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def new_ledger(
    ledger_backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Callable[[str], str]:
    """Make a fresh ledger location on the test's backend each call (a file named ``name``
    in ``tmp_path``, or a schema of its own): for tests that need several ledgers."""

    def make(name: str) -> str:
        if ledger_backend == "sqlite":
            return str(tmp_path / f"{name}.sqlite3")
        server: PostgresServer = request.getfixturevalue("postgres_server")
        return _fresh_schema(server)

    return make
