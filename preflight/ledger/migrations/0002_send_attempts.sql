-- The sender's additions: what each message was rendered from, why a row was skipped,
-- every send attempt (daily and hourly caps are counted from it, so a restart never resets
-- a cap), and paused mailboxes (a pause outlives the run until the user lifts it).

ALTER TABLE messages ADD COLUMN seq INTEGER;            -- order in the recipients file
ALTER TABLE messages ADD COLUMN source_line INTEGER;    -- line in the recipients file
ALTER TABLE messages ADD COLUMN fields TEXT;            -- JSON of the row the template renders
ALTER TABLE messages ADD COLUMN lint_score REAL;
ALTER TABLE messages ADD COLUMN detail TEXT;            -- one line: why skipped / failed

CREATE TABLE attempts (
    id               INTEGER PRIMARY KEY,
    message_row      INTEGER NOT NULL REFERENCES messages(id),
    mailbox          TEXT NOT NULL,
    recipient_domain TEXT NOT NULL,
    started_at       TEXT NOT NULL,                   -- UTC ISO-8601 with milliseconds
    outcome          TEXT NOT NULL,                   -- sending | sent | deferred | bounced
                                                      -- | failed | unknown
    reply_code       INTEGER,
    reply_status     TEXT,
    reply_text       TEXT,
    hard             INTEGER
);
CREATE INDEX attempts_mailbox ON attempts (mailbox, started_at);
CREATE INDEX attempts_started ON attempts (started_at);

CREATE TABLE mailbox_pauses (
    mailbox    TEXT PRIMARY KEY,
    reason     TEXT NOT NULL,
    campaign   TEXT,
    paused_at  TEXT NOT NULL
);
