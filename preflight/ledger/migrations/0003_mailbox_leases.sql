-- Concurrent runs: a run holds a lease on each mailbox it sends from, and claims a message
-- (queued -> claimed -> sending) by compare-and-set, so two `preflight send` processes on one
-- ledger (a cron job overlapping a manual run, or later two machines on one shared database)
-- never send a message twice and never exceed a cap between them. Plain SQL for SQLite and
-- PostgreSQL alike; times are UTC ISO-8601 text like everywhere else in the ledger.

CREATE TABLE mailbox_leases (
    mailbox      TEXT PRIMARY KEY,       -- the mailbox's From address
    owner        TEXT NOT NULL,          -- "host:pid:token" of the run holding it
    acquired_at  TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL,          -- renewed every few seconds while the run lives
    expires_at   TEXT NOT NULL           -- after this, any run may take the mailbox over
);

-- A claimed message belongs to this run until it reaches DATA (sending) or goes back.
ALTER TABLE messages ADD COLUMN claimed_by TEXT;
CREATE INDEX attempts_domain ON attempts (recipient_domain, started_at);
