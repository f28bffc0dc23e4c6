-- One row per bounce message read (by its identity): whether reading it was cut short by a
-- cap or failed, and why. A message that cannot be read is recorded and the import goes on;
-- a re-run skips it instead of stalling there again.
CREATE TABLE bounce_messages (
    identity    TEXT PRIMARY KEY,          -- the message's Message-ID, else a hash of its bytes
    source      TEXT,                      -- where the raw message is
    outcome     TEXT NOT NULL,             -- read | capped | unreadable
    note        TEXT,                      -- what was cut, or why it could not be read
    imported_at TEXT NOT NULL
);
