from preflight.ledger import Ledger


def test_migrations_apply_once_and_suppression_round_trips(ledger_at: str) -> None:
    with Ledger(ledger_at) as ledger:
        assert ledger.suppress("Bob@Example.COM ", "userunknown", "smtp", "550 5.1.1")
        assert not ledger.suppress("bob@example.com", "mailboxfull", "bounce")
        found = ledger.suppression("BOB@example.com")
        assert found is not None and found.reason == "userunknown"
    with Ledger(ledger_at) as ledger:  # reopening does not re-run migrations
        names = [r[0] for r in ledger.db.execute("SELECT name FROM schema_migrations")]
        assert names == sorted(set(names)) and "0001_initial" in names
        assert set(ledger.suppressed_among(["x@y.z", "bob@example.com"])) == {"bob@example.com"}
        if ledger.dialect == "sqlite":
            assert ledger.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert ledger.integrity_ok()
